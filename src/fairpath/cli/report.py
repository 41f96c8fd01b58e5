"""``fairpath report NAME --from --to --format xlsx|pdf|csv`` and ``fairpath report rebuild --from --to``.

NAME is a KPI code (``fairpath report ARREARS_ACCOUNTS``), ``ROLL_MATRIX``, ``ALL`` (every KPI, one sheet
each, Excel only) or ``MI_PACK`` (the monthly pack, PDF). ``rebuild`` rebuilds the daily snapshots for every
day of the range. Scheduled jobs run these; the output goes to --output (default: the current folder).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from fairpath.cli.bootstrap import console, fail, ready


def _day(text: str | None, option: str) -> date:
    if not text:
        fail(f"{option} is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date (YYYY-MM-DD)")


def report_command(
    name: str = typer.Argument(..., help="KPI code, ROLL_MATRIX, ALL, MI_PACK, or 'rebuild'"),
    date_from: str = typer.Option(None, "--from", help="First day, YYYY-MM-DD"),
    date_to: str = typer.Option(None, "--to", help="Last day, YYYY-MM-DD"),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx, csv or pdf"),
    client: str = typer.Option(None, "--client", help="Client code (default: every client)"),
    output: Path = typer.Option(None, "--output", help="File or folder to write (default: current folder)"),
) -> None:
    """Write an MI report for a date range, or rebuild the daily snapshots (``report rebuild``)."""
    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    if last < first:
        fail(f"The date range is empty: {first} is after {last}")
    ready()
    from fairpath.clients.models import Client
    from fairpath.core.errors import InvalidInput

    client_ids: list[int] | None = None
    if client:
        found = Client.objects.filter(code=client).values_list("id", flat=True).first()
        if found is None:
            fail(f"No client with code {client!r}")
        client_ids = [found]
    if name.lower() == "rebuild":
        _rebuild(first, last, client_ids)
        return
    try:
        path = write_report(name, first, last, fmt, client_ids, output)
    except InvalidInput as invalid:
        fail(invalid.message)
    console.print(f"Wrote {path}")


def _rebuild(first: date, last: date, client_ids: list[int] | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fairpath.insight.snapshots import rebuild

    days = (last - first).days + 1
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("Building MI snapshots", total=days)
        summaries = rebuild(first, last, client_ids, on_day=lambda _day: bar.advance(task))
    rows = sum(summary.rows for summary in summaries)
    seconds = sum(summary.seconds for summary in summaries)
    console.print(f"Rebuilt {days} day(s) from {first} to {last}: {rows:,} KPI rows in {seconds:.1f} s.")


def write_report(
    name: str, first: date, last: date, fmt: str, client_ids: list[int] | None, output: Path | None
) -> Path:
    """Write the report file and return its path (raises InvalidInput with a clear message on bad input)."""
    from fairpath.clients.models import Client
    from fairpath.core.errors import InvalidInput
    from fairpath.insight import exports, selectors
    from fairpath.insight.catalogue import KPIS, get

    if fmt not in ("xlsx", "csv", "pdf"):
        raise InvalidInput("--format is xlsx, csv or pdf", field="format")
    if name.upper() not in ("MI_PACK", "ALL", exports.ROLL_MATRIX):
        get(name)  # an unknown KPI is refused with the list of known codes
    ids = tuple(client_ids if client_ids is not None else Client.objects.values_list("id", flat=True))
    data_first, data_last = selectors.snapshot_range(ids)
    if data_first is None or data_last is None:
        raise InvalidInput("There are no MI snapshots yet: run `fairpath report rebuild --from --to` first")
    if last < data_first or first > data_last:
        raise InvalidInput(
            f"No snapshots between {first} and {last}: the data runs from {data_first} to {data_last}"
        )
    filters = selectors.Filters(ids, "", first, last, ids[0] if client_ids else None)
    upper = name.upper()
    suffix = fmt
    if upper == "MI_PACK":
        if fmt != "pdf":
            raise InvalidInput("MI_PACK is a PDF: use --format pdf")
        if exports.pdf_available():
            content: bytes = exports.mi_pack_pdf(filters)
        else:
            content, suffix = exports.mi_pack_html(filters).encode(), "html"
    elif fmt == "pdf":
        raise InvalidInput("Only MI_PACK is a PDF; tables are xlsx or csv")
    elif upper == "ALL":
        if fmt != "xlsx":
            raise InvalidInput("ALL writes one sheet per KPI: use --format xlsx")
        tables = [exports.table_for(kpi.code, filters) for kpi in KPIS]
        content = exports.to_xlsx([*tables, exports.table_for(exports.ROLL_MATRIX, filters)])
    else:
        table = exports.table_for(name, filters)
        content = exports.to_csv(table).encode() if fmt == "csv" else exports.to_xlsx([table])
    file_name = f"{upper.lower()}_{first}_{last}.{suffix}"
    path = output if output is not None and not output.is_dir() else (output or Path.cwd()) / file_name
    path.write_bytes(content)
    return path
