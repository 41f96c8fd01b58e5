"""Reads of approvals and audit events, narrowed to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fairpath.governance.access import client_ids_for
from fairpath.governance.models import ApprovalRequest, AuditEvent, User


def approvals_for(user: Any) -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.filter(client_id__in=client_ids_for(user))
        .select_related("client", "requested_by", "required_role", "decided_by")
        .order_by("-requested_at")
    )


def approvals_awaiting(user: Any) -> QuerySet[ApprovalRequest]:
    """Pending requests this user could decide: their clients, their role's rank or above, not their own."""
    rank = user.role.rank if getattr(user, "role", None) else 0
    return (
        approvals_for(user)
        .filter(status=ApprovalRequest.Status.PENDING, required_role__rank__lte=rank)
        .exclude(requested_by=user)
    )


def audit_events_for(user: Any) -> QuerySet[AuditEvent]:
    """Events of the user's clients; platform events (users, tokens) only for administrators of users."""
    scope = Q(client_id__in=client_ids_for(user))
    if user.has_perm("governance.manage_users"):
        scope |= Q(client__isnull=True)
    return AuditEvent.objects.filter(scope).select_related("actor", "client").order_by("-occurred_at", "-id")


def users_for(user: Any) -> QuerySet[User]:
    """Users who share a client with the viewer (administrators with every client see all)."""
    ids = client_ids_for(user)
    return (
        User.objects.filter(Q(clients__id__in=ids) | Q(all_clients=True) | Q(pk=user.pk))
        .distinct()
        .select_related("role")
        .prefetch_related("clients")
        .order_by("username")
    )
