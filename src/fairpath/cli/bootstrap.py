"""Start Django for a command, or say in one line why it cannot (bad URL, unreachable server)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

from rich.console import Console

console = Console(stderr=False, highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}")
    raise SystemExit(code)


def ready(*, check_connection: bool = True) -> None:
    """Configure Django from the environment; create the SQLite folder; test the database connection."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairpath.settings")
    import django
    from django.conf import settings

    if settings.DATABASE_URL_ERROR:
        fail(settings.DATABASE_URL_ERROR)
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and database["NAME"] != ":memory:":
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    django.setup()
    if check_connection:
        from django.db import connection
        from django.db.utils import OperationalError

        try:
            connection.ensure_connection()
        except OperationalError as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            fail(f"cannot reach the database at {_safe_url(settings.DATABASE_URL)}: {first_line}")


def _safe_url(url: str) -> str:
    """The URL without its password, fit to print."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def is_interactive() -> bool:
    return sys.stdout.isatty()
