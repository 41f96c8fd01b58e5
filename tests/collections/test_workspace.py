"""The agent workspace: the page, every servicing action through the web, refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpath.accounts.models import VulnerabilityCue
from fairpath.cases.models import Case
from fairpath.collections.models import (
    Arrangement,
    ContactAttempt,
    ContactRecord,
    ForbearanceRecord,
    Hold,
    IncomeExpenditure,
    Note,
    Promise,
)
from fairpath.collections.workspace import actions
from fairpath.governance.models import ApprovalRequest
from tests.factories import make_user
from tests.factories.collections import add_preference, make_uk_agreement

pytestmark = pytest.mark.django_db

# A weekday at 11:00 London time: calls are allowed unless something forbids them.
NOON = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)
VISA = "4111 1111 1111 1111"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def agreement(client_a):
    return make_uk_agreement(client_a)


@pytest.fixture
def agent(client_a):
    return make_user("agent", client_a)


def url(name: str, agreement) -> str:
    return reverse(f"collections:{name}", kwargs={"agreement_id": agreement.pk})


def counts(agreement) -> tuple[int, ...]:
    return (
        ContactAttempt.objects.filter(agreement=agreement).count(),
        ContactRecord.objects.filter(agreement=agreement).count(),
        Note.objects.filter(agreement=agreement).count(),
        Promise.objects.filter(agreement=agreement).count(),
        Arrangement.objects.filter(agreement=agreement).count(),
        IncomeExpenditure.objects.filter(customer=agreement.customer).count(),
        ForbearanceRecord.objects.filter(agreement=agreement).count(),
        Hold.objects.filter(agreement=agreement).count(),
        Case.objects.filter(agreement=agreement).count(),
    )


def test_page_shows_banner_and_call_answer(web_as, agent, agreement):
    VulnerabilityCue.objects.create(
        client_id=agreement.client_id, customer=agreement.customer, driver="health",
        description="Recovering from surgery", recorded_on=date(2026, 3, 1),
    )  # fmt: skip
    response = web_as(agent).get(url("workspace", agreement))
    assert response.status_code == 200
    body = response.content.decode()
    assert "VC-RECORD" in body and "Recovering from surgery" in body
    assert 'data-testid="call-now"' in body and "allowed" in body


def test_foreign_client_agent_gets_404(web_as, client_b, agreement):
    outsider = make_user("agent", client_b)
    http = web_as(outsider)
    assert http.get(url("workspace", agreement)).status_code == 404
    before = counts(agreement)
    response = http.post(url("workspace_note", agreement), {"text": "hello"})
    assert response.status_code == 404
    assert counts(agreement) == before


def test_right_party_call_logged(web_as, agent, agreement):
    response = web_as(agent).post(
        url("workspace_contact", agreement),
        {"channel": "call", "direction": "outbound", "party": "customer", "identity_verified": "on",
         "right_party": "on", "outcome": "promise", "note": "Spoke to customer"},
    )  # fmt: skip
    assert response.status_code == 302
    record = ContactRecord.objects.get(agreement=agreement)
    assert record.right_party and record.identity_verified and record.attempt is not None
    assert record.attempt.is_allowed and record.attempt.is_conversation


def test_guard_refuses_call_during_breathing_space_and_logs_nothing_else(web_as, agent, agreement):
    http = web_as(agent)
    assert (
        http.post(
            url("workspace_hold", agreement), {"kind": "breathing_space", "entered_on": "2026-03-01"}
        ).status_code
        == 302
    )
    before = counts(agreement)
    response = http.post(
        url("workspace_contact", agreement),
        {"channel": "call", "direction": "outbound", "party": "customer", "outcome": "no_answer"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "BS-EFFECT" in response.content.decode()
    after = counts(agreement)
    # Only the guard's refused attempt is kept (counted on the suppressions page); no contact is logged.
    assert after[0] == before[0] + 1 and after[1:] == before[1:]
    assert not ContactAttempt.objects.filter(agreement=agreement).latest("id").is_allowed


def test_guard_refuses_outside_customer_hours_with_rule(web_as, agent, agreement):
    from datetime import time

    add_preference(agreement.customer, "call", earliest_time=time(18, 0), latest_time=time(20, 0))
    response = web_as(agent).post(
        url("workspace_contact", agreement),
        {"channel": "call", "direction": "outbound", "party": "customer", "outcome": "no_answer"},
    )
    assert response.status_code == 422
    assert "UK-CONTACT" in response.content.decode()
    assert not ContactRecord.objects.filter(agreement=agreement).exists()


def test_right_party_without_identity_refused(web_as, agent, agreement):
    before = counts(agreement)
    response = web_as(agent).post(
        url("workspace_contact", agreement),
        {
            "channel": "call",
            "direction": "inbound",
            "party": "customer",
            "right_party": "on",
            "outcome": "promise",
        },
    )
    assert response.status_code == 422 and "UK-CONTACT" in response.content.decode()
    assert counts(agreement) == before


def test_third_party_contact_needs_a_name(web_as, agent, agreement):
    before = counts(agreement)
    data = {"channel": "call", "direction": "inbound", "party": "third_party", "outcome": "third_party"}
    assert web_as(agent).post(url("workspace_contact", agreement), data).status_code == 422
    assert counts(agreement) == before
    data["third_party_name"] = "Jo Adviser (StepChange)"
    assert web_as(agent).post(url("workspace_contact", agreement), data).status_code == 302
    assert ContactRecord.objects.get(agreement=agreement).third_party_name == "Jo Adviser (StepChange)"


def test_note_masks_card_number(web_as, agent, agreement):
    response = web_as(agent).post(url("workspace_note", agreement), {"text": f"Paid with {VISA} today"})
    assert response.status_code == 302
    note = Note.objects.get(agreement=agreement)
    assert "4111 1111 1111 1111" not in note.text and "411111******1111" in note.text
    assert note.cards_masked == 1


def test_note_refuses_card_number_when_asked(web_as, agent, agreement):
    before = counts(agreement)
    response = web_as(agent).post(
        url("workspace_note", agreement), {"text": f"card {VISA}", "on_card": "refuse"}
    )
    assert response.status_code == 422 and "P-PAN" in response.content.decode()
    assert counts(agreement) == before


def test_contact_note_masks_card_number(web_as, agent, agreement):
    web_as(agent).post(
        url("workspace_contact", agreement),
        {"channel": "email", "direction": "inbound", "party": "customer", "outcome": "other", "note": VISA},
    )
    assert ContactRecord.objects.get(agreement=agreement).note == "411111******1111"


def test_promise_of_two_instalments(web_as, agent, agreement):
    response = web_as(agent).post(
        url("workspace_promise", agreement),
        {"due_on_1": "2026-03-10", "amount_1": "50.00", "due_on_2": "2026-04-10", "amount_2": "25.50"},
    )
    assert response.status_code == 302
    promise = Promise.objects.get(agreement=agreement)
    assert promise.total_minor == 7550
    assert [i.amount_minor for i in promise.instalments.all()] == [5000, 2550]


@pytest.mark.parametrize(
    "data",
    [
        {"due_on_1": "2026-03-10", "amount_1": "-5"},
        {"due_on_1": "2026-03-10", "amount_1": "1.234"},
        {"due_on_1": "2026-01-10", "amount_1": "10"},
        {"due_on_1": "not a date", "amount_1": "10"},
        {},
    ],
)
def test_bad_promise_changes_nothing(web_as, agent, agreement, data):
    before = counts(agreement)
    response = web_as(agent).post(url("workspace_promise", agreement), data)
    assert response.status_code == 422
    assert counts(agreement) == before


def test_income_expenditure_with_flags_and_affordable_arrangement(web_as, agent, agreement):
    http = web_as(agent)
    response = http.post(
        url("workspace_ie", agreement),
        {"earnings": "1500", "housing": "600", "utilities": "150", "food": "700", "other_debts": "50"},
    )
    assert response.status_code == 302
    assessment = IncomeExpenditure.objects.get(customer=agreement.customer)
    assert assessment.disposable_minor == 0
    assert any("Food" in flag for flag in assessment.flags)
    assert assessment.categories["earnings"] == 150000
    # UK-PROPOSAL: an unaffordable proposal is still recorded, never auto-rejected.
    response = http.post(
        url("workspace_arrangement", agreement),
        {"assessment": assessment.pk, "amount": "20", "first_due_on": "2026-04-01", "instalment_count": "6"},
    )
    assert response.status_code == 302
    arrangement = Arrangement.objects.get(agreement=agreement)
    assert arrangement.status == "proposed" and not arrangement.is_affordable


def test_decision_needs_reason_and_over_authority_goes_for_approval(web_as, agent, agreement):
    http = web_as(agent)
    http.post(
        url("workspace_arrangement", agreement),
        {"amount": "10", "first_due_on": "2026-04-01", "instalment_count": "24"},
    )
    arrangement = Arrangement.objects.get(agreement=agreement)
    response = http.post(
        url("workspace_arrangement_decide", agreement), {"arrangement": arrangement.pk, "decision": "accept"}
    )
    assert response.status_code == 422
    arrangement.refresh_from_db()
    assert arrangement.status == "proposed"
    response = http.post(
        url("workspace_arrangement_decide", agreement),
        {"arrangement": arrangement.pk, "decision": "accept", "reason": "Affordable on the I&E"},
    )
    assert response.status_code == 302
    arrangement.refresh_from_db()
    assert arrangement.status == "proposed"
    assert ApprovalRequest.objects.filter(object_id=str(arrangement.pk)).exists()


def test_forbearance_records_options_and_reasons(web_as, agent, agreement):
    http = web_as(agent)
    data = {"considered": ["suspend_interest", "token_payments"], "chosen": "token_payments",
            "chosen_reason": "Income cut for three months"}  # fmt: skip
    before = counts(agreement)
    response = http.post(url("workspace_forbearance", agreement), data)
    assert response.status_code == 422 and "UK-FORB" in response.content.decode()
    assert counts(agreement) == before
    data["refused_suspend_interest"] = "Interest already frozen by the client"
    assert http.post(url("workspace_forbearance", agreement), data).status_code == 302
    record = ForbearanceRecord.objects.get(agreement=agreement)
    assert record.chosen == "token_payments"
    assert record.refused == {"suspend_interest": "Interest already frozen by the client"}


@pytest.mark.parametrize(
    "kind,expected", [("advice", "debt_advice"), ("capacity", "capacity"), ("dispute", "dispute")]
)
def test_holds(web_as, agent, agreement, kind, expected):
    response = web_as(agent).post(url("workspace_hold", agreement), {"kind": kind, "reason": "StepChange"})
    assert response.status_code == 302
    assert Hold.objects.get(agreement=agreement).kind == expected
    page = web_as(agent).get(url("workspace", agreement)).content.decode()
    assert "refused" in page


def test_advice_hold_without_adviser_refused(web_as, agent, agreement):
    before = counts(agreement)
    assert web_as(agent).post(url("workspace_hold", agreement), {"kind": "advice"}).status_code == 422
    assert counts(agreement) == before


def test_note_into_complaint(web_as, client_a, agreement):
    agent = make_user("agent", client_a)
    http = web_as(agent)
    http.post(url("workspace_note", agreement), {"text": "Customer unhappy with the fees charged"})
    note = Note.objects.get(agreement=agreement)
    if not agent.has_perm("cases.add_case"):
        pytest.skip("agents cannot register cases in this setup")
    response = http.post(
        url("workspace_complaint", agreement), {"note": note.pk, "category": "fees_and_charges"}
    )
    assert response.status_code == 302
    case = Case.objects.get(agreement=agreement)
    assert case.case_type == "complaint" and "fees" in case.description


def test_agreement_page_links_to_workspace(web_as, agent, agreement):
    body = web_as(agent).get(reverse("accounts:agreement_detail", args=[agreement.pk])).content.decode()
    assert url("workspace", agreement) in body


def _fill_history(agreement, agent, n: int) -> None:
    for number in range(n):
        actions.add_note(agreement=agreement, actor=agent, text=f"note {number}")
        actions.record_contact(
            agreement=agreement, actor=agent, channel="email", direction="inbound", outcome="other",
            at=NOON - timedelta(hours=number + 1),
        )  # fmt: skip


def test_query_count_does_not_grow_with_history(web_as, agent, agreement):
    http = web_as(agent)
    _fill_history(agreement, agent, 2)
    http.get(url("workspace", agreement))
    with CaptureQueriesContext(connection) as few:
        assert http.get(url("workspace", agreement)).status_code == 200
    _fill_history(agreement, agent, 40)
    with CaptureQueriesContext(connection) as many:
        assert http.get(url("workspace", agreement)).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 45


def test_get_next_opens_the_workspace_and_done_from_there(web_as, agent, agreement):
    from tests.factories.work import make_item

    item = make_item(
        agreement.client, title="Call Mrs Jones", agreement=agreement, customer=agreement.customer
    )
    http = web_as(agent)
    response = http.post("/work/next/")
    assert response.status_code == 302 and response.url == url("workspace", agreement)
    page = http.get(response.url).content.decode()
    assert "Call Mrs Jones" in page and reverse("work:complete_item", args=[item.pk]) in page
    http.post(reverse("work:complete_item", args=[item.pk]), {"outcome": "Promise taken"})
    item.refresh_from_db()
    assert item.status == "done"


def test_outbound_sms_the_customer_refused_is_refused_by_guard(web_as, agent, agreement):
    add_preference(agreement.customer, "sms", is_refused=True)
    before = counts(agreement)
    response = web_as(agent).post(
        url("workspace_contact", agreement),
        {"channel": "sms", "direction": "outbound", "party": "customer", "outcome": "other"},
    )
    refused = ContactAttempt.objects.filter(agreement=agreement).latest("id")
    assert not refused.is_allowed and refused.rule
    assert response.status_code == 422 and refused.rule in response.content.decode()
    assert counts(agreement)[1:] == before[1:]


ACTION_URLS = [
    "workspace_contact",
    "workspace_note",
    "workspace_promise",
    "workspace_ie",
    "workspace_arrangement",
    "workspace_arrangement_decide",
    "workspace_forbearance",
    "workspace_hold",
    "workspace_complaint",
]


@pytest.mark.parametrize("name", ACTION_URLS)
def test_every_action_is_404_for_another_client_s_agent(web_as, client_b, agreement, name):
    outsider = make_user("team_leader", client_b)
    before = counts(agreement)
    assert web_as(outsider).post(url(name, agreement), {"text": "x", "kind": "capacity"}).status_code == 404
    assert counts(agreement) == before


@pytest.mark.parametrize(
    "name", ["workspace_contact", "workspace_note", "workspace_promise", "workspace_forbearance"]
)
def test_a_role_without_the_permission_is_refused(web_as, client_a, agreement, name):
    reader = make_user("compliance_officer", client_a)
    before = counts(agreement)
    assert web_as(reader).post(url(name, agreement), {"text": "x"}).status_code == 403
    assert counts(agreement) == before


def test_actions_write_audit_rows(web_as, agent, agreement):
    from fairpath.governance.models import AuditEvent

    http = web_as(agent)
    http.post(url("workspace_note", agreement), {"text": "Called back"})
    http.post(
        url("workspace_contact", agreement),
        {"channel": "letter", "direction": "inbound", "party": "customer", "outcome": "other"},
    )
    actions_written = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"collections.note_added", "collections.contact_recorded"} <= actions_written


@given(lines=st.dictionaries(st.sampled_from(sorted(actions.SFS_ALL)), st.integers(0, 10**9)))
@settings(max_examples=200, deadline=None)
def test_statement_disposable_is_income_less_spending_and_debts(lines):
    statement = actions.assess_statement(lines)
    income = sum(v for k, v in lines.items() if k in actions.SFS_INCOME)
    spend = sum(v for k, v in lines.items() if k in actions.SFS_EXPENDITURE)
    debts = sum(v for k, v in lines.items() if k in actions.SFS_DEBTS)
    assert statement.disposable_minor == income - spend - debts
    assert (income == 0) == ("No income recorded" in statement.flags)


@given(
    st.integers(0, 10**9), st.sampled_from(["4111111111111111", "5500 0000 0000 0004", "3400-000000-00009"])
)
@settings(max_examples=50, deadline=None)
def test_masked_text_never_holds_the_card_number(prefix, card):
    from fairpath.cases.rules import find_card_numbers

    masked = actions._text(f"ref {prefix} card {card} thanks", "note", limit=1000)
    assert card not in masked and not find_card_numbers(masked)
