"""Money is an integer number of minor units plus an ISO 4217 currency — never a float."""

from __future__ import annotations

from dataclasses import dataclass

MINOR_UNITS = {"GBP": 2, "USD": 2, "EUR": 2, "JPY": 0}
SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (pence, cents) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError(f"Money needs integer minor units, got {self.minor!r}")
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"unknown currency {self.currency!r}")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)


def format_money(minor: int, currency: str) -> str:
    """Format minor units for people: ``format_money(-123456, "GBP") == "-£1,234.56"``."""
    places = MINOR_UNITS.get(currency, 2)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**places)
    symbol = SYMBOLS.get(currency, currency + " ")
    text = f"{whole:,}"
    if places:
        text += f".{fraction:0{places}d}"
    return f"{sign}{symbol}{text}"


def parse_money(text: str, currency: str) -> Money:
    """Parse a decimal amount typed by a person ("1,234.5") into exact minor units; refuse extra decimals."""
    cleaned = text.strip().replace(",", "")
    negative = cleaned.startswith("-")
    cleaned = cleaned.removeprefix("-").removeprefix(SYMBOLS.get(currency, "")).strip()
    places = MINOR_UNITS.get(currency, 2)
    whole, _, fraction = cleaned.partition(".")
    if not whole.isdigit() and not (whole == "" and fraction.isdigit()):
        raise ValueError(f"{text!r} is not an amount")
    if fraction and not fraction.isdigit():
        raise ValueError(f"{text!r} is not an amount")
    if len(fraction) > places:
        raise ValueError(f"{text!r} has more than {places} decimal places for {currency}")
    minor = (
        int(whole or "0") * 10**places + int((fraction or "0").ljust(places, "0")) if places else int(whole)
    )
    return Money(-minor if negative else minor, currency)
