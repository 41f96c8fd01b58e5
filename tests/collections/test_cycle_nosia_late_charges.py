"""UK-NOSIA-LATE found after the fact: a late period recorded once the days are past (a notice that should
have gone was sent late) leaves no interest or fee charged for its days. The cycle reverses them the way it
reverses charges for a backdated breathing space (one helper for both, BS-EFFECT), naming UK-NOSIA-LATE,
once: a day run twice, or a later day, reverses nothing more, and a day covered by both is reversed once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairpath.accounts.models import Agreement, LedgerEntry
from fairpath.collections import actions, cycle
from fairpath.communications.models import NosiaLatePeriod
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
    return list(
        LedgerEntry.objects.filter(agreement=loan, reverses__isnull=False)
        .order_by("id")
        .values_list("kind", "amount_minor", "reference")
    )


def test_interest_charged_the_morning_a_notice_turned_out_late_is_reversed_the_next_day(client_a):
    """The card's NOSIA-RA was due by 29 March; the cycle of 31 March posts the month's interest, then finds
    the notice due and sends it at the end of the day: late for 30-31 March. The next day 2/31 of the
    interest is reversed naming UK-NOSIA-LATE (rounded in the customer's favour), once."""
    card = make_card(client_a)
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    assert list(NosiaLatePeriod.objects.filter(agreement=card).values_list("starts_on", "ends_on")) == [
        (date(2024, 3, 30), STATEMENT)
    ]
    balance = Agreement.objects.get(pk=card.pk).balance_minor
    summary = cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1), rerun=True)
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=2))
    expected = share(interest.amount_minor, 2, 31)
    [reversal] = LedgerEntry.objects.filter(agreement=card, reverses=interest)
    assert (reversal.kind, reversal.amount_minor, reversal.reference) == (
        "adjustment",
        -expected,
        f"cycle:nosia-late:{interest.pk}",
    )
    assert "UK-NOSIA-LATE" in reversal.description and "2 of 31 days" in reversal.description
    fees = LedgerEntry.objects.filter(agreement=card, kind="fee", posted_on__gt=STATEMENT)  # April's late fee
    assert (
        Agreement.objects.get(pk=card.pk).balance_minor
        == balance + sum(f.amount_minor for f in fees) - expected
    )
    assert summary.postings >= 1


def test_a_late_period_recorded_later_adds_its_days_to_the_reversal(client_a):
    """A late period of 14-20 March recorded before the next day's run: 7 more days, 9 of 31 in all."""
    card = make_card(client_a)
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    record_late_period(card, date(2024, 3, 14), date(2024, 3, 20))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=2))
    assert reversals(card) == [
        ("adjustment", -share(interest.amount_minor, 9, 31), f"cycle:nosia-late:{interest.pk}")
    ]


def test_a_notice_still_unsent_after_its_last_day_counts_as_late_for_charges_already_posted(client_a):
    """Without the day's sending (a print house sends letters itself), the NOSIA-RA stays pending past its
    last day: the days since count as late, as they do for the freeze (``is_nosia_late``)."""
    card = make_card(client_a)
    cycle.run_cycle(run_date=STATEMENT, close_day=False)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1), close_day=False)
    assert reversals(card) == [
        ("adjustment", -share(interest.amount_minor, 2, 31), f"cycle:nosia-late:{interest.pk}")
    ]


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
    """A breathing space from 21 March (11 days of March) reversed first under BS-EFFECT (the card's own
    late notice of 30-31 March falls inside it: nothing more); a late period of 14-25 March found the day
    after adds only its days outside the breathing space (14-20: 7 days) under UK-NOSIA-LATE. Together 18 of
    31 days, never more than the interest charged."""
    card = make_card(client_a)
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
    """A breathing space of 21-25 March given back on 1 April and long settled; a late period of 20-27 March
    found in May: only 20, 26 and 27 March are new - the days the breathing space already gave back are not
    given back again, although that breathing space is no longer looked at on its own."""
    from datetime import UTC, datetime

    from fairpath.collections.models import Hold

    card = make_card(client_a)
    cycle.run_cycle(run_date=STATEMENT)
    interest = LedgerEntry.objects.get(agreement=card, kind="interest")
    Hold.objects.create(
        client_id=card.client_id, agreement=card, kind="breathing_space", starts_on=date(2024, 3, 21),
        ends_on=date(2024, 3, 25), created_by="test",
    )  # fmt: skip
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))
    first = {reference: -amount for _, amount, reference in reversals(card)}
    assert first == {
        f"cycle:bs-effect:{interest.pk}": share(interest.amount_minor, 5, 31),
        # the card's own late notice, 30-31 March: the 7 days rounded once, not each rule's share rounded up
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
