"""``fairpath work ...`` (wire into cli/main.py with ``app.add_typer(work_app, name="work")``).

``wake`` reopens ended snoozes (the periodic job; safe to run again). ``balance-portfolios`` spreads a client's
live agreements over named agents within their capacities, keeping continuity, and prints what moved.
"""

from __future__ import annotations

import json

import typer

from fairpath.cli.bootstrap import console, fail, ready

work_app = typer.Typer(help="Work queues: snooze wake-ups and portfolio balancing.", no_args_is_help=True)


@work_app.command("wake")
def wake() -> None:
    """Reopen every snoozed work item whose snooze has ended."""
    ready()
    from fairpath.work.tasks import wake_snoozed

    console.print(json.dumps({"woken": wake_snoozed()}))


@work_app.command("balance-portfolios")
def balance_portfolios(
    client: str = typer.Option(..., "--client", help="Client code"),
    agent: list[str] = typer.Option(..., "--agent", help="Username of an agent (repeat for each)"),
) -> None:
    """Balance the client's agreements over the agents named (anyone not named gives their accounts up)."""
    ready()
    from fairpath.clients.models import Client
    from fairpath.core.errors import Refusal
    from fairpath.governance.audit import SystemActor
    from fairpath.governance.models import User
    from fairpath.work import actions

    found = Client.objects.filter(code=client).first()
    if found is None:
        fail(f"unknown client code {client!r}")
    people = list(User.objects.filter(username__in=agent))
    if len(people) != len(set(agent)):
        fail("unknown username among " + ", ".join(agent))
    try:
        report = actions.balance_portfolios(client=found, agents=people, actor=SystemActor("cli.work"))
    except Refusal as error:
        fail(str(error))
    names = {person.pk: person.username for person in people}
    console.print(
        json.dumps(
            {
                "accounts": report.accounts,
                "kept": report.kept,
                "moved": report.moved,
                "added": report.added,
                "released": report.released,
                "unassigned": report.unassigned,
                "items_moved": report.items_moved,
                "loads": {names[agent_id]: load for agent_id, load in report.loads.items()},
            }
        )
    )
