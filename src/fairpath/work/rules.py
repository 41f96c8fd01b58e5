"""Pure rules of the work domain: item priority, the status life cycle, balanced portfolios. No database access.

Priority is a *time-invariant* sort key so that a stored value never goes stale: the item's effective
deadline is its real deadline brought forward by a credit that grows with the value at stake. Sorting by
the effective deadline (earliest first) is the queue order; the band shown on screen (overdue, urgent,
soon, later) is that key compared with "now".
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar


class Kind(StrEnum):
    CALL_DUE = "call_due"
    PROMISE_CHECK = "promise_check"
    REVIEW = "review"
    CASE = "case"
    RECONCILIATION_EXCEPTION = "reconciliation_exception"
    APPROVAL = "approval"
    DATA_ENTRY = "data_entry"


KIND_LABELS = {
    Kind.CALL_DUE: "Call due",
    Kind.PROMISE_CHECK: "Promise to check",
    Kind.REVIEW: "Review",
    Kind.CASE: "Case",
    Kind.RECONCILIATION_EXCEPTION: "Reconciliation exception",
    Kind.APPROVAL: "Approval",
    Kind.DATA_ENTRY: "Data entry",
}


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    SNOOZED = "snoozed"
    DONE = "done"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.SNOOZED: "Snoozed",
    Status.DONE: "Done",
    Status.CANCELLED: "Cancelled",
}

#: WQ-STATUS: the only moves a work item's status may make. Done and cancelled are final.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.SNOOZED, Status.DONE, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.OPEN, Status.SNOOZED, Status.DONE, Status.CANCELLED}),
    Status.SNOOZED: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.CANCELLED}),
    Status.DONE: frozenset(),
    Status.CANCELLED: frozenset(),
}

#: Statuses still waiting for someone: the backlog.
ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.SNOOZED)
#: Statuses get-next may hand out (a snoozed item only once its snooze has ended).
ALLOCATABLE_STATUSES = (Status.OPEN, Status.SNOOZED)


def can_move(current: str, target: str) -> bool:
    """WQ-STATUS: is ``current`` → ``target`` in the transition table?"""
    return Status(target) in TRANSITIONS[Status(current)]


# ----------------------------------------------------------------------------------------------------
# Priority

#: WQ-PRIORITY: value thresholds (minor units) and how far each brings the deadline forward.
VALUE_CREDIT: tuple[tuple[int, timedelta], ...] = (
    (10_000_000, timedelta(hours=48)),  # ≥ 100,000.00
    (1_000_000, timedelta(hours=24)),  # ≥ 10,000.00
    (100_000, timedelta(hours=12)),  # ≥ 1,000.00
    (10_000, timedelta(hours=4)),  # ≥ 100.00
)


def value_credit(value_minor: int) -> timedelta:
    """WQ-PRIORITY: how much earlier an item of this value is treated as due (never negative, monotone in value)."""
    for threshold, credit in VALUE_CREDIT:
        if value_minor >= threshold:
            return credit
    return timedelta(0)


def effective_due(due_at: datetime, value_minor: int) -> datetime:
    """WQ-PRIORITY: the sort key. An earlier deadline or a higher value never gives a later key."""
    return due_at - value_credit(max(value_minor, 0))


class Band(StrEnum):
    OVERDUE = "overdue"
    URGENT = "urgent"
    SOON = "soon"
    LATER = "later"


#: How far ahead of now each band reaches (by effective deadline); checked in this order.
BAND_HORIZONS: tuple[tuple[Band, timedelta], ...] = (
    (Band.OVERDUE, timedelta(0)),
    (Band.URGENT, timedelta(hours=4)),
    (Band.SOON, timedelta(hours=24)),
)
BAND_ORDER = (Band.OVERDUE, Band.URGENT, Band.SOON, Band.LATER)


def priority_band(effective_due_at: datetime, now: datetime) -> Band:
    """The band shown on screen: how close the effective deadline is."""
    for band, horizon in BAND_HORIZONS:
        if effective_due_at < now + horizon:
            return band
    return Band.LATER


def band_cutoff(band: str, now: datetime) -> datetime | None:
    """Items of ``band`` or more urgent have an effective deadline before this instant (None: every item)."""
    for candidate, horizon in BAND_HORIZONS:
        if candidate == band:
            return now + horizon
    return None


#: WQ-AT-RISK: an active item is at risk when its real deadline is this close (or passed).
AT_RISK_WINDOW = timedelta(hours=2)

#: Backlog age bands for the team leader console: (label, lower bound inclusive, upper bound exclusive).
AGE_BANDS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("< 1 day", timedelta(0), timedelta(days=1)),
    ("1–3 days", timedelta(days=1), timedelta(days=3)),
    ("3–7 days", timedelta(days=3), timedelta(days=7)),
    ("> 7 days", timedelta(days=7), None),
)


# ----------------------------------------------------------------------------------------------------
# Portfolios

#: WQ-PORTFOLIO: an agent's portfolio size is configurable between these bounds.
MIN_CAPACITY = 200
MAX_CAPACITY = 1000
DEFAULT_CAPACITY = 500

Account = TypeVar("Account", bound=Hashable)
Agent = TypeVar("Agent", bound=Hashable)


def capacity_problem(capacity: int) -> str | None:
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        return f"A portfolio holds between {MIN_CAPACITY} and {MAX_CAPACITY} accounts; {capacity} is outside"
    return None


def portfolio_targets(total: int, capacities: Mapping[Agent, int]) -> dict[Agent, int]:
    """How many accounts each agent should hold: as equal as capacities allow (water-filling), never over capacity.

    Shares differ by at most one between agents not at capacity; the extra ones go to agents in a fixed
    (sorted) order so the result is deterministic.
    """
    targets = dict.fromkeys(capacities, 0)
    remaining = min(total, sum(capacities.values()))
    open_agents = sorted(capacities, key=lambda agent: (capacities[agent], str(agent)))
    while remaining > 0 and open_agents:
        share, extra = divmod(remaining, len(open_agents))
        capped = [agent for agent in open_agents if capacities[agent] - targets[agent] <= share]
        if capped:
            for agent in capped:
                remaining -= capacities[agent] - targets[agent]
                targets[agent] = capacities[agent]
            open_agents = [agent for agent in open_agents if agent not in capped]
            continue
        for index, agent in enumerate(sorted(open_agents, key=str)):
            targets[agent] += share + (1 if index < extra else 0)
        remaining = 0
    return targets


@dataclass(frozen=True)
class PortfolioPlan:
    """The assignment after balancing, and what changed: moves, new assignments and accounts left unassigned."""

    assignment: dict  # account -> agent
    moved: dict  # account -> (old agent, new agent)
    added: dict  # account -> agent (was unassigned)
    released: dict  # account -> old agent (now unassigned: nobody has room)


def balance_portfolios(
    accounts: Sequence[Account],
    current: Mapping[Account, Agent],
    capacities: Mapping[Agent, int],
) -> PortfolioPlan:
    """WQ-PORTFOLIO: spread ``accounts`` over agents as evenly as capacities allow, moving as few as possible.

    Continuity: an agent keeps min(current holding, target) of the accounts they already hold, so an agent
    at or under target keeps every account, and an agent over target gives up only the excess (the most
    recently listed ones first). Accounts of agents who left, and the excess, go to agents under target,
    the one furthest under target first.
    """
    account_set = set(accounts)
    targets = portfolio_targets(len(account_set), capacities)
    held: dict[Agent, list[Account]] = {agent: [] for agent in capacities}
    pool: list[Account] = []
    for account in accounts:
        agent = current.get(account)
        if agent is not None and agent in held:
            held[agent].append(account)
        else:
            pool.append(account)
    for agent, holding in held.items():
        excess = len(holding) - targets[agent]
        if excess > 0:
            pool.extend(holding[-excess:])
            del holding[-excess:]
    deficits = sorted(
        ((targets[agent] - len(held[agent]), str(agent), agent) for agent in held), reverse=True
    )
    cursor = 0
    for gap, _, agent in deficits:
        if gap <= 0:
            continue
        held[agent].extend(pool[cursor : cursor + gap])
        cursor += gap
    assignment = {account: agent for agent, holding in held.items() for account in holding}
    moved, added, released = {}, {}, {}
    for account in accounts:
        before, after = current.get(account), assignment.get(account)
        if before == after:
            continue
        if after is None:
            released[account] = before
        elif before is None:
            added[account] = after
        else:
            moved[account] = (before, after)
    return PortfolioPlan(assignment=assignment, moved=moved, added=added, released=released)


def round_robin(items: Sequence[Account], agents: Sequence[Agent], start: int = 0) -> dict[Account, Agent]:
    """Deal ``items`` to ``agents`` in turn, beginning with the agent at ``start`` (the team's cursor)."""
    if not agents:
        return {}
    return {item: agents[(start + index) % len(agents)] for index, item in enumerate(items)}
