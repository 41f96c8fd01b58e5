"""Pure rules: wording checks (UK-PRESSURE, US-MINIMIRANDA, US-OPTOUT, required notice wording) and
statutory dates (UK-NOSIA-FS, UK-NOSIA-RA, UK-NOSIA-LATE, UK-DEFAULT, US-VALIDATION)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fairpath.communications import rules
from fairpath.communications.rules import Due

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2070, 12, 31))


def check(
    body: str, *, jurisdiction="UK", channel="letter", notice_type="collections", initial=False, subject=""
):
    return rules.check_wording(
        channel=channel,
        jurisdiction=jurisdiction,
        notice_type=notice_type,
        is_initial_communication=initial,
        subject=subject,
        body=body,
    )


# ---------------------------------------------------------------------------- UK-PRESSURE


def test_pressure_wording_is_found_with_its_line_and_phrase():
    findings = check("Dear customer,\nYou must pay the full balance within 48 hours.\nOr sell your car.")
    assert {(f.rule, f.line, f.phrase.lower()) for f in findings} == {
        ("UK-PRESSURE", 2, "pay the full balance"),
        ("UK-PRESSURE", 2, "within 48 hours"),
        ("UK-PRESSURE", 3, "sell your car"),
    }


def test_pressure_in_the_subject_is_line_zero():
    findings = check("Please call us.", subject="FINAL WARNING", channel="email")
    assert [(f.rule, f.line) for f in findings] == [("UK-PRESSURE", 0)]


def test_borrowing_and_threats_are_pressure():
    for text in ("Why not take out a loan to clear this", "You could be arrested", "Remortgage your home",
                 "We will tell your employer"):  # fmt: skip
        assert [f.rule for f in check(text)] == ["UK-PRESSURE"], text


def test_fair_wording_passes():
    body = "We can agree an affordable plan with you. Free debt advice is available from MoneyHelper."
    assert check(body) == []


def test_pressure_list_is_a_uk_rule():
    assert all(
        f.rule != "UK-PRESSURE"
        for f in check("pay the full balance from a debt collector", jurisdiction="US")
    )


# ---------------------------------------------------------------------------- US-MINIMIRANDA, US-OPTOUT


def test_first_us_communication_needs_the_full_statement():
    findings = check("Please call us.", jurisdiction="US", initial=True)
    assert {f.rule for f in findings} == {"US-MINIMIRANDA"}
    assert {f.phrase for f in findings} == set(rules.MINIMIRANDA_INITIAL)
    ok = "This is an attempt to collect a debt and any information obtained will be used for that purpose."
    assert check(ok, jurisdiction="US", initial=True) == []


def test_later_us_communication_says_it_is_from_a_debt_collector():
    assert [f.phrase for f in check("Hello", jurisdiction="US")] == ["from a debt collector"]
    assert check("This communication is from a debt collector.", jurisdiction="US") == []


def test_us_texts_and_emails_offer_an_opt_out():
    text = "This is from a debt collector. Call us."
    assert [f.rule for f in check(text, jurisdiction="US", channel="sms")] == ["US-OPTOUT"]
    assert check(text + " {{ opt_out_text }}", jurisdiction="US", channel="sms") == []


# ---------------------------------------------------------------------------- required notice wording


def test_notices_need_their_wording_and_are_letters():
    findings = check("Hello", notice_type="default_notice", channel="email")
    assert {f.rule for f in findings} == {"UK-DEFAULT"}
    assert "{{ remedy_date }}" in {f.phrase for f in findings}
    assert "email" in {f.phrase for f in findings}
    nosia = check("Hello", notice_type="nosia_fs")
    assert {f.rule for f in nosia} == {"UK-NOSIA-FS"}
    ra = check("Hello", notice_type="nosia_ra")
    assert {f.rule for f in ra} == {"UK-NOSIA-RA"}
    us = check("from a debt collector", notice_type="us_validation", jurisdiction="US")
    assert "{{ validation_end_date }}" in {f.phrase for f in us}
    assert {f.rule for f in us} == {"US-VALIDATION"}


def test_variables_match_whatever_their_spacing():
    body = ("Notice of Sums in Arrears. Your arrears are {{arrears}}. "
            "The arrears information sheet is enclosed.")  # fmt: skip
    assert check(body, notice_type="nosia_fs") == []


def test_legal_threat_flag():
    assert rules.threatens_legal_action("", "We may start court action")
    assert not rules.threatens_legal_action("Hello", "Please call")


# ---------------------------------------------------------------------------- month ends


def test_month_ends():
    assert rules.add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert rules.add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert rules.nosia_repeat_due(date(2024, 3, 31)) == date(2024, 9, 30)


@given(days, st.integers(min_value=0, max_value=60))
def test_add_months_keeps_the_day_or_the_last_day(day, months):
    later = rules.add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(day.day, last)


@given(days)
def test_six_month_repeat_is_never_more_than_six_months(sent):
    repeat = rules.nosia_repeat_due(sent)
    assert repeat > sent
    assert rules.add_months(sent, 6) == repeat
    assert (repeat - sent).days <= 184


# ---------------------------------------------------------------------------- UK-NOSIA-FS


def monthly(start: date, count: int, paid: list[int], amount: int = 100) -> list[Due]:
    return [Due(rules.add_months(start, n), amount, paid[n] if n < len(paid) else 0) for n in range(count)]


def test_nosia_fs_needs_two_payments_and_the_shortfall_of_the_last_two():
    schedule = monthly(date(2024, 1, 31), 4, [100, 0, 0, 0])
    assert rules.nosia_fs_trigger(schedule, is_weekly=False, as_of=date(2024, 2, 28)) is None
    assert rules.nosia_fs_trigger(schedule, is_weekly=False, as_of=date(2024, 3, 31)) == date(2024, 3, 31)
    # still the first trigger day later on, while the arrears remain
    assert rules.nosia_fs_trigger(schedule, is_weekly=False, as_of=date(2024, 5, 1)) == date(2024, 3, 31)


def test_nosia_fs_partial_payments_keep_the_shortfall_below_the_threshold():
    schedule = monthly(date(2024, 1, 31), 3, [100, 60, 60])
    assert rules.nosia_fs_trigger(schedule, is_weekly=False, as_of=date(2024, 4, 30)) is None


def test_nosia_fs_weekly_needs_four():
    start = date(2024, 1, 5)
    weekly = [Due(start + timedelta(weeks=n), 25, 0) for n in range(6)]
    assert rules.nosia_fs_trigger(weekly, is_weekly=True, as_of=start + timedelta(weeks=2)) is None
    assert rules.nosia_fs_trigger(
        weekly, is_weekly=True, as_of=start + timedelta(weeks=3)
    ) == start + timedelta(weeks=3)
    # monthly counting would have triggered two weeks earlier
    assert rules.nosia_fs_trigger(
        weekly, is_weekly=False, as_of=start + timedelta(weeks=3)
    ) == start + timedelta(weeks=1)


def test_within_14_days_beginning_with_counts_the_first_day():
    assert rules.nosia_fs_send_by(date(2024, 3, 31)) == date(2024, 4, 13)


@given(days)
def test_nosia_window_is_fourteen_days_counting_the_trigger(trigger):
    send_by = rules.nosia_fs_send_by(trigger)
    assert (send_by - trigger).days + 1 == 14


# ---------------------------------------------------------------------------- UK-NOSIA-RA


def test_nosia_ra_two_consecutive_missed_payments():
    schedule = monthly(date(2024, 1, 15), 4, [10, 0, 10, 0], amount=10)
    assert rules.nosia_ra_trigger(schedule, as_of=date(2024, 4, 20)) is None
    schedule = monthly(date(2024, 1, 15), 4, [10, 10, 0, 0], amount=10)
    assert rules.nosia_ra_trigger(schedule, as_of=date(2024, 4, 20)) == date(2024, 4, 15)
    assert rules.nosia_ra_send_by(date(2024, 4, 15)) == date(2024, 5, 15)


# ---------------------------------------------------------------------------- what the deciders read


schedules = st.lists(
    st.tuples(  # few distinct amounts, so ties and zero dues (the edge cases) come up often
        st.sampled_from([1, 7, 14, 30]), st.sampled_from([0, 50, 100]), st.sampled_from([0, 25, 50, 100, 150])
    ),
    min_size=0,
    max_size=14,
).map(
    lambda items: [
        Due(date(2024, 1, 1) + timedelta(days=sum(gap for gap, _, _ in items[: n + 1])), due, paid)
        for n, (_, due, paid) in enumerate(items)
    ]
)


@settings(max_examples=400)
@given(schedule=schedules, weekly=st.booleans(), extra_days=st.integers(0, 60))
def test_the_triggers_decide_the_same_on_the_arrears_history_as_on_the_whole_schedule(
    schedule, weekly, extra_days
):
    """The nightly decider reads only ``arrears_history`` (from 3 instalments before the first unpaid one)."""
    as_of = (
        (schedule[-1].due_on if schedule else date(2024, 1, 1))
        - timedelta(days=30)
        + timedelta(days=extra_days)
    )
    history = rules.arrears_history(schedule, as_of=as_of)
    assert rules.nosia_fs_trigger(history, is_weekly=weekly, as_of=as_of) == rules.nosia_fs_trigger(
        schedule, is_weekly=weekly, as_of=as_of
    )
    assert rules.nosia_ra_trigger(history, as_of=as_of) == rules.nosia_ra_trigger(schedule, as_of=as_of)
    assert len(history) <= len(schedule)


def test_the_arrears_history_leaves_out_paid_history_long_before_the_arrears():
    schedule = monthly(date(2023, 1, 31), 12, [100] * 8 + [0, 0, 0, 0])
    history = rules.arrears_history(schedule, as_of=date(2024, 1, 31))
    assert [item.due_on for item in history] == [item.due_on for item in schedule[5:]]
    assert rules.arrears_history(monthly(date(2023, 1, 31), 3, [100] * 3), as_of=date(2024, 1, 31)) == []


def test_the_arrears_history_keeps_the_payment_holidays_a_weekly_trigger_sums():
    """Weekly (4 payments): three zero-due weeks (a payment holiday) before the first missed one make that
    first missed week the trigger; the history must still hold those three weeks for it to be found."""
    start = date(2024, 1, 5)
    dues = [(25, 25), (25, 25), (0, 0), (0, 0), (0, 0), (25, 0), (25, 0)]
    weekly = [Due(start + timedelta(weeks=n), due, paid) for n, (due, paid) in enumerate(dues)]
    as_of = start + timedelta(weeks=6)
    assert rules.nosia_fs_trigger(weekly, is_weekly=True, as_of=as_of) == start + timedelta(weeks=5)
    history = rules.arrears_history(weekly, as_of=as_of)
    assert rules.nosia_fs_trigger(history, is_weekly=True, as_of=as_of) == start + timedelta(weeks=5)


# ---------------------------------------------------------------------------- UK-NOSIA-LATE


def test_late_period_runs_from_the_day_after_the_deadline_to_the_day_given():
    assert rules.nosia_late_period(date(2024, 4, 13), date(2024, 4, 13), as_of=date(2024, 5, 1)) is None
    assert rules.nosia_late_period(date(2024, 4, 13), None, as_of=date(2024, 4, 13)) is None
    assert rules.nosia_late_period(date(2024, 4, 13), None, as_of=date(2024, 4, 14)) == (
        date(2024, 4, 14),
        None,
    )
    assert rules.nosia_late_period(date(2024, 4, 13), date(2024, 4, 20), as_of=date(2024, 5, 1)) == (
        date(2024, 4, 14),
        date(2024, 4, 20),
    )


# ---------------------------------------------------------------------------- UK-DEFAULT


def test_default_service_skips_weekends_and_bank_holidays():
    # Thursday 28 March 2024, Good Friday 29th and Easter Monday 1 April are holidays in England
    assert rules.default_service_date(date(2024, 3, 28), country="GB", region="ENG") == date(2024, 4, 3)
    # Easter Monday is not a holiday in Scotland
    assert rules.default_service_date(date(2024, 3, 28), country="GB", region="SCT") == date(2024, 4, 2)
    assert rules.default_remedy_date(date(2024, 4, 3)) == date(2024, 4, 17)


@given(days, st.sampled_from(["ENG", "WLS", "SCT", "NIR"]), st.one_of(st.none(), days))
def test_remedy_date_is_at_least_14_days_after_service(posted, region, requested):
    service = rules.default_service_date(posted, country="GB", region=region)
    assert service >= posted + timedelta(days=2)
    assert rules.is_business_day(service, country="GB", region=region)
    remedy = rules.default_remedy_date(service, requested=requested)
    assert remedy >= service + timedelta(days=14)
    if requested and requested > service + timedelta(days=14):
        assert remedy == requested


# ---------------------------------------------------------------------------- US-VALIDATION


def test_validation_end_excludes_weekends_and_federal_holidays():
    # sent Friday 28 June 2024: Mon 1, Tue 2, Wed 3, (Thu 4 July holiday), Fri 5, Mon 8 → receipt 8 July
    assert rules.us_assumed_receipt(date(2024, 6, 28)) == date(2024, 7, 8)
    assert rules.validation_period_end(date(2024, 6, 28)) == date(2024, 8, 7)


@given(days)
def test_validation_end_is_thirty_days_after_a_business_day_receipt(sent):
    receipt = rules.us_assumed_receipt(sent)
    assert receipt >= sent + timedelta(days=5)
    assert rules.is_business_day(receipt, country="US", region="")
    assert rules.validation_period_end(sent) == receipt + timedelta(days=30)
