"""The `fairpath` command, run as users run it: a real process against a throw-away SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FAIRPATH = [sys.executable, "-m", "fairpath.cli.main"]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FAIRPATH, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = dict(os.environ)
    values.pop("DJANGO_SETTINGS_MODULE", None)
    values.update(
        FAIRPATH_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        FAIRPATH_DATA_DIR=str(tmp_path),
        FAIRPATH_FAST_PASSWORDS="1",
        COLUMNS="200",
        FAIRPATH_DEMO_ACCOUNTS="40",
    )
    return values


def test_every_sub_command_has_help():
    """In-process (help never touches the database), so every command can be listed cheaply."""
    from typer.main import get_command
    from typer.testing import CliRunner

    from fairpath.cli.main import app

    runner = CliRunner()
    top = runner.invoke(app, ["--help"], terminal_width=200)
    assert top.exit_code == 0
    root = get_command(app)
    paths: list[list[str]] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        children = getattr(command, "commands", None)
        paths.extend([[name, child] for child in children] if children else [[name]])
    expected = {
        "demo",
        "serve",
        "migrate",
        "createuser",
        "bench",
        "generate",
        "statements",
        "cycle",
        "import-payments",
        "report",
        "audit",
        "strategy",
        "cases",
        "work",
    }
    assert expected <= set(root.commands)  # type: ignore[attr-defined]
    for path in paths:
        shown = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert shown.exit_code == 0 and "Usage" in shown.output, path


def test_a_bad_database_url_is_one_clear_line(env):
    env["FAIRPATH_DATABASE_URL"] = "mysql://root@localhost/fairpath"
    result = run("migrate", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not understood" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_server_is_one_clear_line(env):
    env["FAIRPATH_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/fairpath"
    result = run("migrate", env=env)
    assert result.returncode == 2
    assert "cannot reach the database" in result.stderr and "Traceback" not in result.stderr


def test_createuser_with_token_gives_a_working_api_token_and_audit_verify_passes(env):
    assert run("demo", "--no-serve", env=env).returncode == 0
    created = run("createuser", "robot", "--role", "agent", "--client", "northwind", "--token", env=env)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("fp_")
    verified = run("audit", "verify", env=env)
    assert verified.returncode == 0 and "intact" in verified.stdout
    refused = run("createuser", "robot2", "--role", "wizard", "--password", "long-enough-pass-1", env=env)
    assert refused.returncode == 2 and "no role 'wizard'" in refused.stderr


def test_audit_verify_fails_naming_the_broken_event(env):
    assert run("demo", "--no-serve", env=env).returncode == 0
    database = env["FAIRPATH_DATABASE_URL"].removeprefix("sqlite:///")
    import sqlite3

    with sqlite3.connect(database) as connection:
        connection.execute("DROP TRIGGER governance_auditevent_no_update")
        event_id = connection.execute(
            "SELECT id FROM governance_auditevent ORDER BY id LIMIT 1 OFFSET 2"
        ).fetchone()[0]
        connection.execute("UPDATE governance_auditevent SET reason = 'forged' WHERE id = ?", (event_id,))
    result = run("audit", "verify", env=env)
    assert result.returncode == 1
    assert f"event id {event_id}" in result.stderr and "altered" in result.stderr


def test_bench_names_unknown_benchmarks(env):
    result = run("bench", "no-such-thing", env=env)
    assert result.returncode == 2 and "no benchmark 'no-such-thing'" in result.stderr
