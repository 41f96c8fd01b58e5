"""Workspace: p50/p95/max of the pages a team uses all day, through Django's test client, signed in.

Generates a portfolio, then gives a sample of agreements the content an agent's workspace really holds (contacts,
notes, a promise, a hold, a case, work items) and times: the agreement workspace (agent), My work and get-next
(agent), the team leader console and customer search (team leader). Also the SQL queries per workspace render,
for a plain and for a busy agreement (they must be equal: no N+1).

Then 20 agents at once (4 on SQLite; ``FAIRPATH_BENCH_USERS`` overrides), each in its own process with its own
connection, as a dialer floor works: get next, open the account, Done, again. Twice: at a human pace (pauses
of ``FAIRPATH_BENCH_THINK`` seconds on average, default 2, drawn at random per agent so the agents do not click
in step; a real agent spends minutes per account, so this is still a very busy floor) and back to back (no
pause: the most the machine serves, and the latency when it is saturated).

``FAIRPATH_BENCH_CLIENT=CODE`` re-uses a client generated earlier (a 1M book takes about ten minutes to
generate) instead of generating one. JSON lines; on a shared machine generate no more than 100k accounts.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import time
from datetime import date, timedelta

from harness import emit, start, timed

SAMPLE = 60  # agreements given workspace content
ROUNDS = 2  # each workspace page is timed this many times (after one warm-up render)
LOOPS = 12  # get next -> workspace -> Done rounds per agent in each concurrent pass


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda share: ordered[min(int(share * len(ordered)), len(ordered) - 1)] * 1000  # noqa: E731
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(pick(0.95), 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=20_000)
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from fairpath.accounts.models import Agreement, Customer
    from fairpath.cases import actions as case_actions
    from fairpath.clients.models import Client
    from fairpath.collections import actions as collection_actions
    from fairpath.collections import promises
    from fairpath.collections.workspace import actions as workspace_actions
    from fairpath.demo.generator import generate_portfolio
    from fairpath.governance.actions import create_user
    from fairpath.governance.audit import SystemActor
    from fairpath.work import actions as work_actions
    from fairpath.work.models import WorkItem

    n = arguments.accounts
    code = os.environ.get("FAIRPATH_BENCH_CLIENT") or ""
    if code:
        n = Agreement.objects.filter(client__code=code).count()
    else:
        code = f"bench-ws-{int(time.time())}"
        with timed() as elapsed:
            summary = generate_portfolio(
                accounts=n, seed=3, as_of=date(2026, 11, 30), months=18, client_code=code
            )
        emit("generate", n, elapsed[0], customers=summary.customers)
    client = Client.objects.get(code=code)
    system = SystemActor("bench")
    run = f"{code}-{int(time.time())}"
    agent = create_user(
        username=f"{run}-agent", role_code="agent", password="bench-password-123", client_codes=[code],
        actor=system,
    )  # fmt: skip
    leader = create_user(
        username=f"{run}-lead", role_code="team_leader", password="bench-password-123", client_codes=[code],
        actor=system,
    )  # fmt: skip

    picker = random.Random(11)
    ids = list(Agreement.objects.filter(client=client).values_list("id", flat=True))
    sample = Agreement.objects.filter(pk__in=picker.sample(ids, min(SAMPLE, len(ids)))).select_related(
        "customer"
    )
    today = timezone.localdate()
    now = timezone.now()
    specs = []
    with timed() as elapsed:
        for index, agreement in enumerate(sample):
            for number in range(4):
                workspace_actions.record_contact(
                    agreement=agreement, actor=agent, channel="email", direction="inbound",
                    outcome="other", note=f"Customer wrote {number}", at=now - timedelta(days=number + 1),
                )  # fmt: skip
            for number in range(3):
                workspace_actions.add_note(
                    agreement=agreement, actor=agent, text=f"Note {number}: asked for time"
                )
            promises.record_promise(
                agreement=agreement, actor=agent, made_on=today,
                instalments=[(today + timedelta(days=7), 2500), (today + timedelta(days=37), 2500)],
            )  # fmt: skip
            if index % 2:
                collection_actions.start_advice_hold(
                    agreement=agreement, starts_on=today, actor=agent, reason="StepChange adviser"
                )
            else:
                collection_actions.record_dispute(
                    agreement=agreement, on=today, actor=agent, reason="Disputes fee"
                )
            case_actions.register_case(
                client=client, case_type="complaint", category="arrears_handling", channel="phone",
                received_at=now - timedelta(hours=2), actor=agent, description="Unhappy with calls",
                customer=agreement.customer, agreement=agreement,
            )  # fmt: skip
            for kind in ("call_due", "promise_check"):
                specs.append(
                    work_actions.WorkItemSpec(
                        client_id=client.pk, kind=kind, title=f"{kind} {agreement.reference}",
                        due_at=now + timedelta(hours=index % 48), value_minor=max(agreement.balance_minor, 0),
                        agreement_id=agreement.pk, customer_id=agreement.customer_id,
                        owner_id=agent.pk if kind == "call_due" and index % 3 == 0 else None,
                    )
                )  # fmt: skip
        # A queue's worth of unowned items besides the sample's, so get-next and the console have a backlog.
        for index, agreement_id in enumerate(picker.sample(ids, min(2_000, len(ids)))):
            specs.append(
                work_actions.WorkItemSpec(
                    client_id=client.pk, kind="call_due", title=f"Arrears call {index}",
                    due_at=now + timedelta(minutes=(index * 7919) % 5_000), value_minor=(index * 104_729) % 500_000,
                    agreement_id=agreement_id,
                )
            )  # fmt: skip
        work_actions.create_work_items(specs=specs, actor=system)
    emit("workspace_content", len(sample), elapsed[0], work_items=len(specs))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    as_agent, as_leader = HttpClient(), HttpClient()
    as_agent.force_login(agent)
    as_leader.force_login(leader)

    def time_pages(name: str, http: HttpClient, urls: list[str], *, status: int = 200) -> None:
        samples = []
        for url in urls:
            began = time.perf_counter()
            response = http.get(url)
            samples.append(time.perf_counter() - began)
            assert response.status_code == status, (url, response.status_code)
        emit(
            name,
            len(samples),
            sum(samples),
            accounts=n,
            load=round(os.getloadavg()[0], 1),
            **percentiles(samples),
        )

    busy = [f"/collections/workspace/agreements/{agreement.pk}/" for agreement in sample]
    plain = [f"/collections/workspace/agreements/{pk}/" for pk in picker.sample(ids, min(SAMPLE, len(ids)))]
    for url in busy[:3] + plain[:3]:
        as_agent.get(url)  # warm-up: templates compiled, caches filled
    time_pages("page_workspace_busy", as_agent, busy * ROUNDS)
    time_pages("page_workspace_plain", as_agent, plain * ROUNDS)

    counts = {}
    for label, url in (("plain", plain[0]), ("busy", busy[0])):
        with CaptureQueriesContext(connection) as captured:
            assert as_agent.get(url).status_code == 200
        counts[label] = len(captured)
    emit("workspace_queries", 2, 0.0, accounts=n, plain=counts["plain"], busy=counts["busy"])

    time_pages("page_my_work", as_agent, ["/work/"] * 50)
    # An agent's loop: get next (opens the workspace), then Done. Each claimed item is completed, as in a day.
    nexts, dones = [], []
    for _ in range(50):
        began = time.perf_counter()
        response = as_agent.post("/work/next/")
        nexts.append(time.perf_counter() - began)
        assert response.status_code == 302, response.status_code
        item = (
            WorkItem.objects.filter(owner=agent, status="in_progress").order_by("-started_at", "-id").first()
        )
        assert item is not None
        began = time.perf_counter()
        response = as_agent.post(f"/work/items/{item.pk}/complete/", {"outcome": "called"})
        dones.append(time.perf_counter() - began)
        assert response.status_code == 302, response.status_code
    load = round(os.getloadavg()[0], 1)
    emit("page_get_next", len(nexts), sum(nexts), accounts=n, load=load, **percentiles(nexts))
    emit("page_work_done", len(dones), sum(dones), accounts=n, load=load, **percentiles(dones))
    time_pages("page_team_console", as_leader, ["/work/console/"] * 30)
    names = list(Customer.objects.filter(client=client).values_list("last_name", flat=True)[:5_000])
    references = list(Agreement.objects.filter(client=client).values_list("reference", flat=True)[:5_000])
    texts = picker.sample(names, min(50, len(names))) + picker.sample(references, min(50, len(references)))
    time_pages("page_customer_search", as_leader, [f"/customers/?q={text}" for text in texts])

    users = int(os.environ.get("FAIRPATH_BENCH_USERS") or (20 if connection.vendor == "postgresql" else 4))
    floor = [
        create_user(
            username=f"{run}-floor-{index}", role_code="agent", password="bench-password-123",
            client_codes=[code], actor=system,
        ).pk
        for index in range(users)
    ]  # fmt: skip
    # Enough unowned calls for every agent's rounds in both passes, on accounts of the book.
    work_actions.create_work_items(
        specs=[
            work_actions.WorkItemSpec(
                client_id=client.pk, kind="call_due", title=f"Floor call {index}",
                due_at=now - timedelta(minutes=index % 600), value_minor=(index * 7_919) % 300_000,
                agreement_id=agreement_id,
            )
            for index, agreement_id in enumerate(picker.sample(ids, min(4 * users * LOOPS, len(ids))))
        ],
        actor=system,
    )  # fmt: skip
    think = float(os.environ.get("FAIRPATH_BENCH_THINK") or 2.0)
    for label, pause in (("paced", think), ("back_to_back", 0.0)):
        agents_at_once(floor, pause, n, label)


def _agent_day(agent_id: int, pause: float, began_at: float, results) -> None:  # noqa: ANN001
    """One agent's process: LOOPS rounds of get next, open the account, Done; the timings go to ``results``."""
    from django.test import Client as HttpClient

    from fairpath.governance.models import User
    from fairpath.work.models import WorkItem

    http = HttpClient()
    agent = User.objects.get(pk=agent_id)
    http.force_login(agent)
    assert http.get("/work/").status_code == 200  # warm-up: this process's templates and URL map are ready
    timings: dict[str, list[float]] = {"get_next": [], "workspace": [], "done": []}
    # People do not click in step: each agent's pauses are drawn around ``pause`` (exponential, seeded per
    # agent) and the first one starts within one pause of the others. ``pause`` 0 is the saturated case.
    chance = random.Random(agent_id)
    think = (lambda: chance.expovariate(1 / pause)) if pause else (lambda: 0.0)  # noqa: E731
    time.sleep(max(began_at - time.time(), 0.0) + (chance.uniform(0, pause) if pause else 0.0))
    for _ in range(LOOPS):
        began = time.perf_counter()
        response = http.post("/work/next/")
        timings["get_next"].append(time.perf_counter() - began)
        assert response.status_code == 302, response.status_code
        item = (
            WorkItem.objects.filter(owner_id=agent_id, status="in_progress").order_by("-started_at").first()
        )
        assert item is not None and item.agreement_id is not None
        time.sleep(think())
        began = time.perf_counter()
        page = http.get(f"/collections/workspace/agreements/{item.agreement_id}/")
        timings["workspace"].append(time.perf_counter() - began)
        assert page.status_code == 200, page.status_code
        time.sleep(think())
        began = time.perf_counter()
        done = http.post(f"/work/items/{item.pk}/complete/", {"outcome": "called"})
        timings["done"].append(time.perf_counter() - began)
        assert done.status_code == 302, done.status_code
        time.sleep(think())
    results.put((agent_id, timings))


def agents_at_once(agent_ids: list[int], pause: float, accounts: int, label: str) -> None:
    """Fork one process per agent (each opens its own connection) and report p50/p95 of each request kind."""
    from django.db import connections

    connections.close_all()  # children must not share the parent's connection
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    began_at = time.time() + 1.0
    processes = [
        context.Process(target=_agent_day, args=(agent_id, pause, began_at, results))
        for agent_id in agent_ids
    ]
    wall = time.perf_counter()
    for process in processes:
        process.start()
    gathered = [results.get() for _ in processes]
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"an agent process failed ({process.exitcode})"
    wall = time.perf_counter() - wall
    for kind in ("get_next", "workspace", "done"):
        samples = [spent for _, timings in gathered for spent in timings[kind]]
        emit(
            f"agents_{label}_{kind}", len(samples), sum(samples), accounts=accounts, users=len(agent_ids),
            pause_s=pause, requests_per_s=round(3 * len(samples) / wall, 1), load=round(os.getloadavg()[0], 1),
            **percentiles(samples),
        )  # fmt: skip


if __name__ == "__main__":
    main()
