"""The SLA engine: every deadline of many cases computed in a few vectorised calls per calendar.

Regulatory deadlines (D-SRC, D-8WEEKS, D-PSD, D-PSD-35, G-SAR) come from ``rules.regulatory_deadlines_for``;
internal targets from the client's ``SlaPolicy`` rows. Cases are grouped by (region, time zone, rule) and
each group is one array computation in ``core.calendars`` — never a day-by-day loop.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from fairpath.cases import rules
from fairpath.core import calendars

REGULATORY_WARNING_PERCENT = 75


@dataclass(frozen=True)
class DeadlineRequest:
    """What the engine needs about one case."""

    key: int
    case_type: str
    category: str
    received_at: dt.datetime
    region: str
    time_zone: str


@dataclass(frozen=True)
class PolicyTarget:
    """One target of an SLA policy (first response or resolution), as plain data."""

    policy_id: int | None
    name: str
    case_type: str
    category: str
    target: int
    unit: str
    warning_percent: int

    @property
    def rule(self) -> str:
        return self.name

    def applies_to(self, case_type: str, category: str) -> bool:
        return self.case_type == case_type and self.category in ("", category)


@dataclass(frozen=True)
class ComputedDeadline:
    key: int
    rule: str
    label: str
    is_regulatory: bool
    policy_id: int | None
    due_at: dt.datetime
    due_date: dt.date
    warn_at: dt.datetime


def regulatory_due(
    received_at: calendars.InstantArray,
    deadline: rules.RegulatoryDeadline,
    region: str,
    time_zone: str,
    hours: calendars.WorkingHours = calendars.STANDARD_HOURS,
) -> tuple[calendars.InstantArray, calendars.DateArray]:
    """Due instants (UTC) and local due dates of one regulatory deadline for an array of receipts."""
    if deadline.counting == "business_days":
        return calendars.end_of_nth_business_day_after(
            received_at, deadline.amount, region, time_zone, hours=hours
        )
    if deadline.counting == "calendar_weeks":
        return calendars.end_of_calendar_weeks_after(received_at, deadline.amount, time_zone)
    if deadline.counting == "one_month_working_day":
        return calendars.end_of_one_month_working_day(received_at, region, time_zone)
    raise ValueError(f"unknown counting {deadline.counting!r}")


def policy_due(
    start_at: calendars.InstantArray,
    target: int,
    unit: str,
    region: str,
    time_zone: str,
    hours: calendars.WorkingHours = calendars.STANDARD_HOURS,
) -> tuple[calendars.InstantArray, calendars.DateArray]:
    """Due instants and local dates of an SLA target counted from ``start_at``."""
    if unit == "business_days":
        return calendars.end_of_nth_business_day_after(start_at, target, region, time_zone, hours=hours)
    if unit == "business_hours":
        due_at = calendars.add_business_hours(start_at, target * 3600, region, time_zone, hours)
    elif unit == "calendar_days":
        due = calendars.add_calendar_days(calendars.local_dates(start_at, time_zone), target)
        return calendars.end_of_day(due, time_zone), due
    elif unit == "calendar_hours":
        due_at = (
            np.asarray(start_at, dtype="datetime64[us]").astype(np.int64) + target * 3_600_000_000
        ).astype("datetime64[us]")
    else:
        raise ValueError(f"unknown unit {unit!r}")
    return due_at, calendars.local_dates(due_at, time_zone)


def warning_instants(
    start_at: calendars.InstantArray, due_at: calendars.InstantArray, percent: int
) -> calendars.InstantArray:
    """When ``percent`` of the time from start to due has passed."""
    start = np.asarray(start_at, dtype="datetime64[us]").astype(np.int64)
    due = np.asarray(due_at, dtype="datetime64[us]").astype(np.int64)
    return (start + (due - start) * percent // 100).astype("datetime64[us]")


def compute_deadlines(
    requests: Sequence[DeadlineRequest],
    policies: Iterable[PolicyTarget] = (),
    hours: calendars.WorkingHours = calendars.STANDARD_HOURS,
) -> list[ComputedDeadline]:
    """Every deadline of every request: grouped by (region, zone, rule) and computed array by array."""
    policy_list = list(policies)
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    specs: dict[str, tuple[str, bool, rules.RegulatoryDeadline | PolicyTarget]] = {}
    for index, request in enumerate(requests):
        for deadline in rules.regulatory_deadlines_for(request.case_type, request.category):
            groups[(request.region, request.time_zone, deadline.rule)].append(index)
            specs[deadline.rule] = (deadline.label, True, deadline)
        for policy in policy_list:
            if policy.applies_to(request.case_type, request.category):
                groups[(request.region, request.time_zone, policy.rule)].append(index)
                specs[policy.rule] = (policy.name, False, policy)
    results: list[ComputedDeadline] = []
    for (region, time_zone, rule), indexes in groups.items():
        label, is_regulatory, spec = specs[rule]
        received = calendars.as_instants(requests[i].received_at for i in indexes)
        if isinstance(spec, rules.RegulatoryDeadline):
            due_at, due_date = regulatory_due(received, spec, region, time_zone, hours)
            percent, policy_id = REGULATORY_WARNING_PERCENT, None
        else:
            due_at, due_date = policy_due(received, spec.target, spec.unit, region, time_zone, hours)
            percent, policy_id = spec.warning_percent, spec.policy_id
        warn_at = warning_instants(received, due_at, percent)
        for position, index in enumerate(indexes):
            results.append(
                ComputedDeadline(
                    key=requests[index].key,
                    rule=rule,
                    label=label,
                    is_regulatory=is_regulatory,
                    policy_id=policy_id,
                    due_at=calendars.to_datetime(due_at[position]),
                    due_date=calendars.to_date(due_date[position]),
                    warn_at=calendars.to_datetime(warn_at[position]),
                )
            )
    results.sort(key=lambda item: (item.key, item.due_at, item.rule))
    return results


def extend_after_clock_stop(
    due_at: dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    unit: str,
    region: str,
    time_zone: str,
    hours: calendars.WorkingHours = calendars.STANDARD_HOURS,
) -> tuple[dt.datetime, dt.date]:
    """A stopped SLA clock: the deadline moves on by the time stopped, measured in the policy's own unit."""
    due = calendars.as_instants([due_at])
    if unit in ("business_days", "business_hours"):
        stopped = calendars.working_seconds_between(
            calendars.as_instants([paused_at]), calendars.as_instants([resumed_at]), region, time_zone, hours
        )
        new_due = calendars.add_business_hours(
            due - np.timedelta64(1, "s"), stopped + 1, region, time_zone, hours
        )
    else:
        new_due = due + np.timedelta64(resumed_at - paused_at)
    return calendars.to_datetime(new_due[0]), calendars.to_date(calendars.local_dates(new_due, time_zone)[0])
