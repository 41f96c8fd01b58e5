"""UK-NOSIA-LATE found after the fact: a late period recorded once the days are past (a notice that should
have gone was sent late) leaves no interest or fee charged for its days. The cycle reverses them the way it
reverses charges for a backdated breathing space (one helper for both, BS-EFFECT), naming UK-NOSIA-LATE,
once: a day run twice, or a later day, reverses nothing more, and a day covered by both is reversed once.

A notice the cycle finds already late the day a charge falls due stops that charge the same day: a shard
decides the day's notices before its postings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.accounts.models import Agreement, LedgerEntry
from fairpath.collections import actions, cycle
from fairpath.collections.models import NoticeDue
from fairpath.communications.models import NosiaLatePeriod, OutboundMessage
from tests.collections.test_cycle_charges import send_its_notice_in_time
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement

pytestmark = pytest.mark.django_db

STATEMENT = date(2024, 3, 31)


def make_card(client):  # noqa: ANN001, ANN201
    return make_uk_agreement(client, product="credit_card", rate_bp=2400, credit_limit_minor=500_000)


def record_late_period(loan, starts_on: date, ends_on: date | None) -> None:  # noqa: ANN001
    NosiaLatePeriod.objects.create(
        client_id=loan.client_id, agreement=loan, notice_type="nosia_fs", trigger_on=starts_on - timedelta(14),
        starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip


def share(amount: int, covered: int, days: int) -> int:
    """The part of a charge for ``covered`` of its ``days``, rounded in the customer's favour."""
    return -(-amount * covered // days)


def reversals(loan) -> list[tuple[str, int, str]]:  # noqa: ANN001
    """The cycle's reversals of charges (not payments returned)."""
    return list(
        LedgerEntry.objects.filter(agreement=loan, reverses__isnull=False, reference__startswith="cycle:")
        .order_by("id")
        .values_list("kind", "amount_minor", "reference")
    )


def state_of(loan) -> dict[str, object]:  # noqa: ANN001
    """What a day's run can change for one agreement: ledger, balance, notices, late periods, letters."""
    return {
        "ledger": sorted(
            LedgerEntry.objects.filter(agreement=loan).values_list("id", "kind", "amount_minor", "reference")
        ),
        "balance": Agreement.objects.get(pk=loan.pk).balance_minor,
        "notices": sorted(
            NoticeDue.objects.filter(agreement=loan).values_list("id", "rule", "status", "send_by", "sent_on")
        ),
        "late": sorted(
            NosiaLatePeriod.objects.filter(agreement=loan).values_list("id", "starts_on", "ends_on")
        ),
        "letters": OutboundMessage.objects.filter(agreement=loan).count(),
    }


@pytest.mark.parametrize("close_day", [True, False])
def test_a_notice_found_late_on_the_statement_day_stops_that_days_interest(client_a, close_day):
    """The card's first cycle runs on its 31 March statement day and finds its NOSIA-RA due since 29 February,
    last day 29 March: late for 30 and 31 March. The notice is decided before the day's charges, so no
    interest is posted that day (it used to be posted and 2/31 of it given back only the next day). With the
    day's end the notice goes and its late period (30-31 March) is recorded; without it (a print house sends
    letters itself) it stays pending past its last day. Either way running the day again changes nothing
    and the next day has nothing to give back."""
    card = make_card(client_a)
    balance = Agreement.objects.get(pk=card.pk).balance_minor
    first = cycle.run_cycle(run_date=STATEMENT, close_day=close_day)
    assert not LedgerEntry.objects.filter(agreement=card, kind="interest").exists()
    assert Agreement.objects.get(pk=card.pk).balance_minor == balance and first.postings == 0
    notice = NoticeDue.objects.get(agreement=card, rule="UK-NOSIA-RA")
    assert notice.send_by == date(2024, 3, 29)
    late = list(NosiaLatePeriod.objects.filter(agreement=card).values_list("starts_on", "ends_on"))
    assert late == ([(date(2024, 3, 30), STATEMENT)] if close_day else [])
    assert notice.status == ("sent" if close_day else "pending")

    before = state_of(card)
    again = cycle.run_cycle(run_date=STATEMENT, rerun=True, close_day=close_day)
    assert state_of(card) == before
    assert (again.postings, again.notices) == (0, 0)
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1), close_day=close_day)
    assert reversals(card) == []


def test_a_late_fee_falling_due_the_day_a_notice_is_found_late_is_not_charged(client_a, client_b):
    """A loan first run on 1 April (January to March missed): March's late fee falls due that day, and its
    NOSIA-FS, due since 29 February with 13 March its last day, is found late - no fee. The same loan whose
    notice went in time (its client's cycle ran on 1 March) is charged its fee on 1 April."""
    late = make_uk_agreement(client_a)
    in_time = make_uk_agreement(client_b)
    cycle.run_cycle(run_date=date(2024, 3, 1), client=client_b)
    april = date(2024, 4, 1)
    cycle.run_cycle(run_date=april)
    assert NoticeDue.objects.get(agreement=late, rule="UK-NOSIA-FS").send_by == date(2024, 3, 13)
    assert not LedgerEntry.objects.filter(agreement=late, kind="fee").exists()
    assert LedgerEntry.objects.filter(agreement=in_time, kind="fee", posted_on=april).exists()
    before = state_of(late)
    cycle.run_cycle(run_date=april, rerun=True)
    assert state_of(late) == before


