"""Give every web request a correlation id (taken from X-Request-ID when a proxy sets one)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from fairpath.core.context import reset_correlation_id, set_correlation_id


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_correlation_id(request.headers.get("X-Request-ID"))
        try:
            response = self.get_response(request)
        finally:
            reset_correlation_id(token)
        return response
