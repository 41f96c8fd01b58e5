"""Every change to work items, queues, skills and portfolios: keyword-only, explicit actor, one transaction, audit.

Allocation (``get_next``) must never hand one item to two people. On PostgreSQL it is one statement that
picks and claims the row together, skipping rows another transaction holds (``FOR UPDATE SKIP LOCKED``);
on SQLite every write transaction is ``BEGIN IMMEDIATE`` so writers run one at a time, and the claim is a
conditional ``UPDATE ... WHERE status IN (open, snoozed)`` whose row count is checked.

Batch moves (bulk reassign, round robin, portfolio balancing) are set-based: one statement per target
agent at most, history rows and audit events written in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from fairpath.accounts.models import Agreement, Customer
from fairpath.accounts.rules import AgreementStatus
from fairpath.clients.models import Client
from fairpath.core.bulk import insert_rows
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.access import client_ids_for
from fairpath.governance.audit import (
    Actor,
    PendingEvent,
    SystemActor,
    actor_label,
    record_event,
    record_events_bulk,
)
from fairpath.governance.models import User
from fairpath.work import rules
from fairpath.work.models import (
    AgentProfile,
    AgentSkill,
    PortfolioAssignment,
    Queue,
    Skill,
    Team,
    WorkItem,
    WorkItemHistory,
)

S = rules.Status
ITEM_TYPE = "work.workitem"
MAX_BULK = 5000


# ----------------------------------------------------------------------------------------------------
# Guards


def _require_item_client(actor: Actor, item: WorkItem) -> None:
    if isinstance(actor, SystemActor):
        return
    if item.client_id not in client_ids_for(actor):
        raise NotPermitted("This work item belongs to a client you are not granted", rule="ACCESS-CLIENT")


def _may_work(actor: Actor, item: WorkItem) -> None:
    """WQ-OWNER: an item is worked by its owner; someone else needs the reassign permission."""
    _require_item_client(actor, item)
    if isinstance(actor, SystemActor):
        return
    if item.owner_id not in (None, actor.pk) and not actor.has_perm("work.reassign_workitem"):
        raise NotPermitted("This item is assigned to someone else", rule="WQ-OWNER")


def _require_reassigner(actor: Actor) -> None:
    if isinstance(actor, SystemActor):
        return
    if not actor.has_perm("work.reassign_workitem"):
        raise NotPermitted("Only a team leader may assign work to others", rule="ACCESS-ROLE")


def _require_owner_can_take(owner: User, client_ids: Iterable[int]) -> None:
    """WQ-OWNER: an item can only go to an active person granted its client."""
    if not owner.is_active:
        raise InvalidInput(f"{owner.username} is not active", rule="WQ-OWNER", field="owner")
    missing = set(client_ids) - client_ids_for(owner)
    if missing:
        raise InvalidInput(
            f"{owner.username} is not granted the client of every item", rule="WQ-OWNER", field="owner"
        )


def _check_move(item: WorkItem, target: str) -> None:
    if item.status != target and not rules.can_move(item.status, target):
        raise Refusal(
            f"A work item that is {item.get_status_display().lower()} cannot become {rules.STATUS_LABELS[S(target)].lower()}",
            rule="WQ-STATUS",
        )


def _state(status: str, owner_id: int | None, **extra: Any) -> dict[str, Any]:
    return {"status": status, "owner_id": owner_id, **extra}


# ----------------------------------------------------------------------------------------------------
# Creating work (called by cases, collections, payments, …)


@dataclass(frozen=True)
class WorkItemSpec:
    """One item to create in bulk; ``subject`` (any model instance) fills object_type/object_id."""

    client_id: int
    kind: str
    title: str
    due_at: datetime
    value_minor: int = 0
    object_type: str = ""
    object_id: str = ""
    agreement_id: int | None = None
    customer_id: int | None = None
    skill_id: int | None = None
    owner_id: int | None = None


def _skill_id(skill: Skill | str | None) -> int | None:
    if skill is None:
        return None
    if isinstance(skill, Skill):
        return skill.pk
    found = Skill.objects.filter(code=skill).values_list("id", flat=True).first()
    if found is None:
        raise InvalidInput(f"There is no skill {skill!r}", field="skill")
    return found


def _validate_spec(spec: WorkItemSpec) -> None:
    if spec.kind not in rules.Kind.__members__.values():
        raise InvalidInput(f"{spec.kind!r} is not a kind of work item", field="kind")
    if not spec.title.strip():
        raise InvalidInput("A work item needs a title", field="title")
    if spec.value_minor < 0:
        raise InvalidInput("The value at stake cannot be negative", field="value_minor")
    if timezone.is_naive(spec.due_at):
        raise InvalidInput("The deadline needs a time zone", field="due_at")


def create_work_item(
    *,
    client: Client,
    kind: str,
    title: str,
    due_at: datetime,
    actor: Actor,
    value_minor: int = 0,
    subject: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    agreement: Agreement | None = None,
    customer: Customer | None = None,
    skill: Skill | str | None = None,
    owner: User | None = None,
    assign_portfolio_owner: bool = True,
) -> WorkItem:
    """Put one piece of work in the queues. With no ``owner``, the agreement's portfolio agent owns it (if any)."""
    if subject is not None:
        object_type, object_id = subject._meta.label_lower, str(subject.pk)
    customer_id: int | None
    if customer is None and agreement is not None:
        customer_id = agreement.customer_id
    else:
        customer_id = customer.pk if customer is not None else None
    spec = WorkItemSpec(
        client_id=client.pk,
        kind=kind,
        title=title,
        due_at=due_at,
        value_minor=value_minor,
        object_type=object_type,
        object_id=str(object_id),
        agreement_id=agreement.pk if agreement is not None else None,
        customer_id=customer_id,
        skill_id=_skill_id(skill),
        owner_id=owner.pk if owner is not None else None,
    )
    items = _create(specs=[spec], actor=actor, assign_portfolio_owner=assign_portfolio_owner, single=True)
    return items[0]


