"""The reconciliation page, the upload page, and one exception line with manual matching."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fairpath.accounts.models import Agreement
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.core.money import parse_money
from fairpath.governance.access import acting_user, visible_clients
from fairpath.payments import actions, parsers, selectors
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


MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # a 1M-line camt.053 is about 600 MB; bigger files go through the CLI


@requires("payments.import_payments")
def upload(request: HttpRequest) -> HttpResponse:
    """Multipart upload of one file; a refused file re-shows the form (400) with the line and the reason."""
    clients = list(visible_clients(request.user))
    mappings = SavedMapping.objects.for_user(request.user).select_related("client").order_by("name")
    status = 200
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        client = next((c for c in clients if str(c.pk) == request.POST.get("client")), None)
        if client is None:
            messages.error(request, "Choose one of your clients.")
            status = 400
        elif uploaded is None or not uploaded.size:
            messages.error(request, "Choose a file to import: none was sent, or it was empty.")
            status = 400
        elif uploaded.size > MAX_UPLOAD_BYTES:
            messages.error(
                request,
                f"{uploaded.name} is larger than {MAX_UPLOAD_BYTES // 2**20} MB: import it with the CLI.",
            )
            status = 400
        else:
            try:
                summary = actions.import_file(
                    client=client, data=uploaded.read(), name=uploaded.name or "upload", actor=acting_user(request),
                    fmt=request.POST.get("format") or None, mapping=request.POST.get("mapping") or None,
                )  # fmt: skip
            except Refusal as refusal:
                messages.error(request, f"{uploaded.name} was refused and nothing from it was posted: {refusal.message}"
                               + (f" [{refusal.rule}]" if refusal.rule else ""))  # fmt: skip
                status = 400
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
        request,
        "payments/upload.html",
        {"clients": clients, "mappings": mappings, "formats": FORMAT_CHOICES, "chosen": request.POST},
        status=status,
    )


@requires("payments.import_payments")
def mappings(request: HttpRequest) -> HttpResponse:
    """The saved CSV column mappings of the user's clients."""
    return render(
        request,
        "payments/mappings.html",
        {"mappings": SavedMapping.objects.for_user(request.user).select_related("client").order_by("client__name", "name")},
    )  # fmt: skip


@requires("payments.import_payments")
def mapping_edit(request: HttpRequest, mapping_id: int | None = None) -> HttpResponse:
    """Create a mapping, or change one (its name stays: imports and the CLI name it)."""
    mapping = None
    if mapping_id is not None:
        mapping = SavedMapping.objects.for_user(request.user).filter(pk=mapping_id).first()
        if mapping is None:
            raise Http404
    clients = list(visible_clients(request.user))
    values = _mapping_values(mapping)
    status = 200
    if request.method == "POST":
        values = _mapping_values(None, request.POST)
        client = (
            mapping.client
            if mapping
            else next((c for c in clients if str(c.pk) == request.POST.get("client")), None)
        )
        name = mapping.name if mapping else request.POST.get("name", "").strip()
        columns = {key: request.POST.get(f"column_{key}", "").strip() for key in parsers.csvfile.FIELDS}
        try:
            if client is None:
                raise InvalidInput("Choose one of your clients", field="client")
            if not name or not re.fullmatch(r"[-a-zA-Z0-9_]{1,60}", name):
                raise InvalidInput("Name the mapping with letters, digits, - or _ (at most 60)", field="name")
            if mapping is None and SavedMapping.objects.filter(client=client, name=name).exists():
                raise InvalidInput(
                    f"{client.name} already has a mapping {name!r}: change that one", field="name"
                )
            saved = actions.save_mapping(
                client=client, name=name, columns={key: column for key, column in columns.items() if column},
                actor=acting_user(request), date_format=values["date_format"] or "%Y-%m-%d",
                delimiter=values["delimiter"] or ",", currency=values["currency"].upper() or "GBP",
                decimal_comma=values["decimal_comma"],
            )  # fmt: skip
        except Refusal as refusal:
            _refused(request, refusal)
            status = 400
        else:
            messages.success(request, f"Mapping {saved.name} saved for {saved.client.name}.")
            return redirect("payments:mappings")
    return render(
        request,
        "payments/mapping_edit.html",
        {"mapping": mapping, "clients": clients, "values": values, "fields": _FIELD_LABELS},
        status=status,
    )


_FIELD_LABELS = [
    ("date", "Date"), ("amount", "Amount (signed)"), ("credit", "Credit (money in)"), ("debit", "Debit (money out)"),
    ("reference", "Reference"), ("payer", "Payer name"), ("currency", "Currency"), ("bank_reference", "Bank reference"),
]  # fmt: skip


def _mapping_values(mapping: SavedMapping | None, posted: Any = None) -> dict[str, Any]:
    """The form's values: from the POST, else the mapping, else the defaults."""
    if posted is not None:
        return {
            "client": posted.get("client", ""), "name": posted.get("name", "").strip(),
            "columns": {key: posted.get(f"column_{key}", "").strip() for key in parsers.csvfile.FIELDS},
            "date_format": posted.get("date_format", "").strip(), "delimiter": posted.get("delimiter", "")[:1],
            "currency": posted.get("currency", "").strip(), "decimal_comma": posted.get("decimal_comma") == "on",
        }  # fmt: skip
    if mapping is None:
        return {"client": "", "name": "", "columns": {}, "date_format": "%Y-%m-%d", "delimiter": ",",
                "currency": "GBP", "decimal_comma": False}  # fmt: skip
    return {"client": str(mapping.client_id), "name": mapping.name, "columns": dict(mapping.columns),
            "date_format": mapping.date_format, "delimiter": mapping.delimiter, "currency": mapping.currency,
            "decimal_comma": mapping.decimal_comma}  # fmt: skip


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
