"""Case actions: deadlines at registration, refusals that change nothing, closure with redress, escalation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairpath.accounts.models import LedgerEntry
from fairpath.cases import actions
from fairpath.cases.models import (
    Case,
    CaseDeadline,
    CaseLetter,
    CaseNote,
    ComplaintOutcome,
    Escalation,
    SlaPolicy,
)
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.actions import decide_approval
from fairpath.governance.models import ApprovalRequest, AuditEvent
from tests.factories import make_user
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2024, 12, 9, 10, 0, tzinfo=dt.UTC)  # Monday


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def deadlines(case: Case) -> dict[str, tuple[dt.datetime, dt.date]]:
    return {row.rule: (row.due_at, row.due_date) for row in CaseDeadline.objects.filter(case=case)}


def test_a_complaint_gets_its_regulatory_deadlines_and_an_acknowledgement(client_a):
    customer = make_customer(client_a, region="SCT", postcode="EH1 1AA")
    received = dt.datetime(2024, 11, 29, 18, 0, tzinfo=LONDON)  # Friday evening before St Andrew's (observed)
    case = make_case(client_a, customer=customer, received_at=received)
    found = deadlines(case)
    assert set(found) == {"D-SRC", "D-8WEEKS"}
    assert found["D-SRC"][1] == dt.date(2024, 12, 5)  # Mon 2 Dec is a Scottish bank holiday
    assert found["D-SRC"][0] == dt.datetime(2024, 12, 5, 17, 30, tzinfo=LONDON)
    assert found["D-8WEEKS"][1] == dt.date(2025, 1, 24)
    assert case.region == "SCT" and case.reference.startswith("CASE-")
    letter = CaseLetter.objects.get(case=case)
    assert letter.kind == "acknowledgement" and case.reference in letter.html
    assert AuditEvent.objects.filter(action="cases.registered", object_id=str(case.pk)).exists()


def test_payment_services_complaints_count_15_and_35_business_days_not_8_weeks(client_a):
    case = make_case(
        client_a, category="direct_debit", received_at=dt.datetime(2024, 12, 2, 11, tzinfo=LONDON)
    )
    found = deadlines(case)
    assert set(found) == {"D-SRC", "D-PSD", "D-PSD-35"}
    assert found["D-PSD"][1] == dt.date(2024, 12, 23)
    assert found["D-PSD-35"][1] == dt.date(2025, 1, 23)  # 25, 26 Dec and 1 Jan skipped


def test_a_subject_access_request_gets_the_one_month_deadline(client_a):
    case = make_case(
        client_a, case_type="subject_access_request", category="data_protection",
        received_at=dt.datetime(2024, 10, 31, 9, tzinfo=LONDON),
    )  # fmt: skip
    assert deadlines(case) == {
        "G-SAR": (dt.datetime(2024, 12, 2, 23, 59, 59, tzinfo=LONDON), dt.date(2024, 12, 2))
    }


def test_sla_policies_add_their_own_targets(client_a):
    SlaPolicy.objects.create(
        client=client_a, name="Enquiry standard", case_type="enquiry", first_response_target=4,
        first_response_unit="business_hours", resolution_target=5, resolution_unit="business_days",
    )  # fmt: skip
    case = make_case(
        client_a, case_type="enquiry", category="account_administration",
        received_at=dt.datetime(2024, 12, 6, 16, 0, tzinfo=LONDON),
    )  # fmt: skip
    found = deadlines(case)
    assert found["Enquiry standard/first_response"][0] == dt.datetime(2024, 12, 9, 11, 30, tzinfo=LONDON)
    assert found["Enquiry standard/resolution"][1] == dt.date(2024, 12, 13)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"received_at": NOW + dt.timedelta(minutes=5)}, "received_at"),
        ({"received_at": dt.datetime(2024, 12, 9, 10)}, "received_at"),
        ({"category": "made_up"}, "category"),
        ({"case_type": "grumble"}, "case_type"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_is_created(client_a, overrides, field):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        make_case(client_a, **overrides)
    assert refused.value.field == field
    assert Case.objects.count() == 0 and CaseDeadline.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_user_of_another_client_cannot_register_there(client_a, client_b):
    outsider = make_user("team_leader", client_b)
    with pytest.raises(NotPermitted):
        actions.register_case(
            client=client_a, case_type="complaint", category="other", channel="phone",
            received_at=NOW, actor=outsider,
        )  # fmt: skip
    assert Case.objects.count() == 0


def test_notes_never_keep_a_card_number(client_a):
    case = make_case(client_a)
    agent = make_user("agent", client_a)
    note = actions.add_note(
        case=case, body="Card 4111 1111 1111 1111 was charged twice; ref 1234567890123", actor=agent
    )
    assert "4111 1111 1111 1111" not in note.body
    assert "411111******1111" in note.body
    assert "1234567890123" in note.body  # not a Luhn-valid card number


def test_a_complaint_cannot_be_closed_by_a_status_change(client_a):
    case = make_case(client_a)
    leader = make_user("team_leader", client_a)
    with pytest.raises(Refusal) as refused:
        actions.change_status(case=case, to_status="closed", actor=leader)
    assert refused.value.rule == "D-ROOT"
    case.refresh_from_db()
    assert case.status == "new"


def test_status_moves_follow_the_table_with_history(client_a):
    case = make_case(client_a, case_type="enquiry", category="customer_service")
    agent = make_user("agent", client_a)
    actions.change_status(case=case, to_status="open", actor=agent)
    actions.change_status(case=case, to_status="closed", actor=agent, reason="answered")
    with pytest.raises(Refusal) as refused:
        actions.change_status(case=case, to_status="awaiting_customer", actor=agent)
    assert refused.value.rule == "CASE-TRANSITION"
    assert list(case.status_changes.values_list("to_status", flat=True)) == ["new", "open", "closed"]


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"root_cause": ""}, "root_cause", "D-ROOT"),
        ({"outcome": ""}, "outcome", None),
        ({"outcome": "sort_of"}, "outcome", None),
        ({"redress_minor": -5}, "redress_minor", None),
    ],
)
def test_closing_without_outcome_or_root_cause_is_refused_and_changes_nothing(client_a, changes, field, rule):
    case = make_case(client_a)
    leader = make_user("team_leader", client_a)
    arguments = {"outcome": "upheld", "root_cause": "process_failure", **changes}
    with pytest.raises(Refusal) as refused:
        actions.close_complaint(case=case, actor=leader, **arguments)
    assert refused.value.field == field and refused.value.rule == rule
    case.refresh_from_db()
    assert case.status == "new" and not ComplaintOutcome.objects.exists()


def test_redress_within_authority_is_credited_to_the_agreement(client_a):
    customer = make_customer(client_a)
    agreement = make_agreement(customer)
    case = make_case(client_a, customer=customer, agreement=agreement)
    leader = make_user("team_leader", client_a)
    result = actions.close_complaint(
        case=case, actor=leader, outcome="upheld", root_cause="process_failure", redress_minor=2_500
    )
    assert not result.needs_approval
    outcome = ComplaintOutcome.objects.get(case=case)
    assert outcome.redress_status == "paid" and outcome.ledger_entry is not None
    entry = LedgerEntry.objects.get(pk=outcome.ledger_entry_id)
    assert entry.amount_minor == -2_500 and entry.kind == "adjustment"
    agreement.refresh_from_db()
    assert agreement.balance_minor == 120_000 - 2_500
    case.refresh_from_db()
    assert case.status == "closed"
    assert not CaseDeadline.objects.filter(case=case, met_at__isnull=True).exists()
    letter = CaseLetter.objects.filter(case=case).last()
    assert letter.kind == "summary_resolution" and "Financial Ombudsman Service" in letter.html


def test_redress_over_authority_becomes_an_approval_not_a_silent_payment(client_a):
    customer = make_customer(client_a)
    agreement = make_agreement(customer)
    case = make_case(client_a, customer=customer, agreement=agreement)
    executive = make_user("back_office_executive", client_a)  # compensation limit £100
    result = actions.close_complaint(
        case=case,
        actor=executive,
        outcome="upheld",
        root_cause="delay",
        redress_minor=20_000,
        reason="long delay",
    )
    assert result.needs_approval
    assert result.approval.kind == "compensation" and result.approval.required_role.code == "team_leader"
    case.refresh_from_db()
    agreement.refresh_from_db()
    assert case.status == "new" and agreement.balance_minor == 120_000
    assert not ComplaintOutcome.objects.exists()
    with pytest.raises(Refusal) as again:
        actions.close_complaint(case=case, actor=executive, outcome="upheld", root_cause="delay")
    assert again.value.rule == "APPROVAL-PENDING"

    leader = make_user("team_leader", client_a)
    decide_approval(approval=result.approval, approve=True, actor=leader)
    case.refresh_from_db()
    agreement.refresh_from_db()
    assert case.status == "closed" and agreement.balance_minor == 100_000
    outcome = ComplaintOutcome.objects.get(case=case)
    assert outcome.approval_id == result.approval.pk and outcome.closed_by_label == executive.username
    assert ApprovalRequest.objects.get(pk=result.approval.pk).status == "approved"


def test_a_late_closure_sends_a_final_response_with_the_ombudsman_wording(client_a):
    case = make_case(client_a, received_at=dt.datetime(2024, 11, 1, 9, tzinfo=LONDON))
    leader = make_user("team_leader", client_a)
    actions.close_complaint(case=case, actor=leader, outcome="not_upheld", root_cause="no_fault_found")
    outcome = ComplaintOutcome.objects.get(case=case)
    assert outcome.business_days_to_close == 26
    letter = CaseLetter.objects.filter(case=case).last()
    assert letter.kind == "final_response"
    assert "six months" in letter.html and "9 June 2025" in letter.html


def test_escalation_walks_the_chain_and_stops_at_the_head_of_operations(client_a):
    case = make_case(client_a)
    agent = make_user("agent", client_a)
    for expected in (1, 2, 3):
        escalation = actions.escalate(case=case, actor=agent, reason="customer asked for a manager")
        assert escalation.to_level == expected
    with pytest.raises(Refusal) as refused:
        actions.escalate(case=case, actor=agent, reason="again")
    assert refused.value.rule == "CASE-ESCALATION"
    with pytest.raises(InvalidInput):
        actions.escalate(case=make_case(client_a), actor=agent, reason="  ")


def test_escalate_at_risk_is_set_based_and_idempotent(client_a):
    fresh = make_case(client_a, received_at=NOW - dt.timedelta(minutes=5))
    at_risk = [make_case(client_a, received_at=dt.datetime(2024, 12, 4, 9, tzinfo=LONDON)) for _ in range(3)]
    breached = [
        make_case(client_a, received_at=dt.datetime(2024, 11, 28, 9, tzinfo=LONDON)) for _ in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        run = actions.escalate_at_risk(now=NOW)
    assert run.escalated == 6
    assert len(queries) < 20
    levels = dict(Case.objects.values_list("id", "escalation_level"))
    assert levels[fresh.pk] == 0
    assert {levels[case.pk] for case in at_risk} == {1}
    assert {levels[case.pk] for case in breached} == {2}
    assert Escalation.objects.filter(is_automatic=True).count() == 6
    assert actions.escalate_at_risk(now=NOW).escalated == 0
    assert Escalation.objects.count() == 6


def test_a_note_can_be_raised_as_a_complaint_received_when_it_was_written(client_a):
    enquiry = make_case(
        client_a, case_type="enquiry", category="customer_service", received_at=NOW - dt.timedelta(days=3)
    )
    agent = make_user("agent", client_a)
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        note = actions.add_note(case=enquiry, body="Customer says this is a disgrace", actor=agent)
    complaint = actions.raise_complaint_from(case=enquiry, note=note, actor=agent)
    assert complaint.case_type == "complaint" and complaint.converted_from_id == enquiry.pk
    assert complaint.received_at == NOW - dt.timedelta(days=1)
    assert deadlines(complaint)["D-SRC"][1] == dt.date(2024, 12, 11)


def test_sla_clock_stops_while_awaiting_the_customer_but_complaint_deadlines_do_not(client_a):
    SlaPolicy.objects.create(
        client=client_a, name="Service", case_type="service_request", resolution_target=2,
        resolution_unit="business_days", clock_stop_statuses=["awaiting_customer"],
    )  # fmt: skip
    case = make_case(
        client_a, case_type="service_request", category="account_administration", received_at=NOW
    )
    agent = make_user("agent", client_a)
    assert deadlines(case)["Service/resolution"][1] == dt.date(2024, 12, 11)
    actions.change_status(case=case, to_status="awaiting_customer", actor=agent)
    with time_machine.travel(dt.datetime(2024, 12, 12, 10, tzinfo=dt.UTC), tick=False):
        actions.change_status(case=case, to_status="open", actor=agent)
    due = deadlines(case)["Service/resolution"]
    assert due[1] == dt.date(2024, 12, 16)  # stopped three working days, Mon 9 → Thu 12; due Wed 11 → Mon 16


def test_ombudsman_referrals_record_timeliness_and_outcome(client_a):
    case = make_case(client_a)
    leader = make_user("team_leader", client_a)
    actions.close_complaint(case=case, actor=leader, outcome="not_upheld", root_cause="policy_decision")
    referral = actions.refer_to_ombudsman(
        case=case, referred_on=dt.date(2024, 12, 9), actor=leader, fos_reference="PNX-1"
    )
    assert referral.is_within_time
    actions.record_ombudsman_outcome(
        referral=referral, outcome="overturned", outcome_on=dt.date(2024, 12, 9), actor=leader
    )
    referral.refresh_from_db()
    assert referral.outcome == "overturned"
    with pytest.raises(InvalidInput):
        actions.record_ombudsman_outcome(
            referral=referral, outcome="overturned", outcome_on=dt.date(2024, 1, 1), actor=leader
        )


def test_merging_a_duplicate_moves_its_notes(client_a):
    first, duplicate = make_case(client_a), make_case(client_a)
    agent = make_user("agent", client_a)
    actions.add_note(case=duplicate, body="same issue", actor=agent)
    actions.merge_case(case=duplicate, into=first, actor=agent)
    duplicate.refresh_from_db()
    assert duplicate.status == "merged" and duplicate.merged_into_id == first.pk
    assert CaseNote.objects.get().case_id == first.pk


def test_console_reads_escalations_and_deadline_priorities_scoped_to_the_user(client_a, client_b):
    from fairpath.cases import selectors

    case = make_case(client_a)
    other = make_case(client_b)
    agent = make_user("agent", client_a)
    actions.escalate(case=case, actor=agent, reason="needs a manager")
    actions.escalate(case=other, actor=make_user("agent", client_b), reason="elsewhere")
    leader = make_user("team_leader", client_a)
    found = list(selectors.recent_escalations(leader, NOW - dt.timedelta(hours=1)))
    assert [item.case_id for item in found] == [case.pk]
    priorities = selectors.open_deadlines_for_priority([case.pk])
    assert priorities[case.pk] == CaseDeadline.objects.filter(case=case).order_by("due_at").first().due_at


def test_a_case_is_queued_as_work_due_at_its_first_deadline_and_done_when_closed(client_a):
    from fairpath.work.models import WorkItem

    customer = make_customer(client_a)
    agreement = make_agreement(customer)
    case = make_case(client_a, customer=customer, agreement=agreement)
    item = WorkItem.objects.get(object_type="cases.case", object_id=str(case.pk))
    assert item.kind == "case" and item.status == "open" and item.agreement_id == agreement.pk
    assert item.due_at == min(due_at for due_at, _ in deadlines(case).values())
    actions.close_complaint(
        case=case,
        actor=make_user("team_leader", client_a),
        outcome="not_upheld",
        root_cause="process_failure",
    )
    item.refresh_from_db()
    assert item.status == "done" and item.outcome == "closed: not_upheld"
