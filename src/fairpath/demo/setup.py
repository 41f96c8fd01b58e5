"""The demo: two client lenders, a user for every role, and (when the accounts domain is present) a portfolio.

Idempotent: running the demo again keeps what is there and prints the same credentials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from fairpath.clients.actions import create_client
from fairpath.clients.models import Client
from fairpath.governance import roles
from fairpath.governance.actions import create_user
from fairpath.governance.audit import SystemActor
from fairpath.governance.models import Role, User

DEMO_CLIENTS = [
    (
        "northwind",
        "Northwind Finance",
        {"legal_name": "Northwind Finance Ltd", "regulator_reference": "FRN 700123"},
    ),
    ("harbour", "Harbour Bank", {"legal_name": "Harbour Bank plc", "regulator_reference": "FRN 204455"}),
]

# username, role, clients (None = all), first name, last name
DEMO_USERS: list[tuple[str, str, list[str] | None, str, str]] = [
    ("agent", roles.AGENT, ["northwind"], "Amira", "Khan"),
    ("agent2", roles.AGENT, ["harbour"], "Ben", "Okafor"),
    ("backoffice", roles.BACK_OFFICE_EXECUTIVE, ["northwind", "harbour"], "Chloe", "Evans"),
    ("teamleader", roles.TEAM_LEADER, ["northwind", "harbour"], "Dan", "Murphy"),
    ("opsmanager", roles.OPERATIONS_MANAGER, None, "Esther", "Adeyemi"),
    ("head", roles.HEAD_OF_OPERATIONS, None, "Fiona", "MacLeod"),
    ("compliance", roles.COMPLIANCE_OFFICER, None, "Gareth", "Price"),
    ("admin", roles.ADMINISTRATOR, None, "Hana", "Novak"),
]


def demo_password(username: str) -> str:
    """Known demo passwords, printed by `fairpath demo` (never use the demo database for real data)."""
    return f"{username}-fairpath-demo"


def set_up_demo(*, progress_console: Any = None) -> list[tuple[str, str, str]]:
    actor = SystemActor("demo")
    roles.seed_roles()
    for code, name, details in DEMO_CLIENTS:
        if not Client.objects.filter(code=code).exists():
            create_client(code=code, name=name, actor=actor, **details)
    credentials = []
    for username, role_code, client_codes, first_name, last_name in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            with transaction.atomic():
                create_user(
                    username=username,
                    role_code=role_code,
                    password=demo_password(username),
                    client_codes=client_codes or [],
                    all_clients=client_codes is None,
                    first_name=first_name,
                    last_name=last_name,
                    actor=actor,
                )
        credentials.append((username, demo_password(username), Role.objects.get(code=role_code).name))
    _demo_portfolio(progress_console)
    return credentials


DEMO_CYCLE_DAYS = 7
DEMO_TREND_DAYS = 60


def _demo_portfolio(progress_console: Any) -> None:
    """A live-looking book: a generated portfolio per client, templates and a strategy, the last week's
    daily cycles (notices, messages, work items) and two months of MI snapshots for the trend charts."""
    import os
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fairpath.collections import cycle
    from fairpath.collections.models import Strategy
    from fairpath.collections.strategies import import_strategy
    from fairpath.communications.actions import seed_default_templates_for_all_clients
    from fairpath.demo.generator import generate_demo_portfolios
    from fairpath.insight.models import KpiDaily
    from fairpath.insight.snapshots import build_snapshots

    actor = SystemActor("demo")
    accounts = int(os.environ.get("FAIRPATH_DEMO_ACCOUNTS", "2000"))
    codes = [code for code, _, _ in DEMO_CLIENTS]
    settings.FAIRPATH_LETTER_PDF = "on-demand"  # demo letters are rendered when opened
    today = timezone.localdate()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=progress_console) as bar:
        generating = bar.add_task("Generating the demo portfolios", total=accounts * len(codes))
        generate_demo_portfolios(
            codes, accounts_per_client=accounts, on_progress=lambda done: bar.advance(generating, done)
        )
        bar.update(generating, completed=accounts * len(codes))
        seed_default_templates_for_all_clients(actor=actor)
        if not Strategy.objects.exists():
            text = (Path(cycle.__file__).parent / "default_strategy.yaml").read_text()
            import_strategy(text=text, actor=actor, note="demo default")
        last = cycle.last_completed_date()
        first = today - timedelta(days=DEMO_CYCLE_DAYS - 1)
        if last is not None:
            first = max(first, last + timedelta(days=1))
        days = [first + timedelta(days=offset) for offset in range((today - first).days + 1)]
        running = bar.add_task("Running the daily cycle", total=len(days))
        for day in days:
            cycle.run_cycle(run_date=day, actor=actor)
            bar.advance(running)
        history = [
            today - timedelta(days=offset) for offset in range(DEMO_TREND_DAYS, DEMO_CYCLE_DAYS - 1, -1)
        ]
        missing = [day for day in history if not KpiDaily.objects.filter(day=day).exists()]
        building = bar.add_task("Building MI snapshots for the trend charts", total=len(missing))
        for day in missing:
            build_snapshots(day)
            bar.advance(building)
