"""The contact policy guard: every rule id it enforces, with the counting edge cases of RULES.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpath.accounts import actions as account_actions
from fairpath.collections import actions, rules
from fairpath.collections.models import ContactAttempt
from fairpath.collections.policy import check_contact, check_contacts_bulk
from fairpath.core.errors import InvalidInput, Refusal
from tests.factories import SETUP
from tests.factories.collections import (
    add_preference,
    local,
    make_uk_agreement,
    make_us_agreement,
    set_point,
)

pytestmark = pytest.mark.django_db

UK_NOON = time(12, 0)


def uk_at(day: date, clock: time = UK_NOON) -> datetime:
    return local(day, clock, "Europe/London")


def ask(agreement, at, channel="call", **kwargs):
    return check_contact(agreement=agreement, channel=channel, at=at, **kwargs)


# ---------------------------------------------------------------------------------------------- holds


def test_breathing_space_starts_the_day_after_registration_and_lasts_60_days(client_a):
    """BS-START / BS-EFFECT: entered on 1 March -> in force 2 March .. 30 April inclusive."""
    loan = make_uk_agreement(client_a)
    hold = actions.start_breathing_space(agreement=loan, entered_on=date(2026, 3, 1), actor=SETUP)
    assert (hold.starts_on, hold.ends_on) == (date(2026, 3, 2), date(2026, 4, 30))
    assert ask(loan, uk_at(date(2026, 3, 1))).allowed
    for day in (date(2026, 3, 2), date(2026, 4, 30)):
        decision = ask(loan, uk_at(day))
        assert (decision.allowed, decision.rule) == (False, "BS-EFFECT")
    assert ask(loan, uk_at(date(2026, 5, 1))).allowed


def test_breathing_space_forbids_every_channel_but_keeps_statutory_notices_and_advisers(client_a):
    """BS-EFFECT: no payment demands on any channel; statutory notices, adviser contact and replies go on."""
    loan = make_uk_agreement(client_a)
    actions.start_breathing_space(agreement=loan, entered_on=date(2026, 3, 1), actor=SETUP)
    at = uk_at(date(2026, 3, 10))
    for channel in ("call", "sms", "email", "letter"):
        assert ask(loan, at, channel).rule == "BS-EFFECT"
    assert ask(loan, at, "letter", purpose="statutory").allowed
    assert ask(loan, at, "call", party="third_party").allowed
    assert ask(loan, at, "call", purpose="service").allowed


def test_mental_health_breathing_space_runs_30_days_after_treatment_ends(client_a):
    loan = make_uk_agreement(client_a)
    hold = actions.start_breathing_space(
        agreement=loan, entered_on=date(2026, 1, 5), actor=SETUP, mental_health=True
    )
    assert ask(loan, uk_at(date(2026, 9, 1))).rule == "BS-EFFECT"  # open-ended during treatment
    actions.end_hold(hold=hold, last_day=date(2026, 9, 1), actor=SETUP, reason="Treatment ended")
    assert ask(loan, uk_at(date(2026, 10, 1))).rule == "BS-EFFECT"  # 1 Sept + 30 days = 1 Oct
    assert ask(loan, uk_at(date(2026, 10, 2))).allowed


def test_advice_hold_is_30_days_and_extends_once_by_30(client_a):
    """UK-ADVICE-HOLD: 30 days beginning with the start day, one 30-day extension with a reason."""
    loan = make_uk_agreement(client_a)
    hold = actions.start_advice_hold(
        agreement=loan, starts_on=date(2026, 1, 31), actor=SETUP, reason="StepChange"
    )
    assert ask(loan, uk_at(date(2026, 3, 1))).rule == "UK-ADVICE-HOLD"  # day 30 (Feb has 28 days)
    assert ask(loan, uk_at(date(2026, 3, 2))).allowed
    hold = actions.extend_advice_hold(hold=hold, actor=SETUP, reason="Adviser asked for more time")
    assert hold.ends_on == date(2026, 3, 31)
    assert ask(loan, uk_at(date(2026, 3, 31))).rule == "UK-ADVICE-HOLD"
    assert ask(loan, uk_at(date(2026, 4, 1))).allowed
    with pytest.raises(Refusal) as refusal:
        actions.extend_advice_hold(hold=hold, actor=SETUP, reason="again")
    assert refusal.value.rule == "UK-ADVICE-HOLD"
    hold.refresh_from_db()
    assert (hold.ends_on, hold.extensions) == (date(2026, 3, 31), 1)  # the refusal changed nothing
    with pytest.raises(InvalidInput):
        actions.extend_advice_hold(hold=hold, actor=SETUP, reason=" ")


def test_capacity_flag_suppresses_every_channel_at_once(client_a):
    """UK-CAPACITY: from the day the firm is told, no collection activity on any channel."""
    loan = make_uk_agreement(client_a)
    actions.flag_capacity(agreement=loan, on=date(2026, 2, 3), actor=SETUP, reason="Daughter called")
    for channel in ("call", "sms", "email", "letter"):
        assert ask(loan, uk_at(date(2026, 2, 3)), channel).rule == "UK-CAPACITY"
    assert ask(loan, uk_at(date(2026, 2, 3)), "call", purpose="legal").rule == "UK-CAPACITY"


def test_us_dispute_stops_collection_until_verification(client_a):
    """US-VALIDATION: a dispute in the validation period stops collection until verification is sent."""
    loan = make_us_agreement(client_a)
    hold = actions.record_dispute(agreement=loan, on=date(2026, 2, 3), actor=SETUP, reason="Not my debt")
    assert ask(loan, local(date(2026, 2, 20), time(10))).rule == "US-VALIDATION"
    actions.end_hold(hold=hold, last_day=date(2026, 2, 20), actor=SETUP, reason="Verification sent")
    assert ask(loan, local(date(2026, 2, 20), time(10))).rule == "US-VALIDATION"
    assert ask(loan, local(date(2026, 2, 21), time(10))).allowed


def test_holds_stack_contact_only_when_none_forbids_it(client_a):
    """Counting time: breathing space, advice hold and capacity overlap; each end uncovers the next."""
    loan = make_uk_agreement(client_a)
    actions.start_advice_hold(agreement=loan, starts_on=date(2026, 1, 1), actor=SETUP, reason="CAB")
    actions.start_breathing_space(agreement=loan, entered_on=date(2026, 1, 20), actor=SETUP)
    capacity = actions.flag_capacity(agreement=loan, on=date(2026, 3, 1), actor=SETUP, reason="Told")
    assert ask(loan, uk_at(date(2026, 1, 15))).rule == "UK-ADVICE-HOLD"
    assert not ask(loan, uk_at(date(2026, 2, 10))).allowed  # advice hold ended 30 Jan, BS in force
    assert ask(loan, uk_at(date(2026, 2, 10))).rule == "BS-EFFECT"
    assert ask(loan, uk_at(date(2026, 3, 25))).rule in {"BS-EFFECT", "UK-CAPACITY"}
    assert ask(loan, uk_at(date(2026, 3, 25))).allowed is False
    assert ask(loan, uk_at(date(2026, 5, 1))).rule == "UK-CAPACITY"  # BS over, capacity still open
    actions.end_hold(hold=capacity, last_day=date(2026, 5, 1), actor=SETUP, reason="Capacity confirmed")
    assert ask(loan, uk_at(date(2026, 5, 2))).allowed


# ------------------------------------------------------------------------------------------ US-7IN7


def _call(loan, at, conversation=False):
    decision, _ = actions.record_contact_attempt(
        agreement=loan, channel="call", at=at, actor=SETUP, is_conversation=conversation
    )
    return decision


def test_seven_calls_in_seven_consecutive_days_then_the_window_rolls(client_a):
    """US-7IN7: 7 attempts on Fri..Thu (across a calendar week boundary); the 8th refused; Fri next allowed."""
    loan = make_us_agreement(client_a)
    friday = date(2026, 3, 6)
    for offset in range(7):
        assert _call(loan, local(friday + timedelta(days=offset), time(10))).allowed
    eighth = _call(loan, local(friday + timedelta(days=6), time(15)))
    assert (eighth.allowed, eighth.rule) == (False, "US-7IN7")
    # refusals are logged but do not count as attempts
    assert ContactAttempt.objects.filter(agreement=loan, is_allowed=False, rule="US-7IN7").count() == 1
    assert _call(loan, local(friday + timedelta(days=7), time(10))).allowed  # day 1 left the window


def test_seven_calls_on_one_day_block_the_next_six(client_a):
    loan = make_us_agreement(client_a)
    day = date(2026, 4, 1)
    for hour in range(9, 16):
        assert _call(loan, local(day, time(hour))).allowed
    assert _call(loan, local(day + timedelta(days=6), time(10))).rule == "US-7IN7"
    assert _call(loan, local(day + timedelta(days=7), time(10))).allowed


def test_no_call_within_seven_days_after_a_conversation_counting_its_day_as_day_one(client_a):
    """US-7IN7: a conversation at 20:30 New York time on 1 April (00:30 UTC on the 2nd) -> blocked to the 7th."""
    loan = make_us_agreement(client_a)
    assert _call(loan, local(date(2026, 4, 1), time(20, 30)), conversation=True).allowed
    assert ask(loan, local(date(2026, 4, 7), time(20, 59))).rule == "US-7IN7"
    assert ask(loan, local(date(2026, 4, 8), time(8, 0))).allowed
    assert ask(loan, local(date(2026, 4, 7), time(12)), "sms").rule != "US-7IN7"  # calls only


def test_calls_are_counted_per_debt(client_a):
    loan = make_us_agreement(client_a)
    other = make_us_agreement(client_a)
    for hour in range(9, 16):
        _call(loan, local(date(2026, 4, 1), time(hour)))
    assert ask(other, local(date(2026, 4, 1), time(17))).allowed


# ---------------------------------------------------------------------------------- hours and times


def test_quiet_hours_at_the_consumers_location(client_a):
    """US-HOURS: before 08:00 and after 21:00 in the customer's own zone (from the address)."""
    loan = make_us_agreement(client_a)
    set_point(loan.customer, "phone", has_text_consent=True)
    day = date(2026, 6, 2)
    assert ask(loan, local(day, time(7, 59))).rule == "US-HOURS"
    assert ask(loan, local(day, time(8, 0))).allowed
    assert ask(loan, local(day, time(21, 0))).allowed
    assert ask(loan, local(day, time(21, 1)), "sms").rule == "US-HOURS"
    assert ask(loan, local(day, time(21, 1)), "email").rule == "US-HOURS"
    assert ask(loan, local(day, time(23, 0)), "letter").allowed


