"""Reads of the work domain, already narrowed to the user's clients. The console is a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone

from fairpath.governance.access import client_ids_for
from fairpath.governance.models import User
from fairpath.work import rules
from fairpath.work.actions import queue_filter
from fairpath.work.models import Queue, WorkItem

S = rules.Status
ACTIVE = [status.value for status in rules.ACTIVE_STATUSES]
LIST_LIMIT = 100


def visible_items(user: Any) -> QuerySet[WorkItem]:
    return WorkItem.objects.for_user(user)


def item_for(user: Any, item_id: int) -> WorkItem | None:
    """One item of the user's clients, or None (a foreign item is simply not found)."""
    return (
        visible_items(user)
        .select_related("client", "owner", "agreement", "customer")
        .filter(pk=item_id)
        .first()
    )


def items_page(
    user: Any, *, status: str = "", mine: bool = False, limit: int = LIST_LIMIT, offset: int = 0
) -> list[WorkItem]:
    items = visible_items(user).select_related("client", "owner", "skill")
    if status:
        items = items.filter(status=status)
    if mine:
        items = items.filter(owner_id=user.pk)
    return list(items.order_by("effective_due_at", "id")[offset : offset + limit])


def my_items(user: User) -> list[WorkItem]:
    """The user's open and in-progress items, most urgent first."""
    return list(
        visible_items(user)
        .filter(owner_id=user.pk, status__in=[S.OPEN.value, S.IN_PROGRESS.value])
        .select_related("client", "agreement", "customer")
        .order_by("-status", "effective_due_at", "id")[:LIST_LIMIT]
    )


def my_snoozed(user: User) -> list[WorkItem]:
    return list(
        visible_items(user)
        .filter(owner_id=user.pk, status=S.SNOOZED.value)
        .select_related("client", "agreement", "customer")
        .order_by("snoozed_until", "id")[:LIST_LIMIT]
    )


def queue_is_visible(user: Any, queue: Queue) -> bool:
    """A queue that names clients is visible only to people granted every one of them."""
    named = {int(value) for value in (queue.filters or {}).get("client_ids", [])}
    return named <= client_ids_for(user)


def queues_for(user: Any) -> list[Queue]:
    queues = Queue.objects.select_related("required_skill", "team").order_by("name", "id")
    return [queue for queue in queues if queue_is_visible(user, queue)]


def queue_for(user: Any, queue_id: int) -> Queue | None:
    queue = Queue.objects.select_related("required_skill", "team").filter(pk=queue_id).first()
    return queue if queue is not None and queue_is_visible(user, queue) else None


