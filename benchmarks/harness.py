"""Shared start-up for benchmarks: a database (FAIRPATH_DATABASE_URL, default a fresh SQLite file), migrated."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def start(description: str, default_accounts: int = 10_000) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--accounts", type=int, default=default_accounts, help="portfolio size / number of items"
    )
    arguments = parser.parse_args()
    if not os.environ.get("FAIRPATH_DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="fairpath-bench-")
        os.environ["FAIRPATH_DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairpath.settings")
    from fairpath.cli.bootstrap import ready

    ready()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return arguments


def emit(bench: str, n: int, seconds: float, **extra: Any) -> None:
    """One JSON line: {"bench", "n", "seconds", "rate", ...}."""
    from django.db import connection

    line = {
        "bench": bench,
        "n": n,
        "seconds": round(seconds, 4),
        "rate": round(n / seconds, 1) if seconds else None,
    }
    line.update(database=connection.vendor, **extra)
    print(json.dumps(line), flush=True)


@contextmanager
def timed() -> Iterator[list[float]]:
    elapsed: list[float] = []
    began = time.perf_counter()
    yield elapsed
    elapsed.append(time.perf_counter() - began)
