"""What every parser returns, and the strict helpers they share (amounts, dates, currencies, refusals).

Parsers are pure: bytes in, a ``ParsedFile`` out, or a ``MalformedFile`` naming the line or element and why.
Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from fairpath.core.errors import InvalidInput
from fairpath.core.money import MINOR_UNITS

FORMATS = ("camt053", "camt054", "bai2", "mt940", "csv", "arudd")


class MalformedFile(InvalidInput):
    """PAY-PARSE: the file is refused whole; ``where`` names the line or element."""

    def __init__(self, where: str, reason: str, *, rule: str = "PAY-PARSE") -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}", rule=rule, field="file")


class TotalsDoNotTie(MalformedFile):
    """PAY-CONTROL: the entries do not add up to the file's own control totals."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(where, reason, rule="PAY-CONTROL")


class UnknownCurrency(MalformedFile):
    """PAY-CURRENCY: a currency Fairpath does not keep money in."""

    def __init__(self, where: str, currency: str) -> None:
        super().__init__(where, f"unknown currency {currency!r}", rule="PAY-CURRENCY")


@dataclass
class ParsedLine:
    """One money movement as the bank reported it. ``amount_minor`` is positive for money in."""

    line_no: int
    booked_on: date
    amount_minor: int
    currency: str
    account: str = ""
    reference: str = ""
    payer_name: str = ""
    bank_reference: str = ""
    is_return: bool = False
    return_code: str = ""
    return_reason: str = ""
    where: str = ""


@dataclass
class ParsedFile:
    """A parsed statement or report: its lines and the control totals it stated (already checked)."""

    format: str
    lines: list[ParsedLine] = field(default_factory=list)
    statement_id: str = ""
    account: str = ""
    currency: str = ""
    control_count: int | None = None
    control_total_minor: int | None = None
    opening_balance_minor: int | None = None
    closing_balance_minor: int | None = None


def check_currency(currency: str, where: str) -> str:
    code = (currency or "").strip().upper()
    if code not in MINOR_UNITS:
        raise UnknownCurrency(where, currency)
    return code


_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")


def decimal_to_minor(text: str, currency: str, where: str, *, comma: bool = False) -> int:
    """'1234.56' (or '1234,56' with ``comma``) into exact minor units; refuse extra decimals or junk."""
    raw = (text or "").strip()
    if comma:
        raw = raw.replace(",", ".")
    if raw.endswith("."):
        raw += "0"
    if not _DECIMAL.match(raw):
        raise MalformedFile(where, f"{text!r} is not an amount")
    try:
        value = Decimal(raw)
    except InvalidOperation as error:  # pragma: no cover - the regex already refused
        raise MalformedFile(where, f"{text!r} is not an amount") from error
    places = MINOR_UNITS[currency]
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MalformedFile(where, f"{text!r} has more decimals than {currency} allows")
    return int(scaled)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str, pattern: str, where: str) -> date:
    try:
        if pattern == "%Y-%m-%d" and _ISO_DATE.match(text.strip()):
            return date.fromisoformat(text.strip())  # the same dates, several times faster than strptime
        return datetime.strptime(text.strip(), pattern).date()
    except ValueError as error:
        raise MalformedFile(where, f"{text!r} is not a date ({pattern})") from error


def tie(where: str, label: str, stated: int, counted: int) -> None:
    if stated != counted:
        raise TotalsDoNotTie(where, f"{label}: the file states {stated} but its entries add up to {counted}")