def create_work_items(
    *, specs: Sequence[WorkItemSpec], actor: Actor, assign_portfolio_owner: bool = True
) -> list[WorkItem]:
    """Create many items at once (a daily cycle's calls due, an import's exceptions): bulk inserts, bulk audit."""
    return _create(specs=specs, actor=actor, assign_portfolio_owner=assign_portfolio_owner, single=False)


# what a new item is written with (the rest are empty until it is worked)
_NEW_ITEM_COLUMNS = ("client_id", "kind", "title", "object_type", "object_id", "agreement_id", "customer_id",
                     "due_at", "value_minor", "effective_due_at", "skill_id", "owner_id", "status", "created_at",
                     "outcome")  # fmt: skip


def _create(
    *, specs: Sequence[WorkItemSpec], actor: Actor, assign_portfolio_owner: bool, single: bool
) -> list[WorkItem]:
    for spec in specs:
        _validate_spec(spec)
    if not isinstance(actor, SystemActor):
        foreign = {spec.client_id for spec in specs} - client_ids_for(actor)
        if foreign:
            raise NotPermitted("Work can only be created for clients you are granted", rule="ACCESS-CLIENT")
    portfolio: dict[int, int] = {}
    if assign_portfolio_owner:
        agreement_ids = {spec.agreement_id for spec in specs if spec.agreement_id and spec.owner_id is None}
        if agreement_ids:
            portfolio = dict(
                PortfolioAssignment.objects.filter(agreement_id__in=agreement_ids).values_list(
                    "agreement_id", "agent_id"
                )
            )
    now = timezone.now()
    items = [
        WorkItem(
            client_id=spec.client_id,
            kind=spec.kind,
            title=spec.title.strip()[:200],
            object_type=spec.object_type,
            object_id=spec.object_id,
            agreement_id=spec.agreement_id,
            customer_id=spec.customer_id,
            due_at=spec.due_at,
            value_minor=spec.value_minor,
            effective_due_at=rules.effective_due(spec.due_at, spec.value_minor),
            skill_id=spec.skill_id,
            owner_id=spec.owner_id or (portfolio.get(spec.agreement_id) if spec.agreement_id else None),
            status=S.OPEN.value,
            created_at=now,
        )
        for spec in specs
    ]
    with transaction.atomic():
        # COPY on PostgreSQL (a night's tens of thousands of call tasks), bulk_create elsewhere
        ids = insert_rows(
            WorkItem,
            _NEW_ITEM_COLUMNS,
            [[getattr(item, name) for name in _NEW_ITEM_COLUMNS] for item in items],
        )
        for item, pk in zip(items, ids, strict=True):
            item.pk = pk
            item._state.adding = False
        created, label = timezone.now(), actor_label(actor)
        insert_rows(
            WorkItemHistory,
            _HISTORY_COLUMNS,
            [(item.pk, "", item.status, None, item.owner_id, created, label, "created") for item in items],
            returning_ids=False,
        )
        if single:
            item = items[0]
            record_event(
                actor=actor,
                action="work.item_created",
                obj=item,
                after=_state(item.status, item.owner_id, kind=item.kind, due_at=item.due_at.isoformat()),
            )
        else:
            record_events_bulk(
                actor=actor,
                action="work.item_created",
                events=[
                    PendingEvent(
                        ITEM_TYPE,
                        str(item.pk),
                        item.client_id,
                        after=_state(item.status, item.owner_id, kind=item.kind),
                    )
                    for item in items
                ],
            )
    return items


# ----------------------------------------------------------------------------------------------------
# Allocation


def _ordering(queue: Queue | None) -> list[str]:
    if queue is None or queue.ordering == Queue.Ordering.PRIORITY:
        return ["effective_due_at", "id"]
    if queue.ordering == Queue.Ordering.DUE:
        return ["due_at", "id"]
    return ["created_at", "id"]


def queue_filter(queue: Queue, now: datetime) -> Q:
    """The items a queue presents (WQ-QUEUE): its kinds, clients, minimum priority band and skill."""
    condition = Q()
    filters = queue.filters or {}
    if filters.get("kinds"):
        condition &= Q(kind__in=list(filters["kinds"]))
    if filters.get("client_ids"):
        condition &= Q(client_id__in=[int(value) for value in filters["client_ids"]])
    cutoff = rules.band_cutoff(filters.get("min_band", ""), now) if filters.get("min_band") else None
    if cutoff is not None:
        condition &= Q(effective_due_at__lt=cutoff)
    if queue.required_skill_id is not None:
        condition &= Q(skill_id=queue.required_skill_id)
    return condition


