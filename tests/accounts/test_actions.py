"""Postings, payments, reversals, status moves and the set-based arrears recompute, through the actions."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.accounts import actions, rules
from fairpath.accounts.models import (
    Agreement,
    ArrearsState,
    BucketHistory,
    LedgerEntry,
    PaymentAllocation,
    ScheduleInstalment,
    StatusHistory,
)
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.actions import decide_approval
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db


def ledger_sum(agreement: Agreement) -> int:
    return LedgerEntry.objects.filter(agreement=agreement).aggregate(total=Sum("amount_minor"))["total"] or 0


def refreshed(agreement: Agreement) -> Agreement:
    return Agreement.objects.get(pk=agreement.pk)


def audit_actions(agreement: Agreement) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="accounts.agreement", object_id=str(agreement.pk))
        .order_by("chain_seq")
        .values_list("action", flat=True)
    )


@pytest.fixture
def loan(client_a):
    return make_agreement(make_customer(client_a))


def test_payment_is_allocated_oldest_due_first_with_fees_before_principal(loan):
    fee = actions.post_entry(
        agreement=loan, kind="fee", fee_type="late_payment", amount_minor=1_200, currency="GBP",
        posted_on=date(2024, 2, 5), actor=SETUP,
    )  # fmt: skip
    payment = actions.post_payment(
        agreement=loan, amount_minor=15_000, currency="GBP", received_on=date(2024, 3, 1), actor=SETUP
    )
    allocations = list(PaymentAllocation.objects.filter(entry=payment).order_by("id"))
    assert [(a.component, a.amount_minor) for a in allocations] == [
        ("principal", 10_000),  # January instalment (due 31 Jan) is oldest
        ("fee", 1_200),  # the fee charged 5 Feb
        ("principal", 3_800),  # towards February's instalment (due 29 Feb)
    ]
    assert allocations[1].fee_entry_id == fee.pk
    january, february = ScheduleInstalment.objects.filter(agreement=loan).order_by("sequence")[:2]
    assert (january.amount_paid_minor, february.amount_paid_minor) == (10_000, 3_800)
    assert refreshed(loan).balance_minor == 120_000 + 1_200 - 15_000 == ledger_sum(loan)
    assert audit_actions(loan)[-1] == "accounts.payment_posted"


def test_overpayment_pays_ahead_then_stays_unallocated(loan):
    payment = actions.post_payment(
        agreement=loan, amount_minor=125_000, currency="GBP", received_on=date(2024, 1, 15), actor=SETUP
    )
    rows = PaymentAllocation.objects.filter(entry=payment)
    assert sum(row.amount_minor for row in rows) == 125_000
    assert rows.get(component="unallocated").amount_minor == 5_000
    assert refreshed(loan).balance_minor == -5_000 == ledger_sum(loan)


def test_reversal_undoes_allocations_and_cannot_repeat(loan):
    payment = actions.post_payment(
        agreement=loan, amount_minor=10_000, currency="GBP", received_on=date(2024, 2, 1), actor=SETUP
    )
    actions.reverse_payment(
        payment=payment, actor=SETUP, reason="Direct debit returned", reversed_on=date(2024, 2, 3)
    )
    assert ScheduleInstalment.objects.filter(agreement=loan, amount_paid_minor__gt=0).count() == 0
    assert refreshed(loan).balance_minor == 120_000 == ledger_sum(loan)
    with pytest.raises(Refusal) as refused:
        actions.reverse_payment(payment=payment, actor=SETUP, reason="again")
    assert refused.value.rule == "LEDGER-REVERSAL"
    assert audit_actions(loan)[-1] == "accounts.payment_reversed"


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        ("payment", {"currency": "USD"}, "currency"),
        ("payment", {"amount_minor": -5}, "amount_minor"),
        ("fee", {"fee_type": "arrears_admin"}, "fee_type"),
        ("fee", {"amount_minor": 5_000}, "amount_minor"),
        ("adjustment", {"currency": "EUR"}, "currency"),
    ],
)
def test_bad_postings_are_refused_with_the_field_and_write_nothing(loan, kind, changes, field):
    before_entries, before_events = LedgerEntry.objects.count(), AuditEvent.objects.count()
    arguments = {"amount_minor": 1_000, "currency": "GBP", **changes}
    with pytest.raises(Refusal) as refused:
        if kind == "payment":
            actions.post_payment(agreement=loan, received_on=date(2024, 2, 1), actor=SETUP, **arguments)
        else:
            arguments.setdefault("fee_type", "late_payment")
            actions.post_entry(
                agreement=loan, kind=kind, posted_on=date(2024, 2, 1), actor=SETUP, **arguments
            )
    assert refused.value.field == field
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == (before_entries, before_events)
    assert refreshed(loan).balance_minor == 120_000


def test_unknown_product_and_negative_instalment_are_refused(client_a):
    customer = make_customer(client_a)
    with pytest.raises(InvalidInput) as refused:
        make_agreement(customer, product="mortgage")
    assert refused.value.field == "product"
    with pytest.raises(InvalidInput) as refused:
        make_agreement(customer, instalment_minor=-1)
    assert refused.value.field == "instalment_minor"
    assert not Agreement.objects.filter(customer=customer).exists()


def test_waiver_is_limited_to_the_fee_and_to_the_actors_authority(loan, user_factory, client_a):
    fee = actions.post_entry(
        agreement=loan, kind="fee", fee_type="late_payment", amount_minor=1_200, currency="GBP",
        posted_on=date(2024, 2, 5), actor=SETUP,
    )  # fmt: skip
    agent = user_factory("agent", client_a)
    with pytest.raises(InvalidInput):
        actions.post_manual_adjustment(
            agreement=loan, kind="waiver", amount_minor=1_300, currency="GBP", posted_on=date(2024, 2, 6),
            reason="goodwill", actor=agent, waives=fee,
        )  # fmt: skip
    actions.post_manual_adjustment(
        agreement=loan, kind="waiver", amount_minor=1_200, currency="GBP", posted_on=date(2024, 2, 6),
        reason="goodwill", actor=agent, waives=fee,
    )  # fmt: skip
    assert actions.fee_outstanding(loan)[fee.pk][1] == 0
    outcome = actions.post_manual_adjustment(  # an agent may write off nothing alone: a team leader decides
        agreement=loan, kind="write_off", amount_minor=100, currency="GBP", posted_on=date(2024, 2, 6),
        reason="small balance", actor=agent,
    )  # fmt: skip
    assert outcome.approval is not None and outcome.approval.required_role.code == "team_leader"
    assert refreshed(loan).balance_minor == 120_000 == ledger_sum(loan)
    leader = user_factory("team_leader", client_a)
    decide_approval(approval=outcome.approval, approve=True, actor=leader, reason="tidy small balance")
    written_off = LedgerEntry.objects.get(agreement=loan, kind="write_off")
    assert written_off.amount_minor == -100 and written_off.actor_label == leader.username
    assert refreshed(loan).balance_minor == 119_900 == ledger_sum(loan)


def test_ledger_rows_are_append_only(loan):
    entry = LedgerEntry.objects.filter(agreement=loan).first()
    entry.amount_minor = 1
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_the_database_refuses_to_edit_ledger_rows(loan):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(agreement=loan).update(amount_minor=1)
    assert refreshed(loan).balance_minor == ledger_sum(loan) == 120_000


def test_illegal_status_move_raises_the_named_error_and_writes_nothing(loan):
    history = StatusHistory.objects.filter(agreement=loan).count()
    with pytest.raises(rules.IllegalTransition):
        actions.change_status(agreement=loan, to_status="recoveries", actor=SETUP, reason="skip ahead")
    assert refreshed(loan).status == "up_to_date"
    assert StatusHistory.objects.filter(agreement=loan).count() == history


def test_no_fees_or_interest_during_breathing_space(loan):
    actions.change_status(agreement=loan, to_status="breathing_space", actor=SETUP, reason="BS registered")
    for kind in ("fee", "interest"):
        with pytest.raises(Refusal) as refused:
            actions.post_entry(
                agreement=loan, kind=kind, fee_type="late_payment", amount_minor=1_000, currency="GBP",
                posted_on=date(2024, 3, 1), actor=SETUP,
            )  # fmt: skip
        assert refused.value.rule == "BS-EFFECT"
    assert refreshed(loan).balance_minor == 120_000


def test_legal_status_move_writes_history_and_audit(loan):
    actions.change_status(agreement=loan, to_status="breathing_space", actor=SETUP, reason="BS registered")
    assert refreshed(loan).status == "breathing_space"
    last = StatusHistory.objects.filter(agreement=loan).last()
    assert (last.from_status, last.to_status, last.reason) == (
        "up_to_date",
        "breathing_space",
        "BS registered",
    )
    assert audit_actions(loan)[-1] == "accounts.status_changed"


# ----------------------------------------------------------------------------------------------------
# Any sequence of postings and payments keeps the balance equal to the ledger

operations = st.lists(
    st.one_of(
        st.tuples(st.just("payment"), st.integers(1, 40_000), st.integers(0, 400)),
        st.tuples(st.just("fee"), st.integers(1, 1_200), st.integers(0, 400)),
        st.tuples(st.just("interest"), st.integers(1, 5_000), st.integers(0, 400)),
        st.tuples(st.just("adjustment"), st.integers(-5_000, 5_000).filter(bool), st.integers(0, 400)),
        st.tuples(st.just("reverse"), st.integers(0, 10), st.integers(0, 400)),
    ),
    max_size=12,
)


def reference_arrears(schedule, as_of: date) -> tuple[int, int, int]:
    """Plainly: unpaid instalments due before the day, and days since the oldest of them."""
    late = [i for i in schedule if i.due_on < as_of and i.amount_paid_minor < i.amount_due_minor]
    if not late:
        return 0, 0, 0
    oldest = min(i.due_on for i in late)
    return sum(i.amount_due_minor - i.amount_paid_minor for i in late), len(late), (as_of - oldest).days


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_balance_always_equals_the_ledger_and_nothing_is_overpaid(client_a, steps):
    from datetime import timedelta

    agreement = make_agreement(make_customer(client_a))
    payments: list[LedgerEntry] = []
    for kind, amount, offset in steps:
        day = date(2024, 1, 1) + timedelta(days=offset)
        if kind == "payment":
            payments.append(
                actions.post_payment(
                    agreement=agreement, amount_minor=amount, currency="GBP", received_on=day, actor=SETUP
                )
            )
        elif kind == "reverse":
            if payments:
                payment = payments.pop(amount % len(payments))
                actions.reverse_payment(payment=payment, actor=SETUP, reason="returned", reversed_on=day)
        else:
            fee_type = "late_payment" if kind == "fee" else ""
            actions.post_entry(
                agreement=agreement, kind=kind, amount_minor=amount, currency="GBP", posted_on=day,
                actor=SETUP, fee_type=fee_type,
            )  # fmt: skip
    assert refreshed(agreement).balance_minor == ledger_sum(agreement)
    for instalment in ScheduleInstalment.objects.filter(agreement=agreement):
        assert 0 <= instalment.interest_paid_minor <= instalment.interest_due_minor
        assert 0 <= instalment.principal_paid_minor <= instalment.principal_due_minor
        assert (
            instalment.amount_paid_minor == instalment.interest_paid_minor + instalment.principal_paid_minor
        )
    for fee_id, (_, outstanding) in actions.fee_outstanding(agreement).items():
        assert outstanding >= 0, fee_id
    as_of = date(2024, 1, 1) + timedelta(days=max((offset for _, _, offset in steps), default=0) + 1)
    actions.recompute_arrears(client_ids=[client_a.id], as_of=as_of)
    state = ArrearsState.objects.get(agreement=agreement)
    schedule = ScheduleInstalment.objects.filter(agreement=agreement)
    assert (state.arrears_minor, state.missed_payments, state.days_past_due) == reference_arrears(
        schedule, as_of
    )
    for payment in LedgerEntry.objects.filter(agreement=agreement, kind="payment"):
        assert (
            sum(PaymentAllocation.objects.filter(entry=payment).values_list("amount_minor", flat=True))
            == -payment.amount_minor
        )


# ----------------------------------------------------------------------------------------------------
# Arrears recompute


def test_recompute_derives_arrears_buckets_and_status(loan, client_a):
    actions.post_payment(
        agreement=loan, amount_minor=10_000, currency="GBP", received_on=date(2024, 1, 30), actor=SETUP
    )
    summary = actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 3, 1))
    state = ArrearsState.objects.get(agreement=loan)
    assert (state.arrears_minor, state.missed_payments, state.days_past_due, state.bucket) == (
        10_000,
        1,
        1,
        "1-29",
    )
    assert state.oldest_unpaid_due_on == date(2024, 2, 29)
    assert refreshed(loan).status == "in_arrears"
    assert summary.status_changes == 1
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 5, 1))
    assert list(BucketHistory.objects.filter(agreement=loan).values_list("from_bucket", "to_bucket")) == [
        ("", "1-29"),
        ("1-29", "60-89"),
    ]
    actions.post_payment(
        agreement=loan, amount_minor=30_000, currency="GBP", received_on=date(2024, 5, 2), actor=SETUP
    )
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 5, 3))
    assert ArrearsState.objects.get(agreement=loan).bucket == "current"
    assert refreshed(loan).status == "up_to_date"
    assert BucketHistory.objects.filter(agreement=loan).count() == 3


def test_recompute_of_a_shard_leaves_the_rest_of_the_book_alone(loan, client_a):
    """The cycle recomputes each shard's arrears in the shard's transaction: the id range bounds it, and
    shards one by one end where the whole book at once does."""
    other = make_agreement(loan.customer)
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 3, 1), id_range=(loan.pk, loan.pk))
    assert list(ArrearsState.objects.values_list("agreement_id", flat=True)) == [loan.pk]
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 3, 1), id_range=(other.pk, other.pk))
    by_shard = sorted(ArrearsState.objects.values_list("agreement_id", "arrears_minor", "days_past_due"))
    assert actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 3, 1)).states_written == 0
    assert by_shard == sorted(
        ArrearsState.objects.values_list("agreement_id", "arrears_minor", "days_past_due")
    )
    assert [row[1] for row in by_shard] == [20_000, 20_000]


def test_recompute_is_idempotent(loan, client_a):
    first = actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 4, 2))
    history = BucketHistory.objects.count(), StatusHistory.objects.count(), AuditEvent.objects.count()
    second = actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 4, 2))
    assert first.states_written == 1 and second.states_written == 0
    assert (
        BucketHistory.objects.count(),
        StatusHistory.objects.count(),
        AuditEvent.objects.count(),
    ) == history


def test_recompute_rewrites_only_what_changed_and_dates_it(loan, client_a):
    """``as_of`` is the day a state's figures were last written: an unchanged state keeps its day."""
    actions.post_payment(
        agreement=loan, amount_minor=10_000, currency="GBP", received_on=date(2024, 1, 30), actor=SETUP
    )
    actions.post_payment(
        agreement=loan, amount_minor=10_000, currency="GBP", received_on=date(2024, 2, 28), actor=SETUP
    )
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 3, 1))
    paid_up = ArrearsState.objects.get(agreement=loan)
    assert (paid_up.bucket, paid_up.as_of) == ("current", date(2024, 3, 1))
    summary = actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 3, 15))
    assert summary.states_written == 0
    assert ArrearsState.objects.get(agreement=loan).as_of == date(2024, 3, 1)
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 4, 2))
    late = ArrearsState.objects.get(agreement=loan)
    assert (late.pk, late.as_of, late.missed_payments) == (paid_up.pk, date(2024, 4, 2), 1)


def test_recompute_leaves_other_clients_alone(loan, client_a, client_b):
    other = make_agreement(make_customer(client_b))
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 4, 2))
    assert ArrearsState.objects.filter(agreement=loan).exists()
    assert not ArrearsState.objects.filter(agreement=other).exists()


def _recompute_queries(client, count: int, as_of: date) -> int:
    customer = make_customer(client)
    for _ in range(count):
        make_agreement(customer)
    with CaptureQueriesContext(connection) as captured:
        actions.recompute_arrears(client_ids=[client.id], as_of=as_of)
    return len(captured.captured_queries)


def test_recompute_is_set_based(client_a, client_b):
    few = _recompute_queries(client_a, 2, date(2024, 4, 2))
    many = _recompute_queries(client_b, 40, date(2024, 4, 2))
    assert many == few
    # Two months on, every state moved and new agreements came: rewritten in place and inserted, in as
    # many statements for 2 + 60 agreements as for 40 + 3.
    later_few = _recompute_queries(client_a, 60, date(2024, 6, 2))
    later_many = _recompute_queries(client_b, 3, date(2024, 6, 2))
    assert later_few == later_many
