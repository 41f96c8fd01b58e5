"""The cycle's shards on a real Celery worker (Redis on 127.0.0.1:6379) end as the in-process run does."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from fairpath.accounts.models import Agreement, LedgerEntry
from fairpath.collections import actions, cycle, strategies, tasks
from fairpath.collections.models import NoticeDue, ScheduledAction, ShardRun, TreatmentState
from fairpath.work.models import WorkItem
from tests.collections.test_cycle import DAY, STRATEGY, pay
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement, make_us_agreement

REDIS = "redis://127.0.0.1:6379/15"


def _redis_is_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means no Redis here
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not _redis_is_up(), reason="Redis is not running on 127.0.0.1:6379"),
]


def build_book(client) -> list[int]:
    """The same small book for any client; returns agreement ids in creation order."""
    loans = []
    paid_up = make_uk_agreement(client)
    pay(paid_up, 20_000, date(2024, 1, 30))
    early = make_uk_agreement(client)
    pay(early, 10_000, date(2024, 1, 30))
    mid = make_uk_agreement(client)
    spaced = make_uk_agreement(client)
    actions.start_breathing_space(agreement=spaced, entered_on=date(2024, 3, 1), actor=SETUP)
    us = make_us_agreement(client)
    pay(us, 10_000, date(2024, 1, 30))
    loans = [paid_up, early, mid, spaced, us]
    return [loan.pk for loan in loans]


def end_state(client, ids: list[int]) -> dict[str, object]:
    index = {agreement_id: position for position, agreement_id in enumerate(ids)}
    return {
        "actions": sorted(
            (index[a], action, status, rule, run_date, step)
            for a, action, status, rule, run_date, step in ScheduledAction.objects.filter(
                client=client
            ).values_list("agreement_id", "action", "status", "rule", "run_date", "step_index")
        ),
        "states": sorted(
            (index[a], *rest)
            for a, *rest in TreatmentState.objects.filter(client=client).values_list(
                "agreement_id", "segment", "path", "entered_on", "next_step"
            )
        ),
        "notices": sorted(
            (index[a], *rest)
            for a, *rest in NoticeDue.objects.filter(client=client).values_list(
                "agreement_id", "rule", "trigger_on", "send_by"
            )
        ),
        "agreements": sorted(
            (index[a], *rest)
            for a, *rest in Agreement.objects.filter(client=client).values_list(
                "id", "status", "balance_minor"
            )
        ),
        "ledger": sorted(
            (index[a], *rest)
            for a, *rest in LedgerEntry.objects.filter(client=client).values_list(
                "agreement_id", "kind", "amount_minor"
            )
        ),
        "work": sorted(
            (index[a], kind)
            for a, kind in WorkItem.objects.filter(client=client).values_list("agreement_id", "kind")
        ),
    }


def test_a_celery_worker_ends_in_the_same_state_as_the_in_process_run(client_a, client_b):
    from celery.contrib.testing.worker import start_worker

    strategies.import_strategy(text=STRATEGY, actor=SETUP)
    ids_a = build_book(client_a)
    ids_b = build_book(client_b)
    cycle.run_cycle(run_date=DAY, client=client_a, shard_size=2, use_celery=False)

    app = tasks.configure(REDIS)
    app.conf.task_default_queue = f"fairpath-test-{uuid.uuid4().hex}"
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        summary = cycle.run_cycle(run_date=DAY, client=client_b, shard_size=2, use_celery=True)
    assert summary.shards == 3 and ShardRun.objects.filter(cycle_run__client=client_b).count() == 3
    assert end_state(client_b, ids_b) == end_state(client_a, ids_a)
    assert end_state(client_b, ids_b)["actions"]  # the run did something
