"""The accounts (or cases, or work items) behind one figure: the same population as the snapshot build.

A drill-down reads the live tables for one KPI, one day, one dimension, scoped to the user's clients, and
returns at most ``LIMIT`` records plus the total, so a page never lists a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django.db.models import Q

from fairpath.accounts.models import Agreement, LedgerEntry, VulnerabilityCue
from fairpath.insight import snapshots
from fairpath.insight.catalogue import get

LIMIT = 200


@dataclass
class Members:
    """What is behind a figure: agreements (the default), cases or work items, as ids with a total count."""

    kind: str  # "agreement", "case" or "work_item"
    ids: list[int]
    total: int
    population: str


def _book_ids(
    ids: list[int], day: date, product: str, where: str, where_params: list[Any], roll: bool = False
) -> tuple[list[int], int]:
    start = snapshots.previous_month_end(day) if roll else day
    sql, params = snapshots.book_sql(ids, start, roll_to=day if roll else None)
    condition = " AND product = %s" if product else ""
    extra = [product] if product else []
    rows = snapshots._rows(
        f"{sql} SELECT id FROM book WHERE 1 = 1{condition}{where} ORDER BY id",
        [*params, *extra, *where_params],
    )
    all_ids = [row[0] for row in rows]
    return all_ids[:LIMIT], len(all_ids)


def members(
    kpi_code: str,
    day: date,
    client_ids: list[int],
    product: str = "",
    dimension: str = "",
    part: str = "numerator",
) -> Members:
    """The records counted in the figure's numerator (``part="numerator"``) or its whole population."""
    kpi = get(kpi_code)
    whole = part == "denominator"
    code = kpi.code
    product_filter = product if product and product != snapshots.NO_PRODUCT else ""
    if code in ("ARREARS_ACCOUNTS", "ARREARS_BALANCE", "ARREARS_RATE_VULNERABLE", "COMPLAINTS_PER_1000"):
        where, params = "", cast(list[Any], [])
        if code == "ARREARS_BALANCE" and dimension:
            bucket, currency = dimension.rsplit(" ", 1)
            params = [currency] if whole else [bucket, currency]
            where = " AND currency = %s" if whole else " AND bucket = %s AND currency = %s"
        elif code == "ARREARS_ACCOUNTS" and dimension and not whole:
            where, params = " AND bucket = %s", [dimension]
        elif code == "ARREARS_RATE_VULNERABLE" and dimension:
            where = " AND is_vulnerable = %s"
            params = [1 if dimension == "vulnerable" else 0]
            if not whole:
                where += f" AND bucket IN ({', '.join(['%s'] * len(snapshots.ARREARS_30_PLUS))})"
                params += list(snapshots.ARREARS_30_PLUS)
        if code == "COMPLAINTS_PER_1000" and not whole:
            return _complaints_received(client_ids, day, product_filter)
        found, total = _book_ids(client_ids, day, product_filter, where, params)
        return Members("agreement", found, total, "the open book")
    if code in ("ROLL_FORWARD", "CURE_RATE"):
        from fairpath.accounts.rules import DEFAULT_BUCKETS

        where, params = "", cast(list[Any], [])
        if code == "ROLL_FORWARD":
            where, params = " AND bucket = %s", [dimension]
            if not whole:
                worse = [
                    c
                    for c in DEFAULT_BUCKETS.codes
                    if DEFAULT_BUCKETS.rank(c) > DEFAULT_BUCKETS.rank(dimension)
                ]
                where += f" AND to_bucket IN ({', '.join(['%s'] * len(worse))})" if worse else " AND 1 = 0"
                params += worse
        else:
            where = " AND bucket <> 'current'"
            if dimension in ("vulnerable", "other"):
                where += " AND is_vulnerable = %s"
                params = [1 if dimension == "vulnerable" else 0]
            if not whole:
                where += " AND to_bucket = 'current'"
        found, total = _book_ids(client_ids, day, product_filter, where, params, roll=True)
        return Members("agreement", found, total, "the book at the previous month end")
    agreements = _agreement_members(code, day, client_ids, dimension, whole)
    if agreements is not None:
        query = Agreement.objects.filter(id__in=agreements, client_id__in=client_ids)
        if product_filter:
            query = query.filter(product=product_filter)
        all_ids = list(query.order_by("id").values_list("id", flat=True))
        return Members("agreement", all_ids[:LIMIT], len(all_ids), "agreements of the figure")
    if code.startswith("RECONCILIATION_"):
        return _statement_lines(code, day, client_ids, whole)
    return _other_members(code, day, client_ids, product_filter, dimension, whole)


