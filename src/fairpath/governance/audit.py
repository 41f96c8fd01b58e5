"""The tamper-evident audit trail.

Every action writes its events here, inside its own transaction, so an event exists exactly when the
change it describes was committed. Events form one hash chain per client (plus one for platform events):
each event's SHA-256 covers its content and the previous link, and the chain head remembers the last
link, so altering, deleting or truncating any row is found by :func:`verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from fairpath.core.bulk import insert_rows
from fairpath.core.context import current_correlation_id
from fairpath.governance.models import AuditChainHead, AuditEvent, User

GENESIS_HASH = "0" * 64
PLATFORM_CHAIN = "platform"


@dataclass(frozen=True)
class SystemActor:
    """A process acting on its own (the daily cycle, an import, the retention job)."""

    name: str

    @property
    def label(self) -> str:
        return f"system:{self.name}"


Actor = User | SystemActor


def actor_label(actor: Actor) -> str:
    return actor.label if isinstance(actor, SystemActor) else actor.username


AUDIT_STRIPES = 8


def _stripe() -> int:
    """Which of a client's chains this thread writes to.

    One chain per client would make every writer of that client queue on one head row (get-next at 20
    agents spent most of its time there). Each thread keeps to one stripe, so a transaction that writes
    several events of a client always takes the same head (no lock cycles), while concurrent writers
    usually take different heads. Verification walks every stripe.

    The stripe comes from the operating system's thread id, which differs between threads and between
    processes; ``threading.get_ident()`` is a pthread address aligned to a power of two, so it put every
    thread on stripe 0.
    """
    return threading.get_native_id() % AUDIT_STRIPES


def chain_key_for(client_id: int | None) -> str:
    prefix = PLATFORM_CHAIN if client_id is None else f"client:{client_id}"
    return f"{prefix}/{_stripe()}"


def _canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over a canonical JSON form of the event's content and the previous link."""
    content = dict(fields, occurred_at=_canonical_time(fields["occurred_at"]), prev_hash=prev_hash)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


HASHED_FIELDS = (
    "chain_key",
    "chain_seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "client_id",
    "object_type",
    "object_id",
    "action",
    "before",
    "after",
    "reason",
    "correlation_id",
)


_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def _is_plain(value: Any) -> bool:
    """Already what a JSON round trip gives back: str/int/bool/None, in lists and str-keyed dicts (exact types,
    so an enum or a tuple still goes through the round trip). Batch steps audit tens of thousands of such
    values, and the round trip was a third of their audit cost."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return True
    if kind is dict:
        return all(type(key) is str and _is_plain(item) for key, item in value.items())
    if kind is list:
        return all(_is_plain(item) for item in value)
    return False


def _jsonable(value: Any) -> Any:
    """Before/after values as plain JSON (dates and decimals as text) so the hash is stable on both databases."""
    if _is_plain(value):
        return value
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def object_reference(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record_event(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    client_id: int | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to its client's chain. Must run inside the action's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the action's transaction (transaction.atomic)")
    if obj is not None:
        object_type, object_id = object_reference(obj)
        if client_id is None:
            client_id = getattr(obj, "client_id", None)
    key = chain_key_for(client_id)
    head = _locked_head(key)
    fields: dict[str, Any] = {
        "chain_key": key,
        "chain_seq": head.last_seq + 1,
        "occurred_at": timezone.now(),
        "actor_id": None if isinstance(actor, SystemActor) else actor.pk,
        "actor_label": actor_label(actor),
        "client_id": client_id,
        "object_type": object_type,
        "object_id": str(object_id),
        "action": action,
        "before": _jsonable(before),
        "after": _jsonable(after),
        "reason": reason,
        "correlation_id": current_correlation_id(),
    }
    digest = event_hash(fields, head.last_hash)
    if connection.vendor != "postgresql":
        event = AuditEvent.objects.create(prev_hash=head.last_hash, hash=digest, **fields)
        AuditChainHead.objects.filter(pk=head.pk).update(last_seq=fields["chain_seq"], last_hash=digest)
        return event
    event = AuditEvent(prev_hash=head.last_hash, hash=digest, **fields)
    event.pk = _insert_moving_head(event, head.pk)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def _insert_moving_head(event: AuditEvent, head_id: int) -> int:
    """PostgreSQL: insert the event and move its chain head in one statement (one round trip, not two: every
    get-next and Done writes one event); returns the event's id."""
    quote = connection.ops.quote_name
    by_name = {model_field.attname: model_field for model_field in AuditEvent._meta.concrete_fields}
    fields = [by_name[name] for name in _BULK_COLUMNS]
    columns = [str(model_field.column) for model_field in fields]
    values = [
        model_field.get_db_prep_save(getattr(event, model_field.attname), connection)
        for model_field in fields
    ]
    sql = (
        f"WITH event AS (INSERT INTO {quote(AuditEvent._meta.db_table)} ({', '.join(quote(column) for column in columns)}) "
        f"VALUES ({', '.join('%s' for _ in columns)}) RETURNING {quote('id')}), "
        f"head AS (UPDATE {quote(AuditChainHead._meta.db_table)} SET {quote('last_seq')} = %s, "
        f"{quote('last_hash')} = %s WHERE {quote('id')} = %s) "
        f"SELECT {quote('id')} FROM event"
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, event.chain_seq, event.hash, head_id])
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class PendingEvent:
    """One event of a batch for :func:`record_events_bulk`."""

    object_type: str
    object_id: str
    client_id: int | None
    before: Any = None
    after: Any = None


