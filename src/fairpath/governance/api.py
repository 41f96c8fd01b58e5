"""Who am I, approvals and the audit trail over the API."""

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from fairpath.api.permissions import operation
from fairpath.governance import actions, selectors
from fairpath.governance.access import acting_user, visible_clients
from fairpath.governance.models import ApprovalRequest, AuditEvent

router = Router()


class MeOut(Schema):
    username: str
    name: str
    role: str | None
    clients: list[str]
    permissions: list[str]


class ApprovalOut(Schema):
    id: int
    client: str
    summary: str
    kind: str
    value: int
    currency: str
    status: str
    requested_by: str
    requested_at: datetime
    required_role: str
    reason: str
    decided_by: str | None
    decision_reason: str


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: str = Field(default="", max_length=2000)


class AuditEventOut(Schema):
    id: int
    occurred_at: datetime
    actor: str
    client: str | None
    object_type: str
    object_id: str
    action: str
    before: Any
    after: Any
    reason: str
    correlation_id: str


class AuditFilter(Schema):
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)


def _approval_out(approval: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": approval.pk,
        "client": approval.client.code,
        "summary": approval.summary,
        "kind": approval.kind,
        "value": approval.value,
        "currency": approval.currency,
        "status": approval.status,
        "requested_by": approval.requested_by.username,
        "requested_at": approval.requested_at,
        "required_role": approval.required_role.code,
        "reason": approval.reason,
        "decided_by": approval.decided_by.username if approval.decided_by else None,
        "decision_reason": approval.decision_reason,
    }


def _event_out(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "actor": event.actor_label,
        "client": event.client.code if event.client else None,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "correlation_id": event.correlation_id,
    }


@operation(router.get, "/me", permission="signed-in", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "username": user.username,
        "name": user.display_name,  # type: ignore[union-attr]
        "role": user.role.code if user.role else None,  # type: ignore[union-attr]
        "clients": list(visible_clients(user).values_list("code", flat=True)),
        "permissions": sorted(user.get_all_permissions()),
    }


@operation(router.get, "/approvals", permission="governance.view_approvals", response=list[ApprovalOut])
def list_approvals(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    approvals = selectors.approvals_for(request.user)
    if status:
        approvals = approvals.filter(status=status)
    return [_approval_out(approval) for approval in approvals[:500]]


@operation(
    router.get, "/approvals/{approval_id}", permission="governance.view_approvals", response=ApprovalOut
)
def get_approval(request: HttpRequest, approval_id: int) -> dict[str, Any]:
    approval = selectors.approvals_for(request.user).filter(pk=approval_id).first()
    if approval is None:
        raise Http404(f"No approval request {approval_id} among your clients'")
    return _approval_out(approval)


@operation(
    router.post,
    "/approvals/{approval_id}/decision",
    permission="governance.decide_approval",
    response=ApprovalOut,
)
def decide(request: HttpRequest, approval_id: int, payload: DecisionIn) -> dict[str, Any]:
    approval = selectors.approvals_for(request.user).filter(pk=approval_id).first()
    if approval is None:
        raise Http404(f"No approval request {approval_id} among your clients'")
    decided = actions.decide_approval(
        approval=approval, approve=payload.approve, actor=acting_user(request), reason=payload.reason
    )
    return _approval_out(selectors.approvals_for(request.user).get(pk=decided.pk))


@operation(router.get, "/audit/events", permission="governance.view_audit", response=list[AuditEventOut])
def audit_events(request: HttpRequest, filters: Query[AuditFilter]) -> list[dict[str, Any]]:
    events = selectors.audit_events_for(request.user)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.action:
        events = events.filter(action=filters.action)
    return [_event_out(event) for event in events[: filters.limit]]