def _statement_lines(code: str, day: date, ids: list[int], whole: bool) -> Members:
    from django.db.models import Exists, OuterRef

    from fairpath.payments.models import Match, StatementLine

    start, end = snapshots.day_bounds(day)
    lines = StatementLine.objects.filter(
        client_id__in=ids, created_at__gte=start, created_at__lt=end, amount_minor__gt=0, is_return=False
    ).exclude(status="ignored")
    if not whole and code == "RECONCILIATION_SUSPENSE":
        lines = lines.filter(status="suspense")
    elif not whole:
        manual = Match.objects.filter(line_id=OuterRef("pk"), step="manual", status="posted")
        lines = lines.filter(status="posted").exclude(Exists(manual))
    all_ids = list(lines.order_by("id").values_list("id", flat=True))
    return Members("statement_line", all_ids[:LIMIT], len(all_ids), "statement lines")


def _vulnerable_filter(path: str, day: date) -> Q:
    return Q(**{f"{path}__in": VulnerabilityCue.objects.filter(recorded_on__lte=day).values("customer_id")})


def _agreement_members(code: str, day: date, ids: list[int], dimension: str, whole: bool) -> Any:
    start, end = snapshots.day_bounds(day)
    if code == "CASH_COLLECTED":
        return LedgerEntry.objects.filter(
            client_id__in=ids,
            posted_on=day,
            kind__in=["payment", "payment_reversal"],
            currency=dimension or "GBP",
        ).values("agreement_id")
    if code.startswith("PROMISES_") or code.startswith("ARRANGEMENTS_") or code in (
        "RIGHT_PARTY_CONTACT", "CONTACTS_SUPPRESSED", "HOLDS_IN_FORCE",
    ):  # fmt: skip
        from fairpath.collections.models import Arrangement, ContactAttempt, Hold, Promise

        if code == "PROMISES_TAKEN":
            return Promise.objects.filter(client_id__in=ids, made_on=day).values("agreement_id")
        if code in ("PROMISES_KEPT", "PROMISES_BROKEN"):
            query = Promise.objects.filter(client_id__in=ids, resolved_on=day, status__in=["kept", "broken"])
            if not whole:
                query = query.filter(status="kept" if code == "PROMISES_KEPT" else "broken")
            if dimension in ("vulnerable", "other"):
                vulnerable = _vulnerable_filter("agreement__customer_id", day)
                query = query.filter(vulnerable) if dimension == "vulnerable" else query.exclude(vulnerable)
            return query.values("agreement_id")
        accepted = Arrangement.objects.filter(client_id__in=ids, decided_on__isnull=False).exclude(
            status__in=["proposed", "declined"]
        )
        if code == "ARRANGEMENTS_SET_UP":
            return accepted.filter(decided_on=day, status__in=["active", "completed", "broken"]).values(
                "agreement_id"
            )
        if code.startswith("ARRANGEMENTS_PERFORMING"):
            days = 91 if code.endswith("3M") else 182
            cohort = accepted.filter(first_due_on__lte=day - timedelta(days=days))
            if whole:
                return cohort.values("agreement_id")
            failed = [
                arrangement_id
                for arrangement_id, first_due_on, resolved_on in cohort.filter(
                    status__in=["broken", "cancelled"], resolved_on__isnull=False
                ).values_list("id", "first_due_on", "resolved_on")
                if resolved_on < first_due_on + timedelta(days=days)
            ]
            return cohort.exclude(id__in=failed).values("agreement_id")
        attempts = ContactAttempt.objects.filter(client_id__in=ids, at__gte=start, at__lt=end)
        if code == "RIGHT_PARTY_CONTACT":
            calls = attempts.filter(channel="call", is_allowed=True)
            return (calls if whole else calls.filter(is_conversation=True)).values("agreement_id")
        if code == "CONTACTS_SUPPRESSED":
            if whole:
                return attempts.values("agreement_id")
            refused = attempts.filter(is_allowed=False)
            rule = "" if dimension == "unspecified" else dimension
            return refused.filter(rule=rule).values("agreement_id")
        holds = Hold.objects.filter(client_id__in=ids, starts_on__lte=day, kind=dimension)
        holds = holds.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        return holds.filter(Q(ended_early_on__isnull=True) | Q(ended_early_on__gt=day)).values("agreement_id")
    return None


