"""The daily collections cycle: set-based, sharded, idempotent and crash-safe.

For a date D (the end of that day), for each shard of agreements (an id range), in one transaction:
recompute the shard's arrears (the accounts domain's set-based ``recompute_arrears``), then

1. start and end holds: an open dispute starts a US-VALIDATION hold; a breathing space moves the status
   to breathing space and back when it ends (BS-START, BS-EFFECT);
2. post what falls due: late-payment fees of the product's terms for newly missed instalments and monthly
   interest on running accounts (UK-CHARGES) - never during a breathing space, a debt-advice hold, a
   NOSIA-late period (UK-NOSIA-LATE) or a freeze (forbearance); each posting has a key so it is posted once
   (step 4's notices are raised before it, so a notice found late today stops today's charges);
3. detect kept and broken promises and arrangements (grace days per promise);
4. raise statutory notice events (UK-NOSIA-FS with the 6-month repeat, UK-NOSIA-RA, US-VALIDATION;
   UK-DEFAULT when a strategy step issues it) as NoticeDue rows the communications domain renders;
5. assign segment and path (Polars over the shard), schedule the steps that fall due, check each contact
   with the contact policy guard (suppressions counted by rule id) and create call and review work items.

The shard's completion row is written in the same transaction, so a run killed at any moment is resumed
by running the date again and ends in exactly the state of an uninterrupted run. Running a completed date
again changes nothing: every write is keyed (postings, notices, scheduled steps) or compares first.
"""

from __future__ import annotations

import os
import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from fairpath.accounts import rules as account_rules
from fairpath.accounts.actions import insert_rows, move_balances, open_past_due, recompute_arrears
from fairpath.accounts.models import (
    Agreement,
    ArrearsState,
    FeeTerm,
    LedgerEntry,
    ScheduleInstalment,
    StatusHistory,
    VulnerabilityCue,
)
from fairpath.clients.models import Client
from fairpath.collections import promises, rules, strategies
from fairpath.collections.models import (
    ContactAttempt,
    CycleRun,
    Hold,
    NoticeDue,
    ScheduledAction,
    ShardRun,
    Strategy,
    StrategyVersion,
    TreatmentState,
)
from fairpath.collections.policy import FactsOnDemand
from fairpath.collections.workspace.recoveries import RULE as RECOVERIES_RULE
from fairpath.collections.workspace.recoveries import MissingItem, recoveries_checklist
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.core.memory import without_cycle_collector
from fairpath.governance.audit import Actor, PendingEvent, SystemActor, actor_label, record_events_bulk

# Agreements per shard (one transaction each). Re-running a 1M night with 2 workers: 50,000 a shard took
# 26.1-26.4 s for the shards against 29.5-31.8 s at 20,000 (fewer fixed costs per shard: strategy, queries).
SHARD_SIZE = 50_000
BATCH = 2000
LATE_FEE_TYPE = "late_payment"
LATE_FEE_WINDOW_DAYS = 7
FROZEN_STATUSES = frozenset({"breathing_space", "forbearance"})
CLOSED_STATUSES = frozenset({"settled", "written_off", "closed"})
BREATHING_SPACE_KINDS = (
    rules.HoldKind.BREATHING_SPACE.value,
    rules.HoldKind.MENTAL_HEALTH_BREATHING_SPACE.value,
)
# BS-EFFECT / UK-NOSIA-LATE: the rules under which charges already posted are given back, in the order a day
# covered by both is credited, with the reference prefix of their reversals.
NOT_PAYABLE_REFERENCES = {"BS-EFFECT": "bs-effect", "UK-NOSIA-LATE": "nosia-late"}
_WHY = {"BS-EFFECT": "a breathing space", "UK-NOSIA-LATE": "a required notice was late"}
REVERSAL_LOOKBACK_DAYS = 14  # a period known this long before the run date is looked at again
STATEMENT_SPAN_DAYS = 32  # a monthly interest posting covers at most this many days before it
WORK_KINDS = {"call_task": "call_due", "review_task": "review", "arrangement_review": "review"}
INTERNAL_ACTIONS = frozenset({"review_task", "arrangement_review"})
# Termination-type steps: a demand for early payment or enforcement, blocked by UK-DEFAULT until a default
# notice was served and its remedy date has passed, and by UK-NOSIA-LATE while an arrears notice is late.
ENFORCEMENT_ACTIONS = frozenset({"agency_placement", "recoveries_transfer"})
# A refused termination-type step is asked again on later days while the account stays on its path; the
# step that goes in the end is keyed after the one refused, so it is written once.
RETRY_SUFFIX = ":retry"

# A test hook: called with the shard number before its transaction commits (crash-safety tests raise here).
shard_hook: Callable[[int], None] | None = None


ENTRY_COLUMNS = ("client_id", "agreement_id", "kind", "amount_minor", "currency", "posted_on", "created_at",
                 "fee_type", "reference", "description", "actor_label")  # fmt: skip
NOTICE_COLUMNS = ("client_id", "agreement_id", "rule", "trigger_on", "send_by", "status", "remedy_on",
                  "validation_ends_on", "arrears_minor", "run_date", "created_at")  # fmt: skip
STATE_COLUMNS = ("client_id", "agreement_id", "strategy_version_id", "segment", "path", "entered_on",
                 "next_step", "last_contact_on", "updated_on")  # fmt: skip
ACTION_COLUMNS = ("client_id", "agreement_id", "key", "run_date", "action", "channel", "template", "segment",
                  "path", "step_index", "strategy_version_id", "status", "rule", "message")  # fmt: skip


@dataclass(slots=True)
class PlannedAction:
    """A step the cycle schedules (or suppresses), written with COPY as a ScheduledAction row."""

    client_id: int
    agreement_id: int
    key: str
    action: str
    channel: str
    template: str
    segment: str
    path: str
    step_index: int
    strategy_version_id: int
    status: str
    rule: str
    message: str
    pk: int | None = None

    def row(self, run_date: date) -> tuple[Any, ...]:
        return (self.client_id, self.agreement_id, self.key, run_date, self.action, self.channel, self.template,
                self.segment, self.path, self.step_index, self.strategy_version_id, self.status, self.rule,
                self.message)  # fmt: skip


@dataclass(frozen=True)
class NotPayable:
    """A period with no interest or fees (a breathing space, a notice-late period), and the day the system
    learnt of it."""

    starts_on: date
    ends_on: date | None
    known_on: date


@dataclass(frozen=True)
class Proposal:
    """A step of a path that falls due today, or a refused termination-type step asked again (``retry_of``:
    the key of the suppressed step)."""

    agreement_id: int
    version: StrategyVersion
    segment: str
    path: str
    entered_on: date
    index: int
    step: strategies.Step
    retry_of: str = ""

    @property
    def key(self) -> str:
        """Once per entry into a path (a retry once per refused step), so re-running a day adds nothing."""
        if self.retry_of:
            return f"{self.retry_of}{RETRY_SUFFIX}"
        return path_key_prefix(
            self.agreement_id, self.version, self.segment, self.path, self.entered_on
        ) + str(self.index)


def path_key_prefix(
    agreement_id: int, version: StrategyVersion, segment: str, path: str, entered_on: date
) -> str:
    return f"{agreement_id}:{version.strategy_id}:{segment}:{path}:{entered_on}:"


@dataclass(frozen=True)
class Shard:
    number: int
    first_id: int
    last_id: int
    client_ids: tuple[int, ...]


@dataclass
class ShardResult:
    accounts: int = 0
    state_changes: int = 0
    postings: int = 0
    notices: int = 0
    actions_scheduled: int = 0
    work_items: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    retries_suppressed: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "state_changes": self.state_changes,
            "postings": self.postings,
            "notices": self.notices,
            "actions_scheduled": self.actions_scheduled,
            "work_items": self.work_items,
            "suppressed": dict(sorted(self.suppressed.items())),
            "retried": self.retried,
            "retries_suppressed": dict(sorted(self.retries_suppressed.items())),
        }


