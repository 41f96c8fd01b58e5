"""No double allocation: many agents on their own connections call get-next at once; every item goes out once.

PostgreSQL: 50 agents, 300 items, real row locks. SQLite: the test database is an in-memory shared cache
(where waiting writers fail instead of waiting), so the race runs on a file copy of it — the way the
embedded default runs (WAL, BEGIN IMMEDIATE, a busy timeout).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, connections

from fairpath.work import actions
from fairpath.work.models import WorkItem, WorkItemHistory
from tests.factories import make_user
from tests.factories.work import make_items

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def race_database(tmp_path: Path) -> Iterator[None]:
    """On SQLite, point new connections at a file copy of the test database for the duration of the race."""
    if connection.vendor != "sqlite":
        yield
        return
    copy = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    settings = connections.settings["default"]
    original = settings["NAME"]
    settings["NAME"] = str(copy)
    try:
        yield
    finally:
        settings["NAME"] = original


def _race(people, rounds: int) -> list[int]:
    """Each agent, on its own thread and connection, calls get-next until nothing is left."""
    handed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(people))

    def work(agent) -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                item = actions.get_next(agent=agent)
                if item is None:
                    break
                with lock:
                    handed.append(item.pk)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(agent,)) for agent in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return handed


def _read_back(tmp_path: Path) -> tuple[dict[int, tuple[str, int | None]], Counter]:
    """Item states and allocation counts as the race left them (from the file copy on SQLite)."""
    if connection.vendor != "sqlite":
        states = {
            pk: (status, owner)
            for pk, status, owner in WorkItem.objects.values_list("id", "status", "owner_id")
        }
        return states, Counter(
            WorkItemHistory.objects.filter(reason="get next").values_list("item_id", flat=True)
        )
    with sqlite3.connect(tmp_path / "race.sqlite3") as raw:
        states = {
            pk: (status, owner)
            for pk, status, owner in raw.execute("SELECT id, status, owner_id FROM work_workitem")
        }
        allocations = Counter(
            row[0]
            for row in raw.execute("SELECT item_id FROM work_workitemhistory WHERE reason = 'get next'")
        )
    return states, allocations


def test_concurrent_get_next_never_hands_an_item_twice(client_a, tmp_path):
    agents, items = (50, 300) if connection.vendor == "postgresql" else (6, 60)
    people = [make_user("agent", client_a) for _ in range(agents)]
    make_items(client_a, items)
    with race_database(tmp_path):
        handed = _race(people, rounds=items)
    duplicates = [item for item, count in Counter(handed).items() if count > 1]
    assert duplicates == []
    assert len(handed) == items
    states, allocations = _read_back(tmp_path)
    assert all(status == "in_progress" and owner is not None for status, owner in states.values())
    assert set(allocations.values()) == {1} and len(allocations) == items
