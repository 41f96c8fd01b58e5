"""End-of-contract collections for PCP, hire purchase and leases: return charges, excess mileage, damage.

UK-CHARGES: a charge needs a contractual right and covers a reasonable cost. The agreement's fee terms
(accounts ``FeeTerm``) are the fee schedule: a charge of a kind the terms do not list is refused naming the
rule, and so is one above the term's amount. For excess mileage the term's amount is the contractual rate
per mile, and the charge is that rate times the miles over the allowance — the rate is never typed in.
BS-EFFECT / UK-ADVICE-HOLD: no charge is added while a breathing space or a debt-advice hold is in force.

Posting: return and damage charges are ``fee`` entries through ``accounts.post_entry`` (which checks the
fee term again). ``post_entry`` caps a fee at the term's amount and has no per-unit fees, so an excess
mileage charge (rate × miles) is posted through ``post_entry`` as a debit ``adjustment`` carrying
``fee_type = "excess_mileage"``, after the same UK-CHARGES check here. When accounts gains per-unit fee
terms it should become a ``fee`` entry.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q

from fairpath.accounts import rules as account_rules
from fairpath.accounts.models import Agreement, FeeTerm
from fairpath.collections import rules
from fairpath.collections.models import EndOfContractCharge, Hold
from fairpath.collections.workspace.actions import _text
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.core.money import format_money
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.audit import actor_label, record_event
from fairpath.governance.models import User

PERMISSION = "collections.charge_end_of_contract"
PRODUCTS = frozenset(
    {account_rules.Product.PCP, account_rules.Product.HIRE_PURCHASE, account_rules.Product.LEASE}
)
CLOSED_STATUSES = frozenset({"settled", "written_off", "closed"})
MAX_MILES = 2_000_000


def excess_mileage_charge(*, allowed_miles: int, recorded_miles: int, rate_per_mile_minor: int) -> int:
    """Pure: rate × miles over the allowance (0 when within it)."""
    return max(recorded_miles - allowed_miles, 0) * rate_per_mile_minor


def _freezing_hold(agreement: Agreement, on: date) -> Hold | None:
    return (
        Hold.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=on),
            agreement=agreement,
            kind__in=[kind.value for kind in rules.FREEZING_HOLDS],
            starts_on__lte=on,
        )
        .filter(Q(ended_early_on__isnull=True) | Q(ended_early_on__gte=on))
        .first()
    )


def record_end_of_contract_charge(
    *,
    agreement: Agreement,
    actor: User,
    kind: str,
    on: date,
    amount_minor: int | None = None,
    allowed_miles: int | None = None,
    recorded_miles: int | None = None,
    description: str = "",
    evidence_reference: str = "",
) -> EndOfContractCharge:
    """Charge a return charge or damage (``amount_minor``) or excess mileage (``allowed_miles`` and
    ``recorded_miles``; the rate comes from the fee terms) and post it. Refusals name UK-CHARGES."""
    from fairpath.accounts.actions import post_entry

    require_permission(actor, PERMISSION)
    require_client(actor, agreement.client_id)
    if kind not in EndOfContractCharge.Kind.values:
        raise InvalidInput("Return charge, excess mileage or damage", field="kind")
    if agreement.product not in PRODUCTS:
        raise Refusal(
            "End-of-contract charges apply to PCP, hire purchase and lease agreements only",
            rule="UK-CHARGES", field="kind",
        )  # fmt: skip
    if agreement.status in CLOSED_STATUSES:
        raise Refusal(
            f"The agreement is {agreement.status.replace('_', ' ')}", rule="STATUS-TRANSITION", field="kind"
        )
    if kind == EndOfContractCharge.Kind.DAMAGE and not (description.strip() and evidence_reference.strip()):
        raise InvalidInput("Describe the damage and name the inspection report", field="evidence_reference")
    term = FeeTerm.objects.filter(agreement=agreement, fee_type=kind).first()
    if term is None:
        raise Refusal(
            f"The agreement's terms allow no {kind.replace('_', ' ')} charge", rule="UK-CHARGES", field="kind"
        )
    rate = None
    if kind == EndOfContractCharge.Kind.EXCESS_MILEAGE:
        for name, value in (("allowed_miles", allowed_miles), ("recorded_miles", recorded_miles)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MAX_MILES:
                raise InvalidInput("Give the miles as a whole number", field=name)
        assert allowed_miles is not None and recorded_miles is not None
        rate = term.amount_minor
        amount = excess_mileage_charge(
            allowed_miles=allowed_miles, recorded_miles=recorded_miles, rate_per_mile_minor=rate
        )
        if amount <= 0:
            raise InvalidInput("The recorded mileage is within the allowance", field="recorded_miles")
    else:
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise InvalidInput("The amount is a positive whole number of minor units", field="amount_minor")
        if amount_minor > term.amount_minor:
            raise Refusal(
                f"The {kind.replace('_', ' ')} charge is at most "
                f"{format_money(term.amount_minor, agreement.currency)} under the agreement's terms",
                rule="UK-CHARGES", field="amount_minor",
            )  # fmt: skip
        amount = amount_minor
    hold = _freezing_hold(agreement, on)
    if hold is not None:
        hold_kind = rules.HoldKind(hold.kind)
        raise Refusal(
            f"No charges while this hold is in force: {rules.HOLD_MESSAGES[hold_kind]}",
            rule=rules.HOLD_RULES[hold_kind], field="kind",
        )  # fmt: skip
    clean_description = _text(description.strip(), "description", limit=500)
    with transaction.atomic():
        entry = post_entry(
            agreement=agreement,
            kind=account_rules.EntryKind.ADJUSTMENT
            if kind == EndOfContractCharge.Kind.EXCESS_MILEAGE
            else account_rules.EntryKind.FEE,
            amount_minor=amount,
            currency=agreement.currency,
            posted_on=on,
            actor=actor,
            reason=f"End of contract: {kind.replace('_', ' ')}"
            + (f" {recorded_miles - allowed_miles} miles at {rate}" if rate is not None else ""),  # type: ignore[operator]
            fee_type=kind,
            reference=evidence_reference.strip()[:60],
        )
        charge = EndOfContractCharge(
            client_id=agreement.client_id, agreement=agreement, kind=kind, currency=agreement.currency,
            amount_minor=amount, allowed_miles=allowed_miles if rate is not None else None,
            recorded_miles=recorded_miles if rate is not None else None, rate_per_mile_minor=rate,
            description=clean_description, evidence_reference=evidence_reference.strip()[:100],
            charged_on=on, entry=entry, created_by=actor_label(actor),
        )  # fmt: skip
        charge.save()
        record_event(
            actor=actor, action="collections.end_of_contract_charged", obj=charge,
            after={"agreement": agreement.pk, "kind": kind, "amount_minor": amount, "entry": entry.pk,
                   "rate_per_mile_minor": rate},
        )  # fmt: skip
    return charge
