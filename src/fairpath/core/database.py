"""Where the database is: ``FAIRPATH_DATABASE_URL`` turned into Django's DATABASES entry.

Only two kinds are supported on purpose: the embedded SQLite file for the demo and
PostgreSQL for production. Anything else is refused with one line that names the problem.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class DatabaseUrlError(ValueError):
    """FAIRPATH_DATABASE_URL cannot be understood."""


def data_folder() -> Path:
    """The folder for the embedded database and generated files (``FAIRPATH_DATA_DIR``, default ``~/.local/share/fairpath``)."""
    configured = os.environ.get("FAIRPATH_DATA_DIR")
    folder = Path(configured) if configured else Path.home() / ".local" / "share" / "fairpath"
    return folder.expanduser()


def default_database_url() -> str:
    return f"sqlite:///{data_folder() / 'fairpath.sqlite3'}"


def database_settings(url: str) -> dict[str, Any]:
    """Translate a database URL into a Django DATABASES entry, or raise DatabaseUrlError."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(url[len("sqlite://") :])
        if path.startswith("/") and len(path) > 1:
            path = path[1:] if path.startswith("//") else path
        if path in ("", "/"):
            raise DatabaseUrlError(f"FAIRPATH_DATABASE_URL {url!r} names no file: use sqlite:///path/to/file")
        name = ":memory:" if path in ("/:memory:", ":memory:") else path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
            "TEST": {"NAME": None},
        }
    if scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise DatabaseUrlError(
                f"FAIRPATH_DATABASE_URL {url!r} names no database: use postgresql://user@host:5432/name"
            )
        try:
            port = parts.port
        except ValueError as error:
            raise DatabaseUrlError(f"FAIRPATH_DATABASE_URL {url!r} has a bad port: {error}") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        # PostgreSQL's JIT compiles any query its planner thinks costly; on the cycle's set-based reads that
        # costs more than it saves (2.8 s of compiling for the 4.2 s arrears aggregate over a 1M book).
        # Off for Fairpath's sessions unless the URL says otherwise (?options=...).
        options.setdefault("options", "-c jit=off")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
        }
    raise DatabaseUrlError(
        f"FAIRPATH_DATABASE_URL {url!r} is not understood: use sqlite:///path or postgresql://user@host:port/name"
    )
