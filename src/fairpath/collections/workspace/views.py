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

from fairpath.accounts.models import Agreement, ThirdParty, VulnerabilityCue
from fairpath.cases import actions as case_actions
from fairpath.cases import rules as case_rules
from fairpath.collections import actions as collection_actions
from fairpath.collections import promises
from fairpath.collections.models import (
    Arrangement,
    EndOfContractCharge,
    IncomeExpenditure,
    Note,
    SettlementOffer,
)
from fairpath.collections.workspace import (
    actions,
    end_of_contract,
    recoveries,
    selectors,
    settlement,
    third_parties,
)
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.core.money import format_money, parse_money
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
        "can_work": user.has_perm("work.change_workitem"),
        "can_hold": user.has_perm(actions.HOLD_PERMISSION),
        "can_register_case": user.has_perm("cases.add_case"),
        "today": space.today,
        "instalment_rows": range(1, 4),
        "can_settle": user.has_perm(settlement.PERMISSION),
        "can_manage_third_parties": user.has_perm(third_parties.PERMISSION),
        "can_transfer": user.has_perm(recoveries.PERMISSION),
        "can_charge": user.has_perm(end_of_contract.PERMISSION)
        and agreement.product in end_of_contract.PRODUCTS,
        "settlement_kinds": SettlementOffer.Kind.choices,
        "third_party_kinds": ThirdParty.Kind.choices,
        "vulnerability_drivers": VulnerabilityCue.Driver.choices,
        "charge_kinds": EndOfContractCharge.Kind.choices,
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


# ----------------------------------------------------------------------------------------------------
# Settlement, third parties, vulnerability, recoveries, end of contract (issue 5, item 5)


def _optional_date(raw: str, field: str) -> date | None:
    return _date(raw, field) if raw.strip() else None


@require_POST
@requires(settlement.PERMISSION)
def settlement_offer(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        data = request.POST
        made = settlement.make_settlement_offer(
            agreement=agreement, actor=acting_user(request), kind=data.get("kind", ""),
            amount_minor=_minor(data.get("amount", ""), agreement.currency, "amount"),
            pay_by=_date(data.get("pay_by", ""), "pay_by"), on=timezone.localdate(), reason=data.get("reason", ""),
        )  # fmt: skip
        if made.status == SettlementOffer.Status.AWAITING_APPROVAL:
            return "The discount is over your authority: sent for approval to the next role up."
        return "Settlement offered."

    return _run(request, agreement_id, "settlement", step)


@require_POST
@requires(settlement.PERMISSION)
def settlement_step(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        raw = request.POST.get("offer", "")
        offer = SettlementOffer.objects.filter(pk=raw, agreement=agreement).first() if raw.isdigit() else None
        if offer is None:
            raise InvalidInput("Choose a settlement offer", field="offer")
        actor, today, chosen = acting_user(request), timezone.localdate(), request.POST.get("step", "")
        if chosen == "accept":
            settlement.accept_settlement(offer=offer, actor=actor, on=today)
            return "Settlement accepted: the discount is posted when the amount is paid."
        if chosen == "settle":
            settlement.complete_settlement(offer=offer, actor=actor, on=today)
            return "Settlement paid: the agreement is settled."
        if chosen == "withdraw":
            settlement.withdraw_settlement(offer=offer, actor=actor, reason=request.POST.get("reason", ""))
            return "Settlement offer withdrawn."
        raise InvalidInput("Accept, settle or withdraw", field="step")

    return _run(request, agreement_id, "settlement-step", step)


@require_POST
@requires(third_parties.PERMISSION)
def third_party_add(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        data = request.POST
        party = third_parties.add_third_party(
            agreement=agreement, actor=acting_user(request), kind=data.get("kind", ""), name=data.get("name", ""),
            organisation=data.get("organisation", ""), phone=data.get("phone", ""), email=data.get("email", ""),
            authority_from=_optional_date(data.get("authority_from", ""), "authority_from") or timezone.localdate(),
            authority_until=_optional_date(data.get("authority_until", ""), "authority_until"),
            all_agreements=data.get("all_agreements") == "on", reason=data.get("reason", ""),
        )  # fmt: skip
        return f"{party.get_kind_display()} {party.name} recorded."

    return _run(request, agreement_id, "third-party", step)


@require_POST
@requires(third_parties.PERMISSION)
def third_party_end(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        raw = request.POST.get("party", "")
        party = (
            ThirdParty.objects.filter(pk=raw, customer_id=agreement.customer_id).first()
            if raw.isdigit()
            else None
        )
        if party is None:
            raise InvalidInput("Choose a third party", field="party")
        third_parties.end_third_party(
            party=party, actor=acting_user(request), reason=request.POST.get("reason", ""),
            last_day=_optional_date(request.POST.get("last_day", ""), "last_day") or timezone.localdate(),
        )  # fmt: skip
        return f"{party.name}'s authority ended."

    return _run(request, agreement_id, "third-party-end", step)


@require_POST
@requires(actions.CONTACT_PERMISSION)
def vulnerability(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        data = request.POST
        actions.record_vulnerability(
            agreement=agreement, actor=acting_user(request), driver=data.get("driver", ""),
            description=data.get("description", ""), is_temporary=data.get("is_temporary") == "on",
            review_on=_optional_date(data.get("review_on", ""), "review_on"),
            lawful_basis=data.get("lawful_basis", ""), on=timezone.localdate(),
        )  # fmt: skip
        return "Vulnerability recorded (VC-RECORD)."

    return _run(request, agreement_id, "vulnerability", step)


@require_POST
@requires(recoveries.PERMISSION)
def recoveries_transfer(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        recoveries.transfer_to_recoveries(
            agreement=agreement, actor=acting_user(request), on=timezone.localdate(),
            reason=request.POST.get("reason", ""),
        )  # fmt: skip
        return "Transferred to recoveries."

    return _run(request, agreement_id, "recoveries", step)


@require_POST
@requires(end_of_contract.PERMISSION)
def end_of_contract_charge(request: HttpRequest, agreement_id: int) -> HttpResponse:
    def step(agreement: Agreement) -> str:
        data = request.POST
        kind = data.get("kind", "")
        mileage = kind == "excess_mileage"
        made = end_of_contract.record_end_of_contract_charge(
            agreement=agreement, actor=acting_user(request), kind=kind, on=timezone.localdate(),
            amount_minor=None if mileage else _minor(data.get("amount", ""), agreement.currency, "amount"),
            allowed_miles=_int(data.get("allowed_miles", ""), "allowed_miles") if mileage else None,
            recorded_miles=_int(data.get("recorded_miles", ""), "recorded_miles") if mileage else None,
            description=data.get("description", ""), evidence_reference=data.get("evidence_reference", ""),
        )  # fmt: skip
        return f"{made.get_kind_display()} of {format_money(made.amount_minor, made.currency)} charged."

    return _run(request, agreement_id, "end-of-contract", step)
