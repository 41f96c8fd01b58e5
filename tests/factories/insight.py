"""A small hand-made book whose KPI answers are worked out by hand in tests/insight/test_snapshots.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fairpath.accounts import actions
from fairpath.accounts.models import Agreement, VulnerabilityCue
from fairpath.clients.models import Client
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer


@dataclass
class Book:
    """Three £1,200 loans (£100 due on the 31st / month end from 31 Jan 2024), opened 1 Jan 2024.

    - on_time pays £100 on 31 Jan and 29 Feb and 31 Mar;
    - recovered misses January, then pays £200 on 1 March (back to current by 15 March);
    - slipping (a vulnerable customer, cue recorded 1 Feb) pays nothing.
    Arrears are recomputed on 31 Jan, 15 Feb and 15 Mar 2024.
    """

    client: Client
    on_time: Agreement
    recovered: Agreement
    slipping: Agreement


def pay(agreement: Agreement, amount: int, on: date) -> None:
    actions.post_payment(
        agreement=agreement, amount_minor=amount, currency="GBP", received_on=on, actor=SETUP
    )


def make_book(client: Client) -> Book:
    on_time = make_agreement(make_customer(client, last_name="Ontime"))
    recovered = make_agreement(make_customer(client, last_name="Recovered"))
    slipping_customer = make_customer(client, last_name="Slipping")
    slipping = make_agreement(slipping_customer)
    VulnerabilityCue.objects.create(
        client=client, customer=slipping_customer, driver="health", description="Long illness",
        recorded_on=date(2024, 2, 1),
    )  # fmt: skip
    actions.recompute_arrears(client_ids=[client.pk], as_of=date(2024, 1, 31))
    pay(on_time, 10_000, date(2024, 1, 31))
    actions.recompute_arrears(client_ids=[client.pk], as_of=date(2024, 2, 15))
    pay(on_time, 10_000, date(2024, 2, 29))
    pay(recovered, 20_000, date(2024, 3, 1))
    actions.recompute_arrears(client_ids=[client.pk], as_of=date(2024, 3, 15))
    pay(on_time, 10_000, date(2024, 3, 31))
    return Book(client, on_time, recovered, slipping)


def permission_matrix_samples(client: Client) -> dict[str, Any]:
    """The MI pages and API operations take no path arguments (KPI and filters are query parameters)."""
    return {}
