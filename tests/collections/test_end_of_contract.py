"""End-of-contract charges for PCP, HP and leases: posted only where the fee terms allow (UK-CHARGES)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from fairpath.accounts.models import LedgerEntry
from fairpath.collections.actions import start_breathing_space
from fairpath.collections.models import EndOfContractCharge
from fairpath.collections.workspace import end_of_contract
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP, make_user
from tests.factories.collections import make_end_of_contract, make_uk_agreement

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 4, 11, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def agent(client_a):
    return make_user("agent", client_a)


def charge(agreement, actor, kind, **fields):
    return end_of_contract.record_end_of_contract_charge(
        agreement=agreement, actor=actor, kind=kind, on=TODAY, **fields
    )


def snapshot(agreement) -> tuple[int, ...]:
    agreement.refresh_from_db()
    return (
        LedgerEntry.objects.filter(agreement=agreement).count(),
        EndOfContractCharge.objects.count(),
        AuditEvent.objects.count(),
        agreement.balance_minor,
    )


@given(allowed=st.integers(0, 10**6), recorded=st.integers(0, 10**6), rate=st.integers(0, 1000))
def test_excess_mileage_arithmetic(allowed, recorded, rate):
    amount = end_of_contract.excess_mileage_charge(
        allowed_miles=allowed, recorded_miles=recorded, rate_per_mile_minor=rate
    )
    assert amount >= 0
    assert amount == (recorded - allowed) * rate if recorded > allowed else amount == 0


def test_excess_mileage_is_the_contract_rate_times_the_miles_over(client_a, agent):
    agreement = make_end_of_contract(client_a)
    agreement.refresh_from_db()
    before = agreement.balance_minor
    made = charge(agreement, agent, "excess_mileage", allowed_miles=30_000, recorded_miles=34_500)
    assert made.amount_minor == 4_500 * 8 and made.rate_per_mile_minor == 8
    agreement.refresh_from_db()
    assert agreement.balance_minor == before + 36_000
    assert made.entry.fee_type == "excess_mileage" and made.entry.amount_minor == 36_000
    assert AuditEvent.objects.filter(action="collections.end_of_contract_charged").count() == 1


@pytest.mark.parametrize("product", ["pcp", "hire_purchase", "lease"])
def test_return_and_damage_charges_post_fees(client_a, agent, product):
    agreement = make_end_of_contract(client_a, product=product)
    charge(agreement, agent, "return_charge", amount_minor=15_000)
    charge(
        agreement,
        agent,
        "damage",
        amount_minor=42_000,
        description="Scratched door",
        evidence_reference="INS-1",
    )
    fees = list(
        LedgerEntry.objects.filter(agreement=agreement, kind="fee").values_list("fee_type", "amount_minor")
    )
    assert sorted(fees) == [("damage", 42_000), ("return_charge", 15_000)]


def test_no_fee_term_refused_with_uk_charges_and_nothing_changes(client_a, agent):
    agreement = make_end_of_contract(client_a, fees=[("return_charge", 15_000, "Collection")])
    before = snapshot(agreement)
    for kind, fields in (
        ("excess_mileage", {"allowed_miles": 1, "recorded_miles": 2}),
        ("damage", {"amount_minor": 100, "description": "Dent", "evidence_reference": "INS-2"}),
        ("return_charge", {"amount_minor": 15_001}),
    ):
        with pytest.raises(Refusal) as refused:
            charge(agreement, agent, kind, **fields)
        assert refused.value.rule == "UK-CHARGES"
    assert snapshot(agreement) == before


def test_only_pcp_hp_and_lease(client_a, agent):
    agreement = make_uk_agreement(client_a, fee_terms=[("return_charge", 15_000, "Collection")])
    with pytest.raises(Refusal) as refused:
        charge(agreement, agent, "return_charge", amount_minor=100)
    assert refused.value.rule == "UK-CHARGES"


@pytest.mark.parametrize(
    "kind,fields",
    [
        ("excess_mileage", {"allowed_miles": 30_000, "recorded_miles": 29_000}),
        ("excess_mileage", {"allowed_miles": -1, "recorded_miles": 2}),
        ("return_charge", {"amount_minor": 0}),
        ("damage", {"amount_minor": 100}),
        ("tyres", {"amount_minor": 100}),
    ],
)
def test_bad_input_changes_nothing(client_a, agent, kind, fields):
    agreement = make_end_of_contract(client_a)
    before = snapshot(agreement)
    with pytest.raises(InvalidInput):
        charge(agreement, agent, kind, **fields)
    assert snapshot(agreement) == before


def test_no_charges_in_a_breathing_space(client_a, agent):
    agreement = make_end_of_contract(client_a)
    start_breathing_space(agreement=agreement, entered_on=date(2026, 3, 1), actor=SETUP)
    before = snapshot(agreement)
    with pytest.raises(Refusal) as refused:
        charge(agreement, agent, "excess_mileage", allowed_miles=1, recorded_miles=2)
    assert refused.value.rule == "BS-EFFECT"
    assert snapshot(agreement) == before


def test_another_client_and_a_role_without_permission_are_refused(client_a, client_b):
    agreement = make_end_of_contract(client_a)
    outsiders = (make_user("team_leader", client_b), make_user("compliance_officer", client_a))
    before = snapshot(agreement)
    for outsider in outsiders:
        with pytest.raises(NotPermitted):
            charge(agreement, outsider, "return_charge", amount_minor=100)
    assert snapshot(agreement) == before
