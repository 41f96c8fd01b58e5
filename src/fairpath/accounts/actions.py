"""Every change to customers, agreements and the ledger: keyword-only, explicit actor, one transaction, audit.

Balances are never read, decided and written back: postings append a ledger row and move
``Agreement.balance_minor`` with ``F()`` in the same transaction, with the agreement row locked first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from fairpath.accounts import rules
from fairpath.accounts.models import (
    Address,
    Agreement,
    ArrearsState,
    BucketHistory,
    ContactPoint,
    Customer,
    FeeTerm,
    LedgerEntry,
    PaymentAllocation,
    ScheduleInstalment,
    StatusHistory,
    WaterfallSetting,
)
from fairpath.clients.models import Client
from fairpath.core.bulk import add_by_pk, insert_rows, update_rows
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.core.money import format_money
from fairpath.governance.access import require_client
from fairpath.governance.actions import AuthorityOutcome, act_within_authority
from fairpath.governance.audit import (
    Actor,
    PendingEvent,
    SystemActor,
    actor_label,
    record_event,
    record_events_bulk,
)
from fairpath.governance.authority import approval_handler
from fairpath.governance.models import User

BATCH_SIZE = 2000
ID_CHUNK = 20_000  # ids per IN list on PostgreSQL (SQLite: 900)


def _today() -> date:
    return timezone.localdate()


# ----------------------------------------------------------------------------------------------------
# Customers and agreements


def create_customer(
    *,
    client: Client,
    reference: str,
    first_name: str,
    last_name: str,
    actor: Actor,
    title: str = "",
    date_of_birth: date | None = None,
    addresses: Sequence[dict[str, Any]] = (),
    contact_points: Sequence[dict[str, Any]] = (),
) -> Customer:
    """Create a customer with addresses and contact points; region codes are checked (calendar, time zone)."""
    if not reference.strip():
        raise InvalidInput("A customer needs a reference", field="reference")
    if not last_name.strip():
        raise InvalidInput("A customer needs a last name", field="last_name")
    if date_of_birth is not None and date_of_birth >= _today():
        raise InvalidInput("The date of birth must be in the past", field="date_of_birth")
    for address in addresses:
        rules.check_region(address.get("country", ""), address.get("region", ""))
    with transaction.atomic():
        if Customer.objects.filter(client=client, reference=reference).exists():
            raise InvalidInput(f"Customer {reference} already exists", field="reference")
        customer = Customer(
            client=client,
            reference=reference,
            title=title,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
        )
        customer.save()
        for address in addresses:
            Address(client=client, customer=customer, **address).save()
        for point in contact_points:
            ContactPoint(client=client, customer=customer, **point).save()
        record_event(
            actor=actor,
            action="accounts.customer_created",
            obj=customer,
            after={
                "reference": reference,
                "addresses": len(addresses),
                "contact_points": len(contact_points),
            },
        )
    return customer


def due_dates(first_due_on: date, frequency: str, count: int) -> list[date]:
    """Due dates counted from the first one (never chained), so a 31st stays the month's last day."""
    if frequency == rules.Frequency.WEEKLY:
        return [first_due_on + relativedelta(weeks=n) for n in range(count)]
    return [first_due_on + relativedelta(months=n) for n in range(count)]


def open_agreement(
    *,
    customer: Customer,
    reference: str,
    product: str,
    currency: str,
    rate_bp: int,
    instalment_minor: int,
    opened_on: date,
    first_due_on: date,
    actor: Actor,
    frequency: str = rules.Frequency.MONTHLY.value,
    term_instalments: int | None = None,
    credit_limit_minor: int | None = None,
    balloon_minor: int | None = None,
    end_on: date | None = None,
    drawdown_minor: int = 0,
    fee_terms: Sequence[tuple[str, int, str]] = (),
    schedule: Sequence[tuple[date, int, int]] | None = None,
) -> Agreement:
    """Open an agreement with its terms, fee schedule (UK-CHARGES) and repayment schedule.

    ``schedule`` rows are (due date, interest part, principal part); without it a fixed-sum agreement gets
    ``term_instalments`` equal instalments of principal. A ``drawdown_minor`` posts the amount lent.
    """
    rules.check_terms(
        product=product,
        currency=currency,
        rate_bp=rate_bp,
        instalment_minor=instalment_minor,
        frequency=frequency,
    )
    if first_due_on < opened_on:
        raise InvalidInput(
            "The first payment cannot fall due before the agreement opens", field="first_due_on"
        )
    if product == rules.Product.PCP and (balloon_minor is None or end_on is None):
        raise InvalidInput("A PCP agreement needs a balloon payment and an end date", field="balloon_minor")
    if product == rules.Product.CREDIT_CARD and credit_limit_minor is None:
        raise InvalidInput("A credit card needs a credit limit", field="credit_limit_minor")
    for fee_type, amount, cost_basis in fee_terms:
        if amount <= 0 or not cost_basis.strip():
            raise InvalidInput(f"Fee {fee_type} needs a positive amount and a cost basis", field="fee_terms")
    if schedule is None and term_instalments:
        schedule = [
            (day, 0, instalment_minor) for day in due_dates(first_due_on, frequency, term_instalments)
        ]
    with transaction.atomic():
        if Agreement.objects.filter(client_id=customer.client_id, reference=reference).exists():
            raise InvalidInput(f"Agreement {reference} already exists", field="reference")
        agreement = Agreement(
            client_id=customer.client_id,
            customer=customer,
            reference=reference,
            product=product,
            currency=currency,
            rate_bp=rate_bp,
            instalment_minor=instalment_minor,
            frequency=frequency,
            term_instalments=term_instalments,
            credit_limit_minor=credit_limit_minor,
            balloon_minor=balloon_minor,
            opened_on=opened_on,
            first_due_on=first_due_on,
            end_on=end_on,
        )
        agreement.save()
        FeeTerm.objects.bulk_create(
            FeeTerm(
                client_id=agreement.client_id,
                agreement=agreement,
                fee_type=fee_type,
                amount_minor=amount,
                cost_basis=cost_basis,
            )
            for fee_type, amount, cost_basis in fee_terms
        )
        add_instalments(agreement=agreement, rows=schedule or [])
        StatusHistory(
            client_id=agreement.client_id,
            agreement=agreement,
            from_status="",
            to_status=agreement.status,
            changed_on=opened_on,
            actor_label=actor_label(actor),
            reason="opened",
        ).save()
        record_event(
            actor=actor,
            action="accounts.agreement_opened",
            obj=agreement,
            after={
                "reference": reference,
                "product": product,
                "currency": currency,
                "instalment_minor": instalment_minor,
            },
        )
        if drawdown_minor:
            post_entry(
                agreement=agreement,
                kind="drawdown",
                amount_minor=drawdown_minor,
                currency=currency,
                posted_on=opened_on,
                actor=actor,
            )
    return agreement


