"""``fairpath messages ...`` (wired into cli/main.py with ``app.add_typer(messages_app, name="messages")``).

``release`` hands over the messages held back for the customer's permitted local time (US-HOURS, UK-CONTACT)
whose moment has come - the periodic job between cycles for installations without Celery beat (cron every few
minutes); with a broker, beat runs the task ``fairpath.communications.release_due_messages`` instead. Safe to
run again: a message released, moved or suppressed is not picked twice.
"""

from __future__ import annotations

import json

import typer

from fairpath.cli.bootstrap import console, fail, ready

messages_app = typer.Typer(
    help="Outbound messages: release those held for a later moment.", no_args_is_help=True
)


@messages_app.command("release")
def release(
    client: str = typer.Option(None, "--client", help="One client's code (default: every client)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line"),
) -> None:
    """Send the messages whose customer's permitted local time has come, asking the guard again."""
    ready()
    from fairpath.clients.models import Client
    from fairpath.communications.actions import release_due_messages
    from fairpath.governance.audit import SystemActor

    client_ids = None
    if client is not None:
        found = Client.objects.filter(code=client).first()
        if found is None:
            fail(f"no client {client!r}")
        client_ids = [found.pk]
    result = release_due_messages(actor=SystemActor("message-release"), client_ids=client_ids)
    suppressed = dict(sorted(result.suppressed.items()))
    if as_json:
        print(
            json.dumps(
                {
                    "released": len(result.released),
                    "rescheduled": result.rescheduled,
                    "suppressed": suppressed,
                }
            )
        )
        return
    counts = ", ".join(f"{rule} {count}" for rule, count in suppressed.items()) or "none"
    console.print(
        f"{len(result.released):,} messages released, {result.rescheduled:,} moved to a later moment, "
        f"suppressed: {counts}"
    )
