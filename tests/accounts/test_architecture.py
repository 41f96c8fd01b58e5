"""The layering rules for the accounts domain, written where a test can hold them."""

from __future__ import annotations

import ast
from pathlib import Path

ACCOUNTS = Path(__file__).resolve().parents[2] / "src" / "fairpath" / "accounts"


def calls_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_views_and_api_change_nothing_themselves():
    for name in ("views.py", "api.py", "selectors.py"):
        forbidden = calls_in(ACCOUNTS / name) & {
            "save",
            "delete",
            "update",
            "create",
            "bulk_create",
            "bulk_update",
        }
        assert not forbidden, f"{name} calls {forbidden}: changes belong in actions.py"


def test_rules_are_pure():
    tree = ast.parse((ACCOUNTS / "rules.py").read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not any(module.startswith(("django", "fairpath.accounts.models")) for module in imported), imported
