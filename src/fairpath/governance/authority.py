"""Authority limits: the one check every action calls before granting a discount, term, waiver or payment.

Within the actor's limit the action goes ahead; over it, an approval request goes to the next role up
whose limit covers the value, and the action is carried out only when that person approves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fairpath.governance.models import AuthorityLimit, Role, User

ApprovalHandler = Callable[..., Any]
APPROVAL_HANDLERS: dict[str, ApprovalHandler] = {}


def approval_handler(name: str) -> Callable[[ApprovalHandler], ApprovalHandler]:
    """Register the function that carries out an approved request: ``handler(payload, *, actor, approval)``."""

    def register(function: ApprovalHandler) -> ApprovalHandler:
        APPROVAL_HANDLERS[name] = function
        return function

    return register


@dataclass(frozen=True)
class AuthorityDecision:
    """Whether a role may decide alone, and if not, which role must approve."""

    is_within: bool
    limit: int
    approver_role: Role | None

    @property
    def rule(self) -> str:
        return "AUTHORITY-LIMIT"


def role_limit(role: Role | None, kind: str, currency: str = "") -> int:
    """The role's limit for this kind (0 when the role has none: it may not decide alone)."""
    if role is None:
        return 0
    row = AuthorityLimit.objects.filter(role=role, kind=kind, currency=currency).values_list(
        "maximum", flat=True
    )
    return int(row.first() or 0)


def check_authority(*, user: User, kind: str, value: int, currency: str = "") -> AuthorityDecision:
    """AUTHORITY-LIMIT: may ``user`` decide ``value`` of ``kind`` alone? If not, who approves?"""
    limit = role_limit(user.role, kind, currency)
    if value <= limit:
        return AuthorityDecision(True, limit, None)
    return AuthorityDecision(False, limit, approver_for(user.role, kind, value, currency))


def approver_for(role: Role | None, kind: str, value: int, currency: str = "") -> Role | None:
    """Walk the escalation chain upward to the first role whose limit covers the value."""
    seen: set[int] = set()
    current = role.escalates_to if role else Role.objects.filter(rank__gt=0).order_by("rank").first()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        if value <= role_limit(current, kind, currency):
            return current
        current = current.escalates_to
    return None