def _complaints_received(ids: list[int], day: date, product: str) -> Members:
    from fairpath.cases.models import Case

    start, end = snapshots.day_bounds(day)
    cases = Case.objects.filter(
        client_id__in=ids, case_type="complaint", received_at__gte=start, received_at__lt=end
    )
    if product:
        cases = cases.filter(agreement__product=product)
    all_ids = list(cases.order_by("id").values_list("id", flat=True))
    return Members("case", all_ids[:LIMIT], len(all_ids), "complaints received")


def _other_members(
    code: str, day: date, ids: list[int], product: str, dimension: str, whole: bool
) -> Members:
    start, end = snapshots.day_bounds(day)
    if code.startswith("COMPLAINT") or code == "OMBUDSMAN_REFERRALS":
        from fairpath.cases.models import Case

        if code == "OMBUDSMAN_REFERRALS":
            cases = Case.objects.filter(client_id__in=ids, ombudsman_referrals__referred_on=day)
        else:
            cases = Case.objects.filter(
                client_id__in=ids, outcome__closed_at__gte=start, outcome__closed_at__lt=end
            )
            if code == "COMPLAINT_REDRESS" and dimension:
                cases = cases.filter(outcome__currency=dimension, outcome__redress_minor__gt=0)
            elif not whole and code == "COMPLAINTS_CLOSED_3BD":
                cases = cases.filter(outcome__business_days_to_close__lte=3)
            elif not whole and code == "COMPLAINTS_UPHELD":
                cases = cases.filter(outcome__outcome__in=["upheld", "partly_upheld"])
            elif not whole and code == "COMPLAINTS_CLOSED_8W":
                keep = [
                    case_id
                    for case_id, received_at, final_on in cases.values_list(
                        "id", "received_at", "outcome__final_response_on"
                    )
                    if final_on <= received_at.date() + timedelta(days=56)
                ]
                cases = cases.filter(id__in=keep)
        if product:
            cases = cases.filter(agreement__product=product)
        all_ids = list(cases.order_by("id").values_list("id", flat=True).distinct())
        return Members("case", all_ids[:LIMIT], len(all_ids), "complaints")
    from fairpath.work.models import WorkItem

    if code == "WORK_BACKLOG":
        items = WorkItem.objects.filter(client_id__in=ids, created_at__lt=end).exclude(status="cancelled")
        items = items.filter(Q(completed_at__isnull=True) | Q(completed_at__gte=end))
        for low, high, label in snapshots.AGE_BANDS:
            if label == dimension:
                items = items.filter(created_at__lt=end - timedelta(days=low))
                if high is not None:
                    items = items.filter(created_at__gte=end - timedelta(days=high + 1))
    else:
        from django.db.models import F

        items = WorkItem.objects.filter(
            client_id__in=ids, status="done", completed_at__gte=start, completed_at__lt=end
        )
        if not whole:
            items = items.filter(completed_at__lte=F("due_at"))
    if product:
        items = items.filter(agreement__product=product)
    all_ids = list(items.order_by("id").values_list("id", flat=True))
    return Members("work_item", all_ids[:LIMIT], len(all_ids), "work items")
