"""Business calendars and bulk deadline arithmetic, shared by every domain that counts time.

A *region* is a bank-holiday calendar: England & Wales (``EAW``), Scotland (``SCT``), Northern Ireland
(``NIR``) or US federal (``US``), built from the ``holidays`` package (never a hand-written list) into a
cached ``numpy.busdaycalendar``. A *time zone* is separate: a US customer counts federal holidays in their
own state's zone. Instants are stored in UTC; deadlines are counted on local dates and turned back into
UTC instants at the local end of business or end of day, so a daylight-saving change never moves a
deadline by an hour.

Every function takes and returns numpy arrays so a million deadlines are a handful of vectorised calls:
instants are ``datetime64[us]`` in UTC, dates are ``datetime64[D]`` local dates. ``*_one`` helpers wrap
them for a single Python value.

Counting conventions (see domain/RULES.md, "Counting time"):

* "N business days after the day of receipt": the receipt day is not counted; a receipt on a weekend or
  holiday counts from the next business day (``add_business_days``).
* "Within N days beginning with": the first day counts (``add_calendar_days(dates, n - 1)``).
* A month later from the 31st is the last day of the next month (``add_months``); G-SAR then rolls a
  non-working day forward to the next working day (``one_month_then_working_day``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import numpy.typing as npt

FIRST_YEAR = 1995
LAST_YEAR = 2080
WEEKMASK = "1111100"  # Monday to Friday

DateArray = npt.NDArray[np.datetime64]
InstantArray = npt.NDArray[np.datetime64]

_MICROS_PER_SECOND = 1_000_000
_MICROS_PER_DAY = 86_400 * _MICROS_PER_SECOND
END_OF_DAY = dt.time(23, 59, 59)


@dataclass(frozen=True)
class Region:
    """A bank-holiday calendar and the time zone used when no customer address says otherwise."""

    code: str
    label: str
    country: str
    subdivision: str | None
    default_time_zone: str


REGIONS: dict[str, Region] = {
    "EAW": Region("EAW", "England & Wales", "GB", "ENG", "Europe/London"),
    "SCT": Region("SCT", "Scotland", "GB", "SCT", "Europe/London"),
    "NIR": Region("NIR", "Northern Ireland", "GB", "NIR", "Europe/London"),
    "US": Region("US", "United States (federal)", "US", None, "America/New_York"),
}
UK_SUBDIVISION_REGIONS = {"ENG": "EAW", "WLS": "EAW", "SCT": "SCT", "NIR": "NIR"}


@dataclass(frozen=True)
class WorkingHours:
    """A team's working day in local time; close of business ends business-day deadlines."""

    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 30)

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("working hours must open before they close")
        if self.opens < dt.time(4, 0):
            raise ValueError("working hours must open after the night's daylight-saving changes (04:00)")

    @property
    def open_seconds(self) -> int:
        return _seconds(self.opens)

    @property
    def close_seconds(self) -> int:
        return _seconds(self.closes)


STANDARD_HOURS = WorkingHours()


