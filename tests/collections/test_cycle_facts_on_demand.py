"""The guard's facts are gathered for the agreements the night asks about, not the whole shard.

On most nights a few thousand of a million accounts have a step or a notice to decide; gathering the
contact facts of every account was a third of the cycle's CPU on the 1M book."""

from __future__ import annotations

from datetime import date

import pytest

from fairpath.collections import policy
from fairpath.collections import rules as collection_rules
from fairpath.collections.cycle import run_cycle
from fairpath.collections.models import ScheduledAction
from fairpath.collections.policy import FactsOnDemand
from tests.factories.collections import make_strategy, make_uk_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def gathered(monkeypatch):
    """The agreements whose contact facts were built, call by call, whichever way they were asked for."""
    calls: list[list[int]] = []
    gather = policy._gather

    def counting(scope, at, party, facts):
        before = set(facts)
        gather(scope, at, party, facts)
        calls.append(sorted(set(facts) - before))

    monkeypatch.setattr(policy, "_gather", counting)
    return calls


def test_only_the_account_with_a_step_has_its_facts_gathered(client_a, gathered):
    make_strategy(client_a)
    behind = make_uk_agreement(client_a)  # £100 a month from 31 January, nothing paid
    current = [
        make_uk_agreement(
            client_a, opened_on=date(2024, 3, 1), first_due_on=date(2024, 3, 31), end_on=date(2025, 2, 28)
        )
        for _ in range(3)
    ]
    summary = run_cycle(run_date=date(2024, 3, 10), client=client_a)
    assert summary.accounts == 4
    assert set(ScheduledAction.objects.values_list("agreement_id", flat=True)) == {behind.pk}
    asked = {agreement_id for call in gathered for agreement_id in call}
    assert asked == {behind.pk}
    assert not asked & {agreement.pk for agreement in current}


def test_a_hold_started_before_the_facts_are_read_is_in_them_once(client_a):
    agreement = make_uk_agreement(client_a)
    facts = FactsOnDemand(at=policy.datetime(2024, 3, 10, 12, tzinfo=policy.UTC))
    hold = collection_rules.HoldPeriod(collection_rules.HoldKind.DISPUTE, date(2024, 3, 9), None)
    facts.add_hold(agreement.pk, hold)
    assert facts[agreement.pk].holds == [hold]
    advice = collection_rules.HoldPeriod(collection_rules.HoldKind.DEBT_ADVICE, date(2024, 3, 10), None)
    facts.add_hold(agreement.pk, advice)  # after gathering: added to the facts held
    assert facts[agreement.pk].holds == [hold, advice]
    assert facts.get(agreement.pk + 1000) is None
    with pytest.raises(KeyError):
        facts[agreement.pk + 1000]


def test_a_shard_runs_without_the_cycle_collector_and_gives_it_back(client_a, monkeypatch):
    """A shard makes millions of short-lived objects; the collector's passes over them cost a tenth of it."""
    import gc

    from fairpath.collections import cycle

    seen: list[bool] = []
    monkeypatch.setattr(cycle, "shard_hook", lambda number: seen.append(gc.isenabled()))
    make_uk_agreement(client_a)
    assert gc.isenabled()
    run_cycle(run_date=date(2024, 3, 10), client=client_a)
    assert seen == [False] and gc.isenabled()