def add_instalments(*, agreement: Agreement, rows: Iterable[tuple[date, int, int]]) -> None:
    """Append schedule rows (due date, interest, principal) after the last; in the caller's transaction."""
    last = ScheduleInstalment.objects.filter(agreement=agreement).order_by("-sequence").first()
    start = last.sequence if last else 0
    instalments = []
    for offset, (due_on, interest, principal) in enumerate(rows, start=1):
        if interest < 0 or principal < 0:
            raise InvalidInput("Instalment parts cannot be negative", field="schedule")
        instalments.append(
            ScheduleInstalment(
                client_id=agreement.client_id,
                agreement=agreement,
                sequence=start + offset,
                due_on=due_on,
                interest_due_minor=interest,
                principal_due_minor=principal,
                amount_due_minor=interest + principal,
            )
        )
    ScheduleInstalment.objects.bulk_create(instalments, batch_size=BATCH_SIZE)


# ----------------------------------------------------------------------------------------------------
# Postings


def _check_currency(agreement: Agreement, currency: str) -> None:
    if currency != agreement.currency:
        raise InvalidInput(
            f"This agreement is in {agreement.currency}; a posting in {currency} is refused", field="currency"
        )


def _locked(agreement: Agreement) -> Agreement:
    """The agreement row, locked until commit: every posting to it takes this lock first."""
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


def _append(
    agreement: Agreement, *, kind: str, amount: int, posted_on: date, actor: Actor, **extra: Any
) -> LedgerEntry:
    entry = LedgerEntry(
        client_id=agreement.client_id,
        agreement=agreement,
        kind=kind,
        amount_minor=amount,
        currency=agreement.currency,
        posted_on=posted_on,
        actor_label=actor_label(actor),
        **extra,
    )
    entry.save()
    Agreement.objects.filter(pk=agreement.pk).update(balance_minor=F("balance_minor") + amount)
    return entry


def fee_outstanding(agreement: Agreement) -> dict[int, tuple[date, int]]:
    """Each fee entry's unpaid, unwaived amount: fee id -> (posted on, outstanding)."""
    return _fees_outstanding([agreement.pk]).get(agreement.pk, {})


def _fees_outstanding(agreement_ids: Sequence[int]) -> dict[int, dict[int, tuple[date, int]]]:
    """Per agreement, each fee entry's unpaid, unwaived amount (oldest first): one query per id chunk, through
    the partial index of fee entries (an agreement's other entries are never read).

    Paid counts every allocation to the fee (a reversal's negative ones give it back); waivers are negative.
    """
    quote = connection.ops.quote_name
    entries = quote(LedgerEntry._meta.db_table)
    allocations = quote(PaymentAllocation._meta.db_table)
    agreement, amount, kind = quote("agreement_id"), quote("amount_minor"), quote("kind")
    result: dict[int, dict[int, tuple[date, int]]] = defaultdict(dict)
    for chunk in _chunks(sorted(set(agreement_ids))):
        condition, params = _any_id(f"f.{agreement}", chunk)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT f.{agreement}, f.{quote('id')}, f.{quote('posted_on')}, f.{amount}, "  # noqa: S608
                f"COALESCE((SELECT SUM(a.{amount}) FROM {allocations} a "
                f"WHERE a.{quote('fee_entry_id')} = f.{quote('id')}), 0), "
                f"COALESCE((SELECT SUM(w.{amount}) FROM {entries} w "
                f"WHERE w.{quote('reverses_id')} = f.{quote('id')} AND w.{kind} = %s), 0) "
                f"FROM {entries} f WHERE {condition} AND f.{kind} = %s "
                f"ORDER BY f.{agreement}, f.{quote('posted_on')}, f.{quote('id')}",
                [rules.EntryKind.WAIVER.value, *params, rules.EntryKind.FEE.value],
            )
            for agreement_id, fee_id, posted_on, fee_amount, fee_paid, fee_waived in cursor.fetchall():
                result[agreement_id][fee_id] = (posted_on, fee_amount - int(fee_paid) + int(fee_waived))
    return dict(result)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """Id lists cut to what one query may carry on this database (SQLite: under 999 parameters)."""
    size = 900 if connection.vendor == "sqlite" else ID_CHUNK
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def post_entry(
    *,
    agreement: Agreement,
    kind: str,
    amount_minor: int,
    currency: str,
    posted_on: date,
    actor: Actor,
    reason: str = "",
    fee_type: str = "",
    waives: LedgerEntry | None = None,
    reference: str = "",
) -> LedgerEntry:
    """Post a non-payment entry (drawdown, purchase, interest, fee, adjustment, waiver, write-off, discount).

    Fees only of a type in the agreement's terms and no more than its amount (UK-CHARGES); no interest or
    fees during a breathing space (BS-EFFECT); a waiver names the fee it waives and cannot waive more than
    is outstanding. Payments go through ``post_payment``.
    """
    if kind in (rules.EntryKind.PAYMENT, rules.EntryKind.PAYMENT_REVERSAL):
        raise InvalidInput(
            "Payments are posted with post_payment and reversed with reverse_payment", field="kind"
        )
    signed = rules.signed_amount(kind, amount_minor)
    _check_currency(agreement, currency)
    with transaction.atomic():
        locked = _locked(agreement)
        if (
            kind in (rules.EntryKind.FEE, rules.EntryKind.INTEREST)
            and locked.status == rules.S.BREATHING_SPACE
        ):
            raise Refusal(
                f"No {kind} may be charged during a breathing space", rule="BS-EFFECT", field="kind"
            )
        if kind == rules.EntryKind.FEE:
            term = FeeTerm.objects.filter(agreement=locked, fee_type=fee_type).first()
            if term is None:
                raise Refusal(
                    f"The agreement's terms allow no {fee_type or 'unnamed'} fee",
                    rule="UK-CHARGES",
                    field="fee_type",
                )
            if amount_minor > term.amount_minor:
                raise Refusal(
                    f"The {fee_type} fee is at most {term.amount_minor}",
                    rule="UK-CHARGES",
                    field="amount_minor",
                )
        if kind == rules.EntryKind.WAIVER:
            if waives is None or waives.agreement_id != locked.pk or waives.kind != rules.EntryKind.FEE:
                raise InvalidInput("A waiver names a fee on this agreement", field="waives")
            _, outstanding = fee_outstanding(locked).get(waives.pk, (posted_on, 0))
            if amount_minor > outstanding:
                raise InvalidInput(f"Only {outstanding} of that fee is outstanding", field="amount_minor")
            fee_type = waives.fee_type
        entry = _append(
            locked,
            kind=kind,
            amount=signed,
            posted_on=posted_on,
            actor=actor,
            fee_type=fee_type,
            reverses=waives,
            reference=reference,
            description=reason,
        )
        record_event(
            actor=actor,
            action=f"accounts.{kind}_posted",
            obj=locked,
            before={"balance_minor": locked.balance_minor},
            after={
                "entry": entry.pk,
                "kind": kind,
                "amount_minor": signed,
                "balance_minor": locked.balance_minor + signed,
            },
            reason=reason,
        )
    return entry


