"""Pure rules: priority ordering, the status table, portfolio balance and round robin."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpath.work import rules

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))
values = st.integers(min_value=0, max_value=10**11)


@given(moments, moments, values)
def test_an_earlier_deadline_never_ranks_lower(first, second, value):
    early, late = sorted([first, second])
    assert rules.effective_due(early, value) <= rules.effective_due(late, value)


@given(moments, values, values)
def test_a_higher_value_never_ranks_lower(due_at, first, second):
    low, high = sorted([first, second])
    assert rules.effective_due(due_at, high) <= rules.effective_due(due_at, low)


@given(moments, values, moments)
def test_the_band_is_monotone_in_the_key(due_at, value, now):
    key = rules.effective_due(due_at, value)
    earlier = rules.effective_due(due_at - timedelta(hours=1), value)
    assert rules.BAND_ORDER.index(rules.priority_band(earlier, now)) <= rules.BAND_ORDER.index(
        rules.priority_band(key, now)
    )


def test_value_credit_brings_large_debts_forward():
    due = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert rules.effective_due(due, 0) == due
    assert rules.effective_due(due, 10_000_000) == due - timedelta(hours=48)


def test_finished_items_cannot_move():
    assert not rules.can_move("done", "open")
    assert not rules.can_move("cancelled", "in_progress")
    assert rules.can_move("open", "in_progress")
    assert rules.can_move("snoozed", "open")


capacities_st = st.dictionaries(
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=rules.MIN_CAPACITY, max_value=rules.MAX_CAPACITY),
    min_size=1,
    max_size=8,
)


@st.composite
def portfolios(draw):
    """Old and new agents with capacities, up to 6,000 accounts, each held by an old agent or nobody."""
    old_agents = draw(capacities_st)
    new_agents = draw(capacities_st)
    accounts = list(range(draw(st.integers(min_value=0, max_value=6000))))
    holders = [None, *sorted(old_agents)]
    chooser = random.Random(draw(st.integers(min_value=0, max_value=2**32)))
    unassigned_share = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    current = {}
    for account in accounts:
        if chooser.random() >= unassigned_share:
            current[account] = chooser.choice(holders[1:])
    return accounts, current, new_agents


@settings(max_examples=80, deadline=None)
@given(portfolios())
def test_balanced_portfolios_keep_capacity_balance_and_continuity(case):
    accounts, current, capacities = case
    plan = rules.balance_portfolios(accounts, current, capacities)
    targets = rules.portfolio_targets(len(accounts), capacities)
    loads = {agent: 0 for agent in capacities}
    for agent in plan.assignment.values():
        assert agent in capacities
        loads[agent] += 1
    # every agent within capacity and exactly at target; targets differ by at most one unless capped
    for agent, load in loads.items():
        assert load <= capacities[agent]
        assert load == targets[agent]
    uncapped = [targets[a] for a in capacities if targets[a] < capacities[a]]
    if uncapped:
        assert max(uncapped) - min(uncapped) <= 1
        # water-filling: an agent filled to capacity holds at most one more than any agent with room
        # (it may be the one that took the last odd account and so reached its capacity exactly)
        assert all(targets[a] <= max(uncapped) + 1 for a in capacities)
    # nobody is left unassigned while someone has room
    assert len(plan.assignment) == min(len(accounts), sum(capacities.values()))
    # continuity: each staying agent keeps min(held, target) of their own accounts
    for agent in capacities:
        held = [account for account, owner in current.items() if owner == agent]
        kept = [account for account in held if plan.assignment.get(account) == agent]
        assert len(kept) == min(len(held), targets[agent])
    # the report is exactly the difference
    for account in accounts:
        before, after = current.get(account), plan.assignment.get(account)
        changed = account in plan.moved or account in plan.added or account in plan.released
        assert changed == (before != after)


def test_a_leaver_s_accounts_go_to_the_others_and_nobody_else_moves():
    current = {
        account: ("ann" if account < 300 else "bob" if account < 600 else "cat") for account in range(900)
    }
    plan = rules.balance_portfolios(list(range(900)), current, {"ann": 500, "bob": 500})
    assert not [a for a, (old, _) in plan.moved.items() if old != "cat"]
    assert len(plan.moved) == 300


def test_a_joiner_takes_only_the_excess():
    current = {account: ("ann" if account < 400 else "bob") for account in range(800)}
    plan = rules.balance_portfolios(list(range(800)), current, {"ann": 1000, "bob": 1000, "new": 1000})
    assert len(plan.moved) == 266
    assert {new for _, new in plan.moved.values()} == {"new"}


@pytest.mark.parametrize("capacity,problem", [(199, True), (200, False), (1000, False), (1001, True)])
def test_capacity_bounds(capacity, problem):
    assert (rules.capacity_problem(capacity) is not None) == problem


def test_round_robin_continues_from_the_cursor():
    assert rules.round_robin([1, 2, 3], ["a", "b"], start=1) == {1: "b", 2: "a", 3: "b"}