def record_events_bulk(*, actor: Actor, action: str, events: list[PendingEvent], reason: str = "") -> int:
    """Append many events of one batch step at once: one locked head per chain, one bulk insert.

    Batch work (the daily cycle, imports, retention) changes thousands of records in one set-based
    statement; its audit rows are chained exactly like single events, without a round trip per row.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_events_bulk must run inside the batch step's transaction")
    by_chain: dict[str, list[PendingEvent]] = {}
    for pending in events:
        by_chain.setdefault(chain_key_for(pending.client_id), []).append(pending)
    now, label, correlation = timezone.now(), actor_label(actor), current_correlation_id()
    actor_id = None if isinstance(actor, SystemActor) else actor.pk
    rows: list[tuple[Any, ...]] = []
    for key in sorted(by_chain):  # a fixed lock order, so two batches cannot deadlock
        head = _locked_head(key)
        seq, prev = head.last_seq, head.last_hash
        for pending in by_chain[key]:
            seq += 1
            fields: dict[str, Any] = {
                "chain_key": key,
                "chain_seq": seq,
                "occurred_at": now,
                "actor_id": actor_id,
                "actor_label": label,
                "client_id": pending.client_id,
                "object_type": pending.object_type,
                "object_id": str(pending.object_id),
                "action": action,
                "before": _jsonable(pending.before),
                "after": _jsonable(pending.after),
                "reason": reason,
                "correlation_id": correlation,
            }
            digest = event_hash(fields, prev)
            rows.append((*fields.values(), prev, digest))
            prev = digest
        AuditChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev)
    insert_rows(AuditEvent, _BULK_COLUMNS, rows, returning_ids=False)
    return len(rows)


_BULK_COLUMNS = ("chain_key", "chain_seq", "occurred_at", "actor_id", "actor_label", "client_id", "object_type",
                 "object_id", "action", "before", "after", "reason", "correlation_id", "prev_hash", "hash")  # fmt: skip


def _locked_head(key: str) -> AuditChainHead:
    """The chain head, locked until commit so two writers cannot fork the chain."""
    head = AuditChainHead.objects.select_for_update().filter(chain_key=key).first()
    if head is None:
        # Created in a savepoint so a concurrent creator's win is picked up instead of failing the action.
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(chain_key=key)
        except Exception:  # noqa: BLE001 - IntegrityError from a concurrent first event on this chain
            pass
        head = AuditChainHead.objects.select_for_update().get(chain_key=key)
    return head


@dataclass(frozen=True)
class ChainBreak:
    """The first place a chain does not hold, said in words a person can act on."""

    chain_key: str
    chain_seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event id {self.event_id}" if self.event_id is not None else "a missing event"
        return f"chain {self.chain_key}, link {self.chain_seq} ({where}): {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    chains: int
    events: int
    first_break: ChainBreak | None

    @property
    def is_intact(self) -> bool:
        return self.first_break is None


def _events_of(key: str) -> Iterator[dict[str, Any]]:
    columns = ("id", "prev_hash", "hash", *HASHED_FIELDS)
    query = AuditEvent.objects.filter(chain_key=key).order_by("chain_seq").values(*columns)
    yield from query.iterator(chunk_size=5000)


def verify_chain(key: str) -> tuple[int, ChainBreak | None]:
    """Walk one chain from its first link; return the number of events read and the first break, if any."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for row in _events_of(key):
        count += 1
        if row["chain_seq"] != expected_seq:
            return count, ChainBreak(
                key, expected_seq, None, "an event is missing (deleted) before this point"
            )
        if row["prev_hash"] != expected_prev:
            return count, ChainBreak(key, row["chain_seq"], row["id"], "does not link to the previous event")
        fields = {name: row[name] for name in HASHED_FIELDS}
        if event_hash(fields, row["prev_hash"]) != row["hash"]:
            return count, ChainBreak(
                key, row["chain_seq"], row["id"], "its content was altered after it was written"
            )
        expected_prev, expected_seq = row["hash"], expected_seq + 1
    head = AuditChainHead.objects.filter(chain_key=key).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return count, ChainBreak(
            key, expected_seq, None, f"the chain ends early: its head records {head.last_seq} events"
        )
    return count, None


def verify_all() -> VerifyResult:
    """Verify every chain; stop at the first break."""
    keys = sorted(
        set(AuditChainHead.objects.values_list("chain_key", flat=True))
        | set(AuditEvent.objects.values_list("chain_key", flat=True).distinct())
    )
    total = 0
    for key in keys:
        count, problem = verify_chain(key)
        total += count
        if problem is not None:
            return VerifyResult(len(keys), total, problem)
    return VerifyResult(len(keys), total, None)


def history_of(obj: models.Model):  # noqa: ANN201 - an AuditEvent queryset
    """Every event about one object, oldest first."""
    object_type, object_id = object_reference(obj)
    return AuditEvent.objects.filter(object_type=object_type, object_id=object_id).select_related("actor")