def waterfall_policy(agreement: Agreement) -> rules.WaterfallPolicy:
    setting = WaterfallSetting.objects.filter(
        client_id=agreement.client_id, product=agreement.product
    ).first()
    return rules.waterfall_for(agreement.product, setting.policy() if setting else None)


_PAID_FIELD = {
    rules.Component.INTEREST: "interest_paid_minor",
    rules.Component.PRINCIPAL: "principal_paid_minor",
}


@dataclass(frozen=True)
class PaymentToPost:
    """One payment for :func:`post_payments`: money received for an agreement on a day."""

    agreement_id: int
    amount_minor: int
    currency: str
    posted_on: date
    reference: str = ""
    description: str = ""


@dataclass
class _OpenInstalment:
    """An instalment not yet paid in full, as held in memory while a batch of payments is allocated."""

    id: int
    due_on: date
    interest_due_minor: int
    principal_due_minor: int
    amount_due_minor: int
    interest_paid_minor: int
    principal_paid_minor: int
    amount_paid_minor: int


@dataclass
class _Book:
    """One locked agreement's open instalments (in due order: due date, then sequence) and fees (fee id ->
    [posted on, outstanding])."""

    instalments: list[_OpenInstalment]
    fees: dict[int, list[Any]]


def _due_items(book: _Book, *, on_or_before: date | None, after: date | None) -> list[rules.DueItem]:
    """What a payment can pay now (due on or before the day, with fees) or ahead (due after it, no fees).

    Only what has something outstanding: the waterfall passes over the rest, so leaving them out changes
    no allocation (and a batch of a hundred thousand payments builds far fewer items)."""
    items = []
    for instalment in book.instalments:  # in due order
        if on_or_before is not None and instalment.due_on > on_or_before:
            break
        if instalment.amount_paid_minor >= instalment.amount_due_minor:
            continue
        if after is not None and instalment.due_on <= after:
            continue
        key = ("i", instalment.id)
        interest = instalment.interest_due_minor - instalment.interest_paid_minor
        if interest > 0:
            items.append(rules.DueItem(key, instalment.due_on, rules.Component.INTEREST, interest))
        principal = instalment.principal_due_minor - instalment.principal_paid_minor
        if principal > 0:
            items.append(rules.DueItem(key, instalment.due_on, rules.Component.PRINCIPAL, principal))
    if on_or_before is not None:
        for fee_id, (posted_on, outstanding) in book.fees.items():
            if posted_on <= on_or_before and outstanding > 0:
                items.append(rules.DueItem(("f", fee_id), posted_on, rules.Component.FEE, outstanding))
    return items


def _allocate(
    book: _Book, amount_minor: int, received_on: date, policy: rules.WaterfallPolicy
) -> list[rules.Allocation]:
    """LEDGER-WATERFALL for one payment against the book as it stands, then the book moved by it."""
    allocations: list[rules.Allocation] = []
    remainder = amount_minor
    due = _due_items(book, on_or_before=received_on, after=None)
    if due:
        due_now = rules.allocate_payment(amount_minor, due, policy)
        allocations += due_now.allocations
        remainder = due_now.unallocated_minor
    ahead_items = _due_items(book, on_or_before=None, after=received_on) if remainder else []
    if ahead_items:
        ahead = rules.allocate_payment(remainder, ahead_items, policy)
        allocations += ahead.allocations
        remainder = ahead.unallocated_minor
    if remainder:
        allocations.append(rules.Allocation(None, rules.Component.UNALLOCATED, remainder))
    instalments = {instalment.id: instalment for instalment in book.instalments}
    for allocation in allocations:
        kind, target = allocation.key if isinstance(allocation.key, tuple) else (None, None)
        if kind == "i":
            instalment = instalments[target]
            if allocation.component == rules.Component.INTEREST:
                instalment.interest_paid_minor += allocation.amount_minor
            else:
                instalment.principal_paid_minor += allocation.amount_minor
            instalment.amount_paid_minor += allocation.amount_minor
        elif kind == "f":
            book.fees[target][1] -= allocation.amount_minor
    return allocations


