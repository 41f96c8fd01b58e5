"""The reconciliation page, the upload page, and one exception line with manual matching."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fairpath.accounts.models import Agreement
from fairpath.core.errors import Refusal
from fairpath.core.money import parse_money
from fairpath.governance.access import acting_user, visible_clients
from fairpath.payments import actions, selectors
from fairpath.payments.models import FORMAT_CHOICES, SavedMapping
from fairpath.web.permissions import requires


def _refused(request: HttpRequest, refusal: Refusal) -> None:
    messages.error(request, refusal.message + (f" [{refusal.rule}]" if refusal.rule else ""))


@requires("payments.view_reconciliation")
def reconciliation(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    exceptions = selectors.exceptions_for(request.user, status or None).prefetch_related("matches__agreement")
    return render(
        request,
        "payments/reconciliation.html",
        {"board": selectors.board_for(request.user), "exceptions": exceptions[:100], "status": status},
    )


@requires("payments.import_payments")
def upload(request: HttpRequest) -> HttpResponse:
    clients = list(visible_clients(request.user))
    mappings = SavedMapping.objects.for_user(request.user).order_by("name")
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        client = next((c for c in clients if str(c.pk) == request.POST.get("client")), None)
        if uploaded is None or client is None:
            messages.error(request, "Choose a client and a file.")
        else:
            try:
                summary = actions.import_file(
                    client=client, data=uploaded.read(), name=uploaded.name or "upload", actor=acting_user(request),
                    fmt=request.POST.get("format") or None, mapping=request.POST.get("mapping") or None,
                )  # fmt: skip
            except Refusal as refusal:
                _refused(request, refusal)
            else:
                if summary.already_imported:
                    messages.warning(request, "This file was already imported; nothing was posted again.")
                else:
                    messages.success(
                        request,
                        f"{summary.lines} lines: {summary.posted} posted, {summary.suggested} to confirm, "
                        f"{summary.suspense} in suspense, {summary.returned} returns applied, "
                        f"{summary.skipped} skipped as already imported.",
                    )
                return redirect("payments:reconciliation")
    return render(
        request, "payments/upload.html", {"clients": clients, "mappings": mappings, "formats": FORMAT_CHOICES}
    )


@requires("payments.view_reconciliation")
def line_detail(request: HttpRequest, line_id: int) -> HttpResponse:
    line = selectors.line_for(request.user, line_id)
    if line is None:
        raise Http404
    query = request.GET.get("q", "")[:60]
    return render(
        request,
        "payments/line_detail.html",
        {"line": line, "matches": selectors.matches_of(line), "query": query,
         "results": selectors.agreements_matching(line, query)},
    )  # fmt: skip


@require_POST
@requires("payments.match_payments")
def line_action(request: HttpRequest, line_id: int) -> HttpResponse:
    line = selectors.line_for(request.user, line_id)
    if line is None:
        raise Http404
    user = acting_user(request)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "").strip()[:300]
    try:
        if action == "confirm":
            actions.confirm_suggestion(line=line, actor=user)
            messages.success(request, "Suggestion confirmed and posted.")
        elif action == "reject":
            actions.leave_in_suspense(line=line, actor=user, reason=reason)
            messages.success(request, "Left in suspense.")
        elif action == "unmatch":
            actions.unmatch_line(line=line, actor=user, reason=reason)
            messages.success(request, "Payment reversed and put back in suspense.")
        elif action in ("match", "move"):
            agreement = Agreement.objects.filter(
                client_id=line.client_id, pk=request.POST.get("agreement_id") or 0
            )
            found = agreement.first()
            if found is None:
                raise Http404
            amount_text = request.POST.get("amount", "").strip()
            amount = parse_money(amount_text, line.currency).minor if amount_text else line.amount_minor
            allocations = [(found, amount)]
            if action == "move":
                actions.move_line(line=line, allocations=allocations, actor=user, reason=reason)
            else:
                actions.match_line(line=line, allocations=allocations, actor=user, reason=reason)
            messages.success(request, f"Posted to {found.reference}.")
        else:
            messages.error(request, "Unknown action.")
    except Refusal as refusal:
        _refused(request, refusal)
    except ValueError as error:
        messages.error(request, str(error))
    return redirect(reverse("payments:line_detail", args=[line.pk]))
