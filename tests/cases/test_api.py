"""The cases API: deadlines in the create response, refusals with the field or rule, client scope."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairpath.cases.models import Case, CaseNote, ComplaintOutcome
from fairpath.governance.models import AuditEvent
from tests.factories import make_user
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 12, 9, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def leader(client_a):
    return make_user("team_leader", client_a)


def test_creating_a_complaint_answers_with_every_deadline_in_utc_and_local_date(client_a, leader, api_as):
    customer = make_customer(client_a, region="SCT", postcode="EH1 1AA")
    status, body = api_as(leader).post(
        "/cases",
        {
            "type": "complaint",
            "category": "fees_and_charges",
            "channel": "phone",
            "received_at": "2024-11-29T18:00:00Z",  # Friday evening; Monday 2 December is St Andrew's (observed)
            "customer_id": customer.pk,
        },
    )
    assert status == 201, body
    assert body["deadlines"]["D-SRC"]["due_at"] == "2024-12-05T17:30:00Z"
    assert body["deadlines"]["D-SRC"]["due_date"] == "2024-12-05"
    assert body["deadlines"]["D-8WEEKS"]["due_at"] == "2025-01-24T23:59:59Z"
    assert body["deadlines"]["D-8WEEKS"]["due_date"] == "2025-01-24"
    assert body["region"] == "SCT" and body["status"] == "new"


def test_payment_services_and_subject_access_deadlines(client_a, leader, api_as):
    api = api_as(leader)
    status, psd = api.post(
        "/cases",
        {"type": "complaint", "category": "card_payment", "channel": "email", "received_at": "2024-07-01T08:00:00+01:00",
         "client": client_a.code},
    )  # fmt: skip
    assert status == 201
    assert set(psd["deadlines"]) == {"D-SRC", "D-PSD", "D-PSD-35"}
    assert psd["deadlines"]["D-PSD"]["due_date"] == "2024-07-22"
    assert psd["deadlines"]["D-PSD"]["due_at"] == "2024-07-22T16:30:00Z"  # 17:30 BST
    status, sar = api.post(
        "/cases",
        {"type": "subject_access_request", "category": "data_protection", "channel": "letter",
         "received_at": "2024-01-31T12:00:00Z", "client": client_a.code},
    )  # fmt: skip
    assert status == 201
    assert sar["deadlines"] == {
        "G-SAR": {
            "due_at": "2024-02-29T23:59:59Z",
            "due_date": "2024-02-29",
            "label": "Subject access response (one month)",
            "is_regulatory": True,
            "met_at": None,
            "state": "breached",
        }
    }


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"received_at": "2024-12-09T10:05:00Z"}, "received_at", "D-DEFINE"),
        ({"received_at": "2024-12-09T10:00:00"}, "received_at", None),
        ({"category": "moaning"}, "category", None),
        ({"type": "grumble"}, "case_type", None),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_changes(
    client_a, leader, api_as, changes, field, rule
):
    api = api_as(leader)
    events = AuditEvent.objects.count()
    body = {"type": "complaint", "category": "other", "channel": "phone", "received_at": "2024-12-09T09:00:00Z",
            "client": client_a.code, **changes}  # fmt: skip
    status, answer = api.post("/cases", body)
    assert status == 422
    assert answer["error"]["field"] == field
    assert answer["error"].get("rule") == rule
    assert Case.objects.count() == 0 and AuditEvent.objects.count() == events


def test_another_clients_records_are_not_found(client_a, client_b, api_as):
    case = make_case(client_a)
    customer = make_customer(client_a)
    outsider = make_user("team_leader", client_b)
    api = api_as(outsider)
    assert api.get(f"/cases/{case.pk}")[0] == 404
    assert api.post(f"/cases/{case.pk}/notes", {"body": "hello"})[0] == 404
    assert api.post(f"/cases/{case.pk}/close", {"outcome": "upheld", "root_cause": "delay"})[0] == 404
    status, body = api.post(
        "/cases", {"type": "complaint", "category": "other", "channel": "phone",
                   "received_at": "2024-12-09T09:00:00Z", "customer_id": customer.pk},
    )  # fmt: skip
    assert status == 422 and body["error"]["field"] == "customer_id"
    assert api.get("/cases")[1]["items"] == []
    assert Case.objects.count() == 1 and not CaseNote.objects.exists()


def test_notes_status_escalation_and_closure_through_the_api(client_a, leader, api_as):
    customer = make_customer(client_a)
    agreement = make_agreement(customer)
    case = make_case(client_a, customer=customer, agreement=agreement)
    api = api_as(leader)
    status, note = api.post(
        f"/cases/{case.pk}/notes",
        {"body": "Paid with 5500 0000 0000 0004 twice", "is_customer_contact": True},
    )
    assert status == 201 and "5500 0000 0000 0004" not in note["body"] and "550000******0004" in note["body"]
    status, body = api.post(f"/cases/{case.pk}/status", {"status": "open", "reason": "looking into it"})
    assert status == 200 and body["status"] == "open"
    status, body = api.post(f"/cases/{case.pk}/status", {"status": "closed"})
    assert status == 409 and body["error"]["rule"] == "D-ROOT"
    status, escalation = api.post(f"/cases/{case.pk}/escalate", {"reason": "customer wants a manager"})
    assert status == 200 and escalation["to_level"] == 1
    status, body = api.post(f"/cases/{case.pk}/close", {"outcome": "upheld", "root_cause": ""})
    assert status == 409 and body["error"]["rule"] == "D-ROOT" and body["error"]["field"] == "root_cause"
    status, body = api.post(f"/cases/{case.pk}/close", {"root_cause": "delay"})
    assert status == 422 and body["error"]["field"] == "outcome"
    status, body = api.post(
        f"/cases/{case.pk}/close",
        {"outcome": "partly_upheld", "root_cause": "communication", "redress_minor": 5_000},
    )
    assert status == 200 and body["status"] == "closed"
    assert body["case"]["outcome"]["redress_status"] == "paid"
    assert all(item["met_at"] for item in body["case"]["deadlines"].values())
    status, detail = api.get(f"/cases/{case.pk}")
    assert (
        detail["notes"][0]["body"].startswith("Paid with 550000")
        and detail["escalations"][0]["to_level"] == 1
    )


def test_redress_over_authority_answers_202_with_the_approval(client_a, api_as):
    customer = make_customer(client_a)
    case = make_case(client_a, customer=customer, agreement=make_agreement(customer))
    executive = make_user("back_office_executive", client_a)
    status, body = api_as(executive).post(
        f"/cases/{case.pk}/close", {"outcome": "upheld", "root_cause": "delay", "redress_minor": 50_000}
    )
    assert status == 202
    assert body["rule"] == "AUTHORITY-LIMIT" and body["required_role"] == "operations_manager"
    assert body["case"]["status"] == "new" and body["case"]["pending_approval_id"] == body["approval_id"]
    assert not ComplaintOutcome.objects.exists()


def test_an_agent_may_not_close_a_complaint(client_a, api_as):
    case = make_case(client_a)
    status, body = api_as(make_user("agent", client_a)).post(
        f"/cases/{case.pk}/close", {"outcome": "upheld", "root_cause": "delay"}
    )
    assert status == 403
    case.refresh_from_db()
    assert case.status == "new"


def test_a_case_turns_into_a_complaint_in_one_call(client_a, leader, api_as):
    enquiry = make_case(client_a, case_type="enquiry", category="customer_service")
    status, body = api_as(leader).post(f"/cases/{enquiry.pk}/complaint", {})
    assert status == 201 and body["type"] == "complaint" and body["converted_from_id"] == enquiry.pk
    assert "D-SRC" in body["deadlines"]


def test_the_list_filters_by_deadline_state_with_a_fixed_number_of_queries(client_a, leader, api_as):
    for _ in range(3):
        make_case(client_a, received_at=dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC))  # D-SRC breached
    make_case(client_a)
    api = api_as(leader)
    assert len(api.get("/cases?deadline=breached")[1]["items"]) == 3
    assert len(api.get("/cases?type=complaint")[1]["items"]) == 4
    with CaptureQueriesContext(connection) as few:
        api.get("/cases")
    for _ in range(5):
        make_case(client_a)
    with CaptureQueriesContext(connection) as more:
        status, body = api.get("/cases")
    assert status == 200 and len(body["items"]) == 9
    assert len(more) == len(few)
