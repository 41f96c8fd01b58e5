"""Exports: any MI table to Excel (formatted, with a KPI definitions sheet) or CSV, and the monthly MI pack.

Tables come from the snapshot tables only. The MI pack is HTML rendered to PDF with WeasyPrint; where
WeasyPrint cannot load (missing system libraries) ``pdf_available()`` is false and callers offer the
printable HTML instead.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template.loader import render_to_string

from fairpath.insight import selectors
from fairpath.insight.catalogue import KPIS, ROLE_LABELS, Kpi, Unit, get
from fairpath.insight.models import KpiDaily, RollRateMonthly

ROLL_MATRIX = "ROLL_MATRIX"


@dataclass
class Table:
    """A titled table with typed cells, ready for Excel or CSV."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    kpis: list[Kpi]
    number_formats: dict[int, str]


def table_for(name: str, filters: selectors.Filters) -> Table:
    """A KPI's daily figures over the range (per client, product and dimension), or the roll-rate matrix."""
    if name.upper() == ROLL_MATRIX:
        return _roll_table(filters)
    kpi = get(name)
    rows = KpiDaily.objects.filter(
        kpi=kpi.code, client_id__in=filters.client_ids, day__gte=filters.date_from, day__lte=filters.date_to
    )
    if filters.product:
        rows = rows.filter(product=filters.product)
    body = []
    for day, client_code, product, dimension, numerator, denominator in rows.order_by(
        "day", "client__code", "product", "dimension"
    ).values_list("day", "client__code", "product", "dimension", "numerator", "denominator"):
        value = kpi.value(numerator, denominator)
        if kpi.unit == Unit.MONEY:
            shown: Any = numerator / 100
        else:
            shown = value
        body.append([day, client_code, product, dimension, numerator, denominator, shown])
    value_format = {Unit.RATE: "0.0%", Unit.MONEY: "#,##0.00", Unit.PER_THOUSAND: "0.00", Unit.COUNT: "#,##0"}
    return Table(
        kpi.code,
        f"{kpi.name} ({filters.date_from} to {filters.date_to})",
        [
            "Day",
            "Client",
            "Product",
            kpi.dimension.capitalize() or "Dimension",
            "Numerator",
            "Denominator",
            "Value",
        ],
        body,
        [kpi],
        {0: "yyyy-mm-dd", 4: "#,##0", 5: "#,##0", 6: value_format[kpi.unit]},
    )


def _roll_table(filters: selectors.Filters) -> Table:
    cells = RollRateMonthly.objects.filter(
        client_id__in=filters.client_ids, month__gte=filters.date_from, month__lte=filters.date_to
    )
    if filters.product:
        cells = cells.filter(product=filters.product)
    body = [
        list(row)
        for row in cells.order_by("month", "client__code", "product", "from_bucket", "to_bucket").values_list(
            "month", "client__code", "product", "from_bucket", "to_bucket", "accounts", "balance_minor"
        )
    ]
    for row in body:
        row[6] = row[6] / 100
    return Table(
        ROLL_MATRIX,
        f"Roll-rate matrix ({filters.date_from} to {filters.date_to})",
        ["Month end", "Client", "Product", "From bucket", "To bucket", "Accounts", "Balance at month end"],
        body,
        [get("ROLL_FORWARD"), get("CURE_RATE")],
        {0: "yyyy-mm-dd", 5: "#,##0", 6: "#,##0.00"},
    )


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(
            ["" if cell is None else (cell.isoformat() if isinstance(cell, date) else cell) for cell in row]
        )
    return out.getvalue()


def to_xlsx(tables: list[Table]) -> bytes:
    """A workbook with one formatted sheet per table and a 'KPI definitions' sheet with the whole catalogue."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="0F5E63")
    first = True
    for table in tables:
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = table.name[:31]
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(table.headers)
        for cell in sheet[2]:
            cell.font, cell.fill = header_font, header_fill
        for row in table.rows:
            sheet.append(row)
        for column, number_format in table.number_formats.items():
            for (cell,) in sheet.iter_rows(min_row=3, min_col=column + 1, max_col=column + 1):
                cell.number_format = number_format
        for index, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) + 4)
        sheet.freeze_panes = "A3"
        if not table.rows:
            sheet.append(["No data in this range (no population), not zero."])
    definitions = book.create_sheet("KPI definitions")
    columns = [
        "Code",
        "Name",
        "Numerator",
        "Denominator",
        "Population",
        "Time basis",
        "Owner",
        "Direction",
        "Unit",
        "Rule",
    ]
    definitions.append(columns)
    for cell in definitions[1]:
        cell.font, cell.fill = header_font, header_fill
    used = {kpi.code for table in tables for kpi in table.kpis}
    for kpi in sorted(KPIS, key=lambda kpi: (kpi.code not in used, kpi.code)):
        definitions.append([
            kpi.code, kpi.name, kpi.numerator, kpi.denominator, kpi.population, kpi.time_basis,
            ROLE_LABELS.get(kpi.owner_role, kpi.owner_role), kpi.direction.value.replace("_", " "), kpi.unit.value,
            kpi.rule,
        ])  # fmt: skip
    for index, width in enumerate((26, 34, 50, 50, 60, 30, 18, 16, 10, 12), start=1):
        definitions.column_dimensions[get_column_letter(index)].width = width
    for row in definitions.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    definitions.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------------
# Monthly MI pack


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except Exception:  # noqa: BLE001 - OSError for missing system libraries, ImportError when not installed
        return False
    return True


def mi_pack_context(filters: selectors.Filters) -> dict[str, Any]:
    from fairpath.insight.dashboards import DASHBOARDS

    sections = []
    for dashboard in DASHBOARDS.values():
        panels = []
        for panel in dashboard.installed_panels():
            trend = selectors.trend(panel.kpi, filters, panel.trend_dimensions) if panel.trend else None
            panels.append({
                "kpi": get(panel.kpi),
                "breakdown": selectors.breakdown(panel.kpi, filters) if panel.breakdown else None,
                "trend": trend,
                "points": list(zip(trend.days, trend.values, strict=True))[-31:] if trend else [],
                "signals": [
                    (trend.days[signal.index], signal.description) for signal in trend.chart.signals
                ] if trend and trend.chart else [],
            })  # fmt: skip
        sections.append({"dashboard": dashboard, "panels": panels})
    return {
        "filters": filters,
        "sections": sections,
        "roll": selectors.roll_matrix(filters),
        "cash": selectors.cash_month_to_date(filters),
        "kpis": KPIS,
    }


def mi_pack_html(filters: selectors.Filters) -> str:
    return render_to_string("insight/mi_pack.html", mi_pack_context(filters))


def mi_pack_pdf(filters: selectors.Filters) -> bytes:
    from weasyprint import HTML

    return HTML(string=mi_pack_html(filters)).write_pdf()
