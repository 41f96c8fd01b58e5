"""Daily collections cycle: end to end, the in-memory compute alone, a same-day re-run, the next day, and a
naive per-account ORM loop on up to 10,000 of the same accounts (so the ratio is visible).

Letters are queued for print and rendered when opened (``FAIRPATH_LETTER_PDF=on-demand``, as the nightly
cycle runs in production: a PDF costs about 0.2 s of CPU, see the letters benchmark) unless the variable is
set. Up to 1M accounts (the issue's target); on a shared machine keep to 100k. The shards run in
``cycle.default_workers()`` processes, as ``fairpath cycle`` runs them (``FAIRPATH_CYCLE_WORKERS`` overrides).

``FAIRPATH_BENCH_CLIENT=CODE`` runs on a book generated earlier (a 1M book takes many minutes to make) with
the strategy it already has, from the day after its last completed night."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import emit, start, timed

MAX_ACCOUNTS = 1_000_000
DEFAULT_ACCOUNTS = 100_000
NAIVE_ACCOUNTS = 10_000
RUN_DATE = date(2026, 11, 30)


class Rollback(Exception):
    pass


def naive_loop(client, document, limit: int, on: date = RUN_DATE) -> tuple[int, float]:  # noqa: ANN001
    """One round trip (or several) per account: what set-based code replaces. Rolled back afterwards."""
    from django.db import transaction

    from fairpath.accounts import rules as account_rules
    from fairpath.accounts.models import Agreement, VulnerabilityCue
    from fairpath.collections.models import Hold, TreatmentState
    from fairpath.collections.policy import check_contact

    done = 0
    with timed() as elapsed:
        try:
            with transaction.atomic():
                for agreement in Agreement.objects.filter(client=client).order_by("id")[:limit]:
                    schedule = [
                        account_rules.Instalment(row.due_on, row.amount_due_minor, row.amount_paid_minor)
                        for row in agreement.instalments.all()
                    ]
                    arrears = account_rules.compute_arrears(schedule, on)
                    holds = [hold.period() for hold in Hold.objects.filter(agreement=agreement)]
                    on_hold = any(period.covers(on) for period in holds)
                    vulnerable = VulnerabilityCue.objects.filter(customer_id=agreement.customer_id).exists()
                    segment = path = ""
                    for candidate in document.segments:
                        when = candidate.when
                        dpd = when.get("dpd", {})
                        if "holds" in when and when["holds"] is True and not on_hold:
                            continue
                        if "holds" in when and when["holds"] is False and on_hold:
                            continue
                        if "vulnerable" in when and when["vulnerable"] != vulnerable:
                            continue
                        if arrears.days_past_due < dpd.get("min", 0) or arrears.days_past_due > dpd.get(
                            "max", 10**9
                        ):
                            continue
                        segment, path = candidate.code, candidate.paths[0].code
                        break
                    if segment:
                        check_contact(
                            agreement=agreement,
                            channel="letter",
                            at=datetime.combine(on, time(12), tzinfo=ZoneInfo("UTC")),
                        )
                        TreatmentState.objects.update_or_create(
                            agreement=agreement,
                            defaults={
                                "client_id": agreement.client_id,
                                "segment": segment,
                                "path": path,
                                "entered_on": on,
                                "updated_on": on,
                            },
                        )
                    done += 1
                raise Rollback
        except Rollback:
            pass
    return done, elapsed[0]


def main() -> None:
    os.environ.setdefault("FAIRPATH_LETTER_PDF", "on-demand")
    arguments = start(__doc__ or "", default_accounts=DEFAULT_ACCOUNTS)
    n = min(arguments.accounts, MAX_ACCOUNTS)
    from fairpath.accounts.models import Agreement
    from fairpath.clients.models import Client
    from fairpath.collections import cycle, strategies
    from fairpath.collections.models import ScheduledAction
    from fairpath.demo.generator import generate_portfolio
    from fairpath.governance.audit import SystemActor

    workers = cycle.default_workers()
    run_date = RUN_DATE
    reused = os.environ.get("FAIRPATH_BENCH_CLIENT") or ""
    if reused:
        client = Client.objects.get(code=reused)
        n = Agreement.objects.filter(client=client).count()
        last = cycle.last_completed_date(client)
        run_date = last + timedelta(days=1) if last else RUN_DATE
        version = cycle.strategy_versions_for([client.pk])[client.pk]
        if version is None:
            raise SystemExit(f"client {reused} has no strategy: import one first (fairpath strategy import)")
        document = cycle._document(version)
        emit("daily_cycle_reuse_book", n, 0.0, client=reused, run_date=run_date.isoformat(), workers=workers)
    else:
        code = f"bench-cycle-{uuid.uuid4().hex[:8]}"
        with timed() as elapsed:
            generated = generate_portfolio(accounts=n, seed=7, as_of=RUN_DATE, months=18, client_code=code)
        emit("daily_cycle_generate", n, elapsed[0], customers=generated.customers)
        client = Client.objects.get(code=code)
        text = (Path(strategies.__file__).parent / "default_strategy.yaml").read_text()
        text = text.replace("code: standard", f"code: {code}", 1)
        strategies.import_strategy(text=text, actor=SystemActor("bench"), client=client)
        document = strategies.parse(text)

    # the compute alone: facts already in memory, segment + path assignment and guard decisions
    shards = cycle.plan_shards([client.pk])
    works = []
    for shard in shards:
        work = cycle.ShardWork(run_date, shard, SystemActor("bench"), read_only=True)
        work.load()
        work.facts.need(work.agreements)  # the guard's facts in memory too: only the compute is timed
        works.append((work, work.fact_frame()))
    with timed() as elapsed:
        decided = 0
        for work, frame in works:
            assigned = strategies.assign(document, frame)
            for agreement_id, segment, path in assigned.select("agreement_id", "segment", "path").iter_rows():
                if segment is None:
                    continue
                step = document.path(segment, path).steps[0]  # type: ignore[union-attr]
                work.decide(agreement_id, step.action)
                decided += 1
    emit("daily_cycle_compute", n, elapsed[0], assigned=decided, shards=len(shards))

    with timed() as elapsed:
        summary = cycle.run_cycle(run_date=run_date, client=client, workers=workers)
    emit(
        "daily_cycle",
        n,
        elapsed[0],
        actions_scheduled=summary.actions_scheduled,
        suppressed=dict(summary.suppressed),
        notices=summary.notices,
        postings=summary.postings,
        work_items=summary.work_items,
        state_changes=summary.state_changes,
        shards=summary.shards,
        day_end=summary.day_end,
        phases={name: round(seconds, 1) for name, seconds in summary.phases.items()},
        workers=workers,
        letter_pdf=os.environ["FAIRPATH_LETTER_PDF"],
    )
    before = ScheduledAction.objects.filter(client=client).count()
    with timed() as elapsed:
        again = cycle.run_cycle(run_date=run_date, client=client, workers=workers)
    assert again.actions_scheduled == 0 and ScheduledAction.objects.filter(client=client).count() == before
    emit("daily_cycle_rerun_same_day", n, elapsed[0], actions_scheduled=again.actions_scheduled)
    with timed() as elapsed:
        nextday = cycle.run_cycle(run_date=run_date + timedelta(days=1), client=client, workers=workers)
    emit("daily_cycle_next_day", n, elapsed[0], actions_scheduled=nextday.actions_scheduled)

    done, seconds = naive_loop(client, document, min(n, NAIVE_ACCOUNTS), run_date)
    naive_rate = done / seconds
    emit(
        "daily_cycle_naive_orm_loop",
        done,
        seconds,
        set_based_end_to_end_rate=round(n / summary.seconds, 1),
        ratio_end_to_end_vs_naive=round((n / summary.seconds) / naive_rate, 1),
    )


if __name__ == "__main__":
    main()
