"""Servicing actions over the API, so a dialer or another front end can drive Fairpath.

Every operation names its permission (checked before the body is read), looks the agreement up among the
caller's clients (another client's agreement is simply not found: 404) and calls the same action as the
workspace form. Refusals come back in the shared error body ``{"error": {"code", "message", "rule", "field"}}``;
a refused transfer to recoveries adds ``missing``: every checklist item not done.
"""

from datetime import date
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from fairpath.accounts.models import Agreement, ThirdParty
from fairpath.accounts.selectors import agreements_for
from fairpath.api.errors import error_body
from fairpath.api.permissions import operation
from fairpath.collections import actions as collection_actions
from fairpath.collections import promises
from fairpath.collections.models import Arrangement, IncomeExpenditure, SettlementOffer
from fairpath.collections.workspace import (
    actions,
    end_of_contract,
    recoveries,
    settlement,
    third_parties,
)
from fairpath.core.errors import InvalidInput
from fairpath.governance.access import acting_user
from fairpath.governance.models import ApprovalRequest

router = Router()
AGREEMENT = "/agreements/{agreement_id}"


class ServicingIn(Schema):
    model_config = ConfigDict(extra="forbid")


class ServicingCreated(Schema):
    id: int
    status: str = ""
    message: str = ""


class ServicingApprovalPending(Schema):
    approval_id: int
    required_role: str
    summary: str


class ContactIn(ServicingIn):
    channel: Literal["call", "sms", "email", "letter"]
    direction: Literal["outbound", "inbound"]
    outcome: str = Field(description="An outcome code of the workspace (promise, no_answer, ...)")
    party: Literal["customer", "third_party"] = "customer"
    third_party_name: str = ""
    identity_verified: bool = False
    right_party: bool = False
    note: str = ""


class ServicingNoteIn(ServicingIn):
    text: str
    refuse_cards: bool = Field(False, description="P-PAN: refuse a note holding a card number (else mask it)")


class PromiseLine(ServicingIn):
    due_on: date
    amount_minor: int


class PromiseIn(ServicingIn):
    instalments: list[PromiseLine]
    note: str = ""


class StatementIn(ServicingIn):
    lines: dict[str, int] = Field(description="Standard Financial Statement lines, monthly minor units")
    notes: str = ""


class StatementOut(Schema):
    id: int
    disposable_minor: int
    flags: list[str]


class ArrangementIn(ServicingIn):
    amount_minor: int
    first_due_on: date
    instalment_count: int
    frequency: Literal["monthly", "weekly"] = "monthly"
    assessment_id: int | None = None


class ArrangementDecisionIn(ServicingIn):
    accept: bool
    reason: str


class ForbearanceIn(ServicingIn):
    considered: list[str]
    chosen: str = ""
    chosen_reason: str = ""
    refused: dict[str, str] = Field(default_factory=dict, description="{option: reason not chosen}")


class SettlementIn(ServicingIn):
    kind: Literal["full_and_final", "partial"]
    amount_minor: int
    pay_by: date
    reason: str


class SettlementOut(Schema):
    id: int
    kind: str
    status: str
    balance_minor: int
    amount_minor: int
    discount_minor: int
    discount_bp: int
    pay_by: date
    statement: str
    remainder_minor: int | None
    approval_id: int | None


class WithdrawIn(ServicingIn):
    reason: str


class ThirdPartyIn(ServicingIn):
    kind: Literal["debt_adviser", "power_of_attorney", "representative", "relative", "guarantor"]
    name: str
    authority_from: date
    authority_until: date | None = None
    organisation: str = ""
    phone: str = ""
    email: str = ""
    all_agreements: bool = False
    reason: str = Field("", description="The authority seen (registration, signed authority)")


class ThirdPartyOut(Schema):
    id: int
    kind: str
    name: str
    authority_from: date
    authority_until: date | None
    may_be_told: list[str]
    never_told: list[str]


class ThirdPartyEndIn(ServicingIn):
    reason: str
    last_day: date | None = None


class HoldIn(ServicingIn):
    kind: Literal["breathing_space", "advice", "capacity", "dispute"]
    reason: str = ""
    entered_on: date | None = Field(
        None, description="Breathing space: the day it was entered in the register"
    )
    mental_health: bool = False
    reference: str = ""


