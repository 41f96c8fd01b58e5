"""Promises to pay and repayment arrangements: record them, decide them, and detect kept or broken in bulk.

UK-PROPOSAL: a proposal is never rejected automatically; affordability comes from an income & expenditure
assessment and each decision is recorded with its reason. Arrangement terms longer than the deciding
person's authority go for approval (AUTHORITY-LIMIT, ``arrangement_term_months``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.db import transaction
from django.db.models import Q, Sum

from fairpath.accounts import rules as account_rules
from fairpath.accounts.models import Agreement, Customer, LedgerEntry, StatusHistory
from fairpath.collections import rules
from fairpath.collections.models import (
    Arrangement,
    ArrangementInstalment,
    IncomeExpenditure,
    Promise,
    PromiseInstalment,
)
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.actions import act_within_authority
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

CHUNK = 900
DEFAULT_PROMISE_GRACE_DAYS = 2
DEFAULT_ARRANGEMENT_GRACE_DAYS = 5


def record_promise(
    *,
    agreement: Agreement,
    instalments: Sequence[tuple[date, int]],
    made_on: date,
    actor: Actor,
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS,
    note: str = "",
) -> Promise:
    """Record a promise to pay of one or several dated amounts (minor units, the agreement's currency)."""
    if not instalments:
        raise InvalidInput("A promise needs at least one dated amount", field="instalments")
    for due_on, amount in instalments:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise InvalidInput(
                "Each promised amount is a positive whole number of minor units", field="amount"
            )
        if due_on < made_on:
            raise InvalidInput("A promised payment cannot be due before the promise", field="due_on")
    if grace_days < 0 or grace_days > 14:
        raise InvalidInput("Grace is between 0 and 14 days", field="grace_days")
    ordered = sorted(instalments)
    with transaction.atomic():
        Promise.objects.filter(agreement=agreement, status=Promise.Status.OPEN).update(
            status=Promise.Status.CANCELLED, resolved_on=made_on
        )
        promise = Promise(
            client_id=agreement.client_id,
            agreement=agreement,
            made_on=made_on,
            currency=agreement.currency,
            total_minor=sum(amount for _, amount in ordered),
            grace_days=grace_days,
            note=note,
            created_by=actor_label(actor),
        )
        promise.save()
        PromiseInstalment.objects.bulk_create(
            PromiseInstalment(
                client_id=agreement.client_id,
                promise=promise,
                sequence=number,
                due_on=due_on,
                amount_minor=amount,
            )
            for number, (due_on, amount) in enumerate(ordered, start=1)
        )
        record_event(
            actor=actor,
            action="collections.promise_recorded",
            obj=promise,
            after={
                "agreement": agreement.pk,
                "instalments": [[due_on, amount] for due_on, amount in ordered],
                "grace_days": grace_days,
            },
            reason=note,
        )
    return promise


def record_income_expenditure(
    *,
    customer: Customer,
    assessed_on: date,
    currency: str,
    income_minor: int,
    essential_spend_minor: int,
    actor: Actor,
    other_debts_minor: int = 0,
    notes: str = "",
) -> IncomeExpenditure:
    """UK-PROPOSAL: record an I&E; arrangements are judged affordable against its disposable income."""
    for name, value in (
        ("income_minor", income_minor),
        ("essential_spend_minor", essential_spend_minor),
        ("other_debts_minor", other_debts_minor),
    ):
        if not isinstance(value, int) or value < 0:
            raise InvalidInput("Amounts are whole minor units, not negative", field=name)
    with transaction.atomic():
        assessment = IncomeExpenditure(
            client_id=customer.client_id,
            customer=customer,
            assessed_on=assessed_on,
            currency=currency,
            income_minor=income_minor,
            essential_spend_minor=essential_spend_minor,
            other_debts_minor=other_debts_minor,
            notes=notes,
            created_by=actor_label(actor),
        )
        assessment.save()
        record_event(
            actor=actor,
            action="collections.income_expenditure_recorded",
            obj=assessment,
            after={"disposable_minor": assessment.disposable_minor},
        )
    return assessment


def arrangement_due_dates(first_due_on: date, frequency: str, count: int) -> list[date]:
    """Counted from the first date (never chained), so a 31st stays the month's last day."""
    step = relativedelta(weeks=1) if frequency == "weekly" else relativedelta(months=1)
    return [first_due_on + step * number for number in range(count)]


def propose_arrangement(
    *,
    agreement: Agreement,
    amount_minor: int,
    first_due_on: date,
    instalment_count: int,
    proposed_on: date,
    actor: Actor,
    assessment: IncomeExpenditure | None = None,
    frequency: str = "monthly",
    grace_days: int = DEFAULT_ARRANGEMENT_GRACE_DAYS,
) -> Arrangement:
    """UK-PROPOSAL: record a proposal (from the customer or an adviser) with its affordability; never auto-reject."""
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput("The amount is a positive whole number of minor units", field="amount_minor")
    if instalment_count < 1 or instalment_count > 600:
        raise InvalidInput("Between 1 and 600 instalments", field="instalment_count")
    if frequency not in ("monthly", "weekly"):
        raise InvalidInput("Monthly or weekly", field="frequency")
    if assessment is not None and assessment.customer_id != agreement.customer_id:
        raise InvalidInput("The I&E is another customer's", field="assessment")
    affordable = assessment is not None and rules.is_affordable(
        amount_minor=amount_minor, frequency=frequency, disposable_minor=assessment.disposable_minor
    )
    with transaction.atomic():
        arrangement = Arrangement(
            client_id=agreement.client_id,
            agreement=agreement,
            assessment=assessment,
            currency=agreement.currency,
            amount_minor=amount_minor,
            frequency=frequency,
            first_due_on=first_due_on,
            instalment_count=instalment_count,
            grace_days=grace_days,
            is_affordable=affordable,
            proposed_by=actor_label(actor),
            proposed_on=proposed_on,
        )
        arrangement.save()
        record_event(
            actor=actor,
            action="collections.arrangement_proposed",
            obj=arrangement,
            after={"amount_minor": amount_minor, "count": instalment_count, "is_affordable": affordable},
        )
    return arrangement


def _term_months(arrangement: Arrangement) -> int:
    if arrangement.frequency == "weekly":
        return -(-arrangement.instalment_count * 12 // 52)
    return arrangement.instalment_count


def decide_arrangement(
    *, arrangement: Arrangement, accept: bool, reason: str, on: date, actor: Actor
) -> Arrangement | Any:
    """UK-PROPOSAL: accept or decline with a reason. Accepting over the actor's term authority asks approval.

    Returns the arrangement, or the approval request when it went for approval.
    """
    if not reason.strip():
        raise InvalidInput("Every decision on a proposal records its reason", field="reason")
    if arrangement.status != Arrangement.Status.PROPOSED:
        raise Refusal("Only a proposed arrangement can be decided", rule="UK-PROPOSAL", field="arrangement")
    payload = {"arrangement": arrangement.pk, "reason": reason, "on": on.isoformat()}
    if not accept:
        with transaction.atomic():
            Arrangement.objects.filter(pk=arrangement.pk).update(
                status=Arrangement.Status.DECLINED,
                decided_by=actor_label(actor),
                decided_on=on,
                decision_reason=reason,
            )
            record_event(
                actor=actor,
                action="collections.arrangement_declined",
                obj=arrangement,
                after={"status": "declined", "is_affordable": arrangement.is_affordable},
                reason=reason,
            )
        arrangement.refresh_from_db()
        return arrangement
    if isinstance(actor, User):
        outcome = act_within_authority(
            actor=actor,
            client=arrangement.agreement.client,
            action="collections.accept_arrangement",
            kind="arrangement_term_months",
            value=_term_months(arrangement),
            payload=payload,
            summary=f"an arrangement of {_term_months(arrangement)} months",
            reason=reason,
            object_type="collections.arrangement",
            object_id=str(arrangement.pk),
        )
        return outcome.result if outcome.result is not None else outcome
    return _accept_arrangement(payload, actor=actor, approval=None)


@approval_handler("collections.accept_arrangement")
def _accept_arrangement(payload: dict[str, Any], *, actor: Any, approval: Any) -> Arrangement:
    on = date.fromisoformat(payload["on"])
    with transaction.atomic():
        arrangement = Arrangement.objects.select_for_update().get(pk=payload["arrangement"])
        if arrangement.status != Arrangement.Status.PROPOSED:
            raise Refusal("Only a proposed arrangement can be accepted", rule="UK-PROPOSAL")
        arrangement.status = Arrangement.Status.ACTIVE
        arrangement.decided_by = actor_label(actor)
        arrangement.decided_on = on
        arrangement.decision_reason = payload["reason"]
        arrangement.save(update_fields=["status", "decided_by", "decided_on", "decision_reason"])
        ArrangementInstalment.objects.bulk_create(
            ArrangementInstalment(
                client_id=arrangement.client_id,
                arrangement=arrangement,
                sequence=number,
                due_on=due_on,
                amount_minor=arrangement.amount_minor,
            )
            for number, due_on in enumerate(
                arrangement_due_dates(
                    arrangement.first_due_on, arrangement.frequency, arrangement.instalment_count
                ),
                start=1,
            )
        )
        agreement = Agreement.objects.select_for_update().get(pk=arrangement.agreement_id)
        if (
            account_rules.AgreementStatus.ARRANGEMENT
            in account_rules.STATUS_TRANSITIONS[account_rules.AgreementStatus(agreement.status)]
        ):
            from fairpath.accounts.actions import change_status

            change_status(
                agreement=agreement,
                to_status="arrangement",
                actor=actor,
                reason="Arrangement accepted",
                on=on,
            )
        record_event(
            actor=actor,
            action="collections.arrangement_accepted",
            obj=arrangement,
            after={"status": "active", "approval": getattr(approval, "pk", None)},
            reason=payload["reason"],
        )
    return arrangement


# ----------------------------------------------------------------------------------------------------
# Kept and broken, set-based (the daily cycle)


@dataclass(frozen=True)
class OutcomeSummary:
    promises_kept: int
    promises_broken: int
    arrangements_completed: int
    arrangements_broken: int


def _net_payments(agreement_ids: list[int], since: date, until: date) -> dict[int, list[tuple[date, int]]]:
    """Net payments (payments less reversals) per agreement and day, positive numbers."""
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for start in range(0, len(agreement_ids), CHUNK):
        rows = (
            LedgerEntry.objects.filter(
                agreement_id__in=agreement_ids[start : start + CHUNK],
                kind__in=(account_rules.EntryKind.PAYMENT, account_rules.EntryKind.PAYMENT_REVERSAL),
                posted_on__gte=since,
                posted_on__lte=until,
            )
            .values("agreement_id", "posted_on")
            .annotate(total=Sum("amount_minor"))
            .order_by()
        )
        for row in rows:
            found[row["agreement_id"]].append((row["posted_on"], -row["total"]))
    return found


def detect_outcomes(
    *,
    agreement_ids: Sequence[int] = (),
    as_of: date,
    actor: Actor | None = None,
    id_range: tuple[int, int] | None = None,
    client_ids: Sequence[int] | None = None,
) -> OutcomeSummary:
    """Decide kept or broken for every open promise and active arrangement of these agreements, in bulk.

    A few queries per 900 agreements; only rows whose outcome is decided are written, so running it twice
    for the same day changes nothing. A broken arrangement moves the agreement back to in arrears.
    """
    actor = actor or SystemActor("collections-cycle")
    if id_range is not None:
        # a shard of the cycle: one query each over the id range (open promises are few)
        scope = Q(agreement_id__gte=id_range[0], agreement_id__lte=id_range[1])
        if client_ids is not None:
            scope &= Q(client_id__in=list(client_ids))
        promises = list(
            Promise.objects.filter(scope, status=Promise.Status.OPEN, made_on__lte=as_of).values_list(
                "id", "client_id", "agreement_id", "made_on", "grace_days"
            )
        )
        arrangements = list(
            Arrangement.objects.filter(
                scope, status=Arrangement.Status.ACTIVE, decided_on__lte=as_of
            ).values_list("id", "client_id", "agreement_id", "decided_on", "grace_days")
        )
    else:
        ids = sorted(set(agreement_ids))
        promises = _chunked_promises(ids, as_of)
        arrangements = _chunked_arrangements(ids, as_of)
    promise_lines: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for start in range(0, len(promises), CHUNK):
        for promise_id, due_on, amount in PromiseInstalment.objects.filter(
            promise_id__in=[row[0] for row in promises[start : start + CHUNK]]
        ).values_list("promise_id", "due_on", "amount_minor"):
            promise_lines[promise_id].append((due_on, amount))
    arrangement_lines: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for start in range(0, len(arrangements), CHUNK):
        for arrangement_id, due_on, amount in ArrangementInstalment.objects.filter(
            arrangement_id__in=[row[0] for row in arrangements[start : start + CHUNK]]
        ).values_list("arrangement_id", "due_on", "amount_minor"):
            arrangement_lines[arrangement_id].append((due_on, amount))
    since = min([row[3] for row in promises] + [row[3] for row in arrangements], default=as_of)
    payments = _net_payments(
        sorted({row[2] for row in promises} | {row[2] for row in arrangements}), since, as_of
    )

    decided_promises: dict[str, list[tuple[int, int, int, date]]] = defaultdict(list)
    for promise_id, client_id, agreement_id, made_on, grace in promises:
        paid = [(day, amount) for day, amount in payments.get(agreement_id, []) if day >= made_on]
        outcome, decided_on = rules.payment_outcome(
            promise_lines[promise_id], paid, grace_days=grace, as_of=as_of
        )
        if outcome is not rules.Outcome.OPEN and decided_on is not None:
            decided_promises[outcome.value].append((promise_id, client_id, agreement_id, decided_on))
    decided_arrangements: dict[str, list[tuple[int, int, int, date]]] = defaultdict(list)
    for arrangement_id, client_id, agreement_id, decided, grace in arrangements:
        paid = [(day, amount) for day, amount in payments.get(agreement_id, []) if day >= decided]
        outcome, decided_on = rules.payment_outcome(
            arrangement_lines[arrangement_id], paid, grace_days=grace, as_of=as_of
        )
        if outcome is not rules.Outcome.OPEN and decided_on is not None:
            decided_arrangements[outcome.value].append((arrangement_id, client_id, agreement_id, decided_on))

    with transaction.atomic():
        events: list[PendingEvent] = []
        for outcome_name, rows in decided_promises.items():
            for decided_on, group in _by_day(rows).items():
                Promise.objects.filter(id__in=group, status=Promise.Status.OPEN).update(
                    status=outcome_name, resolved_on=decided_on
                )
            events += [
                PendingEvent("collections.promise", str(row[0]), row[1], after={"status": outcome_name})
                for row in rows
            ]
        for outcome_name, rows in decided_arrangements.items():
            status = Arrangement.Status.COMPLETED if outcome_name == "kept" else Arrangement.Status.BROKEN
            for decided_on, group in _by_day(rows).items():
                Arrangement.objects.filter(id__in=group, status=Arrangement.Status.ACTIVE).update(
                    status=status, resolved_on=decided_on
                )
            events += [
                PendingEvent("collections.arrangement", str(row[0]), row[1], after={"status": status.value})
                for row in rows
            ]
        broken_agreements = [(row[2], row[1]) for row in decided_arrangements.get("broken", [])]
        _back_to_arrears(broken_agreements, as_of, actor_label(actor))
        if events:
            record_events_bulk(actor=actor, action="collections.payment_outcome_detected", events=events)
    return OutcomeSummary(
        len(decided_promises.get("kept", [])),
        len(decided_promises.get("broken", [])),
        len(decided_arrangements.get("kept", [])),
        len(decided_arrangements.get("broken", [])),
    )


def _by_day(rows: list[tuple[int, int, int, date]]) -> dict[date, list[int]]:
    grouped: dict[date, list[int]] = defaultdict(list)
    for row in rows:
        grouped[row[3]].append(row[0])
    return grouped


def _chunked_promises(ids: list[int], as_of: date) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), CHUNK):
        found += Promise.objects.filter(
            agreement_id__in=ids[start : start + CHUNK], status=Promise.Status.OPEN, made_on__lte=as_of
        ).values_list("id", "client_id", "agreement_id", "made_on", "grace_days")
    return found


def _chunked_arrangements(ids: list[int], as_of: date) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), CHUNK):
        found += Arrangement.objects.filter(
            agreement_id__in=ids[start : start + CHUNK],
            status=Arrangement.Status.ACTIVE,
            decided_on__lte=as_of,
        ).values_list("id", "client_id", "agreement_id", "decided_on", "grace_days")
    return found


def _back_to_arrears(agreements: list[tuple[int, int]], as_of: date, label: str) -> None:
    """STATUS-TRANSITION: a broken arrangement moves the agreement from arrangement back to in arrears."""
    if not agreements:
        return
    account_rules.check_transition("arrangement", "in_arrears")
    ids = [agreement_id for agreement_id, _ in agreements]
    moved: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        moved += Agreement.objects.filter(id__in=chunk, status="arrangement").values_list("id", flat=True)
        Agreement.objects.filter(id__in=chunk, status="arrangement").update(status="in_arrears")
    clients = dict(agreements)
    StatusHistory.objects.bulk_create(
        StatusHistory(
            client_id=clients[agreement_id],
            agreement_id=agreement_id,
            from_status="arrangement",
            to_status="in_arrears",
            changed_on=as_of,
            actor_label=label,
            reason="arrangement broken",
        )
        for agreement_id in moved
    )
