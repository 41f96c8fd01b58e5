"""Get-next and Done are what an agent clicks all day: their SQL statements are pinned, so one cannot creep back.

Counted through the web views, session and permissions included. On PostgreSQL the claim writes its history
row in the same statement and hands back the claimed row (no re-read), a move to done is one conditional
UPDATE that writes its history row, and the audit event is one statement after its chain head is locked.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fairpath.core.errors import NotPermitted
from fairpath.governance.audit import verify_all
from fairpath.governance.models import AuditEvent
from fairpath.work import actions
from fairpath.work.models import WorkItem, WorkItemHistory
from tests.factories import SETUP, make_user
from tests.factories.work import make_item, make_items

pytestmark = pytest.mark.django_db

# Each request reads the session, the user, the role's permissions (2) and the user's clients; the tests'
# transaction adds a SAVEPOINT and its RELEASE around each action. Then, on PostgreSQL:
#   get next: wake ended snoozes (a read), the claim with its history row, the chain head, the audit event;
#   Done: the item (the view's 404 check), the move with its history row, the chain head, the audit event.
# SQLite writes the history row, and the audit event and its chain head, in separate statements, and reads
# the candidate before its conditional claim. Before this was pinned: 15 and 14 on PostgreSQL.
GET_NEXT = {"postgresql": 11, "sqlite": 14}
DONE = {"postgresql": 11, "sqlite": 13}


def _post(http, url: str, data: dict[str, str] | None = None) -> list[str]:  # noqa: ANN001
    """The SQL statements of one POST."""
    with CaptureQueriesContext(connection) as captured:
        http.post(url, data or {})
    return [query["sql"] for query in captured.captured_queries]


def test_get_next_and_done_take_a_fixed_number_of_statements(client_a, web_as):
    agent = make_user("agent", client_a)
    make_items(client_a, 30)
    http = web_as(agent)
    http.get("/work/")  # warm-up: content types and URL map cached
    for _ in range(3):
        claimed = _post(http, "/work/next/")
        item = WorkItem.objects.get(owner=agent, status="in_progress")
        done = _post(http, f"/work/items/{item.pk}/complete/", {"outcome": "called"})
        assert (len(claimed), len(done)) == (GET_NEXT[connection.vendor], DONE[connection.vendor]), (
            claimed,
            done,
        )
    # Every move is still in the history and the audit trail, and the chain still holds.
    assert WorkItemHistory.objects.filter(to_owner=agent, reason="get next").count() == 3
    assert WorkItemHistory.objects.filter(to_status="done", reason="called").count() == 3
    assert AuditEvent.objects.filter(action="work.item_allocated", actor=agent).count() == 3
    assert AuditEvent.objects.filter(action="work.item_completed", actor=agent).count() == 3
    assert verify_all().is_intact


def test_the_claimed_item_is_the_row_as_stored(client_a):
    """The item get-next returns is built from the claim's own result: every field equals a fresh read."""
    agent = make_user("agent", client_a)
    make_item(client_a, title="Call Mr Khan", value_minor=123_456, due_in=timedelta(hours=3))
    item = actions.get_next(agent=agent)
    stored = WorkItem.objects.get(pk=item.pk)
    for model_field in WorkItem._meta.concrete_fields:
        assert getattr(item, model_field.attname) == getattr(stored, model_field.attname), model_field.name
    assert item.owner == agent and item.status == "in_progress"
    event = AuditEvent.objects.get(action="work.item_allocated", object_id=str(item.pk))
    assert event.before == {"status": "open", "owner_id": None}
    assert event.after == {"status": "in_progress", "owner_id": agent.pk}


def test_done_on_a_stale_copy_records_the_move_from_the_current_state(client_a):
    """An agent's copy says in progress; the item was snoozed since. Done goes from snoozed, as stored."""
    agent = make_user("agent", client_a)
    make_item(client_a)
    stale = actions.get_next(agent=agent)
    actions.snooze_item(
        item=WorkItem.objects.get(pk=stale.pk), actor=agent, until=timezone.now() + timedelta(hours=1)
    )
    assert stale.status == "in_progress"
    done = actions.complete_item(item=stale, actor=agent, outcome="paid")
    assert done.status == "done"
    history = WorkItemHistory.objects.filter(item_id=stale.pk).order_by("id").last()
    assert (history.from_status, history.to_status) == ("snoozed", "done")
    event = AuditEvent.objects.get(action="work.item_completed", object_id=str(stale.pk))
    assert event.before["status"] == "snoozed"


def test_done_on_a_stale_copy_is_refused_when_the_item_went_to_someone_else(client_a):
    """The copy says unowned; a team leader gave it to another agent since: refused (WQ-OWNER), unchanged."""
    agent, other = make_user("agent", client_a), make_user("agent", client_a)
    stale = make_item(client_a)
    actions.reassign_item(item=WorkItem.objects.get(pk=stale.pk), owner=other, actor=SETUP)
    events = AuditEvent.objects.count()
    with pytest.raises(NotPermitted) as refused:
        actions.complete_item(item=stale, actor=agent)
    assert refused.value.rule == "WQ-OWNER"
    stored = WorkItem.objects.get(pk=stale.pk)
    assert (stored.status, stored.owner_id) == ("open", other.pk)
    assert AuditEvent.objects.count() == events
