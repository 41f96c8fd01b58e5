"""``fairpath cases ...`` (wired into the app in cli/main.py with ``app.add_typer(cases_app, name="cases")``).

``escalate-at-risk`` is the scheduled job that escalates every open case whose deadline is at risk or breached
(set-based; safe to run again). ``deadlines`` prints the regulatory deadlines for a receipt time and region.
"""

from __future__ import annotations

import datetime as dt
import json

import typer

from fairpath.cli.bootstrap import console, fail, ready

cases_app = typer.Typer(
    help="Cases and complaints: deadline escalation and deadline look-ups.", no_args_is_help=True
)


@cases_app.command("escalate-at-risk")
def escalate_at_risk(
    client: list[str] = typer.Option(None, "--client", help="Client code (repeat for several); default all"),
    at: str = typer.Option(None, "--at", help="Run as of this ISO 8601 instant (default now)"),
) -> None:
    """Escalate open cases past a deadline's warning point (team leader) or past due (operations manager)."""
    ready()
    from django.utils import timezone

    from fairpath.cases.actions import escalate_at_risk as run
    from fairpath.clients.models import Client

    now = timezone.now()
    if at:
        try:
            now = dt.datetime.fromisoformat(at)
        except ValueError:
            fail(f"--at {at!r} is not an ISO 8601 instant")
        if now.tzinfo is None:
            fail("--at needs a time zone offset, e.g. 2024-12-09T10:00:00+00:00")
    client_ids = None
    if client:
        client_ids = list(Client.objects.filter(code__in=client).values_list("id", flat=True))
        if len(client_ids) != len(set(client)):
            fail("unknown client code among " + ", ".join(client))
    result = run(now=now, client_ids=client_ids)
    console.print(json.dumps({"at_risk_cases": result.at_risk, "escalated": result.escalated}))


@cases_app.command("deadlines")
def deadlines(
    received_at: str = typer.Argument(
        ..., help="ISO 8601 instant with offset, e.g. 2024-11-29T18:00:00+00:00"
    ),
    case_type: str = typer.Option("complaint", "--type", help="Case type"),
    category: str = typer.Option("other", "--category", help="Category (payment-services ones count D-PSD)"),
    region: str = typer.Option("EAW", "--region", help="EAW, SCT, NIR or US"),
    time_zone: str = typer.Option(None, "--time-zone", help="Default: the region's"),
) -> None:
    """Print the regulatory deadlines of a case received at RECEIVED_AT (no database needed)."""
    from fairpath.cases import sla
    from fairpath.core.calendars import REGIONS

    if region not in REGIONS:
        fail(f"unknown region {region!r}; use {', '.join(REGIONS)}")
    try:
        moment = dt.datetime.fromisoformat(received_at)
    except ValueError:
        fail(f"{received_at!r} is not an ISO 8601 instant")
    if moment.tzinfo is None:
        fail("give the receipt time with its offset")
    zone = time_zone or REGIONS[region].default_time_zone
    request = sla.DeadlineRequest(0, case_type, category, moment, region, zone)
    for item in sla.compute_deadlines([request]):
        console.print(
            json.dumps(
                {"rule": item.rule, "due_at": item.due_at.isoformat(), "due_date": item.due_date.isoformat()}
            )
        )
