"""Importing payment files, posting what matches, and the back office's manual decisions.

Every change here goes through the accounts actions (post_payments_in_bulk for a file's auto-matched lines,
reverse_payments_in_bulk for its returned direct debits, post_payment and reverse_payment for a person's
decision): this domain never writes the ledger itself. One file is one transaction: a refused file changes
nothing. A file is written set-based: a fixed number of statements whatever its length (COPY for new rows,
one joined UPDATE per table for changed ones), never a query per line or per agreement.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fairpath.accounts import actions as accounts_actions
from fairpath.accounts.models import Agreement, LedgerEntry
from fairpath.clients.models import Client
from fairpath.core.bulk import insert_rows, update_rows
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.core.memory import without_cycle_collector
from fairpath.governance.access import client_ids_for
from fairpath.governance.audit import (
    Actor,
    PendingEvent,
    SystemActor,
    actor_label,
    record_event,
    record_events_bulk,
)
from fairpath.payments import matching, parsers
from fairpath.payments.book import any_of, load_book, text_array
from fairpath.payments.models import Match, PaymentFile, SavedMapping, StatementLine

POSTING_BATCH = 100_000  # auto-matched payments per post_payments_in_bulk call, in file order
RECONCILER = SystemActor("reconciliation")


def auto_post_threshold() -> float:
    """PAY-THRESHOLD: configurable with the setting FAIRPATH_PAYMENTS_AUTO_POST_THRESHOLD (default 0.95)."""
    return float(getattr(settings, "FAIRPATH_PAYMENTS_AUTO_POST_THRESHOLD", matching.DEFAULT_THRESHOLD))


@dataclass(frozen=True)
class ImportSummary:
    file_id: int | None
    format: str
    lines: int
    posted: int
    suggested: int
    suspense: int
    returned: int
    ignored: int
    skipped: int
    already_imported: bool
    auto_match_rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _require_client(actor: Actor, client: Client) -> None:
    if not isinstance(actor, SystemActor) and client.pk not in client_ids_for(actor):
        raise NotPermitted("This client is not one you are granted", rule="ACCESS-CLIENT")


def mapping_for(client: Client, name: str) -> parsers.ColumnMapping:
    saved = SavedMapping.objects.filter(client=client, name=name).first()
    if saved is None:
        raise InvalidInput(f"There is no saved mapping {name!r} for {client.code}", field="mapping")
    return parsers.ColumnMapping(
        columns=dict(saved.columns),
        date_format=saved.date_format,
        delimiter=saved.delimiter,
        currency=saved.currency,
        decimal_comma=saved.decimal_comma,
    )


def save_mapping(
    *, client: Client, name: str, columns: dict[str, str], actor: Actor, date_format: str = "%Y-%m-%d",
    delimiter: str = ",", currency: str = "GBP", decimal_comma: bool = False,
) -> SavedMapping:  # fmt: skip
    """Save (or replace) a named CSV column mapping after checking it is complete."""
    _require_client(actor, client)
    parsers.ColumnMapping(columns, date_format, delimiter, currency, decimal_comma).validate()
    parsers.common.check_currency(currency, "currency")
    with transaction.atomic():
        mapping, _ = SavedMapping.objects.update_or_create(
            client=client,
            name=name,
            defaults={"columns": columns, "date_format": date_format, "delimiter": delimiter,
                      "currency": currency, "decimal_comma": decimal_comma},
        )  # fmt: skip
        record_event(actor=actor, action="payments.mapping_saved", obj=mapping, after={"columns": columns})
    return mapping


# ----------------------------------------------------------------------------------------------------
# Import


def natural_keys(client: Client, lines: Sequence[parsers.ParsedLine]) -> list[str]:
    """The same movement in two files gets the same key: account, date, amount, references, payer and the
    occurrence number among identical movements (two equal payments on one day stay two)."""
    seen: Counter[tuple] = Counter()
    keys = []
    for line in lines:
        identity = (line.account, line.booked_on.isoformat(), line.amount_minor, line.currency,
                    line.bank_reference, " ".join(line.reference.split()), line.payer_name, line.return_code)  # fmt: skip
        seen[identity] += 1
        text = "|".join(str(part) for part in (client.pk, *identity, seen[identity]))
        keys.append(hashlib.sha256(text.encode()).hexdigest())
    return keys


def import_file(
    *,
    client: Client,
    data: bytes,
    name: str,
    actor: Actor,
    fmt: str | None = None,
    mapping: str | None = None,
    threshold: float | None = None,
) -> ImportSummary:
    """PAY-IDEMPOTENT, PAY-PARSE, PAY-CONTROL: parse strictly, skip what was already imported, match in bulk,
    post what is sure through the accounts waterfall, and queue the rest — all in one transaction."""
    _require_client(actor, client)
    threshold = auto_post_threshold() if threshold is None else threshold
    digest = hashlib.sha256(data).hexdigest()
    existing = PaymentFile.objects.filter(client=client, sha256=digest).first()
    if existing is not None:
        return ImportSummary(existing.pk, existing.format, existing.lines_total, 0, 0, 0, 0, 0,
                             existing.lines_total, True, None)  # fmt: skip
    column_mapping = mapping_for(client, mapping) if mapping else None
    with without_cycle_collector():
        return _import(client, data, name, actor, fmt, column_mapping, threshold, digest)


def _import(
    client: Client,
    data: bytes,
    name: str,
    actor: Actor,
    fmt: str | None,
    column_mapping: parsers.ColumnMapping | None,
    threshold: float,
    digest: str,
) -> ImportSummary:
    parsed = parsers.parse(data, fmt, column_mapping)
    keys = natural_keys(client, parsed.lines)
    known = _known_keys(client, keys)
    fresh = [(line, key) for line, key in zip(parsed.lines, keys, strict=True) if key not in known]
    receipts = [(line, key) for line, key in fresh if line.amount_minor > 0 and not line.is_return]
    returns = [(line, key) for line, key in fresh if line.is_return]
    book = load_book(client, [line for line, _ in receipts + returns])
    decisions = {
        decision.key: decision
        for decision in matching.match_lines(
            [
                matching.LineIn(
                    index, line.amount_minor, line.currency, line.booked_on, line.reference, line.payer_name
                )
                for index, (line, _) in enumerate(receipts)
            ],  # fmt: skip
            book,
        )
    }
    return_decisions = {
        decision.key: decision
        for decision in matching.match_lines(
            [
                matching.LineIn(
                    index, -line.amount_minor, line.currency, line.booked_on, line.reference, line.payer_name
                )
                for index, (line, _) in enumerate(returns)
            ],  # fmt: skip
            book,
        )
    }
    try:
        return _import_parsed(client, parsed, fresh, receipts, returns, decisions, return_decisions, digest,
                              name, actor, threshold)  # fmt: skip
    except IntegrityError as error:
        raise Refusal(
            "The same file or some of its lines were imported at the same moment by someone else; nothing from this "
            "import was posted — import it again to post only what is new",
            rule="PAY-IDEMPOTENT",
            field="file",
        ) from error


def _known_keys(client: Client, keys: list[str]) -> set[str]:
    """The natural keys among ``keys`` already imported for the client: one query, each key a probe of the
    unique (client, natural key) index (on PostgreSQL a nested loop over the keys, whatever the statistics
    say of the client's lines: never a scan of every line the client ever imported)."""
    if not keys:
        return set()
    quote = connection.ops.quote_name
    table, column = quote(StatementLine._meta.db_table), quote("natural_key")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT s.{column} FROM unnest(%s::text[]) AS k(key) CROSS JOIN LATERAL "  # noqa: S608
                f"(SELECT {column} FROM {table} WHERE {quote('client_id')} = %s AND {column} = k.key) AS s",
                [text_array(sorted(set(keys))), client.pk],
            )
        else:
            condition, params = any_of(column, sorted(set(keys)), "text")
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE {quote('client_id')} = %s AND {condition}",  # noqa: S608
                [client.pk, *params],
            )
        return {row[0] for row in cursor.fetchall()}


