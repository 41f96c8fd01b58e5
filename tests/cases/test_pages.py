"""Case pages: the list with deadline badges, registering from a customer, closing, the MI and its Excel return."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairpath.cases import actions
from fairpath.cases.models import Case, ComplaintOutcome
from tests.factories import make_user
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2024, 12, 9, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_list_shows_the_nearest_deadline_with_its_ageing_badge(client_a, web_as):
    breached = make_case(client_a, received_at=dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC), summary="Old one")
    fresh = make_case(client_a, summary="New one")
    http = web_as(make_user("agent", client_a))
    page = http.get("/cases/").content.decode()
    assert breached.reference in page and fresh.reference in page
    assert "D-SRC · breached" in page and "D-SRC · on track" in page
    only_breached = http.get("/cases/?deadline=breached").content.decode()
    assert breached.reference in only_breached and fresh.reference not in only_breached


def test_the_list_uses_a_fixed_number_of_queries(client_a, web_as):
    http = web_as(make_user("agent", client_a))
    make_case(client_a)
    with CaptureQueriesContext(connection) as few:
        assert http.get("/cases/").status_code == 200
    for _ in range(6):
        make_case(client_a, customer=make_customer(client_a))
    with CaptureQueriesContext(connection) as more:
        assert http.get("/cases/").status_code == 200
    assert len(more) == len(few)


def test_a_complaint_is_registered_from_a_customer_in_their_local_time(client_a, web_as):
    customer = make_customer(client_a, region="NIR", postcode="BT1 1AA")
    agreement = make_agreement(customer)
    http = web_as(make_user("agent", client_a))
    form = http.get(f"/cases/new/?customer={customer.pk}").content.decode()
    assert customer.display_name in form and agreement.reference in form and "NIR" in form
    response = http.post(
        "/cases/new/",
        {"customer": customer.pk, "agreement": agreement.pk, "case_type": "complaint", "category": "arrears_handling",
         "channel": "phone", "received_at": "2024-07-10T18:30", "summary": "Called too often"},
    )  # fmt: skip
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.received_at == dt.datetime(2024, 7, 10, 17, 30, tzinfo=dt.UTC)  # BST
    assert case.agreement_id == agreement.pk and case.region == "NIR"
    page = http.get(response.url).content.decode()
    assert "D-SRC" in page and "Tue 16 Jul 2024 17:30" in page  # 12 July is a Northern Irish bank holiday


def test_a_future_receipt_is_refused_on_the_form_and_nothing_is_registered(client_a, web_as):
    customer = make_customer(client_a)
    http = web_as(make_user("agent", client_a))
    response = http.post(
        "/cases/new/",
        {"customer": customer.pk, "case_type": "complaint", "category": "other", "channel": "phone",
         "received_at": "2024-12-31T09:00"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "received_at" in response.content.decode() and "D-DEFINE" in response.content.decode()
    assert not Case.objects.exists()


def test_closing_over_authority_with_htmx_says_it_went_for_approval(client_a, web_as):
    customer = make_customer(client_a)
    case = make_case(client_a, customer=customer, agreement=make_agreement(customer))
    http = web_as(make_user("back_office_executive", client_a))
    response = http.post(
        f"/cases/{case.pk}/close/",
        {"outcome": "upheld", "root_cause": "delay", "redress": "500.00"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and "AUTHORITY-LIMIT" in body and 'data-testid="pending-approval"' in body
    )
    assert not ComplaintOutcome.objects.exists()
    missing = http.post(f"/cases/{case.pk}/close/", {"outcome": "upheld"}, HTTP_HX_REQUEST="true")
    assert "D-ROOT" in missing.content.decode()


def test_another_clients_case_is_not_found(client_a, client_b, web_as):
    case = make_case(client_a)
    http = web_as(make_user("team_leader", client_b))
    assert http.get(f"/cases/{case.pk}/").status_code == 404
    assert http.post(f"/cases/{case.pk}/notes/", {"body": "x"}).status_code == 404
    assert not case.notes.exists()


def _closed(client, leader, *, outcome, root_cause, redress, received, category="fees_and_charges"):
    customer = make_customer(client)
    case = make_case(
        client, customer=customer, agreement=make_agreement(customer), received_at=received, category=category
    )
    actions.close_complaint(
        case=case, actor=leader, outcome=outcome, root_cause=root_cause, redress_minor=redress
    )
    return case


def test_complaints_mi_and_the_excel_return(client_a, web_as):
    from openpyxl import load_workbook

    leader = make_user("team_leader", client_a)
    _closed(
        client_a,
        leader,
        outcome="upheld",
        root_cause="delay",
        redress=2_000,
        received=NOW - dt.timedelta(days=1),
    )
    _closed(client_a, leader, outcome="not_upheld", root_cause="no_fault_found", redress=0,
            received=dt.datetime(2024, 10, 1, 9, tzinfo=dt.UTC))  # fmt: skip
    _closed(client_a, leader, outcome="partly_upheld", root_cause="delay", redress=500,
            received=dt.datetime(2024, 11, 20, 9, tzinfo=dt.UTC), category="direct_debit")  # fmt: skip
    referred = _closed(client_a, leader, outcome="not_upheld", root_cause="policy_decision", redress=0,
                       received=dt.datetime(2024, 7, 2, 9, tzinfo=dt.UTC))  # fmt: skip
    referral = actions.refer_to_ombudsman(case=referred, referred_on=dt.date(2024, 12, 9), actor=leader)
    actions.record_ombudsman_outcome(
        referral=referral, outcome="overturned", outcome_on=dt.date(2024, 12, 9), actor=leader
    )
    make_case(client_a, received_at=dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC))  # open, breached
    http = web_as(leader)
    page = http.get("/cases/complaints-mi/").content.decode()
    assert 'data-testid="mi-received">5<' in page and 'data-testid="mi-closed">4<' in page
    assert 'data-testid="mi-uphold-rate">50.0%<' in page and "£25.00" in page
    assert "1 breached" in page and "1 overturned (100.0%)" in page
    response = http.get("/cases/complaints-mi/return.xlsx?start=2024-07-01&end=2024-12-31")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["By product"].iter_rows(values_only=True))
    total = next(row for row in rows if row and row[0] == "Total")
    assert total[1:6] == (5, 4, 1, 1, 2)  # received, closed, ≤3 business days, ≤8 weeks, later
    assert total[10] == 25.0
    payments = next(row for row in rows if row and row[0] == "Payment services")
    assert payments[2] == 1
    causes = {row[0]: row for row in book["By root cause"].iter_rows(min_row=2, values_only=True)}
    assert causes["Delay"][2] == 2


def test_the_mi_is_only_for_those_allowed(client_a, web_as):
    http = web_as(make_user("agent", client_a))
    assert http.get("/cases/complaints-mi/").status_code == 403
    assert http.get("/cases/complaints-mi/return.xlsx").status_code == 403


def test_a_letter_is_shown_as_stored_and_as_a_pdf(client_a, web_as):
    pytest.importorskip("weasyprint")
    case = make_case(client_a)
    letter = case.letters.get()
    http = web_as(make_user("agent", client_a))
    page = http.get(f"/cases/{case.pk}/letters/{letter.pk}/").content.decode()
    assert "We have received your complaint" in page
    pdf = http.get(f"/cases/{case.pk}/letters/{letter.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_an_attachment_is_stored_and_listed(client_a, web_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_case(client_a)
    http = web_as(make_user("agent", client_a))
    upload = SimpleUploadedFile("letter.txt", b"I am not happy", content_type="text/plain")
    response = http.post(f"/cases/{case.pk}/attachments/", {"file": upload})
    assert response.status_code == 302
    attachment = case.attachments.get()
    assert attachment.name == "letter.txt" and attachment.size == 14
    assert attachment.file.read() == b"I am not happy"
    assert "letter.txt" in http.get(f"/cases/{case.pk}/").content.decode()


def test_the_case_page_uses_a_fixed_number_of_queries(client_a, web_as):
    customer = make_customer(client_a)
    case = make_case(client_a, customer=customer, agreement=make_agreement(customer))
    agent = make_user("agent", client_a)
    http = web_as(agent)
    with CaptureQueriesContext(connection) as few:
        assert http.get(f"/cases/{case.pk}/").status_code == 200
    for number in range(5):
        actions.add_note(case=case, body=f"note {number}", actor=agent)
        if number < 3:
            actions.escalate(case=case, actor=agent, reason="again")
    with CaptureQueriesContext(connection) as more:
        assert http.get(f"/cases/{case.pk}/").status_code == 200
    assert len(more) == len(few)


def test_complaint_sla_policies_may_not_stop_the_clock(client_a):
    from django.core.exceptions import ValidationError

    from fairpath.cases.models import SlaPolicy

    policy = SlaPolicy(
        client=client_a, name="Complaints", case_type="complaint", clock_stop_statuses=["awaiting_customer"]
    )
    with pytest.raises(ValidationError):
        policy.clean()
    policy.clock_stop_statuses = ["closed"]
    policy.case_type = "enquiry"
    with pytest.raises(ValidationError):
        policy.clean()


def test_reply_templates_are_offered_filled_in(client_a, web_as):
    from fairpath.cases.models import ReplyTemplate

    customer = make_customer(client_a, first_name="Ada", last_name="Lovelace")
    case = make_case(client_a, customer=customer)
    ReplyTemplate.objects.create(
        client=client_a,
        name="Apology",
        case_type="complaint",
        body="Dear {customer_name}, about {case_reference}",
    )
    ReplyTemplate.objects.create(client=client_a, name="Enquiry only", case_type="enquiry", body="x")
    page = web_as(make_user("agent", client_a)).get(f"/cases/{case.pk}/").content.decode()
    assert f"Dear Ada Lovelace, about {case.reference}" in page and "Enquiry only" not in page
