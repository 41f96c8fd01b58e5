"""Every change to users, tokens and approvals. Each runs in one transaction and writes its own audit events."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fairpath.clients.models import Client
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.audit import Actor, SystemActor, record_event
from fairpath.governance.authority import APPROVAL_HANDLERS, check_authority
from fairpath.governance.models import ApiToken, ApprovalRequest, Role, User

TOKEN_PREFIX = "fp_"


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.code if user.role else None,
        "clients": sorted(user.clients.values_list("code", flat=True)),
        "all_clients": user.all_clients,
        "is_active": user.is_active,
    }


def create_user(
    *,
    username: str,
    role_code: str,
    password: str,
    client_codes: list[str] | tuple[str, ...] = (),
    all_clients: bool = False,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    actor: Actor,
) -> User:
    """Create a user with one role and the clients they serve."""
    if isinstance(actor, User):
        require_permission(actor, "governance.manage_users")
    role = Role.objects.filter(code=role_code).first()
    if role is None:
        known = ", ".join(Role.objects.values_list("code", flat=True))
        raise InvalidInput(f"There is no role {role_code!r}; known roles: {known}", field="role")
    clients = list(Client.objects.filter(code__in=client_codes))
    missing = sorted(set(client_codes) - {client.code for client in clients})
    if missing:
        raise InvalidInput(f"There is no client {', '.join(missing)}", field="client")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"The username {username!r} is taken", field="username")
    try:
        validate_password(password)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), field="password") from None
    with transaction.atomic():
        user = User(
            username=username,
            role=role,
            all_clients=all_clients,
            first_name=first_name,
            last_name=last_name,
            email=email,
            is_staff=role_code == "administrator",
        )
        user.set_password(password)
        user.save()
        user.clients.set(clients)
        record_event(actor=actor, action="user.created", obj=user, after=_user_snapshot(user))
    return user


@dataclass(frozen=True)
class IssuedToken:
    """A newly created token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(
    *,
    user: User,
    name: str,
    client_codes: list[str] | None = None,
    expires_at: datetime | None = None,
    actor: Actor,
) -> IssuedToken:
    """Issue a bearer token for ``user``, scoped to some (default: all) of the user's clients."""
    if isinstance(actor, User):
        require_permission(actor, "governance.manage_tokens")
    from fairpath.governance.access import client_ids_for

    allowed = Client.objects.filter(id__in=client_ids_for(user))
    clients = list(allowed if client_codes is None else allowed.filter(code__in=client_codes))
    if client_codes is not None and len(clients) != len(set(client_codes)):
        raise InvalidInput("A token can only be scoped to clients its user is granted", field="clients")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[:10],
            key_hash=token_hash(secret),
            created_by=actor if isinstance(actor, User) else None,
            created_at=timezone.now(),
            expires_at=expires_at,
        )
        token.clients.set(clients)
        record_event(
            actor=actor,
            action="api_token.created",
            obj=token,
            after={
                "user": user.username,
                "name": name,
                "prefix": token.prefix,
                "clients": [c.code for c in clients],
            },
        )
    return IssuedToken(token, secret)


def revoke_api_token(*, token: ApiToken, actor: Actor) -> ApiToken:
    if isinstance(actor, User):
        require_permission(actor, "governance.manage_tokens")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(actor=actor, action="api_token.revoked", obj=token, after={"prefix": token.prefix})
    return token


@dataclass(frozen=True)
class AuthorityOutcome:
    """What happened to a request checked against authority: done now, or sent for approval."""

    result: Any = None
    approval: ApprovalRequest | None = None

    @property
    def needs_approval(self) -> bool:
        return self.approval is not None


def act_within_authority(
    *,
    actor: User,
    client: Client,
    action: str,
    kind: str,
    value: int,
    currency: str = "",
    payload: dict[str, Any],
    summary: str,
    reason: str = "",
    object_type: str = "",
    object_id: str = "",
) -> AuthorityOutcome:
    """AUTHORITY-LIMIT: carry out ``action`` now if within the actor's limit, else raise an approval request.

    Later domains call this for discounts, terms, waivers and compensation; the registered handler
    does the work in both cases, so the rule lives in one place.
    """
    require_client(actor, client.id)
    handler = APPROVAL_HANDLERS.get(action)
    if handler is None:
        raise RuntimeError(f"no approval handler registered for {action!r}")
    decision = check_authority(user=actor, kind=kind, value=value, currency=currency)
    if decision.is_within:
        return AuthorityOutcome(result=handler(payload, actor=actor, approval=None))
    if decision.approver_role is None:
        raise Refusal(f"No role has authority for {summary}", rule="AUTHORITY-LIMIT", field="value")
    with transaction.atomic():
        approval = ApprovalRequest.objects.create(
            client=client,
            action=action,
            kind=kind,
            value=value,
            currency=currency,
            payload=payload,
            summary=summary,
            object_type=object_type,
            object_id=object_id,
            requested_by=actor,
            requested_at=timezone.now(),
            reason=reason,
            required_role=decision.approver_role,
        )
        record_event(
            actor=actor,
            action="approval.requested",
            obj=approval,
            after={
                "summary": summary,
                "kind": kind,
                "value": value,
                "limit": decision.limit,
                "required_role": decision.approver_role.code,
            },
            reason=reason,
        )
    return AuthorityOutcome(approval=approval)


def decide_approval(
    *, approval: ApprovalRequest, approve: bool, actor: User, reason: str = ""
) -> ApprovalRequest:
    """Approve (and carry out) or reject a request. Four eyes: never one's own; never over one's own limit."""
    require_permission(actor, "governance.decide_approval")
    require_client(actor, approval.client_id)
    if not reason.strip() and not approve:
        raise InvalidInput("Say why the request is rejected", field="reason")
    with transaction.atomic():
        locked = ApprovalRequest.objects.select_for_update().get(pk=approval.pk)
        if locked.status != ApprovalRequest.Status.PENDING:
            raise Refusal(
                f"This request is already {locked.get_status_display().lower()}", rule="APPROVAL-STATE"
            )
        if locked.requested_by_id == actor.pk:
            raise NotPermitted("You cannot decide your own request", rule="APPROVAL-FOUR-EYES")
        if approve:
            decision = check_authority(
                user=actor, kind=locked.kind, value=locked.value, currency=locked.currency
            )
            if not decision.is_within:
                raise NotPermitted(
                    f"This is over your authority ({decision.limit}); it needs {locked.required_role}",
                    rule="AUTHORITY-LIMIT",
                )
        locked.status = ApprovalRequest.Status.APPROVED if approve else ApprovalRequest.Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record_event(
            actor=actor,
            action="approval.approved" if approve else "approval.rejected",
            obj=locked,
            before={"status": "pending"},
            after={"status": locked.status},
            reason=reason,
        )
        if approve:
            APPROVAL_HANDLERS[locked.action](locked.payload, actor=actor, approval=locked)
    return locked


def record_password_change(*, user: User) -> None:
    """The password itself is never recorded; only that it changed."""
    with transaction.atomic():
        record_event(actor=user, action="user.password_changed", obj=user)


__all__ = [
    "AuthorityOutcome",
    "IssuedToken",
    "SystemActor",
    "act_within_authority",
    "create_api_token",
    "create_user",
    "decide_approval",
    "record_password_change",
    "revoke_api_token",
]
