"""Test data builders that go through the real actions, so audit rows and rules apply as in production."""

from __future__ import annotations

import itertools

from fairpath.clients.actions import create_client
from fairpath.clients.models import Client
from fairpath.governance.actions import IssuedToken, create_api_token, create_user
from fairpath.governance.audit import SystemActor
from fairpath.governance.models import User

SETUP = SystemActor("test-setup")
PASSWORD = "correct-horse-battery-9"
_numbers = itertools.count(1)


def make_client(code: str | None = None, name: str | None = None) -> Client:
    number = next(_numbers)
    code = code or f"client-{number}"
    return create_client(code=code, name=name or f"Lender {number}", actor=SETUP)


def make_user(role: str, *clients: Client, all_clients: bool = False, username: str | None = None) -> User:
    return create_user(
        username=username or f"{role}-{next(_numbers)}",
        role_code=role,
        password=PASSWORD,
        client_codes=[client.code for client in clients],
        all_clients=all_clients,
        first_name=role.replace("_", " ").title(),
        actor=SETUP,
    )


def make_token(user: User, *clients: Client) -> IssuedToken:
    codes = [client.code for client in clients] if clients else None
    return create_api_token(user=user, name="test", client_codes=codes, actor=SETUP)
