"""Collections test data: US and UK customers with agreements, holds, contact log entries."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
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
    return {
        "strategy_id": lambda: strategy.pk,
        "agreement_id": lambda: agreement.pk,
        **servicing_samples(agreement),
    }


def make_fully_worked(client: Client, *, as_of: date, **overrides: Any) -> Agreement:
    """A UK agreement in default that meets the default recoveries checklist on ``as_of``: three allowed
    calls, an arrangement proposed, an I&E, and a default notice served whose remedy date has passed."""
    from datetime import UTC, timedelta

    from fairpath.accounts.actions import change_status
    from fairpath.collections.models import ContactAttempt, NoticeDue
    from fairpath.collections.promises import propose_arrangement, record_income_expenditure

    agreement = make_uk_agreement(client, **overrides)
    for status in ("in_arrears", "default"):
        change_status(agreement=agreement, to_status=status, actor=SETUP, reason="test set-up")
    for days in (40, 30, 20):
        ContactAttempt(
            client_id=client.pk, agreement=agreement, channel="call", at=datetime.combine(
                as_of - timedelta(days=days), time(11), tzinfo=UTC), is_allowed=True, actor_label="test",
        ).save()  # fmt: skip
    assessment = record_income_expenditure(
        customer=agreement.customer, assessed_on=as_of - timedelta(days=30), currency="GBP",
        income_minor=150_000, essential_spend_minor=140_000, actor=SETUP,
    )  # fmt: skip
    propose_arrangement(
        agreement=agreement, amount_minor=1_000, first_due_on=as_of - timedelta(days=20), instalment_count=6,
        proposed_on=as_of - timedelta(days=30), actor=SETUP, assessment=assessment,
    )  # fmt: skip
    served = as_of - timedelta(days=30)
    NoticeDue(
        client_id=client.pk, agreement=agreement, rule="UK-DEFAULT", trigger_on=served, send_by=served,
        status=NoticeDue.Status.SENT, sent_on=served, remedy_on=served + timedelta(days=16), run_date=served,
    ).save()  # fmt: skip
    return agreement


def make_end_of_contract(client: Client, *, product: str = "pcp", fees: Any = None) -> Agreement:
    """A PCP (unless told) whose terms allow a return charge (£150), excess mileage (8p a mile) and damage
    (up to £1,500), or the ``fees`` given."""
    default_fees = [
        ("return_charge", 15_000, "Collection and inspection of the vehicle"),
        ("excess_mileage", 8, "Depreciation per mile over the allowance"),
        ("damage", 150_000, "Repair cost beyond fair wear and tear (BVRLA guide)"),
    ]
    extra: dict[str, Any] = {"product": product, "fee_terms": default_fees if fees is None else fees}
    if product == "pcp":
        extra["balloon_minor"] = 500_000
    return make_uk_agreement(client, **extra)


def servicing_samples(agreement: Agreement) -> dict[str, Any]:
    """An arrangement, a settlement offer and a third party on ``agreement`` for the servicing API's paths."""
    from fairpath.accounts.models import ThirdParty
    from fairpath.collections.models import SettlementOffer
    from fairpath.collections.promises import propose_arrangement

    arrangement = propose_arrangement(
        agreement=agreement, amount_minor=1_000, first_due_on=date(2026, 4, 1), instalment_count=6,
        proposed_on=date(2026, 3, 1), actor=SETUP,
    )  # fmt: skip
    agreement.refresh_from_db()
    offer = SettlementOffer(
        client_id=agreement.client_id, agreement=agreement, kind="full_and_final", status="offered",
        currency=agreement.currency, balance_minor=agreement.balance_minor,
        amount_minor=agreement.balance_minor - 100, discount_minor=100, discount_bp=1,
        offered_on=date(2026, 3, 1), pay_by=date(2026, 3, 31), statement="test", reason="test",
        created_by="test",
    )  # fmt: skip
    offer.save()
    party = ThirdParty(
        client_id=agreement.client_id, customer_id=agreement.customer_id, agreement=agreement,
        kind="debt_adviser", name="Sample Adviser", authority_from=date(2026, 1, 1),
    )  # fmt: skip
    party.save()
    return {
        "arrangement_id": lambda: arrangement.pk,
        "offer_id": lambda: offer.pk,
        "third_party_id": lambda: party.pk,
    }


def serve_default_notice(agreement: Agreement, *, remedy_on: date) -> None:
    """A UK-DEFAULT notice recorded as served 20 days before ``remedy_on``, the day its remedy period ends."""
    from fairpath.collections.models import NoticeDue

    served_on = remedy_on - timedelta(20)
    NoticeDue.objects.create(
        client_id=agreement.client_id, agreement=agreement, rule="UK-DEFAULT", trigger_on=served_on,
        send_by=served_on, status="sent", sent_on=served_on, remedy_on=remedy_on, run_date=served_on,
    )  # fmt: skip
