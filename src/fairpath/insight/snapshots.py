"""Daily snapshot build: every KPI of the catalogue for one day, set-based (GROUP BY, never per account).

``build_snapshots(day, client_ids=None)`` is what the daily cycle calls after the arrears recompute; it is
idempotent (a rebuild replaces the day's rows for those clients) and one call per shard of clients is safe.
The position of the book on a past day is reconstructed from append-only history — bucket history and
ledger postings dated on or before the day — so any past range can be rebuilt with the same answers.
"""

from __future__ import annotations

import calendar
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from fairpath.accounts.models import Agreement, ArrearsState, BucketHistory, LedgerEntry, VulnerabilityCue
from fairpath.accounts.rules import DEFAULT_BUCKETS
from fairpath.clients.models import Client
from fairpath.insight.catalogue import BY_CODE
from fairpath.insight.models import KpiDaily, RollRateMonthly, SnapshotBuild

NO_PRODUCT = "none"
ARREARS_30_PLUS = tuple(code for code in DEFAULT_BUCKETS.codes if DEFAULT_BUCKETS.rank(code) >= 2)
BATCH_SIZE = 5000


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month_end(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def is_month_end(day: date) -> bool:
    return day == month_end(day)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day as a half-open UTC instant range (index-friendly on both databases)."""
    start = datetime.combine(day, clock.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def domain_installed(domain: str) -> bool:
    return apps.is_installed(f"fairpath.{domain}")


# ----------------------------------------------------------------------------------------------------
# The book on a day, in SQL (portable: plain CTEs and GROUP BY on SQLite and PostgreSQL)


def _in(ids: Sequence[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _bucket_cte(name: str, ids: Sequence[int], day: date) -> tuple[str, list[Any]]:
    """``name``(agreement_id, to_bucket): each agreement's bucket at the end of ``day``.

    The latest bucket history row dated on or before the day. Read cheaply: an agreement with no bucket
    change after the day is in the bucket its arrears state holds now (history rows are written exactly
    when the bucket changes); only agreements that changed after the day are looked up in the history.
    """
    history = BucketHistory._meta.db_table
    state = ArrearsState._meta.db_table
    sql = (
        f"{name}_later AS (SELECT DISTINCT agreement_id FROM {history} "
        f"WHERE client_id IN ({_in(ids)}) AND as_of > %s), "
        f"{name}_day AS (SELECT h.agreement_id, MAX(h.as_of) AS as_of FROM {history} h "
        f"JOIN {name}_later l ON l.agreement_id = h.agreement_id WHERE h.as_of <= %s GROUP BY h.agreement_id), "
        f"{name}_row AS (SELECT h.agreement_id, MAX(h.id) AS id FROM {history} h JOIN {name}_day d "
        f"ON h.agreement_id = d.agreement_id AND h.as_of = d.as_of GROUP BY h.agreement_id), "
        f"{name} AS (SELECT s.agreement_id, s.bucket AS to_bucket FROM {state} s "
        f"LEFT JOIN {name}_later l ON l.agreement_id = s.agreement_id "
        f"WHERE s.client_id IN ({_in(ids)}) AND l.agreement_id IS NULL "
        f"UNION ALL SELECT h.agreement_id, h.to_bucket FROM {history} h JOIN {name}_row r ON h.id = r.id)"
    )
    return sql, [*ids, day, day, *ids]


def book_sql(ids: Sequence[int], day: date, *, roll_to: date | None = None) -> tuple[str, list[Any]]:
    """WITH ... book(id, client_id, product, currency, bucket, balance, is_vulnerable[, to_bucket]).

    The open book on ``day``: opened on or before it with a ledger balance above zero at its end. The
    balance at the end of the day is the agreement's balance (the sum of its ledger, kept by the accounts
    domain) less what was posted after the day, so only later postings are read. With ``roll_to``, each
    row also carries its bucket at the end of that later day (for roll rates and cures).
    """
    agreement = Agreement._meta.db_table
    ledger = LedgerEntry._meta.db_table
    cue = VulnerabilityCue._meta.db_table
    bucket_sql, params = _bucket_cte("bucket_at", ids, day)
    parts = [bucket_sql]
    parts.append(
        f"posted_after AS (SELECT agreement_id, SUM(amount_minor) AS amount FROM {ledger} "
        f"WHERE client_id IN ({_in(ids)}) AND posted_on > %s GROUP BY agreement_id)"
    )
    params += [*ids, day]
    parts.append(
        f"vulnerable AS (SELECT DISTINCT customer_id FROM {cue} WHERE client_id IN ({_in(ids)}) "
        f"AND recorded_on <= %s)"
    )
    params += [*ids, day]
    to_column, to_join = "", ""
    if roll_to is not None:
        roll_sql, roll_params = _bucket_cte("bucket_to", ids, roll_to)
        parts.append(roll_sql)
        params += roll_params
        to_column = ", COALESCE(t.to_bucket, 'current') AS to_bucket"
        to_join = " LEFT JOIN bucket_to t ON t.agreement_id = a.id"
    balance = "a.balance_minor - COALESCE(m.amount, 0)"
    parts.append(
        f"book AS (SELECT a.id, a.client_id, a.product, a.currency, COALESCE(b.to_bucket, 'current') AS bucket, "
        f"{balance} AS balance, CASE WHEN v.customer_id IS NULL THEN 0 ELSE 1 END AS is_vulnerable{to_column} "
        f"FROM {agreement} a LEFT JOIN posted_after m ON m.agreement_id = a.id "
        f"LEFT JOIN bucket_at b ON b.agreement_id = a.id "
        f"LEFT JOIN vulnerable v ON v.customer_id = a.customer_id{to_join} "
        f"WHERE a.client_id IN ({_in(ids)}) AND a.opened_on <= %s AND {balance} > 0)"
    )
    params += [*ids, day]
    return "WITH " + ", ".join(parts), params


def _rows(sql: str, params: list[Any]) -> list[tuple]:
    """Run a whole-book aggregate. On PostgreSQL nested loops are switched off for it: right after a bulk
    load the statistics can claim a client has a dozen agreements, and a nested loop over a million rows
    each side would then take hours; hash joins are right for these set-wide queries whatever the stats."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# ----------------------------------------------------------------------------------------------------