def allocatable_for(agent: User, now: datetime, queue: Queue | None = None) -> models.QuerySet[WorkItem]:
    """Items ``agent`` may be handed now: open, in their clients, needing a skill they hold (or none), free or theirs.

    A snoozed item always has an owner; it is reopened for them (``_wake``) as soon as its snooze ends.
    """
    skill_ids = AgentSkill.objects.filter(agent_id=agent.pk).values(
        "skill_id"
    )  # a subquery, not a round trip
    candidates = WorkItem.objects.filter(
        Q(owner__isnull=True) | Q(owner_id=agent.pk),
        Q(status=S.OPEN.value),
        Q(skill__isnull=True) | Q(skill_id__in=skill_ids),
        client_id__in=sorted(client_ids_for(agent)),
    )
    if queue is not None:
        candidates = candidates.filter(queue_filter(queue, now))
    return candidates


def get_next(*, agent: User, queue: Queue | None = None) -> WorkItem | None:
    """WQ-ALLOCATE: hand ``agent`` the most urgent item they may work, claimed for them alone; None when none is left.

    Four statements when nothing is snoozed: wake ended snoozes (a read), claim with its history row, and the
    audit event (lock the chain head, write). The claim hands back the item's row, so it is not read again.
    """
    if not agent.has_perm("work.change_workitem"):
        raise NotPermitted("Your role does not work items", rule="ACCESS-ROLE")
    now = timezone.now()
    candidates = allocatable_for(agent, now, queue).order_by(*_ordering(queue))
    with transaction.atomic():
        _wake(owner=agent, now=now, actor=SystemActor("work.wake"))
        claim = _claim_postgresql if connection.vendor == "postgresql" else _claim_conditional
        claimed = claim(candidates, agent, now)
        if claimed is None:
            return None
        item, from_status, from_owner_id = claimed
        item.owner = agent  # the claim made them the owner: no query to show whose it is
        record_event(
            actor=agent,
            action="work.item_allocated",
            obj=item,
            before=_state(from_status, from_owner_id),
            after=_state(item.status, item.owner_id),
            reason="get next",
        )
    return item


_ITEM_FIELDS = [model_field for model_field in WorkItem._meta.concrete_fields]
_ITEM_COLUMNS = {model_field.attname: model_field.column for model_field in _ITEM_FIELDS}
_HISTORY_COLUMNS = (
    "item_id",
    "from_status",
    "to_status",
    "from_owner_id",
    "to_owner_id",
    "at",
    "actor_label",
    "reason",
)


def _claim_postgresql(
    candidates: models.QuerySet[WorkItem], agent: User, now: datetime
) -> tuple[WorkItem, str, int | None] | None:
    """One statement: lock the best unlocked candidate (SKIP LOCKED), claim it, write its history row, and
    return the claimed row with its previous status and owner."""
    picked = candidates.values("id", "status", "owner_id")[:1]
    sub_sql, sub_params = picked.query.get_compiler(using=candidates.db).as_sql()
    quote = connection.ops.quote_name
    table = quote(WorkItem._meta.db_table)
    returned = ", ".join(f"{table}.{quote(model_field.column)}" for model_field in _ITEM_FIELDS)
    history = quote(WorkItemHistory._meta.db_table)
    sql = (
        f"WITH picked AS ({sub_sql} FOR UPDATE SKIP LOCKED), "
        f"claimed AS (UPDATE {table} SET {quote('status')} = %s, {quote('owner_id')} = %s, "
        f"{quote('started_at')} = %s, {quote('snoozed_until')} = NULL "
        f"FROM picked WHERE {table}.{quote('id')} = picked.{quote('id')} "
        f"RETURNING {returned}, picked.{quote('status')} AS from_status, picked.{quote('owner_id')} AS from_owner), "
        f"history AS (INSERT INTO {history} ({', '.join(quote(name) for name in _HISTORY_COLUMNS)}) "
        f"SELECT {quote('id')}, from_status, {quote('status')}, from_owner, {quote('owner_id')}, %s, %s, %s "
        f"FROM claimed) "
        f"SELECT * FROM claimed"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*sub_params, S.IN_PROGRESS.value, agent.pk, now, now, actor_label(agent), "get next"]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    names = [model_field.attname for model_field in _ITEM_FIELDS]
    item = WorkItem.from_db(candidates.db, names, row[: len(names)])
    return item, row[len(names)], row[len(names) + 1]


def _claim_conditional(
    candidates: models.QuerySet[WorkItem], agent: User, now: datetime
) -> tuple[WorkItem, str, int | None] | None:
    """SQLite: writers are serialised (BEGIN IMMEDIATE); claim with a conditional UPDATE and check it took."""
    for _attempt in range(5):
        item = candidates.first()
        if item is None:
            return None
        status, owner_id = item.status, item.owner_id
        claimed = WorkItem.objects.filter(
            Q(owner__isnull=True) | Q(owner_id=agent.pk), pk=item.pk, status=status
        ).update(status=S.IN_PROGRESS.value, owner_id=agent.pk, started_at=now, snoozed_until=None)
        if claimed == 1:
            item.status, item.owner_id, item.started_at, item.snoozed_until = (
                S.IN_PROGRESS.value, agent.pk, now, None
            )  # fmt: skip
            WorkItemHistory.objects.create(
                item_id=item.pk, from_status=status, to_status=item.status, from_owner_id=owner_id,
                to_owner_id=agent.pk, at=now, actor_label=actor_label(agent), reason="get next",
            )  # fmt: skip
            return item, status, owner_id
    return None


