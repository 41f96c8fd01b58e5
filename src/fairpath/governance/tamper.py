"""Lifting the database's append-only guard, for the tamper-detection tests and incident drills only."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_guard = importlib.import_module("fairpath.governance.migrations.0002_audit_append_only")


def _run(postgresql: str, sqlite: list[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(postgresql)
        else:
            for statement in sqlite:
                cursor.execute(statement)


@contextmanager
def append_only_guard_lifted() -> Iterator[None]:
    """Drop the triggers for the duration of the block and put them back (proves verify finds tampering)."""
    _run(_guard.DROP, _guard.SQLITE_DROP)
    try:
        yield
    finally:
        _run(_guard.CREATE, _guard.SQLITE_CREATE)
