"""Reads for the dashboards and exports: only the snapshot tables, always narrowed to the user's clients."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Max, Min, QuerySet

from fairpath.core.errors import InvalidInput
from fairpath.governance.access import client_ids_for
from fairpath.insight import spc
from fairpath.insight.catalogue import Basis, Kpi, Unit, get
from fairpath.insight.models import KpiDaily, KpiTarget, RollRateMonthly

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Filters:
    """What a dashboard shows: the user's clients (or one of them), one product or all, and a date range."""

    client_ids: tuple[int, ...]
    product: str
    date_from: date
    date_to: date
    client: int | None = None

    def query(self) -> dict[str, str]:
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.client:
            params["client"] = str(self.client)
        if self.product:
            params["product"] = self.product
        return params


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date (YYYY-MM-DD)", field=name) from None


def snapshot_range(client_ids: tuple[int, ...]) -> tuple[date | None, date | None]:
    bounds = KpiDaily.objects.filter(client_id__in=client_ids).aggregate(first=Min("day"), last=Max("day"))
    return bounds["first"], bounds["last"]


def parse_filters(user: Any, params: Any, *, today: date | None = None) -> Filters:
    """Filters from query parameters, checked: a clear InvalidInput for bad dates, empty or dataless ranges."""
    allowed = tuple(sorted(client_ids_for(user)))
    client: int | None = None
    raw_client = (params.get("client") or "").strip()
    if raw_client:
        if not raw_client.isdigit() or int(raw_client) not in allowed:
            raise InvalidInput("No such client among yours", field="client")
        client = int(raw_client)
    ids = (client,) if client else allowed
    first, last = snapshot_range(ids)
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if first is None or last is None:
        if raw_from or raw_to:
            raise InvalidInput(
                "There are no MI snapshots for your clients yet: build them with `fairpath report rebuild`",
                field="from",
            )
        end = today or date.today()
        return Filters(ids, params.get("product") or "", end - timedelta(days=DEFAULT_DAYS), end, client)
    date_to = _date(raw_to, "to") if raw_to else last
    date_from = _date(raw_from, "from") if raw_from else max(first, date_to - timedelta(days=DEFAULT_DAYS))
    if date_from > date_to:
        raise InvalidInput(f"The date range is empty: {date_from} is after {date_to}", field="from")
    if (date_to - date_from).days > MAX_DAYS:
        raise InvalidInput(f"Choose at most {MAX_DAYS} days", field="from")
    if date_to < first or date_from > last:
        raise InvalidInput(
            f"No snapshots between {date_from} and {date_to}: the data runs from {first} to {last}",
            field="from",
        )
    return Filters(ids, (params.get("product") or "").strip(), date_from, date_to, client)


def _rows(kpi: Kpi, filters: Filters) -> QuerySet[KpiDaily]:
    rows = KpiDaily.objects.filter(
        kpi=kpi.code, client_id__in=filters.client_ids, day__gte=filters.date_from, day__lte=filters.date_to
    )
    if filters.product:
        rows = rows.filter(product=filters.product)
    return rows


@dataclass
class Figure:
    """A figure of one dimension on one day, with the parts it is made of."""

    dimension: str
    numerator: int
    denominator: int | None
    value: float | None
    text: str


@dataclass
class Breakdown:
    kpi: Kpi
    day: date | None
    figures: list[Figure] = field(default_factory=list)
    target: float | None = None


def _combine(
    kpi: Kpi, cells: dict[tuple[int, str], tuple[int, int | None]], shared: bool
) -> tuple[int, int | None]:
    numerator = sum(cell[0] for cell in cells.values())
    denominators = [cell[1] for cell in cells.values() if cell[1] is not None]
    return numerator, (sum(denominators) if denominators else None)