def _any_id(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``column`` is one of ``ids``: one array parameter on PostgreSQL, an IN list elsewhere (SQLite)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", ["{" + ",".join(str(int(i)) for i in ids) + "}"]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


_INSTALMENT_COLUMNS = ("agreement_id", "id", "due_on", "interest_due_minor", "principal_due_minor",
                       "amount_due_minor", "interest_paid_minor", "principal_paid_minor", "amount_paid_minor")  # fmt: skip


AHEAD_FIRST_READ = 3  # open future instalments read per agreement in the first pass (PostgreSQL)


def _load_books(
    agreement_ids: Sequence[int], reach: dict[int, tuple[date, int | None]] | None = None
) -> dict[int, _Book]:
    """Open instalments (one query per id chunk) and fees outstanding of locked agreements.

    ``reach``: per agreement, the last day its payments are received and the most they add up to (None: no
    limit). Paying ahead takes due dates in turn (oldest first), each paid in full before the next is
    reached, so once the open future instalments read owe at least that total, later ones cannot be reached.
    On PostgreSQL the first pass reads, agreement by agreement through the (agreement, due date) index,
    everything due up to the batch's last day and the next few open instalments after it (never an
    agreement's paid history, nor the rest of the book); only agreements whose payments could reach further
    (or whose waterfall pays every future interest first) have all the rest read in a second pass. Elsewhere
    every open instalment is read.
    """
    books = {agreement_id: _Book([], {}) for agreement_id in agreement_ids}
    quote = connection.ops.quote_name
    table = quote(ScheduleInstalment._meta.db_table)
    columns = ", ".join(quote(name) for name in _INSTALMENT_COLUMNS)
    open_only = f"{quote('amount_paid_minor')} < {quote('amount_due_minor')}"
    order = f"{quote('due_on')}, {quote('sequence')}"

    def read(ids: Sequence[int]) -> None:
        for chunk in _chunks(ids):
            where, params = _any_id(quote("agreement_id"), chunk)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {columns} FROM {table} WHERE {where} AND {open_only} "  # noqa: S608
                    f"ORDER BY {quote('agreement_id')}, {order}",
                    params,
                )
                for agreement_id, *values in cursor.fetchall():
                    books[agreement_id].instalments.append(_OpenInstalment(*values))

    def read_each(ids: Sequence[int], bound: date, ahead: int | None) -> list[tuple]:
        """Per agreement (a nested loop over the ids, each an index range of the open instalments): with
        ``ahead``, those due up to ``bound`` and the next ``ahead`` after it; without, all due after it."""
        subquery = (
            f"(SELECT t.* FROM {table} AS t WHERE t.{quote('agreement_id')} = r.id AND t.{open_only} AND "
        )
        later = f"{subquery}t.{quote('due_on')} > %s ORDER BY {order}"
        body = f"{subquery}t.{quote('due_on')} <= %s) UNION ALL {later} LIMIT %s)" if ahead else f"{later})"
        rows: list[tuple] = []
        for chunk in _chunks(ids):
            params: list[Any] = ["{" + ",".join(str(pk) for pk in chunk) + "}", bound]
            params += [bound, ahead] if ahead else []
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(f'i.{quote(name)}' for name in _INSTALMENT_COLUMNS)} "  # noqa: S608
                    f"FROM unnest(%s::bigint[]) AS r(id) CROSS JOIN LATERAL ({body}) AS i "
                    f"ORDER BY i.{quote('agreement_id')}, i.{quote('due_on')}, i.{quote('sequence')}",
                    params,
                )
                rows += cursor.fetchall()
        return rows

    if reach is None or connection.vendor != "postgresql":
        read(agreement_ids)
    else:
        bound = max(last_day for last_day, _ in reach.values())
        first_ahead: dict[int, list[_OpenInstalment]] = defaultdict(list)
        for agreement_id, *values in read_each(agreement_ids, bound, AHEAD_FIRST_READ):
            instalment = _OpenInstalment(*values)
            if instalment.due_on <= bound:
                books[agreement_id].instalments.append(instalment)
            else:
                first_ahead[agreement_id].append(instalment)
        further = []
        for agreement_id in agreement_ids:
            last_day, total = reach[agreement_id]
            ahead = first_ahead.get(agreement_id, [])
            # A due date is whole only if fewer than the limit came back or a later date followed it.
            whole = (
                ahead if len(ahead) < AHEAD_FIRST_READ else [i for i in ahead if i.due_on < ahead[-1].due_on]
            )
            owed = sum(
                max(i.interest_due_minor - i.interest_paid_minor, 0)
                + max(i.principal_due_minor - i.principal_paid_minor, 0)
                for i in books[agreement_id].instalments + whole
                if i.due_on > last_day
            )
            if total is None or (owed < total and len(ahead) == AHEAD_FIRST_READ):
                further.append(agreement_id)
            else:
                books[agreement_id].instalments += whole
        for agreement_id, *values in read_each(further, bound, None):  # after the first pass's rows
            books[agreement_id].instalments.append(_OpenInstalment(*values))
    for agreement_id, fees in _fees_outstanding(agreement_ids).items():
        books[agreement_id].fees = {
            fee_id: [posted_on, amount] for fee_id, (posted_on, amount) in fees.items()
        }
    return books


def _move_paid_and_balances(
    paid: dict[int, dict[str, int]], balances: dict[int, int], locked: dict[int, tuple[int, str, str, int]]
) -> None:
    """Add allocated amounts to instalments' paid columns and move each locked agreement's balance from the
    value read under its lock to ``balances`` (as a difference, atomically): posting and reversal alike."""
    add_by_pk(ScheduleInstalment, paid, ("interest_paid_minor", "principal_paid_minor", "amount_paid_minor"))
    add_by_pk(
        Agreement,
        {
            agreement_id: {"balance_minor": balances[agreement_id] - locked[agreement_id][3]}
            for agreement_id in locked
        },
        ("balance_minor",),
    )


def move_balances(deltas: dict[int, int]) -> None:
    """Add per-agreement amounts to ``balance_minor`` atomically (``balance = balance + delta``), in one
    statement on PostgreSQL: the set-based form of ``F("balance_minor") + amount`` for many agreements."""
    add_by_pk(Agreement, {pk: {"balance_minor": amount} for pk, amount in deltas.items()}, ["balance_minor"])


_ENTRY_COLUMNS = ("client_id", "agreement_id", "kind", "amount_minor", "currency", "posted_on", "created_at",
                  "fee_type", "reverses_id", "reference", "description", "actor_label")  # fmt: skip
_ALLOCATION_COLUMNS = ("client_id", "entry_id", "component", "instalment_id", "fee_entry_id", "amount_minor")


def _lock_agreements(agreement_ids: Sequence[int]) -> dict[int, tuple[int, str, str, int]]:
    """(client id, product, currency, balance) of each agreement, its row locked until commit, in id order
    (so two batches cannot deadlock): one query per id chunk."""
    quote = connection.ops.quote_name
    locked: dict[int, tuple[int, str, str, int]] = {}
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    for chunk in _chunks(sorted(agreement_ids)):
        condition, params = _any_id(quote("id"), chunk)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('id')}, {quote('client_id')}, {quote('product')}, {quote('currency')}, "  # noqa: S608
                f"{quote('balance_minor')} FROM {quote(Agreement._meta.db_table)} WHERE {condition} "
                f"ORDER BY {quote('id')}{lock}",
                params,
            )
            for agreement_id, client_id, product, currency, balance in cursor.fetchall():
                locked[agreement_id] = (client_id, product, currency, balance)
    return locked


