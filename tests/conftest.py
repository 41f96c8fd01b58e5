"""Shared fixtures: two client lenders, people of each role, and API calls with their tokens."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from django.test import Client as HttpClient
from hypothesis import settings as hypothesis_settings

from tests.factories import make_client, make_token, make_user

os.environ.setdefault("FAIRPATH_FAST_PASSWORDS", "1")

# The same examples on every run: a property failure shows up on the change that caused it, not at random
# in someone else's CI run; no deadline, since a loaded 2-core machine is not a slow algorithm.
hypothesis_settings.register_profile("fairpath", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.load_profile("fairpath")

pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture
def client_a(db):
    return make_client("lender-a", "Lender A")


@pytest.fixture
def client_b(db):
    return make_client("lender-b", "Lender B")


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def web_as():
    """A signed-in Django test client for ``user``."""

    def signed_in(user) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http

    return signed_in


class Api:
    """Calls /api/v1 with a bearer token and returns (status, decoded body)."""

    def __init__(self, secret: str) -> None:
        self.http = HttpClient()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def call(self, method: str, path: str, body: Any = None, raw: str | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = dict(self.headers)
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        response = getattr(self.http, method.lower())(f"/api/v1{path}", **kwargs)
        content = response.content.decode() if response.content else ""
        return response.status_code, (
            json.loads(content) if content.strip().startswith(("{", "[")) else content
        )

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None, raw: str | None = None) -> tuple[int, Any]:
        return self.call("POST", path, body, raw)

    def patch(self, path: str, body: Any = None, raw: str | None = None) -> tuple[int, Any]:
        return self.call("PATCH", path, body, raw)


@pytest.fixture
def api_as():
    """An API caller with a fresh token for ``user`` (optionally scoped to some clients)."""

    def caller(user, *clients) -> Api:
        return Api(make_token(user, *clients).secret)

    return caller