@dataclass
class CycleSummary:
    run_date: date
    accounts: int = 0
    state_changes: int = 0
    postings: int = 0
    notices: int = 0
    actions_scheduled: int = 0
    work_items: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    retries_suppressed: Counter[str] = field(default_factory=Counter)
    shards: int = 0
    seconds: float = 0.0
    day_end: dict[str, Any] = field(default_factory=dict)
    # Seconds per phase of the night (arrears, shards, then each step of closing the day), so an operator
    # can see where a long night went without a profiler.
    phases: dict[str, float] = field(default_factory=dict)

    def add(self, shard: dict[str, Any]) -> None:
        self.accounts += shard["accounts"]
        self.state_changes += shard["state_changes"]
        self.postings += shard["postings"]
        self.notices += shard["notices"]
        self.actions_scheduled += shard["actions_scheduled"]
        self.work_items += shard["work_items"]
        self.suppressed.update(shard["suppressed"])
        self.retried += shard.get("retried", 0)  # shards completed before retries were counted lack both
        self.retries_suppressed.update(shard.get("retries_suppressed", {}))

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.run_date.isoformat(),
            "accounts": self.accounts,
            "state_changes": self.state_changes,
            "postings": self.postings,
            "notices": self.notices,
            "actions_scheduled": self.actions_scheduled,
            "work_items": self.work_items,
            "suppressed": dict(sorted(self.suppressed.items())),
            "retried": self.retried,
            "retries_suppressed": dict(sorted(self.retries_suppressed.items())),
            "shards": self.shards,
            "day_end": self.day_end,
            "phases": {name: round(seconds, 3) for name, seconds in self.phases.items()},
            "seconds": round(self.seconds, 3),
        }


# ----------------------------------------------------------------------------------------------------
# Planning a run


def _client_ids(client: Client | None) -> list[int]:
    if client is not None:
        return [client.pk]
    return list(Client.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))


def plan_shards(client_ids: Sequence[int], shard_size: int = SHARD_SIZE) -> list[Shard]:
    """Id ranges of about ``shard_size`` agreements each (one indexed read of the ids)."""
    ids = list(
        Agreement.objects.filter(client_id__in=list(client_ids)).order_by("id").values_list("id", flat=True)
    )
    shards = []
    for number, start in enumerate(range(0, len(ids), shard_size)):
        chunk = ids[start : start + shard_size]
        shards.append(Shard(number, chunk[0], chunk[-1], tuple(client_ids)))
    return shards


def last_completed_date(client: Client | None = None) -> date | None:
    runs = CycleRun.objects.filter(status=CycleRun.Status.COMPLETED)
    if client is not None:
        runs = runs.filter(Q(client=client) | Q(client__isnull=True))
    return runs.aggregate(last=Max("run_date"))["last"]


def run_cycle(
    *,
    run_date: date,
    actor: Actor | None = None,
    client: Client | None = None,
    rerun: bool = False,
    shard_size: int = SHARD_SIZE,
    use_celery: bool | None = None,
    close_day: bool = True,
    workers: int = 1,
) -> CycleSummary:
    """Run the daily cycle for one date. Refuses a date before the last completed run unless ``rerun``.

    ``workers`` > 1 runs the shards in that many spawned processes, each with its own connection
    (PostgreSQL only; see :func:`run_shards_in_processes`); with Celery configured the workers are Celery's.

    ``close_day=False`` leaves the day's notices and messages unsent and its snapshots unbuilt (for a
    print house that sends letters itself, and for tests of what happens when a notice goes out late)."""
    actor = actor or SystemActor("collections-cycle")
    started = clock.perf_counter()
    last = last_completed_date(client)
    if last is not None and run_date < last and not rerun:
        raise Refusal(
            f"The cycle already completed {last.isoformat()}; running {run_date.isoformat()} needs --rerun",
            rule="CYCLE-ORDER",
            field="date",
        )
    client_ids = _client_ids(client)
    phases: dict[str, float] = {}
    resumable = (
        CycleRun.objects.filter(run_date=run_date, client=client, status=CycleRun.Status.RUNNING)
        .order_by("-id")
        .first()
    )
    run = resumable or CycleRun.objects.create(
        run_date=run_date,
        client=client,
        is_rerun=rerun,
        started_at=timezone.now(),
        actor_label=actor_label(actor),
    )
    shards = plan_shards(client_ids, shard_size)
    done = set(run.shards.values_list("number", flat=True)) if resumable else set()
    if resumable and run.shard_count != len(shards):
        done = set()  # the book changed shape since the killed run: redo every shard (each is idempotent)
    CycleRun.objects.filter(pk=run.pk).update(shard_count=len(shards))
    pending = [shard for shard in shards if shard.number not in done]
    celery = bool(settings.CELERY_BROKER_URL) if use_celery is None else use_celery
    shards_started = clock.perf_counter()
    if celery:
        from fairpath.collections.tasks import run_shards_on_celery

        run_shards_on_celery(run.pk, pending, actor_label(actor))
    elif workers > 1 and len(pending) > 1 and _may_fork():
        from fairpath.collections.processes import run_shards_in_processes

        run_shards_in_processes(run.pk, pending, actor, workers)
    else:
        for shard in pending:
            run_shard(run_id=run.pk, shard=shard, actor=actor)
    phases["shards"] = clock.perf_counter() - shards_started
    summary = CycleSummary(run_date=run_date, shards=len(shards), phases=phases)
    for shard_summary in ShardRun.objects.filter(cycle_run=run).values_list("summary", flat=True):
        summary.add(shard_summary)
    if close_day:
        summary.day_end = close_the_day(run_date=run_date, client_ids=client_ids, actor=actor, phases=phases)
    summary.seconds = clock.perf_counter() - started
    CycleRun.objects.filter(pk=run.pk).update(
        status=CycleRun.Status.COMPLETED, finished_at=timezone.now(), summary=summary.as_dict()
    )
    return summary


@contextmanager
def _timed(phases: dict[str, float], name: str) -> Iterator[None]:
    started = clock.perf_counter()
    try:
        yield
    finally:
        phases[name] = clock.perf_counter() - started


def close_the_day(
    *, run_date: date, client_ids: Sequence[int], actor: Actor, phases: dict[str, float] | None = None
) -> dict[str, Any]:
    """The steps after every shard is done, each idempotent so a re-run repeats nothing:
    hand over the messages whose customer's local moment has come (US-HOURS), send the statutory notices
    the shards raised and the messages they scheduled (the communications domain plans each for the
    customer's permitted local time and asks the guard again for it), then build the day's MI snapshots."""
    from fairpath.communications.actions import release_due_messages, send_scheduled_actions
    from fairpath.communications.notices import send_pending_notices
    from fairpath.insight.snapshots import build_snapshots

    phases = {} if phases is None else phases
    with _timed(phases, "release_messages"):
        released = release_due_messages(actor=actor, client_ids=client_ids)
    with _timed(phases, "send_notices"):
        notices = send_pending_notices(on=run_date, actor=actor, client_ids=client_ids)
    with _timed(phases, "send_messages"):
        messages = send_scheduled_actions(run_date=run_date, actor=actor, client_ids=client_ids)
    with _timed(phases, "snapshots"):
        snapshots = build_snapshots(run_date, client_ids)
    suppressed = Counter(messages.suppressed)
    suppressed.update(released.suppressed)
    return {
        "notices_sent": len(notices.issued),
        "notices_refused": len(notices.refused),
        "messages_queued": len(messages.queued),
        "messages_waiting": sum(1 for message in messages.queued if message.scheduled_for is not None),
        "messages_released": len(released.released),
        "messages_suppressed": dict(sorted(suppressed.items())),
        "snapshot_rows": snapshots.rows,
    }


def run_range(
    *, first: date, last: date, actor: Actor | None = None, client: Client | None = None, rerun: bool = False
) -> list[CycleSummary]:
    """Catch up several days, one after another."""
    if last < first:
        raise InvalidInput("--to is before --from", field="to")
    out = []
    day = first
    while day <= last:
        out.append(run_cycle(run_date=day, actor=actor, client=client, rerun=rerun))
        day += timedelta(days=1)
    return out


# ----------------------------------------------------------------------------------------------------
# One shard