_LINE_COLUMNS = ("client_id", "file_id", "line_no", "natural_key", "booked_on", "amount_minor", "currency",
                 "reference", "payer_name", "bank_reference", "is_return", "return_code", "return_reason",
                 "status", "created_at")  # fmt: skip
_MATCH_COLUMNS = ("client_id", "line_id", "agreement_id", "amount_minor", "step", "confidence", "status",
                  "entry_id", "reversal_id", "decided_by", "decided_at", "note")  # fmt: skip


def _receipt_status(decision: matching.Decision, threshold: float) -> str:
    if not decision.allocations:
        return StatementLine.Status.SUSPENSE
    return StatementLine.Status.POSTED if decision.is_auto(threshold) else StatementLine.Status.SUGGESTED


def _import_parsed(
    client: Client,
    parsed: parsers.ParsedFile,
    fresh: list[tuple[parsers.ParsedLine, str]],
    receipts: list[tuple[parsers.ParsedLine, str]],
    returns: list[tuple[parsers.ParsedLine, str]],
    decisions: dict[int, matching.Decision],
    return_decisions: dict[int, matching.Decision],
    digest: str,
    name: str,
    actor: Actor,
    threshold: float,
) -> ImportSummary:
    """Write the file, its lines (each with the status its decision gives it), post what is sure, record
    the matches and queue the exceptions: every write in bulk, a fixed number of statements per batch."""
    now = timezone.now()
    label = actor_label(actor)
    receipt_decision = {key: decisions[index] for index, (_, key) in enumerate(receipts)}
    return_keys = {key for _, key in returns}
    statuses = {
        key: (StatementLine.Status.SUSPENSE if key in return_keys  # a return found its payment: set below
              else _receipt_status(receipt_decision[key], threshold) if key in receipt_decision
              else StatementLine.Status.IGNORED)
        for _, key in fresh
    }  # fmt: skip
    with transaction.atomic():
        payment_file = PaymentFile.objects.create(
            client=client, sha256=digest, name=name[:255], format=parsed.format,
            statement_id=parsed.statement_id[:80], account=parsed.account[:60], currency=parsed.currency,
            control_count=parsed.control_count, control_total_minor=parsed.control_total_minor,
            opening_balance_minor=parsed.opening_balance_minor, closing_balance_minor=parsed.closing_balance_minor,
            lines_total=len(parsed.lines), lines_net_minor=sum(line.amount_minor for line in parsed.lines),
            skipped=len(parsed.lines) - len(fresh), imported_at=now, imported_by=label,
        )  # fmt: skip
        insert_rows(
            StatementLine,
            _LINE_COLUMNS,
            [
                (
                    client.pk,
                    payment_file.pk,
                    line.line_no,
                    key,
                    line.booked_on,
                    line.amount_minor,
                    line.currency,
                    line.reference[:500],
                    line.payer_name[:200],
                    line.bank_reference[:120],
                    line.is_return,
                    line.return_code[:10],
                    line.return_reason[:200],
                    statuses[key],
                    now,
                )
                for line, key in fresh
            ],  # fmt: skip
            returning_ids=False,
        )
        # The new file's lines read back by its (file, line number) key: cheaper than drawing 100k ids first.
        id_by_number = dict(StatementLine.objects.filter(file=payment_file).values_list("line_no", "id"))
        id_of = {key: id_by_number[line.line_no] for line, key in fresh}
        counts = _apply_receipts(
            client,
            [(line, id_of[key], receipt_decision[key]) for line, key in receipts],
            threshold,
            actor,
            now,
        )
        return_lines = StatementLine.objects.in_bulk([id_of[key] for _, key in returns])
        return_rows = [
            (return_lines[id_of[key]], return_decisions[index]) for index, (_, key) in enumerate(returns)
        ]
        counts["returned"], returned_suspense = _apply_returns(client, return_rows, actor, now)
        counts["suspense"] += returned_suspense
        counts["ignored"] = len(fresh) - len(receipts) - len(returns)
        for field_name, value in counts.items():
            setattr(payment_file, field_name, value)
        payment_file.save(update_fields=list(counts))
        record_event(
            actor=actor, action="payments.file_imported", obj=payment_file,
            after={"format": parsed.format, "sha256": digest, **counts, "skipped": payment_file.skipped},
        )  # fmt: skip
        _queue_exceptions(
            client,
            [_Exception(id_of[key], statuses[key], line.payer_name, line.amount_minor, line.currency,
                        receipt_decision[key].allocations[0][0] if receipt_decision[key].allocations else None)
             for line, key in receipts if statuses[key] != StatementLine.Status.POSTED]
            + [_Exception(row.pk, row.status, row.payer_name, row.amount_minor, row.currency, None)
               for row, _ in return_rows if row.status == StatementLine.Status.SUSPENSE],
            now,
        )  # fmt: skip
        touched = sorted(
            {
                agreement_id
                for decision in list(receipt_decision.values()) + [decision for _, decision in return_rows]
                for agreement_id, _ in decision.allocations
            }
        )
        mark_promises_and_instalments(touched, max((line.booked_on for line, _ in fresh), default=now.date()))
    return ImportSummary(
        payment_file.pk, parsed.format, len(parsed.lines), counts["posted"], counts["suggested"],
        counts["suspense"], counts["returned"], counts["ignored"], payment_file.skipped, False,
        payment_file.auto_match_rate,
    )  # fmt: skip


