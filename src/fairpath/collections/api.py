"""The collections domain over the API: the contact policy guard (POST /contact-attempts)."""

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from fairpath.accounts import selectors as account_selectors
from fairpath.api.errors import error_body
from fairpath.api.permissions import operation
from fairpath.collections import actions

router = Router()


class ContactAttemptIn(Schema):
    agreement: int
    channel: Literal["call", "sms", "email", "letter"]
    party: Literal["customer", "third_party"] = "customer"
    purpose: Literal["collections", "statutory", "service", "legal"] = "collections"
    at: datetime
    is_conversation: bool = False


class ContactAttemptOut(Schema):
    id: int
    allowed: bool
    rule: str | None
    message: str


@operation(
    router.post,
    "/contact-attempts",
    permission="collections.add_contactattempt",
    response={201: ContactAttemptOut, 409: dict},
)
def post_contact_attempt(request: HttpRequest, payload: ContactAttemptIn) -> Any:
    """Ask the contact policy guard about a contact and log it: 201 if allowed, 409 naming the rule if not.

    Refusals are logged too (counted by rule on the suppressions page). ``at`` must carry a time zone.
    """
    agreement = account_selectors.agreements_for(request.user).filter(pk=payload.agreement).first()
    if agreement is None:
        raise Http404("No such agreement among your clients'")
    decision, attempt = actions.record_contact_attempt(
        agreement=agreement,
        channel=payload.channel,
        at=payload.at,
        party=payload.party,
        purpose=payload.purpose,
        is_conversation=payload.is_conversation,
        source="api",
        actor=request.user,  # type: ignore[arg-type]
    )
    if not decision.allowed:
        return Status(409, error_body("contact_refused", decision.message, rule=decision.rule))
    return Status(201, {"id": attempt.pk, "allowed": True, "rule": None, "message": decision.message})
