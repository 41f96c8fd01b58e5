"""Messages and templates over the API, scoped to the caller's clients (others' records are simply not found)."""

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from fairpath.accounts import selectors as account_selectors
from fairpath.api.permissions import operation
from fairpath.communications import actions, selectors
from fairpath.communications.models import OutboundMessage
from fairpath.governance.access import acting_user

router = Router()


class MessageOut(Schema):
    id: int
    agreement_id: int
    agreement_reference: str
    channel: str
    notice_type: str
    status: str
    recipient_name: str
    recipient: str
    subject: str
    body: str
    template_code: str
    template_version: int
    decided_at: datetime
    decision_rule: str
    decision_message: str
    sent_at: datetime | None
    has_document: bool


class MessagePage(Schema):
    items: list[MessageOut]
    page: int
    has_next: bool


class MessageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    agreement_id: int
    template_id: int
    context: dict[str, str] = Field(
        default_factory=dict, description="Extra variables, e.g. remedy_date (only the allowed names)"
    )
    at: datetime | None = Field(None, description="When it is sent (defaults to now)")


class TemplateOut(Schema):
    id: int
    client_code: str
    code: str
    name: str
    channel: str
    jurisdiction: str
    notice_type: str
    is_initial_communication: bool
    published_version: int | None


def _message(message: OutboundMessage) -> dict[str, Any]:
    version = message.template_version
    return {
        "id": message.pk,
        "agreement_id": message.agreement_id,
        "agreement_reference": message.agreement.reference,
        "channel": message.channel,
        "notice_type": message.notice_type,
        "status": message.status,
        "recipient_name": message.recipient_name,
        "recipient": message.recipient,
        "subject": message.subject,
        "body": message.body,
        "template_code": version.template.code,
        "template_version": version.number,
        "decided_at": message.decided_at,
        "decision_rule": message.decision_rule,
        "decision_message": message.decision_message,
        "sent_at": message.sent_at,
        "has_document": bool(message.document),
    }


@operation(router.get, "/messages", permission="communications.view_outbound", response=MessagePage)
def list_messages(
    request: HttpRequest, status: str = "", agreement_id: int | None = None, page: int = 1
) -> dict[str, Any]:
    """Messages sent, queued, failed or suppressed (with the rule), newest first, 50 a page."""
    found = selectors.messages_for(request.user)
    if status:
        found = found.filter(status=status)
    if agreement_id is not None:
        found = found.filter(agreement_id=agreement_id)
    page = max(page, 1)
    start = (page - 1) * selectors.PAGE_SIZE
    rows = list(found[start : start + selectors.PAGE_SIZE + 1])
    return {
        "items": [_message(row) for row in rows[: selectors.PAGE_SIZE]],
        "page": page,
        "has_next": len(rows) > selectors.PAGE_SIZE,
    }


@operation(router.post, "/messages", permission="communications.send_message", response={201: MessageOut})
def send_one(request: HttpRequest, payload: MessageIn) -> Status:
    """Send one message. The contact policy decides first: a refusal is 409 with the rule id and changes
    nothing."""
    agreement = account_selectors.agreements_for(request.user).filter(pk=payload.agreement_id).first()
    if agreement is None:
        raise Http404("No such agreement among your clients'")
    template = selectors.template_page(request.user, payload.template_id)
    if template is None or template.client_id != agreement.client_id:
        raise Http404("No such template for this agreement's client")
    message = actions.send_message(
        agreement=agreement,
        channel=template.channel,
        template=template,
        context=dict(payload.context),
        actor=acting_user(request),
        at=payload.at or timezone.now(),
    )
    message = selectors.messages_for(request.user).get(pk=message.pk)
    return Status(201, _message(message))


@operation(router.get, "/templates", permission="communications.view_template", response=list[TemplateOut])
def list_templates(request: HttpRequest, channel: str = "", jurisdiction: str = "") -> list[dict[str, Any]]:
    templates = selectors.templates_for(request.user)
    if channel:
        templates = templates.filter(channel=channel)
    if jurisdiction:
        templates = templates.filter(jurisdiction=jurisdiction)
    rows = list(templates)
    published = selectors.published_numbers([template.pk for template in rows])
    return [
        {
            "id": template.pk,
            "client_code": template.client.code,
            "code": template.code,
            "name": template.name,
            "channel": template.channel,
            "jurisdiction": template.jurisdiction,
            "notice_type": template.notice_type,
            "is_initial_communication": template.is_initial_communication,
            "published_version": published.get(template.pk),
        }
        for template in rows
    ]
