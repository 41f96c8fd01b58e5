"""``fairpath`` — every sub-command has ``--help``; long work shows a progress bar."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from fairpath.cli.bootstrap import console, fail, ready
from fairpath.cli.cases import cases_app
from fairpath.cli.collections import cycle, strategy_app
from fairpath.cli.generate import generate
from fairpath.cli.messages import messages_app
from fairpath.cli.payments import import_payments_command, statements_command
from fairpath.cli.report import report_command
from fairpath.cli.work import work_app

app = typer.Typer(
    help="Fairpath: collections and back-office operations. The database comes from FAIRPATH_DATABASE_URL "
    "(sqlite:///path or postgresql://user@host:port/name); unset means an SQLite file in FAIRPATH_DATA_DIR "
    "(default ~/.local/share/fairpath).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.command("generate")(generate)
app.command("statements")(statements_command)
app.command("cycle")(cycle)
app.add_typer(strategy_app, name="strategy")
app.command("import-payments")(import_payments_command)
app.command("report")(report_command)
app.add_typer(cases_app, name="cases")
app.add_typer(work_app, name="work")
app.add_typer(messages_app, name="messages")

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


def _migrate(verbose: bool = False) -> None:
    from django.core.management import call_command
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        bar.add_task("Applying database migrations", total=None)
        call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


@app.command()
def migrate(verbose: bool = typer.Option(False, "--verbose", help="List each migration applied")) -> None:
    """Create or update the database tables."""
    ready()
    _migrate(verbose)
    console.print("Database is up to date.")


@app.command()
def serve(
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    threads: int = typer.Option(8, "--threads", help="Worker threads"),
) -> None:
    """Run the web app (waitress, static files served by WhiteNoise)."""
    ready()
    from waitress import serve as waitress_serve

    from fairpath.wsgi import application

    console.print(f"Fairpath is at http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="fairpath")


@app.command()
def createuser(
    name: str = typer.Argument(..., help="Username"),
    role: str = typer.Option(
        ...,
        "--role",
        help="Role code: agent, back_office_executive, team_leader, "
        "operations_manager, head_of_operations, compliance_officer, administrator",
    ),
    client: list[str] = typer.Option([], "--client", help="Client code (repeat for several)"),
    all_clients: bool = typer.Option(False, "--all-clients", help="Grant every client, present and future"),
    password: str = typer.Option(
        None, "--password", help="Password (asked for when not given, unless --token)"
    ),
    token: bool = typer.Option(False, "--token", help="Also issue an API token and print it (shown once)"),
    token_days: int = typer.Option(365, "--token-days", help="Days until the token expires"),
) -> None:
    """Create a user with a role and clients; with --token print an API token for scripts."""
    ready()
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from fairpath.core.errors import Refusal
    from fairpath.governance.actions import create_api_token, create_user
    from fairpath.governance.audit import SystemActor

    actor = SystemActor("cli")
    if password is None:
        password = (
            secrets.token_urlsafe(12)
            if token
            else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        )
    try:
        user = create_user(
            username=name,
            role_code=role,
            password=password,
            client_codes=client,
            all_clients=all_clients,
            actor=actor,
        )
    except Refusal as refusal:
        fail(f"{refusal.field}: {refusal.message}" if refusal.field else refusal.message)
    console.print(f"Created {user.username} ({user.role.name if user.role else role}).")
    if token:
        issued = create_api_token(
            user=user, name=f"{name}-cli", actor=actor, expires_at=timezone.now() + timedelta(days=token_days)
        )
        console.print(issued.secret, soft_wrap=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk every audit chain; exit 1 naming the first altered, missing or unlinked event."""
    ready()
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from fairpath.governance.audit import verify_all

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        bar.add_task("Verifying the audit chains", total=None)
        result = verify_all()
    if result.first_break is not None:
        fail(f"audit chain broken at {result.first_break}", code=1)
    console.print(f"Audit trail intact: {result.events:,} events in {result.chains} chains.")


@app.command()
def bench(
    name: str = typer.Argument(..., help="Benchmark name: a file benchmarks/bench_NAME.py"),
    accounts: int = typer.Option(None, "--accounts", help="Portfolio size, for benchmarks that take one"),
) -> None:
    """Run one benchmark and print its JSON lines ({"bench", "n", "seconds", "rate", ...})."""
    script = BENCHMARKS / f"bench_{name}.py"
    if not script.exists():
        known = sorted(path.stem.removeprefix("bench_") for path in BENCHMARKS.glob("bench_*.py"))
        fail(f"no benchmark {name!r}; known: {', '.join(known) or 'none'}")
    command = [sys.executable, str(script)] + ([f"--accounts={accounts}"] if accounts else [])
    raise SystemExit(subprocess.call(command))


@app.command()
def demo(
    port: int = typer.Option(8000, "--port", help="Port for the web app"),
    no_serve: bool = typer.Option(False, "--no-serve", help="Set up the demo data and stop (for scripts)"),
) -> None:
    """Set up the embedded demo (database, demo users for every role, data) and run the web app."""
    ready()
    _migrate()
    from fairpath.demo.setup import set_up_demo

    credentials = set_up_demo(progress_console=console)
    console.print("\n[bold]Demo users[/] (username / password / role):")
    for username, password, role_name in credentials:
        console.print(f"  {username:<12} {password:<26} {role_name}")
    if no_serve:
        return
    serve(port=port, host="127.0.0.1", threads=8)


def main() -> None:
    app()


if __name__ == "__main__":
    main()


__all__ = ["app", "main"]