def start_item(*, item: WorkItem, actor: User) -> WorkItem:
    """Open a chosen item from one's own list: claimed with the same conditional update as get-next."""
    _may_work(actor, item)
    _check_move(item, S.IN_PROGRESS.value)
    now = timezone.now()
    with transaction.atomic():
        before_status, before_owner = item.status, item.owner_id
        claimed = WorkItem.objects.filter(
            Q(owner__isnull=True) | Q(owner_id=actor.pk),
            pk=item.pk,
            status__in=[S.OPEN.value, S.SNOOZED.value],
        ).update(status=S.IN_PROGRESS.value, owner_id=actor.pk, started_at=now, snoozed_until=None)
        if claimed != 1:
            raise Refusal("Someone else took this item first", rule="WQ-ALLOCATE")
        item.status, item.owner_id, item.started_at, item.snoozed_until = (
            S.IN_PROGRESS.value,
            actor.pk,
            now,
            None,
        )
        _record_move(item, before_status, before_owner, actor, "work.item_started", "")
    return item


def _record_move(
    item: WorkItem, before_status: str, before_owner: int | None, actor: Actor, action: str, reason: str
) -> None:
    WorkItemHistory.objects.create(
        item=item,
        from_status=before_status,
        to_status=item.status,
        from_owner_id=before_owner,
        to_owner_id=item.owner_id,
        at=timezone.now(),
        actor_label=actor_label(actor),
        reason=reason[:500],
    )
    _audit_move(item, before_status, before_owner, actor, action, reason)


def _audit_move(
    item: WorkItem, before_status: str, before_owner: int | None, actor: Actor, action: str, reason: str
) -> None:
    record_event(
        actor=actor,
        action=action,
        obj=item,
        before=_state(before_status, before_owner),
        after=_state(item.status, item.owner_id, snoozed_until=item.snoozed_until),
        reason=reason,
    )


def _locked(item: WorkItem) -> WorkItem:
    """Re-read the item with its row locked, so a decision is made on its current state."""
    return WorkItem.objects.select_for_update().get(pk=item.pk)


def _move(
    item: WorkItem,
    *,
    actor: Actor,
    target: str,
    action: str,
    reason: str,
    changes: Callable[[WorkItem], dict[str, Any]],
) -> WorkItem:
    """Move one item to ``target`` (WQ-STATUS, WQ-OWNER), with its history row and audit event.

    The guards decide on the state the caller read (status and owner; the client never changes), and the
    write applies only while the row still has that state: a conditional UPDATE whose row count is checked,
    with the history row written by the same statement on PostgreSQL. When the row moved in between, or a
    guard refuses the caller's copy, the row is read again locked and decided on afresh, so a refusal is
    always about the current state. Three statements on PostgreSQL when nothing raced: the move with its
    history, and the audit event (lock the chain head, write).
    """
    current = item
    for is_locked in (False, True):
        if is_locked:
            current = _locked(item)
        try:
            _may_work(actor, current)
            _check_move(current, target)
        except Refusal:
            if is_locked:
                raise
            continue
        before_status, before_owner = current.status, current.owner_id
        values = {"status": target, **changes(current)}
        if _update_unchanged(current, values, actor=actor, reason=reason):
            for name, value in values.items():
                setattr(current, name, value)
            _audit_move(current, before_status, before_owner, actor, action, reason)
            return current
    raise Refusal("This work item changed while it was being moved; try again", rule="WQ-STATUS")


def _update_unchanged(item: WorkItem, values: dict[str, Any], *, actor: Actor, reason: str) -> bool:
    """Write ``values`` to the item if its status and owner are still the ones read, and its history row."""
    at = timezone.now()
    history = [item.status, values["status"], item.owner_id, values.get("owner_id", item.owner_id), at,
               actor_label(actor), reason[:500]]  # fmt: skip
    if connection.vendor != "postgresql":
        moved = WorkItem.objects.filter(pk=item.pk, status=item.status, owner_id=item.owner_id).update(
            **values
        )
        if moved:
            WorkItemHistory.objects.create(
                item_id=item.pk, **dict(zip(_HISTORY_COLUMNS[1:], history, strict=True))
            )
        return moved == 1
    quote = connection.ops.quote_name
    table = quote(WorkItem._meta.db_table)
    columns = [str(_ITEM_COLUMNS[name]) for name in values]
    sql = (
        f"WITH moved AS (UPDATE {table} SET {', '.join(f'{quote(column)} = %s' for column in columns)} "
        f"WHERE {quote('id')} = %s AND {quote('status')} = %s AND {quote('owner_id')} IS NOT DISTINCT FROM %s "
        f"RETURNING {quote('id')}) "
        f"INSERT INTO {quote(WorkItemHistory._meta.db_table)} ({', '.join(quote(name) for name in _HISTORY_COLUMNS)}) "
        f"SELECT {quote('id')}, {', '.join('%s' for _ in history)} FROM moved"
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values.values(), item.pk, item.status, item.owner_id, *history])
        return cursor.rowcount == 1


def _taken_by(actor: Actor, item: WorkItem) -> dict[str, Any]:
    """An unowned item finished or put aside by a person becomes theirs."""
    if item.owner_id is None and not isinstance(actor, SystemActor):
        return {"owner_id": actor.pk}
    return {}