def test_charges_of_days_a_notice_found_late_today_covers_are_given_back_today(client_a):
    """The card paid January and February, so its 31 March statement carried interest with no notice due.
    On 3 April both payments come back (returned direct debits): the NOSIA-RA was due since 29 February,
    last day 29 March, so 30 March onwards was late. The cycle of 3 April finds the notice and, the same day,
    gives back 2/31 of March's interest and charges no fee for March's missed instalment; running the day
    again, or the next day, gives back nothing more."""
    from fairpath.accounts import actions as account_actions

    card = make_card(client_a)
    payments = [
        account_actions.post_payment(
            agreement=card, amount_minor=10_000, currency="GBP", received_on=day, actor=SETUP
        )
        for day in (date(2024, 1, 30), date(2024, 2, 28))
    ]
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    assert not NoticeDue.objects.filter(agreement=card).exists()
    returned = date(2024, 4, 3)
    for payment in payments:
        account_actions.reverse_payment(payment=payment, actor=SETUP, reason="returned", reversed_on=returned)
    cycle.run_cycle(run_date=returned)
    assert NoticeDue.objects.get(agreement=card, rule="UK-NOSIA-RA").send_by == date(2024, 3, 29)
    expected = [("adjustment", -share(interest.amount_minor, 2, 31), f"cycle:nosia-late:{interest.pk}")]
    assert reversals(card) == expected
    assert LedgerEntry.objects.get(reverses=interest).posted_on == returned
    assert not LedgerEntry.objects.filter(agreement=card, kind="fee").exists()
    cycle.run_cycle(run_date=returned, rerun=True)
    cycle.run_cycle(run_date=returned + timedelta(days=1))
    assert reversals(card) == expected


def test_a_late_period_recorded_later_gives_back_its_days(client_a):
    """The card's own notice went in time; a late period of 14-20 March (another notice sent late) recorded
    after the statement, before the next day's run: 7 of the 31 days given back, once."""
    card = make_card(client_a)
    send_its_notice_in_time()
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    record_late_period(card, date(2024, 3, 14), date(2024, 3, 20))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1), rerun=True)
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=2))
    assert reversals(card) == [
        ("adjustment", -share(interest.amount_minor, 7, 31), f"cycle:nosia-late:{interest.pk}")
    ]
    [reversal] = LedgerEntry.objects.filter(reverses=interest)
    assert "UK-NOSIA-LATE" in reversal.description and "7 of 31 days" in reversal.description


def test_a_late_fee_charged_on_a_day_of_a_late_period_is_waived(client_a):
    loan = make_uk_agreement(client_a)  # February's instalment missed 29 February
    cycle.run_cycle(run_date=date(2024, 3, 5))
    fee = LedgerEntry.objects.get(agreement=loan, kind="fee", reference__startswith="cycle:late:")
    record_late_period(loan, date(2024, 3, 1), None)  # still late: open period
    cycle.run_cycle(run_date=date(2024, 3, 6), close_day=False)
    assert reversals(loan) == [("waiver", -fee.amount_minor, f"cycle:nosia-late:{fee.pk}")]
    waiver = LedgerEntry.objects.get(reverses=fee)
    assert "UK-NOSIA-LATE" in waiver.description


def test_a_charge_outside_the_late_period_stands(client_a):
    loan = make_uk_agreement(client_a)
    cycle.run_cycle(run_date=date(2024, 3, 5))  # the late fee; the NOSIA-FS goes in time (by 13 March)
    record_late_period(loan, date(2024, 2, 1), date(2024, 2, 20))
    cycle.run_cycle(run_date=date(2024, 3, 6))
    assert reversals(loan) == []


def test_days_in_both_a_breathing_space_and_a_late_period_are_reversed_once(client_a):
    """A breathing space from 21 March (11 days of March) reversed first under BS-EFFECT; a late period of
    14-25 March found the day after adds only its days outside the breathing space (14-20: 7 days) under
    UK-NOSIA-LATE. Together 18 of 31 days, never more than the interest charged."""
    card = make_card(client_a)
    send_its_notice_in_time()
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    actions.start_breathing_space(agreement=card, entered_on=date(2024, 3, 20), actor=SETUP)
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))
    record_late_period(card, date(2024, 3, 14), date(2024, 3, 25))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=2))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=3))
    found = {reference.split(":")[1]: -amount for _, amount, reference in reversals(card)}
    bs_share = share(interest.amount_minor, 11, 31)
    both = share(interest.amount_minor, 18, 31)
    assert found == {"bs-effect": bs_share, "nosia-late": both - bs_share}
    assert sum(found.values()) <= interest.amount_minor


