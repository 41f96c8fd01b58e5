"""Customers and agreements built through the real accounts actions."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from fairpath.accounts import actions
from fairpath.accounts.models import Agreement, Customer
from fairpath.clients.models import Client
from tests.factories import SETUP

_numbers = itertools.count(1)

LATE_FEE = ("late_payment", 1_200, "Staff time and letters for a missed payment")


def make_customer(
    client: Client,
    *,
    first_name: str = "Ada",
    last_name: str | None = None,
    postcode: str = "SW1A 1AA",
    country: str = "GB",
    region: str = "ENG",
    phone: str | None = None,
    email: str | None = None,
    **extra: Any,
) -> Customer:
    number = next(_numbers)
    contact_points = []
    if phone:
        contact_points.append({"channel": "phone", "value": phone, "is_primary": True})
    if email:
        contact_points.append({"channel": "email", "value": email, "has_email_consent": True})
    return actions.create_customer(
        client=client,
        reference=extra.pop("reference", f"C{number:07d}"),
        first_name=first_name,
        last_name=last_name or f"Testperson{number}",
        date_of_birth=extra.pop("date_of_birth", date(1980, 5, 17)),
        addresses=[
            {"line1": f"{number} High Street", "town": "Anytown", "postcode": postcode, "country": country,
             "region": region}
        ],
        contact_points=contact_points,
        actor=SETUP,
        **extra,
    )  # fmt: skip


def make_agreement(customer: Customer, **overrides: Any) -> Agreement:
    """A 12-month personal loan of £1,200 (£100 a month), first due 31 January 2024, with a late fee term."""
    number = next(_numbers)
    terms: dict[str, Any] = {
        "reference": f"AG{number:08d}",
        "product": "personal_loan",
        "currency": "GBP",
        "rate_bp": 0,
        "instalment_minor": 10_000,
        "term_instalments": 12,
        "opened_on": date(2024, 1, 1),
        "first_due_on": date(2024, 1, 31),
        "end_on": date(2024, 12, 31),
        "drawdown_minor": 120_000,
        "fee_terms": [LATE_FEE],
    }
    terms.update(overrides)
    return actions.open_agreement(customer=customer, actor=SETUP, **terms)


def permission_matrix_samples(client: Client) -> dict[str, Any]:
    """Objects of ``client`` for tests/test_permission_matrix.py, one per URL argument of the accounts pages."""
    customer = make_customer(client)
    agreement = make_agreement(customer)
    return {"customer_id": lambda: customer.pk, "agreement_id": lambda: agreement.pk}
