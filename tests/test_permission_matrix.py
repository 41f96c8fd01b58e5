"""Every page and every API operation checks a permission and the client scope.

The test walks the URL map and the OpenAPI schema, so a new view or endpoint without a declared
permission fails here; each role is tried against each, and so is a user of another client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from fairpath.api.permissions import PERMISSION_KEY
from fairpath.api.root import api
from fairpath.governance.actions import act_within_authority
from fairpath.governance.authority import approval_handler
from fairpath.governance.roles import STANDARD_ROLES
from fairpath.web.permissions import SIGNED_IN
from tests.factories import make_token, make_user

PUBLIC_URL_NAMES = {"login", "logout"}
ROLES = [code for code, *_ in STANDARD_ROLES]


@approval_handler("test.matrix")
def _matrix_handler(payload, *, actor, approval):
    return None


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin", "api") or str(entry.pattern).startswith("api/"):
                continue
            child_namespace = (
                f"{namespace}:{entry.namespace}"
                if entry.namespace and namespace
                else (entry.namespace or namespace)
            )
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), child_namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespace


def _permission_of(callback: Callable[..., Any]) -> str | None:
    view_class = getattr(callback, "view_class", None)
    return getattr(callback, "required_permission", None) or getattr(view_class, "required_permission", None)


def _web_routes():
    return [
        (route, pattern, namespace)
        for route, pattern, namespace in _walk(get_resolver().url_patterns)
        if pattern.name not in PUBLIC_URL_NAMES and "static" not in route
    ]


class World:
    """Objects of client A that every kwarg can point at."""

    def __init__(self, client_a, client_b) -> None:
        self.client_a, self.client_b = client_a, client_b
        requester = make_user("agent", client_a)
        self.approval = act_within_authority(
            actor=requester,
            client=client_a,
            action="test.matrix",
            kind="fee_waiver",
            value=999_999,
            currency="GBP",
            payload={},
            summary="matrix",
        ).approval
        self.person = requester
        self.samples: dict[str, Callable[[], Any]] = {
            "code": lambda: client_a.code,
            "approval_id": lambda: self.approval.pk,
            "user_id": lambda: self.person.pk,
            "object_type": lambda: "clients.client",
            "object_id": lambda: client_a.pk,
        }
        self.samples.update(extra_samples(client_a))

    def fill(self, route: str, names: list[str]) -> str:
        path = "/" + route
        for name in names:
            if name not in self.samples:
                pytest.fail(
                    f"add a sample value for URL argument {name!r} to tests/test_permission_matrix.py"
                )
            value = str(self.samples[name]())
            for converter in ("int", "str", "slug", "uuid", "path", ""):
                token = f"<{converter}:{name}>" if converter else f"<{name}>"
                path = path.replace(token, value)
            path = path.replace("{" + name + "}", value)
        return path.replace("^", "").replace("$", "")


def extra_samples(client_a) -> dict[str, Callable[[], Any]]:
    """Sample objects of later domains (each domain's factory adds its own)."""
    try:
        from tests.factories.accounts import permission_matrix_samples
    except ImportError:
        return {}
    samples = permission_matrix_samples(client_a)
    from tests.factories.work import permission_matrix_samples as work_samples

    samples.update(work_samples(client_a))
    from tests.factories.cases import permission_matrix_samples as cases_samples

    samples.update(cases_samples(client_a))
    from tests.factories.communications import permission_matrix_samples as communications_samples

    samples.update(communications_samples(client_a))
    from tests.factories.payments import permission_matrix_samples as payments_samples

    samples.update(payments_samples(client_a))
    from tests.factories.collections import permission_matrix_samples as collections_samples

    samples.update(collections_samples(client_a))
    from tests.factories.insight import permission_matrix_samples as insight_samples

    samples.update(insight_samples(client_a))
    return samples


@pytest.fixture
def world(client_a, client_b):
    return World(client_a, client_b)


def _names(pattern: URLPattern) -> list[str]:
    return list(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else []


def test_every_page_declares_a_permission():
    missing = [route for route, pattern, _ in _web_routes() if _permission_of(pattern.callback) is None]
    assert missing == [], f"pages without @requires(...): {missing}"


def test_every_api_operation_declares_a_permission():
    schema = api.get_openapi_schema()
    missing = [
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if PERMISSION_KEY not in operation
    ]
    assert missing == [], f"API operations without a permission: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_pages_its_permissions_allow(role, world, web_as):
    user = make_user(role, world.client_a)
    http = web_as(user)
    for route, pattern, _ in _web_routes():
        permission = _permission_of(pattern.callback)
        path = world.fill(route, _names(pattern))
        response = http.get(path)
        if response.status_code == 405:
            response = http.post(path, {})
        allowed = permission == SIGNED_IN or user.has_perm(permission)
        if allowed:
            assert response.status_code not in (403, 500), f"{role} refused or crashed at {path}"
        else:
            assert response.status_code == 403, f"{role} reached {path} without {permission}"


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    for route, pattern, _ in _web_routes():
        path = world.fill(route, _names(pattern))
        response = client.get(path)
        if response.status_code == 405:
            response = client.post(path, {})
        assert response.status_code in (302, 403), path
        if response.status_code == 302:
            assert response.url.startswith("/login/"), path


@pytest.mark.parametrize("role", ["administrator", "head_of_operations", "team_leader"])
def test_a_user_of_another_client_sees_nothing_of_client_a(role, world, web_as):
    outsider = make_user(role, world.client_b)
    http = web_as(outsider)
    for route, pattern, _ in _web_routes():
        names = _names(pattern)
        if not (set(names) - {"object_type", "object_id"}):
            continue
        path = world.fill(route, names)
        response = http.get(path)
        if response.status_code == 405:
            response = http.post(path, {})
        assert response.status_code in (403, 404), f"{role} of client B got {response.status_code} at {path}"


def _sample_value(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value that satisfies ``spec`` (enums, $refs, anyOf, minimum, date formats), for valid sample bodies."""
    if "$ref" in spec:
        return _sample_value(schema, schema["components"]["schemas"][spec["$ref"].rsplit("/", 1)[-1]])
    if "anyOf" in spec:
        options = [option for option in spec["anyOf"] if option.get("type") != "null"]
        return _sample_value(schema, options[0]) if options else None
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type", "string")
    if kind == "object":
        return {name: _sample_value(schema, spec["properties"][name]) for name in spec.get("required", [])}
    if kind in ("integer", "number"):
        return max(1, spec.get("minimum", 1), spec.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return {"date": "2024-01-31", "date-time": "2024-01-31T12:00:00Z", "email": "matrix@example.com"}.get(
        spec.get("format", ""), "matrix"
    )


def _sample_body(schema: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    """A body that passes validation, so the permission and scope checks are what answer."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    return _sample_value(schema, content["schema"])


def _api_operations():
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            names = [
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "path"
            ]
            yield method, path, names, operation[PERMISSION_KEY], _sample_body(schema, operation)


def _call(http, method: str, path: str, secret: str | None, body: dict[str, Any] | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    if body is None and method in ("post", "patch", "put"):
        body = {}
    if body is None:
        return getattr(http, method)(path, **headers)
    return getattr(http, method)(path, data=body, content_type="application/json", **headers)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_api_operations_its_permissions_allow(role, world, client):
    user = make_user(role, world.client_a)
    secret = make_token(user).secret
    for method, route, names, permission, body in _api_operations():
        path = "/api/v1" + world.fill(route.removeprefix("/api/v1").lstrip("/"), names)
        response = _call(client, method, path, secret, body)
        allowed = permission == SIGNED_IN or user.has_perm(permission)
        if allowed:
            assert response.status_code not in (401, 403, 500), (
                f"{role}: {method} {path} -> {response.status_code}"
            )
        else:
            assert response.status_code == 403, f"{role} reached {method} {path} without {permission}"
            assert response.json()["error"]["code"] == "forbidden"


def test_the_api_refuses_callers_without_credentials(world, client):
    for method, route, names, _, body in _api_operations():
        path = "/api/v1" + world.fill(route.removeprefix("/api/v1").lstrip("/"), names)
        response = _call(client, method, path, None, body)
        assert response.status_code == 401, (
            f"{method} {path} answered {response.status_code} without credentials"
        )


def test_an_api_user_of_another_client_gets_not_found(world, client):
    outsider = make_user("head_of_operations", world.client_b)
    secret = make_token(outsider).secret
    for method, route, names, _, body in _api_operations():
        if not names:
            continue
        path = "/api/v1" + world.fill(route.removeprefix("/api/v1").lstrip("/"), names)
        response = _call(client, method, path, secret, body)
        assert response.status_code in (403, 404), f"client B user: {method} {path} -> {response.status_code}"