def breakdown(kpi_code: str, filters: Filters, *, day: date | None = None) -> Breakdown:
    """The latest day's figures (or ``day``'s) by dimension, summed over the clients and products in scope."""
    kpi = get(kpi_code)
    rows = _rows(kpi, filters)
    day = day or rows.aggregate(last=Max("day"))["last"]
    result = Breakdown(kpi, day, target=target_for(kpi, filters))
    if day is None:
        return result
    sums: dict[str, list[Any]] = defaultdict(lambda: [0, None])
    shared: dict[tuple[int, str, str], int] = {}
    for client_id, product, dimension, numerator, denominator in rows.filter(day=day).values_list(
        "client_id", "product", "dimension", "numerator", "denominator"
    ):
        cell = sums[dimension]
        cell[0] += numerator
        if denominator is not None:
            cell[1] = (cell[1] or 0) + denominator
            shared[client_id, product, _denominator_group(kpi, dimension)] = denominator
    if kpi.code in SHARED_DENOMINATOR:
        # Every dimension shares its client and product's population, even where it has no row of its own
        # (a bucket no account of that product is in): the denominator is the whole population in scope.
        for dimension, cell in sums.items():
            group = _denominator_group(kpi, dimension)
            cell[1] = sum(value for (_, _, key), value in shared.items() if key == group)
    for dimension in _ordered(kpi, sums):
        numerator, denominator = sums[dimension]
        value = kpi.value(numerator, denominator)
        result.figures.append(Figure(dimension, numerator, denominator, value, kpi.format(value)))
    return result


SHARED_DENOMINATOR = frozenset({"ARREARS_ACCOUNTS", "ARREARS_BALANCE", "CONTACTS_SUPPRESSED"})


def _denominator_group(kpi: Kpi, dimension: str) -> str:
    """Balances share a denominator per currency (the dimension is 'bucket currency'); others share one."""
    return dimension.rsplit(" ", 1)[-1] if kpi.code == "ARREARS_BALANCE" else ""


def _ordered(kpi: Kpi, dimensions: Any) -> list[str]:
    from fairpath.accounts.rules import DEFAULT_BUCKETS

    order = {code: rank for rank, code in enumerate(DEFAULT_BUCKETS.codes)}
    return sorted(dimensions, key=lambda text: (order.get(text.split(" ")[0], 99), text))


@dataclass
class Trend:
    """A daily (or month-end) series of one KPI with its control chart, or the reason there is none."""

    kpi: Kpi
    dimensions: tuple[str, ...] | None
    days: list[date]
    values: list[float]
    chart: spc.ControlChart | None
    message: str = ""

    def as_chart_data(self) -> dict[str, Any]:
        scale = 100.0 if self.kpi.unit == Unit.RATE else (0.01 if self.kpi.unit == Unit.MONEY else 1.0)
        data: dict[str, Any] = {
            "labels": [day.isoformat() for day in self.days],
            "values": [round(value * scale, 4) for value in self.values],
            "unit": self.kpi.unit.value,
        }
        if self.chart is not None:
            data.update(
                centre=round(self.chart.centre * scale, 4),
                upper=[round(value * scale, 4) for value in self.chart.upper],
                lower=[round(value * scale, 4) for value in self.chart.lower],
                signals=sorted(self.chart.signalled_points()),
                signal_text={str(signal.index): signal.description for signal in self.chart.signals},
                kind=self.chart.kind,
            )
        return data


# Trend headline: which dimensions are summed, and whether the denominator is shared by them.
HEADLINES: dict[str, tuple[tuple[str, ...] | None, bool]] = {
    "ARREARS_ACCOUNTS": (("1-29", "30-59", "60-89", "90-119", "120-149", "150-179", "180+"), True),
    "CONTACTS_SUPPRESSED": (None, True),
    "CURE_RATE": (("all",), False),
    "PROMISES_KEPT": (("all",), False),
}


