"""Get-next: p50/p95 latency of claiming the most urgent item among N open items: one agent, then 20 agents at
once on PostgreSQL (4 on SQLite), each in its own process with its own connection, as 20 people at their desks
are (threads of one Python process would share one interpreter lock and measure the client, not the server).
Each agent calls get-next back to back, so this is the saturated case: on a 2-core machine 20 busy callers
queue for the two cores."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time

from harness import emit, start, timed

CALLS = 500


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=100_000)
    from datetime import timedelta

    from django.db import connection, connections
    from django.utils import timezone

    from fairpath.clients.actions import create_client
    from fairpath.governance.actions import create_user
    from fairpath.governance.audit import SystemActor
    from fairpath.work import actions
    from fairpath.work.models import Skill

    actor = SystemActor("bench")
    tag = str(int(time.time()))
    clients = [
        create_client(code=f"bench-work-{tag}-{index}", name=f"Bench {index}", actor=actor)
        for index in range(2)
    ]
    skill, _ = Skill.objects.get_or_create(code="bench-welsh", defaults={"name": "Welsh"})
    concurrency = 20 if connection.vendor == "postgresql" else 4
    agents = [
        create_user(
            username=f"bench-agent-{tag}-{index}", role_code="agent", password="x-bench-password-1",
            client_codes=[client.code for client in clients], actor=actor,
        )
        for index in range(concurrency)
    ]  # fmt: skip
    actions.set_agent_skills(agent=agents[0], skills=[skill], actor=actor)
    n = arguments.accounts
    now = timezone.now()
    with timed() as elapsed:
        for offset in range(0, n, 10_000):
            specs = [
                actions.WorkItemSpec(
                    client_id=clients[index % 2].pk,
                    kind="call_due" if index % 3 else "promise_check",
                    title=f"Bench item {index}",
                    due_at=now + timedelta(minutes=(index * 7919) % 20_000),
                    value_minor=(index * 104_729) % 5_000_000,
                    skill_id=skill.pk if index % 5 == 0 else None,
                )
                for index in range(offset, min(offset + 10_000, n))
            ]
            actions.create_work_items(specs=specs, actor=actor)
    emit("work_create_items", n, elapsed[0])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE work_workitem")

    samples: list[float] = []
    for _ in range(CALLS):
        began = time.perf_counter()
        item = actions.get_next(agent=agents[0])
        samples.append(time.perf_counter() - began)
        assert item is not None
    emit("work_get_next", CALLS, sum(samples), open_items=n, agents=1, **_percentiles(samples))

    per_agent = CALLS // concurrency
    connections.close_all()  # each forked agent opens its own connection
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    began_at = time.time() + 1.0
    processes = [
        context.Process(target=_agent, args=(agent.pk, per_agent, began_at, results)) for agent in agents
    ]
    began = time.perf_counter()
    for process in processes:
        process.start()
    gathered = [results.get() for _ in processes]
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"an agent process failed ({process.exitcode})"
    wall = time.perf_counter() - began - max(began_at - time.time(), 0.0)
    concurrent = [spent for timings, _ in gathered for spent in timings]
    handed = [pk for _, handed_to_one in gathered for pk in handed_to_one]
    assert len(handed) == len(set(handed)), "an item was handed out twice"
    emit(
        "work_get_next_concurrent", len(concurrent), sum(concurrent), open_items=n - CALLS,
        agents=concurrency, processes=concurrency, distinct=len(set(handed)),
        items_per_s=round(len(handed) / wall, 1), load=round(os.getloadavg()[0], 1), **_percentiles(concurrent),
    )  # fmt: skip


def _agent(agent_id: int, calls: int, began_at: float, results) -> None:  # noqa: ANN001
    """One agent's process: ``calls`` get-nexts back to back from the same start moment as the others."""
    from fairpath.governance.models import User
    from fairpath.work import actions

    agent = User.objects.get(pk=agent_id)
    time.sleep(max(began_at - time.time(), 0.0))  # every agent starts at the same moment
    timings: list[float] = []
    handed: list[int] = []
    for _ in range(calls):
        began = time.perf_counter()
        item = actions.get_next(agent=agent)
        timings.append(time.perf_counter() - began)
        if item is not None:
            handed.append(item.pk)
    results.put((timings, handed))


if __name__ == "__main__":
    main()