def _apply_receipts(
    client: Client,
    rows: list[tuple[parsers.ParsedLine, int, matching.Decision]],
    threshold: float,
    actor: Actor,
    now: Any,
) -> dict[str, int]:
    """Post the sure matches through the accounts waterfall in file order, in batches, and record every
    match (posted with its entry, or suggested) in bulk. The lines' statuses were written with the lines."""
    counts = {"posted": 0, "suggested": 0, "suspense": 0}
    matches: list[list[Any]] = []
    to_post: list[accounts_actions.PaymentToPost] = []
    posted_matches: list[list[Any]] = []
    label = actor_label(actor)
    for line, line_id, decision in rows:
        if not decision.allocations:
            counts["suspense"] += 1
            continue
        auto = decision.is_auto(threshold)
        for agreement_id, amount in decision.allocations:
            match = [client.pk, line_id, agreement_id, amount, decision.step, decision.confidence,
                     Match.Status.POSTED if auto else Match.Status.SUGGESTED, None, None,
                     label if auto else "", now if auto else None, decision.note[:300]]  # fmt: skip
            matches.append(match)
            if auto:
                to_post.append(
                    accounts_actions.PaymentToPost(
                        agreement_id=agreement_id,
                        amount_minor=amount,
                        currency=line.currency,
                        posted_on=line.booked_on,
                        reference=(line.bank_reference or line.reference)[:60],
                    )  # fmt: skip
                )
                posted_matches.append(match)
        counts["posted" if auto else "suggested"] += 1
    for start in range(0, len(to_post), POSTING_BATCH):
        entry_ids = accounts_actions.post_payments_in_bulk(
            payments=to_post[start : start + POSTING_BATCH], actor=actor
        )
        for match, entry_id in zip(posted_matches[start : start + POSTING_BATCH], entry_ids, strict=True):
            match[7] = entry_id
    insert_rows(Match, _MATCH_COLUMNS, matches, returning_ids=False)
    return counts


