"""CSV exports from banks and payment processors, read through a saved column mapping.

A mapping names the columns for date, amount (or credit and debit), reference, payer and optionally
currency and bank reference; a mapping that names a column the file lacks is refused, naming it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from fairpath.payments.parsers.common import (
    MalformedFile,
    ParsedFile,
    ParsedLine,
    check_currency,
    decimal_to_minor,
    parse_date,
)

FIELDS = ("date", "amount", "credit", "debit", "reference", "payer", "currency", "bank_reference")


@dataclass(frozen=True)
class ColumnMapping:
    """Which header holds what; ``currency`` is the fixed currency when no column carries one."""

    columns: dict[str, str] = field(default_factory=dict)
    date_format: str = "%Y-%m-%d"
    delimiter: str = ","
    currency: str = "GBP"
    decimal_comma: bool = False

    def validate(self) -> None:
        unknown = set(self.columns) - set(FIELDS)
        if unknown:
            raise MalformedFile("mapping", f"unknown mapping fields {sorted(unknown)}")
        if "date" not in self.columns:
            raise MalformedFile("mapping", "the mapping must name the date column")
        if "amount" not in self.columns and "credit" not in self.columns:
            raise MalformedFile("mapping", "the mapping must name an amount or a credit column")
        if "reference" not in self.columns and "payer" not in self.columns:
            raise MalformedFile("mapping", "the mapping must name a reference or a payer column")


def _clean_amount(text: str) -> str:
    return text.strip().replace("£", "").replace("$", "").replace("€", "").replace(" ", "")


def parse_csv(data: bytes, mapping: ColumnMapping) -> ParsedFile:
    mapping.validate()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedFile("file", "CSV files must be UTF-8") from error
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration as error:
        raise MalformedFile("line 1", "the file is empty") from error
    except csv.Error as error:
        raise MalformedFile("line 1", str(error)) from error
    names = [name.strip() for name in header]
    positions: dict[str, int] = {}
    for key, column in mapping.columns.items():
        if column not in names:
            raise MalformedFile(
                "mapping", f"the mapping's {key} column {column!r} is not in the file's header"
            )
        positions[key] = names.index(column)
    default_currency = (
        check_currency(mapping.currency, "mapping currency") if "currency" not in positions else ""
    )
    parsed = ParsedFile(format="csv", currency=default_currency)
    try:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise MalformedFile(f"line {number}", f"{len(row)} columns where the header has {len(names)}")
            where = f"line {number}"

            def cell(key: str, row: list[str] = row) -> str:
                return row[positions[key]].strip() if key in positions else ""

            currency = (
                check_currency(cell("currency"), f"{where} currency")
                if "currency" in positions
                else (default_currency)
            )
            comma = mapping.decimal_comma
            if "amount" in positions:
                raw = _clean_amount(cell("amount"))
                raw = raw.replace(".", "") if comma else raw.replace(",", "")
                amount = decimal_to_minor(raw, currency, f"{where} amount", comma=comma)
            else:
                credit, debit = _clean_amount(cell("credit")), _clean_amount(cell("debit"))
                amount = decimal_to_minor(credit or "0", currency, f"{where} credit", comma=comma) - (
                    decimal_to_minor(debit, currency, f"{where} debit", comma=comma) if debit else 0
                )
            parsed.currency = parsed.currency or currency
            parsed.lines.append(
                ParsedLine(
                    line_no=len(parsed.lines) + 1,
                    booked_on=parse_date(cell("date"), mapping.date_format, f"{where} date"),
                    amount_minor=amount,
                    currency=currency,
                    reference=cell("reference"),
                    payer_name=cell("payer"),
                    bank_reference=cell("bank_reference"),
                    where=where,
                )
            )
    except csv.Error as error:
        raise MalformedFile(f"line {reader.line_num}", str(error)) from error
    parsed.control_count = len(parsed.lines)
    parsed.control_total_minor = sum(line.amount_minor for line in parsed.lines)
    return parsed
