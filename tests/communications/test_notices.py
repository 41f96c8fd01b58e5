"""Statutory notices as PDF letters: UK-NOSIA-FS (weekly 4-payment trigger, 6-month repeat), UK-NOSIA-RA,
UK-NOSIA-LATE (late periods for the engine, enforcement blocked), UK-DEFAULT (remedy date, termination
blocked before it) and US-VALIDATION (end date printed)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairpath.accounts.actions import recompute_arrears
from fairpath.accounts.models import Address
from fairpath.collections import actions as collections_actions
from fairpath.communications import notices, rules
from fairpath.communications.models import NosiaLatePeriod, OutboundMessage, StatutoryNotice
from fairpath.core.errors import Refusal
from tests.factories import SETUP
from tests.factories.accounts import make_agreement
from tests.factories.collections import make_uk_agreement, make_us_agreement


def set_address_current(agreement, is_current):
    """Test set-up: the customer's address is (not) current."""
    for address in Address.objects.filter(customer_id=agreement.customer_id):
        address.is_current = is_current
        address.save()


def recompute(client, on):
    recompute_arrears(client_ids=[client.pk], as_of=on, actor=SETUP)


def raise_on(client, on, capture):
    recompute(client, on)
    with capture(execute=True):
        return notices.raise_statutory_notices(as_of=on, actor=SETUP)


def test_nosia_fs_on_the_second_missed_payment_as_a_pdf_letter(client_a, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)  # £100 monthly from 31 Jan 2024, nothing paid
    assert raise_on(client_a, date(2024, 2, 28), django_capture_on_commit_callbacks).issued == []
    outcome = raise_on(client_a, date(2024, 2, 29), django_capture_on_commit_callbacks)
    [notice] = outcome.issued
    assert (notice.agreement_id, notice.notice_type) == (agreement.pk, "nosia_fs")
    assert (notice.trigger_on, notice.due_by, notice.sent_on) == (
        date(2024, 2, 29),
        date(2024, 3, 13),
        date(2024, 2, 29),
    )
    message = OutboundMessage.objects.get(pk=notice.message_id)
    assert (
        message.status == "sent" and message.purpose == "statutory" and message.decision_rule == "UK-NOSIA-FS"
    )
    assert "NOTICE OF SUMS IN ARREARS" in message.body and "29 February 2024" in message.body
    with message.document.open("rb") as document:
        assert document.read(5) == b"%PDF-"
    assert notices.nosia_late_periods([agreement.pk]) == {}


def test_the_cycle_step_is_idempotent_and_repeats_after_six_months(
    client_a, django_capture_on_commit_callbacks
):
    make_uk_agreement(client_a)
    raise_on(client_a, date(2024, 2, 29), django_capture_on_commit_callbacks)
    assert raise_on(client_a, date(2024, 2, 29), django_capture_on_commit_callbacks).issued == []
    assert raise_on(client_a, date(2024, 8, 28), django_capture_on_commit_callbacks).issued == []
    [repeat] = raise_on(client_a, date(2024, 8, 29), django_capture_on_commit_callbacks).issued
    assert (repeat.trigger_on, repeat.due_by) == (date(2024, 2, 29), date(2024, 8, 29))
    assert StatutoryNotice.objects.count() == 2