def _apply_returns(
    client: Client, rows: list[tuple[StatementLine, matching.Decision]], actor: Actor, now: Any
) -> tuple[int, int]:
    """A returned direct debit reverses the payment it undoes: the latest unreversed payment of that amount
    on the agreement on or before the return's original date. No such payment: suspense for a person.

    Set-based: the agreements' payments and reversals are read once, every payment found is reversed in one
    ``reverse_payments_in_bulk`` call, and the notes, matches and line statuses are written in bulk."""
    agreement_ids = sorted({d.allocations[0][0] for _, d in rows if len(d.allocations) == 1})
    payments: dict[tuple[int, int], list[tuple[int, date]]] = defaultdict(
        list
    )  # (id, posted on), latest first
    if agreement_ids:
        reversed_ids = set(
            LedgerEntry.objects.filter(agreement_id__in=agreement_ids, kind="payment_reversal").values_list(
                "reverses_id", flat=True
            )
        )
        for entry_id, agreement_id, amount, posted_on in (
            LedgerEntry.objects.filter(agreement_id__in=agreement_ids, kind="payment")
            .order_by("-posted_on", "-id")
            .values_list("id", "agreement_id", "amount_minor", "posted_on")
        ):
            if entry_id not in reversed_ids:
                payments[(agreement_id, -amount)].append((entry_id, posted_on))
    suspense = 0
    chosen: list[tuple[StatementLine, matching.Decision, int, int, str]] = []
    for line, decision in rows:
        amount = -line.amount_minor
        candidates: list[tuple[int, date]] = []
        agreement_id = decision.allocations[0][0] if len(decision.allocations) == 1 else 0
        if agreement_id:
            candidates = [p for p in payments.get((agreement_id, amount), []) if p[1] <= line.booked_on]
            if not candidates:
                candidates = payments.get((agreement_id, amount), [])
        if not candidates or decision.confidence < 0.9:
            suspense += 1  # the line was written in suspense
            continue
        payment_id = candidates[0][0]
        payments[(agreement_id, amount)].remove(candidates[0])
        reason = f"Returned direct debit, Bacs reason {line.return_code}: {line.return_reason}".strip()[:300]
        chosen.append((line, decision, agreement_id, payment_id, reason))
    if not chosen:
        return 0, suspense
    reversal_ids = accounts_actions.reverse_payments_in_bulk(
        reversals=[
            accounts_actions.PaymentToReverse(payment_id, reason, line.booked_on)
            for line, _, _, payment_id, reason in chosen
        ],
        actor=actor,
    )
    reason_of = {payment_id: reason for _, _, _, payment_id, reason in chosen}
    update_rows(
        Match,
        ("note",),
        [
            (match_id, f"returned: {reason_of[entry_id]}"[:300])
            for match_id, entry_id in Match.objects.filter(
                entry_id__in=sorted(reason_of), status=Match.Status.POSTED
            ).values_list("id", "entry_id")
        ],
    )
    label = actor_label(actor)
    insert_rows(
        Match,
        _MATCH_COLUMNS,
        [
            (client.pk, line.pk, agreement_id, line.amount_minor, Match.Step.RETURN, decision.confidence,
             Match.Status.POSTED, payment_id, reversal_id, label, now, reason)
            for (line, decision, agreement_id, payment_id, reason), reversal_id in zip(chosen, reversal_ids, strict=True)
        ],
        returning_ids=False,
    )  # fmt: skip
    StatementLine.objects.filter(pk__in=[line.pk for line, *_ in chosen]).update(
        status=StatementLine.Status.RETURNED
    )
    for line, *_ in chosen:
        line.status = StatementLine.Status.RETURNED
    return len(chosen), suspense