class VulnerabilityIn(ServicingIn):
    driver: Literal["health", "life_events", "resilience", "capability"]
    description: str
    is_temporary: bool
    review_on: date | None = None
    lawful_basis: str


class MissingOut(Schema):
    code: str
    label: str
    rule: str


class ChecklistOut(Schema):
    agreement_id: int
    as_of: date
    is_complete: bool
    missing: list[MissingOut]


class TransferIn(ServicingIn):
    reason: str


class ChargeIn(ServicingIn):
    kind: Literal["return_charge", "excess_mileage", "damage"]
    amount_minor: int | None = Field(None, description="Return charge or damage")
    allowed_miles: int | None = Field(None, description="Excess mileage: the contract's allowance")
    recorded_miles: int | None = Field(None, description="Excess mileage: the odometer at return")
    description: str = ""
    evidence_reference: str = ""


class ChargeOut(Schema):
    id: int
    kind: str
    amount_minor: int
    rate_per_mile_minor: int | None
    entry_id: int


def _agreement(request: HttpRequest, agreement_id: int) -> Agreement:
    agreement = (
        agreements_for(request.user).filter(pk=agreement_id).select_related("customer", "client").first()
    )
    if agreement is None:
        raise Http404("No such agreement among your clients'")
    return agreement


def _approval(approval: ApprovalRequest) -> dict[str, Any]:
    return {
        "approval_id": approval.pk,
        "required_role": approval.required_role.code,
        "summary": approval.summary,
    }


def _settlement(offer: SettlementOffer) -> dict[str, Any]:
    return {
        "id": offer.pk, "kind": offer.kind, "status": offer.status, "balance_minor": offer.balance_minor,
        "amount_minor": offer.amount_minor, "discount_minor": offer.discount_minor, "discount_bp": offer.discount_bp,
        "pay_by": offer.pay_by, "statement": offer.statement, "remainder_minor": offer.remainder_minor,
        "approval_id": offer.approval_id,
    }  # fmt: skip


def _offer(agreement: Agreement, offer_id: int) -> SettlementOffer:
    offer = SettlementOffer.objects.filter(pk=offer_id, agreement=agreement).first()
    if offer is None:
        raise Http404("No such settlement offer on this agreement")
    return offer


def _third_party(party: ThirdParty) -> dict[str, Any]:
    may_tell, never_tell = third_parties.disclosure_of(party.kind)
    return {
        "id": party.pk, "kind": party.kind, "name": party.name, "authority_from": party.authority_from,
        "authority_until": party.authority_until, "may_be_told": list(may_tell), "never_told": list(never_tell),
    }  # fmt: skip


@operation(
    router.post,
    AGREEMENT + "/contacts",
    permission=actions.CONTACT_PERMISSION,
    response={201: ServicingCreated},
)
def record_contact(request: HttpRequest, agreement_id: int, payload: ContactIn) -> Status:
    """Log a contact. An outbound one is put to the contact policy guard first: refused (409) naming the rule."""
    record = actions.record_contact(agreement=_agreement(request, agreement_id), actor=acting_user(request),
                                    **payload.dict())  # fmt: skip
    return Status(201, {"id": record.pk, "status": record.outcome})


@operation(
    router.post, AGREEMENT + "/notes", permission=actions.CONTACT_PERMISSION, response={201: ServicingCreated}
)
def add_note(request: HttpRequest, agreement_id: int, payload: ServicingNoteIn) -> Status:
    """P-PAN: card numbers are masked, or the note refused when ``refuse_cards``."""
    note = actions.add_note(
        agreement=_agreement(request, agreement_id), actor=acting_user(request), text=payload.text,
        refuse_cards=payload.refuse_cards,
    )  # fmt: skip
    return Status(201, {"id": note.pk, "message": f"{note.cards_masked} card number(s) masked"})


