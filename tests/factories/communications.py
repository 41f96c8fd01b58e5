"""Communications test data: the default templates of a client, one template, one sent message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fairpath.clients.models import Client
from fairpath.communications import actions
from fairpath.communications.models import MessageTemplate
from tests.factories import SETUP

# 10:00 in London and 05:00 in New York on a Tuesday: letters may go any time, calls and texts not always.
WORKING_HOURS = datetime(2024, 6, 4, 14, 0, tzinfo=UTC)


def seed_templates(client: Client) -> dict[tuple[str, str, str], MessageTemplate]:
    """The client's default templates, published, by (code, channel, jurisdiction)."""
    actions.seed_default_templates(client=client, actor=SETUP)
    return {
        (template.code, template.channel, template.jurisdiction): template
        for template in MessageTemplate.objects.filter(client=client)
    }


def make_template(client: Client, **overrides: Any) -> MessageTemplate:
    fields: dict[str, Any] = {
        "code": "custom",
        "name": "Custom letter",
        "channel": "letter",
        "jurisdiction": "UK",
        "subject": "About your account",
        "body": "Dear {{ customer_name }},\nPlease call us on {{ contact_phone }}.",
    }
    fields.update(overrides)
    return actions.create_template(client=client, actor=SETUP, **fields)


def permission_matrix_samples(client: Client) -> dict[str, Any]:
    """URL arguments of the communications pages for tests/test_permission_matrix.py."""
    from fairpath.communications.models import OutboundMessage
    from tests.factories.collections import make_uk_agreement

    templates = seed_templates(client)
    reminder = templates[("reminder", "letter", "UK")]
    agreement = make_uk_agreement(client)
    message = OutboundMessage(
        client=client,
        agreement=agreement,
        customer_id=agreement.customer_id,
        template_version=reminder.versions.get(status="published"),
        channel="letter",
        notice_type="collections",
        recipient_name="Matrix",
        recipient="1 High Street",
        body="Matrix",
        decided_at=WORKING_HOURS,
        actor_label="test",
    )
    message.save()
    return {
        "template_id": lambda: reminder.pk,
        "version_id": lambda: reminder.versions.get(status="published").pk,
        "message_id": lambda: message.pk,
    }
