"""The cycle's shards in other processes (``workers``) end exactly as the in-process run does."""

from __future__ import annotations

import pytest
from django.db import connection

from fairpath.collections import cycle, strategies
from fairpath.collections.models import ShardRun
from tests.collections.test_celery import build_book, end_state
from tests.collections.test_cycle import DAY, STRATEGY
from tests.factories import SETUP

pytestmark = pytest.mark.django_db(transaction=True)


def test_shards_in_two_processes_end_as_one_process_does(client_a, client_b):
    strategies.import_strategy(text=STRATEGY, actor=SETUP)
    ids_a = build_book(client_a)
    ids_b = build_book(client_b)
    cycle.run_cycle(run_date=DAY, client=client_a, shard_size=2, use_celery=False)

    summary = cycle.run_cycle(run_date=DAY, client=client_b, shard_size=2, use_celery=False, workers=2)

    assert summary.shards == 3 and ShardRun.objects.filter(cycle_run__client=client_b).count() == 3
    assert end_state(client_b, ids_b) == end_state(client_a, ids_a)
    assert end_state(client_b, ids_b)["actions"]  # the run did something
    again = cycle.run_cycle(run_date=DAY, client=client_b, shard_size=2, use_celery=False, workers=2)
    assert again.actions_scheduled == 0 and end_state(client_b, ids_b) == end_state(client_a, ids_a)


def test_processes_are_used_only_where_they_can_see_committed_work():
    assert cycle._may_fork() is (connection.vendor == "postgresql")
    from django.db import transaction

    with transaction.atomic():
        assert cycle._may_fork() is False  # a caller's open transaction: its rows are not visible elsewhere


def test_default_workers_follow_the_setting_and_the_database(monkeypatch):
    monkeypatch.setenv("FAIRPATH_CYCLE_WORKERS", "3")
    assert cycle.default_workers() == 3
    monkeypatch.delenv("FAIRPATH_CYCLE_WORKERS")
    expected = 1 if connection.vendor == "sqlite" else max(1, __import__("os").cpu_count() or 1)
    assert cycle.default_workers() == expected
