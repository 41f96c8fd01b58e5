"""Strategy pages (list, detail, edit, import, export) and the suppressions page. Views orchestrate only."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from fairpath.clients.models import Client
from fairpath.collections import selectors, strategies
from fairpath.core.errors import Refusal
from fairpath.governance.access import acting_user, client_ids_for
from fairpath.web.permissions import requires

MAX_DOCUMENT = 200_000


@requires("collections.view_strategy")
def strategy_list(request: HttpRequest) -> HttpResponse:
    items = [(strategy, strategy.current_version()) for strategy in selectors.strategies_for(request.user)]
    can_import = request.user.has_perm("collections.change_strategy")
    return render(request, "collections/strategy_list.html", {"items": items, "can_import": can_import})


def _visible(request: HttpRequest, strategy_id: int):  # noqa: ANN202 - a Strategy
    strategy = selectors.strategy_for(request.user, strategy_id)
    if strategy is None:
        raise Http404
    return strategy


@requires("collections.view_strategy")
def strategy_detail(request: HttpRequest, strategy_id: int) -> HttpResponse:
    strategy = _visible(request, strategy_id)
    version = strategy.current_version()
    context = {
        "strategy": strategy,
        "version": version,
        "document": strategies.document_of(version) if version else None,
        "versions": list(strategy.versions.all()[:20]),
        "population": selectors.population(request.user, strategy),
        "can_edit": selectors.can_edit_strategy(request.user, strategy),
    }
    return render(request, "collections/strategy_detail.html", context)


def _store(request: HttpRequest, text: str, client: Client | None, note: str):  # noqa: ANN202
    """Import through the one action; refusals come back as a message naming the line."""
    document = strategies.parse(text)
    if document.client:
        client = Client.objects.filter(code=document.client).first()
    if client is None and not getattr(request.user, "all_clients", False):
        raise PermissionDenied("Only someone who sees every client can change a shared strategy")
    if client is not None and client.pk not in client_ids_for(request.user):
        raise PermissionDenied("That client is not one of yours")
    return strategies.import_strategy(
        text=text, actor=acting_user(request), source_format="json" if text.lstrip().startswith("{") else "yaml",
        client=client, note=note,
    )  # fmt: skip


@requires("collections.change_strategy")
def strategy_edit(request: HttpRequest, strategy_id: int) -> HttpResponse:
    strategy = _visible(request, strategy_id)
    if not selectors.can_edit_strategy(request.user, strategy):
        raise PermissionDenied("You cannot change this strategy")
    version = strategy.current_version()
    text = version.source if version else ""
    error = None
    if request.method == "POST":
        text = request.POST.get("document", "")[:MAX_DOCUMENT]
        try:
            document = strategies.parse(text)
            if document.code != strategy.code:
                raise strategies.StrategyError(1, f"the code must stay {strategy.code!r}")
            result = _store(request, text, strategy.client, request.POST.get("note", "")[:300])
        except Refusal as refusal:
            error = refusal.message
        else:
            messages.success(request, f"Version {result.version.number} saved.")
            return redirect("collections:strategy_detail", strategy_id=strategy.pk)
    return render(
        request, "collections/strategy_edit.html", {"strategy": strategy, "text": text, "error": error}, status=422 if error else 200
    )  # fmt: skip


@requires("collections.change_strategy")
def strategy_import(request: HttpRequest) -> HttpResponse:
    clients = Client.objects.filter(id__in=client_ids_for(request.user)).order_by("name")
    text, error, chosen = "", None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        text = (
            upload.read(MAX_DOCUMENT).decode("utf-8", "replace")
            if upload
            else request.POST.get("document", "")
        )
        chosen = request.POST.get("client", "")
        client = clients.filter(code=chosen).first() if chosen else None
        try:
            result = _store(request, text[:MAX_DOCUMENT], client, request.POST.get("note", "")[:300])
        except Refusal as refusal:
            error = refusal.message
        else:
            messages.success(
                request, f"Strategy {result.strategy.code} version {result.version.number} saved."
            )
            return redirect("collections:strategy_detail", strategy_id=result.strategy.pk)
    context = {"clients": clients, "text": text, "error": error, "chosen": chosen}
    return render(request, "collections/strategy_import.html", context, status=422 if error else 200)


@requires("collections.view_strategy")
def strategy_export(request: HttpRequest, strategy_id: int) -> HttpResponse:
    strategy = _visible(request, strategy_id)
    version = strategy.current_version()
    if version is None:
        raise Http404
    as_json = request.GET.get("format") == "json"
    body = strategies.export_strategy(version, source_format="json" if as_json else "yaml")
    response = HttpResponse(body, content_type="application/json" if as_json else "application/yaml")
    extension = "json" if as_json else "yaml"
    response["Content-Disposition"] = f'attachment; filename="{strategy.code}-v{version.number}.{extension}"'
    return response


@requires("collections.view_suppressions")
def suppression_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        days = min(max(int(request.GET.get("days", "30")), 1), 3660)
    except ValueError:
        days = 30
    context = {
        "days": days,
        "by_rule": selectors.suppressions_by_rule(request.user, today - timedelta(days=days - 1)),
        "refusals": selectors.recent_refusals(request.user),
        "holds": selectors.active_holds(request.user, today),
        "today": today,
    }
    return render(request, "collections/suppression_list.html", context)