def test_a_late_period_recorded_first_then_a_breathing_space_over_the_same_days_adds_nothing(client_a):
    card = make_card(client_a)
    send_its_notice_in_time()
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    record_late_period(card, date(2024, 3, 14), None)
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1), close_day=False)
    actions.start_breathing_space(agreement=card, entered_on=date(2024, 3, 20), actor=SETUP)
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=2), close_day=False)
    found = reversals(card)
    assert [reference.split(":")[1] for *_, reference in found] == ["nosia-late"]
    assert -found[0][1] == share(interest.amount_minor, 18, 31)  # 14-31 March


def test_a_late_period_found_long_after_a_breathing_space_was_given_back_counts_shared_days_once(client_a):
    """A breathing space of 21-25 March and a late period of 30-31 March given back on 1 April and long
    settled; a late period of 20-27 March found in May: only 20, 26 and 27 March are new - the days the
    breathing space already gave back are not given back again, although that breathing space is no longer
    looked at on its own - and the second reversal under UK-NOSIA-LATE carries its date."""
    from datetime import UTC, datetime

    from fairpath.collections.models import Hold

    card = make_card(client_a)
    send_its_notice_in_time()
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    Hold.objects.create(
        client_id=card.client_id, agreement=card, kind="breathing_space", starts_on=date(2024, 3, 21),
        ends_on=date(2024, 3, 25), created_by="test",
    )  # fmt: skip
    record_late_period(card, date(2024, 3, 30), STATEMENT)
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))
    first = {reference: -amount for _, amount, reference in reversals(card)}
    assert first == {
        f"cycle:bs-effect:{interest.pk}": share(interest.amount_minor, 5, 31),
        # the 7 days rounded once, not each rule's share rounded up
        f"cycle:nosia-late:{interest.pk}": share(interest.amount_minor, 7, 31)
        - share(interest.amount_minor, 5, 31),
    }
    long_ago = datetime(2024, 4, 1, 12, tzinfo=UTC)
    Hold.objects.filter(agreement=card).update(created_at=long_ago)
    NosiaLatePeriod.objects.filter(agreement=card).update(created_at=long_ago)
    record_late_period(card, date(2024, 3, 20), date(2024, 3, 27))
    may = date(2024, 5, 10)
    cycle.run_cycle(run_date=may, close_day=False)
    later = {reference: -amount for _, amount, reference in reversals(card) if reference not in first}
    union = 8 + 2  # 20-27 and 30-31 March
    expected = share(interest.amount_minor, union, 31) - sum(first.values())
    assert later == {f"cycle:nosia-late:{interest.pk}:{may:%Y%m%d}": expected}
    assert sum(first.values()) + expected <= interest.amount_minor


def payable_on_late_days(loan, *, as_of: date) -> int:  # noqa: ANN001
    """The cycle's fees and interest posted on a day of a NOSIA late period (recorded, or a pending notice
    past its last day), net of what was given back for them."""
    periods = [
        (starts_on, ends_on or as_of)
        for starts_on, ends_on in NosiaLatePeriod.objects.filter(agreement=loan).values_list(
            "starts_on", "ends_on"
        )
    ] + [
        (send_by + timedelta(days=1), as_of)
        for send_by in NoticeDue.objects.filter(
            agreement=loan, rule__startswith="UK-NOSIA", status="pending"
        ).values_list("send_by", flat=True)
    ]
    total = 0
    for entry in LedgerEntry.objects.filter(
        agreement=loan, kind__in=("fee", "interest"), reference__startswith="cycle:"
    ):
        if any(start <= entry.posted_on <= end for start, end in periods):
            given_back = LedgerEntry.objects.filter(reverses=entry).values_list("amount_minor", flat=True)
            total += entry.amount_minor + sum(given_back)
    return total


FIRST_DAYS = st.one_of(
    st.sampled_from([STATEMENT, date(2024, 4, 1), date(2024, 3, 14), date(2024, 4, 30)]),
    st.dates(min_value=date(2024, 2, 27), max_value=date(2024, 5, 5)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first_day=FIRST_DAYS, close_day=st.booleans())
def test_no_charge_stays_payable_for_a_day_a_notice_was_late(client_a, first_day, close_day):
    """UK-NOSIA-LATE, whatever day the cycle first runs on (a card and a loan, January onwards unpaid) and
    whether or not the day's end sends the notices: no fee or interest posted on a day a notice was late
    stays payable, and running the first day again changes nothing."""
    with transaction.atomic():
        card, loan = make_card(client_a), make_uk_agreement(client_a)
        cycle.run_cycle(run_date=first_day, close_day=close_day)
        for agreement in (card, loan):
            assert payable_on_late_days(agreement, as_of=first_day) == 0
        before = [state_of(card), state_of(loan)]
        cycle.run_cycle(run_date=first_day, rerun=True, close_day=close_day)
        assert [state_of(card), state_of(loan)] == before
        next_day = first_day + timedelta(days=1)
        cycle.run_cycle(run_date=next_day, close_day=close_day)
        for agreement in (card, loan):
            assert payable_on_late_days(agreement, as_of=next_day) == 0
        transaction.set_rollback(True)
