"""Changes to client lenders."""

from __future__ import annotations

from django.db import transaction

from fairpath.clients.models import Client
from fairpath.core.errors import InvalidInput
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.audit import Actor, record_event
from fairpath.governance.models import User

EDITABLE_FIELDS = ("name", "legal_name", "regulator_reference", "complaints_email", "is_active")


def create_client(
    *, code: str, name: str, base_currency: str = "GBP", actor: Actor, **details: str
) -> Client:
    if Client.objects.filter(code=code).exists():
        raise InvalidInput(f"A client with code {code!r} exists", field="code")
    with transaction.atomic():
        client = Client.objects.create(code=code, name=name, base_currency=base_currency, **details)
        record_event(
            actor=actor,
            action="client.created",
            obj=client,
            client_id=client.id,
            after={"code": code, "name": name, "base_currency": base_currency, **details},
        )
    return client


def update_client(*, client: Client, changes: dict[str, object], actor: User, reason: str = "") -> Client:
    """Change a client's details: only for users granted that client and allowed to change clients."""
    require_permission(actor, "clients.change_client")
    require_client(actor, client.id)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed here", field=unknown[0])
    if "name" in changes and not str(changes["name"]).strip():
        raise InvalidInput("A client needs a name", field="name")
    with transaction.atomic():
        before = {field: getattr(client, field) for field in changes}
        for field, value in changes.items():
            setattr(client, field, value)
        client.save(update_fields=list(changes))
        record_event(
            actor=actor,
            action="client.updated",
            obj=client,
            client_id=client.id,
            before=before,
            after=dict(changes),
            reason=reason,
        )
    return client
