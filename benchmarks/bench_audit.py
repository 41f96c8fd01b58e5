"""Audit trail: how fast actions can append events (one transaction each, as actions do) and verify walks them."""

from __future__ import annotations

from harness import emit, start, timed


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=20_000)
    from django.db import transaction

    from fairpath.clients.actions import create_client
    from fairpath.governance.audit import (
        PendingEvent,
        SystemActor,
        record_event,
        record_events_bulk,
        verify_all,
    )

    actor = SystemActor("bench")
    with transaction.atomic():
        clients = [
            create_client(code=f"bench-{index}-{id(actor)}", name=f"Bench {index}", actor=actor)
            for index in range(4)
        ]
    n = arguments.accounts
    with timed() as elapsed:
        for index in range(n):
            with transaction.atomic():
                record_event(
                    actor=actor,
                    action="bench.event",
                    object_type="bench",
                    object_id=str(index),
                    client_id=clients[index % 4].id,
                    before={"value": index},
                    after={"value": index + 1},
                    reason="benchmark",
                )
    emit("audit_append", n, elapsed[0], per_transaction=1, chains=4)
    batch = [
        PendingEvent(
            object_type="bench", object_id=str(index), client_id=clients[index % 4].id, after={"value": index}
        )
        for index in range(n * 5)
    ]
    with timed() as elapsed, transaction.atomic():
        record_events_bulk(actor=actor, action="bench.batch", events=batch, reason="benchmark batch")
    emit("audit_append_bulk", len(batch), elapsed[0], chains=4)
    with timed() as elapsed:
        result = verify_all()
    assert result.is_intact, result.first_break
    emit("audit_verify", result.events, elapsed[0], chains=result.chains)


if __name__ == "__main__":
    main()
