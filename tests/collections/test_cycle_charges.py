"""What the daily cycle charges: no interest or fees in a breathing space (BS-EFFECT), a debt-advice hold
(UK-ADVICE-HOLD), a NOSIA-late period (UK-NOSIA-LATE) or a freeze; interest already posted for days that a
breathing space recorded later covers is reversed by a ledger adjustment naming BS-EFFECT."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairpath.accounts.models import Agreement, LedgerEntry
from fairpath.collections import actions, cycle, rules
from fairpath.communications.models import NosiaLatePeriod
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement

STATEMENT = date(2024, 3, 31)  # a card's statement day (its first due day is the 31st)


def make_card(client):  # noqa: ANN001, ANN201
    """A credit card at 24% a year on a £1,200 balance: £24.00 monthly interest (balance x 2400 / 120000)."""
    return make_uk_agreement(client, product="credit_card", rate_bp=2400, credit_limit_minor=500_000)


def send_its_notice_in_time() -> None:
    """The cycle of 1 March: January and February missed, the card's NOSIA-RA (due by 29 March) is raised and
    sent that day, in time - so the 31 March statement is not in a late period (UK-NOSIA-LATE) and carries
    interest. (A first run on 31 March would find the notice already late and post no interest.)"""
    cycle.run_cycle(run_date=date(2024, 3, 1))


def cycle_interest(loan):  # noqa: ANN001, ANN201
    return LedgerEntry.objects.filter(agreement=loan, kind="interest", reference__startswith="cycle:")


def late_fees(loan):  # noqa: ANN001, ANN201
    return LedgerEntry.objects.filter(agreement=loan, kind="fee", reference__startswith="cycle:late:")


def open_late_period(loan, starts_on: date) -> None:  # noqa: ANN001
    NosiaLatePeriod.objects.create(
        client_id=loan.client_id,
        agreement=loan,
        notice_type="nosia_fs",
        trigger_on=starts_on,
        starts_on=starts_on,
    )


@pytest.mark.django_db
def test_interest_is_posted_on_the_statement_day_of_a_running_account(client_a):
    card = make_card(client_a)
    send_its_notice_in_time()
    balance = Agreement.objects.get(pk=card.pk).balance_minor
    cycle.run_cycle(run_date=STATEMENT)
    entry = cycle_interest(card).get()
    assert entry.amount_minor == balance * 2400 // 120_000
    assert Agreement.objects.get(pk=card.pk).balance_minor == balance + entry.amount_minor


@pytest.mark.django_db
def test_bs_effect_no_interest_during_a_breathing_space(client_a):
    card = make_card(client_a)
    actions.start_breathing_space(agreement=card, entered_on=STATEMENT - timedelta(days=5), actor=SETUP)
    cycle.run_cycle(run_date=STATEMENT)
    assert not cycle_interest(card).exists()


@pytest.mark.django_db
def test_uk_advice_hold_no_interest_or_fees(client_a):
    """UK-ADVICE-HOLD: 30 days from 4 March cover the 5 March fee run and the 31 March statement."""
    card = make_card(client_a)
    loan = make_uk_agreement(client_a)  # January and February missed
    for agreement in (card, loan):
        actions.start_advice_hold(
            agreement=agreement, starts_on=date(2024, 3, 4), actor=SETUP, reason="adviser"
        )
    cycle.run_cycle(run_date=date(2024, 3, 5))
    cycle.run_cycle(run_date=STATEMENT)
    assert not cycle_interest(card).exists()
    assert not late_fees(loan).exists()


@pytest.mark.django_db
def test_uk_nosia_late_no_interest_or_fees_while_a_notice_is_late(client_a):
    card = make_card(client_a)
    loan = make_uk_agreement(client_a)
    control = make_uk_agreement(client_a)  # the same loan without a late period is charged its late fee
    open_late_period(card, date(2024, 3, 1))
    open_late_period(loan, date(2024, 2, 1))
    cycle.run_cycle(run_date=date(2024, 3, 5), close_day=False)
    cycle.run_cycle(run_date=STATEMENT, close_day=False)
    assert not cycle_interest(card).exists()
    assert not late_fees(loan).exists()
    assert late_fees(control).exists()


@pytest.mark.django_db
def test_a_freeze_posts_no_interest(client_a):
    """Forbearance (a freeze of charges) as the agreement's status: nothing is charged."""
    card = make_card(client_a)
    Agreement.objects.filter(pk=card.pk).update(status="forbearance")
    cycle.run_cycle(run_date=STATEMENT)
    assert not cycle_interest(card).exists()