def post_payments(*, payments: Sequence[PaymentToPost], actor: Actor, reason: str = "") -> list[LedgerEntry]:
    """Post many payments at once, each exactly as :func:`post_payment` would, in the order given.

    LEDGER-WATERFALL for each payment, against the schedule and fees as the payments before it left them (so
    several payments to one agreement allocate in turn). Any payment that cannot be posted refuses the whole
    batch and nothing is written. Returns the entries in order (see :func:`post_payments_in_bulk`).
    """
    ids = post_payments_in_bulk(payments=payments, actor=actor, reason=reason)
    entries = LedgerEntry.objects.in_bulk(ids)
    return [entries[pk] for pk in ids]


def _allocation_rows_and_events(
    payments: Sequence[PaymentToPost],
    entry_ids: Sequence[int],
    planned: Sequence[tuple[list[rules.Allocation], int]],
    locked: dict[int, tuple[int, str, str, int]],
) -> tuple[list[tuple], list[PendingEvent]]:
    """The allocation rows (for COPY) and the audit events of a batch of posted payments: no database."""
    rows: list[tuple] = []
    events: list[PendingEvent] = []
    for payment, entry_id, (allocations, before) in zip(payments, entry_ids, planned, strict=True):
        client_id = locked[payment.agreement_id][0]
        unallocated = 0
        for allocation in allocations:
            kind, target = allocation.key if isinstance(allocation.key, tuple) else (None, None)
            rows.append(
                (client_id, entry_id, str(allocation.component), target if kind == "i" else None,
                 target if kind == "f" else None, allocation.amount_minor)
            )  # fmt: skip
            if kind is None:
                unallocated = allocation.amount_minor
        events.append(
            PendingEvent(
                "accounts.agreement",
                str(payment.agreement_id),
                client_id,
                before={"balance_minor": before},
                after={
                    "entry": entry_id,
                    "amount_minor": payment.amount_minor,
                    "unallocated_minor": unallocated,
                    "balance_minor": before - payment.amount_minor,
                },
            )
        )
    return rows, events


def post_payments_in_bulk(*, payments: Sequence[PaymentToPost], actor: Actor, reason: str = "") -> list[int]:
    """:func:`post_payments` for files of many thousands of payments: the same postings, returning the new
    entries' ids in order instead of loading them.

    Set-based: the agreements are locked in id order, their open instalments and fees are read once,
    allocations are computed in memory, and entries and allocations (COPY on PostgreSQL), instalment paid
    amounts and balances (atomic ``col = col + delta``) and audit rows are written in bulk.
    """
    for payment in payments:
        if not isinstance(payment.amount_minor, int) or payment.amount_minor <= 0:
            raise InvalidInput("A payment must be more than zero", field="amount_minor")
    if not payments:
        return []
    agreement_ids = sorted({payment.agreement_id for payment in payments})
    label = actor_label(actor)
    with transaction.atomic():
        locked = _lock_agreements(agreement_ids)
        for payment in payments:
            found = locked.get(payment.agreement_id)
            if found is None:
                raise InvalidInput(f"There is no agreement {payment.agreement_id}", field="agreement_id")
            if payment.currency != found[2]:
                raise InvalidInput(
                    f"This agreement is in {found[2]}; a posting in {payment.currency} is refused",
                    field="currency",
                )
        overrides = {
            (setting.client_id, setting.product): setting.policy()
            for setting in WaterfallSetting.objects.filter(
                client_id__in=sorted({client_id for client_id, _, _, _ in locked.values()})
            )
        }
        policies = {
            agreement_id: rules.waterfall_for(product, overrides.get((client_id, product)))
            for agreement_id, (client_id, product, _, _) in locked.items()
        }
        reach: dict[int, tuple[date, int | None]] = {}
        for payment in payments:
            last_day, total = reach.get(payment.agreement_id, (payment.posted_on, 0))
            reach[payment.agreement_id] = (
                max(last_day, payment.posted_on),
                (total or 0) + payment.amount_minor,
            )
        for agreement_id, policy in policies.items():
            if policy.due_order is not rules.DueOrder.OLDEST_FIRST:  # every future interest comes first
                reach[agreement_id] = (reach[agreement_id][0], None)
        books = _load_books(agreement_ids, reach)
        balances = {agreement_id: row[3] for agreement_id, row in locked.items()}
        now = timezone.now()
        entry_rows: list[tuple] = []
        planned: list[tuple[list[rules.Allocation], int]] = []
        paid: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for payment in payments:
            client_id, _, currency, _ = locked[payment.agreement_id]
            allocations = _allocate(
                books[payment.agreement_id],
                payment.amount_minor,
                payment.posted_on,
                policies[payment.agreement_id],
            )
            for allocation in allocations:
                if isinstance(allocation.key, tuple) and allocation.key[0] == "i":
                    moves = paid[allocation.key[1]]
                    moves[_PAID_FIELD[allocation.component]] += allocation.amount_minor
                    moves["amount_paid_minor"] += allocation.amount_minor
            entry_rows.append(
                (client_id, payment.agreement_id, rules.EntryKind.PAYMENT.value, -payment.amount_minor, currency,
                 payment.posted_on, now, "", None, payment.reference, payment.description, label)
            )  # fmt: skip
            planned.append((allocations, balances[payment.agreement_id]))
            balances[payment.agreement_id] -= payment.amount_minor
        entry_ids = insert_rows(LedgerEntry, _ENTRY_COLUMNS, entry_rows)
        # The allocation rows and audit events are plain Python built from what is already known: a worker
        # thread builds them while this one waits on the database moving paid amounts and balances.
        with ThreadPoolExecutor(max_workers=1) as worker:
            built = worker.submit(_allocation_rows_and_events, payments, entry_ids, planned, locked)
            _move_paid_and_balances(paid, balances, locked)
            rows, events = built.result()
        insert_rows(PaymentAllocation, _ALLOCATION_COLUMNS, rows, returning_ids=False)
        record_events_bulk(actor=actor, action="accounts.payment_posted", events=events, reason=reason)
    return entry_ids


def post_payment(
    *,
    agreement: Agreement,
    amount_minor: int,
    currency: str,
    received_on: date,
    actor: Actor,
    reference: str = "",
) -> LedgerEntry:
    """Post a payment and allocate it by the product's waterfall (LEDGER-WATERFALL).

    What is already due is paid first, in the waterfall's order; anything left pays the next instalments in
    advance (an early payer is not then in arrears); any remainder stays unallocated and reduces the balance.
    UK-THIRDPARTY: a payment offered by or for the customer is never refused for who pays it.
    The single-payment path of :func:`post_payments`, so the rule lives once.
    """
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput("A payment must be more than zero", field="amount_minor")
    _check_currency(agreement, currency)
    (entry,) = post_payments(
        payments=[PaymentToPost(agreement.pk, amount_minor, currency, received_on, reference)], actor=actor
    )
    return entry


