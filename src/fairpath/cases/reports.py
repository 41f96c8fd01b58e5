"""D-RETURN: the half-yearly complaints return as an Excel workbook (openpyxl)."""

from __future__ import annotations

import io

from fairpath.cases import rules
from fairpath.cases.selectors import ComplaintsMI, GroupFigures

PRODUCT_LABELS = {
    "credit": "Credit (consumer credit)",
    "service": "Service and administration",
    "payments": "Payment services",
}
COLUMNS = [
    "Received",
    "Closed",
    "Closed within 3 business days",
    "Closed after 3 business days, within 8 weeks",
    "Closed after 8 weeks",
    "Upheld",
    "Partly upheld",
    "Not upheld",
    "Uphold rate %",
    "Redress paid",
]


def _row(label: str, figures: GroupFigures) -> list[object]:
    return [
        label,
        figures.received,
        figures.closed,
        figures.closed_within_3_business_days,
        figures.closed_within_8_weeks,
        figures.closed_later,
        figures.upheld,
        figures.partly_upheld,
        figures.not_upheld,
        figures.uphold_rate,
        figures.redress_minor / 100,
    ]


def return_workbook(mi: ComplaintsMI) -> bytes:
    """Sheets: by product group, by root cause (D-ROOT), open complaints and Ombudsman (D-FOS)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "By product"
    sheet.append([f"Complaints return {mi.start.isoformat()} to {mi.end.isoformat()} (D-RETURN)"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(["Product group", *COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for group, figures in mi.by_product.items():
        sheet.append(_row(PRODUCT_LABELS.get(group, group), figures))
    sheet.append(_row("Total", mi.total))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 34
    for column in "BCDEFGHIJK":
        sheet.column_dimensions[column].width = 16
    for row in sheet.iter_rows(min_row=4, min_col=11, max_col=11):
        for cell in row:
            cell.number_format = "£#,##0.00"

    causes = book.create_sheet("By root cause")
    causes.append(["Root cause", *COLUMNS])
    for cell in causes[1]:
        cell.font = Font(bold=True)
    for cause, figures in mi.by_root_cause.items():
        causes.append(_row(rules.ROOT_CAUSES.get(cause, cause), figures))
    causes.column_dimensions["A"].width = 36

    other = book.create_sheet("Open and Ombudsman")
    other.append(["Open complaints against their deadlines"])
    other["A1"].font = Font(bold=True)
    for state, count in mi.open_by_age.items():
        other.append([state.replace("_", " "), count])
    other.append([])
    other.append(["Ombudsman (D-FOS)"])
    other.append(["Referred", mi.fos_referred])
    other.append(["Decided", mi.fos_decided])
    other.append(["Overturned", mi.fos_overturned])
    other.append(["Overturn rate %", mi.fos_overturn_rate])
    other.column_dimensions["A"].width = 30

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