@operation(
    router.post,
    AGREEMENT + "/promises",
    permission=actions.CONTACT_PERMISSION,
    response={201: ServicingCreated},
)
def record_promise(request: HttpRequest, agreement_id: int, payload: PromiseIn) -> Status:
    """A promise to pay of one or several dated amounts; kept or broken is decided by the daily cycle."""
    agreement, actor = _agreement(request, agreement_id), acting_user(request)
    actions._check(actor, agreement, actions.CONTACT_PERMISSION)
    promise = promises.record_promise(
        agreement=agreement, instalments=[(line.due_on, line.amount_minor) for line in payload.instalments],
        made_on=timezone.localdate(), actor=actor, note=actions._text(payload.note, "note", limit=500),
    )  # fmt: skip
    return Status(201, {"id": promise.pk, "status": promise.status})


@operation(
    router.post, AGREEMENT + "/income-expenditure", permission=actions.CONTACT_PERMISSION,
    response={201: StatementOut},
)  # fmt: skip
def record_statement(request: HttpRequest, agreement_id: int, payload: StatementIn) -> Status:
    """UK-PROPOSAL: an I&E from Standard Financial Statement lines, with disposable income and flags."""
    assessment = actions.record_statement(
        agreement=_agreement(request, agreement_id), actor=acting_user(request), lines=payload.lines,
        assessed_on=timezone.localdate(), notes=payload.notes,
    )  # fmt: skip
    return Status(
        201, {"id": assessment.pk, "disposable_minor": assessment.disposable_minor, "flags": assessment.flags}
    )


@operation(
    router.post,
    AGREEMENT + "/arrangements",
    permission=actions.CONTACT_PERMISSION,
    response={201: ServicingCreated},
)
def propose_arrangement(request: HttpRequest, agreement_id: int, payload: ArrangementIn) -> Status:
    """UK-PROPOSAL: recorded whatever its affordability (never auto-rejected)."""
    agreement, actor = _agreement(request, agreement_id), acting_user(request)
    actions._check(actor, agreement, actions.CONTACT_PERMISSION)
    assessment = None
    if payload.assessment_id is not None:
        assessment = IncomeExpenditure.objects.filter(
            pk=payload.assessment_id, customer_id=agreement.customer_id
        ).first()
        if assessment is None:
            raise InvalidInput("No such I&E for this customer", field="assessment_id")
    arrangement = promises.propose_arrangement(
        agreement=agreement, amount_minor=payload.amount_minor, first_due_on=payload.first_due_on,
        instalment_count=payload.instalment_count, proposed_on=timezone.localdate(), actor=actor,
        assessment=assessment, frequency=payload.frequency,
    )  # fmt: skip
    return Status(201, {"id": arrangement.pk, "status": arrangement.status,
                        "message": "affordable" if arrangement.is_affordable else "not shown affordable"})  # fmt: skip


@operation(
    router.post, AGREEMENT + "/arrangements/{arrangement_id}/decision", permission=actions.CONTACT_PERMISSION,
    response={200: ServicingCreated, 202: ServicingApprovalPending},
)  # fmt: skip
def decide_arrangement(
    request: HttpRequest, agreement_id: int, arrangement_id: int, payload: ArrangementDecisionIn
) -> Status:
    """UK-PROPOSAL: accept or decline with a reason; a term over the caller's authority answers 202."""
    agreement, actor = _agreement(request, agreement_id), acting_user(request)
    actions._check(actor, agreement, actions.CONTACT_PERMISSION)
    arrangement = Arrangement.objects.filter(pk=arrangement_id, agreement=agreement).first()
    if arrangement is None:
        raise Http404("No such arrangement on this agreement")
    outcome = promises.decide_arrangement(
        arrangement=arrangement,
        accept=payload.accept,
        reason=payload.reason,
        on=timezone.localdate(),
        actor=actor,
    )
    if not isinstance(outcome, Arrangement):
        return Status(202, _approval(outcome.approval))
    return Status(200, {"id": outcome.pk, "status": outcome.status})


@operation(
    router.post,
    AGREEMENT + "/forbearance",
    permission=actions.CONTACT_PERMISSION,
    response={201: ServicingCreated},
)
def record_forbearance(request: HttpRequest, agreement_id: int, payload: ForbearanceIn) -> Status:
    """UK-FORB: options considered, the one chosen with why, and a reason for each one not chosen."""
    record = actions.record_forbearance(
        agreement=_agreement(request, agreement_id), actor=acting_user(request), considered=payload.considered,
        chosen=payload.chosen, chosen_reason=payload.chosen_reason, refused=payload.refused, on=timezone.localdate(),
    )  # fmt: skip
    return Status(201, {"id": record.pk, "status": record.chosen})


