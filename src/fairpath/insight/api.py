"""MI over the API: the KPI catalogue and each KPI's series (snapshot tables only, scoped to the caller)."""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from fairpath.api.permissions import operation
from fairpath.insight import selectors
from fairpath.insight.catalogue import KPIS, get

router = Router()


class KpiOut(Schema):
    code: str
    name: str
    numerator: str
    denominator: str
    population: str
    time_basis: str
    owner_role: str
    direction: str
    unit: str
    basis: str
    dimension: str
    rule: str


class PointOut(Schema):
    day: date
    value: float
    upper: float | None
    lower: float | None
    signals: list[str]


class FigureOut(Schema):
    dimension: str
    numerator: int
    denominator: int | None
    value: float | None


class SeriesOut(Schema):
    kpi: KpiOut
    date_from: date
    date_to: date
    centre: float | None
    message: str
    points: list[PointOut]
    latest_day: date | None
    latest: list[FigureOut]


def _kpi_out(kpi: Any) -> dict[str, Any]:
    return {
        "code": kpi.code, "name": kpi.name, "numerator": kpi.numerator, "denominator": kpi.denominator,
        "population": kpi.population, "time_basis": kpi.time_basis, "owner_role": kpi.owner_role,
        "direction": kpi.direction.value, "unit": kpi.unit.value, "basis": kpi.basis.value,
        "dimension": kpi.dimension, "rule": kpi.rule,
    }  # fmt: skip


@operation(router.get, "/kpis", permission="insight.view_mi", response=list[KpiOut])
def list_kpis(request: HttpRequest) -> list[dict[str, Any]]:
    return [_kpi_out(kpi) for kpi in KPIS]


@operation(router.get, "/series", permission="insight.view_mi", response=SeriesOut)
def kpi_series(request: HttpRequest, kpi: str) -> dict[str, Any]:
    """Query: kpi (a catalogue code), from, to (YYYY-MM-DD), client (id), product.

    The figures are the caller's clients' own, so the KPI code is a query parameter, not an object path.
    An unknown KPI or a bad range is a 422 with the reason.
    """
    definition = get(kpi)
    filters = selectors.parse_filters(request.user, request.GET)
    trend = selectors.trend(definition.code, filters)
    breakdown = selectors.breakdown(definition.code, filters)
    chart = trend.chart
    signals: dict[int, list[str]] = {}
    for signal in chart.signals if chart else []:
        signals.setdefault(signal.index, []).append(signal.description)
    points = [
        {
            "day": day,
            "value": value,
            "upper": chart.upper[index] if chart else None,
            "lower": chart.lower[index] if chart else None,
            "signals": signals.get(index, []),
        }
        for index, (day, value) in enumerate(zip(trend.days, trend.values, strict=True))
    ]
    return {
        "kpi": _kpi_out(definition),
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "centre": chart.centre if chart else None,
        "message": trend.message,
        "points": points,
        "latest_day": breakdown.day,
        "latest": [
            {
                "dimension": f.dimension,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "value": f.value,
            }
            for f in breakdown.figures
        ],
    }