@pytest.mark.django_db
def test_bs_effect_interest_posted_before_a_backdated_breathing_space_is_reversed(client_a):
    """BS-EFFECT: a breathing space recorded after the statement, starting 21 March, covers 11 of the 31
    days (1 to 31 March) the March interest was charged for: that share is reversed, once, naming the rule."""
    card = make_card(client_a)
    send_its_notice_in_time()
    cycle.run_cycle(run_date=STATEMENT)
    interest = cycle_interest(card).get()
    actions.start_breathing_space(agreement=card, entered_on=date(2024, 3, 20), actor=SETUP)
    balance = Agreement.objects.get(pk=card.pk).balance_minor
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=1))  # the same date again: nothing more
    cycle.run_cycle(run_date=STATEMENT + timedelta(days=2))  # nor the next day
    reversal = LedgerEntry.objects.get(agreement=card, reference=f"cycle:bs-effect:{interest.pk}")
    expected = -(-interest.amount_minor * 11 // 31)
    assert (reversal.kind, reversal.amount_minor, reversal.reverses_id) == (
        "adjustment",
        -expected,
        interest.pk,
    )
    assert "BS-EFFECT" in reversal.description
    assert Agreement.objects.get(pk=card.pk).balance_minor == balance - expected
    # April's statement falls inside the breathing space: no interest for it
    cycle.run_cycle(run_date=date(2024, 4, 30))
    assert cycle_interest(card).count() == 1


@pytest.mark.django_db
def test_bs_effect_late_fee_posted_on_a_day_a_backdated_breathing_space_covers_is_waived(client_a):
    loan = make_uk_agreement(client_a)  # February's instalment missed 29 February
    cycle.run_cycle(run_date=date(2024, 3, 5))
    fee = late_fees(loan).get()
    actions.start_breathing_space(agreement=loan, entered_on=date(2024, 3, 1), actor=SETUP)
    cycle.run_cycle(run_date=date(2024, 3, 6))
    waiver = LedgerEntry.objects.get(agreement=loan, reference=f"cycle:bs-effect:{fee.pk}")
    assert (waiver.kind, waiver.amount_minor, waiver.reverses_id) == ("waiver", -fee.amount_minor, fee.pk)
    assert "BS-EFFECT" in waiver.description


@given(
    first=st.dates(date(2024, 1, 1), date(2024, 12, 31)),
    length=st.integers(0, 60),
    holds=st.lists(
        st.tuples(st.dates(date(2023, 12, 1), date(2025, 1, 31)), st.one_of(st.none(), st.integers(0, 90))),
        max_size=3,
    ),
)
def test_days_covered_never_exceeds_the_period_and_matches_a_day_by_day_count(first, length, holds):
    """BS-EFFECT share: days of the period inside any period, counted once even where periods overlap."""
    last = first + timedelta(days=length)
    periods = [(start, None if span is None else start + timedelta(days=span)) for start, span in holds]
    covered = rules.days_covered(first, last, periods)
    assert 0 <= covered <= length + 1
    expected = sum(
        1
        for offset in range(length + 1)
        if any(
            start <= first + timedelta(days=offset) and (end is None or first + timedelta(days=offset) <= end)
            for start, end in periods
        )
    )
    assert covered == expected
