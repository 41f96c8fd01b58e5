"""The agent workspace: one page per agreement with every servicing action as an htmx form.

Each POST calls one domain action. With htmx, success refreshes the page and a refusal comes back inline
(message and rule id) in the form's result box; without htmx, success redirects and a refusal re-renders
the page with status 422. A refused action changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from fairpath.accounts.models import Agreement
from fairpath.cases import actions as case_actions
from fairpath.cases import rules as case_rules
from fairpath.collections import actions as collection_actions
from fairpath.collections import promises
from fairpath.collections.models import Arrangement, IncomeExpenditure, Note
from fairpath.collections.workspace import actions, selectors
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.core.money import parse_money
from fairpath.governance.access import acting_user
from fairpath.web.permissions import requires

VIEW_PERMISSION = "collections.view_hold"


def _agreement(request: HttpRequest, agreement_id: int) -> Agreement:
    agreement = selectors.workspace_agreement(request.user, agreement_id)
    if agreement is None:
        raise Http404
    return agreement


def _page(
    request: HttpRequest, agreement: Agreement, *, error: Refusal | None = None, form: str = ""
) -> HttpResponse:
    space = selectors.build(
        agreement, now=timezone.now(), today=timezone.localdate(), user_id=request.user.pk
    )
    user = request.user
    context = {
        "space": space,
        "agreement": agreement,
        **space.extra,
        "error": error,
        "error_form": form,
        "outcomes": actions.OUTCOMES,
        "forbearance_options": actions.FORBEARANCE_OPTIONS,
        "sfs_income": actions.SFS_INCOME,
        "sfs_expenditure": actions.SFS_EXPENDITURE,
        "sfs_debts": actions.SFS_DEBTS,
        "case_categories": [(code, label) for code, (label, _g, _p) in case_rules.CATEGORIES.items()],
        "can_act": user.has_perm(actions.CONTACT_PERMISSION),
        "can_hold": user.has_perm(actions.HOLD_PERMISSION),
        "can_register_case": user.has_perm("cases.add_case"),
        "today": space.today,
        "instalment_rows": range(1, 4),
    }
    return render(request, "collections/workspace.html", context, status=422 if error else 200)


@requires(VIEW_PERMISSION)
def workspace(request: HttpRequest, agreement_id: int) -> HttpResponse:
    return _page(request, _agreement(request, agreement_id))


def _run(
    request: HttpRequest, agreement_id: int, form: str, step: Callable[[Agreement], str]
) -> HttpResponse:
    """Run one action; refusals answered inline (htmx) or on the page (422), success refreshes the page."""
    agreement = _agreement(request, agreement_id)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        done = step(agreement)
    except NotPermitted:
        raise
    except Refusal as refusal:
        if htmx:
            rule = format_html(' <span class="badge bad">{}</span>', refusal.rule) if refusal.rule else ""
            return HttpResponse(
                format_html(
                    '<p class="error" role="alert" data-testid="refusal">{}{}</p>', refusal.message, rule
                )
            )
        return _page(request, agreement, error=refusal, form=form)
    messages.success(request, done)
    target = reverse("collections:workspace", kwargs={"agreement_id": agreement.pk})
    if htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"Give a date (YYYY-MM-DD) for {field.replace('_', ' ')}", field=field) from None


def _minor(raw: str, currency: str, field: str) -> int:
    if not raw.strip():
        return 0
    try:
        amount = parse_money(raw, currency).minor
    except ValueError as error:
        raise InvalidInput(str(error), field=field) from None
    return amount


def _int(raw: str, field: str) -> int:
    if not raw.strip().isdigit():
        raise InvalidInput(f"Give a whole number for {field.replace('_', ' ')}", field=field)
    return int(raw)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def contact(request: HttpRequest, agreement_id: int) -> HttpResponse:
    data = request.POST

    def step(agreement: Agreement) -> str:
        actions.record_contact(
            agreement=agreement, actor=acting_user(request), channel=data.get("channel", ""),
            direction=data.get("direction", ""), outcome=data.get("outcome", ""),
            party=data.get("party", "customer"), third_party_name=data.get("third_party_name", ""),
            identity_verified=data.get("identity_verified") == "on", right_party=data.get("right_party") == "on",
            note=data.get("note", ""),
        )  # fmt: skip
        return "Contact recorded."

    return _run(request, agreement_id, "contact", step)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def note(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        saved = actions.add_note(
            agreement=agreement, actor=acting_user(request), text=request.POST.get("text", ""),
            refuse_cards=request.POST.get("on_card") == "refuse",
        )  # fmt: skip
        return (
            f"Note saved ({saved.cards_masked} card number masked)." if saved.cards_masked else "Note saved."
        )

    return _run(request, agreement_id, "note", step)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def promise(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        rows = []
        for number in range(1, 4):
            due, amount = request.POST.get(f"due_on_{number}", ""), request.POST.get(f"amount_{number}", "")
            if due.strip() or amount.strip():
                minor = _minor(amount, agreement.currency, f"amount_{number}")
                rows.append((_date(due, f"due_on_{number}"), minor))
        actions._check(acting_user(request), agreement, actions.CONTACT_PERMISSION)
        promises.record_promise(
            agreement=agreement, instalments=rows, made_on=timezone.localdate(), actor=acting_user(request),
            note=actions._text(request.POST.get("note", ""), "note", limit=500),
        )  # fmt: skip
        return "Promise to pay recorded."

    return _run(request, agreement_id, "promise", step)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def income_expenditure(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        lines = {
            name: _minor(request.POST.get(name, ""), agreement.currency, name) for name in actions.SFS_ALL
        }
        assessment = actions.record_statement(
            agreement=agreement, actor=acting_user(request), lines=lines, assessed_on=timezone.localdate(),
            notes=request.POST.get("notes", ""),
        )  # fmt: skip
        flags = f" Check: {'; '.join(assessment.flags)}." if assessment.flags else ""
        return f"Income and expenditure recorded.{flags}"

    return _run(request, agreement_id, "ie", step)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def arrangement_propose(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        actor = acting_user(request)
        actions._check(actor, agreement, actions.CONTACT_PERMISSION)
        raw = request.POST.get("assessment", "")
        assessment = (
            IncomeExpenditure.objects.filter(pk=raw, customer_id=agreement.customer_id).first()
            if raw.isdigit()
            else None
        )
        amount = _minor(request.POST.get("amount", ""), agreement.currency, "amount")
        proposal = promises.propose_arrangement(
            agreement=agreement, amount_minor=amount, first_due_on=_date(request.POST.get("first_due_on", ""), "first_due_on"),
            instalment_count=_int(request.POST.get("instalment_count", ""), "instalment_count"),
            proposed_on=timezone.localdate(), actor=actor, assessment=assessment,
            frequency=request.POST.get("frequency", "monthly"),
        )  # fmt: skip
        return "Arrangement proposed." + (
            "" if proposal.is_affordable else " Not shown affordable by an I&E: decide with a reason."
        )

    return _run(request, agreement_id, "arrangement", step)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def arrangement_decide(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        actor = acting_user(request)
        actions._check(actor, agreement, actions.CONTACT_PERMISSION)
        raw = request.POST.get("arrangement", "")
        arrangement = (
            Arrangement.objects.filter(pk=raw, agreement=agreement).first() if raw.isdigit() else None
        )
        if arrangement is None:
            raise InvalidInput("Choose a proposed arrangement", field="arrangement")
        accept = request.POST.get("decision") == "accept"
        outcome = promises.decide_arrangement(
            arrangement=arrangement, accept=accept, reason=request.POST.get("reason", ""),
            on=timezone.localdate(), actor=actor,
        )  # fmt: skip
        if not isinstance(outcome, Arrangement):
            return "The term is over your authority: sent to a team leader for approval."
        return "Arrangement accepted." if accept else "Arrangement declined (reason recorded)."

    return _run(request, agreement_id, "decide", step)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def forbearance(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        considered = request.POST.getlist("considered")
        actions.record_forbearance(
            agreement=agreement, actor=acting_user(request), considered=considered,
            chosen=request.POST.get("chosen", ""), chosen_reason=request.POST.get("chosen_reason", ""),
            refused={name: request.POST.get(f"refused_{name}", "") for name in considered},
            on=timezone.localdate(),
        )  # fmt: skip
        return "Forbearance recorded."

    return _run(request, agreement_id, "forbearance", step)


@require_POST
@requires(actions.HOLD_PERMISSION)
def hold(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        actor = acting_user(request)
        actions._check(actor, agreement, actions.HOLD_PERMISSION)
        kind = request.POST.get("kind", "")
        reason = actions._text(request.POST.get("reason", ""), "reason", limit=500)
        today = timezone.localdate()
        if kind == "breathing_space":
            collection_actions.start_breathing_space(
                agreement=agreement, entered_on=_date(request.POST.get("entered_on", "") or today.isoformat(), "entered_on"),
                actor=actor, mental_health=request.POST.get("mental_health") == "on",
                reference=request.POST.get("reference", "")[:60], reason=reason,
            )  # fmt: skip
            return "Breathing space recorded."
        if kind == "advice":
            collection_actions.start_advice_hold(
                agreement=agreement, starts_on=today, actor=actor, reason=reason
            )
            return "Debt-advice hold started (30 days)."
        if kind == "capacity":
            collection_actions.flag_capacity(agreement=agreement, on=today, actor=actor, reason=reason)
            return "Capacity flag recorded: collection suspended."
        if kind == "dispute":
            collection_actions.record_dispute(agreement=agreement, on=today, actor=actor, reason=reason)
            return "Dispute recorded: collection held until it is answered."
        raise InvalidInput("Choose breathing space, debt-advice hold capacity or dispute", field="kind")

    return _run(request, agreement_id, "hold", step)


@require_POST
@requires("cases.add_case")
def note_complaint(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        raw = request.POST.get("note", "")
        found: Note | None = (
            Note.objects.filter(pk=raw, agreement=agreement).first() if raw.isdigit() else None
        )
        if found is None:
            raise InvalidInput("Choose a note", field="note")
        case = case_actions.register_case(
            client=agreement.client, case_type="complaint", category=request.POST.get("category", ""),
            channel=request.POST.get("channel", "phone"), received_at=found.created_at, actor=acting_user(request),
            description=found.text, agreement=agreement,
        )  # fmt: skip
        return f"Complaint {case.reference or case.pk} registered from the note."

    return _run(request, agreement_id, "complaint", step)
