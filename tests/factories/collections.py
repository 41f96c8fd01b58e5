"""Collections test data: US and UK customers with agreements, holds, contact log entries."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fairpath.accounts.models import Agreement, ContactPoint, ContactPreference, Customer
from fairpath.clients.models import Client
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer

_codes = itertools.count(1)


def make_us_agreement(client: Client, *, region: str = "NY", **overrides: Any) -> Agreement:
    """A US customer (New York unless told) with a mobile (call consent, no text consent) and an e-mail."""
    customer = make_customer(
        client, country="US", region=region, postcode="10001", phone="+1 212 555 0100", email="c@example.com"
    )
    overrides.setdefault("currency", "USD")
    return make_agreement(customer, **overrides)


def make_uk_agreement(client: Client, *, region: str = "ENG", **overrides: Any) -> Agreement:
    customer = make_customer(client, region=region, phone="07700 900123", email="c@example.co.uk")
    return make_agreement(customer, **overrides)


def set_point(customer: Customer, channel: str, **fields: Any) -> None:
    """Change consent or opt-out flags of the customer's contact points of a channel (test set-up only)."""
    for point in ContactPoint.objects.filter(customer=customer, channel=channel):
        for name, value in fields.items():
            setattr(point, name, value)
        point.save()


def add_preference(customer: Customer, channel: str, **fields: Any) -> ContactPreference:
    preference = ContactPreference(client_id=customer.client_id, customer=customer, channel=channel, **fields)
    preference.save()
    return preference


def local(day: date, clock: time, zone: str = "America/New_York") -> datetime:
    """An aware instant for a local wall-clock time."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone))


def make_strategy(client: Client | None = None, text: str | None = None):  # noqa: ANN201 - a Strategy
    """The shipped default strategy under a fresh code, for ``client`` (or shared)."""
    from pathlib import Path

    from fairpath.collections import strategies

    source = text or (Path(strategies.__file__).parent / "default_strategy.yaml").read_text()
    code = f"strategy-{next(_codes)}"
    source = source.replace("code: standard", f"code: {code}", 1)
    return strategies.import_strategy(text=source, actor=SETUP, client=client).strategy


def permission_matrix_samples(client: Client) -> dict[str, Any]:
    """URL arguments of the collections pages for tests/test_permission_matrix.py."""
    strategy = make_strategy(client)
    agreement = make_uk_agreement(client)
    return {"strategy_id": lambda: strategy.pk, "agreement_id": lambda: agreement.pk}