def complete_item(*, item: WorkItem, actor: Actor, outcome: str = "") -> WorkItem:
    """Mark an item done, with an optional outcome line."""
    outcome = outcome.strip()[:300]
    with transaction.atomic():
        return _move(
            item,
            actor=actor,
            target=S.DONE.value,
            action="work.item_completed",
            reason=outcome,
            changes=lambda current: {
                "completed_at": timezone.now(),
                "snoozed_until": None,
                "outcome": outcome,
                **_taken_by(actor, current),
            },
        )


def snooze_item(*, item: WorkItem, actor: Actor, until: datetime, reason: str = "") -> WorkItem:
    """Put an item aside until ``until``; it stays with its owner and comes back to get-next then."""
    if timezone.is_naive(until):
        raise InvalidInput("The snooze end needs a time zone", field="until")
    if until <= timezone.now():
        raise InvalidInput("A snooze must end in the future", field="until", rule="WQ-SNOOZE")
    with transaction.atomic():
        return _move(
            item,
            actor=actor,
            target=S.SNOOZED.value,
            action="work.item_snoozed",
            reason=reason,
            changes=lambda current: {"snoozed_until": until, **_taken_by(actor, current)},
        )


def cancel_item(*, item: WorkItem, actor: Actor, reason: str) -> WorkItem:
    """Withdraw an item that no longer needs doing (its case closed, its promise was kept)."""
    if not reason.strip():
        raise InvalidInput("Say why the item is cancelled", field="reason")
    with transaction.atomic():
        return _move(
            item,
            actor=actor,
            target=S.CANCELLED.value,
            action="work.item_cancelled",
            reason=reason,
            changes=lambda current: {"completed_at": timezone.now(), "snoozed_until": None},
        )


def release_item(*, item: WorkItem, actor: Actor, reason: str = "") -> WorkItem:
    """Give an item in progress back to the queue (unowned), e.g. at the end of a shift."""
    with transaction.atomic():
        return _move(
            item,
            actor=actor,
            target=S.OPEN.value,
            action="work.item_released",
            reason=reason,
            changes=lambda current: {"owner_id": None, "snoozed_until": None},
        )


# ----------------------------------------------------------------------------------------------------
# Assignment by a team leader


def reassign_item(*, item: WorkItem, owner: User | None, actor: Actor, reason: str = "") -> WorkItem:
    """Give one active item to ``owner`` (None: back to the pool). It becomes open for them to start."""
    moved = reassign_items(item_ids=[item.pk], owner=owner, actor=actor, reason=reason)
    if moved.count != 1:
        raise Refusal("This item is no longer active", rule="WQ-STATUS")
    return WorkItem.objects.select_related("owner").get(pk=item.pk)


@dataclass
class BulkMove:
    """What a set-based move did: how many items moved, and which ids were skipped (finished or not found)."""

    count: int = 0
    skipped: list[int] = field(default_factory=list)


def reassign_items(
    *, item_ids: Sequence[int], owner: User | None, actor: Actor, reason: str = ""
) -> BulkMove:
    """WQ-REASSIGN: bulk reassign active items to ``owner`` in one statement; every move in history and audit.

    Refused as a whole (nothing changes) when any id belongs to a client the actor is not granted, or the
    new owner is not granted the clients of the items.
    """
    _require_reassigner(actor)
    ids = sorted({int(item_id) for item_id in item_ids})
    if not ids:
        return BulkMove()
    if len(ids) > MAX_BULK:
        raise InvalidInput(f"At most {MAX_BULK} items at once", field="item_ids")
    with transaction.atomic():
        rows = list(
            WorkItem.objects.select_for_update()
            .filter(pk__in=ids)
            .values_list("id", "client_id", "status", "owner_id")
            .order_by("id")
        )
        if not isinstance(actor, SystemActor):
            visible = client_ids_for(actor)
            if any(client_id not in visible for _, client_id, _, _ in rows):
                raise NotPermitted("Some items belong to a client you are not granted", rule="ACCESS-CLIENT")
        active = [row for row in rows if row[2] in (S.OPEN.value, S.IN_PROGRESS.value, S.SNOOZED.value)]
        if owner is not None:
            _require_owner_can_take(owner, {client_id for _, client_id, _, _ in active})
        active_ids = [row[0] for row in active]
        new_owner_id = owner.pk if owner is not None else None
        WorkItem.objects.filter(pk__in=active_ids).update(
            status=S.OPEN.value, owner_id=new_owner_id, snoozed_until=None, started_at=None
        )
        now, label = timezone.now(), actor_label(actor)
        WorkItemHistory.objects.bulk_create(
            [
                WorkItemHistory(
                    item_id=item_id,
                    from_status=status,
                    to_status=S.OPEN.value,
                    from_owner_id=owner_id,
                    to_owner_id=new_owner_id,
                    at=now,
                    actor_label=label,
                    reason=reason[:500],
                )
                for item_id, _, status, owner_id in active
            ],
            batch_size=2000,
        )
        record_events_bulk(
            actor=actor,
            action="work.item_reassigned",
            events=[
                PendingEvent(
                    ITEM_TYPE,
                    str(item_id),
                    client_id,
                    before=_state(status, owner_id),
                    after=_state(S.OPEN.value, new_owner_id),
                )
                for item_id, client_id, status, owner_id in active
            ],
            reason=reason,
        )
    moved_ids = set(active_ids)
    skipped = [item_id for item_id in ids if item_id not in moved_ids]
    return BulkMove(count=len(active_ids), skipped=skipped)


