"""Paying instalments rewrites their rows in place (accounts migration 0009).

No index of the schedule names a paid column and the table keeps room on each page, so PostgreSQL moves
paid amounts with HOT updates: no new entry in any index. Before, a 100k-line statement on a 1M book wrote
3 GB of write-ahead log and took 31 s only to move paid amounts. An index that names a paid column again
(or a condition on one) fails this test."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from fairpath.accounts import actions
from fairpath.accounts.models import ScheduleInstalment
from fairpath.clients.models import Client
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db

PAID_COLUMNS = {"interest_paid_minor", "principal_paid_minor", "amount_paid_minor"}


def _updates(table: str) -> tuple[int, int]:
    """(updates, of which HOT) made to the table by this transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s", [table]
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, 0)


def test_no_index_of_the_schedule_names_a_paid_column():
    """On every database: an index's fields or its condition naming a paid amount would stop in-place updates."""
    for index in ScheduleInstalment._meta.indexes:
        named = set(index.fields) | ({str(index.condition)} if index.condition is not None else set())
        assert not any(column in str(name) for name in named for column in PAID_COLUMNS), index.name


def test_posting_payments_updates_instalments_in_place_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    client = Client.objects.create(code="hot", name="Hot")
    schedule = [(date(2026, month, 1), 1_000, 9_000) for month in range(1, 7)]
    agreements = [
        make_agreement(make_customer(client), reference=f"HOT{n}", schedule=schedule, first_due_on=schedule[0][0],
                       term_instalments=None, drawdown_minor=60_000)
        for n in range(5)
    ]  # fmt: skip
    table = ScheduleInstalment._meta.db_table
    updates_before, hot_before = _updates(table)
    actions.post_payments_in_bulk(
        payments=[
            actions.PaymentToPost(agreement.pk, 25_000, "GBP", date(2026, 3, 2), f"PAY{agreement.pk}")
            for agreement in agreements
        ],
        actor=SETUP,
    )
    updates_after, hot_after = _updates(table)
    assert updates_after - updates_before >= 5 * 3  # 25,000 pays three instalments of 10,000 in part or whole
    assert hot_after - hot_before == updates_after - updates_before
    paid = ScheduleInstalment.objects.filter(agreement__in=agreements).values_list(
        "amount_paid_minor", flat=True
    )
    assert sum(paid) == 5 * 25_000
