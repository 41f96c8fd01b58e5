"""The servicing API a dialer drives: every action, refusals naming rule and field, client scope, permissions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from fairpath.accounts.actions import post_payment
from fairpath.accounts.models import LedgerEntry, ThirdParty, VulnerabilityCue
from fairpath.collections.models import (
    Arrangement,
    ContactRecord,
    EndOfContractCharge,
    ForbearanceRecord,
    Hold,
    IncomeExpenditure,
    Note,
    Promise,
    SettlementOffer,
)
from fairpath.governance.models import ApprovalRequest, AuditEvent
from tests.factories import SETUP, make_user
from tests.factories.collections import make_end_of_contract, make_fully_worked, make_uk_agreement

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def agent(client_a):
    return make_user("agent", client_a)


@pytest.fixture
def agreement(client_a):
    return make_uk_agreement(client_a)


def base(agreement) -> str:
    return f"/servicing/agreements/{agreement.pk}"


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (ContactRecord, Note, Promise, IncomeExpenditure, Arrangement, ForbearanceRecord, Hold,
                      VulnerabilityCue, SettlementOffer, ThirdParty, EndOfContractCharge, LedgerEntry,
                      ApprovalRequest, AuditEvent)
    )  # fmt: skip


def test_a_dialer_works_an_account(api_as, agent, agreement):
    api = api_as(agent)
    url = base(agreement)
    status, body = api.post(url + "/contacts", {"channel": "call", "direction": "outbound", "outcome": "promise",
                                                "identity_verified": True, "right_party": True})  # fmt: skip
    assert status == 201, body
    assert ContactRecord.objects.get(pk=body["id"]).attempt.is_allowed
    status, body = api.post(url + "/notes", {"text": "Card 4111 1111 1111 1111"})
    assert status == 201 and "411111******1111" in Note.objects.get(pk=body["id"]).text
    status, body = api.post(
        url + "/promises", {"instalments": [{"due_on": "2026-03-10", "amount_minor": 5000}]}
    )
    assert status == 201 and Promise.objects.get(pk=body["id"]).total_minor == 5000
    status, body = api.post(url + "/income-expenditure", {"lines": {"earnings": 150_000, "housing": 60_000,
                                                                    "utilities": 15_000, "food": 30_000}})  # fmt: skip
    assert status == 201 and body["disposable_minor"] == 45_000
    ie = body["id"]
    status, body = api.post(url + "/arrangements", {"amount_minor": 10_000, "first_due_on": "2026-04-01",
                                                    "instalment_count": 12, "assessment_id": ie})  # fmt: skip
    assert status == 201 and body["message"] == "affordable"
    status, body = api.post(
        f"{url}/arrangements/{body['id']}/decision", {"accept": True, "reason": "Affordable"}
    )
    assert status == 200 and body["status"] == "active"
    status, body = api.post(url + "/forbearance", {"considered": ["token_payments"], "chosen": "token_payments",
                                                   "chosen_reason": "Short-term income cut"})  # fmt: skip
    assert status == 201
    status, body = api.post(url + "/vulnerabilities", {"driver": "life_events", "description": "Bereavement",
                                                       "is_temporary": True, "review_on": "2026-06-01",
                                                       "lawful_basis": "Consent"})  # fmt: skip
    assert status == 201
    status, body = api.post(url + "/holds", {"kind": "advice", "reason": "StepChange"})
    assert status == 201 and body["status"] == "debt_advice"


def test_refusals_name_rule_and_field_and_change_nothing(api_as, agent, agreement):
    api = api_as(agent)
    url = base(agreement)
    before = counts()
    cases = [
        (url + "/contacts", {"channel": "call", "direction": "inbound", "outcome": "promise", "right_party": True},
         409, "UK-CONTACT", "identity_verified"),
        (url + "/notes", {"text": "4111 1111 1111 1111", "refuse_cards": True}, 409, "P-PAN", "text"),
        (url + "/forbearance", {"considered": []}, 409, "UK-FORB", "considered"),
        (url + "/vulnerabilities", {"driver": "health", "description": "x", "is_temporary": True,
                                    "lawful_basis": "Consent"}, 409, "VC-RECORD", "review_on"),
        (url + "/holds", {"kind": "advice"}, 422, None, "reason"),
        (url + "/settlement-offers", {"kind": "partial", "amount_minor": 1, "pay_by": "2026-03-31", "reason": "x"},
         409, "AUTHORITY-LIMIT", "value"),
        (url + "/end-of-contract-charges", {"kind": "damage", "amount_minor": 100}, 409, "UK-CHARGES", "kind"),
        (url + "/promises", {"instalments": [{"due_on": "2026-03-10", "amount_minor": -5}]}, 422, None,
         "amount"),
    ]  # fmt: skip
    for path, payload, status_code, rule, field in cases:
        status, body = api.post(path, payload)
        assert status == status_code, (path, body)
        assert body["error"].get("rule") == rule and body["error"].get("field") == field, (path, body)
    assert counts() == before


def test_settlement_over_the_api(api_as, agent, agreement, client_a):
    api = api_as(agent)
    url = base(agreement)
    status, body = api.post(url + "/settlement-offers", {"kind": "partial", "amount_minor": 100_000,
                                                         "pay_by": "2026-03-31", "reason": "Hardship"})  # fmt: skip
    assert status == 201 and body["status"] == "awaiting_approval" and body["approval_id"]
    assert "still exists" in body["statement"]
    status, body = api.post(f"{url}/settlement-offers/{body['id']}/withdraw", {"reason": "Customer declined"})
    assert status == 200 and body["status"] == "withdrawn"
    status, body = api.post(url + "/settlement-offers", {"kind": "full_and_final", "amount_minor": 110_000,
                                                         "pay_by": "2026-03-31", "reason": "Lump sum"})  # fmt: skip
    assert status == 201 and body["status"] == "offered" and body["discount_bp"] == 834
    offer = body["id"]
    assert api.post(f"{url}/settlement-offers/{offer}/accept")[0] == 200
    status, body = api.post(f"{url}/settlement-offers/{offer}/settle")
    assert status == 409 and body["error"]["rule"] == "SETTLEMENT-TERMS"
    post_payment(
        agreement=agreement, amount_minor=110_000, currency="GBP", received_on=NOON.date(), actor=SETUP
    )
    status, body = api.post(f"{url}/settlement-offers/{offer}/settle")
    assert status == 200 and body["status"] == "settled"
    agreement.refresh_from_db()
    assert agreement.status == "settled" and agreement.balance_minor == 0


def test_third_party_over_the_api_tells_what_may_be_said(api_as, agent, agreement):
    api = api_as(agent)
    status, body = api.post(base(agreement) + "/third-parties", {"kind": "guarantor", "name": "Sam Surety",
                                                                 "authority_from": "2026-03-01"})  # fmt: skip
    assert status == 201 and any("s.111" in line for line in body["may_be_told"])
    assert any("income" in line for line in body["never_told"])
    status, body = api.post(
        f"{base(agreement)}/third-parties/{body['id']}/end", {"reason": "Guarantee released"}
    )
    assert status == 200 and body["authority_until"] == "2026-03-04"


def test_transfer_refusal_lists_every_missing_item(api_as, agent, agreement, client_a):
    api = api_as(agent)
    status, body = api.get(base(agreement) + "/recoveries-checklist")
    assert status == 200 and not body["is_complete"] and len(body["missing"]) == 5
    before = counts()
    status, body = api.post(base(agreement) + "/recoveries-transfer", {"reason": "Try"})
    assert status == 409 and body["error"]["rule"] == "RECOVERIES-CHECKLIST"
    assert [item["rule"] for item in body["error"]["missing"]] == [
        "STATUS-TRANSITION", "RECOVERIES-CHECKLIST", "UK-FORB", "UK-PROPOSAL", "UK-DEFAULT",
    ]  # fmt: skip
    assert counts() == before
    worked = make_fully_worked(client_a, as_of=NOON.date())
    status, body = api.post(base(worked) + "/recoveries-transfer", {"reason": "Fully worked"})
    assert status == 200 and body["status"] == "recoveries"


def test_end_of_contract_over_the_api(api_as, agent, client_a):
    agreement = make_end_of_contract(client_a, product="lease")
    status, body = api_as(agent).post(base(agreement) + "/end-of-contract-charges",
                                      {"kind": "excess_mileage", "allowed_miles": 10_000, "recorded_miles": 10_250})  # fmt: skip
    assert status == 201 and body["amount_minor"] == 2_000 and body["rate_per_mile_minor"] == 8


SAMPLE_CALLS = [
    ("/contacts", {"channel": "email", "direction": "inbound", "outcome": "other"}),
    ("/notes", {"text": "hello"}),
    ("/promises", {"instalments": [{"due_on": "2026-03-10", "amount_minor": 5000}]}),
    ("/income-expenditure", {"lines": {"earnings": 1000}}),
    ("/arrangements", {"amount_minor": 1000, "first_due_on": "2026-04-01", "instalment_count": 2}),
    ("/forbearance", {"considered": ["extend_term"], "chosen": "extend_term", "chosen_reason": "x"}),
    ("/settlement-offers", {"kind": "full_and_final", "amount_minor": 119_000, "pay_by": "2026-03-31",
                            "reason": "x"}),
    ("/third-parties", {"kind": "debt_adviser", "name": "Jo", "authority_from": "2026-03-01"}),
    ("/holds", {"kind": "capacity", "reason": "x"}),
    ("/vulnerabilities", {"driver": "health", "description": "x", "is_temporary": False, "lawful_basis": "x"}),
    ("/recoveries-transfer", {"reason": "x"}),
    ("/end-of-contract-charges", {"kind": "return_charge", "amount_minor": 100}),
]  # fmt: skip


@pytest.mark.parametrize("path,payload", SAMPLE_CALLS)
def test_another_client_s_agreement_is_not_found_and_nothing_changes(
    api_as, client_a, client_b, path, payload
):
    agreement = make_end_of_contract(client_a)
    outsider = make_user("head_of_operations", client_b)
    api = api_as(outsider)
    before = counts()
    status, body = api.post(base(agreement) + path, payload)
    assert status == 404 and body["error"]["code"] == "not_found"
    assert counts() == before


@pytest.mark.parametrize("path,payload", SAMPLE_CALLS)
def test_a_role_without_the_permission_is_forbidden(api_as, client_a, path, payload):
    agreement = make_end_of_contract(client_a)
    reader = make_user("compliance_officer", client_a)
    api = api_as(reader)
    before = counts()
    status, body = api.post(base(agreement) + path, payload)
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert counts() == before


def test_a_token_scoped_to_another_client_does_not_reach_this_one(api_as, client_a, client_b, agreement):
    both = make_user("agent", client_a, client_b)
    api = api_as(both, client_b)
    before = counts()
    status, _ = api.post(base(agreement) + "/notes", {"text": "hello"})
    assert status == 404 and counts() == before
