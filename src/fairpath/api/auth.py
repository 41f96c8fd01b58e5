"""API authentication: bearer tokens for integrations, the signed-in session (with CSRF) for the web app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from fairpath.governance.access import require_permission, restrict_to_token
from fairpath.governance.actions import token_hash
from fairpath.governance.models import ApiToken


class TokenProblem(Exception):
    """A bearer token was sent but cannot be used; the message says why."""


SIGNED_IN = "signed-in"


def _permitted(user: Any, permission: str | None) -> Any:
    """Check the operation's permission during authentication, so a refusal comes before any input parsing."""
    if user is not None and permission and permission != SIGNED_IN:
        require_permission(user, permission)
    return user


class BearerToken(HttpBearer):
    def __init__(self, permission: str | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user", "user__role")
            .prefetch_related("clients")
            .filter(key_hash=token_hash(token))
            .first()
        )
        if found is None:
            raise TokenProblem("The API token is not recognised")
        now = timezone.now()
        if found.revoked_at is not None:
            raise TokenProblem("The API token was revoked")
        if found.expires_at is not None and found.expires_at <= now:
            raise TokenProblem(f"The API token expired at {found.expires_at:%Y-%m-%d %H:%M} UTC")
        user = found.user
        if not user.is_active:
            raise TokenProblem("The API token's user is deactivated")
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        restrict_to_token(user, frozenset(client.id for client in found.clients.all()))
        request.user = user
        return _permitted(user, self.permission)


class SessionWithCsrf(APIKeyCookie):
    """The web app's own session; ninja checks CSRF for cookie authentication."""

    param_name = "sessionid"

    def __init__(self, permission: str | None = None) -> None:
        super().__init__(csrf=True)
        self.permission = permission

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return _permitted(user, self.permission)
        return None


def api_auth(permission: str | None = None) -> list[Any]:
    """Token first, then the web session; each checks ``permission`` once the caller is known."""
    return [BearerToken(permission), SessionWithCsrf(permission)]


API_AUTH = api_auth()