def reverse_payment(
    *, payment: LedgerEntry, actor: Actor, reason: str, reversed_on: date | None = None
) -> LedgerEntry:
    """Reverse a payment (returned direct debit, bounced cheque): undo its allocations and balance.

    The single-payment path of :func:`reverse_payments_in_bulk`, so the rule lives once."""
    if payment.kind != rules.EntryKind.PAYMENT:
        raise InvalidInput("Only a payment can be reversed", field="payment")
    (reversal_id,) = reverse_payments_in_bulk(
        reversals=[PaymentToReverse(payment.pk, reason, reversed_on)], actor=actor
    )
    return LedgerEntry.objects.get(pk=reversal_id)


@dataclass(frozen=True)
class PaymentToReverse:
    """One payment for :func:`reverse_payments_in_bulk`: the payment entry, why, and the day (None: today)."""

    payment_id: int
    reason: str
    reversed_on: date | None = None


def reverse_payments_in_bulk(*, reversals: Sequence[PaymentToReverse], actor: Actor) -> list[int]:
    """Reverse many payments at once (a file of returned direct debits), each exactly as
    :func:`reverse_payment` would, and return the reversal entries' ids in order.

    LEDGER-REVERSAL: a payment already reversed, or named twice, refuses the whole batch (nothing is written).
    Set-based: the payments are read in one query per id chunk, their agreements locked in id order, their
    allocations read once and written back negated (COPY on PostgreSQL), instalment paid amounts and balances
    moved atomically (``col = col + delta``), and the audit rows appended in bulk (one call per reason).
    """
    for reversal in reversals:
        if not reversal.reason.strip():
            raise InvalidInput("Say why the payment is reversed", field="reason")
    if not reversals:
        return []
    payment_ids = [reversal.payment_id for reversal in reversals]
    if len(set(payment_ids)) != len(payment_ids):
        raise Refusal("This payment is already reversed", rule="LEDGER-REVERSAL", field="payment")
    quote = connection.ops.quote_name
    entries = quote(LedgerEntry._meta.db_table)
    with transaction.atomic():
        payments: dict[int, tuple[int, str, int]] = {}  # id -> (agreement id, kind, amount)
        for chunk in _chunks(sorted(payment_ids)):
            condition, params = _any_id(quote("id"), chunk)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {quote('id')}, {quote('agreement_id')}, {quote('kind')}, {quote('amount_minor')} "  # noqa: S608
                    f"FROM {entries} WHERE {condition}",
                    params,
                )
                for payment_id, agreement_id, kind, amount in cursor.fetchall():
                    payments[payment_id] = (agreement_id, kind, amount)
        for payment_id in payment_ids:
            if payment_id not in payments:
                raise InvalidInput(f"There is no payment {payment_id}", field="payment")
            if payments[payment_id][1] != rules.EntryKind.PAYMENT:
                raise InvalidInput("Only a payment can be reversed", field="payment")
        locked = _lock_agreements(sorted({agreement_id for agreement_id, _, _ in payments.values()}))
        originals: dict[int, list[tuple[str, int | None, int | None, int]]] = defaultdict(list)
        for chunk in _chunks(sorted(payment_ids)):
            with connection.cursor() as cursor:
                condition, params = _any_id(quote("reverses_id"), chunk)
                cursor.execute(
                    f"SELECT {quote('reverses_id')} FROM {entries} WHERE {condition} AND {quote('kind')} = %s",  # noqa: S608
                    [*params, rules.EntryKind.PAYMENT_REVERSAL.value],
                )
                if cursor.fetchall():
                    raise Refusal("This payment is already reversed", rule="LEDGER-REVERSAL", field="payment")
                condition, params = _any_id(quote("entry_id"), chunk)
                cursor.execute(
                    f"SELECT {quote('entry_id')}, {quote('component')}, {quote('instalment_id')}, "  # noqa: S608
                    f"{quote('fee_entry_id')}, {quote('amount_minor')} "
                    f"FROM {quote(PaymentAllocation._meta.db_table)} WHERE {condition} ORDER BY {quote('id')}",
                    params,
                )
                for entry_id, *allocation in cursor.fetchall():
                    originals[entry_id].append(tuple(allocation))  # type: ignore[arg-type]
        today, now, label = _today(), timezone.now(), actor_label(actor)
        balances = {agreement_id: row[3] for agreement_id, row in locked.items()}
        entry_rows: list[tuple] = []
        before_after: list[tuple[int, int]] = []
        for reversal in reversals:
            agreement_id, _, amount = payments[reversal.payment_id]
            client_id, _, currency, _ = locked[agreement_id]
            entry_rows.append(
                (client_id, agreement_id, rules.EntryKind.PAYMENT_REVERSAL.value, -amount, currency,
                 reversal.reversed_on or today, now, "", reversal.payment_id, "", reversal.reason, label)
            )  # fmt: skip
            before_after.append((balances[agreement_id], balances[agreement_id] - amount))
            balances[agreement_id] -= amount
        reversal_ids = insert_rows(LedgerEntry, _ENTRY_COLUMNS, entry_rows)
        rows: list[tuple] = []
        paid: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        events: dict[str, list[PendingEvent]] = defaultdict(list)
        for reversal, reversal_id, (before, after) in zip(reversals, reversal_ids, before_after, strict=True):
            agreement_id = payments[reversal.payment_id][0]
            client_id = locked[agreement_id][0]
            for component, instalment_id, fee_entry_id, amount in originals.get(reversal.payment_id, []):
                rows.append((client_id, reversal_id, component, instalment_id, fee_entry_id, -amount))
                if instalment_id:
                    moves = paid[instalment_id]
                    moves[_PAID_FIELD.get(rules.Component(component), "principal_paid_minor")] -= amount
                    moves["amount_paid_minor"] -= amount
            events[reversal.reason].append(
                PendingEvent(
                    "accounts.agreement",
                    str(agreement_id),
                    client_id,
                    before={"balance_minor": before},
                    after={"entry": reversal_id, "reverses": reversal.payment_id, "balance_minor": after},
                )
            )
        insert_rows(PaymentAllocation, _ALLOCATION_COLUMNS, rows, returning_ids=False)
        _move_paid_and_balances(paid, balances, locked)
        for reason, pending in events.items():
            record_events_bulk(actor=actor, action="accounts.payment_reversed", events=pending, reason=reason)
    return reversal_ids