def default_workers() -> int:
    """Processes for the cycle's shards: ``FAIRPATH_CYCLE_WORKERS``, else one per core on PostgreSQL (a shard
    spends about half its time waiting for the database, so two cores serve two shards), one on SQLite
    (whose writers take turns anyway)."""
    configured = os.environ.get("FAIRPATH_CYCLE_WORKERS", "").strip()
    if configured:
        return max(int(configured), 1)
    return (os.cpu_count() or 1) if connection.vendor == "postgresql" else 1


def _may_fork() -> bool:
    """Shards may go to other processes only where they can see what this one committed: PostgreSQL, and
    no transaction open here (a caller's uncommitted rows would be invisible to them)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def run_shard(*, run_id: int, shard: Shard, actor: Actor) -> dict[str, Any]:
    """Run one shard in one transaction, recording its completion in it. Safe to retry."""
    run = CycleRun.objects.get(pk=run_id)
    with without_cycle_collector(), transaction.atomic():
        if ShardRun.objects.filter(cycle_run_id=run_id, number=shard.number).exists():
            return dict(ShardRun.objects.get(cycle_run_id=run_id, number=shard.number).summary)
        result = ShardWork(run.run_date, shard, actor).run()
        if shard_hook is not None:
            shard_hook(shard.number)
        ShardRun.objects.create(
            cycle_run_id=run_id,
            number=shard.number,
            first_agreement_id=shard.first_id,
            last_agreement_id=shard.last_id,
            summary=result.as_dict(),
            finished_at=timezone.now(),
        )
    return result.as_dict()


def _local_noon(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=ZoneInfo(time_zone))


class ShardWork:
    """The steps of one shard over one id range (see the module docstring)."""

    def __init__(self, as_of: date, shard: Shard, actor: Actor, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self.as_of = as_of
        self.shard = shard
        self.actor = actor
        self.label = actor_label(actor)
        self.result = ShardResult()
        self.scope = Q(
            agreement_id__gte=shard.first_id,
            agreement_id__lte=shard.last_id,
            client_id__in=list(shard.client_ids),
        )
        self.events: list[PendingEvent] = []
        # UK-DEFAULT per GB agreement asked about: None when termination-type steps may go, else the reason.
        self.termination_blocks: dict[int, str | None] = {}
        # RECOVERIES-CHECKLIST per agreement with a recoveries transfer asked about: what is missing.
        self.checklists: dict[int, list[Any]] = {}

    def run(self) -> ShardResult:
        # ARREARS-DPD: the shard's arrears as of the run date, in its own transaction (so the shards'
        # processes share the book's recompute); everything below reads them
        recompute_arrears(
            client_ids=self.shard.client_ids,
            as_of=self.as_of,
            actor=self.actor,
            id_range=(self.shard.first_id, self.shard.last_id),
        )
        self.load()
        self.result.accounts = len(self.agreements)
        if not self.agreements:
            return self.result
        self.start_and_end_holds()
        # UK-NOSIA-LATE: the day's notices are decided before its charges, so a notice that proves late today
        # stops today's charge (and gives back earlier days' charges) the same day, not the next
        self.raise_notices()
        self.post_what_falls_due()
        self.reverse_charges_not_payable()
        outcome = promises.detect_outcomes(
            as_of=self.as_of,
            actor=self.actor,
            id_range=(self.shard.first_id, self.shard.last_id),
            client_ids=self.shard.client_ids,
        )
        self.result.state_changes += (
            outcome.promises_kept
            + outcome.promises_broken
            + outcome.arrangements_completed
            + outcome.arrangements_broken
        )
        self.move_unremedied_to_default()
        self.treat()
        if self.events:
            record_events_bulk(actor=self.actor, action="collections.cycle_changed", events=self.events)
        return self.result

    # ------------------------------------------------------------------------------------------ facts

    def load(self) -> None:
        shard = self.shard
        self.agreements: dict[int, dict[str, Any]] = {
            row["id"]: row
            for row in Agreement.objects.filter(
                id__range=(shard.first_id, shard.last_id), client_id__in=list(shard.client_ids)
            ).values(
                "id",
                "client_id",
                "customer_id",
                "product",
                "status",
                "balance_minor",
                "currency",
                "instalment_minor",
                "frequency",
                "first_due_on",
                "rate_bp",
                "disputed_since",
            )
        }
        if self.read_only:
            self.arrears = self.arrears_from_schedule()
        else:
            self.arrears = {
                row[0]: row[1:]
                for row in ArrearsState.objects.filter(self.scope).values_list(
                    "agreement_id", "arrears_minor", "missed_payments", "days_past_due", "bucket"
                )
            }
        # the guard's facts, gathered for the agreements a step or notice of the day asks about
        self.facts = FactsOnDemand(at=_local_noon(self.as_of, "UTC"))
        self.holds = defaultdict(list)
        # BS-EFFECT / UK-NOSIA-LATE periods with the day each became known, for giving back charges
        self.not_payable: dict[str, dict[int, list[NotPayable]]] = {
            rule: defaultdict(list) for rule in NOT_PAYABLE_REFERENCES
        }
        for row in Hold.objects.filter(self.scope).values_list(
            "agreement_id", "kind", "starts_on", "ends_on", "ended_early_on", "created_at"
        ):
            self.holds[row[0]].append(rules.HoldPeriod(rules.HoldKind(row[1]), row[2], row[4] or row[3]))
            if row[1] in BREATHING_SPACE_KINDS:
                self.not_payable["BS-EFFECT"][row[0]].append(
                    NotPayable(row[2], row[4] or row[3], row[5].date())
                )
        from fairpath.communications.models import NosiaLatePeriod

        self.late_periods: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
        for agreement_id, starts_on, ends_on, created_at in NosiaLatePeriod.objects.filter(
            self.scope
        ).values_list("agreement_id", "starts_on", "ends_on", "created_at"):
            self.late_periods[agreement_id].append((starts_on, ends_on))
            self.not_payable["UK-NOSIA-LATE"][agreement_id].append(
                NotPayable(starts_on, ends_on, created_at.date())
            )
        self.notices = defaultdict(list)
        for row in NoticeDue.objects.filter(self.scope).values_list(
            "agreement_id", "rule", "trigger_on", "send_by", "status", "remedy_on", "run_date"
        ):
            self.notices[row[0]].append(row[1:6])
            agreement_id, rule, send_by, status, run_date = row[0], row[1], row[3], row[4], row[6]
            if rule.startswith("UK-NOSIA") and status == NoticeDue.Status.PENDING and send_by < self.as_of:
                # a required notice still unsent after its last day is late from the day after (is_nosia_late)
                self.not_payable["UK-NOSIA-LATE"][agreement_id].append(
                    NotPayable(send_by + timedelta(days=1), None, run_date)
                )
        self.client_codes = dict(
            Client.objects.filter(id__in=list(shard.client_ids)).values_list("id", "code")
        )

    def arrears_from_schedule(self) -> dict[int, tuple[int, int, int, str]]:
        """ARREARS-DPD as of the run date, read from the schedule without writing (dry runs)."""
        out: dict[int, tuple[int, int, int, str]] = {}
        for agreement_id, arrears, missed, oldest in open_past_due(sorted(self.agreements), self.as_of):
            days = (self.as_of - oldest).days
            out[agreement_id] = (arrears, missed, days, account_rules.bucket_for(days))
        return out

    def active_holds(self, agreement_id: int) -> list[rules.HoldKind]:
        return [hold.kind for hold in self.holds.get(agreement_id, []) if hold.covers(self.as_of)]

    def is_nosia_late(self, agreement_id: int) -> bool:
        """UK-NOSIA-LATE: a required notice is still unsent after its last day, or a late period recorded by
        the communications domain covers the day."""
        if any(
            start <= self.as_of and (end is None or self.as_of <= end)
            for start, end in self.late_periods.get(agreement_id, [])
        ):
            return True
        return any(
            rule.startswith("UK-NOSIA") and status == "pending" and send_by < self.as_of
            for rule, _, send_by, status, _ in self.notices.get(agreement_id, [])
        )

    # ------------------------------------------------------------------------------------------ holds

    def start_and_end_holds(self) -> None:
        """US-VALIDATION disputes become holds; breathing-space status follows the BS holds (BS-START)."""
        new_holds = []
        for agreement_id, row in self.agreements.items():
            since = row["disputed_since"]
            if since is None or since > self.as_of:
                continue
            if any(
                hold.kind == rules.HoldKind.DISPUTE and hold.starts_on == since
                for hold in self.holds[agreement_id]
            ):
                continue
            hold = Hold(
                client_id=row["client_id"],
                agreement_id=agreement_id,
                kind=rules.HoldKind.DISPUTE.value,
                starts_on=since,
                reason="Dispute recorded on the agreement",
                created_by=self.label,
            )
            new_holds.append(hold)
            self.holds[agreement_id].append(rules.HoldPeriod(rules.HoldKind.DISPUTE, since, None))
            self.facts.add_hold(agreement_id, rules.HoldPeriod(rules.HoldKind.DISPUTE, since, None))
        Hold.objects.bulk_create(new_holds, batch_size=BATCH)
        self.result.state_changes += len(new_holds)

        to_space: list[tuple[int, str]] = []
        from_space: list[tuple[int, str]] = []
        for agreement_id, row in self.agreements.items():
            in_space = any(kind.value in BREATHING_SPACE_KINDS for kind in self.active_holds(agreement_id))
            status = row["status"]
            if in_space and status != "breathing_space":
                allowed = account_rules.STATUS_TRANSITIONS[account_rules.AgreementStatus(status)]
                if account_rules.AgreementStatus.BREATHING_SPACE in allowed:
                    to_space.append((agreement_id, status))
            elif not in_space and status == "breathing_space":
                missed = self.arrears.get(agreement_id, (0, 0, 0, "current"))[1]
                from_space.append((agreement_id, "in_arrears" if missed else "up_to_date"))
        moves = [(agreement_id, old, "breathing_space") for agreement_id, old in to_space] + [
            (agreement_id, "breathing_space", new) for agreement_id, new in from_space
        ]
        self.move_statuses(moves, "breathing space")

    def move_statuses(self, moves: list[tuple[int, str, str]], reason: str) -> None:
        """STATUS-TRANSITION in bulk: one update per (from, to) pair, a history row per agreement."""
        grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
        for agreement_id, old, new in moves:
            account_rules.check_transition(old, new)
            grouped[(old, new)].append(agreement_id)
        for (old, new), ids in grouped.items():
            for start in range(0, len(ids), BATCH):
                Agreement.objects.filter(id__in=ids[start : start + BATCH], status=old).update(status=new)
        StatusHistory.objects.bulk_create(
            (
                StatusHistory(
                    client_id=self.agreements[agreement_id]["client_id"],
                    agreement_id=agreement_id,
                    from_status=old,
                    to_status=new,
                    changed_on=self.as_of,
                    actor_label=self.label,
                    reason=reason,
                )
                for agreement_id, old, new in moves
            ),
            batch_size=BATCH,
        )
        for agreement_id, _old, new in moves:
            self.agreements[agreement_id]["status"] = new
        self.events += [
            PendingEvent(
                "accounts.agreement",
                str(agreement_id),
                self.agreements[agreement_id]["client_id"],
                before={"status": old},
                after={"status": new, "reason": reason},
            )
            for agreement_id, old, new in moves
        ]
        self.result.state_changes += len(moves)

    # -------------------------------------------------------------------------------------- default

    def move_unremedied_to_default(self) -> None:
        """UK-DEFAULT: once the remedy date of a served default notice has passed (never on or before it)
        and the sum it named was not paid by then, the agreement moves to default: a STATUS-TRANSITION with
        its history row, audited with the batch. Not while a required arrears notice is late
        (UK-NOSIA-LATE: the agreement is unenforceable), nor from a status that cannot default (a breathing
        space, BS-EFFECT, waits for it to end)."""
        target = account_rules.AgreementStatus.DEFAULT
        candidates = list(
            NoticeDue.objects.filter(
                self.scope,
                rule="UK-DEFAULT",
                status=NoticeDue.Status.SENT,
                remedy_on__lt=self.as_of,
                agreement__status__in=[
                    status.value
                    for status, allowed in account_rules.STATUS_TRANSITIONS.items()
                    if target in allowed and status != target
                ],
            )
            .order_by("agreement_id", "-remedy_on")
            .values_list("agreement_id", "agreement__status", "sent_on", "remedy_on", "arrears_minor")
        )
        latest: dict[int, tuple[str, date, date, int]] = {}
        for agreement_id, status, sent_on, remedy_on, amount in candidates:
            latest.setdefault(agreement_id, (status, sent_on or remedy_on, remedy_on, amount))
        if not latest:
            return
        paid: dict[int, int] = defaultdict(int)
        ids = sorted(latest)
        for start in range(0, len(ids), BATCH):
            for agreement_id, posted_on, amount in LedgerEntry.objects.filter(
                agreement_id__in=ids[start : start + BATCH],
                kind__in=(account_rules.EntryKind.PAYMENT, account_rules.EntryKind.PAYMENT_REVERSAL),
                posted_on__lte=self.as_of,
            ).values_list("agreement_id", "posted_on", "amount_minor"):
                _status, sent_on, remedy_on, _amount = latest[agreement_id]
                if sent_on <= posted_on <= remedy_on:
                    paid[agreement_id] -= amount  # payments are credits (negative amounts)
        moves = [
            (agreement_id, status, target.value)
            for agreement_id, (status, _sent_on, _remedy_on, amount) in latest.items()
            if paid[agreement_id] < amount and not self.is_nosia_late(agreement_id)
        ]
        self.move_statuses(moves, "UK-DEFAULT: the default notice was not remedied by its remedy date")

    # ------------------------------------------------------------------------------------- postings

    def is_frozen(self, agreement_id: int) -> bool:
        """BS-EFFECT / UK-ADVICE-HOLD / UK-NOSIA-LATE / a freeze: nothing is charged."""
        if self.agreements[agreement_id]["status"] in FROZEN_STATUSES:
            return True
        if any(kind in rules.FREEZING_HOLDS for kind in self.active_holds(agreement_id)):
            return True
        return self.is_nosia_late(agreement_id)

    def reverse_charges_not_payable(self) -> None:
        """BS-EFFECT and UK-NOSIA-LATE: no interest or fees for any day of a breathing space, nor for any day
        of a period in which a required arrears notice was late. Either can be recorded after the days it
        covers were charged for (a breathing space entered late; a notice found to have gone late): the
        share of a monthly interest posting for those days, and a late fee posted on one of them, are
        reversed by a ledger adjustment naming the rule. The same applies to a statement period a period
        covered only in part.

        One pass for both rules. Each charge's total not payable is its share for the days any period
        covers, counted once where they overlap; what earlier reversals of that charge (under either rule)
        already gave back is deducted, and the rest is credited to the rule whose days are not yet reversed
        (BS-EFFECT first). So a day run twice, or a period recorded after the other, never reverses a day
        twice nor more than was charged.

        Set-based and bounded: only agreements with a period that can still hold charges to give back are
        read - one known within ``REVERSAL_LOOKBACK_DAYS`` (charges posted before it was known), or one that
        ended within a statement period (interest for a month it covered in part is posted after it ends).
        Charges for its days after it was known were never posted (``is_frozen``)."""
        lookback = self.as_of - timedelta(days=REVERSAL_LOOKBACK_DAYS)
        statement_ago = self.as_of - timedelta(days=STATEMENT_SPAN_DAYS)
        ids = sorted(
            {
                agreement_id
                for by_agreement in self.not_payable.values()
                for agreement_id, found in by_agreement.items()
                if agreement_id in self.agreements
                and any(
                    period.starts_on <= self.as_of
                    and (
                        period.known_on >= lookback
                        or (period.ends_on is not None and period.ends_on >= statement_ago)
                    )
                    for period in found
                )
            }
        )
        if not ids:
            return
        # every period of those agreements, under both rules, so a day two periods cover counts once
        covered_by = {
            rule: {
                agreement_id: found
                for agreement_id in ids
                if (
                    found := [
                        (period.starts_on, period.ends_on)
                        for period in by_agreement.get(agreement_id, [])
                        if period.starts_on <= self.as_of
                    ]
                )
            }
            for rule, by_agreement in self.not_payable.items()
        }
        earliest = min(
            start
            for by_agreement in covered_by.values()
            for found in by_agreement.values()
            for start, _ in found
        )
        charges: list[tuple[int, int, str, int, date]] = []
        given_back: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        prefixes = {reference_prefix: rule for rule, reference_prefix in NOT_PAYABLE_REFERENCES.items()}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            charges += LedgerEntry.objects.filter(
                agreement_id__in=chunk,
                kind__in=("interest", "fee"),
                reference__startswith="cycle:",
                posted_on__gte=earliest,
                posted_on__lte=self.as_of,
            ).values_list("id", "agreement_id", "kind", "amount_minor", "posted_on")
            for reverses_id, reference, amount in LedgerEntry.objects.filter(
                Q(reference__startswith="cycle:bs-effect:") | Q(reference__startswith="cycle:nosia-late:"),
                agreement_id__in=chunk,
            ).values_list("reverses_id", "reference", "amount_minor"):
                given_back[reverses_id][prefixes[reference.split(":")[1]]] -= amount
        now = timezone.now()
        rows: list[tuple[Any, ...]] = []
        for entry_id, agreement_id, kind, amount, posted_on in charges:
            row = self.agreements[agreement_id]
            if kind == "fee":
                first_day = posted_on
            else:
                first_day = _previous_statement(row["first_due_on"], posted_on) + timedelta(days=1)
            days = (posted_on - first_day).days + 1
            every = [
                period
                for by_agreement in covered_by.values()
                for period in by_agreement.get(agreement_id, [])
            ]
            covered = rules.days_covered(first_day, posted_on, every)
            if not covered:
                continue
            already = given_back.get(entry_id, {})
            not_payable = -(-amount * covered // days)  # rounded in the customer's favour
            remaining = not_payable - sum(already.values())
            for rule, reference_prefix in NOT_PAYABLE_REFERENCES.items():
                own = covered_by[rule].get(agreement_id, [])
                own_days = rules.days_covered(first_day, posted_on, own) if own else 0
                owed = -(-amount * own_days // days) - already.get(rule, 0)
                back = min(remaining, owed)
                if back <= 0:
                    continue
                shared = "; days another period covers given back once" if back < owed else ""
                remaining -= back
                # a second reversal under the same rule (a period grew since) carries its date
                suffix = f":{self.as_of:%Y%m%d}" if already.get(rule) else ""
                reference = f"cycle:{reference_prefix}:{entry_id}{suffix}"
                rows.append(
                    (row["client_id"], agreement_id, "waiver" if kind == "fee" else "adjustment", -back,
                     row["currency"], self.as_of, now, LATE_FEE_TYPE if kind == "fee" else "", entry_id,
                     reference, f"{rule}: {kind} for {own_days} of {days} days not payable ({_WHY[rule]}) reversed{shared}",
                     self.label)
                )  # fmt: skip
        if not rows:
            return
        self._post_entries((*ENTRY_COLUMNS[:8], "reverses_id", *ENTRY_COLUMNS[8:]), rows)
        self.events += [
            PendingEvent(
                "accounts.agreement",
                str(entry[1]),
                entry[0],
                after={
                    "posted": entry[2],
                    "amount_minor": entry[3],
                    "reference": entry[9],
                    "rule": entry[10].split(":")[0],
                },
            )
            for entry in rows
        ]
        self.result.postings += len(rows)

    def _post_entries(self, columns: Sequence[str], rows: list[tuple]) -> None:
        """Insert ledger rows (agreement id second, amount fourth) and move each agreement's balance by their
        sum, in the database and in this shard's copy."""
        insert_rows(LedgerEntry, columns, rows)
        totals: dict[int, int] = defaultdict(int)
        for entry in rows:
            totals[entry[1]] += entry[3]
        move_balances(totals)
        for agreement_id, amount in totals.items():
            self.agreements[agreement_id]["balance_minor"] += amount

    def post_what_falls_due(self) -> None:
        """Late fees for newly missed instalments and monthly interest on running accounts, each posted once."""
        window_start = self.as_of - timedelta(days=LATE_FEE_WINDOW_DAYS)
        fee_terms = dict(
            FeeTerm.objects.filter(self.scope, fee_type=LATE_FEE_TYPE).values_list(
                "agreement_id", "amount_minor"
            )
        )
        missed = ScheduleInstalment.objects.filter(
            self.scope,
            due_on__gte=window_start,
            due_on__lt=self.as_of,
            amount_paid_minor__lt=F("amount_due_minor"),
        ).values_list("id", "agreement_id", "due_on")
        wanted: list[tuple[int, str, str, int, str]] = []
        for instalment_id, agreement_id, due_on in missed:
            if agreement_id not in fee_terms or agreement_id not in self.agreements:
                continue
            if self.agreements[agreement_id]["status"] in CLOSED_STATUSES or self.is_frozen(agreement_id):
                continue
            wanted.append(
                (
                    agreement_id,
                    f"cycle:late:{instalment_id}",
                    "fee",
                    fee_terms[agreement_id],
                    f"Late payment, {due_on}",
                )
            )
        for agreement_id, row in self.agreements.items():
            if row["product"] not in account_rules.RUNNING_ACCOUNT_PRODUCTS or not row["rate_bp"]:
                continue
            if row["balance_minor"] <= 0 or row["status"] in CLOSED_STATUSES or self.is_frozen(agreement_id):
                continue
            statement_day = min(row["first_due_on"].day, _month_length(self.as_of))
            if self.as_of.day != statement_day or self.as_of < row["first_due_on"]:
                continue
            interest = row["balance_minor"] * row["rate_bp"] // 120_000
            if interest > 0:
                wanted.append(
                    (
                        agreement_id,
                        f"cycle:interest:{self.as_of:%Y-%m}",
                        "interest",
                        interest,
                        "Monthly interest",
                    )
                )
        if not wanted:
            return
        # keyed postings of this cycle were made within the last ~6 weeks (fee window, monthly interest):
        # look them up for the agreements concerned only, through the (agreement, posted_on) index
        posted: set[tuple[int, str]] = set()
        concerned = sorted({item[0] for item in wanted})
        for start in range(0, len(concerned), 900):
            posted.update(
                LedgerEntry.objects.filter(
                    agreement_id__in=concerned[start : start + 900],
                    posted_on__gte=self.as_of - timedelta(days=45),
                    reference__startswith="cycle:",
                ).values_list("agreement_id", "reference")
            )
        now = timezone.now()
        entries = [
            (self.agreements[agreement_id]["client_id"], agreement_id, kind, amount,
             self.agreements[agreement_id]["currency"], self.as_of, now,
             LATE_FEE_TYPE if kind == "fee" else "", reference, description, self.label)
            for agreement_id, reference, kind, amount, description in wanted
            if (agreement_id, reference) not in posted
        ]  # fmt: skip
        if not entries:
            return
        self._post_entries(ENTRY_COLUMNS, entries)
        self.events += [
            PendingEvent(
                "accounts.agreement",
                str(entry[1]),
                entry[0],
                after={"posted": entry[2], "amount_minor": entry[3], "reference": entry[8]},
            )
            for entry in entries
        ]
        self.result.postings += len(entries)

    # -------------------------------------------------------------------------------------- notices

    def raise_notices(self) -> None:
        """UK-NOSIA-FS / UK-NOSIA-RA (with the 6-month repeat) and US-VALIDATION as NoticeDue rows.

        Which notices are due is decided in one place, the communications domain's ``find_notices_due``
        (the rules written once, with their counting conventions); the cycle records each duty it finds
        once: not again while one is pending for the same rule, nor for a day it was already raised for."""
        from fairpath.communications.notices import RULE_NOTICE_TYPES, find_notices_due

        rule_of = {notice_type: rule for rule, notice_type in RULE_NOTICE_TYPES.items()}
        found = find_notices_due(
            as_of=self.as_of,
            id_range=(self.shard.first_id, self.shard.last_id),
            client_ids=self.shard.client_ids,
        )
        self.facts.need(request.agreement_id for request in found)
        new: list[NoticeDue] = []
        for request in found:
            row = self.agreements.get(request.agreement_id)
            if row is None or row["status"] in CLOSED_STATUSES:
                continue
            rule = rule_of[request.notice_type]
            duty_on = request.duty_on or self.as_of
            existing = self.notices.get(request.agreement_id, [])
            if any(
                item[0] == rule and (item[3] == NoticeDue.Status.PENDING or item[1] == duty_on)
                for item in existing
            ):
                continue
            if rule == "US-VALIDATION" and any(item[0] == rule for item in existing):
                continue
            arrears_minor = self.arrears.get(request.agreement_id, (0,))[0]
            notice = self._notice(request.agreement_id, rule, request.due_by or self.as_of, arrears_minor)
            notice.trigger_on = duty_on
            if rule == "US-VALIDATION":
                facts = self.facts.get(request.agreement_id)
                notice.validation_ends_on = rules.validation_period_end(
                    self.as_of, region=facts.region if facts else ""
                )
            new.append(notice)
        self._save_notices(new)

    def _notice(self, agreement_id: int, rule: str, send_by: date, arrears_minor: int) -> NoticeDue:
        return NoticeDue(
            client_id=self.agreements[agreement_id]["client_id"],
            agreement_id=agreement_id,
            rule=rule,
            trigger_on=self.as_of,
            send_by=send_by,
            arrears_minor=arrears_minor,
            run_date=self.as_of,
        )

    def _save_notices(self, new: list[NoticeDue]) -> None:
        if not new:
            return
        now = timezone.now()
        insert_rows(
            NoticeDue,
            NOTICE_COLUMNS,
            [
                (notice.client_id, notice.agreement_id, notice.rule, notice.trigger_on, notice.send_by,
                 NoticeDue.Status.PENDING.value, notice.remedy_on, notice.validation_ends_on,
                 notice.arrears_minor, notice.run_date, now)
                for notice in new
            ],
        )  # fmt: skip
        for notice in new:
            self.notices[notice.agreement_id].append(
                (notice.rule, notice.trigger_on, notice.send_by, "pending", notice.remedy_on)
            )
            if notice.rule.startswith("UK-NOSIA") and notice.send_by < self.as_of:
                # raised already late (as ``load`` reads a pending one): charges of its days are given back
                self.not_payable["UK-NOSIA-LATE"][notice.agreement_id].append(
                    NotPayable(notice.send_by + timedelta(days=1), None, self.as_of)
                )
        self.events += [
            PendingEvent(
                "collections.noticedue",
                f"{notice.agreement_id}:{notice.rule}:{notice.trigger_on}",
                notice.client_id,
                after={"rule": notice.rule, "send_by": notice.send_by},
            )
            for notice in new
        ]
        self.result.notices += len(new)

    # ------------------------------------------------------------------------------------ treatment

    def fact_frame(self) -> pl.DataFrame:
        """One row per agreement of the shard: what segment conditions look at."""
        vulnerable = set(
            VulnerabilityCue.objects.filter(
                Q(review_on__isnull=True) | Q(review_on__gte=self.as_of),
                customer_id__in=Agreement.objects.filter(
                    id__range=(self.shard.first_id, self.shard.last_id),
                    client_id__in=list(self.shard.client_ids),
                ).values("customer_id"),
            ).values_list("customer_id", flat=True)
        )
        last_attempt = dict(
            ContactAttempt.objects.filter(
                self.scope, is_allowed=True, at__lt=_local_noon(self.as_of + timedelta(days=1), "UTC")
            )
            .values("agreement_id")
            .annotate(last=Max("at"))
            .values_list("agreement_id", "last")
            .order_by()
        )
        self.states = {
            row["agreement_id"]: row
            for row in TreatmentState.objects.filter(self.scope).values(
                "agreement_id",
                "strategy_version_id",
                "segment",
                "path",
                "entered_on",
                "next_step",
                "last_contact_on",
            )
        }
        columns: dict[str, list[Any]] = {name: [] for name in strategies.FACT_SCHEMA}
        for agreement_id, row in self.agreements.items():
            if row["status"] in CLOSED_STATUSES:
                continue
            arrears_minor, _missed, dpd, bucket = self.arrears.get(agreement_id, (0, 0, 0, "current"))
            contacted = [
                day
                for day in (
                    last_attempt[agreement_id].date() if agreement_id in last_attempt else None,
                    (self.states.get(agreement_id) or {}).get("last_contact_on"),
                )
                if day is not None
            ]
            columns["agreement_id"].append(agreement_id)
            columns["client_code"].append(self.client_codes.get(row["client_id"], ""))
            columns["product"].append(row["product"])
            columns["dpd"].append(dpd)
            columns["bucket"].append(bucket)
            columns["balance_minor"].append(row["balance_minor"])
            columns["score"].append(None)
            columns["is_vulnerable"].append(row["customer_id"] in vulnerable)
            columns["hold_kinds"].append(
                ",".join(sorted(kind.value for kind in self.active_holds(agreement_id)))
            )
            columns["days_since_contact"].append((self.as_of - max(contacted)).days if contacted else None)
        return pl.DataFrame(columns, schema=strategies.FACT_SCHEMA)

    def treat(self) -> None:
        frame = self.fact_frame()
        by_client = strategy_versions_for(self.shard.client_ids)
        assigned: dict[int, tuple[StrategyVersion, str, str]] = {}
        for client_id, version in by_client.items():
            if version is None:
                continue
            document = _document(version)
            code = self.client_codes.get(client_id, "")
            part = strategies.assign(document, frame.filter(pl.col("client_code") == code))
            for agreement_id, segment, path in part.select("agreement_id", "segment", "path").iter_rows():
                if segment is not None and path is not None:
                    assigned[agreement_id] = (version, segment, path)
        self.schedule(frame, assigned)

    def schedule(self, frame: pl.DataFrame, assigned: dict[int, tuple[StrategyVersion, str, str]]) -> None:
        new_states: list[list[Any]] = []
        changed_states: list[int] = []
        proposals: list[Proposal] = []
        on_path: dict[int, tuple[StrategyVersion, str, str, date, int]] = {}
        for agreement_id in frame.get_column("agreement_id").to_list():
            state = self.states.get(agreement_id)
            version, segment, path = assigned.get(agreement_id, (None, "", ""))
            if state is not None and (state["segment"], state["path"]) == (segment, path):
                entered_on, next_step = state["entered_on"], state["next_step"]
            else:
                entered_on, next_step = self.as_of, 0
            steps = _document(version).path(segment, path).steps if version is not None else ()  # type: ignore[union-attr]
            elapsed = (self.as_of - entered_on).days
            due = [
                (index, step)
                for index, step in enumerate(steps)
                if index >= next_step and step.day <= elapsed
            ]
            for index, step in due:
                proposals.append(Proposal(agreement_id, version, segment, path, entered_on, index, step))  # type: ignore[arg-type]
            new_next = due[-1][0] + 1 if due else next_step
            if version is not None and segment:
                on_path[agreement_id] = (version, segment, path, entered_on, new_next)
            version_id = version.pk if version is not None else None
            row = (version_id, segment, path, entered_on, new_next)
            if state is None:
                if segment:
                    new_states.append(self._state(agreement_id, *row))
            elif (
                state["strategy_version_id"],
                state["segment"],
                state["path"],
                state["entered_on"],
                state["next_step"],
            ) != row:
                changed_states.append(agreement_id)
                new_states.append(self._state(agreement_id, *row, last_contact_on=state["last_contact_on"]))
        proposals += self.retries(on_path)
        actions = self.guard(proposals)
        contacted = {
            action.agreement_id
            for action in actions
            if action.status == ScheduledAction.Status.SCHEDULED and action.channel
        }
        for new_state in new_states:
            if new_state[1] in contacted:
                new_state[7] = self.as_of
        for start in range(0, len(changed_states), BATCH):
            TreatmentState.objects.filter(agreement_id__in=changed_states[start : start + BATCH]).delete()
        insert_rows(TreatmentState, STATE_COLUMNS, new_states)
        self.result.state_changes += len(new_states)
        self._create_work(actions)

    def retries(self, on_path: dict[int, tuple[StrategyVersion, str, str, date, int]]) -> list[Proposal]:
        """Termination-type steps refused on an earlier day (UK-DEFAULT from the recoveries checklist,
        UK-NOSIA-LATE, a hold, consent) whose account is still on the same entry into the same path: each is
        proposed again, once a day, until it goes. One read of the shard's refused termination steps and one
        of their retries (a retry that went is never asked again)."""
        if self.read_only or not on_path:
            return []
        refused = list(
            ScheduledAction.objects.filter(
                self.scope,
                action__in=sorted(ENFORCEMENT_ACTIONS),
                status=ScheduledAction.Status.SUPPRESSED,
                run_date__lt=self.as_of,
            )
            .exclude(key__endswith=RETRY_SUFFIX)
            .values_list("agreement_id", "key", "step_index", "action")
        )
        wanted: list[Proposal] = []
        for agreement_id, key, index, action in refused:
            if agreement_id not in on_path:
                continue
            version, segment, path, entered_on, next_step = on_path[agreement_id]
            if not key.startswith(path_key_prefix(agreement_id, version, segment, path, entered_on)):
                continue  # refused on an earlier entry into a path: the account has moved on
            steps = _document(version).path(segment, path).steps  # type: ignore[union-attr]
            if index >= min(next_step, len(steps)) or steps[index].action != action:
                continue
            wanted.append(
                Proposal(agreement_id, version, segment, path, entered_on, index, steps[index], retry_of=key)
            )
        gone: set[str] = set()
        keys = [proposal.key for proposal in wanted]
        for start in range(0, len(keys), 900):
            gone |= set(
                ScheduledAction.objects.filter(key__in=keys[start : start + 900]).values_list(
                    "key", flat=True
                )
            )
        return [proposal for proposal in wanted if proposal.key not in gone]

    def _state(
        self,
        agreement_id: int,
        version_id: int | None,
        segment: str,
        path: str,
        entered_on: date,
        next_step: int,
        last_contact_on: date | None = None,
    ) -> list[Any]:
        """A TreatmentState row in the order of ``STATE_COLUMNS``."""
        client_id = self.agreements[agreement_id]["client_id"]
        return [client_id, agreement_id, version_id, segment, path, entered_on, next_step, last_contact_on,
                self.as_of]  # fmt: skip

    def guard(self, proposals: list[Proposal]) -> list[PlannedAction]:
        """Check each step with the contact policy guard (holds, consent, times, statute-barred, UK-DEFAULT).

        A refused step is written suppressed with its rule (and counted); a refused retry writes nothing and
        is counted under ``retries_suppressed`` (its first refusal stays as it was); an allowed retry is
        written as a step of its own, keyed after the refused one."""
        keys = [proposal.key for proposal in proposals]
        self.facts.need(proposal.agreement_id for proposal in proposals)
        existing = set()
        for start in range(0, len(keys), 900):
            existing |= set(
                ScheduledAction.objects.filter(key__in=keys[start : start + 900]).values_list(
                    "key", flat=True
                )
            )
        self.load_termination_blocks(
            [
                proposal.agreement_id
                for key, proposal in zip(keys, proposals, strict=True)
                if proposal.step.action in ENFORCEMENT_ACTIONS and key not in existing
            ],
            transfers=[
                proposal.agreement_id
                for key, proposal in zip(keys, proposals, strict=True)
                if proposal.step.action == "recoveries_transfer" and key not in existing
            ],
        )
        actions: list[PlannedAction] = []
        default_steps: dict[int, PlannedAction] = {}
        for key, proposal in zip(keys, proposals, strict=True):
            if key in existing:
                continue
            agreement_id, step = proposal.agreement_id, proposal.step
            decision = self.decide(agreement_id, step.action)
            if proposal.retry_of and not decision.allowed:
                self.result.retries_suppressed[decision.rule or "unknown"] += 1
                continue
            channel = strategies.ACTION_CHANNELS[step.action] or ""
            action = PlannedAction(
                client_id=self.agreements[agreement_id]["client_id"],
                agreement_id=agreement_id,
                key=key,
                action=step.action,
                channel=channel,
                template=step.template,
                segment=proposal.segment,
                path=proposal.path,
                step_index=proposal.index,
                strategy_version_id=proposal.version.pk,
                status=ScheduledAction.Status.SCHEDULED.value
                if decision.allowed
                else ScheduledAction.Status.SUPPRESSED.value,
                rule=decision.rule or "",
                message=(
                    f"Asked again after step {proposal.retry_of} was refused" if proposal.retry_of else ""
                )
                if decision.allowed
                else decision.message[:300],
            )
            actions.append(action)
            if decision.allowed:
                self.result.actions_scheduled += 1
                self.result.retried += 1 if proposal.retry_of else 0
                facts = self.facts.get(agreement_id)
                if step.action == "default_notice" and facts is not None and facts.country == "GB":
                    default_steps[agreement_id] = action
            else:
                self.result.suppressed[decision.rule or "unknown"] += 1
        self.raise_default_notices(default_steps)
        actions = self.transfer_to_recoveries(actions)
        ids = insert_rows(ScheduledAction, ACTION_COLUMNS, [action.row(self.as_of) for action in actions])
        for action, pk in zip(actions, ids, strict=True):
            action.pk = pk
        return actions

    def raise_default_notices(self, steps: dict[int, PlannedAction]) -> None:
        """UK-DEFAULT for the default-notice steps allowed today, as the communications domain's decider
        (``find_notices_due``) finds them due: not where a default notice served since the arrears began
        covers them - whichever way it was served - nor while one is pending. The step says so instead."""
        if not steps:
            return
        from fairpath.communications.notices import find_notices_due

        ids = sorted(steps)
        due = {
            request.agreement_id
            for request in find_notices_due(
                agreement_ids=ids, as_of=self.as_of, default_notice_for=ids, arrears_notices=False
            )
        }
        new_notices = []
        for agreement_id in ids:
            if agreement_id not in due:
                steps[
                    agreement_id
                ].message = (
                    "UK-DEFAULT: a default notice for these arrears was already served or is waiting to go"
                )
                continue
            facts = self.facts[agreement_id]
            notice = self._notice(
                agreement_id, "UK-DEFAULT", self.as_of, self.arrears.get(agreement_id, (0,))[0]
            )
            notice.remedy_on = rules.default_remedy_on(self.as_of, country="GB", region=facts.region)
            new_notices.append(notice)
        self._save_notices(new_notices)

    def load_termination_blocks(self, agreement_ids: Sequence[int], transfers: Sequence[int] = ()) -> None:
        """UK-DEFAULT for the GB agreements among ``agreement_ids`` not asked about yet, in one set-based call
        of the recoveries checklist (its UK-DEFAULT items: no default notice served, or the remedy date not
        yet passed) - the one place that rule is written, so the cycle never decides it differently. The same
        call answers the whole checklist (RECOVERIES-CHECKLIST) for the agreements among ``transfers``."""
        blocks = {
            agreement_id
            for agreement_id in agreement_ids
            if agreement_id not in self.termination_blocks
            and (facts := self.facts.get(agreement_id)) is not None
            and facts.country == "GB"
        }
        lists = {agreement_id for agreement_id in transfers if agreement_id not in self.checklists}
        wanted = sorted(blocks | lists)
        if not wanted:
            return
        checklist = recoveries_checklist(wanted, self.as_of)
        for agreement_id in sorted(blocks):
            reasons = [item.label for item in checklist.get(agreement_id, []) if item.rule == "UK-DEFAULT"]
            self.termination_blocks[agreement_id] = "; ".join(reasons) or None
        for agreement_id in lists:
            self.checklists[agreement_id] = checklist.get(agreement_id, [])

    def decide(self, agreement_id: int, action: str) -> rules.ContactDecision:
        if action in INTERNAL_ACTIONS:
            return rules.ALLOWED
        facts = self.facts.get(agreement_id)
        if facts is None:
            return rules.ALLOWED
        if action in ENFORCEMENT_ACTIONS:
            if self.is_nosia_late(agreement_id):
                return rules.refused("UK-NOSIA-LATE", "A required notice of sums in arrears is late")
            self.load_termination_blocks([agreement_id])  # guard() asked for the whole shard already
            blocked = self.termination_blocks.get(agreement_id)
            if blocked:
                return rules.refused("UK-DEFAULT", f"No termination-type step yet: {blocked}")
        channel = strategies.ACTION_CHANNELS[action] or "letter"
        purpose = strategies.ACTION_PURPOSES.get(action, "collections")
        decision = rules.decide(
            facts, channel=channel, at=self.planned_moment(facts, channel), party="customer", purpose=purpose
        )
        if decision.allowed and action == "recoveries_transfer":
            self.load_termination_blocks([], transfers=[agreement_id])  # guard() asked for the whole shard
            missing = self.checklists.get(agreement_id, [])
            if missing:
                return rules.refused(RECOVERIES_RULE, _not_fully_worked(missing))
        return decision

    def transfer_to_recoveries(self, actions: list[PlannedAction]) -> list[PlannedAction]:
        """RECOVERIES-CHECKLIST: the recoveries transfers allowed today (the checklist passed) are carried out
        through the collections action (``transfer_fully_worked_to_recoveries``: the checklist asked again
        under the rows' lock, ``change_status``, audit rows), with the cycle's system actor and only for the
        accounts whose step is due; each such step is done. One the action still refuses is suppressed naming
        the missing items (a refused retry is left unwritten, as ``guard`` does)."""
        due: dict[int, list[PlannedAction]] = defaultdict(list)
        for action in actions:
            if action.action == "recoveries_transfer" and action.status == ScheduledAction.Status.SCHEDULED:
                due[action.agreement_id].append(action)
        if not due or self.read_only:
            return actions
        from fairpath.collections.actions import transfer_fully_worked_to_recoveries

        outcome = transfer_fully_worked_to_recoveries(
            agreement_ids=sorted(due),
            on=self.as_of,
            actor=self.actor,
            reason=f"Daily cycle {self.as_of}: the strategy's recoveries transfer step, the checklist complete",
        )
        for agreement_id in outcome.transferred:
            for action in due[agreement_id]:
                action.status, action.message = ScheduledAction.Status.DONE.value, "Transferred to recoveries"
            self.agreements[agreement_id]["status"] = account_rules.AgreementStatus.RECOVERIES.value
        dropped: set[str] = set()
        for agreement_id, missing in outcome.refused.items():
            message = _not_fully_worked(missing)
            for action in due[agreement_id]:
                self.result.actions_scheduled -= 1
                if action.key.endswith(RETRY_SUFFIX):
                    self.result.retried -= 1
                    self.result.retries_suppressed[RECOVERIES_RULE] += 1
                    dropped.add(action.key)
                    continue
                action.status, action.rule = ScheduledAction.Status.SUPPRESSED.value, RECOVERIES_RULE
                action.message = message
                self.result.suppressed[RECOVERIES_RULE] += 1
        return [action for action in actions if action.key not in dropped]

    def planned_moment(self, facts: rules.ContactFacts, channel: str) -> datetime:
        """US-HOURS / UK-CONTACT: the moment a step of the day will go - 10:00 in the customer's own time
        zone, or the next moment the quiet hours and the customer's own times allow (daylight-saving safe) -
        the same plan the communications domain sends by, so the guard is asked about the real moment."""
        earliest = rules.local_moment(self.as_of, rules.SEND_LOCAL_TIME, facts.time_zone)
        return rules.next_permitted_moment(facts, channel, earliest) or earliest

    def _create_work(self, actions: list[PlannedAction]) -> None:
        """Call and review steps become work items (the work domain's bulk create)."""
        try:
            from fairpath.work.actions import WorkItemSpec, create_work_items
        except ImportError:  # pragma: no cover - the work domain is installed with the platform
            return
        specs = []
        for action in actions:
            kind = WORK_KINDS.get(action.action)
            if kind is None or action.status != ScheduledAction.Status.SCHEDULED:
                continue
            row = self.agreements[action.agreement_id]
            specs.append(
                WorkItemSpec(
                    client_id=row["client_id"],
                    kind=kind,
                    title=f"{action.action.replace('_', ' ').capitalize()}: {action.segment}/{action.path}",
                    due_at=datetime.combine(self.as_of, time(17, 0), tzinfo=ZoneInfo("UTC")),
                    value_minor=max(self.arrears.get(action.agreement_id, (0,))[0], 0),
                    object_type="collections.scheduledaction",
                    object_id=str(action.pk),
                    agreement_id=action.agreement_id,
                    customer_id=row["customer_id"],
                )
            )
        if specs:
            create_work_items(specs=specs, actor=self.actor)
            self.result.work_items += len(specs)


