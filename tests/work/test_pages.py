"""My work, the team leader console and queue configuration through the web pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from fairpath.governance.models import AuditEvent
from fairpath.work import actions
from fairpath.work.models import Queue, WorkItem
from tests.factories import SETUP, make_user
from tests.factories.work import make_item, make_items, make_queue

pytestmark = pytest.mark.django_db


def test_get_next_from_my_work_claims_the_item_and_shows_it(client_a, web_as):
    agent = make_user("agent", client_a)
    item = make_item(client_a, title="Call Mrs Jones")
    http = web_as(agent)
    page = http.get("/work/")
    assert page.status_code == 200 and b"Get next" in page.content
    response = http.post("/work/next/")
    assert response.status_code == 302 and response.url.endswith(f"?item={item.pk}")
    item.refresh_from_db()
    assert item.status == "in_progress" and item.owner_id == agent.pk
    page = http.get(response.url)
    assert b"Call Mrs Jones" in page.content and b'aria-current="true"' in page.content


def test_complete_and_snooze_from_my_work(client_a, web_as):
    agent = make_user("agent", client_a)
    first, second = make_item(client_a, title="First"), make_item(client_a, title="Second")
    http = web_as(agent)
    http.post(f"/work/items/{first.pk}/complete/", {"outcome": "Promise taken"})
    http.post(f"/work/items/{second.pk}/snooze/", {"hours": "4"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "done" and first.outcome == "Promise taken"
    assert second.status == "snoozed" and second.snoozed_until > timezone.now() + timedelta(hours=3)
    page = http.get("/work/")
    assert b"Second" in page.content  # in the snoozed list


def test_an_agent_cannot_reassign_and_nothing_changes(client_a, web_as):
    agent = make_user("agent", client_a)
    other = make_user("agent", client_a)
    item = make_item(client_a)
    events = AuditEvent.objects.count()
    response = web_as(agent).post(f"/work/items/{item.pk}/reassign/", {"owner": other.pk})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.owner_id is None and AuditEvent.objects.count() == events


def test_a_team_leader_of_client_a_cannot_touch_client_b_items(client_a, client_b, web_as):
    leader = make_user("team_leader", client_a)
    agent_b = make_user("agent", client_b)
    foreign = make_item(client_b)
    http = web_as(leader)
    assert http.post(f"/work/items/{foreign.pk}/reassign/", {"owner": ""}).status_code == 404
    response = http.post("/work/console/reassign/", {"items": [foreign.pk], "owner": agent_b.pk}, follow=True)
    assert b"client you are not granted" in response.content
    foreign.refresh_from_db()
    assert foreign.owner_id is None


def test_console_reassign_with_htmx_returns_the_row(client_a, web_as):
    leader = make_user("team_leader", client_a)
    agent = make_user("agent", client_a, username="ann")
    item = make_item(client_a, due_in=timedelta(minutes=30), title="Urgent call")
    response = web_as(leader).post(
        f"/work/items/{item.pk}/reassign/", {"owner": agent.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and f'id="risk-{item.pk}"'.encode() in response.content
    item.refresh_from_db()
    assert item.owner_id == agent.pk
    assert AuditEvent.objects.filter(action="work.item_reassigned", object_id=str(item.pk)).exists()


def test_console_shows_each_panel(client_a, web_as):
    leader = make_user("team_leader", client_a)
    agent = make_user("agent", client_a, username="bea")
    make_item(client_a, due_in=timedelta(minutes=30), title="Nearly late")
    make_items(client_a, 3)
    taken = actions.get_next(agent=agent)
    actions.complete_item(item=taken, actor=agent)
    actions.get_next(agent=agent)
    page = web_as(leader).get("/work/console/")
    assert page.status_code == 200
    board = page.context["board"]
    assert [row.username for row in board.done_per_hour] == ["bea"] and board.done_per_hour[0].total == 1
    assert board.backlog[0].name == "All work" and board.backlog[0].total == 3
    assert len(board.working_now) == 1 and board.working_now[0].owner_id == agent.pk
    assert board.trend[-1].backlog == 3 and board.trend[-1].created == 4 and board.trend[-1].finished == 1


def _fill(client, count: int, agent) -> None:
    make_items(client, count)
    for _ in range(max(count // 4, 1)):
        item = actions.get_next(agent=agent)
        actions.complete_item(item=item, actor=agent)
    actions.get_next(agent=agent)


def test_console_query_count_does_not_grow_with_items(client_a, web_as, django_assert_max_num_queries):
    leader = make_user("team_leader", client_a)
    agents = [make_user("agent", client_a) for _ in range(3)]
    make_queue("Reviews", filters={"kinds": ["review"]})
    make_queue("Calls", filters={"kinds": ["call_due"], "min_band": "soon"})
    http = web_as(leader)
    _fill(client_a, 5, agents[0])
    http.get("/work/console/")
    cache.clear()  # the backlog figures and the trend's earlier days are counted again: the most it reads
    with django_assert_max_num_queries(16):
        http.get("/work/console/")
    for agent in agents[1:]:
        _fill(client_a, 40, agent)
    cache.clear()
    with django_assert_max_num_queries(16):
        response = http.get("/work/console/")
    assert response.status_code == 200
    with django_assert_max_num_queries(12):  # within the minute: only what is read live
        http.get("/work/console/")


def test_my_work_query_count_does_not_grow(client_a, web_as, django_assert_max_num_queries):
    agent = make_user("agent", client_a)
    for _ in range(3):
        make_item(client_a, owner=agent)
    http = web_as(agent)
    http.get("/work/")
    with django_assert_max_num_queries(9):
        http.get("/work/")
    make_items(client_a, 30)
    actions.reassign_items(
        item_ids=list(WorkItem.objects.values_list("id", flat=True)), owner=agent, actor=SETUP
    )
    with django_assert_max_num_queries(9):
        assert http.get("/work/").status_code == 200


def test_a_team_leader_configures_a_queue(client_a, client_b, web_as):
    leader = make_user("team_leader", client_a)
    http = web_as(leader)
    response = http.post(
        "/work/queues/",
        {"name": "Promises", "kinds": ["promise_check"], "client_ids": [client_a.pk], "min_band": "urgent",
         "ordering": "due"},
    )  # fmt: skip
    assert response.status_code == 302
    queue = Queue.objects.get(name="Promises")
    assert queue.filters == {"kinds": ["promise_check"], "client_ids": [client_a.pk], "min_band": "urgent"}
    refused = http.post("/work/queues/", {"name": "Theirs", "client_ids": [client_b.pk]})
    assert refused.status_code == 403 and not Queue.objects.filter(name="Theirs").exists()
    bad = http.post(f"/work/queues/{queue.pk}/", {"name": "Promises", "kinds": ["nonsense"]})
    assert bad.status_code == 422
    queue.refresh_from_db()
    assert queue.filters["kinds"] == ["promise_check"]


def test_an_agent_may_read_but_not_configure_queues(client_a, web_as):
    agent = make_user("agent", client_a)
    assert web_as(agent).get("/work/queues/").status_code == 403
    assert web_as(agent).get("/work/console/").status_code == 403


def test_a_team_leader_balances_a_client_s_portfolios_from_the_page(client_a, client_b, web_as):
    from fairpath.work.models import PortfolioAssignment
    from tests.factories.accounts import make_agreement, make_customer

    leader = make_user("team_leader", client_a)
    ann, bob = make_user("agent", client_a), make_user("agent", client_a)
    customer = make_customer(client_a)
    for _ in range(4):
        make_agreement(customer)
    http = web_as(leader)
    response = http.post(
        "/work/portfolios/", {"client": client_a.pk, "agents": [ann.pk, bob.pk]}, follow=True
    )
    assert b"4 newly assigned" in response.content
    assert PortfolioAssignment.objects.filter(agent=ann).count() == 2
    page = http.get("/work/portfolios/")
    assert page.status_code == 200 and [load.accounts for load in page.context["loads"]] == [2, 2]
    foreign = http.post("/work/portfolios/", {"client": client_b.pk, "agents": [ann.pk]}, follow=True)
    assert b"Choose one of your clients" in foreign.content
    assert web_as(ann).get("/work/portfolios/").status_code == 403
