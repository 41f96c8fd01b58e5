"""One error body for every failure: ``{"error": {"code", "message", "rule"?, "field"?}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from fairpath.api.auth import TokenProblem
from fairpath.core.errors import Refusal


def error_body(
    code: str, message: str, *, rule: str | None = None, field: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if rule:
        error["rule"] = rule
    if field:
        error["field"] = field
    return {"error": error}


def _field_of(location: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
    return ".".join(parts)


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        field = _field_of(first.get("loc", ()))
        message = first.get("msg", "The request is not valid")
        if first.get("type") == "json_invalid" or "JSON" in message:
            return respond(request, 400, error_body("malformed_json", "The request body is not valid JSON"))
        return respond(
            request,
            422,
            error_body("invalid", f"{field}: {message}" if field else message, field=field or None),
        )

    @api.exception_handler(TokenProblem)
    def bad_token(request: HttpRequest, exc: TokenProblem) -> HttpResponse:
        return respond(request, 401, error_body("unauthenticated", str(exc)))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(
            request,
            401,
            error_body("unauthenticated", "Sign in or send a valid API token (Authorization: Bearer …)"),
        )

    @api.exception_handler(Refusal)
    def refused(request: HttpRequest, exc: Refusal) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.code, exc.message, rule=exc.rule, field=exc.field))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, error_body("forbidden", str(exc) or "You may not do this"))

    @api.exception_handler(Http404)
    def missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", str(exc) or "Not found"))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and "parse request body" in str(exc):
            return respond(request, 400, error_body("malformed_json", "The request body is not valid JSON"))
        return respond(request, exc.status_code, error_body("http_error", str(exc)))
