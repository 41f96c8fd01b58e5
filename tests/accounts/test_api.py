"""Customers and agreements over /api/v1: search, detail, ledger, adjustments, and client scope."""

from __future__ import annotations

from datetime import date

import pytest

from fairpath.accounts import actions
from fairpath.accounts.models import LedgerEntry
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(client_a, client_b):
    ada = make_customer(client_a, first_name="Ada", last_name="Lovelace", phone="07700 900123")
    loan = make_agreement(ada, reference="NW00000042")
    other = make_customer(client_b, first_name="Ada", last_name="Lovelock")
    other_loan = make_agreement(other, reference="HB00000042")
    return {"ada": ada, "loan": loan, "other": other, "other_loan": other_loan}


@pytest.fixture
def api_a(user_factory, client_a, api_as):
    return api_as(user_factory("agent", client_a))


def test_search_returns_only_the_callers_clients(book, api_a):
    status, body = api_a.get("/customers?q=ada")
    assert status == 200
    assert [item["name"] for item in body["items"]] == ["Ada Lovelace"]
    assert body["items"][0]["agreements"][0]["reference"] == "NW00000042"
    status, body = api_a.get("/customers?q=HB00000042")
    assert (status, body["items"]) == (200, [])
    status, body = api_a.get(f"/customers?q={book['ada'].reference.lower()}")
    assert [item["id"] for item in body["items"]] == [book["ada"].pk]


def test_customer_and_agreement_detail(book, api_a, client_a):
    status, body = api_a.get(f"/customers/{book['ada'].pk}")
    assert status == 200
    assert body["addresses"][0]["time_zone"] == "Europe/London"
    assert body["contact_points"][0]["value"] == "07700 900123"
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 2, 15))
    status, body = api_a.get(f"/agreements/{book['loan'].pk}")
    assert status == 200
    assert (body["balance_minor"], body["currency"], body["product"]) == (120_000, "GBP", "personal_loan")
    assert body["arrears"]["days_past_due"] == 15 and body["arrears"]["bucket"] == "1-29"
    assert len(body["schedule"]) == 12 and body["fee_terms"][0]["fee_type"] == "late_payment"


def test_ledger_is_paged_newest_first(book, api_a):
    for day in range(1, 29):
        actions.post_payment(
            agreement=book["loan"],
            amount_minor=100,
            currency="GBP",
            received_on=date(2024, 2, day),
            actor=SETUP,
        )
    status, body = api_a.get(f"/agreements/{book['loan'].pk}/ledger")
    assert status == 200 and body["has_next"] is False
    assert body["items"][0]["posted_on"] == "2024-02-28"
    assert body["items"][-1]["kind"] == "drawdown"


@pytest.mark.parametrize(
    "path", ["/customers/{customer}", "/agreements/{agreement}", "/agreements/{agreement}/ledger"]
)
def test_another_clients_records_are_not_found(book, api_a, path):
    status, body = api_a.get(path.format(customer=book["other"].pk, agreement=book["other_loan"].pk))
    assert status == 404


def test_adjustment_within_authority_posts_and_audits(book, api_a):
    loan = book["loan"]
    status, body = api_a.post(
        f"/agreements/{loan.pk}/adjustments",
        {
            "kind": "adjustment",
            "amount_minor": -2_500,
            "currency": "GBP",
            "posted_on": "2024-02-01",
            "reason": "goodwill",
        },
    )
    assert status == 201, body
    assert body["amount_minor"] == -2_500
    assert AuditEvent.objects.filter(object_id=str(loan.pk), action="accounts.adjustment_posted").exists()


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"currency": "USD"}, 422, "currency"),
        ({"kind": "payment"}, 422, "kind"),
        ({"posted_on": "2024-02-30"}, 422, "posted_on"),
    ],
)
def test_bad_adjustments_are_refused_and_write_nothing(book, api_a, changes, status, field):
    entries = LedgerEntry.objects.count()
    body = {
        "kind": "adjustment",
        "amount_minor": -100,
        "currency": "GBP",
        "posted_on": "2024-02-01",
        "reason": "x",
    }
    answer_status, answer = api_a.post(f"/agreements/{book['loan'].pk}/adjustments", {**body, **changes})
    assert answer_status == status, answer
    assert answer["error"]["field"] == field
    assert LedgerEntry.objects.count() == entries


def test_adjustment_over_authority_waits_for_approval(book, api_a):
    entries = LedgerEntry.objects.count()
    body = {
        "kind": "write_off",
        "amount_minor": 100,
        "currency": "GBP",
        "posted_on": "2024-02-01",
        "reason": "x",
    }
    status, answer = api_a.post(f"/agreements/{book['loan'].pk}/adjustments", body)
    assert status == 202, answer
    assert answer["required_role"] == "team_leader" and "£1.00" in answer["summary"]
    assert LedgerEntry.objects.count() == entries


def test_adjustment_on_another_clients_agreement_is_not_found(book, api_a):
    body = {
        "kind": "adjustment",
        "amount_minor": -100,
        "currency": "GBP",
        "posted_on": "2024-02-01",
        "reason": "x",
    }
    status, _ = api_a.post(f"/agreements/{book['other_loan'].pk}/adjustments", body)
    assert status == 404
    assert LedgerEntry.objects.filter(agreement=book["other_loan"]).count() == 1
