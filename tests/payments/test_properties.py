"""Invariants: amounts parse exactly to minor units; normalisation is stable; natural keys tell lines apart."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from fairpath.payments.matching import normalise
from fairpath.payments.parsers.common import MalformedFile, decimal_to_minor


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from(["GBP", "USD", "EUR"]))
def test_decimal_amounts_are_exact(minor, currency):
    text = f"{minor // 100}.{minor % 100:02d}"
    assert decimal_to_minor(text, currency, "x") == minor
    assert decimal_to_minor(text.replace(".", ","), currency, "x", comma=True) == minor


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=9))
def test_more_decimals_than_the_currency_allows_are_refused(minor, extra):
    text = f"{minor // 100}.{minor % 100:02d}{extra}"
    try:
        decimal_to_minor(text, "GBP", "x")
    except MalformedFile as refusal:
        assert "decimals" in refusal.message
    else:  # pragma: no cover - the assertion below fails
        raise AssertionError(f"{text} was accepted")


@given(st.text(max_size=40))
def test_normalise_is_idempotent_and_alphanumeric(text):
    once = normalise(text)
    assert normalise(once) == once
    assert once == "" or once.isalnum()


def test_natural_keys_count_identical_movements():
    from fairpath.payments.actions import natural_keys
    from fairpath.payments.parsers import ParsedLine

    class FakeClient:
        pk = 1

    line = ParsedLine(line_no=1, booked_on=date(2026, 12, 7), amount_minor=100, currency="GBP", reference="A")
    twin = ParsedLine(line_no=2, booked_on=date(2026, 12, 7), amount_minor=100, currency="GBP", reference="A")
    first, second = natural_keys(FakeClient(), [line, twin])  # type: ignore[arg-type]
    assert first != second
    assert natural_keys(FakeClient(), [twin]) == [first]  # type: ignore[arg-type]


@given(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32))
def test_iso_dates_read_as_strptime_reads_them(year, month, day):
    """parse_date's fast path for %Y-%m-%d gives exactly strptime's answer, or refuses what it refuses."""
    from datetime import datetime

    from fairpath.payments.parsers.common import parse_date

    text = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        expected = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        expected = None
    try:
        got = parse_date(text, "%Y-%m-%d", "x")
    except MalformedFile:
        got = None
    assert got == expected
