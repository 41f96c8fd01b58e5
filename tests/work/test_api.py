"""Work items over the API: list, get next, complete, snooze, reassign; scope and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fairpath.governance.models import AuditEvent
from fairpath.work.models import WorkItem
from tests.factories import make_user
from tests.factories.work import make_item, make_queue

pytestmark = pytest.mark.django_db


def test_a_dialer_drives_an_agent_s_day(client_a, api_as):
    agent = make_user("agent", client_a)
    api = api_as(agent)
    first = make_item(client_a, due_in=timedelta(hours=1), title="Call A")
    second = make_item(client_a, due_in=timedelta(hours=2), title="Call B")
    status, body = api.post("/work/next", {})
    assert status == 200 and body["item"]["id"] == first.pk and body["item"]["status"] == "in_progress"
    status, body = api.post(f"/work/items/{first.pk}/complete", {"outcome": "Paid in full"})
    assert status == 200 and body["status"] == "done"
    until = (timezone.now() + timedelta(hours=3)).isoformat()
    status, body = api.post(f"/work/items/{second.pk}/snooze", {"until": until, "reason": "Call back"})
    assert status == 200 and body["status"] == "snoozed" and body["owner"] == agent.username
    status, body = api.get("/work/items?mine=true")
    assert status == 200 and {item["id"] for item in body["items"]} == {first.pk, second.pk}
    status, body = api.post("/work/next", {})
    assert status == 200 and body["item"] is None, body


def test_get_next_through_a_queue(client_a, api_as):
    agent = make_user("agent", client_a)
    make_item(client_a, kind="call_due", due_in=timedelta(hours=1))
    review = make_item(client_a, kind="review", due_in=timedelta(hours=9))
    queue = make_queue("Reviews", filters={"kinds": ["review"]})
    status, body = api_as(agent).post("/work/next", {"queue_id": queue.pk})
    assert status == 200 and body["item"]["id"] == review.pk


def test_foreign_items_are_not_found_and_unchanged(client_a, client_b, api_as):
    leader = make_user("team_leader", client_a)
    foreign = make_item(client_b)
    api = api_as(leader)
    for path, body in [
        (f"/work/items/{foreign.pk}/complete", {}),
        (f"/work/items/{foreign.pk}/reassign", {"owner_id": leader.pk}),
    ]:
        status, _ = api.post(path, body)
        assert status == 404
    status, body = api.get("/work/items")
    assert status == 200 and body["items"] == []
    foreign.refresh_from_db()
    assert foreign.status == "open" and foreign.owner_id is None


def test_an_agent_cannot_reassign_over_the_api(client_a, api_as):
    agent = make_user("agent", client_a)
    item = make_item(client_a)
    api = api_as(agent)
    events = AuditEvent.objects.count()
    status, body = api.post(f"/work/items/{item.pk}/reassign", {"owner_id": agent.pk})
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert WorkItem.objects.get(pk=item.pk).owner_id is None and AuditEvent.objects.count() == events


def test_team_leader_reassigns_and_refusals_name_the_rule(client_a, client_b, api_as):
    leader = make_user("team_leader", client_a)
    agent = make_user("agent", client_a)
    outsider = make_user("agent", client_b)
    item = make_item(client_a)
    api = api_as(leader)
    status, body = api.post(f"/work/items/{item.pk}/reassign", {"owner_id": agent.pk, "reason": "cover"})
    assert status == 200 and body["owner"] == agent.username
    status, body = api.post(f"/work/items/{item.pk}/reassign", {"owner_id": outsider.pk})
    assert status == 422 and body["error"]["rule"] == "WQ-OWNER"
    assert WorkItem.objects.get(pk=item.pk).owner_id == agent.pk


def test_a_snooze_in_the_past_is_refused(client_a, api_as):
    agent = make_user("agent", client_a)
    item = make_item(client_a)
    status, body = api_as(agent).post(f"/work/items/{item.pk}/snooze", {"until": "2020-01-01T00:00:00Z"})
    assert status == 422 and body["error"]["field"] == "until"
    assert WorkItem.objects.get(pk=item.pk).status == "open"
