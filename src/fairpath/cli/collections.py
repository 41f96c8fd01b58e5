"""``fairpath cycle`` and ``fairpath strategy ...`` (wired into the app in cli/main.py).

``cycle`` is a function to register with ``app.command()(cycle)``; ``strategy_app`` is a Typer sub-app to
add with ``app.add_typer(strategy_app, name="strategy")``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from fairpath.cli.bootstrap import console, fail, ready

strategy_app = typer.Typer(
    help="Collections strategies: import, export, list and dry-run.", no_args_is_help=True
)


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date (YYYY-MM-DD)")


def _client(code: str | None):  # noqa: ANN202 - a clients.Client or None
    if code is None:
        return None
    from fairpath.clients.models import Client

    found = Client.objects.filter(code=code).first()
    if found is None:
        fail(f"no client {code!r}")
    return found


def cycle(
    run_date: str = typer.Option(None, "--date", help="The day to run, YYYY-MM-DD (default: today)"),
    first: str = typer.Option(None, "--from", help="Catch up from this day (with --to)"),
    last: str = typer.Option(None, "--to", help="Catch up to this day (with --from)"),
    client: str = typer.Option(None, "--client", help="One client's code (default: every client)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary line per day"),
    rerun: bool = typer.Option(False, "--rerun", help="Allow a day before the last completed run"),
    workers: int = typer.Option(
        0,
        "--workers",
        min=0,
        help="Processes running shards (default: FAIRPATH_CYCLE_WORKERS, else one per core on PostgreSQL)",
    ),
) -> None:
    """Run the daily collections cycle: post, age, detect broken promises, notices, segments, actions."""
    day = _date(run_date, "--date")
    start, end = _date(first, "--from"), _date(last, "--to")
    if (start is None) != (end is None):
        fail("--from and --to go together")
    if day is not None and start is not None:
        fail("give --date or --from/--to, not both")
    ready()
    from django.utils import timezone

    from fairpath.collections import cycle as engine
    from fairpath.core.errors import Refusal

    chosen = _client(client)
    days = []
    if start is not None and end is not None:
        if end < start:
            fail("--to is before --from")
        days = [date.fromordinal(ordinal) for ordinal in range(start.toordinal(), end.toordinal() + 1)]
    else:
        days = [day or timezone.localdate()]
    for one_day in days:
        try:
            summary = engine.run_cycle(
                run_date=one_day, client=chosen, rerun=rerun, workers=workers or engine.default_workers()
            )
        except Refusal as refusal:
            fail(str(refusal))
        if as_json:
            print(json.dumps(summary.as_dict()))
        else:
            suppressed = (
                ", ".join(f"{rule} {count}" for rule, count in sorted(summary.suppressed.items())) or "none"
            )
            console.print(
                f"{one_day}: {summary.accounts:,} accounts, {summary.state_changes:,} state changes, "
                f"{summary.postings:,} postings, {summary.notices:,} notices, "
                f"{summary.actions_scheduled:,} actions scheduled, suppressed: {suppressed} "
                f"({summary.seconds:.1f} s)"
            )


@strategy_app.command("import")
def import_strategy(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A YAML or JSON strategy file"),
    client: str = typer.Option(None, "--client", help="The client it belongs to (default: shared)"),
    note: str = typer.Option("", "--note", help="What changed in this version"),
) -> None:
    """Validate a strategy file and store it as the strategy's next version (refused with the line named)."""
    ready()
    from fairpath.collections.strategies import import_strategy as do_import
    from fairpath.core.errors import Refusal
    from fairpath.governance.audit import SystemActor

    text = file.read_text()
    try:
        result = do_import(
            text=text,
            actor=SystemActor("cli"),
            source_format="json" if file.suffix.lower() == ".json" else "yaml",
            client=_client(client),
            note=note,
        )
    except Refusal as refusal:
        fail(f"{file}: {refusal.message}")
    console.print(f"Strategy {result.strategy.code} version {result.version.number} stored.")


@strategy_app.command("export")
def export_strategy(
    code: str = typer.Argument(..., help="Strategy code"),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of YAML"),
) -> None:
    """Print the newest version of a strategy."""
    ready()
    from fairpath.collections.models import Strategy
    from fairpath.collections.strategies import export_strategy as do_export

    strategy = Strategy.objects.filter(code=code).first()
    version = strategy.current_version() if strategy else None
    if version is None:
        fail(f"no strategy {code!r}")
    print(do_export(version, source_format="json" if as_json else "yaml"), end="")


@strategy_app.command("list")
def list_strategies() -> None:
    """Strategies with their newest version."""
    ready()
    from fairpath.collections.models import Strategy

    for strategy in Strategy.objects.all():
        version = strategy.current_version()
        console.print(
            f"{strategy.code}\tv{version.number if version else 0}\t"
            f"{'active' if strategy.is_active else 'inactive'}\t{strategy.name}"
        )


@strategy_app.command("simulate")
def simulate(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A YAML or JSON strategy file"),
    run_date: str = typer.Option(None, "--date", help="The day to simulate, YYYY-MM-DD (default: today)"),
    client: str = typer.Option(None, "--client", help="One client's code (default: every client)"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
) -> None:
    """Dry run: how many accounts would enter each segment and path on a day. Changes nothing."""
    day = _date(run_date, "--date")
    ready()
    from django.utils import timezone

    from fairpath.collections import cycle as engine
    from fairpath.collections.strategies import parse
    from fairpath.core.errors import Refusal

    try:
        document = parse(file.read_text())
    except Refusal as refusal:
        fail(f"{file}: {refusal.message}")
    result = engine.simulate(document=document, run_date=day or timezone.localdate(), client=_client(client))
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    console.print(f"{result.accounts:,} accounts on {result.run_date}; {result.unassigned:,} in no segment")
    for row in result.as_dict()["paths"]:
        console.print(f"  {row['segment']:<20} {row['path']:<20} {row['accounts']:>10,}")
