"""Approvals, the audit trail and user administration pages."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fairpath.core.errors import Refusal
from fairpath.governance import actions, selectors
from fairpath.governance.access import acting_user
from fairpath.governance.models import ApprovalRequest
from fairpath.web.permissions import requires


@requires("governance.view_approvals")
def approval_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    approvals = selectors.approvals_for(request.user)
    if status in ApprovalRequest.Status.values:
        approvals = approvals.filter(status=status)
    page = Paginator(approvals, 50).get_page(request.GET.get("page"))
    awaiting_ids = set(selectors.approvals_awaiting(request.user).values_list("id", flat=True))
    return render(
        request,
        "governance/approval_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ApprovalRequest.Status.choices,
            "awaiting_ids": awaiting_ids,
        },
    )


def _approval_or_404(request: HttpRequest, approval_id: int) -> ApprovalRequest:
    approval = selectors.approvals_for(request.user).filter(pk=approval_id).first()
    if approval is None:
        raise Http404
    return approval


@requires("governance.view_approvals")
def approval_detail(request: HttpRequest, approval_id: int) -> HttpResponse:
    approval = _approval_or_404(request, approval_id)
    can_decide = selectors.approvals_awaiting(request.user).filter(pk=approval.pk).exists()
    history = (
        selectors.audit_events_for(request.user).filter(
            object_type="governance.approvalrequest", object_id=str(approval.pk)
        )
        if request.user.has_perm("governance.view_audit")
        else None
    )
    return render(
        request,
        "governance/approval_detail.html",
        {"approval": approval, "can_decide": can_decide, "history": history},
    )


@require_POST
@requires("governance.decide_approval")
def approval_decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    approval = _approval_or_404(request, approval_id)
    approve = request.POST.get("decision") == "approve"
    try:
        actions.decide_approval(
            approval=approval,
            approve=approve,
            actor=acting_user(request),
            reason=request.POST.get("reason", ""),
        )
    except Refusal as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Request #{approval.pk} {'approved' if approve else 'rejected'}.")
    return redirect("governance:approval_detail", approval_id=approval.pk)


@requires("governance.view_audit")
def audit_list(request: HttpRequest) -> HttpResponse:
    events = selectors.audit_events_for(request.user)
    filters = {
        key: request.GET.get(key, "").strip() for key in ("object_type", "object_id", "action", "actor")
    }
    if filters["object_type"]:
        events = events.filter(object_type=filters["object_type"])
    if filters["object_id"]:
        events = events.filter(object_id=filters["object_id"])
    if filters["action"]:
        events = events.filter(action__startswith=filters["action"])
    if filters["actor"]:
        events = events.filter(actor_label__icontains=filters["actor"])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "governance/audit_list.html", {"page": page, "filters": filters})


@requires("governance.view_audit")
def object_history(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    """An object's history, as a fragment pages load with htmx; empty for objects of clients not granted."""
    events = selectors.audit_events_for(request.user).filter(object_type=object_type, object_id=object_id)
    return render(request, "governance/_history.html", {"events": events[:200]})


@requires("governance.manage_users")
def user_list(request: HttpRequest) -> HttpResponse:
    users = selectors.users_for(request.user)
    return render(request, "governance/user_list.html", {"users": users})


@require_POST
@requires("governance.manage_tokens")
def token_create(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.users_for(request.user).filter(pk=user_id).first()
    if user is None:
        raise Http404
    days = int(request.POST.get("days") or 90)
    issued = actions.create_api_token(
        user=user,
        name=request.POST.get("name") or "integration",
        expires_at=timezone.now() + timedelta(days=max(1, min(days, 365))),
        actor=acting_user(request),
    )
    messages.success(request, f"Token for {user.username} (shown once, copy it now): {issued.secret}")
    return redirect("governance:user_list")
