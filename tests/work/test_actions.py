"""Allocation, the life cycle, reassignment, round robin and portfolios through the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.models import AuditEvent
from fairpath.work import actions
from fairpath.work.models import PortfolioAssignment, WorkItem, WorkItemHistory
from tests.factories import SETUP, make_user
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.work import make_item, make_items, make_queue, make_skill, make_team

pytestmark = pytest.mark.django_db


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_get_next_hands_the_most_urgent_item_and_claims_it(client_a):
    agent = make_user("agent", client_a)
    later = make_item(client_a, due_in=timedelta(hours=10), value_minor=0)
    sooner = make_item(client_a, due_in=timedelta(hours=5), value_minor=0)
    valuable = make_item(client_a, due_in=timedelta(hours=9), value_minor=10_000_000)  # 48h credit
    assert actions.get_next(agent=agent).pk == valuable.pk
    assert actions.get_next(agent=agent).pk == sooner.pk
    got = actions.get_next(agent=agent)
    assert got.pk == later.pk and got.status == "in_progress" and got.owner_id == agent.pk
    assert actions.get_next(agent=agent) is None
    assert _events("work.item_allocated") == 3
    assert WorkItemHistory.objects.filter(item=got, to_status="in_progress", to_owner=agent).exists()


def test_get_next_respects_clients_skills_and_other_owners(client_a, client_b):
    agent = make_user("agent", client_a)
    other = make_user("agent", client_a)
    welsh = make_skill("welsh")
    make_item(client_b, due_in=timedelta(hours=1))
    make_item(client_a, due_in=timedelta(hours=1), skill=welsh)
    make_item(client_a, due_in=timedelta(hours=1), owner=other)
    mine = make_item(client_a, due_in=timedelta(hours=20))
    assert actions.get_next(agent=agent).pk == mine.pk
    assert actions.get_next(agent=agent) is None
    actions.set_agent_skills(agent=agent, skills=[welsh], actor=SETUP)
    assert actions.get_next(agent=agent).skill_id == welsh.pk


def test_get_next_through_a_queue_uses_its_filters(client_a):
    agent = make_user("agent", client_a)
    make_item(client_a, kind="call_due", due_in=timedelta(hours=1))
    review = make_item(client_a, kind="review", due_in=timedelta(hours=30))
    queue = make_queue("Reviews", filters={"kinds": ["review"]})
    assert actions.get_next(agent=agent, queue=queue).pk == review.pk
    assert actions.get_next(agent=agent, queue=queue) is None


def test_snoozed_item_returns_to_its_owner_when_the_snooze_ends(client_a):
    agent = make_user("agent", client_a)
    other = make_user("agent", client_a)
    item = make_item(client_a)
    actions.get_next(agent=agent)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        actions.snooze_item(
            item=item, actor=agent, until=timezone.now() + timedelta(hours=2), reason="call back"
        )
        assert actions.get_next(agent=agent) is None
        traveller.shift(timedelta(hours=3))
        assert actions.get_next(agent=other) is None
        assert actions.get_next(agent=agent).pk == item.pk


def test_wake_reopens_ended_snoozes(client_a):
    agent = make_user("agent", client_a)
    item = make_item(client_a)
    actions.snooze_item(item=item, actor=agent, until=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert actions.wake_snoozed_items() == 1
    item.refresh_from_db()
    assert item.status == "open" and item.owner_id == agent.pk


def test_complete_and_refused_moves_change_nothing(client_a):
    agent = make_user("agent", client_a)
    item = make_item(client_a)
    actions.get_next(agent=agent)
    done = actions.complete_item(item=item, actor=agent, outcome="Promise taken")
    assert done.status == "done" and done.completed_at is not None
    events = AuditEvent.objects.count()
    with pytest.raises(Refusal) as refused:
        actions.snooze_item(item=item, actor=agent, until=timezone.now() + timedelta(hours=1))
    assert refused.value.rule == "WQ-STATUS"
    item.refresh_from_db()
    assert item.status == "done" and AuditEvent.objects.count() == events


def test_an_agent_cannot_work_someone_else_s_item_or_reassign(client_a):
    agent = make_user("agent", client_a)
    owner = make_user("agent", client_a)
    item = make_item(client_a, owner=owner)
    with pytest.raises(NotPermitted):
        actions.complete_item(item=item, actor=agent)
    with pytest.raises(NotPermitted):
        actions.reassign_items(item_ids=[item.pk], owner=agent, actor=agent)
    item.refresh_from_db()
    assert item.status == "open" and item.owner_id == owner.pk


def test_bulk_reassign_is_all_or_nothing_across_clients(client_a, client_b):
    leader = make_user("team_leader", client_a)
    target = make_user("agent", client_a)
    mine = make_items(client_a, 5)
    foreign = make_item(client_b)
    events = AuditEvent.objects.count()
    with pytest.raises(NotPermitted):
        actions.reassign_items(item_ids=[*(i.pk for i in mine), foreign.pk], owner=target, actor=leader)
    assert not WorkItem.objects.filter(owner=target).exists() and AuditEvent.objects.count() == events
    moved = actions.reassign_items(
        item_ids=[i.pk for i in mine], owner=target, actor=leader, reason="holiday cover"
    )
    assert moved.count == 5
    assert WorkItem.objects.filter(owner=target, status="open").count() == 5
    assert _events("work.item_reassigned") == 5


def test_reassign_refuses_an_owner_without_the_client(client_a, client_b):
    leader = make_user("team_leader", client_a, client_b)
    outsider = make_user("agent", client_b)
    item = make_item(client_a)
    with pytest.raises(InvalidInput) as refused:
        actions.reassign_items(item_ids=[item.pk], owner=outsider, actor=leader)
    assert refused.value.rule == "WQ-OWNER"


def test_round_robin_deals_in_turn_and_remembers_whose_turn(client_a):
    leader = make_user("team_leader", client_a)
    ann, bob, cat = (make_user("agent", client_a) for _ in range(3))
    team = make_team(leader, ann, bob, cat)
    items = make_items(client_a, 4)
    actions.assign_round_robin(team=team, item_ids=[i.pk for i in items], actor=leader)
    owners = list(WorkItem.objects.order_by("effective_due_at", "id").values_list("owner_id", flat=True))
    assert owners == [ann.pk, bob.pk, cat.pk, ann.pk]
    more = make_items(client_a, 2)
    actions.assign_round_robin(team=team, item_ids=[i.pk for i in more], actor=leader)
    assert [WorkItem.objects.get(pk=i.pk).owner_id for i in more] == [bob.pk, cat.pk]


def test_portfolio_owner_receives_new_work_and_balancing_keeps_continuity(client_a):
    leader = make_user("team_leader", client_a)
    ann, bob = make_user("agent", client_a), make_user("agent", client_a)
    customer = make_customer(client_a)
    for _ in range(6):
        make_agreement(customer)
    first = actions.balance_portfolios(client=client_a, agents=[ann, bob], actor=leader)
    assert first.added == 6 and first.loads == {ann.pk: 3, bob.pk: 3}
    bob_agreement = PortfolioAssignment.objects.filter(agent=bob).first().agreement
    item = make_item(client_a, agreement=bob_agreement)
    assert item.owner_id == bob.pk and item.customer_id == customer.pk
    before_ann = set(PortfolioAssignment.objects.filter(agent=ann).values_list("agreement_id", flat=True))
    cat = make_user("agent", client_a)
    second = actions.balance_portfolios(client=client_a, agents=[ann, bob, cat], actor=leader)
    assert second.moved == 2 and second.loads == {ann.pk: 2, bob.pk: 2, cat.pk: 2}
    after_ann = set(PortfolioAssignment.objects.filter(agent=ann).values_list("agreement_id", flat=True))
    assert after_ann <= before_ann
    third = actions.balance_portfolios(client=client_a, agents=[ann, cat], actor=leader)  # bob leaves
    assert third.loads == {ann.pk: 3, cat.pk: 3}
    item.refresh_from_db()
    assert item.owner_id in (ann.pk, cat.pk)
    assert _events("work.portfolio_assigned") == 6 + 2 + third.moved


def test_an_agent_cannot_balance_portfolios(client_a):
    agent = make_user("agent", client_a)
    with pytest.raises(NotPermitted):
        actions.balance_portfolios(client=client_a, agents=[agent], actor=agent)


def test_capacity_outside_bounds_is_refused(client_a):
    agent = make_user("agent", client_a)
    with pytest.raises(InvalidInput) as refused:
        actions.set_portfolio_capacity(agent=agent, capacity=150, actor=SETUP)
    assert refused.value.rule == "WQ-PORTFOLIO"
