import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairpath.core.money import CurrencyMismatch, Money, format_money, parse_money

amounts = st.integers(min_value=-(10**15), max_value=10**15)


@given(amounts)
def test_formatting_then_parsing_gives_back_the_same_minor_units(minor):
    assert parse_money(format_money(minor, "GBP"), "GBP") == Money(minor, "GBP")


@given(amounts, amounts, amounts)
def test_addition_is_exact_and_associative(a, b, c):
    left = (Money(a, "GBP") + Money(b, "GBP")) + Money(c, "GBP")
    right = Money(a, "GBP") + (Money(b, "GBP") + Money(c, "GBP"))
    assert left == right == Money(a + b + c, "GBP")


def test_currencies_never_mix():
    with pytest.raises(CurrencyMismatch):
        Money(100, "GBP") + Money(100, "USD")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money(10.5, "GBP")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1.234", "abc", "1.2.3", "£1,00x"])
def test_bad_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_money(text, "GBP")


def test_format_uses_symbol_grouping_and_sign():
    assert format_money(-123456, "GBP") == "-£1,234.56"
    assert format_money(5, "USD") == "$0.05"