def assign_round_robin(
    *, team: Team, item_ids: Sequence[int], actor: Actor, reason: str = "round robin"
) -> BulkMove:
    """Deal unowned open items to the team's members in turn, carrying on from where the last deal stopped."""
    _require_reassigner(actor)
    members = list(team.members.filter(is_active=True).order_by("id"))
    if not members:
        raise InvalidInput("The team has no active members", field="team")
    with transaction.atomic():
        locked_team = Team.objects.select_for_update().get(pk=team.pk)
        rows = list(
            WorkItem.objects.select_for_update()
            .filter(pk__in=list(item_ids), status=S.OPEN.value, owner__isnull=True)
            .values_list("id", "client_id")
            .order_by("effective_due_at", "id")
        )
        if not isinstance(actor, SystemActor):
            visible = client_ids_for(actor)
            if any(client_id not in visible for _, client_id in rows):
                raise NotPermitted("Some items belong to a client you are not granted", rule="ACCESS-CLIENT")
        member_clients = {member.pk: client_ids_for(member) for member in members}
        dealt = rules.round_robin([row for row in rows], members, locked_team.round_robin_cursor)
        by_agent: dict[int, list[int]] = defaultdict(list)
        for (item_id, client_id), member in dealt.items():
            if client_id not in member_clients[member.pk]:
                raise InvalidInput(
                    f"{member.username} is not granted the client of item {item_id}",
                    rule="WQ-OWNER",
                    field="team",
                )
            by_agent[member.pk].append(item_id)
        for agent_id, agent_items in by_agent.items():
            WorkItem.objects.filter(pk__in=agent_items).update(owner_id=agent_id)
        now, label = timezone.now(), actor_label(actor)
        WorkItemHistory.objects.bulk_create(
            [
                WorkItemHistory(
                    item_id=item_id, from_status=S.OPEN.value, to_status=S.OPEN.value, from_owner_id=None,
                    to_owner_id=member.pk, at=now, actor_label=label, reason=reason,
                )
                for (item_id, _), member in dealt.items()
            ],
            batch_size=2000,
        )  # fmt: skip
        record_events_bulk(
            actor=actor,
            action="work.item_assigned",
            events=[
                PendingEvent(ITEM_TYPE, str(item_id), client_id, before=_state(S.OPEN.value, None),
                             after=_state(S.OPEN.value, member.pk))
                for (item_id, client_id), member in dealt.items()
            ],
            reason=reason,
        )  # fmt: skip
        locked_team.round_robin_cursor = (locked_team.round_robin_cursor + len(rows)) % len(members)
        locked_team.save(update_fields=["round_robin_cursor"])
    return BulkMove(count=len(rows))


# ----------------------------------------------------------------------------------------------------
# Snoozes that ended


def wake_snoozed_items(*, actor: Actor | None = None) -> int:
    """Reopen every snoozed item whose snooze has ended (set-based; the periodic task calls this)."""
    with transaction.atomic():
        return _wake(owner=None, now=timezone.now(), actor=actor or SystemActor("work.wake"))


def _wake(*, owner: User | None, now: datetime, actor: Actor) -> int:
    """Reopen ended snoozes (all, or one owner's): one indexed read, and writes only when there is something to wake."""
    due = WorkItem.objects.filter(status=S.SNOOZED.value, snoozed_until__lte=now)
    if owner is not None:
        due = due.filter(owner_id=owner.pk)
    if connection.vendor == "postgresql":
        due = due.select_for_update(skip_locked=True)
    rows = list(due.values_list("id", "client_id", "owner_id"))
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    WorkItem.objects.filter(pk__in=ids, status=S.SNOOZED.value).update(
        status=S.OPEN.value, snoozed_until=None
    )
    label = actor_label(actor)
    WorkItemHistory.objects.bulk_create(
        [
            WorkItemHistory(item_id=item_id, from_status=S.SNOOZED.value, to_status=S.OPEN.value,
                            from_owner_id=owner_id, to_owner_id=owner_id, at=now, actor_label=label,
                            reason="snooze ended")
            for item_id, _, owner_id in rows
        ],
        batch_size=2000,
    )  # fmt: skip
    record_events_bulk(
        actor=actor,
        action="work.item_woken",
        events=[
            PendingEvent(ITEM_TYPE, str(item_id), client_id, before=_state(S.SNOOZED.value, owner_id),
                         after=_state(S.OPEN.value, owner_id))
            for item_id, client_id, owner_id in rows
        ],
    )  # fmt: skip
    return len(ids)


# ----------------------------------------------------------------------------------------------------
# Queues, skills, teams


