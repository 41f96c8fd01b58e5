"""Cases built through the real cases actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fairpath.cases import actions
from fairpath.cases.models import Case
from fairpath.clients.models import Client
from tests.factories import SETUP


def make_case(client: Client, **overrides: Any) -> Case:
    """A complaint about fees received an hour ago by phone (deadlines computed as in production)."""
    fields: dict[str, Any] = {
        "case_type": "complaint",
        "category": "fees_and_charges",
        "channel": "phone",
        "received_at": timezone.now() - dt.timedelta(hours=1),
        "summary": "Unhappy about a late payment fee",
    }
    fields.update(overrides)
    return actions.register_case(client=client, actor=SETUP, **fields)


def permission_matrix_samples(client: Client) -> dict[str, Any]:
    """Objects of ``client`` for tests/test_permission_matrix.py, one per URL argument of the cases pages."""
    from tests.factories.accounts import make_agreement, make_customer

    customer = make_customer(client)
    agreement = make_agreement(customer)
    case = make_case(client, customer=customer, agreement=agreement)
    letter = case.letters.first()
    assert letter is not None
    return {"case_id": lambda: case.pk, "letter_id": lambda: letter.pk}
