"""The workspace forms for settlement, third parties, vulnerability, recoveries and end-of-contract charges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from fairpath.accounts.actions import post_payment
from fairpath.accounts.models import LedgerEntry, ThirdParty, VulnerabilityCue
from fairpath.collections.models import EndOfContractCharge, SettlementOffer
from fairpath.governance.models import AuditEvent
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


def url(name: str, agreement) -> str:
    return reverse(f"collections:{name}", kwargs={"agreement_id": agreement.pk})


def counts() -> tuple[int, ...]:
    return (
        SettlementOffer.objects.count(),
        ThirdParty.objects.count(),
        VulnerabilityCue.objects.count(),
        EndOfContractCharge.objects.count(),
        LedgerEntry.objects.count(),
        AuditEvent.objects.count(),
    )


def test_page_shows_the_new_forms_with_accesskeys(web_as, agent, client_a):
    agreement = make_end_of_contract(client_a)
    body = web_as(agent).get(url("workspace", agreement)).content.decode()
    for testid, key in (("act-settlement", "s"), ("act-third-party", "t"), ("act-vulnerability", "v"),
                        ("act-recoveries", "r"), ("act-end-of-contract", "e")):  # fmt: skip
        assert f'data-testid="{testid}"' in body and f'accesskey="{key}"' in body


def test_settlement_through_the_forms(web_as, agent, client_a):
    agreement = make_uk_agreement(client_a)
    http = web_as(agent)
    data = {"kind": "full_and_final", "amount": "1100.00", "pay_by": "2026-03-31", "reason": "Lump sum"}
    assert http.post(url("workspace_settlement", agreement), data).status_code == 302
    offer = SettlementOffer.objects.get(agreement=agreement)
    step = url("workspace_settlement_step", agreement)
    assert http.post(step, {"offer": offer.pk, "step": "accept"}).status_code == 302
    refused = http.post(step, {"offer": offer.pk, "step": "settle"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and "SETTLEMENT-TERMS" in refused.content.decode()
    post_payment(
        agreement=agreement, amount_minor=110_000, currency="GBP", received_on=NOON.date(), actor=SETUP
    )
    assert http.post(step, {"offer": offer.pk, "step": "settle"}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == "settled" and agreement.balance_minor == 0
    page = http.get(url("workspace", agreement)).content.decode()
    assert "Settled" in page


def test_settlement_over_authority_answers_that_it_went_for_approval(web_as, agent, client_a):
    agreement = make_uk_agreement(client_a)
    data = {"kind": "partial", "amount": "900", "pay_by": "2026-03-31", "reason": "Hardship"}
    response = web_as(agent).post(url("workspace_settlement", agreement), data, follow=True)
    assert "sent for approval" in response.content.decode()
    assert SettlementOffer.objects.get(agreement=agreement).status == "awaiting_approval"


def test_third_party_add_and_end_through_the_forms(web_as, agent, client_a):
    agreement = make_uk_agreement(client_a)
    http = web_as(agent)
    data = {"kind": "debt_adviser", "name": "Jo Adviser", "organisation": "StepChange",
            "authority_from": "2026-03-01"}  # fmt: skip
    assert http.post(url("workspace_third_party", agreement), data).status_code == 302
    party = ThirdParty.objects.get(customer=agreement.customer)
    response = http.post(
        url("workspace_third_party_end", agreement), {"party": party.pk, "reason": "Revoked"}
    )
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.authority_until == NOON.date()


def test_vulnerability_form_refusal_names_the_rule(web_as, agent, client_a):
    agreement = make_uk_agreement(client_a)
    before = counts()
    data = {"driver": "health", "description": "Surgery", "is_temporary": "on", "lawful_basis": "Consent"}
    response = web_as(agent).post(url("workspace_vulnerability", agreement), data)
    assert response.status_code == 422 and "VC-RECORD" in response.content.decode()
    assert counts() == before
    data["review_on"] = "2026-06-01"
    assert web_as(agent).post(url("workspace_vulnerability", agreement), data).status_code == 302


def test_recoveries_form_lists_what_is_missing(web_as, agent, client_a):
    agreement = make_fully_worked(client_a, as_of=NOON.date())
    from fairpath.collections.models import NoticeDue

    NoticeDue.objects.filter(agreement=agreement).update(remedy_on=NOON.date())
    http = web_as(agent)
    page = http.get(url("workspace", agreement)).content.decode()
    assert 'data-testid="recoveries-missing"' in page and "UK-DEFAULT" in page
    response = http.post(url("workspace_recoveries", agreement), {"reason": "Worked"})
    assert response.status_code == 422 and "UK-DEFAULT" in response.content.decode()
    NoticeDue.objects.filter(agreement=agreement).update(remedy_on=NOON.date().replace(day=3))
    assert http.post(url("workspace_recoveries", agreement), {"reason": "Worked"}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == "recoveries"


def test_end_of_contract_form(web_as, agent, client_a):
    agreement = make_end_of_contract(client_a)
    http = web_as(agent)
    data = {"kind": "excess_mileage", "allowed_miles": "30000", "recorded_miles": "31000"}
    assert http.post(url("workspace_end_of_contract", agreement), data).status_code == 302
    assert EndOfContractCharge.objects.get(agreement=agreement).amount_minor == 8_000
    before = counts()
    response = http.post(
        url("workspace_end_of_contract", agreement), {"kind": "return_charge", "amount": "151"}
    )
    assert response.status_code == 422 and "UK-CHARGES" in response.content.decode()
    assert counts() == before


NEW_URLS = [
    "workspace_settlement",
    "workspace_settlement_step",
    "workspace_third_party",
    "workspace_third_party_end",
    "workspace_vulnerability",
    "workspace_recoveries",
    "workspace_end_of_contract",
]


@pytest.mark.parametrize("name", NEW_URLS)
def test_another_client_gets_404_and_nothing_changes(web_as, client_a, client_b, name):
    agreement = make_end_of_contract(client_a)
    outsider = make_user("team_leader", client_b)
    before = counts()
    response = web_as(outsider).post(
        url(name, agreement), {"kind": "return_charge", "amount": "10", "name": "x", "reason": "x"}
    )
    assert response.status_code == 404
    assert counts() == before


@pytest.mark.parametrize("name", NEW_URLS)
def test_a_role_without_the_permission_gets_403(web_as, client_a, name):
    agreement = make_end_of_contract(client_a)
    reader = make_user("compliance_officer", client_a)
    before = counts()
    assert (
        web_as(reader).post(url(name, agreement), {"kind": "return_charge", "amount": "10"}).status_code
        == 403
    )
    assert counts() == before
