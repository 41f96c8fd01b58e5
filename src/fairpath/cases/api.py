"""Cases over the API, scoped to the caller's clients (another client's case is simply not found).

``POST /api/v1/cases`` answers with every computed deadline under ``deadlines``: a mapping from the rule id
or SLA policy target (``D-SRC``, ``D-8WEEKS``, ``D-PSD``, ``G-SAR``, ``<policy>/resolution`` …) to
``{"due_at": UTC instant, "due_date": local date}``.
"""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from fairpath.accounts.models import Agreement, Customer
from fairpath.api.permissions import operation
from fairpath.cases import actions, selectors
from fairpath.cases.models import Case
from fairpath.core.errors import InvalidInput
from fairpath.governance.access import acting_user, client_ids_for, visible_clients

router = Router()


class DeadlineOut(Schema):
    due_at: dt.datetime = Field(description="The instant, in UTC")
    due_date: dt.date = Field(description="The local date the deadline falls on")
    label: str
    is_regulatory: bool
    met_at: dt.datetime | None
    state: str


class OutcomeOut(Schema):
    outcome: str
    root_cause: str
    redress_minor: int
    currency: str
    redress_status: str
    final_response_on: dt.date


class NoteOut(Schema):
    id: int
    body: str
    is_customer_contact: bool
    author: str
    created_at: dt.datetime


class EscalationOut(Schema):
    from_level: int
    to_level: int
    reason: str
    is_automatic: bool
    by: str
    at: dt.datetime


class CaseOut(Schema):
    id: int
    reference: str
    type: str
    category: str
    channel: str
    received_at: dt.datetime
    status: str
    escalation_level: int
    customer_id: int | None
    agreement_id: int | None
    summary: str
    region: str
    time_zone: str
    deadlines: dict[str, DeadlineOut]
    outcome: OutcomeOut | None
    pending_approval_id: int | None
    converted_from_id: int | None


class CaseDetailOut(CaseOut):
    notes: list[NoteOut]
    escalations: list[EscalationOut]


class CasePage(Schema):
    items: list[CaseOut]
    page: int
    has_next: bool


class CaseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="enquiry, complaint, dispute, escalation, subject_access_request, …")
    category: str
    channel: str = Field(description="phone, letter, email, web, api, chat, in_person")
    received_at: dt.datetime = Field(description="When the customer first expressed it, with its offset")
    customer_id: int | None = None
    agreement_id: int | None = None
    client: str | None = Field(None, description="Client code; needed only without a customer or agreement")
    summary: str = ""
    description: str = ""


class StatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: str
    reason: str = ""


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str
    is_customer_contact: bool = False


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    outcome: str = ""
    root_cause: str = ""
    summary: str = ""
    redress_minor: int = 0
    reason: str = ""


class ClosureOut(Schema):
    status: str
    case: CaseOut | None
    approval_id: int | None
    rule: str | None
    required_role: str | None


class EscalateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str
    level: int | None = Field(None, description="1 team leader, 2 operations manager, 3 head of operations")


class ComplaintFromIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note_id: int | None = None
    category: str | None = None
    received_at: dt.datetime | None = None


def case_body(case: Case) -> dict[str, Any]:
    now = timezone.now()
    outcome = getattr(case, "outcome", None)
    return {
        "id": case.pk,
        "reference": case.reference,
        "type": case.case_type,
        "category": case.category,
        "channel": case.channel,
        "received_at": case.received_at.astimezone(dt.UTC),
        "status": case.status,
        "escalation_level": case.escalation_level,
        "customer_id": case.customer_id,
        "agreement_id": case.agreement_id,
        "summary": case.summary,
        "region": case.region,
        "time_zone": case.time_zone,
        "deadlines": {
            deadline.rule: {
                "due_at": deadline.due_at.astimezone(dt.UTC),
                "due_date": deadline.due_date,
                "label": deadline.label,
                "is_regulatory": deadline.is_regulatory,
                "met_at": deadline.met_at,
                "state": selectors.deadline_state(deadline, now),
            }
            for deadline in case.deadlines.all()
        },
        "outcome": outcome,
        "pending_approval_id": case.pending_approval_id,
        "converted_from_id": case.converted_from_id,
    }


def _visible_case(request: HttpRequest, case_id: int) -> Case:
    case = selectors.case_page(request.user, case_id)
    if case is None:
        raise Http404("No such case among your clients'")
    return case


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = _visible_case(request, case_id)
    return {
        **case_body(case),
        "notes": [
            {
                "id": note.pk,
                "body": note.body,
                "is_customer_contact": note.is_customer_contact,
                "author": note.author_label,
                "created_at": note.created_at,
            }
            for note in case.notes.all()
        ],
        "escalations": [
            {
                "from_level": item.from_level,
                "to_level": item.to_level,
                "reason": item.reason,
                "is_automatic": item.is_automatic,
                "by": item.by_label,
                "at": item.at,
            }
            for item in case.escalations.all()
        ],
    }


