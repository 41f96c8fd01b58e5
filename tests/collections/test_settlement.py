"""Settlement offers: arithmetic, authority, approval, payment before the discount, partial statement."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from fairpath.accounts.actions import post_payment, reverse_payment
from fairpath.accounts.models import LedgerEntry
from fairpath.collections.models import SettlementOffer
from fairpath.collections.workspace import settlement
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.actions import decide_approval
from fairpath.governance.models import ApprovalRequest, AuditEvent
from tests.factories import SETUP, make_user
from tests.factories.collections import make_uk_agreement

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 4)
PAY_BY = date(2026, 3, 31)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 4, 11, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def agreement(client_a):
    return make_uk_agreement(client_a)  # balance £1,200.00


@pytest.fixture
def agent(client_a):
    return make_user("agent", client_a)


def offer(agreement, actor, amount: int, kind: str = "full_and_final") -> SettlementOffer:
    return settlement.make_settlement_offer(
        agreement=agreement, actor=actor, kind=kind, amount_minor=amount, pay_by=PAY_BY, on=TODAY,
        reason="Lump sum from family",
    )  # fmt: skip


def snapshot(agreement) -> tuple[int, ...]:
    agreement.refresh_from_db()
    return (
        SettlementOffer.objects.filter(agreement=agreement).count(),
        LedgerEntry.objects.filter(agreement=agreement).count(),
        ApprovalRequest.objects.count(),
        AuditEvent.objects.count(),
        agreement.balance_minor,
    )


@given(balance=st.integers(1, 10**12), share=st.floats(0, 1))
def test_settlement_arithmetic(balance, share):
    amount = max(1, min(balance, round(balance * share)))
    terms = settlement.settlement_terms(balance_minor=balance, amount_minor=amount)
    assert terms.discount_minor + terms.amount_minor == terms.balance_minor == balance
    assert terms.discount_minor >= 0 and terms.amount_minor > 0
    assert 0 <= terms.discount_bp <= 10_000
    # rounded up: the share in basis points never understates the discount
    assert terms.discount_bp * balance >= terms.discount_minor * 10_000
    assert (terms.discount_bp - 1) * balance < terms.discount_minor * 10_000


@given(balance=st.integers(-(10**6), 10**6), amount=st.integers(-(10**6), 2 * 10**6))
def test_settlement_arithmetic_refuses_what_cannot_be(balance, amount):
    if balance > 0 and 0 < amount <= balance:
        assert settlement.settlement_terms(balance_minor=balance, amount_minor=amount).discount_minor >= 0
    else:
        with pytest.raises(Refusal):
            settlement.settlement_terms(balance_minor=balance, amount_minor=amount)


def test_full_and_final_within_authority_posts_discount_only_when_paid(agreement, agent):
    made = offer(agreement, agent, 110_000)  # 8.34% discount: within the agent's 10%
    assert made.status == "offered" and made.discount_minor == 10_000 and made.discount_bp == 834
    assert "full and final" in made.statement
    settlement.accept_settlement(offer=made, actor=agent, on=TODAY)
    assert not LedgerEntry.objects.filter(agreement=agreement, kind="settlement_discount").exists()
    post_payment(agreement=agreement, amount_minor=60_000, currency="GBP", received_on=TODAY, actor=SETUP)
    before = snapshot(agreement)
    with pytest.raises(Refusal) as refused:
        settlement.complete_settlement(offer=made, actor=agent, on=TODAY)
    assert refused.value.rule == "SETTLEMENT-TERMS" and "£500.00" in refused.value.message
    assert snapshot(agreement) == before
    post_payment(agreement=agreement, amount_minor=50_000, currency="GBP", received_on=TODAY, actor=SETUP)
    done = settlement.complete_settlement(offer=made, actor=agent, on=TODAY)
    agreement.refresh_from_db()
    assert done.status == "settled" and agreement.status == "settled" and agreement.balance_minor == 0
    entry = LedgerEntry.objects.get(agreement=agreement, kind="settlement_discount")
    assert entry.amount_minor == -10_000 and done.discount_entry == entry
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"collections.settlement_proposed", "collections.settlement_offered",
            "collections.settlement_accepted", "collections.settlement_completed"} <= actions  # fmt: skip


def test_a_reversed_payment_does_not_count(agreement, agent):
    made = offer(agreement, agent, 110_000)
    settlement.accept_settlement(offer=made, actor=agent, on=TODAY)
    paid = post_payment(
        agreement=agreement, amount_minor=110_000, currency="GBP", received_on=TODAY, actor=SETUP
    )
    reverse_payment(payment=paid, actor=SETUP, reason="Direct debit recalled", reversed_on=TODAY)
    with pytest.raises(Refusal):
        settlement.complete_settlement(offer=made, actor=agent, on=TODAY)
    assert not LedgerEntry.objects.filter(agreement=agreement, kind="settlement_discount").exists()


def test_partial_settlement_says_the_remainder_still_exists_and_posts_no_discount(agreement, agent):
    made = offer(agreement, agent, 110_000, kind="partial")
    assert "still exists and is still owed" in made.statement and "£100.00" in made.statement
    settlement.accept_settlement(offer=made, actor=agent, on=TODAY)
    post_payment(agreement=agreement, amount_minor=110_000, currency="GBP", received_on=TODAY, actor=SETUP)
    done = settlement.complete_settlement(offer=made, actor=agent, on=TODAY)
    agreement.refresh_from_db()
    assert done.status == "settled" and done.remainder_minor == 10_000
    assert agreement.balance_minor == 10_000 and agreement.status == "settled"
    assert not LedgerEntry.objects.filter(agreement=agreement, kind="settlement_discount").exists()


def test_over_authority_goes_to_the_next_role_up_and_is_offered_on_approval(agreement, agent, client_a):
    made = offer(agreement, agent, 100_000)  # 16.67%: over the agent's 10%, within a team leader's 25%
    assert made.status == "awaiting_approval" and made.approval is not None
    assert (
        made.approval.required_role.code == "team_leader" and made.approval.kind == "settlement_discount_bp"
    )
    with pytest.raises(Refusal):
        settlement.accept_settlement(offer=made, actor=agent, on=TODAY)
    leader = make_user("team_leader", client_a)
    decide_approval(approval=made.approval, approve=True, actor=leader, reason="Fair offer")
    made.refresh_from_db()
    assert made.status == "offered"


def test_a_rejected_offer_does_not_block_a_new_one(agreement, agent, client_a):
    made = offer(agreement, agent, 100_000)
    with pytest.raises(Refusal):
        offer(agreement, agent, 115_000)
    leader = make_user("team_leader", client_a)
    decide_approval(approval=made.approval, approve=False, actor=leader, reason="Too much")
    assert offer(agreement, agent, 115_000).status == "offered"


def test_no_role_has_authority_changes_nothing(agreement, agent):
    before = snapshot(agreement)
    with pytest.raises(Refusal) as refused:
        offer(agreement, agent, 1_000)  # 99.9%: above every role
    assert refused.value.rule == "AUTHORITY-LIMIT"
    assert snapshot(agreement) == before


@pytest.mark.parametrize(
    "kind,amount,pay_by,reason",
    [
        ("full_and_final", 0, PAY_BY, "x"),
        ("full_and_final", 130_000, PAY_BY, "x"),
        ("half", 100_000, PAY_BY, "x"),
        ("partial", 110_000, date(2026, 3, 1), "x"),
        ("partial", 110_000, date(2026, 12, 1), "x"),
        ("partial", 110_000, PAY_BY, " "),
    ],
)
def test_bad_offers_change_nothing(agreement, agent, kind, amount, pay_by, reason):
    before = snapshot(agreement)
    with pytest.raises(InvalidInput):
        settlement.make_settlement_offer(
            agreement=agreement, actor=agent, kind=kind, amount_minor=amount, pay_by=pay_by, on=TODAY,
            reason=reason,
        )  # fmt: skip
    assert snapshot(agreement) == before


def test_another_client_and_a_role_without_permission_are_refused(agreement, client_a, client_b):
    outsiders = (make_user("team_leader", client_b), make_user("compliance_officer", client_a))
    before = snapshot(agreement)
    for outsider in outsiders:
        with pytest.raises(NotPermitted):
            offer(agreement, outsider, 110_000)
    assert snapshot(agreement) == before


def test_withdraw_and_lapse(agreement, agent):
    made = offer(agreement, agent, 110_000)
    with pytest.raises(Refusal):
        settlement.accept_settlement(offer=made, actor=agent, on=date(2026, 4, 1))
    with pytest.raises(InvalidInput):
        settlement.withdraw_settlement(offer=made, actor=agent, reason="")
    assert settlement.withdraw_settlement(offer=made, actor=agent, reason="Lapsed").status == "withdrawn"
    with pytest.raises(Refusal):
        settlement.withdraw_settlement(offer=made, actor=agent, reason="again")
