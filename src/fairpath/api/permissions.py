"""Every API operation names its permission: checked during authentication (before any input is parsed)
and published in OpenAPI as ``x-permission`` so the permission matrix test can find an operation without one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fairpath.api.auth import SIGNED_IN, api_auth

PERMISSION_KEY = "x-permission"

__all__ = ["PERMISSION_KEY", "SIGNED_IN", "operation"]


def operation(
    router_method: Callable[..., Callable[[Callable[..., Any]], Any]],
    path: str,
    *,
    permission: str,
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation and its permission in one place: ``@operation(router.get, "/x", permission=...)``."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        handler.required_permission = permission  # type: ignore[attr-defined]
        router_method(path, auth=api_auth(permission), openapi_extra={PERMISSION_KEY: permission}, **options)(
            handler
        )
        return handler

    return decorate