def test_quiet_hours_follow_the_address_not_the_phone_number(client_a):
    """A 212 (New York) number but a California address: 08:30 in New York is 05:30 there."""
    loan = make_us_agreement(client_a, region="CA")
    assert ask(loan, local(date(2026, 6, 2), time(8, 30))).rule == "US-HOURS"
    assert ask(loan, local(date(2026, 6, 2), time(8, 30), "America/Los_Angeles")).allowed


def test_quiet_hours_are_daylight_saving_safe(client_a):
    """The same UTC instant, 12:30, is 07:30 EST on 7 March and 08:30 EDT on 8 March 2026."""
    loan = make_us_agreement(client_a)
    assert ask(loan, datetime(2026, 3, 7, 12, 30, tzinfo=UTC)).rule == "US-HOURS"
    assert ask(loan, datetime(2026, 3, 8, 12, 30, tzinfo=UTC)).allowed
    # UK customers: 07:30 UTC is 07:30 GMT in March and 08:30 BST in April
    uk = make_uk_agreement(client_a)
    assert ask(uk, datetime(2026, 3, 20, 7, 30, tzinfo=UTC)).rule == "UK-CONTACT"
    assert ask(uk, datetime(2026, 4, 20, 7, 30, tzinfo=UTC)).allowed


def test_the_customers_own_requested_times_and_days(client_a):
    """US-HOURS / UK-CONTACT: times and days the customer names as inconvenient are honoured."""
    loan = make_us_agreement(client_a)
    add_preference(
        loan.customer, "call", earliest_time=time(17, 0), latest_time=time(19, 0), weekdays=[0, 1, 2]
    )
    monday = date(2026, 6, 1)
    assert ask(loan, local(monday, time(16, 59))).rule == "US-HOURS"
    assert ask(loan, local(monday, time(17, 0))).allowed
    assert ask(loan, local(monday, time(19, 1))).rule == "US-HOURS"
    assert ask(loan, local(monday + timedelta(days=3), time(18))).rule == "US-HOURS"  # Thursday
    assert ask(loan, local(monday, time(12)), "email").allowed  # only calls were restricted
    assert ask(loan, local(monday, time(12)), party="third_party").allowed
    uk = make_uk_agreement(client_a)
    add_preference(uk.customer, "sms", is_refused=True)
    set_point(uk.customer, "phone", has_text_consent=True)
    assert ask(uk, uk_at(monday), "sms").rule == "UK-CONTACT"


