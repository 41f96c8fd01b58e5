"""reverse_payments_in_bulk: many payments reversed exactly as reverse_payment would, in a fixed number of
queries; a payment already reversed (or named twice) refuses the whole batch and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from fairpath.accounts import actions
from fairpath.accounts.models import Agreement, LedgerEntry, PaymentAllocation, ScheduleInstalment
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db


def ledger_sum(agreement: Agreement) -> int:
    return LedgerEntry.objects.filter(agreement=agreement).aggregate(total=Sum("amount_minor"))["total"] or 0


def paid_amounts(agreement: Agreement) -> list[tuple[int, int, int]]:
    return list(
        ScheduleInstalment.objects.filter(agreement=agreement)
        .order_by("sequence")
        .values_list("interest_paid_minor", "principal_paid_minor", "amount_paid_minor")
    )


def pay(agreement: Agreement, amount: int, day: date) -> LedgerEntry:
    return actions.post_payment(
        agreement=agreement, amount_minor=amount, currency="GBP", received_on=day, actor=SETUP
    )


def snapshot() -> tuple[int, int, int, list[int]]:
    return (
        LedgerEntry.objects.count(),
        PaymentAllocation.objects.count(),
        AuditEvent.objects.count(),
        list(Agreement.objects.order_by("pk").values_list("balance_minor", flat=True)),
    )


def test_bulk_reversal_undoes_each_payment_like_one_at_a_time(client_a):
    """Two agreements reversed in bulk end exactly where two reversed one by one do."""
    customer = make_customer(client_a)
    bulk, single = make_agreement(customer), make_agreement(customer)
    fee_bulk = actions.post_entry(agreement=bulk, kind="fee", fee_type="late_payment", amount_minor=1_200,
                                  currency="GBP", posted_on=date(2024, 2, 5), actor=SETUP)  # fmt: skip
    fee_single = actions.post_entry(agreement=single, kind="fee", fee_type="late_payment", amount_minor=1_200,
                                    currency="GBP", posted_on=date(2024, 2, 5), actor=SETUP)  # fmt: skip
    assert fee_bulk.amount_minor == fee_single.amount_minor
    payments = {agreement.pk: [pay(agreement, 15_000, date(2024, 3, 1)), pay(agreement, 4_000, date(2024, 3, 9))]
                for agreement in (bulk, single)}  # fmt: skip
    before = paid_amounts(bulk)

    reversal_ids = actions.reverse_payments_in_bulk(
        reversals=[
            actions.PaymentToReverse(
                payments[bulk.pk][1].pk, "Bacs reason 0: refer to payer", date(2024, 3, 12)
            ),
            actions.PaymentToReverse(
                payments[bulk.pk][0].pk, "Bacs reason B: account closed", date(2024, 3, 12)
            ),
        ],
        actor=SETUP,
    )
    for payment in reversed(payments[single.pk]):
        actions.reverse_payment(
            payment=payment, actor=SETUP, reason="returned", reversed_on=date(2024, 3, 12)
        )

    assert len(reversal_ids) == 2
    reversals = LedgerEntry.objects.in_bulk(reversal_ids)
    assert [reversals[pk].reverses_id for pk in reversal_ids] == [
        payments[bulk.pk][1].pk,
        payments[bulk.pk][0].pk,
    ]
    assert [reversals[pk].amount_minor for pk in reversal_ids] == [4_000, 15_000]
    assert {reversals[pk].posted_on for pk in reversal_ids} == {date(2024, 3, 12)}
    assert reversals[reversal_ids[1]].description == "Bacs reason B: account closed"
    assert paid_amounts(bulk) == paid_amounts(single) != before
    assert all(row == (0, 0, 0) for row in paid_amounts(bulk))
    assert actions.fee_outstanding(bulk)[fee_bulk.pk][1] == 1_200
    for agreement in (bulk, single):
        assert Agreement.objects.get(pk=agreement.pk).balance_minor == ledger_sum(agreement) == 121_200
    for payment in payments[bulk.pk]:
        allocations = PaymentAllocation.objects.filter(entry__reverses=payment)
        assert sum(row.amount_minor for row in allocations) == payment.amount_minor
    events = AuditEvent.objects.filter(action="accounts.payment_reversed", object_id=str(bulk.pk)).order_by(
        "chain_seq"
    )
    assert sorted(event.reason for event in events) == [
        "Bacs reason 0: refer to payer",
        "Bacs reason B: account closed",
    ]
    balances = {
        event.after["entry"]: (event.before["balance_minor"], event.after["balance_minor"])
        for event in events
    }
    assert balances[reversal_ids[0]] == (102_200, 106_200)
    assert balances[reversal_ids[1]] == (106_200, 121_200)


def test_queries_do_not_grow_with_the_number_of_reversals(client_a):
    customer = make_customer(client_a)
    agreements = [make_agreement(customer) for _ in range(6)]
    payments = [pay(agreement, 10_000, date(2024, 2, 1)) for agreement in agreements]

    def reverse(chosen: list[LedgerEntry]) -> int:
        with CaptureQueriesContext(connection) as queries:
            actions.reverse_payments_in_bulk(
                reversals=[actions.PaymentToReverse(p.pk, "returned", date(2024, 2, 3)) for p in chosen],
                actor=SETUP,
            )
        return len(queries.captured_queries)

    assert reverse(payments[:1]) == reverse(payments[1:])
    assert LedgerEntry.objects.filter(kind="payment_reversal").count() == 6


def test_a_payment_already_reversed_or_named_twice_refuses_the_batch(client_a):
    customer = make_customer(client_a)
    first, second = make_agreement(customer), make_agreement(customer)
    one, two = pay(first, 10_000, date(2024, 2, 1)), pay(second, 10_000, date(2024, 2, 1))
    actions.reverse_payment(payment=one, actor=SETUP, reason="returned")
    before = snapshot()
    with pytest.raises(Refusal) as refused:
        actions.reverse_payments_in_bulk(
            reversals=[
                actions.PaymentToReverse(two.pk, "returned"),
                actions.PaymentToReverse(one.pk, "returned"),
            ],
            actor=SETUP,
        )
    assert refused.value.rule == "LEDGER-REVERSAL"
    with pytest.raises(Refusal):
        actions.reverse_payments_in_bulk(
            reversals=[
                actions.PaymentToReverse(two.pk, "returned"),
                actions.PaymentToReverse(two.pk, "again"),
            ],
            actor=SETUP,
        )
    with pytest.raises(InvalidInput, match="Only a payment"):
        fee = LedgerEntry.objects.filter(agreement=second, kind="drawdown").get()
        actions.reverse_payments_in_bulk(
            reversals=[actions.PaymentToReverse(fee.pk, "returned")], actor=SETUP
        )
    with pytest.raises(InvalidInput, match="Say why"):
        actions.reverse_payments_in_bulk(reversals=[actions.PaymentToReverse(two.pk, "  ")], actor=SETUP)
    assert snapshot() == before
    assert not LedgerEntry.objects.filter(reverses=two).exists()
