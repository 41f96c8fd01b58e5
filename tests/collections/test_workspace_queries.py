"""The workspace renders in a fixed number of SQL queries, however long the agreement's history grows.

Pinned exactly, so an N+1 (a query per contact, note, promise, ledger row, case, third party...) fails here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fairpath.accounts.actions import change_status, post_payment
from fairpath.collections import actions as collection_actions
from fairpath.collections import promises
from fairpath.collections.workspace import actions, end_of_contract, settlement
from fairpath.collections.workspace import third_parties as parties
from fairpath.work import actions as work_actions
from tests.factories import SETUP, make_user
from tests.factories.accounts import make_agreement
from tests.factories.cases import make_case
from tests.factories.collections import make_end_of_contract
from tests.factories.work import make_item

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)
# Queries of one workspace render for the team leader (who sees every section), session and permissions included
# (46 before the next and suppressed actions were read in one query).
PINNED = 45


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def agreement(client_a):
    """A PCP in default: every section of the page has something to read (charges, recoveries checklist)."""
    made = make_end_of_contract(client_a)
    for status in ("in_arrears", "default"):
        change_status(agreement=made, to_status=status, actor=SETUP, reason="test set-up")
    made.refresh_from_db()
    return made


def grow(agreement, agent, leader, rounds: int) -> None:
    """``rounds`` more of everything the page shows: contacts, notes, promises, ledger rows, arrangements,
    cases, third parties, settlement offers, charges, vulnerability cues, the customer's other agreements and
    the agent's work items on the agreement."""
    today = NOON.date()
    for number in range(rounds):
        actions.record_contact(
            agreement=agreement, actor=agent, channel="email", direction="inbound", outcome="other",
            note=f"wrote {number}", at=NOON - timedelta(hours=number + 1),
        )  # fmt: skip
        actions.add_note(agreement=agreement, actor=agent, text=f"note {number}")
        promises.record_promise(
            agreement=agreement, actor=agent, made_on=today,
            instalments=[(today + timedelta(days=7 + number), 500), (today + timedelta(days=37 + number), 500)],
        )  # fmt: skip
        post_payment(
            agreement=agreement, amount_minor=100 + number, currency=agreement.currency,
            received_on=today - timedelta(days=number), actor=SETUP,
        )  # fmt: skip
        promises.propose_arrangement(
            agreement=agreement, amount_minor=1_000, first_due_on=today + timedelta(days=30), instalment_count=6,
            proposed_on=today, actor=SETUP,
        )  # fmt: skip
        make_case(agreement.client, customer=agreement.customer, agreement=agreement)
        parties.add_third_party(
            agreement=agreement, actor=leader, kind="debt_adviser", name=f"Adviser {number}",
            organisation="StepChange", phone="", email="", authority_from=today, authority_until=None,
            all_agreements=False, reason="letter of authority seen",
        )  # fmt: skip
        agreement.refresh_from_db()
        offer = settlement.make_settlement_offer(
            agreement=agreement, actor=leader, kind="full_and_final", amount_minor=agreement.balance_minor - 10,
            pay_by=today + timedelta(days=14), on=today, reason="customer offered",
        )  # fmt: skip
        settlement.withdraw_settlement(offer=offer, actor=leader, reason="customer changed their mind")
        end_of_contract.record_end_of_contract_charge(
            agreement=agreement, actor=leader, kind="return_charge", on=today, amount_minor=1_000 + number,
            description="collection",
        )  # fmt: skip
        actions.record_vulnerability(
            agreement=agreement, actor=agent, driver="health", description=f"cue {number}", is_temporary=True,
            review_on=today + timedelta(days=90), lawful_basis="consent", on=today,
        )  # fmt: skip
        make_agreement(agreement.customer, reference=f"OTHER{agreement.pk}-{rounds}-{number}")
        item = make_item(
            agreement.client,
            title=f"call {number}",
            agreement=agreement,
            customer=agreement.customer,
            owner=leader,
        )
        work_actions.start_item(item=item, actor=leader)
        agreement.refresh_from_db()
    if rounds:
        collection_actions.record_dispute(agreement=agreement, on=date(2026, 3, 1), actor=SETUP, reason="fee")


def render_queries(http, agreement) -> int:
    url = reverse("collections:workspace", kwargs={"agreement_id": agreement.pk})
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
    assert response.status_code == 200
    return len(captured)


def test_workspace_queries_do_not_grow_with_history(web_as, client_a, agreement):
    agent = make_user("agent", client_a)
    leader = make_user("team_leader", client_a)
    http = web_as(leader)
    grow(agreement, agent, leader, 1)
    http.get(reverse("collections:workspace", kwargs={"agreement_id": agreement.pk}))  # warm caches
    few = render_queries(http, agreement)
    grow(agreement, agent, leader, 8)
    many = render_queries(http, agreement)
    assert (few, many) == (PINNED, PINNED)


def test_busy_workspace_shows_the_history_it_was_given(web_as, client_a, agreement):
    """The pinned render is the real page: the rows it must show are on it."""
    agent = make_user("agent", client_a)
    leader = make_user("team_leader", client_a)
    grow(agreement, agent, leader, 3)
    body = web_as(leader).get(reverse("collections:workspace", kwargs={"agreement_id": agreement.pk}))
    text = body.content.decode()
    for expected in (
        "wrote 2",
        "note 2",
        "Adviser 2",
        "cue 2",
        "call 2",
        f"OTHER{agreement.pk}-3-2",
        "Dispute",
    ):
        assert expected in text, expected


def test_an_agreement_that_cannot_have_end_of_contract_charges_does_not_read_them(web_as, client_a):
    """A personal loan's page reads one query fewer than a PCP's (UK-CHARGES: no charges can be recorded)."""
    http = web_as(make_user("team_leader", client_a))
    pcp = make_end_of_contract(client_a)
    loan = make_agreement(pcp.customer, reference=f"LOAN{pcp.pk}")
    for target in (pcp, loan):
        http.get(reverse("collections:workspace", kwargs={"agreement_id": target.pk}))  # warm caches
    assert render_queries(http, loan) == render_queries(http, pcp) - 1
