"""post_payments: the set-based path gives exactly what post_payment gives one payment at a time."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.accounts import actions
from fairpath.accounts.models import (
    Agreement,
    ArrearsState,
    LedgerEntry,
    PaymentAllocation,
    ScheduleInstalment,
    WaterfallSetting,
)
from fairpath.clients.models import Client
from fairpath.core.errors import InvalidInput
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db

START = date(2024, 1, 1)

schedules = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 3_000), st.integers(0, 8_000)), min_size=1, max_size=6
)  # (days after the start, interest part, principal part); equal due dates happen
fees = st.lists(st.tuples(st.integers(0, 200), st.integers(1, 1_200)), max_size=3)
agreements = st.lists(st.tuples(schedules, fees), min_size=1, max_size=3)
payment_lists = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 25_000), st.integers(0, 240)), min_size=1, max_size=12
)  # (which agreement, amount, days after the start)
waterfalls = st.one_of(
    st.none(),
    st.tuples(
        st.permutations(["fee", "interest", "principal"]),
        st.sampled_from(["oldest_first", "component_first"]),
    ),
)


def build_copy(client: Client, terms: list[tuple[Any, Any]], waterfall: Any) -> list[Agreement]:
    """One copy of the book: the same schedules, fees and waterfall in a client of its own."""
    if waterfall is not None:
        WaterfallSetting.objects.create(
            client=client, product="personal_loan", components=list(waterfall[0]), due_order=waterfall[1]
        )
    built = []
    for number, (schedule, fee_rows) in enumerate(terms):
        rows = sorted(
            (START + timedelta(days=day), interest, principal) for day, interest, principal in schedule
        )
        agreement = make_agreement(
            make_customer(client), reference=f"EQ{number}", schedule=rows, first_due_on=rows[0][0],
            term_instalments=None, drawdown_minor=50_000,
        )  # fmt: skip
        for day, amount in fee_rows:
            actions.post_entry(
                agreement=agreement, kind="fee", fee_type="late_payment", amount_minor=amount, currency="GBP",
                posted_on=START + timedelta(days=day), actor=SETUP,
            )  # fmt: skip
        built.append(agreement)
    return built


def state_of(book: list[Agreement], client: Client, as_of: date) -> dict[str, Any]:
    """Everything a posting moves, with ids replaced by positions so two copies compare."""
    actions.recompute_arrears(client_ids=[client.pk], as_of=as_of)
    ids = [agreement.pk for agreement in book]
    entry_ids = list(
        LedgerEntry.objects.filter(agreement_id__in=ids).order_by("id").values_list("id", flat=True)
    )
    entry_position = {entry_id: position for position, entry_id in enumerate(entry_ids)}
    instalment_ids = list(
        ScheduleInstalment.objects.filter(agreement_id__in=ids)
        .order_by("agreement_id", "sequence")
        .values_list("id", flat=True)
    )
    instalment_position = {instalment_id: position for position, instalment_id in enumerate(instalment_ids)}
    agreement_position = {agreement_id: position for position, agreement_id in enumerate(ids)}
    events = []
    for before, after in (
        AuditEvent.objects.filter(action="accounts.payment_posted", object_id__in=[str(pk) for pk in ids])
        .order_by("chain_seq")
        .values_list("before", "after")
    ):
        events.append((before, {**after, "entry": entry_position[after["entry"]]}))
    return {
        "balances": [Agreement.objects.get(pk=pk).balance_minor for pk in ids],
        "entries": [
            (agreement_position[row[0]], *row[1:])
            for row in LedgerEntry.objects.filter(agreement_id__in=ids).order_by("id").values_list(
                "agreement_id", "kind", "amount_minor", "currency", "posted_on", "reference", "actor_label", "fee_type"
            )
        ],
        "allocations": [
            (entry_position[entry], component, instalment_position.get(instalment), entry_position.get(fee), amount)
            for entry, component, instalment, fee, amount in PaymentAllocation.objects.filter(
                entry__agreement_id__in=ids
            ).order_by("id").values_list("entry_id", "component", "instalment_id", "fee_entry_id", "amount_minor")
        ],
        "instalments": list(
            ScheduleInstalment.objects.filter(agreement_id__in=ids).order_by("agreement_id", "sequence").values_list(
                "sequence", "due_on", "interest_paid_minor", "principal_paid_minor", "amount_paid_minor"
            )
        ),
        "arrears": [
            (agreement_position[row[0]], *row[1:])
            for row in ArrearsState.objects.filter(agreement_id__in=ids).order_by("agreement_id").values_list(
                "agreement_id", "arrears_minor", "missed_payments", "days_past_due", "bucket"
            )
        ],
        "events": events,
    }  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(terms=agreements, payments=payment_lists, waterfall=waterfalls)
def test_bulk_posting_equals_posting_one_at_a_time(client_a, client_b, terms, payments, waterfall):
    with transaction.atomic():
        one_by_one = build_copy(client_a, terms, waterfall)
        in_bulk = build_copy(client_b, terms, waterfall)
        for which, amount, day in payments:
            actions.post_payment(
                agreement=one_by_one[which % len(terms)], amount_minor=amount, currency="GBP",
                received_on=START + timedelta(days=day), actor=SETUP, reference=f"R{day}",
            )  # fmt: skip
        entries = actions.post_payments(
            payments=[
                actions.PaymentToPost(
                    in_bulk[which % len(terms)].pk, amount, "GBP", START + timedelta(days=day), f"R{day}"
                )
                for which, amount, day in payments
            ],
            actor=SETUP,
        )
        assert [-entry.amount_minor for entry in entries] == [amount for _, amount, _ in payments]
        assert [entry.agreement_id for entry in entries] == [
            in_bulk[which % len(terms)].pk for which, _, _ in payments
        ]
        as_of = START + timedelta(days=max(day for _, _, day in payments) + 1)
        assert state_of(in_bulk, client_b, as_of) == state_of(one_by_one, client_a, as_of)
        transaction.set_rollback(True)


def test_several_payments_to_one_agreement_allocate_in_turn(client_a):
    loan = make_agreement(make_customer(client_a))  # £100 due monthly from 31 January 2024
    first, second = actions.post_payments(
        payments=[
            actions.PaymentToPost(loan.pk, 15_000, "GBP", date(2024, 3, 1), "A"),
            actions.PaymentToPost(loan.pk, 10_000, "GBP", date(2024, 3, 1), "B"),
        ],
        actor=SETUP,
    )
    assert list(PaymentAllocation.objects.filter(entry=first).values_list("amount_minor", flat=True)) == [
        10_000,
        5_000,
    ]
    assert list(PaymentAllocation.objects.filter(entry=second).values_list("amount_minor", flat=True)) == [
        5_000,
        5_000,
    ]
    assert list(
        ScheduleInstalment.objects.filter(agreement=loan).values_list("amount_paid_minor", flat=True)[:4]
    ) == [
        10_000,
        10_000,
        5_000,
        0,
    ]
    assert Agreement.objects.get(pk=loan.pk).balance_minor == 120_000 - 25_000
    balances = list(
        AuditEvent.objects.filter(action="accounts.payment_posted", object_id=str(loan.pk))
        .order_by("chain_seq")
        .values_list("before__balance_minor", "after__balance_minor")
    )
    assert balances == [(120_000, 105_000), (105_000, 95_000)]


def _post(book: list[Agreement], count: int) -> int:
    payments = [
        actions.PaymentToPost(
            book[n % len(book)].pk, 1_000 + n, "GBP", date(2024, 2, 1) + timedelta(days=n), "X"
        )
        for n in range(count)
    ]
    with CaptureQueriesContext(connection) as queries:
        actions.post_payments(payments=payments, actor=SETUP)
    return len(queries)


def test_queries_do_not_grow_with_the_number_of_payments(client_a):
    book = [make_agreement(make_customer(client_a)) for _ in range(12)]
    for agreement in book[::3]:
        actions.post_entry(
            agreement=agreement, kind="fee", fee_type="late_payment", amount_minor=1_200, currency="GBP",
            posted_on=date(2024, 1, 20), actor=SETUP,
        )  # fmt: skip
    few = _post(book[:2], 2)
    many = _post(book, 60)
    assert many == few
    assert many <= 15


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"amount_minor": 0}, "amount_minor"),
        ({"agreement_id": -1}, "agreement_id"),
    ],
)
def test_one_bad_payment_refuses_the_whole_batch_and_writes_nothing(client_a, change, field):
    loan = make_agreement(make_customer(client_a))
    good = actions.PaymentToPost(loan.pk, 5_000, "GBP", date(2024, 2, 1), "OK")
    bad = actions.PaymentToPost(**{**good.__dict__, **change})
    counts = (LedgerEntry.objects.count(), PaymentAllocation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as refused:
        actions.post_payments(payments=[good, bad], actor=SETUP)
    assert refused.value.field == field
    assert (
        LedgerEntry.objects.count(),
        PaymentAllocation.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert Agreement.objects.get(pk=loan.pk).balance_minor == 120_000
    assert not ScheduleInstalment.objects.filter(agreement=loan, amount_paid_minor__gt=0).exists()


def test_no_payments_post_nothing_and_ask_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert actions.post_payments(payments=[], actor=SETUP) == []
    assert len(queries) == 0