# ----------------------------------------------------------------------------------------------------
# Manual adjustments within authority limits

ADJUSTMENT_LIMIT_KINDS = {
    rules.EntryKind.WAIVER: "fee_waiver",
    rules.EntryKind.WRITE_OFF: "write_off",
    rules.EntryKind.ADJUSTMENT: "compensation",
    rules.EntryKind.SETTLEMENT_DISCOUNT: "compensation",
}


def post_manual_adjustment(
    *,
    agreement: Agreement,
    kind: str,
    amount_minor: int,
    currency: str,
    posted_on: date,
    reason: str,
    actor: User,
    waives: LedgerEntry | None = None,
) -> AuthorityOutcome:
    """AUTHORITY-LIMIT: a person's adjustment, waiver, write-off or discount.

    Credits (amounts that reduce what is owed) count against the role's limit for that kind: within it the
    entry is posted now (``outcome.result``); over it an approval request goes to the next role up
    (``outcome.approval``) and the entry is posted when that person approves. Debit adjustments need no
    authority. Input is checked first, so a bad request never reaches an approver.
    """
    require_client(actor, agreement.client_id)
    if kind not in ADJUSTMENT_LIMIT_KINDS:
        raise InvalidInput(f"{kind} is not a manual adjustment", field="kind")
    if not reason.strip():
        raise InvalidInput("Say why the adjustment is made", field="reason")
    signed = rules.signed_amount(kind, amount_minor)
    _check_currency(agreement, currency)
    if kind == rules.EntryKind.WAIVER and (waives is None or waives.agreement_id != agreement.pk):
        raise InvalidInput("A waiver names a fee on this agreement", field="waives")
    payload = {
        "agreement_id": agreement.pk,
        "kind": kind,
        "amount_minor": amount_minor,
        "currency": currency,
        "posted_on": posted_on.isoformat(),
        "reason": reason,
        "waives_id": waives.pk if waives else None,
    }
    if signed > 0:
        return AuthorityOutcome(result=_approved_adjustment(payload, actor=actor, approval=None))
    return act_within_authority(
        actor=actor,
        client=Client.objects.get(pk=agreement.client_id),
        action="accounts.post_manual_adjustment",
        kind=ADJUSTMENT_LIMIT_KINDS[rules.EntryKind(kind)],
        value=-signed,
        currency=currency,
        payload=payload,
        summary=f"a {kind.replace('_', ' ')} of {format_money(-signed, currency)} on {agreement.reference}",
        reason=reason,
        object_type="accounts.agreement",
        object_id=str(agreement.pk),
    )


@approval_handler("accounts.post_manual_adjustment")
def _approved_adjustment(payload: dict[str, Any], *, actor: Any, approval: Any) -> LedgerEntry:
    """Post an adjustment decided within authority (or approved by someone with it)."""
    agreement = Agreement.objects.get(pk=payload["agreement_id"])
    waives = LedgerEntry.objects.get(pk=payload["waives_id"]) if payload.get("waives_id") else None
    reason = payload.get("reason", "")
    if approval is not None:
        reason = f"{reason} (approval {approval.pk})"
    return post_entry(
        agreement=agreement,
        kind=payload["kind"],
        amount_minor=payload["amount_minor"],
        currency=payload["currency"],
        posted_on=date.fromisoformat(payload["posted_on"]),
        actor=actor,
        reason=reason,
        waives=waives,
    )


# ----------------------------------------------------------------------------------------------------
# Status


def change_status(
    *, agreement: Agreement, to_status: str, actor: Actor, reason: str = "", on: date | None = None
) -> Agreement:
    """STATUS-TRANSITION: move the status through the transition table, with history and audit rows."""
    with transaction.atomic():
        locked = _locked(agreement)
        target = rules.check_transition(locked.status, to_status)
        previous = locked.status
        Agreement.objects.filter(pk=locked.pk).update(status=target.value)
        StatusHistory(
            client_id=locked.client_id,
            agreement=locked,
            from_status=previous,
            to_status=target.value,
            changed_on=on or _today(),
            actor_label=actor_label(actor),
            reason=reason,
        ).save()
        record_event(
            actor=actor,
            action="accounts.status_changed",
            obj=locked,
            before={"status": previous},
            after={"status": target.value},
            reason=reason,
        )
    agreement.status = target.value
    return agreement


# ----------------------------------------------------------------------------------------------------
# Arrears recompute (set-based)


_STATE_COLUMNS = (
    "as_of",
    "arrears_minor",
    "missed_payments",
    "days_past_due",
    "oldest_unpaid_due_on",
    "bucket",
)


@dataclass(frozen=True)
class RecomputeSummary:
    agreements: int
    states_written: int
    bucket_changes: int
    status_changes: int