def _clean_filters(actor: Actor, filters: dict[str, Any]) -> dict[str, Any]:
    unknown = set(filters) - {"kinds", "client_ids", "min_band"}
    if unknown:
        raise InvalidInput(f"Unknown queue filter {sorted(unknown)[0]!r}", field="filters")
    cleaned: dict[str, Any] = {}
    kinds = [str(kind) for kind in filters.get("kinds") or []]
    bad = [kind for kind in kinds if kind not in rules.Kind.__members__.values()]
    if bad:
        raise InvalidInput(f"{bad[0]!r} is not a kind of work item", field="filters")
    if kinds:
        cleaned["kinds"] = sorted(set(kinds))
    try:
        client_ids = sorted({int(value) for value in filters.get("client_ids") or []})
    except (TypeError, ValueError):
        raise InvalidInput("Client filter must list client ids", field="filters") from None
    if client_ids:
        if not isinstance(actor, SystemActor) and not set(client_ids) <= client_ids_for(actor):
            raise NotPermitted("A queue can only name clients you are granted", rule="ACCESS-CLIENT")
        cleaned["client_ids"] = client_ids
    band = filters.get("min_band") or ""
    if band:
        if band not in {b.value for b in rules.BAND_ORDER if b != rules.Band.LATER}:
            raise InvalidInput(f"{band!r} is not a priority band", field="filters")
        cleaned["min_band"] = band
    return cleaned


def configure_queue(
    *,
    actor: Actor,
    name: str,
    filters: dict[str, Any],
    ordering: str = Queue.Ordering.PRIORITY,
    required_skill: Skill | None = None,
    team: Team | None = None,
    is_active: bool = True,
    queue: Queue | None = None,
) -> Queue:
    """Create or change a queue (a team leader's configuration): filters, skill, ordering."""
    if not name.strip():
        raise InvalidInput("A queue needs a name", field="name")
    if ordering not in Queue.Ordering.values:
        raise InvalidInput(f"{ordering!r} is not a queue ordering", field="ordering")
    cleaned = _clean_filters(actor, filters)
    with transaction.atomic():
        before = None
        if queue is None:
            queue = Queue(created_by=None if isinstance(actor, SystemActor) else actor)
        else:
            queue = Queue.objects.select_for_update().get(pk=queue.pk)
            before = _queue_state(queue)
        queue.name = name.strip()[:100]
        queue.filters = cleaned
        queue.ordering = ordering
        queue.required_skill = required_skill
        queue.team = team
        queue.is_active = is_active
        queue.save()
        record_event(
            actor=actor,
            action="work.queue_configured",
            obj=queue,
            before=before,
            after=_queue_state(queue),
        )
    return queue


def _queue_state(queue: Queue) -> dict[str, Any]:
    return {
        "name": queue.name,
        "filters": queue.filters,
        "ordering": queue.ordering,
        "required_skill_id": queue.required_skill_id,
        "team_id": queue.team_id,
        "is_active": queue.is_active,
    }


def set_agent_skills(*, agent: User, skills: Sequence[Skill], actor: Actor) -> None:
    """Replace the skills an agent holds."""
    with transaction.atomic():
        before = sorted(AgentSkill.objects.filter(agent=agent).values_list("skill__code", flat=True))
        AgentSkill.objects.filter(agent=agent).delete()
        AgentSkill.objects.bulk_create([AgentSkill(agent=agent, skill=skill) for skill in skills])
        record_event(
            actor=actor,
            action="work.agent_skills_set",
            obj=agent,
            before=before,
            after=sorted(skill.code for skill in skills),
        )


def set_portfolio_capacity(
    *, agent: User, capacity: int, actor: Actor, takes_portfolio: bool = True
) -> AgentProfile:
    """WQ-PORTFOLIO: how many accounts the agent's portfolio holds (200–1000)."""
    problem = rules.capacity_problem(capacity)
    if problem:
        raise InvalidInput(problem, rule="WQ-PORTFOLIO", field="capacity")
    with transaction.atomic():
        profile, _ = AgentProfile.objects.select_for_update().get_or_create(agent=agent)
        before = {"capacity": profile.portfolio_capacity, "takes_portfolio": profile.takes_portfolio}
        profile.portfolio_capacity = capacity
        profile.takes_portfolio = takes_portfolio
        profile.save(update_fields=["portfolio_capacity", "takes_portfolio"])
        record_event(
            actor=actor,
            action="work.portfolio_capacity_set",
            obj=agent,
            before=before,
            after={"capacity": capacity, "takes_portfolio": takes_portfolio},
        )
    return profile


# ----------------------------------------------------------------------------------------------------
# Portfolios

#: Agreements that no longer need anyone: they leave portfolios when balanced.
FINISHED_AGREEMENT_STATUSES = (AgreementStatus.SETTLED, AgreementStatus.WRITTEN_OFF, AgreementStatus.CLOSED)


@dataclass
class PortfolioReport:
    """What a balancing run did, for the team leader: counts and each agent's holding after."""

    accounts: int
    kept: int
    moved: int
    added: int
    released: int
    unassigned: int
    items_moved: int
    loads: dict[int, int]


