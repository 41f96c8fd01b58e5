"""Every API operation names its permission; it is checked before the handler runs and published in OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest

from fairpath.governance.access import require_permission

PERMISSION_KEY = "x-permission"


def permission_extra(permission: str) -> dict[str, Any]:
    return {PERMISSION_KEY: permission}


def requires_permission(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Check ``permission`` (``signed-in`` for any user) before the operation runs."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(handler)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if permission != "signed-in":
                require_permission(request.user, permission)
            return handler(request, *args, **kwargs)

        checked.required_permission = permission  # type: ignore[attr-defined]
        return checked

    return decorate


def operation(
    router_method: Callable[..., Callable[[Callable[..., Any]], Any]], path: str, *, permission: str, **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation and its permission in one place: ``@operation(router.get, "/x", permission=...)``."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        checked = requires_permission(permission)(handler)
        router_method(path, openapi_extra=permission_extra(permission), **options)(checked)
        return checked

    return decorate