def _as_date(value: date | str) -> date:
    """A date read by a raw query: SQLite gives it back as ISO text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def open_past_due(agreement_ids: Sequence[int], as_of: date) -> list[tuple[int, int, int, date]]:
    """(agreement id, arrears, unpaid instalments, oldest unpaid due date) of the agreements that owe
    instalments due before ``as_of``.

    On PostgreSQL each agreement is a probe of the (agreement, due date) index for its instalments due
    before the day, whatever the planner's statistics say of how the table lies on disk: no index lists
    only the open instalments (their paid amounts are then updated in place, migration accounts 0009).
    """
    quote = connection.ops.quote_name
    table = quote(ScheduleInstalment._meta.db_table)
    due, paid = quote("amount_due_minor"), quote("amount_paid_minor")
    agreement, due_on = quote("agreement_id"), quote("due_on")
    rows: list[tuple[int, int, int, date]] = []
    for chunk in _chunks(agreement_ids):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT r.id, SUM(i.{due} - i.{paid}), COUNT(*), MIN(i.{due_on}) "  # noqa: S608
                    f"FROM unnest(%s::bigint[]) AS r(id) CROSS JOIN LATERAL (SELECT {due}, {paid}, {due_on} "
                    f"FROM {table} WHERE {agreement} = r.id AND {due_on} < %s AND {paid} < {due}) AS i "
                    "GROUP BY r.id",
                    ["{" + ",".join(str(int(pk)) for pk in chunk) + "}", as_of],
                )
            else:
                condition, params = _any_id(agreement, chunk)
                cursor.execute(
                    f"SELECT {agreement}, SUM({due} - {paid}), COUNT(*), MIN({due_on}) FROM {table} "  # noqa: S608
                    f"WHERE {condition} AND {due_on} < %s AND {paid} < {due} GROUP BY {agreement}",
                    [*params, as_of],
                )
            rows += [
                (agreement_id, int(arrears), int(missed), _as_date(oldest))
                for agreement_id, arrears, missed, oldest in cursor.fetchall()
            ]
    return rows


def recompute_arrears(
    *,
    client_ids: Iterable[int],
    as_of: date,
    actor: Actor | None = None,
    bands: rules.BucketBands = rules.DEFAULT_BUCKETS,
    id_range: tuple[int, int] | None = None,
) -> RecomputeSummary:
    """ARREARS-DPD / ARREARS-BUCKET: recompute every agreement's arrears state of these clients, in bulk.

    ``id_range`` (inclusive agreement ids) limits it to one shard of the book: the daily cycle recomputes
    each shard in that shard's own transaction, so the shards' processes share the work.

    One aggregate query over the schedule, one read of the current states, and batched writes of only the
    rows that changed; a bucket history row is written only when the bucket changes, so running it twice
    for the same day changes nothing. Up to date / in arrears statuses follow the arrears (the other
    statuses are decisions people take). A shard of clients can be retried safely.
    """
    actor = actor or SystemActor("arrears-recompute")
    ids = sorted(set(client_ids))
    label = actor_label(actor)
    with transaction.atomic():
        within = Q() if id_range is None else Q(agreement_id__gte=id_range[0], agreement_id__lte=id_range[1])
        agreements = {
            row[0]: row[1:]
            for row in Agreement.objects.filter(
                client_id__in=ids, **({} if id_range is None else {"id__range": id_range})
            ).values_list("id", "client_id", "status")
        }
        computed: dict[int, tuple[int, int, int, date | None]] = {
            agreement_id: (arrears, missed, (as_of - oldest).days, oldest)
            for agreement_id, arrears, missed, oldest in open_past_due(sorted(agreements), as_of)
        }
        current: dict[int, tuple[Any, ...]] = {}
        state_ids: dict[int, int] = {}
        for state_id, agreement_id, *values in ArrearsState.objects.filter(within, client_id__in=ids).values_list(
            "id", "agreement_id", "arrears_minor", "missed_payments", "days_past_due", "oldest_unpaid_due_on",
            "bucket",
        ):  # fmt: skip
            current[agreement_id] = tuple(values)
            state_ids[agreement_id] = state_id
        new_states: list[tuple[Any, ...]] = []  # (client, agreement, arrears, missed, days, oldest, bucket)
        history: list[BucketHistory] = []
        to_arrears: list[int] = []
        to_up_to_date: list[int] = []
        per_client_changes: dict[int, int] = defaultdict(int)
        for agreement_id, (client_id, status) in agreements.items():
            arrears, missed, days, oldest = computed.get(agreement_id, (0, 0, 0, None))
            bucket = bands.bucket_for(days)
            old = current.get(agreement_id)
            if old is not None and old == (arrears, missed, days, oldest, bucket):
                continue
            per_client_changes[client_id] += 1
            new_states.append((client_id, agreement_id, arrears, missed, days, oldest, bucket))
            old_bucket = old[4] if old is not None else ""
            if bucket != old_bucket:
                history.append(
                    BucketHistory(
                        client_id=client_id,
                        agreement_id=agreement_id,
                        as_of=as_of,
                        from_bucket=old_bucket,
                        to_bucket=bucket,
                        days_past_due=days,
                        arrears_minor=arrears,
                    )
                )
            if status == rules.AgreementStatus.UP_TO_DATE and missed:
                to_arrears.append(agreement_id)
            elif status == rules.AgreementStatus.IN_ARREARS and not missed:
                to_up_to_date.append(agreement_id)
        # Changed states are rewritten in place and missing ones inserted, set-based (COPY on PostgreSQL).
        # An unchanged state keeps its date: ``as_of`` is the day its figures were last written, so the
        # three quarters of a book that are up to date are not rewritten every night (17.5 s at 1M).
        update_rows(
            ArrearsState,
            _STATE_COLUMNS,
            [(state_ids[row[1]], as_of, *row[2:]) for row in new_states if row[1] in state_ids],
        )
        insert_rows(
            ArrearsState,
            ("client_id", "agreement_id", "as_of", *_STATE_COLUMNS[1:]),
            [(row[0], row[1], as_of, *row[2:]) for row in new_states if row[1] not in state_ids],
            returning_ids=False,
        )
        BucketHistory.objects.bulk_create(history, batch_size=BATCH_SIZE)
        status_rows = _move_statuses(
            to_arrears,
            rules.AgreementStatus.UP_TO_DATE,
            rules.AgreementStatus.IN_ARREARS,
            agreements,
            as_of,
            label,
        )
        status_rows += _move_statuses(
            to_up_to_date,
            rules.AgreementStatus.IN_ARREARS,
            rules.AgreementStatus.UP_TO_DATE,
            agreements,
            as_of,
            label,
        )
        for client_id, changes in sorted(per_client_changes.items()):
            record_event(
                actor=actor,
                action="accounts.arrears_recomputed",
                object_type="accounts.arrearsstate",
                object_id=f"client:{client_id}",
                client_id=client_id,
                after={"as_of": as_of.isoformat(), "states_written": changes}
                | ({} if id_range is None else {"agreements": list(id_range)}),
            )
    return RecomputeSummary(len(agreements), len(new_states), len(history), status_rows)


def _move_statuses(
    agreement_ids: list[int],
    from_status: rules.AgreementStatus,
    to_status: rules.AgreementStatus,
    agreements: dict[int, tuple[int, str]],
    as_of: date,
    label: str,
) -> int:
    rules.check_transition(from_status, to_status)
    for start in range(0, len(agreement_ids), BATCH_SIZE):
        Agreement.objects.filter(id__in=agreement_ids[start : start + BATCH_SIZE], status=from_status).update(
            status=to_status
        )
    StatusHistory.objects.bulk_create(
        (
            StatusHistory(
                client_id=agreements[agreement_id][0],
                agreement_id=agreement_id,
                from_status=from_status,
                to_status=to_status,
                changed_on=as_of,
                actor_label=label,
                reason="arrears recompute",
            )
            for agreement_id in agreement_ids
        ),
        batch_size=BATCH_SIZE,
    )
    return len(agreement_ids)