def trend(kpi_code: str, filters: Filters, dimensions: tuple[str, ...] | None = None) -> Trend:
    """The KPI day by day over the range with SPC limits: a p-chart for rates, XmR for counts and amounts."""
    kpi = get(kpi_code)
    default, shared = HEADLINES.get(kpi.code, (None, False))
    dimensions = dimensions if dimensions is not None else default
    rows = _rows(kpi, filters)
    if dimensions is not None:
        rows = rows.filter(dimension__in=dimensions)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    shared_seen: set[tuple[date, int, str]] = set()
    for day, client_id, product, numerator, denominator in rows.values_list(
        "day", "client_id", "product", "numerator", "denominator"
    ).order_by("day"):
        cell = per_day[day]
        cell[0] += numerator
        if denominator is not None:
            cell[2] = 1
            if shared:
                if (day, client_id, product) in shared_seen:
                    continue
                shared_seen.add((day, client_id, product))
            cell[1] += denominator
    days = sorted(per_day)
    if kpi.unit in (Unit.RATE, Unit.PER_THOUSAND):
        days = [day for day in days if per_day[day][1] > 0]
    if not days:
        return Trend(kpi, dimensions, [], [], None, f"No data for {kpi.name} in this range")
    if kpi.unit in (Unit.RATE, Unit.PER_THOUSAND):
        events = [per_day[day][0] for day in days]
        totals = [per_day[day][1] for day in days]
        values = [kpi.value(event, total) or 0.0 for event, total in zip(events, totals, strict=True)]
        try:
            chart = spc.p_chart(events, totals) if kpi.unit == Unit.RATE else spc.xmr_chart(values)
        except (spc.NotEnoughData, ValueError) as error:
            return Trend(kpi, dimensions, days, values, None, str(error))
    else:
        values = [float(per_day[day][0]) for day in days]
        try:
            chart = spc.xmr_chart(values)
        except spc.NotEnoughData as error:
            return Trend(kpi, dimensions, days, values, None, str(error))
    return Trend(kpi, dimensions, days, values, chart)


def target_for(kpi: Kpi, filters: Filters) -> float | None:
    targets = KpiTarget.objects.filter(kpi=kpi.code)
    if filters.client:
        specific = targets.filter(client_id=filters.client).first()
        if specific is not None:
            return specific.value
    general = targets.filter(client__isnull=True).first()
    return general.value if general is not None else None


@dataclass
class CashAgainstTarget:
    currency: str
    collected_minor: int
    target_minor: float | None
    month: date

    @property
    def collected(self) -> float:
        return self.collected_minor / 100

    @property
    def target(self) -> float | None:
        return self.target_minor / 100 if self.target_minor is not None else None

    @property
    def share(self) -> float | None:
        return self.collected_minor / self.target_minor if self.target_minor else None


def cash_month_to_date(filters: Filters) -> list[CashAgainstTarget]:
    """CASH_COLLECTED summed from the first of the last month in range to the range end, against the target."""
    kpi = get("CASH_COLLECTED")
    month_start = filters.date_to.replace(day=1)
    rows = _rows(kpi, filters).filter(day__gte=month_start).values_list("dimension", "numerator")
    totals: dict[str, int] = defaultdict(int)
    for currency, amount in rows:
        totals[currency] += amount
    target = target_for(kpi, filters)
    return [
        CashAgainstTarget(currency, total, target, month_start) for currency, total in sorted(totals.items())
    ]


@dataclass
class RollMatrix:
    month: date | None
    buckets: list[str]
    rows: list[tuple[str, list[tuple[int, float]], int]]


def roll_matrix(filters: Filters) -> RollMatrix:
    """The latest month's bucket-to-bucket matrix in range: counts and row percentages."""
    from fairpath.accounts.rules import DEFAULT_BUCKETS

    cells = RollRateMonthly.objects.filter(
        client_id__in=filters.client_ids, month__gte=filters.date_from, month__lte=filters.date_to
    )
    if filters.product:
        cells = cells.filter(product=filters.product)
    month = cells.aggregate(last=Max("month"))["last"]
    buckets = list(DEFAULT_BUCKETS.codes)
    if month is None:
        return RollMatrix(None, buckets, [])
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for from_bucket, to_bucket, accounts in cells.filter(month=month).values_list(
        "from_bucket", "to_bucket", "accounts"
    ):
        counts[from_bucket, to_bucket] += accounts
    rows = []
    for from_bucket in buckets:
        total = sum(counts[from_bucket, to] for to in buckets)
        if not total:
            continue
        rows.append(
            (
                from_bucket,
                [(counts[from_bucket, to], counts[from_bucket, to] / total) for to in buckets],
                total,
            )
        )
    return RollMatrix(month, buckets, rows)


def products_in_scope(client_ids: tuple[int, ...]) -> list[str]:
    return sorted(
        set(
            KpiDaily.objects.filter(client_id__in=client_ids, kpi="ARREARS_ACCOUNTS")
            .values_list("product", flat=True)
            .distinct()
        )
    )


def monthly(kpi: Kpi) -> bool:
    return kpi.basis == Basis.MONTHLY
