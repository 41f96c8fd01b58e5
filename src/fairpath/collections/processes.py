"""The daily cycle's shards in several processes of this machine (``fairpath cycle --workers N``).

Kept apart from ``cycle`` on purpose: a spawned child unpickles the functions it runs by importing their
module, and this module imports nothing of Django's models until Django is set up in the child.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from typing import Any


def run_shards_in_processes(run_id: int, shards: Sequence[Any], actor: Any, workers: int) -> None:
    """Run shards in ``workers`` fresh processes, each taking the next shard when it finishes one.

    Every shard is its own transaction with its completion row, exactly as in-process, so a failure in any
    process fails the run and running the date again resumes it. The processes are spawned, not forked: a
    forked child hung on a lock it inherited from the parent's threads (Polars keeps a thread pool). Each child
    starts Django itself and connects to the same database as this process (its settings are handed over,
    so a test database stays the test database).
    """
    from django.db import connection

    context = multiprocessing.get_context("spawn")
    database = dict(connection.settings_dict)
    jobs = [(run_id, shard, actor) for shard in shards]
    with context.Pool(processes=min(workers, len(shards)), initializer=_start, initargs=(database,)) as pool:
        for _ in pool.imap_unordered(_run_one, jobs):
            pass


def _start(database: dict[str, Any]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairpath.settings")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.update(database)


def _run_one(job: tuple[int, Any, Any]) -> None:
    from django.db import connections

    from fairpath.collections.cycle import run_shard

    run_id, shard, actor = job
    try:
        run_shard(run_id=run_id, shard=shard, actor=actor)
    finally:
        connections.close_all()
