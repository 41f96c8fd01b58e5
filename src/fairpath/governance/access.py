"""Who may see what: the few functions every selector, view and endpoint asks. One condition per line."""

from __future__ import annotations

from typing import Any

from fairpath.clients.models import Client
from fairpath.core.errors import NotPermitted
from fairpath.governance.models import User

CLIENT_IDS_CACHE = "_fairpath_client_ids"


def client_ids_for(user: Any) -> frozenset[int]:
    """The ids of the clients this user (or this API token) may see; cached on the user object for the request."""
    cached = getattr(user, CLIENT_IDS_CACHE, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        ids: frozenset[int] = frozenset()
    elif user.all_clients:
        ids = frozenset(Client.objects.values_list("id", flat=True))
    else:
        ids = frozenset(user.clients.values_list("id", flat=True))
    setattr(user, CLIENT_IDS_CACHE, ids)
    return ids


def restrict_to_token(user: Any, token_client_ids: frozenset[int]) -> None:
    """Narrow the user's clients to what an API token is scoped to (never widen them)."""
    setattr(user, CLIENT_IDS_CACHE, client_ids_for(user) & token_client_ids)


def can_see_client(user: Any, client_id: int | None) -> bool:
    if client_id is None:
        return bool(getattr(user, "is_authenticated", False))
    return client_id in client_ids_for(user)


def require_permission(user: Any, permission: str) -> None:
    if not user.has_perm(permission):
        raise NotPermitted(f"Your role does not include the permission {permission!r}", rule="ACCESS-ROLE")


def require_client(user: Any, client_id: int | None) -> None:
    if not can_see_client(user, client_id):
        raise NotPermitted("This record belongs to a client you are not granted", rule="ACCESS-CLIENT")


def acting_user(request: Any) -> User:
    """The signed-in user of a request already checked by ``@requires`` or the API's auth."""
    user = request.user
    if not isinstance(user, User):
        raise NotPermitted("Sign in first", rule="ACCESS-SIGNED-IN")
    return user


def visible_clients(user: Any):  # noqa: ANN201 - a Client queryset
    return Client.objects.filter(id__in=client_ids_for(user))
