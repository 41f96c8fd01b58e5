"""Reads of cases, already narrowed to the user's clients; the complaints MI and the D-RETURN figures.

The MI is computed with a few aggregate queries over the whole period (grouped in the database or in one
pass over narrow value rows), never one query per complaint.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from fairpath.cases import rules
from fairpath.cases.models import (
    Case,
    CaseDeadline,
    ComplaintOutcome,
    Escalation,
    OmbudsmanReferral,
)
from fairpath.governance.access import client_ids_for

PAGE_SIZE = 25


def cases_for(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(client_id__in=client_ids_for(user))


@dataclass
class CaseFilters:
    case_type: str = ""
    status: str = ""
    category: str = ""
    deadline: str = ""  # "", "at_risk", "breached"
    customer_id: int | None = None
    query: str = ""


def case_list(user: Any, filters: CaseFilters, now: dt.datetime | None = None) -> QuerySet[Case]:
    """Cases for the list page and API, newest receipt first, with their next open deadline prefetched."""
    now = now or timezone.now()
    cases = cases_for(user)
    if filters.case_type:
        cases = cases.filter(case_type=filters.case_type)
    if filters.status == "open":
        cases = cases.filter(status__in=[status.value for status in rules.OPEN_STATUSES])
    elif filters.status:
        cases = cases.filter(status=filters.status)
    if filters.category:
        cases = cases.filter(category=filters.category)
    if filters.customer_id:
        cases = cases.filter(customer_id=filters.customer_id)
    if filters.query:
        cases = cases.filter(
            Q(reference__iexact=filters.query.strip()) | Q(summary__icontains=filters.query.strip())
        )
    open_deadlines = CaseDeadline.objects.filter(
        case=OuterRef("pk"), met_at__isnull=True, paused_at__isnull=True
    )
    if filters.deadline == "breached":
        cases = cases.filter(Exists(open_deadlines.filter(due_at__lte=now)))
    elif filters.deadline == "at_risk":
        cases = cases.filter(Exists(open_deadlines.filter(warn_at__lte=now, due_at__gt=now)))
    return cases.select_related("customer", "agreement", "owner", "outcome").prefetch_related(
        Prefetch("deadlines", queryset=CaseDeadline.objects.order_by("due_at"))
    )


def case_page(user: Any, case_id: int) -> Case | None:
    return (
        cases_for(user)
        .filter(pk=case_id)
        .select_related(
            "customer",
            "agreement",
            "owner",
            "client",
            "converted_from",
            "merged_into",
            "pending_approval",
            "outcome",
        )
        .prefetch_related(
            Prefetch("deadlines", queryset=CaseDeadline.objects.order_by("due_at")),
            "notes",
            "status_changes",
            "escalations",
            "letters",
            "attachments",
            "ombudsman_referrals",
            "links_out__to_case",
            "links_in__from_case",
        )
        .first()
    )


def deadline_state(deadline: CaseDeadline, now: dt.datetime) -> str:
    """met / breached / at_risk / paused / on_track — for ageing badges."""
    if deadline.met_at is not None:
        return "met_late" if deadline.met_at > deadline.due_at else "met"
    if deadline.paused_at is not None:
        return "paused"
    if deadline.due_at <= now:
        return "breached"
    if deadline.warn_at <= now:
        return "at_risk"
    return "on_track"


# ----------------------------------------------------------------------------------------------------
# Complaints MI and the half-yearly return (D-RETURN)


@dataclass
class GroupFigures:
    """Complaint figures of one product group or root cause."""

    received: int = 0
    closed: int = 0
    closed_within_3_business_days: int = 0
    closed_within_8_weeks: int = 0
    closed_later: int = 0
    upheld: int = 0
    partly_upheld: int = 0
    not_upheld: int = 0
    redress_minor: int = 0

    @property
    def uphold_rate(self) -> float | None:
        return None if not self.closed else round(100 * (self.upheld + self.partly_upheld) / self.closed, 1)


@dataclass
class ComplaintsMI:
    start: dt.date
    end: dt.date
    total: GroupFigures
    by_product: dict[str, GroupFigures]
    by_root_cause: dict[str, GroupFigures]
    open_by_age: dict[str, int]
    fos_referred: int
    fos_decided: int
    fos_overturned: int
    currency: str = "GBP"
    by_category: dict[str, int] = field(default_factory=dict)

    @property
    def fos_overturn_rate(self) -> float | None:
        return None if not self.fos_decided else round(100 * self.fos_overturned / self.fos_decided, 1)


def _in_band(business_days: int, closed_at: dt.datetime, received_at: dt.datetime) -> str:
    if business_days <= 3:
        return "3_days"
    if closed_at.date() <= (received_at + dt.timedelta(weeks=8)).date():
        return "8_weeks"
    return "later"


def complaints_mi(user: Any, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> ComplaintsMI:
    """D-RETURN: complaints received and closed in [start, end], by product group and root cause; open
    complaints by age against their deadlines; Ombudsman referrals and the overturn rate."""
    now = now or timezone.now()
    complaints = cases_for(user).filter(case_type=rules.CaseType.COMPLAINT)
    total = GroupFigures()
    by_product: dict[str, GroupFigures] = defaultdict(GroupFigures)
    by_root: dict[str, GroupFigures] = defaultdict(GroupFigures)
    received = complaints.filter(received_at__date__gte=start, received_at__date__lte=end)
    by_category: Counter[str] = Counter()
    for row in received.values("category").annotate(n=Count("id")).order_by():
        group = rules.CATEGORIES.get(row["category"], ("", "service", False))[1]
        by_product[group].received += row["n"]
        total.received += row["n"]
        by_category[row["category"]] += row["n"]
    closed = ComplaintOutcome.objects.filter(
        case__in=complaints, closed_at__date__gte=start, closed_at__date__lte=end
    ).values(
        "case__category",
        "case__received_at",
        "closed_at",
        "business_days_to_close",
        "outcome",
        "root_cause",
        "redress_minor",
    )
    for row in closed.iterator(chunk_size=5000):
        group = rules.CATEGORIES.get(row["case__category"], ("", "service", False))[1]
        band = _in_band(row["business_days_to_close"], row["closed_at"], row["case__received_at"])
        for figures in (total, by_product[group], by_root[row["root_cause"]]):
            figures.closed += 1
            if band == "3_days":
                figures.closed_within_3_business_days += 1
            elif band == "8_weeks":
                figures.closed_within_8_weeks += 1
            else:
                figures.closed_later += 1
            setattr(figures, row["outcome"], getattr(figures, row["outcome"]) + 1)
            figures.redress_minor += row["redress_minor"]
    open_complaints = complaints.filter(status__in=[status.value for status in rules.OPEN_STATUSES])
    open_by_age = {"on_track": 0, "at_risk": 0, "breached": 0}
    deadlines = CaseDeadline.objects.filter(case__in=open_complaints, met_at__isnull=True, is_regulatory=True)
    worst: dict[int, str] = {}
    order = {"on_track": 0, "at_risk": 1, "breached": 2}
    for case_id, due_at, warn_at in deadlines.values_list("case_id", "due_at", "warn_at"):
        state = "breached" if due_at <= now else "at_risk" if warn_at <= now else "on_track"
        if order[state] > order.get(worst.get(case_id, "on_track"), 0) or case_id not in worst:
            worst[case_id] = state
    for state in worst.values():
        open_by_age[state] += 1
    referrals = OmbudsmanReferral.objects.filter(
        case__in=complaints, referred_on__gte=start, referred_on__lte=end
    )
    fos = referrals.aggregate(
        referred=Count("id"),
        decided=Count("id", filter=~Q(outcome__in=[rules.FosOutcome.PENDING, rules.FosOutcome.WITHDRAWN])),
        overturned=Count("id", filter=Q(outcome=rules.FosOutcome.OVERTURNED)),
    )
    return ComplaintsMI(
        start=start,
        end=end,
        total=total,
        by_product=dict(sorted(by_product.items())),
        by_root_cause=dict(sorted(by_root.items())),
        open_by_age=open_by_age,
        fos_referred=fos["referred"] or 0,
        fos_decided=fos["decided"] or 0,
        fos_overturned=fos["overturned"] or 0,
        by_category=dict(by_category),
    )


def redress_paid(user: Any, start: dt.date, end: dt.date) -> int:
    return (
        ComplaintOutcome.objects.filter(
            client_id__in=client_ids_for(user), closed_at__date__gte=start, closed_at__date__lte=end
        ).aggregate(total=Sum("redress_minor"))["total"]
        or 0
    )


def half_year(day: dt.date) -> tuple[dt.date, dt.date]:
    """The reporting half-year containing ``day``: January–June or July–December."""
    if day.month <= 6:
        return dt.date(day.year, 1, 1), dt.date(day.year, 6, 30)
    return dt.date(day.year, 7, 1), dt.date(day.year, 12, 31)


def recent_escalations(user: Any, since: dt.datetime, limit: int = 50) -> QuerySet[Escalation]:
    """Escalations since ``since`` for the team leader console (work domain), newest first, with their case."""
    return (
        Escalation.objects.filter(client_id__in=client_ids_for(user), at__gte=since)
        .select_related("case", "case__customer")
        .order_by("-at", "-id")[:limit]
    )


def open_deadlines_for_priority(case_ids: list[int]) -> dict[int, dt.datetime]:
    """The earliest unmet, running deadline of each case — what a work item's priority is derived from."""
    rows = (
        CaseDeadline.objects.filter(case_id__in=case_ids, met_at__isnull=True, paused_at__isnull=True)
        .values("case_id")
        .annotate(first=Min("due_at"))
        .order_by()
    )
    return {row["case_id"]: row["first"] for row in rows}
