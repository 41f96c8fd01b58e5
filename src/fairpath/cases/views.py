"""Case pages: the list with deadline badges, the case page (deadlines, timeline, notes, escalate and close with
htmx), registering a complaint from a customer, the complaints MI and the D-RETURN export. Views only read
through selectors and change through actions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fairpath.accounts.models import Agreement, Customer
from fairpath.cases import actions, rules, selectors
from fairpath.cases.models import Case, CaseLetter, OmbudsmanReferral, ReplyTemplate
from fairpath.core.errors import Refusal
from fairpath.core.money import parse_money
from fairpath.governance.access import acting_user, client_ids_for, visible_clients
from fairpath.web.permissions import requires

STATE_BADGES = {
    "breached": "bad",
    "at_risk": "warn",
    "on_track": "ok",
    "paused": "muted",
    "met": "ok",
    "met_late": "warn",
}
STATE_LABELS = {
    "breached": "breached",
    "at_risk": "at risk",
    "on_track": "on track",
    "paused": "clock stopped",
    "met": "met",
    "met_late": "met late",
}


def _page_number(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


def _deadline_rows(case: Case, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for deadline in case.deadlines.all():
        state = selectors.deadline_state(deadline, now)
        rows.append(
            {
                "deadline": deadline,
                "state": state,
                "badge": STATE_BADGES[state],
                "state_label": STATE_LABELS[state],
                "local_due": deadline.due_at.astimezone(ZoneInfo(case.time_zone)),
            }
        )
    return rows


def _worst(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    order = ["breached", "at_risk", "on_track", "paused"]
    open_rows = [row for row in rows if row["state"] in order]
    if not open_rows:
        return None
    return min(open_rows, key=lambda row: (order.index(row["state"]), row["deadline"].due_at))


@requires("cases.view_case")
def case_list(request: HttpRequest) -> HttpResponse:
    customer_id = request.GET.get("customer", "")
    filters = selectors.CaseFilters(
        case_type=request.GET.get("type", "")[:30],
        status=request.GET.get("status", "open")[:30],
        category=request.GET.get("category", "")[:40],
        deadline=request.GET.get("deadline", "")[:20],
        customer_id=int(customer_id) if customer_id.isdigit() else None,
        query=request.GET.get("q", "")[:100],
    )
    now = timezone.now()
    number = _page_number(request)
    found = list(
        selectors.case_list(request.user, filters, now)[
            (number - 1) * selectors.PAGE_SIZE : number * selectors.PAGE_SIZE + 1
        ]
    )
    rows = [
        {"case": case, "next": _worst(_deadline_rows(case, now))} for case in found[: selectors.PAGE_SIZE]
    ]
    context = {
        "rows": rows,
        "filters": filters,
        "page_number": number,
        "has_next": len(found) > selectors.PAGE_SIZE,
        "case_types": rules.CASE_TYPE_LABELS.items(),
        "categories": [(code, label) for code, (label, _, _) in rules.CATEGORIES.items()],
        "statuses": rules.STATUS_LABELS.items(),
    }
    return render(request, "cases/case_list.html", context)


def _visible(request: HttpRequest, case_id: int) -> Case:
    case = selectors.case_page(request.user, case_id)
    if case is None:
        raise Http404
    return case


def _timeline(case: Case) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for change in case.status_changes.all():
        items.append(
            {"at": change.changed_at, "kind": "status", "who": change.actor_label,
             "text": f"Status {change.get_from_status_display() or '—'} → {change.get_to_status_display()}"
             + (f": {change.reason}" if change.reason else "")}
        )  # fmt: skip
    for escalation in case.escalations.all():
        items.append(
            {"at": escalation.at, "kind": "escalation", "who": escalation.by_label,
             "text": f"Escalated to {escalation.get_to_level_display()}: {escalation.reason}"}
        )  # fmt: skip
    for letter in case.letters.all():
        items.append({"at": letter.created_at, "kind": "letter", "who": letter.created_by_label,
                      "text": f"Letter: {letter.get_kind_display()}", "letter": letter})  # fmt: skip
    for note in case.notes.all():
        items.append({"at": note.created_at, "kind": "note", "who": note.author_label, "text": note.body,
                      "contact": note.is_customer_contact})  # fmt: skip
    return sorted(items, key=lambda item: item["at"], reverse=True)


def _reply_templates(case: Case) -> list[tuple[str, str]]:
    """The client's reply templates for this case type, filled in with the customer's name and the reference."""
    name = case.customer.display_name if case.customer else "Customer"
    templates = ReplyTemplate.objects.filter(client_id=case.client_id, is_active=True).filter(
        Q(case_type="") | Q(case_type=case.case_type)
    )
    return [
        (
            template.name,
            template.body.replace("{customer_name}", name).replace("{case_reference}", case.reference),
        )
        for template in templates
    ]


@requires("cases.view_case")
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    now = timezone.now()
    context = {
        "case": case,
        "deadlines": _deadline_rows(case, now),
        "timeline": _timeline(case),
        "statuses": [
            (status.value, rules.STATUS_LABELS[status])
            for status in rules.STATUS_TRANSITIONS[rules.Status(case.status)]
            if status != rules.Status.MERGED and not (case.is_complaint and status == rules.Status.CLOSED)
        ],
        "outcomes": rules.OUTCOME_LABELS.items(),
        "root_causes": rules.ROOT_CAUSES.items(),
        "fos_outcomes": [
            (k, v) for k, v in rules.FOS_OUTCOME_LABELS.items() if k != rules.FosOutcome.PENDING
        ],
        "next_level": rules.ESCALATION_LABELS.get(rules.EscalationLevel(min(case.escalation_level + 1, 3))),
        "outcome": getattr(case, "outcome", None),
        "currency": case.agreement.currency if case.agreement else case.client.base_currency,
        "reply_templates": _reply_templates(case),
    }
    template = "cases/_case_body.html" if request.headers.get("HX-Request") else "cases/case_detail.html"
    return render(request, template, context)


def _after(request: HttpRequest, case_id: int) -> HttpResponse:
    """Back to the case page; an htmx request gets the refreshed case body instead."""
    if request.headers.get("HX-Request"):
        request.method = "GET"
        return case_detail(request, case_id)
    return redirect("cases:case_detail", case_id=case_id)


def _refused(request: HttpRequest, refusal: Refusal) -> None:
    where = f" ({refusal.field})" if refusal.field else ""
    messages.error(request, f"{refusal.message}{where}" + (f" [{refusal.rule}]" if refusal.rule else ""))


@require_POST
@requires("cases.change_case")
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    try:
        actions.add_note(
            case=case,
            body=request.POST.get("body", ""),
            actor=acting_user(request),
            is_customer_contact=request.POST.get("is_customer_contact") == "on",
        )
    except Refusal as refusal:
        _refused(request, refusal)
    return _after(request, case_id)


@require_POST
@requires("cases.change_case")
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    try:
        actions.change_status(
            case=case,
            to_status=request.POST.get("status", ""),
            actor=acting_user(request),
            reason=request.POST.get("reason", ""),
        )
    except Refusal as refusal:
        _refused(request, refusal)
    return _after(request, case_id)


@require_POST
@requires("cases.escalate_case")
def case_escalate(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    try:
        escalation = actions.escalate(
            case=case, actor=acting_user(request), reason=request.POST.get("reason", "")
        )
        messages.success(request, f"Escalated to {escalation.get_to_level_display()}.")
    except Refusal as refusal:
        _refused(request, refusal)
    return _after(request, case_id)


@require_POST
@requires("cases.close_complaint")
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    currency = case.agreement.currency if case.agreement else case.client.base_currency
    try:
        text = request.POST.get("redress", "").strip()
        try:
            redress = parse_money(text, currency).minor if text else 0
        except ValueError as error:
            raise Refusal(str(error), field="redress") from None
        result = actions.close_complaint(
            case=case,
            actor=acting_user(request),
            outcome=request.POST.get("outcome", ""),
            root_cause=request.POST.get("root_cause", ""),
            summary=request.POST.get("summary", ""),
            redress_minor=redress,
            reason=request.POST.get("summary", ""),
        )
        if result.approval is not None:
            messages.warning(
                request,
                f"The redress is over your authority: approval request #{result.approval.pk} went to "
                f"{result.approval.required_role}. The complaint stays open until it is approved. [AUTHORITY-LIMIT]",
            )
        else:
            messages.success(request, "Complaint closed; final response recorded.")
    except Refusal as refusal:
        _refused(request, refusal)
    return _after(request, case_id)


@require_POST
@requires("cases.add_case")
def case_raise_complaint(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    try:
        complaint = actions.raise_complaint_from(case=case, actor=acting_user(request))
    except Refusal as refusal:
        _refused(request, refusal)
        return redirect("cases:case_detail", case_id=case_id)
    messages.success(request, f"Complaint {complaint.reference} registered.")
    return redirect("cases:case_detail", case_id=complaint.pk)


@require_POST
@requires("cases.change_case")
def case_letter_send(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    try:
        actions.send_letter(case=case, kind=request.POST.get("kind", ""), actor=acting_user(request))
    except Refusal as refusal:
        _refused(request, refusal)
    return _after(request, case_id)


@require_POST
@requires("cases.change_case")
def case_attach(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a file (file)")
    else:
        try:
            actions.add_attachment(case=case, upload=upload, actor=acting_user(request))
        except Refusal as refusal:
            _refused(request, refusal)
    return redirect("cases:case_detail", case_id=case_id)


@requires("cases.view_case")
def case_letter(request: HttpRequest, case_id: int, letter_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    letter = CaseLetter.objects.filter(case=case, pk=letter_id).first()
    if letter is None:
        raise Http404
    return render(request, "cases/letter.html", {"case": case, "letter": letter})


@require_POST
@requires("cases.manage_ombudsman")
def case_refer(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    try:
        referred_on = dt.date.fromisoformat(
            request.POST.get("referred_on", "") or timezone.localdate().isoformat()
        )
        actions.refer_to_ombudsman(
            case=case,
            referred_on=referred_on,
            actor=acting_user(request),
            fos_reference=request.POST.get("fos_reference", ""),
        )
    except ValueError:
        messages.error(request, "Give the referral date as YYYY-MM-DD (referred_on)")
    except Refusal as refusal:
        _refused(request, refusal)
    return _after(request, case_id)


@require_POST
@requires("cases.manage_ombudsman")
def case_fos_outcome(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _visible(request, case_id)
    referral = OmbudsmanReferral.objects.filter(case=case).order_by("-referred_on", "-id").first()
    if referral is None:
        messages.error(request, "Record the referral first [D-FOS]")
        return _after(request, case_id)
    try:
        actions.record_ombudsman_outcome(
            referral=referral,
            outcome=request.POST.get("outcome", ""),
            outcome_on=dt.date.fromisoformat(
                request.POST.get("outcome_on", "") or timezone.localdate().isoformat()
            ),
            actor=acting_user(request),
        )
    except ValueError:
        messages.error(request, "Give the decision date as YYYY-MM-DD (outcome_on)")
    except Refusal as refusal:
        _refused(request, refusal)
    return _after(request, case_id)


@requires("cases.add_case")
def case_register(request: HttpRequest) -> HttpResponse:
    """Register a case (a complaint by default), reached from a customer with ``?customer=<id>``."""
    allowed = client_ids_for(request.user)
    source = request.POST if request.method == "POST" else request.GET
    customer_id, agreement_id = source.get("customer", ""), source.get("agreement", "")
    agreement = (
        Agreement.objects.filter(pk=agreement_id, client_id__in=allowed).select_related("customer").first()
        if agreement_id.isdigit()
        else None
    )
    customer = (
        Customer.objects.filter(pk=customer_id, client_id__in=allowed).first()
        if customer_id.isdigit()
        else (agreement.customer if agreement else None)
    )
    if (customer_id and customer is None) or (agreement_id and agreement is None):
        raise Http404
    region, zone_name = actions.jurisdiction_of(customer)
    zone = ZoneInfo(zone_name)
    values = {
        "case_type": source.get("case_type", "complaint"),
        "category": source.get("category", ""),
        "channel": source.get("channel", "phone"),
        "received_at": source.get("received_at", "")
        or timezone.now().astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "summary": source.get("summary", ""),
        "description": source.get("description", ""),
    }
    if request.method == "POST":
        try:
            try:
                received = dt.datetime.fromisoformat(values["received_at"])
            except ValueError:
                raise Refusal("Give the date and time of receipt", field="received_at") from None
            if received.tzinfo is None:
                received = received.replace(tzinfo=zone)
            client = customer.client if customer else None
            if client is None:
                clients = list(visible_clients(request.user)[:2])
                if len(clients) != 1:
                    raise Refusal("Register the case from the customer's page", field="customer")
                client = clients[0]
            case = actions.register_case(
                client=client,
                case_type=values["case_type"],
                category=values["category"],
                channel=values["channel"],
                received_at=received,
                actor=acting_user(request),
                summary=values["summary"],
                description=values["description"],
                customer=customer,
                agreement=agreement,
            )
        except Refusal as refusal:
            _refused(request, refusal)
        else:
            messages.success(request, f"{case.get_case_type_display()} {case.reference} registered.")
            return redirect("cases:case_detail", case_id=case.pk)
    agreements = list(customer.agreements.order_by("reference")) if customer else []
    context = {
        "customer": customer,
        "agreement": agreement,
        "agreements": agreements,
        "values": values,
        "time_zone": zone_name,
        "region": region,
        "case_types": rules.CASE_TYPE_LABELS.items(),
        "categories": [(code, label) for code, (label, _, _) in rules.CATEGORIES.items()],
        "channels": [
            (channel.value, channel.value.replace("_", " ").capitalize()) for channel in rules.Channel
        ],
    }
    return render(request, "cases/case_register.html", context)


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    start, end = selectors.half_year(timezone.localdate())
    try:
        if request.GET.get("start"):
            start = dt.date.fromisoformat(request.GET["start"])
        if request.GET.get("end"):
            end = dt.date.fromisoformat(request.GET["end"])
    except ValueError:
        pass
    return start, end


@requires("cases.view_complaints_mi")
def complaints_mi(request: HttpRequest) -> HttpResponse:
    start, end = _period(request)
    figures = selectors.complaints_mi(request.user, start, end)
    context = {
        "mi": figures,
        "start": start,
        "end": end,
        "product_labels": {"credit": "Credit (consumer credit)", "service": "Service and administration",
                           "payments": "Payment services"},
        "root_cause_labels": rules.ROOT_CAUSES,
        "export_url": reverse("cases:complaints_return") + f"?start={start.isoformat()}&end={end.isoformat()}",
    }  # fmt: skip
    return render(request, "cases/complaints_mi.html", context)


@requires("cases.view_complaints_mi")
def complaints_return(request: HttpRequest) -> HttpResponse:
    """D-RETURN: the half-yearly complaints return as an Excel workbook."""
    from fairpath.cases.reports import return_workbook

    start, end = _period(request)
    figures = selectors.complaints_mi(request.user, start, end)
    content = return_workbook(figures)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="complaints-return-{start}-{end}.xlsx"'
    return response


@requires("cases.view_case")
def case_letter_pdf(request: HttpRequest, case_id: int, letter_id: int) -> HttpResponse:
    """The stored letter as an A4 PDF (WeasyPrint), exactly as it was sent."""
    case = _visible(request, case_id)
    letter = CaseLetter.objects.filter(case=case, pk=letter_id).first()
    if letter is None:
        raise Http404
    from weasyprint import HTML  # imported late: it loads fonts and Pango once

    document = f"<!doctype html><html><head><meta charset='utf-8'><style>@page {{ size: A4; margin: 25mm }}</style></head><body>{letter.html}</body></html>"
    response = HttpResponse(bytes(HTML(string=document).write_pdf()), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.reference}-{letter.kind}.pdf"'
    return response