# Figures


@dataclass
class Figures:
    """Accumulates (kpi, client, product, dimension) → [numerator, denominator] before writing."""

    day: date

    def __post_init__(self) -> None:
        self.cells: dict[tuple[str, int, str, str], list[int | None]] = {}

    def add(
        self, kpi: str, client_id: int, product: str, dimension: str, numerator: int, denominator: int | None
    ) -> None:
        cell = self.cells.setdefault((kpi, client_id, product or NO_PRODUCT, dimension), [0, None])
        cell[0] = int(cell[0] or 0) + int(numerator or 0)
        if denominator is not None:
            cell[1] = int(cell[1] or 0) + int(denominator)

    def models(self) -> Iterator[KpiDaily]:
        for (kpi, client_id, product, dimension), (numerator, denominator) in self.cells.items():
            yield KpiDaily(
                day=self.day, kpi=kpi, client_id=client_id, product=product, dimension=dimension,
                numerator=numerator or 0, denominator=denominator,
            )  # fmt: skip


def _accounts_figures(figures: Figures, ids: Sequence[int], day: date) -> dict[tuple[int, str], int]:
    """ARREARS_ACCOUNTS, ARREARS_BALANCE, ARREARS_RATE_VULNERABLE; returns the book size per client/product."""
    sql, params = book_sql(ids, day)
    rows = _rows(
        f"{sql} SELECT client_id, product, currency, bucket, is_vulnerable, COUNT(*), SUM(balance) FROM book "
        f"GROUP BY client_id, product, currency, bucket, is_vulnerable",
        params,
    )
    book: dict[tuple[int, str], int] = defaultdict(int)
    balance: dict[tuple[int, str, str], int] = defaultdict(int)
    vulnerable_book: dict[tuple[int, str, str], int] = defaultdict(int)
    for client_id, product, currency, _bucket, is_vulnerable, count, total in rows:
        book[client_id, product] += count
        balance[client_id, product, currency] += total
        vulnerable_book[client_id, product, "vulnerable" if is_vulnerable else "other"] += count
    for client_id, product, currency, bucket, is_vulnerable, count, total in rows:
        figures.add("ARREARS_ACCOUNTS", client_id, product, bucket, count, None)
        figures.add("ARREARS_BALANCE", client_id, product, f"{bucket} {currency}", total, None)
        group = "vulnerable" if is_vulnerable else "other"
        figures.add(
            "ARREARS_RATE_VULNERABLE",
            client_id,
            product,
            group,
            count if bucket in ARREARS_30_PLUS else 0,
            None,
        )
    for client_id, product in book:  # every bucket appears for a book that exists: 0 is a real zero here
        for code in DEFAULT_BUCKETS.codes:
            figures.add("ARREARS_ACCOUNTS", client_id, product, code, 0, None)
    # Denominators: the whole book (per currency for balances).
    for (kpi, client_id, product, dimension), cell in figures.cells.items():
        if kpi == "ARREARS_ACCOUNTS":
            cell[1] = book[client_id, product]
        elif kpi == "ARREARS_BALANCE":
            cell[1] = balance[client_id, product, dimension.rsplit(" ", 1)[1]]
        elif kpi == "ARREARS_RATE_VULNERABLE":
            cell[1] = vulnerable_book[client_id, product, dimension]
    return book