@operation(router.post, "", permission="cases.add_case", response={201: CaseOut})
def create_case(request: HttpRequest, payload: CaseIn) -> Status:
    """Register a case; the answer carries every deadline computed for it."""
    user = acting_user(request)
    allowed = client_ids_for(user)
    customer = agreement = None
    if payload.agreement_id is not None:
        agreement = Agreement.objects.filter(pk=payload.agreement_id, client_id__in=allowed).first()
        if agreement is None:
            raise InvalidInput("No such agreement among your clients'", field="agreement_id")
    if payload.customer_id is not None:
        customer = Customer.objects.filter(pk=payload.customer_id, client_id__in=allowed).first()
        if customer is None:
            raise InvalidInput("No such customer among your clients'", field="customer_id")
    source: Agreement | Customer | None = agreement if agreement is not None else customer
    owner_client = source.client if source is not None else None
    if owner_client is None:
        clients = visible_clients(user)
        if payload.client:
            clients = clients.filter(code=payload.client)
        choices = list(clients[:2])
        if len(choices) != 1:
            raise InvalidInput("Name the client (its code) the case belongs to", field="client")
        owner_client = choices[0]
    case = actions.register_case(
        client=owner_client,
        case_type=payload.type,
        category=payload.category,
        channel=payload.channel,
        received_at=payload.received_at,
        actor=user,
        summary=payload.summary,
        description=payload.description,
        customer=customer,
        agreement=agreement,
    )
    return Status(201, case_body(_visible_case(request, case.pk)))


@operation(router.get, "", permission="cases.view_case", response=CasePage)
def list_cases(
    request: HttpRequest,
    type: str = "",
    status: str = "",
    category: str = "",
    deadline: str = "",
    customer_id: int | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """Cases, newest receipt first, 25 a page; ``deadline=at_risk`` or ``breached`` narrows to those."""
    filters = selectors.CaseFilters(type, status, category, deadline, customer_id)
    queryset = selectors.case_list(request.user, filters)
    page = max(page, 1)
    rows = list(queryset[(page - 1) * selectors.PAGE_SIZE : page * selectors.PAGE_SIZE + 1])
    return {
        "items": [case_body(case) for case in rows[: selectors.PAGE_SIZE]],
        "page": page,
        "has_next": len(rows) > selectors.PAGE_SIZE,
    }


@operation(router.get, "/{case_id}", permission="cases.view_case", response=CaseDetailOut)
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _detail(request, case_id)


@operation(router.post, "/{case_id}/status", permission="cases.change_case", response=CaseOut)
def change_status(request: HttpRequest, case_id: int, payload: StatusIn) -> dict[str, Any]:
    case = _visible_case(request, case_id)
    actions.change_status(
        case=case, to_status=payload.status, actor=acting_user(request), reason=payload.reason
    )
    return case_body(_visible_case(request, case_id))


@operation(router.post, "/{case_id}/notes", permission="cases.change_case", response={201: NoteOut})
def add_note(request: HttpRequest, case_id: int, payload: NoteIn) -> Status:
    """P-PAN: card numbers in the text are masked before it is stored."""
    case = _visible_case(request, case_id)
    note = actions.add_note(
        case=case,
        body=payload.body,
        actor=acting_user(request),
        is_customer_contact=payload.is_customer_contact,
    )
    return Status(
        201,
        {
            "id": note.pk,
            "body": note.body,
            "is_customer_contact": note.is_customer_contact,
            "author": note.author_label,
            "created_at": note.created_at,
        },
    )


@operation(
    router.post,
    "/{case_id}/close",
    permission="cases.close_complaint",
    response={200: ClosureOut, 202: ClosureOut},
)
def close_case(request: HttpRequest, case_id: int, payload: CloseIn) -> Status:
    """Close a complaint with outcome and root cause (D-ROOT). Redress over your authority answers 202 with
    the approval request it became (AUTHORITY-LIMIT); nothing is closed or paid until it is approved."""
    case = _visible_case(request, case_id)
    result = actions.close_complaint(
        case=case,
        actor=acting_user(request),
        outcome=payload.outcome,
        root_cause=payload.root_cause,
        summary=payload.summary,
        redress_minor=payload.redress_minor,
        reason=payload.reason,
    )
    if result.approval is not None:
        return Status(
            202,
            {
                "status": "pending_approval",
                "case": case_body(_visible_case(request, case_id)),
                "approval_id": result.approval.pk,
                "rule": "AUTHORITY-LIMIT",
                "required_role": result.approval.required_role.code
                if result.approval.required_role
                else None,
            },
        )
    return Status(
        200,
        {
            "status": "closed",
            "case": case_body(_visible_case(request, case_id)),
            "approval_id": None,
            "rule": None,
            "required_role": None,
        },
    )


@operation(router.post, "/{case_id}/escalate", permission="cases.escalate_case", response=EscalationOut)
def escalate(request: HttpRequest, case_id: int, payload: EscalateIn) -> dict[str, Any]:
    case = _visible_case(request, case_id)
    item = actions.escalate(
        case=case, actor=acting_user(request), reason=payload.reason, to_level=payload.level
    )
    return {
        "from_level": item.from_level,
        "to_level": item.to_level,
        "reason": item.reason,
        "is_automatic": item.is_automatic,
        "by": item.by_label,
        "at": item.at,
    }


@operation(router.post, "/{case_id}/complaint", permission="cases.add_case", response={201: CaseOut})
def raise_complaint(request: HttpRequest, case_id: int, payload: ComplaintFromIn) -> Status:
    """D-DEFINE: turn this case (or one of its notes) into a complaint, received when first expressed."""
    case = _visible_case(request, case_id)
    note = None
    if payload.note_id is not None:
        note = case.notes.filter(pk=payload.note_id).first()
        if note is None:
            raise InvalidInput("No such note on this case", field="note_id")
    complaint = actions.raise_complaint_from(
        case=case,
        note=note,
        actor=acting_user(request),
        category=payload.category,
        received_at=payload.received_at,
    )
    return Status(201, case_body(_visible_case(request, complaint.pk)))