def _not_fully_worked(missing: Sequence[MissingItem], limit: int = 300) -> str:
    """RECOVERIES-CHECKLIST: every missing item with its rule, to fit a step's message (whole items only)."""
    text = "Missing: "
    for number, item in enumerate(missing):
        part = ("; " if number else "") + str(item)
        if len(text) + len(part) > limit - 3:
            return text + "; …" if number else (text + part)[: limit - 1] + "…"
        text += part
    return text


def _previous_statement(first_due_on: date, statement_on: date) -> date:
    """The statement date a month before ``statement_on`` (the monthly due day, clamped to month ends)."""
    from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

    before = statement_on - relativedelta(months=1)
    return before.replace(day=min(first_due_on.day, _month_length(before)))


def _month_length(day: date) -> int:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (following - timedelta(days=1)).day


_DOCUMENTS: dict[tuple[int, Any], strategies.StrategyDocument] = {}


def _document(version: StrategyVersion) -> strategies.StrategyDocument:
    """A version's parsed document, parsed once per process. Keyed by id and creation time: an id alone
    can name another version after a rolled-back transaction freed it (SQLite reuses row ids)."""
    key = (version.pk, version.created_at)
    if key not in _DOCUMENTS:
        _DOCUMENTS[key] = strategies.document_of(version)
    return _DOCUMENTS[key]


