"""Layering rules of the communications domain, and every page against every role's permissions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import get_resolver

from fairpath.governance.roles import STANDARD_ROLES
from fairpath.web.permissions import SIGNED_IN
from tests.factories import make_user
from tests.factories.communications import permission_matrix_samples

COMMUNICATIONS = Path(__file__).resolve().parents[2] / "src" / "fairpath" / "communications"


def calls_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_views_api_and_selectors_change_nothing_themselves():
    for name in ("views.py", "api.py", "selectors.py"):
        forbidden = calls_in(COMMUNICATIONS / name) & {
            "save",
            "delete",
            "update",
            "create",
            "bulk_create",
            "bulk_update",
        }
        assert not forbidden, f"{name} calls {forbidden}: changes belong in actions.py"


def test_rules_are_pure():
    tree = ast.parse((COMMUNICATIONS / "rules.py").read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not any(module.startswith(("django", "fairpath")) for module in imported), imported


def _pages():
    for included in get_resolver().url_patterns:
        if getattr(included, "namespace", None) == "communications":
            for pattern in included.url_patterns:
                yield str(included.pattern) + str(pattern.pattern), pattern


ROLES = [code for code, *_ in STANDARD_ROLES]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_pages_its_permissions_allow(role, client_a, client_b, web_as):
    samples = permission_matrix_samples(client_a)
    assert len(list(_pages())) == 8
    for allowed_client, expected_other in ((client_a, None), (client_b, (403, 404))):
        user = make_user(role, allowed_client)
        http = web_as(user)
        for route, pattern in _pages():
            path = "/" + route
            for name in pattern.pattern.converters:
                path = path.replace(f"<int:{name}>", str(samples[name]()))
            response = http.get(path)
            if response.status_code == 405:
                response = http.post(path, {})
            permission = pattern.callback.required_permission
            allowed = permission == SIGNED_IN or user.has_perm(permission)
            if not allowed:
                assert response.status_code == 403, f"{role} reached {path}"
            elif expected_other and pattern.pattern.converters:
                assert response.status_code in expected_other, (
                    f"{role} of client B got {response.status_code} at {path}"
                )
            else:
                assert response.status_code not in (403, 500), f"{role} refused or crashed at {path}"