def _seconds(moment: dt.time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def region_for(country: str, subdivision: str | None = None) -> str:
    """The calendar region of an address: ENG and WLS share England & Wales; every US state counts federal."""
    if country == "US":
        return "US"
    if country == "GB" and subdivision in UK_SUBDIVISION_REGIONS:
        return UK_SUBDIVISION_REGIONS[subdivision]
    raise ValueError(f"no business calendar for {country}/{subdivision}")


def _region(code: str) -> Region:
    try:
        return REGIONS[code]
    except KeyError:
        raise ValueError(f"unknown calendar region {code!r}; known: {', '.join(REGIONS)}") from None


@cache
def holiday_dates(region: str) -> tuple[dt.date, ...]:
    """Bank holidays of the region from the ``holidays`` package, substitute days included."""
    spec = _region(region)
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    if spec.country == "GB":
        table = holidays.country_holidays("GB", subdiv=spec.subdivision, years=years)
    else:
        table = holidays.country_holidays("US", years=years)
    return tuple(sorted(table.keys()))


@cache
def holiday_names(region: str) -> dict[dt.date, str]:
    spec = _region(region)
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    table = holidays.country_holidays(spec.country, subdiv=spec.subdivision, years=years)
    return dict(table.items())


@cache
def business_calendar(region: str) -> np.busdaycalendar:
    """The region's numpy business-day calendar (Monday–Friday less bank holidays), built once."""
    return np.busdaycalendar(
        weekmask=WEEKMASK, holidays=np.array(holiday_dates(region), dtype="datetime64[D]")
    )


def is_business_day(dates: DateArray, region: str) -> npt.NDArray[np.bool_]:
    return np.is_busday(np.asarray(dates, dtype="datetime64[D]"), busdaycal=business_calendar(region))


# ----------------------------------------------------------------------------------------------------
# Time zones: UTC instants <-> local dates and times, vectorised with a table of offset changes


@cache
def _transitions(time_zone: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """UTC instants (µs) where the zone's offset changes, and the offset (µs) from each onwards.

    Found by sampling every 6 hours from FIRST_YEAR to LAST_YEAR and bisecting each change to the second.
    """
    zone = ZoneInfo(time_zone)
    start = dt.datetime(FIRST_YEAR - 1, 12, 1, tzinfo=dt.UTC)
    end = dt.datetime(LAST_YEAR + 1, 2, 1, tzinfo=dt.UTC)
    step = dt.timedelta(hours=6)

    def offset(moment: dt.datetime) -> dt.timedelta:
        value = moment.astimezone(zone).utcoffset()
        assert value is not None
        return value

    instants = [np.iinfo(np.int64).min // 2]
    offsets = [offset(start)]
    moment, current = start, offsets[0]
    while moment < end:
        following = moment + step
        after = offset(following)
        if after != current:
            low, high = moment, following
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            instants.append(_to_micros(high))
            offsets.append(after)
            current = after
        moment = following
    offsets_micros = [int(value.total_seconds()) * _MICROS_PER_SECOND for value in offsets]
    return np.array(instants, dtype=np.int64), np.array(offsets_micros, dtype=np.int64)


def _to_micros(moment: dt.datetime) -> int:
    delta = moment.astimezone(dt.UTC).replace(tzinfo=None) - dt.datetime(1970, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * _MICROS_PER_SECOND + delta.microseconds


def utc_offsets(instants: InstantArray, time_zone: str) -> npt.NDArray[np.int64]:
    """The zone's UTC offset (µs) at each UTC instant."""
    changes, offsets = _transitions(time_zone)
    micros = np.asarray(instants, dtype="datetime64[us]").astype(np.int64)
    return offsets[np.searchsorted(changes, micros, side="right") - 1]


def local_dates(instants: InstantArray, time_zone: str) -> DateArray:
    """The local calendar date of each UTC instant."""
    micros = np.asarray(instants, dtype="datetime64[us]").astype(np.int64)
    local = micros + utc_offsets(instants, time_zone)
    return (local // _MICROS_PER_DAY).astype("datetime64[D]")


def local_seconds_of_day(instants: InstantArray, time_zone: str) -> npt.NDArray[np.int64]:
    """Seconds since local midnight of each UTC instant."""
    micros = np.asarray(instants, dtype="datetime64[us]").astype(np.int64)
    local = micros + utc_offsets(instants, time_zone)
    return (local % _MICROS_PER_DAY) // _MICROS_PER_SECOND


def local_to_utc(
    dates: DateArray, seconds_of_day: int | npt.NDArray[np.int64], time_zone: str
) -> InstantArray:
    """The UTC instant of local wall time ``seconds_of_day`` on each local date.

    Wall times in a spring-forward gap or an autumn fold resolve like ``fold=0``; deadline times (close of
    business, end of day) are never inside one.
    """
    days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    wall = days * _MICROS_PER_DAY + np.asarray(seconds_of_day, dtype=np.int64) * _MICROS_PER_SECOND
    changes, offsets = _transitions(time_zone)
    first_guess = offsets[np.searchsorted(changes, wall - offsets[0], side="right") - 1]
    guess = offsets[np.searchsorted(changes, wall - first_guess, side="right") - 1]
    return (wall - guess).astype("datetime64[us]")


# ----------------------------------------------------------------------------------------------------
# Date arithmetic on local dates


def add_business_days(dates: DateArray, days: int | npt.NDArray[np.int64], region: str) -> DateArray:
    """The Nth business day *after* each date; the date itself is never counted (D-SRC, D-PSD).

    A date that is not a business day counts from the next business day: received Saturday, the 3rd
    business day after is Wednesday (rolling back to Friday, then forward three).
    """
    calendar = business_calendar(region)
    days_array = np.asarray(days, dtype=np.int64)
    if np.any(days_array < 0):
        raise ValueError("business days are counted forwards")
    after = np.busday_offset(
        np.asarray(dates, dtype="datetime64[D]"), days_array, roll="backward", busdaycal=calendar
    )
    # Zero days after: the day itself when it is a business day, else the next one (never a day before).
    on_or_after = np.busday_offset(
        np.asarray(dates, dtype="datetime64[D]"), 0, roll="forward", busdaycal=calendar
    )
    return np.where(days_array == 0, on_or_after, after)


def next_business_day_on_or_after(dates: DateArray, region: str) -> DateArray:
    return np.busday_offset(
        np.asarray(dates, dtype="datetime64[D]"), 0, roll="forward", busdaycal=business_calendar(region)
    )


def business_days_between(start: DateArray, end: DateArray, region: str) -> npt.NDArray[np.int64]:
    """Business days in [start, end) — how many have passed since ``start`` on ``end``."""
    return np.busday_count(
        np.asarray(start, dtype="datetime64[D]"),
        np.asarray(end, dtype="datetime64[D]"),
        busdaycal=business_calendar(region),
    )


def add_calendar_days(dates: DateArray, days: int | npt.NDArray[np.int64]) -> DateArray:
    return np.asarray(dates, dtype="datetime64[D]") + np.asarray(days, dtype="timedelta64[D]")


def add_weeks(dates: DateArray, weeks: int) -> DateArray:
    """D-8WEEKS: calendar weeks, weekends and holidays included."""
    return add_calendar_days(dates, 7 * weeks)


def add_months(dates: DateArray, months: int) -> DateArray:
    """The same day ``months`` later, or the last day of that month when it has no such day (31 Jan → 28/29 Feb)."""
    days = np.asarray(dates, dtype="datetime64[D]")
    month_start = days.astype("datetime64[M]")
    day_index = (days - month_start.astype("datetime64[D]")).astype(np.int64)
    target = month_start + np.timedelta64(months, "M")
    target_length = (
        (target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")
    ).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(day_index, target_length - 1).astype("timedelta64[D]")


def one_month_then_working_day(dates: DateArray, region: str) -> DateArray:
    """G-SAR: the same date next month (or that month's last day), then the next working day if needed."""
    return next_business_day_on_or_after(add_months(dates, 1), region)


# ----------------------------------------------------------------------------------------------------
# From receipt instants to deadline instants


def receipt_dates(
    received_at: InstantArray,
    time_zone: str,
    *,
    region: str | None = None,
    hours: WorkingHours = STANDARD_HOURS,
    after_close_counts_next_business_day: bool = False,
) -> DateArray:
    """The local day of receipt. Optionally (DISP 1.6.2A's permission) a receipt after close of business or
    on a non-business day is treated as received on the next business day; off by default, which never
    gives a later deadline."""
    dates = local_dates(received_at, time_zone)
    if not after_close_counts_next_business_day:
        return dates
    if region is None:
        raise ValueError("a region is needed to find the next business day")
    late = local_seconds_of_day(received_at, time_zone) >= hours.close_seconds
    shifted = np.where(late, dates + np.timedelta64(1, "D"), dates)
    return next_business_day_on_or_after(shifted, region)


def close_of_business(dates: DateArray, time_zone: str, hours: WorkingHours = STANDARD_HOURS) -> InstantArray:
    """The UTC instant of local close of business on each date."""
    return local_to_utc(dates, hours.close_seconds, time_zone)


def end_of_day(dates: DateArray, time_zone: str) -> InstantArray:
    """The UTC instant of 23:59:59 local on each date (calendar deadlines run to the end of their day)."""
    return local_to_utc(dates, _seconds(END_OF_DAY), time_zone)


def end_of_nth_business_day_after(
    received_at: InstantArray,
    days: int | npt.NDArray[np.int64],
    region: str,
    time_zone: str,
    *,
    hours: WorkingHours = STANDARD_HOURS,
    after_close_counts_next_business_day: bool = False,
) -> tuple[InstantArray, DateArray]:
    """D-SRC (N=3), D-PSD (N=15, 35): close of business on the Nth business day after the day of receipt."""
    received_on = receipt_dates(
        received_at,
        time_zone,
        region=region,
        hours=hours,
        after_close_counts_next_business_day=after_close_counts_next_business_day,
    )
    due = add_business_days(received_on, days, region)
    return close_of_business(due, time_zone, hours), due


def end_of_calendar_weeks_after(
    received_at: InstantArray, weeks: int, time_zone: str
) -> tuple[InstantArray, DateArray]:
    """D-8WEEKS: the end of the day 8 calendar weeks after the day of receipt."""
    due = add_weeks(local_dates(received_at, time_zone), weeks)
    return end_of_day(due, time_zone), due


def end_of_one_month_working_day(
    received_at: InstantArray, region: str, time_zone: str
) -> tuple[InstantArray, DateArray]:
    """G-SAR: one month from the day of receipt, rolled to a working day, to the end of that day."""
    due = one_month_then_working_day(local_dates(received_at, time_zone), region)
    return end_of_day(due, time_zone), due


def add_business_hours(
    start_at: InstantArray,
    seconds: int | npt.NDArray[np.int64],
    region: str,
    time_zone: str,
    hours: WorkingHours = STANDARD_HOURS,
) -> InstantArray:
    """Working time: the clock runs only in working hours on business days (SLA first-response targets).

    Work arriving outside working hours starts at the next opening; a target that ends exactly at close
    of business stays on that day rather than moving to the next opening.
    """
    opens = hours.open_seconds * _MICROS_PER_SECOND
    length = hours.close_seconds * _MICROS_PER_SECOND - opens
    micros = np.asarray(start_at, dtype="datetime64[us]").astype(np.int64)
    local = micros + utc_offsets(start_at, time_zone)
    dates = (local // _MICROS_PER_DAY).astype("datetime64[D]")
    clock = local % _MICROS_PER_DAY
    roll = ~is_business_day(dates, region) | (clock >= opens + length)
    start_dates = np.where(roll, next_business_day_on_or_after(add_calendar_days(dates, 1), region), dates)
    elapsed = np.where(roll, 0, np.clip(clock - opens, 0, length))
    total = elapsed + np.asarray(seconds, dtype=np.int64) * _MICROS_PER_SECOND
    whole_days, remainder = np.divmod(total, length)
    at_close = (remainder == 0) & (whole_days > 0)
    whole_days = np.where(at_close, whole_days - 1, whole_days)
    remainder = np.where(at_close, length, remainder)
    end_dates = np.busday_offset(start_dates, whole_days, roll="forward", busdaycal=business_calendar(region))
    wall = end_dates.astype(np.int64) * _MICROS_PER_DAY + opens + remainder
    changes, offsets = _transitions(time_zone)
    first_guess = offsets[np.searchsorted(changes, wall - offsets[0], side="right") - 1]
    guess = offsets[np.searchsorted(changes, wall - first_guess, side="right") - 1]
    return (wall - guess).astype("datetime64[us]")


# ----------------------------------------------------------------------------------------------------
# Single values


def as_instants(moments: Iterable[dt.datetime]) -> InstantArray:
    """Aware datetimes to a UTC ``datetime64[us]`` array."""
    values = []
    for moment in moments:
        if moment.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        values.append(moment.astimezone(dt.UTC).replace(tzinfo=None))
    return np.array(values, dtype="datetime64[us]")


def as_dates(days: Sequence[dt.date]) -> DateArray:
    return np.array(days, dtype="datetime64[D]")


def to_datetime(instant: np.datetime64) -> dt.datetime:
    """A UTC ``datetime64`` to an aware Python datetime."""
    micros = int(np.asarray(instant, dtype="datetime64[us]").astype(np.int64))
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def to_date(day: np.datetime64) -> dt.date:
    return dt.date.fromordinal(
        dt.date(1970, 1, 1).toordinal() + int(np.asarray(day, dtype="datetime64[D]").astype(np.int64))
    )


# ----------------------------------------------------------------------------------------------------
# The straightforward reference: one item at a time, walking day by day with zoneinfo and ``holidays``.
# Slow on purpose; tests and the benchmark check the vectorised functions against it.


class DayWalker:
    """Per-item deadline arithmetic by walking the calendar one day at a time (the reference)."""

    def __init__(self, region: str, time_zone: str, hours: WorkingHours = STANDARD_HOURS) -> None:
        spec = _region(region)
        self.holidays = holidays.country_holidays(
            spec.country, subdiv=spec.subdivision, years=range(FIRST_YEAR, LAST_YEAR + 1)
        )
        self.zone = ZoneInfo(time_zone)
        self.hours = hours

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()

    def at(self, day: dt.date, moment: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, moment, tzinfo=self.zone).astimezone(dt.UTC)

    def nth_business_day_after(self, day: dt.date, count: int) -> dt.date:
        while count == 0 and not self.is_business_day(day):
            day += dt.timedelta(days=1)
        while count > 0:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                count -= 1
        return day

    def end_of_nth_business_day_after(self, received_at: dt.datetime, count: int) -> dt.datetime:
        return self.at(self.nth_business_day_after(self.local_date(received_at), count), self.hours.closes)

    def end_of_weeks_after(self, received_at: dt.datetime, weeks: int) -> dt.datetime:
        return self.at(self.local_date(received_at) + dt.timedelta(weeks=weeks), END_OF_DAY)

    def one_month_then_working_day(self, day: dt.date) -> dt.date:
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        target = None
        probe = day.day
        while target is None:
            try:
                target = dt.date(year, month, probe)
            except ValueError:
                probe -= 1
        while not self.is_business_day(target):
            target += dt.timedelta(days=1)
        return target


def working_seconds_between(
    start_at: InstantArray,
    end_at: InstantArray,
    region: str,
    time_zone: str,
    hours: WorkingHours = STANDARD_HOURS,
) -> npt.NDArray[np.int64]:
    """Seconds of working time between two instants (how long a stopped SLA clock was stopped)."""

    def position(instants: InstantArray) -> npt.NDArray[np.int64]:
        micros = np.asarray(instants, dtype="datetime64[us]").astype(np.int64)
        local = micros + utc_offsets(instants, time_zone)
        dates = (local // _MICROS_PER_DAY).astype("datetime64[D]")
        clock = local % _MICROS_PER_DAY // _MICROS_PER_SECOND
        length = hours.close_seconds - hours.open_seconds
        before = np.busday_count(np.datetime64("1970-01-01"), dates, busdaycal=business_calendar(region))
        today = np.where(is_business_day(dates, region), np.clip(clock - hours.open_seconds, 0, length), 0)
        return before.astype(np.int64) * length + today

    return np.maximum(position(end_at) - position(start_at), 0)