def assignable_people(user: Any) -> list[User]:
    """Active people who work items and share at least one of the user's clients (for the reassign menus)."""
    client_ids = sorted(client_ids_for(user))
    return list(
        User.objects.filter(is_active=True, role__permissions__codename="change_workitem",
                            role__permissions__content_type__app_label="work")
        .filter(Q(all_clients=True) | Q(clients__in=client_ids))
        .distinct()
        .order_by("first_name", "username")
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------------
# Team leader console


@dataclass
class AgentHours:
    username: str
    counts: list[int]
    total: int


@dataclass
class BacklogRow:
    name: str
    counts: list[int]
    total: int


@dataclass
class TrendPoint:
    day: date
    created: int
    finished: int
    backlog: int


@dataclass
class Console:
    """Everything on the team leader console, built in a fixed number of queries whatever the backlog size."""

    now: datetime
    working_now: list[WorkItem]
    hours: list[datetime]
    done_per_hour: list[AgentHours]
    age_bands: list[str]
    backlog: list[BacklogRow]
    at_risk: list[WorkItem]
    trend: list[TrendPoint]
    people: list[User] = field(default_factory=list)
    #: When the backlog, the at-risk count and today's trend figures were counted (at most ``BACKLOG_FRESH`` ago).
    counted_at: datetime | None = None
    at_risk_count: int = 0
    at_risk_offset: int = 0
    page_size: int = 0

    @property
    def at_risk_next(self) -> int | None:
        """Where the next page of the at-risk list starts, when this one is full."""
        return self.at_risk_offset + self.page_size if len(self.at_risk) == self.page_size else None

    @property
    def at_risk_previous(self) -> int:
        return max(self.at_risk_offset - self.page_size, 0)


HOURS_SHOWN = 8
TREND_DAYS = 14
#: Rows of the at-risk list per page: each row carries a reassign menu of the whole team.
AT_RISK_PAGE = 50
#: The backlog aggregates every active item (125k on a 1M book): counted at most once this many seconds per
#: set of clients and queues, and the page says when.
BACKLOG_FRESH = 60


@dataclass
class BacklogCount:
    """The figures that read every active item, counted together at ``at``."""

    at: datetime
    rows: list[BacklogRow]
    active: int
    at_risk: int
    created_today: int
    finished_today: int


def console(user: Any, now: datetime | None = None, *, at_risk_offset: int = 0) -> Console:
    """The console: who works on what and done per hour read live; the backlog by age band and queue, the
    number at risk and today's trend figures counted at most once a minute (``counted_at`` says when); the
    trend's earlier days once a day; the at-risk list (live) ``AT_RISK_PAGE`` rows from ``at_risk_offset``."""
    now = now or timezone.now()
    items = visible_items(user)
    working_now = list(
        items.filter(status=S.IN_PROGRESS.value)
        .select_related("owner", "client")
        .order_by("owner__username", "started_at")[:LIST_LIMIT]
    )
    first_hour = (now - timedelta(hours=HOURS_SHOWN - 1)).replace(minute=0, second=0, microsecond=0)
    hours = [first_hour + timedelta(hours=index) for index in range(HOURS_SHOWN)]
    per_hour = (
        items.filter(status=S.DONE.value, completed_at__gte=first_hour, owner__isnull=False)
        .annotate(hour=TruncHour("completed_at"))
        .values("owner__username", "hour")
        .annotate(done=Count("id"))
    )
    by_agent: dict[str, dict[datetime, int]] = {}
    for row in per_hour:
        by_agent.setdefault(row["owner__username"], {})[row["hour"]] = row["done"]
    done_per_hour = [
        AgentHours(username, [counts.get(hour, 0) for hour in _aware(hours)], sum(counts.values()))
        for username, counts in sorted(by_agent.items())
    ]
    queues = queues_for(user)
    client_ids = client_ids_for(user)
    counted = _counted(items, queues, now, client_ids)
    at_risk_offset = max(at_risk_offset, 0)
    at_risk = list(
        items.filter(status__in=ACTIVE, due_at__lt=now + rules.AT_RISK_WINDOW)
        .select_related("owner", "client")
        .order_by("due_at", "id")[at_risk_offset : at_risk_offset + AT_RISK_PAGE]
    )
    return Console(
        now=now,
        working_now=working_now,
        hours=hours,
        done_per_hour=done_per_hour,
        age_bands=[label for label, _, _ in rules.AGE_BANDS],
        backlog=counted.rows,
        at_risk=at_risk,
        trend=_trend(items, counted, client_ids),
        people=assignable_people(user),
        counted_at=counted.at,
        at_risk_count=counted.at_risk,
        at_risk_offset=at_risk_offset,
        page_size=AT_RISK_PAGE,
    )


def _counted(
    items: QuerySet[WorkItem], queues: list[Queue], now: datetime, client_ids: frozenset[int]
) -> BacklogCount:
    """The backlog figures of these clients and queues, from the cache when counted less than a minute ago."""
    clients = ",".join(str(client_id) for client_id in sorted(client_ids))
    shape = ",".join(f"{queue.pk}@{queue.updated_at.timestamp()}" for queue in queues)
    key = f"work:backlog:{clients}:{shape}"
    counted = cache.get(key)
    if counted is None or not (now - timedelta(seconds=BACKLOG_FRESH) <= counted.at <= now):
        counted = _count_backlog(items, queues, now)
        cache.set(key, counted, timeout=BACKLOG_FRESH)
    return counted


def _aware(hours: list[datetime]) -> list[datetime]:
    return [timezone.localtime(hour).replace(minute=0, second=0, microsecond=0) for hour in hours]


def _band_q(now: datetime, lower: timedelta, upper: timedelta | None) -> Q:
    condition = Q(created_at__lte=now - lower)
    if upper is not None:
        condition &= Q(created_at__gt=now - upper)
    return condition


def _count_backlog(items: QuerySet[WorkItem], queues: list[Queue], now: datetime) -> BacklogCount:
    """Active items by age band, for every item and for each queue, all active items and those at risk: one
    aggregate query; today's items created and finished: two more, through the creation and completion
    indexes (the trend walks back from these, so it does not count the backlog again)."""
    groups: list[tuple[str, Q]] = [("All work", Q())] + [
        (queue.name, queue_filter(queue, now)) for queue in queues
    ]
    aggregates = {}
    for group_index, (_, group_q) in enumerate(groups):
        for band_index, (_, lower, upper) in enumerate(rules.AGE_BANDS):
            aggregates[f"g{group_index}_b{band_index}"] = Count(
                "id", filter=group_q & _band_q(now, lower, upper)
            )
    counts = items.filter(status__in=ACTIVE).aggregate(
        **aggregates,
        active=Count("id"),
        at_risk=Count("id", filter=Q(due_at__lt=now + rules.AT_RISK_WINDOW)),
    )
    rows = []
    for group_index, (name, _) in enumerate(groups):
        values = [counts[f"g{group_index}_b{band_index}"] or 0 for band_index in range(len(rules.AGE_BANDS))]
        rows.append(BacklogRow(name, values, sum(values)))
    today = timezone.localdate(now)
    created, finished = _per_day(items, _day_start(today), None)
    return BacklogCount(
        at=now,
        rows=rows,
        active=counts["active"] or 0,
        at_risk=counts["at_risk"] or 0,
        created_today=created.get(today, 0),
        finished_today=finished.get(today, 0),
    )


def _trend(items: QuerySet[WorkItem], counted: BacklogCount, client_ids: frozenset[int]) -> list[TrendPoint]:
    """Items created and finished per day over the last fortnight, and the backlog left at each day's end
    (walked back from the backlog as counted).

    A day that has ended never changes (an item's creation and its finish are written once, and items are
    never deleted), so the days before today are counted once a day per set of clients and kept in the cache
    until midnight; today's two figures come with the backlog count.
    """
    today = timezone.localdate(counted.at)
    first_day = today - timedelta(days=TREND_DAYS - 1)
    key = f"work:trend:{today.isoformat()}:{','.join(str(client_id) for client_id in sorted(client_ids))}"
    past = cache.get(key)
    if past is None:
        past = _per_day(items, _day_start(first_day), _day_start(today))
        seconds_left = (_day_start(today + timedelta(days=1)) - counted.at).total_seconds()
        cache.set(key, past, timeout=max(int(seconds_left), 1))
    created, finished = dict(past[0]), dict(past[1])
    created[today], finished[today] = counted.created_today, counted.finished_today
    days = [first_day + timedelta(days=index) for index in range(TREND_DAYS)]
    points: list[TrendPoint] = []
    backlog = counted.active
    for day in reversed(days):  # walk back from today's backlog
        points.append(TrendPoint(day, created.get(day, 0), finished.get(day, 0), backlog))
        backlog = backlog - created.get(day, 0) + finished.get(day, 0)
    return list(reversed(points))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _per_day(
    items: QuerySet[WorkItem], start: datetime, end: datetime | None
) -> tuple[dict[date, int], dict[date, int]]:
    """Items created, and items finished (done or cancelled), per local day from ``start`` up to ``end``."""
    created_in = Q(created_at__gte=start) & (Q(created_at__lt=end) if end else Q())
    finished_in = Q(completed_at__gte=start) & (Q(completed_at__lt=end) if end else Q())
    created = dict(
        items.filter(created_in)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    finished = dict(
        items.filter(finished_in, status__in=[S.DONE.value, S.CANCELLED.value])
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return created, finished


# ----------------------------------------------------------------------------------------------------
# Portfolios


@dataclass
class PortfolioLoad:
    client_id: int
    client_name: str
    username: str
    display_name: str
    accounts: int
    capacity: int


def portfolio_loads(user: Any) -> list[PortfolioLoad]:
    """How many accounts each agent holds per client, next to their capacity: two queries."""
    from fairpath.work.models import AgentProfile, PortfolioAssignment

    rows = list(
        PortfolioAssignment.objects.for_user(user)
        .values(
            "client_id",
            "client__name",
            "agent_id",
            "agent__username",
            "agent__first_name",
            "agent__last_name",
        )
        .annotate(accounts=Count("id"))
        .order_by("client__name", "agent__username")
    )
    capacities = dict(
        AgentProfile.objects.filter(agent_id__in={row["agent_id"] for row in rows}).values_list(
            "agent_id", "portfolio_capacity"
        )
    )
    return [
        PortfolioLoad(
            client_id=row["client_id"],
            client_name=row["client__name"],
            username=row["agent__username"],
            display_name=f"{row['agent__first_name']} {row['agent__last_name']}".strip()
            or row["agent__username"],
            accounts=row["accounts"],
            capacity=capacities.get(row["agent_id"], rules.DEFAULT_CAPACITY),
        )
        for row in rows
    ]
