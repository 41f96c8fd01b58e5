"""Customers and agreements over the API, scoped to the caller's clients (others' records are simply not found)."""

from datetime import date
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from fairpath.accounts import actions, selectors
from fairpath.accounts.models import Agreement, Customer, LedgerEntry
from fairpath.api.permissions import operation

router = Router()


class AddressOut(Schema):
    kind: str
    line1: str
    line2: str
    town: str
    postcode: str
    country: str
    region: str
    is_current: bool
    time_zone: str


class ContactPointOut(Schema):
    channel: str
    kind: str
    value: str
    is_primary: bool
    has_call_consent: bool
    has_text_consent: bool
    has_email_consent: bool
    is_opted_out: bool


class AgreementSummary(Schema):
    id: int
    reference: str
    product: str
    currency: str
    status: str
    balance_minor: int


class CustomerSummary(Schema):
    id: int
    reference: str
    name: str
    date_of_birth: date | None
    postcode: str | None
    agreements: list[AgreementSummary]


class CustomerPage(Schema):
    items: list[CustomerSummary]
    page: int
    has_next: bool


class VulnerabilityOut(Schema):
    driver: str
    description: str
    is_temporary: bool
    review_on: date | None


class CustomerDetail(Schema):
    id: int
    reference: str
    title: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    addresses: list[AddressOut]
    contact_points: list[ContactPointOut]
    vulnerability: list[VulnerabilityOut]
    agreements: list[AgreementSummary]


class ArrearsOut(Schema):
    as_of: date
    arrears_minor: int
    missed_payments: int
    days_past_due: int
    oldest_unpaid_due_on: date | None
    bucket: str


class FeeTermOut(Schema):
    fee_type: str
    amount_minor: int
    cost_basis: str


class InstalmentOut(Schema):
    sequence: int
    due_on: date
    amount_due_minor: int
    amount_paid_minor: int


class AgreementDetail(Schema):
    id: int
    reference: str
    customer_id: int
    product: str
    currency: str
    rate_bp: int
    instalment_minor: int
    frequency: str
    term_instalments: int | None
    credit_limit_minor: int | None
    balloon_minor: int | None
    opened_on: date
    first_due_on: date
    end_on: date | None
    status: str
    balance_minor: int
    disputed_since: date | None
    arrears: ArrearsOut | None
    fee_terms: list[FeeTermOut]
    schedule: list[InstalmentOut]


class LedgerEntryOut(Schema):
    id: int
    kind: str
    amount_minor: int
    currency: str
    posted_on: date
    fee_type: str
    reference: str
    description: str
    reverses_id: int | None


class LedgerPage(Schema):
    items: list[LedgerEntryOut]
    page: int
    has_next: bool


class ApprovalPending(Schema):
    approval_id: int
    required_role: str
    summary: str


class AdjustmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["adjustment", "waiver", "write_off", "settlement_discount"]
    amount_minor: int = Field(
        description="Minor units; positive except for an adjustment, whose sign says which way"
    )
    currency: str
    posted_on: date
    reason: str
    waives_entry_id: int | None = Field(None, description="The fee entry a waiver waives")


def _summary(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.pk,
        "reference": agreement.reference,
        "product": agreement.product,
        "currency": agreement.currency,
        "status": agreement.status,
        "balance_minor": agreement.balance_minor,
    }


def _customer_summary(customer: Customer) -> dict[str, Any]:
    addresses = list(customer.addresses.all())
    return {
        "id": customer.pk,
        "reference": customer.reference,
        "name": customer.display_name,
        "date_of_birth": customer.date_of_birth,
        "postcode": addresses[0].postcode if addresses else None,
        "agreements": [_summary(agreement) for agreement in customer.agreements.all()],
    }


def _visible_agreement(request: HttpRequest, agreement_id: int) -> Agreement:
    agreement = selectors.agreement_page(request.user, agreement_id)
    if agreement is None:
        raise Http404("No such agreement among your clients'")
    return agreement


@operation(router.get, "/customers", permission="accounts.view_customer", response=CustomerPage)
def search_customers(request: HttpRequest, q: str = "", page: int = 1) -> dict[str, Any]:
    """Search by name, agreement number, customer reference, phone, e-mail or postcode."""
    found = selectors.page_of(selectors.search_customers(request.user, q[:100]), page, selectors.PAGE_SIZE)
    return {
        "items": [_customer_summary(c) for c in found.items],
        "page": found.number,
        "has_next": found.has_next,
    }


@operation(
    router.get, "/customers/{customer_id}", permission="accounts.view_customer", response=CustomerDetail
)
def get_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    customer = selectors.customer_page(request.user, customer_id)
    if customer is None:
        raise Http404("No such customer among your clients'")
    return {
        "id": customer.pk,
        "reference": customer.reference,
        "title": customer.title,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "date_of_birth": customer.date_of_birth,
        "addresses": list(customer.addresses.all()),
        "contact_points": list(customer.contact_points.all()),
        "vulnerability": list(customer.vulnerability_cues.all()),
        "agreements": [_summary(agreement) for agreement in customer.agreements.all()],
    }


@operation(
    router.get, "/agreements/{agreement_id}", permission="accounts.view_agreement", response=AgreementDetail
)
def get_agreement(request: HttpRequest, agreement_id: int) -> dict[str, Any]:
    agreement = _visible_agreement(request, agreement_id)
    fields = {
        name: getattr(agreement, name) for name in AgreementDetail.model_fields if hasattr(agreement, name)
    }
    return {
        **fields,
        "arrears": selectors.arrears_of(agreement),
        "fee_terms": list(agreement.fee_terms.all()),
        "schedule": list(selectors.schedule_of(agreement)),
    }


@operation(
    router.get, "/agreements/{agreement_id}/ledger", permission="accounts.view_ledger", response=LedgerPage
)
def get_ledger(request: HttpRequest, agreement_id: int, page: int = 1) -> dict[str, Any]:
    """Ledger entries, newest first, 50 a page."""
    agreement = _visible_agreement(request, agreement_id)
    found = selectors.page_of(selectors.ledger_of(agreement), page, selectors.LEDGER_PAGE_SIZE)
    return {"items": found.items, "page": found.number, "has_next": found.has_next}


@operation(
    router.post,
    "/agreements/{agreement_id}/adjustments",
    permission="accounts.post_adjustment",
    response={201: LedgerEntryOut, 202: ApprovalPending},
)
def post_adjustment(request: HttpRequest, agreement_id: int, payload: AdjustmentIn) -> Status:
    """A manual adjustment, waiver, write-off or discount (AUTHORITY-LIMIT).

    201 with the entry when within the caller's authority; 202 with the approval request when it needs a
    higher role, which posts it on approval.
    """
    agreement = _visible_agreement(request, agreement_id)
    waives = None
    if payload.waives_entry_id is not None:
        waives = LedgerEntry.objects.filter(pk=payload.waives_entry_id, agreement=agreement).first()
        if waives is None:
            raise Http404("No such fee on this agreement")
    outcome = actions.post_manual_adjustment(
        agreement=agreement,
        kind=payload.kind,
        amount_minor=payload.amount_minor,
        currency=payload.currency,
        posted_on=payload.posted_on,
        reason=payload.reason,
        actor=request.user,  # type: ignore[arg-type]
        waives=waives,
    )
    if outcome.approval is not None:
        approval = outcome.approval
        return Status(
            202,
            {
                "approval_id": approval.pk,
                "required_role": approval.required_role.code,
                "summary": approval.summary,
            },
        )
    return Status(201, outcome.result)