# ---------------------------------------------------------------------------- consent and opt-outs


def test_opt_out_of_email_is_honoured(client_a):
    """US-OPTOUT: an opted-out address is never used."""
    loan = make_us_agreement(client_a)
    at = local(date(2026, 6, 2), time(12))
    assert ask(loan, at, "email").allowed
    set_point(loan.customer, "email", is_opted_out=True)
    assert ask(loan, at, "email").rule == "US-OPTOUT"
    set_point(loan.customer, "phone", is_opted_out=True)
    assert ask(loan, at, "call").rule == "US-OPTOUT"


def test_revoked_consent_blocks_texts_and_calls(client_a):
    """US-REVOKE: texts need consent (never given here); revoking call consent blocks calls from then."""
    loan = make_us_agreement(client_a)
    at = local(date(2026, 6, 2), time(12))
    assert ask(loan, at, "sms").rule == "US-REVOKE"
    set_point(loan.customer, "phone", has_text_consent=True)
    assert ask(loan, at, "sms").allowed
    set_point(loan.customer, "phone", has_call_consent=False, has_text_consent=False)
    assert ask(loan, at, "call").rule == "US-REVOKE"
    assert ask(loan, at, "sms").rule == "US-REVOKE"


# ------------------------------------------------------------------------------------ statute-barred


