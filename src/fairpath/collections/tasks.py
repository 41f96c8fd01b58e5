"""The daily cycle's shards as Celery tasks (used when FAIRPATH_CELERY_BROKER_URL is set).

Each shard is one task; a shard is idempotent and records its completion in its own transaction, so a
retried or duplicated task changes nothing. Start workers with:
``celery -A fairpath.collections.tasks worker`` (with DJANGO_SETTINGS_MODULE=fairpath.settings).

The app also carries the beat schedule of ``settings.CELERY_BEAT_SCHEDULE`` (the release of messages held for
the customer's permitted local time, US-HOURS / UK-CONTACT, every ``FAIRPATH_MESSAGE_RELEASE_MINUTES``) and
includes the communications tasks it names: run ``celery -A fairpath.collections.tasks beat`` beside the
workers. With ``FAIRPATH_CELERY_BROKER_URL`` set the app points at that broker as soon as it is imported.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from celery import Celery, group
from django.db import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairpath.settings")

# the modules of the tasks the beat schedule names, so a worker started on this app knows them
app = Celery("fairpath", include=["fairpath.communications.tasks"])
SHARD_TIMEOUT_SECONDS = 3600


def configure(broker_url: str | None = None) -> Celery:
    """Point the app at the broker from settings (Redis also keeps the shard results)."""
    from django.conf import settings

    url = broker_url or settings.CELERY_BROKER_URL
    app.conf.update(
        broker_url=url,
        result_backend=url,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule=settings.CELERY_BEAT_SCHEDULE,
    )
    return app


def _configure_from_settings() -> None:
    """The beat schedule always; the broker when settings name one (``celery -A ... worker`` / ``beat``)."""
    from django.conf import settings

    app.conf.beat_schedule = settings.CELERY_BEAT_SCHEDULE
    if settings.CELERY_BROKER_URL:
        configure()


_configure_from_settings()


@app.task(
    name="fairpath.collections.run_shard",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_shard_task(run_id: int, shard: dict[str, Any], actor: str) -> dict[str, Any]:
    import django

    django.setup()
    from fairpath.collections.cycle import Shard, run_shard
    from fairpath.governance.audit import SystemActor

    return run_shard(
        run_id=run_id,
        shard=Shard(shard["number"], shard["first_id"], shard["last_id"], tuple(shard["client_ids"])),
        actor=SystemActor(actor),
    )


def run_shards_on_celery(run_id: int, shards: list[Any], actor: str) -> list[dict[str, Any]]:
    """Send every shard as a task and wait for all of them (a failed shard fails the run; re-run resumes)."""
    if not app.conf.broker_url:
        configure()
    if not shards:
        return []
    job = group(run_shard_task.s(run_id, asdict(shard), actor) for shard in shards).apply_async()
    return list(job.get(timeout=SHARD_TIMEOUT_SECONDS, disable_sync_subtasks=False))
