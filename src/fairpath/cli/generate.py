"""``fairpath generate``: a reproducible synthetic portfolio (wired into the app in cli/main.py)."""

from __future__ import annotations

from datetime import date

import typer

from fairpath.cli.bootstrap import console, fail, ready


def generate(
    accounts: int = typer.Option(1000, "--accounts", min=1, help="Number of agreements to make"),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same portfolio"),
    as_of: str = typer.Option(
        None, "--as-of", help="Date the history runs up to, YYYY-MM-DD (default: today)"
    ),
    months: int = typer.Option(18, "--months", min=1, max=120, help="Months of history"),
    client: str = typer.Option(
        None, "--client", help="Client code (created if missing; default 'synthetic')"
    ),
    workers: int = typer.Option(
        None,
        "--workers",
        min=0,
        help="Processes simulating histories (default: one per core from 20k accounts)",
    ),
) -> None:
    """Make a realistic, reproducible portfolio of customers and agreements with their payment history."""
    try:
        as_of_date = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")
    ready()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fairpath.core.errors import Refusal
    from fairpath.demo.generator import generate_portfolio

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("Generating accounts", total=accounts)
        try:
            summary = generate_portfolio(
                accounts=accounts,
                seed=seed,
                as_of=as_of_date,
                months=months,
                client_code=client,
                workers=workers,
                on_progress=lambda done: bar.advance(task, done),
            )
        except Refusal as refusal:
            fail(str(refusal))
    console.print(
        f"Client {summary.client_code}: {summary.customers:,} customers, {summary.agreements:,} agreements, "
        f"{summary.instalments:,} instalments, {summary.ledger_entries:,} ledger entries, "
        f"{summary.allocations:,} allocations in {summary.seconds:.1f} s."
    )
