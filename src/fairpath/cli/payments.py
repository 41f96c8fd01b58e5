"""``fairpath import-payments`` and the statement writer behind ``fairpath generate --statements``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fairpath.cli.bootstrap import console, fail, ready

FORMAT_HELP = "camt053, camt054, bai2, mt940, csv or arudd (detected when not given; CSV needs --mapping)"


def _client(code: str | None):  # noqa: ANN202 - a Client
    from fairpath.clients.models import Client

    if code:
        found = Client.objects.filter(code=code).first()
        if found is None:
            fail(f"there is no client {code!r}")
        return found
    clients = list(Client.objects.all()[:2])
    if len(clients) != 1:
        fail("say which client the file is for with --client CODE")
    return clients[0]


def import_payments_command(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="The statement or report"
    ),
    format: str = typer.Option(None, "--format", help=FORMAT_HELP),  # noqa: A002 - the option's name
    mapping: str = typer.Option(None, "--mapping", help="Saved CSV column mapping name"),
    client: str = typer.Option(None, "--client", help="Client code (needed when there are several clients)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary line"),
) -> None:
    """Import a payment file: match, post what is sure, queue the rest; nothing is posted twice."""
    ready()
    from fairpath.core.errors import Refusal
    from fairpath.governance.audit import SystemActor
    from fairpath.payments.actions import import_file

    target = _client(client)
    try:
        summary = import_file(
            client=target, data=file.read_bytes(), name=file.name, actor=SystemActor("cli"), fmt=format,
            mapping=mapping,
        )  # fmt: skip
    except Refusal as refusal:
        fail(f"{file.name} refused, nothing posted: {refusal}")
    if as_json:
        print(json.dumps({
            "file_id": summary.file_id, "format": summary.format, "lines": summary.lines, "posted": summary.posted,
            "suggested": summary.suggested, "suspense": summary.suspense, "returned": summary.returned,
            "ignored": summary.ignored, "skipped": summary.skipped, "already_imported": summary.already_imported,
            "auto_match_rate": summary.auto_match_rate,
        }))  # fmt: skip
        return
    if summary.already_imported:
        console.print(f"{file.name} was already imported (file {summary.file_id}); nothing posted again.")
        return
    rate = f"{summary.auto_match_rate:.1%}" if summary.auto_match_rate is not None else "n/a"
    console.print(
        f"{file.name} ({summary.format}): {summary.lines:,} lines — {summary.posted:,} posted, "
        f"{summary.suggested:,} to confirm, {summary.suspense:,} in suspense, {summary.returned:,} returns applied, "
        f"{summary.ignored:,} not customer payments, {summary.skipped:,} skipped as already imported. "
        f"Auto-matched {rate}."
    )


def write_statements_for(
    directory: Path, *, client_code: str | None, fmt: str, lines: int, seed: int
) -> None:
    """For ``fairpath generate --statements DIR [--statement-format F] [--statement-lines N]``: call after the
    portfolio is generated (Django ready). ``fmt`` may be ``all`` for every format."""
    from fairpath.core.errors import Refusal
    from fairpath.payments.synthetic import write_statements

    target = _client(client_code or "synthetic")
    formats = ["camt053", "camt054", "bai2", "mt940", "csv"] if fmt == "all" else [fmt]
    for name in formats:
        try:
            written = write_statements(directory, client=target, fmt=name, lines=lines, seed=seed)
        except Refusal as refusal:
            fail(str(refusal))
        console.print(
            f"Wrote {written.lines:,} {name} lines to {written.statement} (truth: {written.truth.name})."
        )


def statements_command(
    directory: Path = typer.Argument(..., file_okay=False, help="Folder for the statement and its truth CSV"),
    client: str = typer.Option(None, "--client", help="Client code (default 'synthetic')"),
    statement_format: str = typer.Option("camt053", "--statement-format", help="A format, or 'all'"),
    lines: int = typer.Option(1000, "--lines", min=1, max=1_000_000, help="Lines per statement"),
    seed: int = typer.Option(1, "--seed", help="The same seed writes the same statement"),
) -> None:
    """Write realistic synthetic statements with noise and a ground-truth CSV for an existing portfolio."""
    ready()
    write_statements_for(directory, client_code=client, fmt=statement_format, lines=lines, seed=seed)
