"""Settlement offers: full and final, or partial (the remainder still exists), within the offerer's authority.

Flow: ``make_settlement_offer`` (AUTHORITY-LIMIT on ``settlement_discount_bp``: within the limit the offer
is made now, over it an approval request goes to the next role up and the offer is made when approved)
→ ``accept_settlement`` (the customer agreed) → ``complete_settlement`` once the amount has been paid
→ status settled. ``withdraw_settlement`` ends an open offer.

Why the discount is posted on payment, not on acceptance: a lender's settlement is conditional on the
money arriving. Until the agreed sum has been received the customer still owes the whole balance (a
cheque bounces, a direct debit is recalled, the customer changes their mind); posting the discount at
acceptance would write off money the lender never agreed to give up unconditionally, and would have to be
reversed whenever the payment fails. So ``complete_settlement`` refuses until net payments since the offer
cover the amount, and only then posts the ``settlement_discount`` entry through ``accounts.post_entry``.

UK-SETTLE-PARTIAL: a partial settlement does not extinguish the debt. The record and the letter say that
the remainder still exists and is still owed; no discount is posted for it (the ledger keeps showing it),
and the agreement is marked settled so collection stops. (This rule is not yet in domain/RULES.md; the id
is the one used here until it is added there.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Sum

from fairpath.accounts import rules as account_rules
from fairpath.accounts.models import Agreement, LedgerEntry
from fairpath.collections.models import SettlementOffer
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.core.money import format_money
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.actions import act_within_authority
from fairpath.governance.audit import actor_label, record_event
from fairpath.governance.authority import approval_handler
from fairpath.governance.models import User

PERMISSION = "collections.offer_settlement"
PARTIAL_RULE = "UK-SETTLE-PARTIAL"
AUTHORITY_KIND = "settlement_discount_bp"
APPROVAL_ACTION = "collections.make_settlement_offer"
MAX_PAY_DAYS = 92  # an offer stays open at most about three months
_SETTLEABLE = frozenset(
    status
    for status in account_rules.AgreementStatus
    if account_rules.AgreementStatus.SETTLED in account_rules.STATUS_TRANSITIONS[status]
)


@dataclass(frozen=True)
class SettlementTerms:
    """The arithmetic of an offer: ``discount_minor + amount_minor == balance_minor``, neither negative."""

    balance_minor: int
    amount_minor: int
    discount_minor: int
    discount_bp: int


def settlement_terms(*, balance_minor: int, amount_minor: int) -> SettlementTerms:
    """Pure: the discount and its share of the balance in basis points (rounded up, so a limit is never
    passed by rounding). Refuses a zero or negative balance and an amount outside 1..balance."""
    for name, value in (("balance_minor", balance_minor), ("amount_minor", amount_minor)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput("Amounts are whole minor units", field=name)
    if balance_minor <= 0:
        raise Refusal("There is no balance to settle", rule="SETTLEMENT-TERMS", field="balance_minor")
    if amount_minor <= 0:
        raise InvalidInput("The settlement amount must be more than zero", field="amount_minor")
    if amount_minor > balance_minor:
        raise InvalidInput("The settlement amount cannot be more than the balance", field="amount_minor")
    discount = balance_minor - amount_minor
    discount_bp = -(-discount * 10_000 // balance_minor)
    return SettlementTerms(balance_minor, amount_minor, discount, discount_bp)


def statement_for(*, kind: str, terms: SettlementTerms, currency: str, pay_by: date) -> str:
    """The terms as the record and the letter state them. UK-SETTLE-PARTIAL: a partial settlement says the
    remainder still exists."""
    amount = format_money(terms.amount_minor, currency)
    balance = format_money(terms.balance_minor, currency)
    if kind == SettlementOffer.Kind.FULL_AND_FINAL:
        return (
            f"If you pay {amount} by {pay_by:%d %B %Y}, we will accept it in full and final settlement of "
            f"the balance of {balance}: you will owe nothing more on this agreement."
        )
    remainder = format_money(terms.discount_minor, currency)
    return (
        f"If you pay {amount} by {pay_by:%d %B %Y}, we will treat the agreement as partially settled and "
        f"stop asking you to pay. The remaining balance of {remainder} still exists and is still owed: "
        f"it has not been written off, and the agreement will be reported as partially settled."
    )


def _check(actor: User, agreement: Agreement) -> None:
    require_permission(actor, PERMISSION)
    require_client(actor, agreement.client_id)


def make_settlement_offer(
    *,
    agreement: Agreement,
    actor: User,
    kind: str,
    amount_minor: int,
    pay_by: date,
    on: date,
    reason: str,
) -> SettlementOffer:
    """Offer to settle for ``amount_minor``. AUTHORITY-LIMIT: the discount (basis points of the balance)
    within the actor's ``settlement_discount_bp`` makes the offer now; over it the offer waits for approval
    by the next role up (``status`` awaiting_approval, ``approval`` set) and is made when approved."""
    _check(actor, agreement)
    if kind not in SettlementOffer.Kind.values:
        raise InvalidInput("Full and final, or partial", field="kind")
    if not reason.strip():
        raise InvalidInput("Say why a settlement is offered", field="reason")
    if len(reason) > 500:
        raise InvalidInput("At most 500 characters", field="reason")
    if pay_by < on or (pay_by - on).days > MAX_PAY_DAYS:
        raise InvalidInput(f"Pay by a date within {MAX_PAY_DAYS} days from today", field="pay_by")
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status not in _SETTLEABLE:
            raise Refusal(
                f"An agreement {locked.status.replace('_', ' ')} cannot be settled",
                rule="STATUS-TRANSITION",
                field="status",
            )
        if (
            SettlementOffer.objects.filter(
                agreement=locked,
                status__in=[
                    SettlementOffer.Status.AWAITING_APPROVAL,
                    SettlementOffer.Status.OFFERED,
                    SettlementOffer.Status.ACCEPTED,
                ],
            )
            .exclude(approval__status__in=["rejected", "withdrawn"])
            .exists()
        ):
            raise Refusal(
                "There is already an open settlement offer: withdraw it first",
                rule="SETTLEMENT-TERMS",
                field="kind",
            )
        terms = settlement_terms(balance_minor=locked.balance_minor, amount_minor=amount_minor)
        offer = SettlementOffer(
            client_id=locked.client_id, agreement=locked, kind=kind, currency=locked.currency,
            balance_minor=terms.balance_minor, amount_minor=terms.amount_minor,
            discount_minor=terms.discount_minor, discount_bp=terms.discount_bp, offered_on=on, pay_by=pay_by,
            statement=statement_for(kind=kind, terms=terms, currency=locked.currency, pay_by=pay_by),
            reason=reason.strip(), created_by=actor_label(actor),
        )  # fmt: skip
        offer.save()
        record_event(
            actor=actor,
            action="collections.settlement_proposed",
            obj=offer,
            after={
                "agreement": locked.pk, "kind": kind, "balance_minor": terms.balance_minor,
                "amount_minor": terms.amount_minor, "discount_bp": terms.discount_bp,
            },
            reason=reason,
        )  # fmt: skip
        outcome = act_within_authority(
            actor=actor,
            client=locked.client,
            action=APPROVAL_ACTION,
            kind=AUTHORITY_KIND,
            value=terms.discount_bp,
            payload={"offer": offer.pk},
            summary=(
                f"a {offer.get_kind_display().lower()} settlement of {locked.reference} for "
                f"{format_money(terms.amount_minor, locked.currency)} "
                f"({terms.discount_bp / 100:.2f}% discount)"
            ),
            reason=reason,
            object_type="collections.settlementoffer",
            object_id=str(offer.pk),
        )
        if outcome.approval is not None:
            offer.approval = outcome.approval
            offer.save(update_fields=["approval"])
    offer.refresh_from_db()
    return offer


@approval_handler(APPROVAL_ACTION)
def _offer_approved(payload: dict[str, Any], *, actor: Any, approval: Any) -> SettlementOffer:
    """Within authority, or approved by someone with it: the offer is made."""
    with transaction.atomic():
        offer = SettlementOffer.objects.select_for_update().get(pk=payload["offer"])
        if offer.status != SettlementOffer.Status.AWAITING_APPROVAL:
            raise Refusal(
                f"The offer is already {offer.get_status_display().lower()}", rule="SETTLEMENT-TERMS"
            )
        offer.status = SettlementOffer.Status.OFFERED
        offer.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="collections.settlement_offered",
            obj=offer,
            after={"status": offer.status, "approval": getattr(approval, "pk", None)},
        )
    return offer


def _locked_offer(offer: SettlementOffer, actor: User) -> SettlementOffer:
    locked = SettlementOffer.objects.select_for_update().select_related("agreement").get(pk=offer.pk)
    _check(actor, locked.agreement)
    return locked


def accept_settlement(*, offer: SettlementOffer, actor: User, on: date) -> SettlementOffer:
    """The customer accepted the offer (before its pay-by date). Nothing is posted yet: see the module."""
    with transaction.atomic():
        locked = _locked_offer(offer, actor)
        if locked.status != SettlementOffer.Status.OFFERED:
            raise Refusal(
                f"Only an offered settlement can be accepted (this one is {locked.get_status_display().lower()})",
                rule="SETTLEMENT-TERMS", field="offer",
            )  # fmt: skip
        if on > locked.pay_by:
            raise Refusal("The offer lapsed on its pay-by date", rule="SETTLEMENT-TERMS", field="offer")
        locked.status = SettlementOffer.Status.ACCEPTED
        locked.accepted_on = on
        locked.save(update_fields=["status", "accepted_on"])
        record_event(
            actor=actor, action="collections.settlement_accepted", obj=locked,
            before={"status": "offered"}, after={"status": "accepted", "accepted_on": on},
        )  # fmt: skip
    return locked


def paid_since(agreement_id: int, since: date, until: date) -> int:
    """Net payments (payments less reversals) posted on the agreement in [since, until], positive."""
    total = LedgerEntry.objects.filter(
        agreement_id=agreement_id,
        kind__in=(account_rules.EntryKind.PAYMENT, account_rules.EntryKind.PAYMENT_REVERSAL),
        posted_on__gte=since,
        posted_on__lte=until,
    ).aggregate(total=Sum("amount_minor"))["total"]
    return -(total or 0)


def complete_settlement(*, offer: SettlementOffer, actor: User, on: date) -> SettlementOffer:
    """The agreed amount has been paid: full and final posts the rest as a settlement discount; partial
    records the remainder that still exists (UK-SETTLE-PARTIAL). Either way the agreement moves to settled.

    Refused while the payments since the offer fall short, and (full and final) when the balance has grown
    past the authorised discount since the offer (interest or fees: waive them or make a new offer).
    """
    from fairpath.accounts.actions import change_status, post_entry

    with transaction.atomic():
        locked = _locked_offer(offer, actor)
        if locked.status != SettlementOffer.Status.ACCEPTED:
            raise Refusal(
                "Only an accepted settlement can be completed", rule="SETTLEMENT-TERMS", field="offer"
            )
        agreement = Agreement.objects.select_for_update().get(pk=locked.agreement_id)
        paid = paid_since(agreement.pk, locked.offered_on, on)
        if paid < locked.amount_minor:
            short = format_money(locked.amount_minor - paid, locked.currency)
            raise Refusal(
                f"The settlement amount has not been paid: {short} still to come", rule="SETTLEMENT-TERMS",
                field="offer",
            )  # fmt: skip
        remaining = agreement.balance_minor
        entry = None
        remainder = None
        if locked.kind == SettlementOffer.Kind.FULL_AND_FINAL:
            if remaining > locked.discount_minor:
                raise Refusal(
                    f"The balance left ({format_money(remaining, locked.currency)}) is more than the authorised "
                    f"discount ({format_money(locked.discount_minor, locked.currency)}): waive what was added "
                    "since the offer or make a new offer",
                    rule="AUTHORITY-LIMIT", field="offer",
                )  # fmt: skip
            if remaining > 0:
                entry = post_entry(
                    agreement=agreement, kind=account_rules.EntryKind.SETTLEMENT_DISCOUNT,
                    amount_minor=remaining, currency=agreement.currency, posted_on=on, actor=actor,
                    reason=f"Full and final settlement {locked.pk}", reference=f"SETTLEMENT-{locked.pk}",
                )  # fmt: skip
        else:
            remainder = max(remaining, 0)
        change_status(
            agreement=agreement, to_status=account_rules.AgreementStatus.SETTLED.value, actor=actor,
            reason=f"{locked.get_kind_display()} settlement {locked.pk} paid", on=on,
        )  # fmt: skip
        locked.status = SettlementOffer.Status.SETTLED
        locked.settled_on = on
        locked.discount_entry = entry
        locked.remainder_minor = remainder
        locked.save(update_fields=["status", "settled_on", "discount_entry", "remainder_minor"])
        record_event(
            actor=actor, action="collections.settlement_completed", obj=locked,
            before={"status": "accepted"},
            after={
                "status": "settled", "paid_minor": paid, "discount_entry": entry.pk if entry else None,
                "discount_minor": -entry.amount_minor if entry else 0, "remainder_minor": remainder,
            },
        )  # fmt: skip
    return locked


def withdraw_settlement(*, offer: SettlementOffer, actor: User, reason: str) -> SettlementOffer:
    """End an open offer (lapsed, declined or made in error), with a reason."""
    if not reason.strip():
        raise InvalidInput("Say why the offer is withdrawn", field="reason")
    with transaction.atomic():
        locked = _locked_offer(offer, actor)
        if not locked.is_open:
            raise Refusal(
                f"The offer is already {locked.get_status_display().lower()}", rule="SETTLEMENT-TERMS",
                field="offer",
            )  # fmt: skip
        before = locked.status
        locked.status = SettlementOffer.Status.WITHDRAWN
        locked.save(update_fields=["status"])
        record_event(
            actor=actor, action="collections.settlement_withdrawn", obj=locked,
            before={"status": before}, after={"status": "withdrawn"}, reason=reason[:500],
        )  # fmt: skip
    return locked