def mark_promises_and_instalments(agreement_ids: Sequence[int], as_of: date) -> None:
    """Promises and arrangement instalments kept (or broken by a return) are decided by collections'
    set-based ``detect_outcomes`` from the ledger we just posted to — for the agreements that have an open
    promise or an active arrangement (found in one query each: a file pays tens of thousands of agreements,
    few of which have either)."""
    if not agreement_ids:
        return
    try:
        from fairpath.collections.models import Arrangement, Promise
        from fairpath.collections.promises import detect_outcomes
    except ImportError:  # pragma: no cover - collections not installed
        return
    quote = connection.ops.quote_name
    pending: set[int] = set()
    for model, status in ((Promise, Promise.Status.OPEN), (Arrangement, Arrangement.Status.ACTIVE)):
        condition, params = any_of(quote("agreement_id"), sorted(set(agreement_ids)), "bigint")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT {quote('agreement_id')} FROM {quote(model._meta.db_table)} "  # noqa: S608
                f"WHERE {quote('status')} = %s AND {condition}",
                [str(status), *params],
            )
            pending |= {row[0] for row in cursor.fetchall()}
    if pending:
        detect_outcomes(agreement_ids=sorted(pending), as_of=as_of, actor=RECONCILER)


@dataclass(frozen=True)
class _Exception:
    line_id: int
    status: str
    payer_name: str
    amount_minor: int
    currency: str
    agreement_id: int | None


def _queue_exceptions(client: Client, exceptions: list[_Exception], now: Any) -> None:
    """PAY-EXCEPTIONS: each suggestion and suspense line is a reconciliation exception work item (in bulk)."""
    if not exceptions:
        return
    try:
        from fairpath.work.actions import WorkItemSpec, create_work_items
    except ImportError:  # pragma: no cover - work not installed
        return
    create_work_items(
        specs=[
            WorkItemSpec(
                client_id=client.pk,
                kind="reconciliation_exception",
                title=f"{'Confirm match' if line.status == 'suggested' else 'Suspense'}: "
                f"{line.payer_name or 'unknown payer'} {line.amount_minor / 100:.2f} {line.currency}",
                due_at=now + timedelta(days=1),
                value_minor=abs(line.amount_minor),
                object_type="payments.statementline",
                object_id=str(line.line_id),
                agreement_id=line.agreement_id,
            )
            for line in exceptions
        ],
        actor=RECONCILER,
    )


