"""MI pages: role dashboards (snapshot tables only), the KPI catalogue, drill-downs and exports."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fairpath.core.errors import InvalidInput
from fairpath.governance.access import acting_user, client_ids_for, visible_clients
from fairpath.insight import drilldown, exports, selectors
from fairpath.insight.catalogue import KPIS, NOT_YET, ROLE_LABELS, get
from fairpath.insight.dashboards import DASHBOARDS, default_for
from fairpath.web.permissions import requires


def _filters_or_error(request: HttpRequest) -> tuple[selectors.Filters | None, str]:
    try:
        return selectors.parse_filters(request.user, request.GET), ""
    except InvalidInput as error:
        return None, error.message


def _filter_form(request: HttpRequest, filters: selectors.Filters | None) -> dict[str, Any]:
    allowed = tuple(sorted(client_ids_for(request.user)))
    return {
        "clients": visible_clients(request.user),
        "products": selectors.products_in_scope(allowed),
        "chosen": {
            "client": request.GET.get("client", ""),
            "product": request.GET.get("product", ""),
            "from": filters.date_from.isoformat() if filters else request.GET.get("from", ""),
            "to": filters.date_to.isoformat() if filters else request.GET.get("to", ""),
        },
    }


def _drill_url(kpi: str, day: date | None, dimension: str, filters: selectors.Filters) -> str:
    if day is None:
        return ""
    params = {"kpi": kpi, "day": day.isoformat(), "dimension": dimension}
    if filters.client:
        params["client"] = str(filters.client)
    if filters.product:
        params["product"] = filters.product
    from urllib.parse import urlencode

    return f"{reverse('insight:drilldown')}?{urlencode(params)}"


@requires("insight.view_mi")
def dashboard(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    view = request.GET.get("view") or default_for(user.role.code if user.role else None)
    if view not in DASHBOARDS:
        raise Http404(f"No dashboard '{view}'")
    board = DASHBOARDS[view]
    filters, error = _filters_or_error(request)
    panels: list[dict[str, Any]] = []
    if filters is not None:
        for number, panel in enumerate(board.installed_panels()):
            kpi = get(panel.kpi)
            breakdown = selectors.breakdown(panel.kpi, filters) if panel.breakdown else None
            trend = selectors.trend(panel.kpi, filters, panel.trend_dimensions) if panel.trend else None
            figures = []
            if breakdown is not None:
                figures = [
                    (figure, _drill_url(kpi.code, breakdown.day, figure.dimension, filters))
                    for figure in breakdown.figures
                ]
            latest = None
            signals = []
            if trend is not None and trend.chart is not None:
                signals = [(trend.days[signal.index], signal.description) for signal in trend.chart.signals]
            if trend is not None and trend.days:
                latest = (trend.days[-1], kpi.format(trend.values[-1]))
            panels.append({
                "id": f"chart-{number}",
                "panel": panel,
                "kpi": kpi,
                "breakdown": breakdown,
                "figures": figures,
                "trend": trend,
                "latest": latest,
                "latest_drill": _drill_url(kpi.code, trend.days[-1], "", filters) if latest and trend else "",
                "signals": signals[-6:],
                "more_signals": max(len(signals) - 6, 0),
                "chart_json": json.dumps(trend.as_chart_data()) if trend and trend.chart else "",
            })  # fmt: skip
    context = {
        "board": board,
        "boards": DASHBOARDS,
        "filters": filters,
        "error": error,
        "panels": panels,
        "left_out": [get(panel.kpi) for panel in board.panels if panel not in board.installed_panels()],
        "not_yet": NOT_YET,
        "roll": selectors.roll_matrix(filters) if filters and board.roll_matrix else None,
        "cash": selectors.cash_month_to_date(filters) if filters and board.cash_target else None,
        "can_export": request.user.has_perm("insight.export_mi"),
        "query": filters.query() if filters else {},
        **_filter_form(request, filters),
    }
    return render(request, "insight/dashboard.html", context, status=400 if error else 200)


@requires("insight.view_mi")
def kpi_catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insight/catalogue.html",
        {"kpis": KPIS, "not_yet": NOT_YET, "roles": ROLE_LABELS},
    )


@requires("insight.view_mi")
def drill(request: HttpRequest) -> HttpResponse:
    """The accounts (or cases, work items) behind one figure, scoped to the user's clients."""
    allowed = sorted(client_ids_for(request.user))
    error = ""
    members = None
    kpi = None
    try:
        kpi = get(request.GET.get("kpi", ""))
        raw_day = request.GET.get("day", "")
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise InvalidInput(f"'{raw_day}' is not a date (YYYY-MM-DD)", field="day") from None
        raw_client = request.GET.get("client", "")
        if raw_client:
            if not raw_client.isdigit() or int(raw_client) not in allowed:
                raise InvalidInput("No such client among yours", field="client")
            allowed = [int(raw_client)]
        members = drilldown.members(
            kpi.code,
            day,
            allowed,
            request.GET.get("product", ""),
            request.GET.get("dimension", ""),
            request.GET.get("part", "numerator"),
        )
    except InvalidInput as invalid:
        error = invalid.message
    records: list[Any] = []
    if members is not None:
        if members.kind == "agreement":
            from fairpath.accounts.models import Agreement

            records = list(
                Agreement.objects.filter(id__in=members.ids, client_id__in=allowed)
                .select_related("customer", "client", "arrears")
                .order_by("id")
            )
        elif members.kind == "case":
            from fairpath.cases.models import Case

            records = list(Case.objects.filter(id__in=members.ids, client_id__in=allowed).order_by("id"))
        elif members.kind == "statement_line":
            from fairpath.payments.models import StatementLine

            records = list(
                StatementLine.objects.filter(id__in=members.ids, client_id__in=allowed).order_by("id")
            )
        else:
            from fairpath.work.models import WorkItem

            records = list(WorkItem.objects.filter(id__in=members.ids, client_id__in=allowed).order_by("id"))
    context = {"kpi": kpi, "members": members, "records": records, "error": error, "params": request.GET}
    return render(request, "insight/drilldown.html", context, status=400 if error else 200)


@requires("insight.export_mi")
def export_table(request: HttpRequest) -> HttpResponse:
    """?table=KPI_CODE|ROLL_MATRIX&format=xlsx|csv with the dashboard's filters."""
    try:
        filters = selectors.parse_filters(request.user, request.GET)
        table = exports.table_for(request.GET.get("table", ""), filters)
        fmt = request.GET.get("format", "xlsx")
        if fmt not in ("xlsx", "csv"):
            raise InvalidInput("Format is xlsx or csv", field="format")
    except InvalidInput as invalid:
        return HttpResponse(invalid.message, status=400, content_type="text/plain; charset=utf-8")
    name = f"{table.name.lower()}_{filters.date_from}_{filters.date_to}"
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_xlsx([table]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@requires("insight.export_mi")
def mi_pack(request: HttpRequest) -> HttpResponse:
    """The monthly MI pack: PDF (WeasyPrint) or, with ?format=html or without WeasyPrint, printable HTML."""
    try:
        filters = selectors.parse_filters(request.user, request.GET)
    except InvalidInput as invalid:
        return HttpResponse(invalid.message, status=400, content_type="text/plain; charset=utf-8")
    if request.GET.get("format") == "html" or not exports.pdf_available():
        return HttpResponse(exports.mi_pack_html(filters))
    response = HttpResponse(exports.mi_pack_pdf(filters), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mi_pack_{filters.date_to}.pdf"'
    return response
