"""Counting time for collections rules: business days per part of the UK and US federal holidays, hold periods
(the NOSIA counting rules are tested where they are decided, tests/communications)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fairpath.collections import rules


def test_default_notice_remedy_counts_the_customers_own_bank_holidays():
    """UK-DEFAULT: posted Wed 31 Dec 2025; served 2 business days later; 14 days to remedy.

    England: 1 Jan is a holiday -> Fri 2 Jan, Mon 5 Jan -> remedy 19 Jan.
    Scotland: 1 and 2 Jan are holidays -> Mon 5, Tue 6 Jan -> remedy 20 Jan.
    """
    assert rules.default_remedy_on(date(2025, 12, 31), country="GB", region="ENG") == date(2026, 1, 19)
    assert rules.default_remedy_on(date(2025, 12, 31), country="GB", region="SCT") == date(2026, 1, 20)


def test_validation_period_skips_weekends_and_federal_holidays():
    """US-VALIDATION: sent Thu 2 July 2026; Fri 3 July is Independence Day (observed); receipt is assumed
    5 business days later, Fri 10 July; the period ends 30 days after, 9 August."""
    assert rules.validation_period_end(date(2026, 7, 2), region="NY") == date(2026, 8, 9)


def test_breathing_space_and_advice_hold_periods():
    assert rules.breathing_space_period(date(2026, 1, 31)) == (date(2026, 2, 1), date(2026, 4, 1))
    assert rules.advice_hold_period(date(2026, 1, 31)) == (date(2026, 1, 31), date(2026, 3, 1))
    assert rules.mental_health_end(date(2026, 1, 31)) == date(2026, 3, 2)


@given(start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), count=st.integers(1, 30))
def test_business_days_land_on_working_days_and_grow(start, count):
    day = rules.add_business_days(start, count, country="GB", region="ENG")
    assert day > start and day.weekday() < 5
    assert rules.add_business_days(start, count + 1, country="GB", region="ENG") > day
    assert (day - start).days >= count


@given(start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_statute_barred_dates_move_forward_with_a_payment(start):
    without = rules.statute_barred_on(
        country="GB", region="ENG", cause_of_action_on=start, last_payment_on=None
    )
    later = start + timedelta(days=100)
    with_payment = rules.statute_barred_on(
        country="GB", region="ENG", cause_of_action_on=start, last_payment_on=later
    )
    assert without is not None and with_payment is not None and with_payment > without
    scotland = rules.statute_barred_on(
        country="GB", region="SCT", cause_of_action_on=start, last_payment_on=None
    )
    assert scotland is not None and scotland < without
