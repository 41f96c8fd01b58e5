"""Business calendars: the vectorised arithmetic agrees with a day-walking reference, and the counting edges hold."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpath.core import calendars as c

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
ZONES = {"EAW": "Europe/London", "SCT": "Europe/London", "NIR": "Europe/London", "US": "America/New_York"}

instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2070, 12, 31), timezones=st.just(dt.UTC)
)
regions = st.sampled_from(sorted(c.REGIONS))


def local(year, month, day, hour=12, minute=0, zone=LONDON) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def one(function, received: dt.datetime, *args, **kwargs) -> tuple[dt.datetime, dt.date]:
    due_at, due_date = function(c.as_instants([received]), *args, **kwargs)
    return c.to_datetime(due_at[0]), c.to_date(due_date[0])


def src(received: dt.datetime, region: str = "EAW", **kwargs) -> tuple[dt.datetime, dt.date]:
    return one(c.end_of_nth_business_day_after, received, 3, region, ZONES[region], **kwargs)


# ----------------------------------------------------------------------------------------------------
# Property tests against the day-walking reference


@settings(max_examples=150, deadline=None)
@given(st.lists(instants, min_size=1, max_size=40), regions, st.integers(min_value=0, max_value=40))
def test_business_day_deadlines_match_the_day_walking_reference(moments, region, days):
    walker = c.DayWalker(region, ZONES[region])
    due_at, due_date = c.end_of_nth_business_day_after(c.as_instants(moments), days, region, ZONES[region])
    for moment, at, on in zip(moments, due_at, due_date, strict=True):
        expected = walker.end_of_nth_business_day_after(moment, days)
        assert c.to_datetime(at) == expected
        assert c.to_date(on) == expected.astimezone(walker.zone).date()


@settings(max_examples=150, deadline=None)
@given(st.lists(instants, min_size=1, max_size=40), regions)
def test_eight_weeks_and_one_month_match_the_reference(moments, region):
    walker = c.DayWalker(region, ZONES[region])
    weeks_at, _ = c.end_of_calendar_weeks_after(c.as_instants(moments), 8, ZONES[region])
    sar_at, sar_on = c.end_of_one_month_working_day(c.as_instants(moments), region, ZONES[region])
    for moment, weeks, sar, sar_day in zip(moments, weeks_at, sar_at, sar_on, strict=True):
        assert c.to_datetime(weeks) == walker.end_of_weeks_after(moment, 8)
        expected_day = walker.one_month_then_working_day(walker.local_date(moment))
        assert c.to_date(sar_day) == expected_day
        assert c.to_datetime(sar) == walker.at(expected_day, c.END_OF_DAY)


@settings(max_examples=200, deadline=None)
@given(instants, st.sampled_from(["Europe/London", "America/New_York", "America/Los_Angeles"]))
def test_local_dates_and_times_match_zoneinfo(moment, zone_name):
    zone = ZoneInfo(zone_name)
    array = c.as_instants([moment])
    wall = moment.astimezone(zone)
    assert c.to_date(c.local_dates(array, zone_name)[0]) == wall.date()
    assert (
        int(c.local_seconds_of_day(array, zone_name)[0]) == wall.hour * 3600 + wall.minute * 60 + wall.second
    )
    back = c.local_to_utc(c.as_dates([wall.date()]), 17 * 3600, zone_name)[0]
    assert c.to_datetime(back) == dt.datetime.combine(wall.date(), dt.time(17), tzinfo=zone)


@settings(max_examples=150, deadline=None)
@given(instants, regions, st.integers(min_value=1, max_value=60 * 3600))
def test_business_hours_never_count_nights_weekends_or_holidays(moment, region, seconds):
    """Walking minute by minute through working time would be slow; instead check the invariants."""
    zone = ZONES[region]
    due = c.to_datetime(c.add_business_hours(c.as_instants([moment]), seconds, region, zone)[0])
    walker = c.DayWalker(region, zone)
    wall = due.astimezone(walker.zone)
    assert walker.is_business_day(wall.date())
    assert dt.time(9) < wall.time() <= dt.time(17, 30)
    assert due > moment
    # The working seconds between start and due, counted day by day, equal the target.
    counted = 0
    day = moment.astimezone(walker.zone).date()
    while day <= wall.date():
        if walker.is_business_day(day):
            opens = max(walker.at(day, dt.time(9)), moment)
            closes = min(walker.at(day, dt.time(17, 30)), due)
            counted += max((closes - opens) // dt.timedelta(microseconds=1), 0)
        day += dt.timedelta(days=1)
    assert counted == seconds * 1_000_000


# ----------------------------------------------------------------------------------------------------
# Calendars per region


def test_regions_come_from_the_holidays_package_with_their_differences():
    assert c.region_for("GB", "ENG") == c.region_for("GB", "WLS") == "EAW"
    assert c.region_for("US", "CA") == "US"
    eaw, sct, nir = (set(c.holiday_dates(code)) for code in ("EAW", "SCT", "NIR"))
    assert dt.date(2024, 4, 1) in eaw and dt.date(2024, 4, 1) not in sct  # Easter Monday
    assert dt.date(2024, 1, 2) in sct and dt.date(2024, 1, 2) not in eaw  # 2 January
    assert dt.date(2024, 12, 2) in sct  # St Andrew's Day (observed: 30 Nov was a Saturday)
    assert dt.date(2024, 7, 12) in nir and dt.date(2024, 7, 12) not in eaw  # Battle of the Boyne
    assert dt.date(2024, 3, 18) in nir  # St Patrick's Day (observed)
    assert dt.date(2024, 8, 5) in sct and dt.date(2024, 8, 26) in eaw  # summer bank holidays differ
    assert dt.date(2025, 6, 19) in set(c.holiday_dates("US"))  # Juneteenth
    with pytest.raises(ValueError):
        c.region_for("FR", None)


# ----------------------------------------------------------------------------------------------------
# D-SRC edges: end of the 3rd business day after the day of receipt


def test_friday_evening_receipt_counts_friday_as_the_day_of_receipt():
    due_at, due_on = src(local(2024, 6, 14, 19, 30))  # Friday evening
    assert due_on == dt.date(2024, 6, 19)  # Mon 1, Tue 2, Wed 3
    assert due_at == local(2024, 6, 19, 17, 30)


def test_friday_evening_receipt_may_be_treated_as_next_business_day():
    """DISP 1.6.2A permits it; the firm opts in, and then Monday is the day of receipt."""
    due_at, due_on = src(local(2024, 6, 14, 19, 30), after_close_counts_next_business_day=True)
    assert due_on == dt.date(2024, 6, 20)
    before_close, _ = src(local(2024, 6, 14, 17, 0), after_close_counts_next_business_day=True)
    assert before_close.date() == dt.date(2024, 6, 19)


def test_weekend_receipt_counts_from_monday():
    assert src(local(2024, 6, 15))[1] == dt.date(2024, 6, 19)  # Saturday: Mon, Tue, Wed
    assert src(local(2024, 6, 16))[1] == dt.date(2024, 6, 19)  # Sunday


@pytest.mark.parametrize(
    ("region", "received", "expected"),
    [
        # Easter: England & Wales and NI skip Good Friday and Easter Monday; Scotland only Good Friday.
        ("EAW", dt.date(2024, 3, 28), dt.date(2024, 4, 4)),
        ("NIR", dt.date(2024, 3, 28), dt.date(2024, 4, 4)),
        ("SCT", dt.date(2024, 3, 28), dt.date(2024, 4, 3)),
        # St Andrew's Day (observed Monday 2 December 2024) only in Scotland.
        ("SCT", dt.date(2024, 11, 29), dt.date(2024, 12, 5)),
        ("EAW", dt.date(2024, 11, 29), dt.date(2024, 12, 4)),
        # 12 July 2024 (Friday): Battle of the Boyne in Northern Ireland only.
        ("NIR", dt.date(2024, 7, 10), dt.date(2024, 7, 16)),
        ("EAW", dt.date(2024, 7, 10), dt.date(2024, 7, 15)),
        # 2 January is a Scottish bank holiday.
        ("SCT", dt.date(2024, 12, 31), dt.date(2025, 1, 7)),
        ("EAW", dt.date(2024, 12, 31), dt.date(2025, 1, 6)),
        # Summer bank holiday: first Monday of August in Scotland, last Monday in England & Wales.
        ("SCT", dt.date(2024, 8, 2), dt.date(2024, 8, 8)),
        ("EAW", dt.date(2024, 8, 2), dt.date(2024, 8, 7)),
        ("EAW", dt.date(2024, 8, 23), dt.date(2024, 8, 29)),
        ("SCT", dt.date(2024, 8, 23), dt.date(2024, 8, 28)),
        # Just after a bank holiday, nothing is skipped.
        ("EAW", dt.date(2024, 4, 2), dt.date(2024, 4, 5)),
        # US federal: Juneteenth 2025 (Thursday).
        ("US", dt.date(2025, 6, 17), dt.date(2025, 6, 23)),
    ],
)
def test_summary_resolution_skips_each_regions_own_bank_holidays(region, received, expected):
    zone = ZoneInfo(ZONES[region])
    due_at, due_on = src(dt.datetime.combine(received, dt.time(11), tzinfo=zone), region)
    assert due_on == expected
    assert due_at == dt.datetime.combine(expected, dt.time(17, 30), tzinfo=zone)


def test_receipt_on_a_bank_holiday_counts_from_the_next_business_day():
    assert src(local(2024, 4, 1), "EAW")[1] == dt.date(2024, 4, 4)  # Easter Monday: Tue, Wed, Thu
    assert src(local(2024, 4, 1), "SCT")[1] == dt.date(2024, 4, 4)  # a working day in Scotland


def test_deadlines_across_the_daylight_saving_change_keep_local_close_of_business():
    # Received Thursday 28 March 2024 (GMT); due Thursday 4 April (BST): 17:30 local is 16:30 UTC.
    due_at, _ = src(local(2024, 3, 28, 10), "EAW")
    assert due_at == dt.datetime(2024, 4, 4, 16, 30, tzinfo=dt.UTC)
    # Received Friday 25 October 2024 (BST); due Wednesday 30 October (GMT): 17:30 UTC.
    due_at, _ = src(local(2024, 10, 25, 10), "EAW")
    assert due_at == dt.datetime(2024, 10, 30, 17, 30, tzinfo=dt.UTC)
    # The day of receipt is the local date: 23:30 UTC on 26 October is 00:30 BST on Sunday 27 October.
    assert src(dt.datetime(2024, 10, 26, 23, 30, tzinfo=dt.UTC))[1] == dt.date(2024, 10, 30)
    assert src(dt.datetime(2024, 10, 25, 23, 30, tzinfo=dt.UTC))[1] == dt.date(2024, 10, 30)
    # New York, the night its clocks go forward (10 March 2024): 04:30 UTC is still Saturday evening.
    assert src(dt.datetime(2024, 3, 10, 4, 30, tzinfo=dt.UTC), "US")[1] == dt.date(2024, 3, 13)


# ----------------------------------------------------------------------------------------------------
# D-8WEEKS, D-PSD


def test_eight_weeks_is_calendar_time_to_the_end_of_the_day():
    due_at, due_on = one(c.end_of_calendar_weeks_after, local(2024, 3, 1, 16), 8, "Europe/London")
    assert due_on == dt.date(2024, 4, 26)
    assert due_at == dt.datetime(2024, 4, 26, 23, 59, 59, tzinfo=LONDON)
    # Over Christmas nothing pauses; a Saturday deadline stays on Saturday.
    assert one(c.end_of_calendar_weeks_after, local(2024, 11, 2), 8, "Europe/London")[1] == dt.date(
        2024, 12, 28
    )


def test_payment_services_counts_15_and_35_business_days():
    received = local(2024, 12, 10, 15)
    assert one(c.end_of_nth_business_day_after, received, 15, "EAW", "Europe/London")[1] == dt.date(
        2025, 1, 3
    )
    assert one(c.end_of_nth_business_day_after, received, 15, "SCT", "Europe/London")[1] == dt.date(
        2025, 1, 6
    )
    assert one(c.end_of_nth_business_day_after, received, 35, "EAW", "Europe/London")[1] == dt.date(
        2025, 1, 31
    )


# ----------------------------------------------------------------------------------------------------
# G-SAR: one month


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28)),  # no 31 February: last day (a Friday)
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29)),  # leap year
        (dt.date(2024, 1, 29), dt.date(2024, 2, 29)),
        (dt.date(2024, 3, 31), dt.date(2024, 4, 30)),
        (dt.date(2024, 8, 31), dt.date(2024, 9, 30)),
        (dt.date(2023, 1, 31), dt.date(2023, 2, 28)),  # Tuesday
        (dt.date(2026, 1, 31), dt.date(2026, 3, 2)),  # 28 Feb 2026 is a Saturday: next working day Monday
        (dt.date(2024, 12, 25), dt.date(2025, 1, 27)),  # 25 Jan 2025 is a Saturday
        (dt.date(2024, 4, 26), dt.date(2024, 5, 28)),  # 26 May Sunday, 27 May bank holiday
        (dt.date(2024, 12, 31), dt.date(2025, 1, 31)),  # across the year end
    ],
)
def test_sar_is_the_same_date_next_month_or_the_last_day_then_a_working_day(received, expected):
    due_at, due_on = one(
        c.end_of_one_month_working_day,
        local(received.year, received.month, received.day),
        "EAW",
        "Europe/London",
    )
    assert due_on == expected
    assert due_at == dt.datetime.combine(expected, c.END_OF_DAY, tzinfo=LONDON)


def test_sar_rolls_past_regional_holidays():
    # 2 December 2024 is St Andrew's Day (observed) in Scotland only.
    received = local(2024, 11, 2)
    assert one(c.end_of_one_month_working_day, received, "SCT", "Europe/London")[1] == dt.date(2024, 12, 3)
    assert one(c.end_of_one_month_working_day, received, "EAW", "Europe/London")[1] == dt.date(2024, 12, 2)


def test_add_months_handles_whole_arrays_of_month_ends():
    days = np.arange("2024-01-01", "2025-01-01", dtype="datetime64[D]")
    result = c.add_months(days, 1)
    for day, later in zip(days[::7], result[::7], strict=True):
        start, end = c.to_date(day), c.to_date(later)
        assert end.month == start.month % 12 + 1
        assert end.day == start.day or (end + dt.timedelta(days=1)).day == 1


# ----------------------------------------------------------------------------------------------------
# Business hours


def test_business_hours_start_at_the_next_opening_and_stop_at_close():
    friday_evening = c.as_instants([local(2024, 6, 14, 19)])
    due = c.to_datetime(c.add_business_hours(friday_evening, 4 * 3600, "EAW", "Europe/London")[0])
    assert due == local(2024, 6, 17, 13)
    full_day = c.to_datetime(
        c.add_business_hours(c.as_instants([local(2024, 6, 17, 9)]), int(8.5 * 3600), "EAW", "Europe/London")[
            0
        ]
    )
    assert full_day == local(2024, 6, 17, 17, 30)


def test_working_hours_must_be_sane():
    with pytest.raises(ValueError):
        c.WorkingHours(dt.time(18), dt.time(9))
    with pytest.raises(ValueError):
        c.WorkingHours(dt.time(1), dt.time(9))