def _close_work(line: StatementLine, outcome: str) -> None:
    try:
        from fairpath.work.actions import complete_item
        from fairpath.work.models import WorkItem
    except ImportError:  # pragma: no cover
        return
    for item in WorkItem.objects.filter(
        object_type="payments.statementline",
        object_id=str(line.pk),
        status__in=("open", "in_progress", "snoozed"),
    ):
        complete_item(item=item, actor=RECONCILER, outcome=outcome)


# ----------------------------------------------------------------------------------------------------
# Manual decisions (audited; a posted payment is reversed before it is re-posted)


def _locked_line(line: StatementLine, actor: Actor) -> StatementLine:
    _require_client(actor, line.client)
    return StatementLine.objects.select_for_update().get(pk=line.pk)


def match_line(
    *, line: StatementLine, allocations: Sequence[tuple[Agreement, int]], actor: Actor, reason: str = ""
) -> list[Match]:
    """Match a suggested or suspense line by hand to one or several agreements (amounts must add up)."""
    if not allocations:
        raise InvalidInput("Say which agreement the money is for", field="agreement_id")
    if any(amount <= 0 for _, amount in allocations):
        raise InvalidInput("Each share must be more than zero", field="amount_minor")
    if sum(amount for _, amount in allocations) != line.amount_minor:
        raise InvalidInput(
            "The shares must add up to the line's amount", rule="PAY-SPLIT", field="amount_minor"
        )
    for agreement, _ in allocations:
        if agreement.client_id != line.client_id:
            raise NotPermitted("That agreement belongs to another client", rule="ACCESS-CLIENT")
        if agreement.currency != line.currency:
            raise InvalidInput(
                "The agreement is in another currency", rule="PAY-CURRENCY", field="agreement_id"
            )
    with transaction.atomic():
        locked = _locked_line(line, actor)
        if (
            locked.status not in (StatementLine.Status.SUGGESTED, StatementLine.Status.SUSPENSE)
            or locked.is_return
        ):
            raise Refusal(
                "Only a suggestion or a line in suspense can be matched", rule="PAY-STATE", field="line"
            )
        now = timezone.now()
        Match.objects.filter(line=locked, status=Match.Status.SUGGESTED).update(
            status=Match.Status.REJECTED, decided_by=actor_label(actor), decided_at=now
        )
        created = []
        for agreement, amount in allocations:
            entry = accounts_actions.post_payment(
                agreement=agreement, amount_minor=amount, currency=locked.currency, received_on=locked.booked_on,
                actor=actor, reference=(locked.bank_reference or locked.reference)[:60],
            )  # fmt: skip
            created.append(
                Match.objects.create(
                    client_id=locked.client_id,
                    line=locked,
                    agreement=agreement,
                    amount_minor=amount,
                    step=Match.Step.MANUAL,
                    confidence=1.0,
                    status=Match.Status.POSTED,
                    entry=entry,
                    decided_by=actor_label(actor),
                    decided_at=now,
                    note=reason[:300],
                )  # fmt: skip
            )
        before = locked.status
        locked.status = StatementLine.Status.POSTED
        locked.save(update_fields=["status"])
        record_event(
            actor=actor, action="payments.line_matched", obj=locked, before={"status": before},
            after={"status": locked.status, "allocations": [[a.pk, amount] for a, amount in allocations]},
            reason=reason,
        )  # fmt: skip
        _close_work(locked, "matched")
        mark_promises_and_instalments([a.pk for a, _ in allocations], locked.booked_on)
    return created


