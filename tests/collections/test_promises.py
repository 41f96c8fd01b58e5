"""Promises to pay and arrangements: affordability from I&E, decisions with reasons, kept and broken."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpath.accounts import actions as account_actions
from fairpath.accounts.models import Agreement, StatusHistory
from fairpath.collections import promises, rules
from fairpath.collections.models import Arrangement, Promise
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement

pytestmark = pytest.mark.django_db


def pay(loan, amount, on):
    account_actions.post_payment(
        agreement=loan, amount_minor=amount, currency="GBP", received_on=on, actor=SETUP
    )


def test_a_promise_paid_within_grace_is_kept(client_a):
    loan = make_uk_agreement(client_a)
    promise = promises.record_promise(
        agreement=loan, instalments=[(date(2024, 3, 1), 5_000)], made_on=date(2024, 2, 20), actor=SETUP
    )
    pay(loan, 5_000, date(2024, 3, 3))  # 2 grace days
    summary = promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 3, 4))
    promise.refresh_from_db()
    assert (promise.status, promise.resolved_on, summary.promises_kept) == ("kept", date(2024, 3, 3), 1)


def test_a_promise_is_broken_the_day_after_grace_and_not_before(client_a):
    loan = make_uk_agreement(client_a)
    promise = promises.record_promise(
        agreement=loan, instalments=[(date(2024, 3, 1), 5_000)], made_on=date(2024, 2, 20), actor=SETUP,
        grace_days=3,
    )  # fmt: skip
    pay(loan, 4_999, date(2024, 3, 1))
    promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 3, 4))
    promise.refresh_from_db()
    assert promise.status == "open"  # 4 March is the last day of grace
    promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 3, 5))
    promise.refresh_from_db()
    assert (promise.status, promise.resolved_on) == ("broken", date(2024, 3, 5))
    events = AuditEvent.objects.filter(action="collections.payment_outcome_detected").count()
    promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 3, 5))  # idempotent
    assert AuditEvent.objects.filter(action="collections.payment_outcome_detected").count() == events


def test_a_promise_of_several_instalments_counts_cumulatively(client_a):
    loan = make_uk_agreement(client_a)
    promise = promises.record_promise(
        agreement=loan,
        instalments=[(date(2024, 3, 1), 3_000), (date(2024, 4, 1), 3_000)],
        made_on=date(2024, 2, 20),
        actor=SETUP,
    )
    pay(loan, 6_000, date(2024, 2, 25))  # all paid early
    promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 2, 26))
    promise.refresh_from_db()
    assert promise.status == "kept"


def test_a_new_promise_replaces_the_open_one_and_bad_input_changes_nothing(client_a):
    loan = make_uk_agreement(client_a)
    first = promises.record_promise(
        agreement=loan, instalments=[(date(2024, 3, 1), 5_000)], made_on=date(2024, 2, 20), actor=SETUP
    )
    with pytest.raises(InvalidInput):
        promises.record_promise(
            agreement=loan, instalments=[(date(2024, 2, 1), 5_000)], made_on=date(2024, 2, 21), actor=SETUP
        )
    first.refresh_from_db()
    assert first.status == "open" and Promise.objects.count() == 1
    promises.record_promise(
        agreement=loan, instalments=[(date(2024, 3, 5), 5_000)], made_on=date(2024, 2, 21), actor=SETUP
    )
    first.refresh_from_db()
    assert first.status == "cancelled"


def _arrangement(loan, amount, *, income=200_000, spend=150_000):
    assessment = promises.record_income_expenditure(
        customer=loan.customer, assessed_on=date(2024, 3, 1), currency="GBP", income_minor=income,
        essential_spend_minor=spend, actor=SETUP,
    )  # fmt: skip
    return promises.propose_arrangement(
        agreement=loan, amount_minor=amount, first_due_on=date(2024, 4, 1), instalment_count=3,
        proposed_on=date(2024, 3, 1), assessment=assessment, actor=SETUP,
    )  # fmt: skip


def test_affordability_comes_from_the_income_and_expenditure(client_a):
    """UK-PROPOSAL: disposable £500 a month; £500 is affordable, £500.01 is not, and neither is rejected."""
    loan = make_uk_agreement(client_a)
    assert _arrangement(loan, 50_000).is_affordable
    unaffordable = _arrangement(loan, 50_001)
    assert not unaffordable.is_affordable and unaffordable.status == "proposed"
    assert rules.is_affordable(amount_minor=11_538, frequency="weekly", disposable_minor=50_000)
    assert not rules.is_affordable(amount_minor=11_539, frequency="weekly", disposable_minor=50_000)


def test_declining_needs_a_reason(client_a):
    loan = make_uk_agreement(client_a)
    proposal = _arrangement(loan, 10_000)
    with pytest.raises(InvalidInput):
        promises.decide_arrangement(
            arrangement=proposal, accept=False, reason="", on=date(2024, 3, 2), actor=SETUP
        )
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    promises.decide_arrangement(
        arrangement=proposal, accept=False, reason="Customer withdrew it", on=date(2024, 3, 2), actor=SETUP
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == ("declined", "Customer withdrew it")
    with pytest.raises(Refusal):
        promises.decide_arrangement(
            arrangement=proposal, accept=True, reason="x", on=date(2024, 3, 2), actor=SETUP
        )


def test_an_accepted_arrangement_is_watched_and_a_broken_one_returns_to_arrears(client_a):
    loan = make_uk_agreement(client_a)
    account_actions.recompute_arrears(client_ids=[client_a.pk], as_of=date(2024, 3, 1))
    proposal = _arrangement(loan, 10_000)
    promises.decide_arrangement(
        arrangement=proposal, accept=True, reason="Affordable", on=date(2024, 3, 2), actor=SETUP
    )
    loan.refresh_from_db()
    assert loan.status == "arrangement"
    pay(loan, 10_000, date(2024, 4, 1))
    promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 4, 20))
    proposal.refresh_from_db()
    assert proposal.status == "active"
    promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 5, 6))  # due 1 May + 5 days grace
    assert Arrangement.objects.get(pk=proposal.pk).status == "active"
    summary = promises.detect_outcomes(agreement_ids=[loan.pk], as_of=date(2024, 5, 7))
    assert summary.arrangements_broken == 1
    assert Agreement.objects.get(pk=loan.pk).status == "in_arrears"
    assert StatusHistory.objects.filter(agreement=loan, reason="arrangement broken").count() == 1


def test_an_arrangement_over_the_agents_term_authority_goes_for_approval(client_a, user_factory):
    loan = make_uk_agreement(client_a)
    assessment = promises.record_income_expenditure(
        customer=loan.customer, assessed_on=date(2024, 3, 1), currency="GBP", income_minor=200_000,
        essential_spend_minor=150_000, actor=SETUP,
    )  # fmt: skip
    proposal = promises.propose_arrangement(
        agreement=loan, amount_minor=100, first_due_on=date(2024, 4, 1), instalment_count=24,
        proposed_on=date(2024, 3, 1), assessment=assessment, actor=SETUP,
    )  # fmt: skip
    agent = user_factory("agent", client_a)
    outcome = promises.decide_arrangement(
        arrangement=proposal, accept=True, reason="Affordable", on=date(2024, 3, 2), actor=agent
    )
    assert getattr(outcome, "approval", None) is not None
    assert Arrangement.objects.get(pk=proposal.pk).status == "proposed"


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=4),
    paid=st.lists(st.tuples(st.integers(min_value=0, max_value=120), st.integers(1, 10_000)), max_size=6),
    grace=st.integers(min_value=0, max_value=7),
)
def test_outcome_invariants(amounts, paid, grace):
    start = date(2024, 1, 1)
    lines = [(start + timedelta(days=30 * (n + 1)), amount) for n, amount in enumerate(amounts)]
    payments = [(start + timedelta(days=offset), amount) for offset, amount in paid]
    far = start + timedelta(days=400)
    outcome, decided = rules.payment_outcome(lines, payments, grace_days=grace, as_of=far)
    assert outcome is not rules.Outcome.OPEN  # every deadline has passed by then
    if sum(amount for _, amount in payments) < sum(amounts):
        assert outcome is rules.Outcome.BROKEN
    # deciding is stable: asking later never changes a decision taken earlier
    if decided is not None:
        again, when = rules.payment_outcome(lines, payments, grace_days=grace, as_of=far + timedelta(days=50))
        assert (again, when) == (outcome, decided)