def _arrears_since(loan, as_of):
    account_actions.recompute_arrears(client_ids=[loan.client_id], as_of=as_of)


def test_statute_barred_uk_debt_blocks_legal_steps_only(client_a):
    """UK-STATBAR: 6 years in England from the oldest unpaid due date (no default notice, no payment)."""
    loan = make_uk_agreement(client_a, first_due_on=date(2019, 1, 31), opened_on=date(2019, 1, 1))
    _arrears_since(loan, date(2025, 1, 30))
    assert ask(loan, uk_at(date(2025, 1, 30)), "letter", purpose="legal").allowed
    decision = ask(loan, uk_at(date(2025, 1, 31)), "letter", purpose="legal")
    assert (decision.allowed, decision.rule) == (False, "UK-STATBAR")
    assert ask(loan, uk_at(date(2025, 1, 31)), "letter").allowed


def test_scotland_counts_five_years(client_a):
    loan = make_uk_agreement(
        client_a, region="SCT", first_due_on=date(2019, 1, 31), opened_on=date(2019, 1, 1)
    )
    _arrears_since(loan, date(2024, 1, 31))
    assert ask(loan, uk_at(date(2024, 1, 31)), "letter", purpose="legal").rule == "UK-STATBAR"


def test_a_payment_restarts_the_limitation_clock(client_a):
    loan = make_uk_agreement(client_a, first_due_on=date(2019, 1, 31), opened_on=date(2019, 1, 1))
    account_actions.post_payment(
        agreement=loan, amount_minor=500, currency="GBP", received_on=date(2022, 6, 1), actor=SETUP
    )
    _arrears_since(loan, date(2026, 1, 1))
    assert ask(loan, uk_at(date(2026, 1, 5)), "letter", purpose="legal").allowed


def test_time_barred_us_debt(client_a):
    """US-TIMEBAR: New York's 3 years."""
    loan = make_us_agreement(client_a, first_due_on=date(2022, 1, 31), opened_on=date(2022, 1, 1))
    _arrears_since(loan, date(2025, 2, 1))
    assert ask(loan, local(date(2025, 2, 1), time(12)), "letter", purpose="legal").rule == "US-TIMEBAR"


# ------------------------------------------------------------------------------------------- bulk


def test_bulk_answers_equal_single_answers_with_a_fixed_number_of_queries(
    client_a, django_assert_max_num_queries
):
    loans = [make_us_agreement(client_a) for _ in range(4)] + [make_uk_agreement(client_a) for _ in range(3)]
    actions.start_breathing_space(agreement=loans[5], entered_on=date(2026, 6, 1), actor=SETUP)
    set_point(loans[1].customer, "email", is_opted_out=True)
    at = local(date(2026, 6, 3), time(12))
    ids = [loan.pk for loan in loans]
    with django_assert_max_num_queries(12):
        bulk = check_contacts_bulk(agreement_ids=ids, channel="email", at=at)
    assert bulk == {loan.pk: ask(loan, at, "email") for loan in loans}
    assert bulk[loans[5].pk].rule == "BS-EFFECT"
    assert bulk[loans[1].pk].rule == "US-OPTOUT"


def test_bad_vocabulary_and_naive_times_are_refused(client_a):
    loan = make_uk_agreement(client_a)
    with pytest.raises(InvalidInput) as error:
        ask(loan, uk_at(date(2026, 1, 5)), "pigeon")
    assert error.value.field == "channel"
    with pytest.raises(InvalidInput):
        ask(loan, datetime(2026, 1, 5, 12))


@settings(max_examples=200, deadline=None)
@given(
    starts=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    length=st.integers(min_value=0, max_value=400),
    probe=st.integers(min_value=-5, max_value=410),
)
def test_a_hold_covers_exactly_its_inclusive_days(starts, length, probe):
    period = rules.HoldPeriod(rules.HoldKind.DEBT_ADVICE, starts, starts + timedelta(days=length))
    day = starts + timedelta(days=probe)
    assert period.covers(day) == (0 <= probe <= length)
