"""A statutory notice marked sent by hand (``actions.mark_notice_sent``) has its letter: the communications
domain's sender generates and stores it (what was sent, to whom, when, under which rule) and marks the
engine's NoticeDue sent in the same transaction, as the cycle's day end does. A notice is never marked sent
without its letter; a refusal changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.accounts.models import Address
from fairpath.collections import actions, cycle
from fairpath.collections.models import NoticeDue
from fairpath.communications.models import NosiaLatePeriod, OutboundMessage, StatutoryNotice
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement, make_us_agreement

pytestmark = pytest.mark.django_db

DAY = date(2024, 3, 10)  # January and February missed: the NOSIA-FS (and the US validation notice) fall due


@pytest.fixture
def raised(client_a) -> dict[str, NoticeDue]:
    """The notices the cycle raised on DAY, left unsent (no day end: a print house sends them itself)."""
    uk, us = make_uk_agreement(client_a), make_us_agreement(client_a)
    cycle.run_cycle(run_date=DAY, close_day=False)
    return {
        "nosia": NoticeDue.objects.get(agreement=uk, rule="UK-NOSIA-FS"),
        "validation": NoticeDue.objects.get(agreement=us, rule="US-VALIDATION"),
    }


def letters_of(notice: NoticeDue) -> list[StatutoryNotice]:
    return list(StatutoryNotice.objects.filter(agreement_id=notice.agreement_id).select_related("message"))


def test_a_notice_marked_sent_by_hand_has_its_stored_letter(raised):
    notice = raised["nosia"]
    sent_on = DAY + timedelta(days=2)
    marked = actions.mark_notice_sent(notice=notice, sent_on=sent_on, actor=SETUP)
    assert (marked.status, marked.sent_on) == ("sent", sent_on)
    [letter] = letters_of(notice)
    assert (letter.notice_type, letter.sent_on, letter.trigger_on, letter.due_by) == (
        "nosia_fs", sent_on, notice.trigger_on, notice.send_by,
    )  # fmt: skip
    message = letter.message
    assert message is not None and message.channel == "letter" and message.notice_type == "nosia_fs"
    assert message.decision_rule == "UK-NOSIA-FS"  # the rule it went under
    assert (
        message.recipient_name and message.recipient and "notice of sums in arrears" in message.body.lower()
    )
    assert message.decided_at.date() == sent_on
    event = AuditEvent.objects.get(action="collections.notice_sent", object_id=str(notice.pk))
    assert event.after["message"] == message.pk and event.after["late"] is False


def test_a_notice_that_cannot_be_sent_is_not_marked_sent_and_nothing_is_stored(raised):
    """No postal address on file (CONTACT-NO-ADDRESS): no letter, so the notice stays pending - and no late
    period is recorded by a refused call either; the cycle still counts the unsent notice as late."""
    notice = raised["nosia"]
    Address.objects.filter(customer_id=notice.agreement.customer_id).update(is_current=False)
    with pytest.raises(Refusal) as refused:
        actions.mark_notice_sent(notice=notice, sent_on=DAY + timedelta(days=20), actor=SETUP)
    assert refused.value.rule == "CONTACT-NO-ADDRESS"
    notice.refresh_from_db()
    assert (notice.status, notice.sent_on) == ("pending", None)
    assert not OutboundMessage.objects.filter(agreement_id=notice.agreement_id).exists()
    assert not StatutoryNotice.objects.exists() and not NosiaLatePeriod.objects.exists()
    assert not AuditEvent.objects.filter(action="collections.notice_sent").exists()


def test_marking_the_same_notice_twice_sends_one_letter(raised):
    notice = raised["validation"]
    actions.mark_notice_sent(notice=notice, sent_on=DAY + timedelta(days=1), actor=SETUP)
    with pytest.raises(Refusal):
        actions.mark_notice_sent(notice=notice, sent_on=DAY + timedelta(days=2), actor=SETUP)
    assert len(letters_of(notice)) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["nosia", "validation"]), offset=st.integers(min_value=-3, max_value=40))
def test_every_notice_marked_sent_has_one_letter_with_the_dates_printed(raised, which, offset):
    """Whatever the day it is marked sent on: refused before it fell due (nothing changes), otherwise exactly
    one letter, sent that day, whose printed dates are the engine's; a NOSIA sent after its last day has a
    late period ending that day (UK-NOSIA-LATE)."""
    notice = raised[which]
    sent_on = notice.trigger_on + timedelta(days=offset)
    with transaction.atomic():
        if sent_on < notice.trigger_on:
            with pytest.raises(InvalidInput):
                actions.mark_notice_sent(notice=notice, sent_on=sent_on, actor=SETUP)
            assert letters_of(notice) == [] and not OutboundMessage.objects.exists()
        else:
            marked = actions.mark_notice_sent(notice=notice, sent_on=sent_on, actor=SETUP)
            [letter] = letters_of(notice)
            assert marked.status == "sent" and marked.sent_on == letter.sent_on == sent_on
            assert letter.message is not None and letter.message.decision_rule == notice.rule
            assert OutboundMessage.objects.filter(agreement_id=notice.agreement_id).count() == 1
            assert marked.validation_ends_on == letter.validation_ends_on
            late = list(
                NosiaLatePeriod.objects.filter(agreement_id=notice.agreement_id).values_list(
                    "starts_on", "ends_on"
                )
            )
            if which == "nosia" and sent_on > notice.send_by:
                assert late == [(notice.send_by + timedelta(days=1), sent_on)]
            else:
                assert late == []
        transaction.set_rollback(True)