def _roll_figures(figures: Figures, ids: Sequence[int], day: date) -> list[RollRateMonthly]:
    """ROLL_FORWARD, CURE_RATE and the roll-rate matrix for the month ending on ``day``."""
    start = previous_month_end(day)
    sql, params = book_sql(ids, start, roll_to=day)
    rows = _rows(
        f"{sql} SELECT client_id, product, bucket, to_bucket, is_vulnerable, COUNT(*), SUM(balance) FROM book "
        f"GROUP BY client_id, product, bucket, to_bucket, is_vulnerable",
        params,
    )
    matrix: dict[tuple[int, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for client_id, product, from_bucket, to_bucket, is_vulnerable, count, total in rows:
        matrix[client_id, product, from_bucket, to_bucket][0] += count
        matrix[client_id, product, from_bucket, to_bucket][1] += total
        worse = DEFAULT_BUCKETS.rank(to_bucket) > DEFAULT_BUCKETS.rank(from_bucket)
        figures.add("ROLL_FORWARD", client_id, product, from_bucket, count if worse else 0, count)
        if from_bucket != "current":
            cured = count if to_bucket == "current" else 0
            figures.add("CURE_RATE", client_id, product, "all", cured, count)
            figures.add(
                "CURE_RATE", client_id, product, "vulnerable" if is_vulnerable else "other", cured, count
            )
    return [
        RollRateMonthly(
            client_id=client_id,
            month=day,
            product=product,
            from_bucket=from_bucket,
            to_bucket=to_bucket,
            accounts=counts[0],
            balance_minor=counts[1],
        )  # fmt: skip
        for (client_id, product, from_bucket, to_bucket), counts in matrix.items()
    ]


def _cash_figures(figures: Figures, ids: Sequence[int], day: date) -> None:
    rows = (
        LedgerEntry.objects.filter(client_id__in=ids, posted_on=day, kind__in=["payment", "payment_reversal"])
        .values("client_id", "agreement__product", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    for row in rows:
        # Ledger payments are negative (they reduce what is owed); cash collected is the opposite.
        figures.add(
            "CASH_COLLECTED",
            row["client_id"],
            row["agreement__product"],
            row["currency"],
            -row["total"],
            None,
        )


def _vulnerable(customer_path: str, day: date) -> Exists:
    return Exists(VulnerabilityCue.objects.filter(customer_id=OuterRef(customer_path), recorded_on__lte=day))


def _collections_figures(figures: Figures, ids: Sequence[int], day: date) -> None:
    from fairpath.collections.models import Arrangement, ContactAttempt, Hold, Promise

    for row in (
        Promise.objects.filter(client_id__in=ids, made_on=day)
        .values("client_id", "agreement__product")
        .annotate(count=Count("id"))
        .order_by()
    ):
        figures.add("PROMISES_TAKEN", row["client_id"], row["agreement__product"], "", row["count"], None)
    for row in (
        Promise.objects.filter(client_id__in=ids, resolved_on=day, status__in=["kept", "broken"])
        .annotate(is_vulnerable=_vulnerable("agreement__customer_id", day))
        .values("client_id", "agreement__product", "is_vulnerable")
        .annotate(kept=Count("id", filter=Q(status="kept")), broken=Count("id", filter=Q(status="broken")))
        .order_by()
    ):
        resolved = row["kept"] + row["broken"]
        client_id, product = row["client_id"], row["agreement__product"]
        figures.add("PROMISES_KEPT", client_id, product, "all", row["kept"], resolved)
        figures.add(
            "PROMISES_KEPT",
            client_id,
            product,
            "vulnerable" if row["is_vulnerable"] else "other",
            row["kept"],
            resolved,
        )
        figures.add("PROMISES_BROKEN", client_id, product, "", row["broken"], resolved)
    accepted = Arrangement.objects.filter(client_id__in=ids, decided_on__isnull=False).exclude(
        status__in=["proposed", "declined"]
    )
    for row in (
        accepted.filter(decided_on=day, status__in=["active", "completed", "broken"])
        .values("client_id", "agreement__product")
        .annotate(count=Count("id"))
        .order_by()
    ):
        figures.add(
            "ARRANGEMENTS_SET_UP", row["client_id"], row["agreement__product"], "", row["count"], None
        )
    for code, days in (("ARRANGEMENTS_PERFORMING_3M", 91), ("ARRANGEMENTS_PERFORMING_6M", 182)):
        cohort = accepted.filter(first_due_on__lte=day - timedelta(days=days))
        # Failed within the window: broken or cancelled with a resolution date < first due + window.
        failed_ids = cohort.filter(status__in=["broken", "cancelled"], resolved_on__isnull=False)
        failed_by_window = {
            (row["client_id"], row["agreement__product"]): row["count"]
            for row in _failed_within(failed_ids, days)
        }
        for row in cohort.values("client_id", "agreement__product").annotate(count=Count("id")).order_by():
            key = (row["client_id"], row["agreement__product"])
            figures.add(code, key[0], key[1], "", row["count"] - failed_by_window.get(key, 0), row["count"])
    start, end = day_bounds(day)
    attempts = ContactAttempt.objects.filter(client_id__in=ids, at__gte=start, at__lt=end)
    for row in (
        attempts.filter(channel="call", is_allowed=True)
        .values("client_id", "agreement__product")
        .annotate(calls=Count("id"), conversations=Count("id", filter=Q(is_conversation=True)))
        .order_by()
    ):
        figures.add(
            "RIGHT_PARTY_CONTACT",
            row["client_id"],
            row["agreement__product"],
            "",
            row["conversations"],
            row["calls"],
        )
    totals = {
        (row["client_id"], row["agreement__product"]): row["count"]
        for row in attempts.values("client_id", "agreement__product").annotate(count=Count("id")).order_by()
    }
    for row in (
        attempts.filter(is_allowed=False)
        .values("client_id", "agreement__product", "rule")
        .annotate(count=Count("id"))
        .order_by()
    ):
        key = (row["client_id"], row["agreement__product"])
        figures.add(
            "CONTACTS_SUPPRESSED", key[0], key[1], row["rule"] or "unspecified", row["count"], totals[key]
        )
    for row in (
        Hold.objects.filter(client_id__in=ids, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .filter(Q(ended_early_on__isnull=True) | Q(ended_early_on__gt=day))
        .values("client_id", "agreement__product", "kind")
        .annotate(count=Count("id"))
        .order_by()
    ):
        figures.add(
            "HOLDS_IN_FORCE", row["client_id"], row["agreement__product"], row["kind"], row["count"], None
        )


def _failed_within(failed: Any, days: int) -> Iterable[dict[str, Any]]:
    """Count, per client and product, arrangements that failed within ``days`` of their first due date.

    Date arithmetic between two columns differs between databases, so the (small) set of failed
    arrangements of the cohort is read as pairs of dates and counted here — still one query, no per-row I/O.
    """
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for client_id, product, first_due_on, resolved_on in failed.values_list(
        "client_id", "agreement__product", "first_due_on", "resolved_on"
    ).iterator(chunk_size=BATCH_SIZE):
        if resolved_on < first_due_on + timedelta(days=days):
            counts[client_id, product] += 1
    return [
        {"client_id": key[0], "agreement__product": key[1], "count": count} for key, count in counts.items()
    ]


def _cases_figures(figures: Figures, ids: Sequence[int], day: date, book: dict[tuple[int, str], int]) -> None:
    from fairpath.cases.models import Case, ComplaintOutcome, OmbudsmanReferral

    start, end = day_bounds(day)
    received = {
        (row["client_id"], row["agreement__product"] or NO_PRODUCT): row["count"]
        for row in Case.objects.filter(
            client_id__in=ids, case_type="complaint", received_at__gte=start, received_at__lt=end
        )
        .values("client_id", "agreement__product")
        .annotate(count=Count("id"))
        .order_by()
    }
    for key in set(received) | set(book):
        figures.add("COMPLAINTS_PER_1000", key[0], key[1], "", received.get(key, 0), book.get(key, 0))
    closed = ComplaintOutcome.objects.filter(client_id__in=ids, closed_at__gte=start, closed_at__lt=end)
    for row in (
        closed.values("client_id", "case__agreement__product", "currency")
        .annotate(
            count=Count("id"),
            within_3=Count("id", filter=Q(business_days_to_close__lte=3)),
            upheld=Count("id", filter=Q(outcome__in=["upheld", "partly_upheld"])),
            redress=Sum("redress_minor"),
        )
        .order_by()
    ):
        client_id, product = row["client_id"], row["case__agreement__product"] or NO_PRODUCT
        figures.add("COMPLAINTS_CLOSED_3BD", client_id, product, "", row["within_3"], row["count"])
        figures.add("COMPLAINTS_UPHELD", client_id, product, "", row["upheld"], row["count"])
        figures.add("COMPLAINT_REDRESS", client_id, product, row["currency"], row["redress"] or 0, None)
    # Within 8 weeks: final response date against the receipt date (column arithmetic done on the day's few rows).
    for client_id, product, received_at, final_on in closed.values_list(
        "client_id", "case__agreement__product", "case__received_at", "final_response_on"
    ).iterator(chunk_size=BATCH_SIZE):
        within = final_on <= received_at.astimezone(UTC).date() + timedelta(days=56)
        figures.add("COMPLAINTS_CLOSED_8W", client_id, product or NO_PRODUCT, "", 1 if within else 0, 1)
    for row in (
        OmbudsmanReferral.objects.filter(client_id__in=ids, referred_on=day)
        .values("client_id", "case__agreement__product")
        .annotate(count=Count("id"))
        .order_by()
    ):
        figures.add(
            "OMBUDSMAN_REFERRALS",
            row["client_id"],
            row["case__agreement__product"] or NO_PRODUCT,
            "",
            row["count"],
            None,
        )


def _payments_figures(figures: Figures, ids: Sequence[int], day: date) -> None:
    from fairpath.payments.models import Match, StatementLine

    start, end = day_bounds(day)
    lines = (
        StatementLine.objects.filter(
            client_id__in=ids, created_at__gte=start, created_at__lt=end, amount_minor__gt=0, is_return=False
        )
        .exclude(status="ignored")
        .annotate(
            is_manual=Exists(Match.objects.filter(line_id=OuterRef("pk"), step="manual", status="posted"))
        )
    )
    for row in (
        lines.values("client_id")
        .annotate(
            total=Count("id"),
            automatic=Count("id", filter=Q(status="posted", is_manual=False)),
            suspense=Count("id", filter=Q(status="suspense")),
        )
        .order_by()
    ):
        figures.add(
            "RECONCILIATION_AUTO_MATCH", row["client_id"], NO_PRODUCT, "", row["automatic"], row["total"]
        )
        figures.add(
            "RECONCILIATION_SUSPENSE", row["client_id"], NO_PRODUCT, "", row["suspense"], row["total"]
        )


AGE_BANDS = ((0, 1, "0-1 days"), (2, 5, "2-5 days"), (6, 10, "6-10 days"), (11, None, "11+ days"))


def _work_figures(figures: Figures, ids: Sequence[int], day: date) -> None:
    from fairpath.work.models import WorkItem

    start, end = day_bounds(day)
    open_at_end = WorkItem.objects.filter(client_id__in=ids, created_at__lt=end).exclude(status="cancelled")
    open_at_end = open_at_end.filter(Q(completed_at__isnull=True) | Q(completed_at__gte=end))
    for low, high, label in AGE_BANDS:
        # Age in whole days at the end of the day: created on day - age.
        band = open_at_end.filter(created_at__lt=end - timedelta(days=low))
        if high is not None:
            band = band.filter(created_at__gte=end - timedelta(days=high + 1))
        for row in band.values("client_id", "agreement__product").annotate(count=Count("id")).order_by():
            figures.add(
                "WORK_BACKLOG",
                row["client_id"],
                row["agreement__product"] or NO_PRODUCT,
                label,
                row["count"],
                None,
            )
    done = WorkItem.objects.filter(
        client_id__in=ids, status="done", completed_at__gte=start, completed_at__lt=end
    )

    for row in (
        done.values("client_id", "agreement__product")
        .annotate(count=Count("id"), on_time=Count("id", filter=Q(completed_at__lte=F("due_at"))))
        .order_by()
    ):
        figures.add(
            "WORK_SERVICE_LEVEL",
            row["client_id"],
            row["agreement__product"] or NO_PRODUCT,
            "",
            row["on_time"],
            row["count"],
        )


# ----------------------------------------------------------------------------------------------------
# The build


@dataclass(frozen=True)
class BuildSummary:
    day: date
    clients: int
    rows: int
    roll_rate_cells: int
    seconds: float
    domains: tuple[str, ...]


def built_domains() -> tuple[str, ...]:
    return tuple(
        domain
        for domain in ("accounts", "collections", "cases", "work", "payments")
        if domain_installed(domain)
    )


def build_snapshots(
    day: date, client_ids: Iterable[int] | None = None, *, actor_label: str = "snapshot-build"
) -> BuildSummary:
    """Build (or rebuild) every KPI snapshot of ``day`` for these clients (all when None), in bulk.

    Replaces the day's rows for the clients in one transaction; on a month end also writes the month's
    roll-rate matrix. Called by the daily cycle after the arrears recompute.
    """
    began = time.perf_counter()
    started_at = timezone.now()
    ids = (
        sorted(set(client_ids))
        if client_ids is not None
        else list(Client.objects.values_list("id", flat=True))
    )
    domains = built_domains()
    figures = Figures(day)
    roll: list[RollRateMonthly] = []
    if ids:
        book = _accounts_figures(figures, ids, day)
        _cash_figures(figures, ids, day)
        if is_month_end(day):
            roll = _roll_figures(figures, ids, day)
        if "collections" in domains:
            _collections_figures(figures, ids, day)
        if "cases" in domains:
            _cases_figures(figures, ids, day, book)
        if "work" in domains:
            _work_figures(figures, ids, day)
        if "payments" in domains:
            _payments_figures(figures, ids, day)
    rows = list(figures.models())
    unknown = {row.kpi for row in rows} - set(BY_CODE)
    if unknown:  # pragma: no cover - a programming error, caught by the tests
        raise RuntimeError(f"snapshot rows for KPIs not in the catalogue: {sorted(unknown)}")
    with transaction.atomic():
        KpiDaily.objects.filter(day=day, client_id__in=ids).delete()
        KpiDaily.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        if is_month_end(day):
            RollRateMonthly.objects.filter(month=day, client_id__in=ids).delete()
            RollRateMonthly.objects.bulk_create(roll, batch_size=BATCH_SIZE)
        seconds = time.perf_counter() - began
        SnapshotBuild.objects.create(
            day=day, client_ids=ids, started_at=started_at, seconds=seconds, rows=len(rows),
            domains=list(domains), actor_label=actor_label,
        )  # fmt: skip
    return BuildSummary(day, len(ids), len(rows), len(roll), seconds, domains)


def rebuild(
    first: date, last: date, client_ids: Iterable[int] | None = None, on_day: Any = None
) -> list[BuildSummary]:
    """Rebuild every day from ``first`` to ``last`` inclusive (the CLI's ``report rebuild``)."""
    from fairpath.core.errors import InvalidInput

    if last < first:
        raise InvalidInput(f"The date range is empty: {first} is after {last}", field="to")
    ids = list(client_ids) if client_ids is not None else None
    summaries = []
    day = first
    while day <= last:
        summaries.append(build_snapshots(day, ids, actor_label="report-rebuild"))
        if on_day is not None:
            on_day(day)
        day += timedelta(days=1)
    return summaries
