"""Work items, skills, teams and queues built through the real work actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from fairpath.clients.models import Client
from fairpath.governance.models import User
from fairpath.work import actions
from fairpath.work.models import Queue, Skill, Team, WorkItem
from tests.factories import SETUP


def make_skill(code: str = "collections") -> Skill:
    skill, _ = Skill.objects.get_or_create(code=code, defaults={"name": code.title()})
    return skill


def make_item(client: Client, *, due_in: timedelta = timedelta(hours=8), **overrides: Any) -> WorkItem:
    terms: dict[str, Any] = {
        "kind": "call_due",
        "title": "Call the customer",
        "due_at": timezone.now() + due_in,
        "value_minor": 50_000,
    }
    terms.update(overrides)
    return actions.create_work_item(client=client, actor=SETUP, **terms)


def make_items(
    client: Client, count: int, *, start: datetime | None = None, **overrides: Any
) -> list[WorkItem]:
    start = start or timezone.now()
    specs = [
        actions.WorkItemSpec(
            client_id=client.pk,
            kind=overrides.get("kind", "call_due"),
            title=f"Item {index}",
            due_at=start + timedelta(minutes=index),
            value_minor=overrides.get("value_minor", 10_000),
            skill_id=overrides.get("skill_id"),
        )
        for index in range(count)
    ]
    return actions.create_work_items(specs=specs, actor=SETUP)


def make_team(leader: User, *members: User, name: str | None = None) -> Team:
    team = Team.objects.create(name=name or f"Team of {leader.username}", leader=leader)
    team.members.add(*members)
    return team


def make_queue(name: str = "Calls", **settings: Any) -> Queue:
    return actions.configure_queue(actor=SETUP, name=name, filters=settings.pop("filters", {}), **settings)


def permission_matrix_samples(client: Client) -> dict[str, Any]:
    """Objects of ``client`` for tests/test_permission_matrix.py, one per URL argument of the work pages."""
    item = make_item(client)
    queue = make_queue("Matrix queue", filters={"client_ids": [client.pk]})
    return {"item_id": lambda: item.pk, "queue_id": lambda: queue.pk}