def strategy_versions_for(client_ids: Sequence[int]) -> dict[int, StrategyVersion | None]:
    """Each client's strategy in force: its own active strategy, else the shared one (newest version)."""
    active = list(Strategy.objects.filter(is_active=True).order_by("id"))
    shared = next((strategy for strategy in active if strategy.client_id is None), None)
    own = {strategy.client_id: strategy for strategy in active if strategy.client_id is not None}
    out: dict[int, StrategyVersion | None] = {}
    for client_id in client_ids:
        strategy = own.get(client_id, shared)
        out[client_id] = strategy.current_version() if strategy is not None else None
    return out


@dataclass
class Simulation:
    run_date: date
    accounts: int = 0
    paths: Counter[tuple[str, str]] = field(default_factory=Counter)
    unassigned: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.run_date.isoformat(),
            "accounts": self.accounts,
            "unassigned": self.unassigned,
            "paths": [
                {"segment": segment, "path": path, "accounts": count}
                for (segment, path), count in sorted(self.paths.items())
            ],
        }


def simulate(
    *,
    document: strategies.StrategyDocument,
    run_date: date,
    client: Client | None = None,
    shard_size: int = SHARD_SIZE,
) -> Simulation:
    """Dry run: how many accounts would enter each segment and path on ``run_date``. Changes nothing."""
    result = Simulation(run_date)
    client_ids = _client_ids(client)
    for shard in plan_shards(client_ids, shard_size):
        work = ShardWork(run_date, shard, SystemActor("strategy-simulation"), read_only=True)
        work.load()
        frame = work.fact_frame()
        assigned = strategies.assign(document, frame)
        result.accounts += assigned.height
        for segment, path in assigned.select("segment", "path").iter_rows():
            if segment is None:
                result.unassigned += 1
            else:
                result.paths[(segment, path)] += 1
    return result