@operation(
    router.post,
    AGREEMENT + "/settlement-offers",
    permission=settlement.PERMISSION,
    response={201: SettlementOut},
)
def make_settlement_offer(request: HttpRequest, agreement_id: int, payload: SettlementIn) -> Status:
    """AUTHORITY-LIMIT on the discount: ``status`` offered, or awaiting_approval with ``approval_id`` when the
    next role up must approve. A partial offer's statement says the remainder still exists (UK-SETTLE-PARTIAL)."""
    offer = settlement.make_settlement_offer(
        agreement=_agreement(request, agreement_id), actor=acting_user(request), kind=payload.kind,
        amount_minor=payload.amount_minor, pay_by=payload.pay_by, on=timezone.localdate(), reason=payload.reason,
    )  # fmt: skip
    return Status(201, _settlement(offer))


@operation(
    router.post, AGREEMENT + "/settlement-offers/{offer_id}/accept", permission=settlement.PERMISSION,
    response={200: SettlementOut},
)  # fmt: skip
def accept_settlement(request: HttpRequest, agreement_id: int, offer_id: int) -> Status:
    """The customer accepted; nothing is posted until the amount is paid."""
    offer = _offer(_agreement(request, agreement_id), offer_id)
    return Status(200, _settlement(settlement.accept_settlement(offer=offer, actor=acting_user(request),
                                                                on=timezone.localdate())))  # fmt: skip


@operation(
    router.post, AGREEMENT + "/settlement-offers/{offer_id}/settle", permission=settlement.PERMISSION,
    response={200: SettlementOut},
)  # fmt: skip
def complete_settlement(request: HttpRequest, agreement_id: int, offer_id: int) -> Status:
    """The amount was paid: post the settlement discount (full and final) and move the agreement to settled."""
    offer = _offer(_agreement(request, agreement_id), offer_id)
    return Status(200, _settlement(settlement.complete_settlement(offer=offer, actor=acting_user(request),
                                                                  on=timezone.localdate())))  # fmt: skip


@operation(
    router.post, AGREEMENT + "/settlement-offers/{offer_id}/withdraw", permission=settlement.PERMISSION,
    response={200: SettlementOut},
)  # fmt: skip
def withdraw_settlement(
    request: HttpRequest, agreement_id: int, offer_id: int, payload: WithdrawIn
) -> Status:
    offer = _offer(_agreement(request, agreement_id), offer_id)
    return Status(
        200,
        _settlement(
            settlement.withdraw_settlement(offer=offer, actor=acting_user(request), reason=payload.reason)
        ),
    )


@operation(
    router.post,
    AGREEMENT + "/third-parties",
    permission=third_parties.PERMISSION,
    response={201: ThirdPartyOut},
)
def add_third_party(request: HttpRequest, agreement_id: int, payload: ThirdPartyIn) -> Status:
    """UK-THIRDPARTY: answers with what this kind of third party may and may never be told."""
    party = third_parties.add_third_party(
        agreement=_agreement(request, agreement_id), actor=acting_user(request), **payload.dict()
    )
    return Status(201, _third_party(party))


@operation(
    router.post, AGREEMENT + "/third-parties/{third_party_id}/end", permission=third_parties.PERMISSION,
    response={200: ThirdPartyOut},
)  # fmt: skip
def end_third_party(
    request: HttpRequest, agreement_id: int, third_party_id: int, payload: ThirdPartyEndIn
) -> Status:
    agreement = _agreement(request, agreement_id)
    party = ThirdParty.objects.filter(pk=third_party_id, customer_id=agreement.customer_id).first()
    if party is None:
        raise Http404("No such third party on this customer")
    ended = third_parties.end_third_party(
        party=party, actor=acting_user(request), last_day=payload.last_day or timezone.localdate(),
        reason=payload.reason,
    )  # fmt: skip
    return Status(200, _third_party(ended))