def confirm_suggestion(*, line: StatementLine, actor: Actor) -> list[Match]:
    """Post a suggestion as the cascade proposed it."""
    with transaction.atomic():
        locked = _locked_line(line, actor)
        suggested = list(
            Match.objects.filter(line=locked, status=Match.Status.SUGGESTED).select_related("agreement")
        )
        if locked.status != StatementLine.Status.SUGGESTED or not suggested:
            raise Refusal("This line has no suggestion to confirm", rule="PAY-STATE", field="line")
        now = timezone.now()
        for match in suggested:
            match.entry = accounts_actions.post_payment(
                agreement=match.agreement, amount_minor=match.amount_minor, currency=locked.currency,
                received_on=locked.booked_on, actor=actor, reference=(locked.bank_reference or locked.reference)[:60],
            )  # fmt: skip
            match.status, match.decided_by, match.decided_at = Match.Status.POSTED, actor_label(actor), now
            match.save(update_fields=["entry", "status", "decided_by", "decided_at"])
        locked.status = StatementLine.Status.POSTED
        locked.save(update_fields=["status"])
        record_event(
            actor=actor, action="payments.suggestion_confirmed", obj=locked, before={"status": "suggested"},
            after={"status": "posted", "matches": [m.pk for m in suggested]},
        )  # fmt: skip
        _close_work(locked, "confirmed")
        mark_promises_and_instalments([m.agreement_id for m in suggested], locked.booked_on)
    return suggested


def unmatch_line(*, line: StatementLine, actor: Actor, reason: str) -> StatementLine:
    """Reverse every posted share of the line and put it back in suspense (PAY-UNMATCH)."""
    if not reason.strip():
        raise InvalidInput("Say why the payment is unmatched", field="reason")
    with transaction.atomic():
        locked = _locked_line(line, actor)
        if (
            locked.status not in (StatementLine.Status.POSTED, StatementLine.Status.SUGGESTED)
            or locked.is_return
        ):
            raise Refusal(
                "Only a posted or suggested receipt can be unmatched", rule="PAY-STATE", field="line"
            )
        now = timezone.now()
        agreement_ids = []
        for match in Match.objects.filter(
            line=locked, status__in=(Match.Status.POSTED, Match.Status.SUGGESTED)
        ):
            if match.entry_id is not None and match.status == Match.Status.POSTED:
                match.reversal = accounts_actions.reverse_payment(
                    payment=match.entry,
                    actor=actor,
                    reason=f"Unmatched: {reason}"[:300],
                    reversed_on=now.date(),
                )
                agreement_ids.append(match.agreement_id)
            match.status, match.decided_by, match.decided_at = Match.Status.REJECTED, actor_label(actor), now
            match.save(update_fields=["reversal", "status", "decided_by", "decided_at"])
        before = locked.status
        locked.status = StatementLine.Status.SUSPENSE
        locked.save(update_fields=["status"])
        record_event(actor=actor, action="payments.line_unmatched", obj=locked, before={"status": before},
                     after={"status": locked.status}, reason=reason)  # fmt: skip
        mark_promises_and_instalments(agreement_ids, now.date())
    return locked


def move_line(
    *, line: StatementLine, allocations: Sequence[tuple[Agreement, int]], actor: Actor, reason: str
) -> list[Match]:
    """Move a posted payment to other agreement(s): reverse, then re-post, in one transaction."""
    with transaction.atomic():
        unmatched = unmatch_line(line=line, actor=actor, reason=reason)
        return match_line(line=unmatched, allocations=allocations, actor=actor, reason=reason)


def leave_in_suspense(*, line: StatementLine, actor: Actor, reason: str) -> StatementLine:
    """Reject a suggestion: the money stays in suspense until someone finds whose it is."""
    with transaction.atomic():
        locked = _locked_line(line, actor)
        if locked.status != StatementLine.Status.SUGGESTED:
            raise Refusal("Only a suggestion can be rejected", rule="PAY-STATE", field="line")
        Match.objects.filter(line=locked, status=Match.Status.SUGGESTED).update(
            status=Match.Status.REJECTED, decided_by=actor_label(actor), decided_at=timezone.now()
        )
        locked.status = StatementLine.Status.SUSPENSE
        locked.save(update_fields=["status"])
        record_events_bulk(
            actor=actor, action="payments.suggestion_rejected",
            events=[PendingEvent("payments.statementline", str(locked.pk), locked.client_id,
                                 before={"status": "suggested"}, after={"status": "suspense"})],
            reason=reason,
        )  # fmt: skip
    return locked
