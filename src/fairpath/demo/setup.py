"""The demo: two client lenders, a user for every role, and (when the accounts domain is present) a portfolio.

Idempotent: running the demo again keeps what is there and prints the same credentials.
"""

from __future__ import annotations

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


def _demo_portfolio(progress_console: Any) -> None:
    """Later domains add the synthetic portfolio here."""