@operation(
    router.post, AGREEMENT + "/holds", permission=actions.HOLD_PERMISSION, response={201: ServicingCreated}
)
def start_hold(request: HttpRequest, agreement_id: int, payload: HoldIn) -> Status:
    """Breathing space (BS-START), debt-advice hold (UK-ADVICE-HOLD, 30 days), capacity (UK-CAPACITY), dispute."""
    agreement, actor, today = _agreement(request, agreement_id), acting_user(request), timezone.localdate()
    actions._check(actor, agreement, actions.HOLD_PERMISSION)
    reason = actions._text(payload.reason, "reason", limit=500)
    if payload.kind == "breathing_space":
        hold = collection_actions.start_breathing_space(
            agreement=agreement, entered_on=payload.entered_on or today, actor=actor,
            mental_health=payload.mental_health, reference=payload.reference[:60], reason=reason,
        )  # fmt: skip
    elif payload.kind == "advice":
        hold = collection_actions.start_advice_hold(
            agreement=agreement, starts_on=today, actor=actor, reason=reason
        )
    elif payload.kind == "capacity":
        hold = collection_actions.flag_capacity(agreement=agreement, on=today, actor=actor, reason=reason)
    else:
        hold = collection_actions.record_dispute(agreement=agreement, on=today, actor=actor, reason=reason)
    return Status(201, {"id": hold.pk, "status": hold.kind, "message": f"until {hold.ends_on or 'ended'}"})


@operation(
    router.post,
    AGREEMENT + "/vulnerabilities",
    permission=actions.CONTACT_PERMISSION,
    response={201: ServicingCreated},
)
def record_vulnerability(request: HttpRequest, agreement_id: int, payload: VulnerabilityIn) -> Status:
    """VC-RECORD: driver, description, temporary (with a review date) or permanent, lawful basis."""
    cue = actions.record_vulnerability(
        agreement=_agreement(request, agreement_id), actor=acting_user(request), on=timezone.localdate(),
        **payload.dict(),
    )  # fmt: skip
    return Status(201, {"id": cue.pk, "status": cue.driver})


@operation(
    router.get, AGREEMENT + "/recoveries-checklist", permission=recoveries.PERMISSION, response=ChecklistOut
)
def recoveries_checklist(request: HttpRequest, agreement_id: int) -> dict[str, Any]:
    """What is still missing before the account may go to recoveries today."""
    agreement, today = _agreement(request, agreement_id), timezone.localdate()
    missing = recoveries.recoveries_checklist([agreement.pk], today).get(agreement.pk, [])
    return {"agreement_id": agreement.pk, "as_of": today, "is_complete": not missing,
            "missing": [vars(item) for item in missing]}  # fmt: skip


@operation(
    router.post, AGREEMENT + "/recoveries-transfer", permission=recoveries.PERMISSION,
    response={200: ServicingCreated, 409: dict},
)  # fmt: skip
def transfer_to_recoveries(request: HttpRequest, agreement_id: int, payload: TransferIn) -> Status:
    """Refused (409, rule RECOVERIES-CHECKLIST) unless fully worked; ``error.missing`` lists every item."""
    agreement = _agreement(request, agreement_id)
    try:
        recoveries.transfer_to_recoveries(
            agreement=agreement, actor=acting_user(request), on=timezone.localdate(), reason=payload.reason
        )
    except recoveries.ChecklistIncomplete as refused:
        body = error_body(refused.code, refused.message, rule=refused.rule)
        body["error"]["missing"] = [vars(item) for item in refused.missing]
        return Status(409, body)
    return Status(200, {"id": agreement.pk, "status": agreement.status})


@operation(
    router.post, AGREEMENT + "/end-of-contract-charges", permission=end_of_contract.PERMISSION,
    response={201: ChargeOut},
)  # fmt: skip
def record_end_of_contract_charge(request: HttpRequest, agreement_id: int, payload: ChargeIn) -> Status:
    """UK-CHARGES: only what the agreement's fee terms allow; excess mileage at the contract rate per mile."""
    charge = end_of_contract.record_end_of_contract_charge(
        agreement=_agreement(request, agreement_id), actor=acting_user(request), on=timezone.localdate(),
        **payload.dict(),
    )  # fmt: skip
    return Status(201, {"id": charge.pk, "kind": charge.kind, "amount_minor": charge.amount_minor,
                        "rate_per_mile_minor": charge.rate_per_mile_minor, "entry_id": charge.entry_id})  # fmt: skip