def test_weekly_agreements_trigger_on_the_fourth_missed_payment(client_a, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(
        client_a,
        frequency="weekly",
        instalment_minor=2_500,
        first_due_on=date(2024, 1, 5),
        term_instalments=20,
    )
    assert raise_on(client_a, date(2024, 1, 19), django_capture_on_commit_callbacks).issued == []
    [notice] = raise_on(client_a, date(2024, 1, 26), django_capture_on_commit_callbacks).issued
    assert notice.agreement_id == agreement.pk and notice.trigger_on == date(2024, 1, 26)


def test_nosia_ra_for_a_card_after_two_missed_payments(client_a, django_capture_on_commit_callbacks):
    customer = make_uk_agreement(client_a).customer
    schedule = [(date(2024, month, 15), 0, 2_500) for month in range(1, 7)]
    card = make_agreement(
        customer, product="credit_card", term_instalments=None, credit_limit_minor=300_000, schedule=schedule,
        instalment_minor=2_500, end_on=None,
    )  # fmt: skip
    outcome = raise_on(client_a, date(2024, 2, 20), django_capture_on_commit_callbacks)
    [ra] = [notice for notice in outcome.issued if notice.agreement_id == card.pk]
    assert (ra.notice_type, ra.trigger_on, ra.due_by) == ("nosia_ra", date(2024, 2, 15), date(2024, 3, 15))


def test_a_late_notice_records_the_late_period(client_a, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)
    [notice] = raise_on(client_a, date(2024, 4, 20), django_capture_on_commit_callbacks).issued
    assert notice.due_by == date(2024, 3, 13)
    assert notices.nosia_late_periods([agreement.pk]) == {
        agreement.pk: [(date(2024, 3, 14), date(2024, 4, 20))]
    }
    periods = notices.nosia_late_periods([agreement.pk])[agreement.pk]
    assert notices.is_within_late_period(periods, date(2024, 3, 14))
    assert not notices.is_within_late_period(periods, date(2024, 4, 21))


def test_a_refused_notice_past_its_day_leaves_an_open_late_period_until_sent(
    client_a, django_capture_on_commit_callbacks
):
    agreement = make_uk_agreement(client_a)
    set_address_current(agreement, False)  # nowhere to post it: statutory letters flow through every hold
    outcome = raise_on(client_a, date(2024, 3, 14), django_capture_on_commit_callbacks)
    assert outcome.issued == [] and outcome.refused == {agreement.pk: "CONTACT-NO-ADDRESS"}
    assert OutboundMessage.objects.count() == 0
    assert notices.nosia_late_periods([agreement.pk]) == {agreement.pk: [(date(2024, 3, 14), None)]}
    # still late the next day: one open period, not two
    raise_on(client_a, date(2024, 3, 15), django_capture_on_commit_callbacks)
    assert NosiaLatePeriod.objects.count() == 1
    set_address_current(agreement, True)
    [notice] = raise_on(client_a, date(2024, 5, 2), django_capture_on_commit_callbacks).issued
    assert notices.nosia_late_periods([agreement.pk]) == {
        agreement.pk: [(date(2024, 3, 14), date(2024, 5, 2))]
    }


def test_breathing_space_keeps_statutory_notices_flowing(client_a, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)
    collections_actions.start_breathing_space(agreement=agreement, entered_on=date(2024, 2, 20), actor=SETUP)
    assert len(raise_on(client_a, date(2024, 2, 29), django_capture_on_commit_callbacks).issued) == 1


def test_default_notice_remedy_date_and_termination_block(client_a, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)
    recompute(client_a, date(2024, 3, 28))
    assert notices.termination_blocked_until(agreement) is None
    with pytest.raises(Refusal) as refused:
        notices.check_termination_allowed(agreement=agreement, on=date(2024, 3, 28))
    assert refused.value.rule == "UK-DEFAULT"
    with django_capture_on_commit_callbacks(execute=True):
        notice = notices.issue_default_notice(agreement=agreement, on=date(2024, 3, 28), actor=SETUP)
    # posted Thursday before Easter: served Wednesday 3 April, remedy by 17 April
    assert (notice.service_on, notice.remedy_by) == (date(2024, 4, 3), date(2024, 4, 17))
    assert notice.remedy_amount_minor == 20_000
    body = notice.message.body
    assert "17 April 2024" in body and "£200.00" in body and "3 April 2024" in body
    assert notices.termination_blocked_until(agreement) == date(2024, 4, 17)
    with pytest.raises(Refusal) as refused:
        notices.check_termination_allowed(agreement=agreement, on=date(2024, 4, 17))
    assert refused.value.rule == "UK-DEFAULT"
    notices.check_termination_allowed(agreement=agreement, on=date(2024, 4, 18))


def test_service_days_are_configurable(client_a, settings):
    settings.FAIRPATH_DEFAULT_SERVICE_DAYS = 5
    agreement = make_uk_agreement(client_a)
    notice = notices.issue_default_notice(agreement=agreement, on=date(2024, 6, 3), actor=SETUP)
    assert notice.service_on == date(2024, 6, 10) and notice.remedy_by == date(2024, 6, 24)


def test_a_later_remedy_date_may_be_given_never_an_earlier_one(client_a):
    agreement = make_uk_agreement(client_a)
    early = notices.issue_default_notice(
        agreement=agreement, on=date(2024, 6, 3), actor=SETUP, remedy_by=date(2024, 6, 10)
    )
    assert early.remedy_by == date(2024, 6, 19)
    late = notices.issue_default_notice(
        agreement=agreement, on=date(2024, 6, 3), actor=SETUP, remedy_by=date(2024, 7, 1)
    )
    assert late.remedy_by == date(2024, 7, 1)


def test_an_open_late_period_blocks_enforcement(client_a, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)
    notices.issue_default_notice(agreement=agreement, on=date(2024, 2, 1), actor=SETUP)
    set_address_current(agreement, False)
    raise_on(client_a, date(2024, 4, 20), django_capture_on_commit_callbacks)
    with pytest.raises(Refusal) as refused:
        notices.check_termination_allowed(agreement=agreement, on=date(2024, 4, 20))
    assert refused.value.rule == "UK-NOSIA-LATE"


def test_us_validation_notice_prints_the_end_date(client_a, django_capture_on_commit_callbacks):
    agreement = make_us_agreement(client_a)
    with django_capture_on_commit_callbacks(execute=True):
        notice = notices.issue_validation_notice(agreement=agreement, on=date(2024, 6, 28), actor=SETUP)
    assert notice.validation_ends_on == date(2024, 8, 7) == rules.validation_period_end(date(2024, 6, 28))
    message = OutboundMessage.objects.get(pk=notice.message_id)
    assert "August 7, 2024" in message.body
    assert "attempt to collect a debt" in message.body
    assert message.status == "sent" and message.document.name.endswith(".pdf")


def test_us_accounts_in_arrears_get_a_validation_notice_not_a_nosia(
    client_a, django_capture_on_commit_callbacks
):
    agreement = make_us_agreement(client_a)
    [notice] = raise_on(client_a, date(2024, 3, 31), django_capture_on_commit_callbacks).issued
    assert (notice.agreement_id, notice.notice_type) == (agreement.pk, "us_validation")
    assert notice.validation_ends_on == rules.validation_period_end(date(2024, 3, 31))
    assert (
        raise_on(client_a, date(2024, 4, 1) + timedelta(days=1), django_capture_on_commit_callbacks).issued
        == []
    )


def test_finding_notices_is_set_based(client_a, django_assert_max_num_queries):
    for _ in range(5):
        make_uk_agreement(client_a)
    recompute(client_a, date(2024, 3, 31))
    with django_assert_max_num_queries(6):
        found = notices.find_notices_due(as_of=date(2024, 3, 31))
    assert len(found) == 5


def test_the_cycles_pending_notices_are_sent_and_marked(client_a, django_capture_on_commit_callbacks):
    from fairpath.collections.models import NoticeDue

    uk = make_uk_agreement(client_a)
    us = make_us_agreement(client_a)
    recompute(client_a, date(2024, 3, 28))
    rows = [
        NoticeDue(client=client_a, agreement=uk, rule="UK-DEFAULT", trigger_on=date(2024, 3, 28),
                  send_by=date(2024, 3, 28), remedy_on=date(2024, 4, 11), arrears_minor=20_000,
                  run_date=date(2024, 3, 28)),
        NoticeDue(client=client_a, agreement=us, rule="US-VALIDATION", trigger_on=date(2024, 3, 28),
                  send_by=date(2024, 4, 2), run_date=date(2024, 3, 28)),
        NoticeDue(client=client_a, agreement=uk, rule="UK-NOSIA-FS", trigger_on=date(2024, 3, 29),
                  send_by=date(2024, 4, 11), run_date=date(2024, 3, 29)),
    ]  # fmt: skip
    for row in rows:
        row.save()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = notices.send_pending_notices(on=date(2024, 3, 28), actor=SETUP)
    assert sorted(n.notice_type for n in outcome.issued) == ["default_notice", "us_validation"]
    default, validation, later = (NoticeDue.objects.get(pk=row.pk) for row in rows)
    assert (default.status, default.sent_on, default.remedy_on) == (
        "sent",
        date(2024, 3, 28),
        date(2024, 4, 17),
    )
    assert validation.status == "sent" and validation.validation_ends_on == rules.validation_period_end(
        date(2024, 3, 28)
    )
    assert later.status == "pending"
    assert notices.termination_blocked_until(uk) == date(2024, 4, 17)
    assert notices.send_pending_notices(on=date(2024, 3, 28), actor=SETUP).issued == []
    assert StatutoryNotice.objects.count() == 2


@pytest.mark.parametrize(
    "paid",
    [
        [100] * 12,  # all paid: nothing to read
        [0] * 12,  # nothing ever paid: everything fallen
        [100] * 7 + [0, 100, 0, 0, 0],  # paid for months, then arrears: three before the first unpaid
        [100, 100, 40, 100, 100, 100, 100, 100, 0, 0, 0, 0],  # an old shortfall keeps the history from it
        [100, 0] + [100] * 10,
    ],
)
def test_the_decider_reads_the_arrears_history_from_the_database(client_a, paid):
    """``_arrears_histories`` (a window in SQL) returns exactly ``rules.arrears_history`` of the schedule."""
    from fairpath.accounts.models import ScheduleInstalment

    agreement = make_uk_agreement(client_a)
    other = make_uk_agreement(client_a)  # untouched: its rows must not leak into the first one's
    for instalment, amount in zip(
        ScheduleInstalment.objects.filter(agreement=agreement).order_by("sequence"), paid, strict=True
    ):
        ScheduleInstalment.objects.filter(pk=instalment.pk).update(amount_paid_minor=amount * 100)
    as_of = date(2024, 11, 15)
    whole = [
        rules.Due(due_on, due, got)
        for due_on, due, got in ScheduleInstalment.objects.filter(agreement=agreement)
        .order_by("due_on", "sequence")
        .values_list("due_on", "amount_due_minor", "amount_paid_minor")
    ]
    read = list(notices._arrears_histories([agreement.pk, other.pk], as_of))
    assert [row[1:] for row in read if row[0] == agreement.pk] == [
        (due.due_on, due.amount_due, due.amount_paid) for due in rules.arrears_history(whole, as_of=as_of)
    ]
    assert len([row for row in read if row[0] == other.pk]) == 10  # nothing paid: every fallen instalment