def balance_portfolios(*, client: Client, agents: Sequence[User], actor: Actor) -> PortfolioReport:
    """WQ-PORTFOLIO: spread the client's live agreements over ``agents`` within their capacities, keeping continuity.

    Agents not in ``agents`` (leavers) lose their accounts to the others; a joiner takes accounts only from
    agents over their new fair share. Open work items of a moved agreement follow it to the new agent.
    """
    if not isinstance(actor, SystemActor):
        if not actor.has_perm("work.manage_portfolio"):
            raise NotPermitted("Only a team leader may balance portfolios", rule="ACCESS-ROLE")
        if client.pk not in client_ids_for(actor):
            raise NotPermitted("This client is not one you are granted", rule="ACCESS-CLIENT")
    for agent in agents:
        if client.pk not in client_ids_for(agent) or not agent.is_active:
            raise InvalidInput(
                f"{agent.username} is not an active person granted this client", field="agents"
            )
    profiles = {
        profile.agent_id: profile for profile in AgentProfile.objects.filter(agent__in=[a.pk for a in agents])
    }
    capacities = {
        agent.pk: profiles[agent.pk].portfolio_capacity if agent.pk in profiles else rules.DEFAULT_CAPACITY
        for agent in agents
        if agent.pk not in profiles or profiles[agent.pk].takes_portfolio
    }
    with transaction.atomic():
        accounts = list(
            Agreement.objects.filter(client=client)
            .exclude(status__in=[status.value for status in FINISHED_AGREEMENT_STATUSES])
            .order_by("id")
            .values_list("id", flat=True)
        )
        current = dict(
            PortfolioAssignment.objects.select_for_update()
            .filter(client=client)
            .values_list("agreement_id", "agent_id")
        )
        plan = rules.balance_portfolios(accounts, current, capacities)
        now = timezone.now()
        account_set = set(accounts)
        finished = [agreement_id for agreement_id in current if agreement_id not in account_set]
        released = list(plan.released) + finished
        if released:
            PortfolioAssignment.objects.filter(client=client, agreement_id__in=released).delete()
        moves_by_agent: dict[int, list[int]] = defaultdict(list)
        for agreement_id, (_, new_agent) in plan.moved.items():
            moves_by_agent[new_agent].append(agreement_id)
        for agent_id, agreement_ids in moves_by_agent.items():
            PortfolioAssignment.objects.filter(agreement_id__in=agreement_ids).update(
                agent_id=agent_id, assigned_at=now
            )
        PortfolioAssignment.objects.bulk_create(
            [
                PortfolioAssignment(
                    client=client, agreement_id=agreement_id, agent_id=agent_id, assigned_at=now
                )
                for agreement_id, agent_id in plan.added.items()
            ],
            batch_size=2000,
        )
        items_moved = _items_follow_agreements(plan, actor, now)
        events = [
            PendingEvent("accounts.agreement", str(agreement_id), client.pk, before={"agent_id": old},
                         after={"agent_id": new})
            for agreement_id, (old, new) in plan.moved.items()
        ] + [
            PendingEvent("accounts.agreement", str(agreement_id), client.pk, before={"agent_id": None},
                         after={"agent_id": new})
            for agreement_id, new in plan.added.items()
        ] + [
            PendingEvent("accounts.agreement", str(agreement_id), client.pk, before={"agent_id": current[agreement_id]},
                         after={"agent_id": None})
            for agreement_id in released
        ]  # fmt: skip
        record_events_bulk(
            actor=actor, action="work.portfolio_assigned", events=events, reason="portfolio balance"
        )
    loads: dict[int, int] = defaultdict(int)
    for agent_id in plan.assignment.values():
        loads[agent_id] += 1
    return PortfolioReport(
        accounts=len(accounts),
        kept=len(plan.assignment) - len(plan.moved) - len(plan.added),
        moved=len(plan.moved),
        added=len(plan.added),
        released=len(released),
        unassigned=len(accounts) - len(plan.assignment),
        items_moved=items_moved,
        loads={agent.pk: loads.get(agent.pk, 0) for agent in agents},
    )


def _items_follow_agreements(plan: rules.PortfolioPlan, actor: Actor, now: datetime) -> int:
    """Open (not started) items owned by an agreement's previous agent go to its new agent, set-based."""
    changes = {agreement_id: pair for agreement_id, pair in plan.moved.items()}
    changes.update({agreement_id: (old, None) for agreement_id, old in plan.released.items()})
    if not changes:
        return 0
    rows = list(
        WorkItem.objects.select_for_update()
        .filter(agreement_id__in=list(changes), status=S.OPEN.value, owner__isnull=False)
        .values_list("id", "client_id", "agreement_id", "owner_id")
    )
    following = [row for row in rows if changes[row[2]][0] == row[3]]
    by_new_owner: dict[int | None, list[int]] = defaultdict(list)
    for item_id, _, agreement_id, _ in following:
        by_new_owner[changes[agreement_id][1]].append(item_id)
    for new_owner, item_ids in by_new_owner.items():
        WorkItem.objects.filter(pk__in=item_ids).update(owner_id=new_owner)
    label = actor_label(actor)
    WorkItemHistory.objects.bulk_create(
        [
            WorkItemHistory(item_id=item_id, from_status=S.OPEN.value, to_status=S.OPEN.value, from_owner_id=owner_id,
                            to_owner_id=changes[agreement_id][1], at=now, actor_label=label, reason="portfolio moved")
            for item_id, _, agreement_id, owner_id in following
        ],
        batch_size=2000,
    )  # fmt: skip
    record_events_bulk(
        actor=actor,
        action="work.item_reassigned",
        events=[
            PendingEvent(ITEM_TYPE, str(item_id), client_id, before=_state(S.OPEN.value, owner_id),
                         after=_state(S.OPEN.value, changes[agreement_id][1]))
            for item_id, client_id, agreement_id, owner_id in following
        ],
        reason="portfolio moved",
    )  # fmt: skip
    return len(following)
