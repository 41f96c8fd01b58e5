"""US-HOURS (and UK-CONTACT) for the cycle's messages: each is planned for the moment it will actually go -
the customer's 10:00 local on the run date, or the next moment their quiet hours and own requested times
allow - in the customer's own time zone (daylight-saving safe), and the guard decides for that moment. A
moment still to come holds the message back until then; when it is released the guard is asked again."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from fairpath.collections import cycle, rules, strategies
from fairpath.collections.models import ScheduledAction
from fairpath.collections.policy import gather_facts
from fairpath.communications import actions
from fairpath.communications.models import OutboundMessage
from tests.factories import SETUP
from tests.factories.collections import add_preference, local, make_us_agreement, set_point
from tests.factories.communications import seed_templates

pytestmark = pytest.mark.django_db

LOS_ANGELES = "America/Los_Angeles"
NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def templates(client_a):
    return seed_templates(client_a)


def scheduled(agreement, action: str, run_date: date) -> ScheduledAction:  # noqa: ANN001
    row = ScheduledAction(
        client_id=agreement.client_id, agreement=agreement, key=f"times-{agreement.pk}-{action}-{run_date}",
        run_date=run_date, action=action, channel=action, template="", segment="early", path="soft",
        step_index=0,
    )  # fmt: skip
    row.save()
    return row


def send_steps(run_date: date, capture) -> actions.BulkResult:  # noqa: ANN001
    with capture(execute=True):
        return actions.send_scheduled_actions(run_date=run_date, actor=SETUP)


def release_at(moment: datetime, capture) -> actions.ReleaseResult:  # noqa: ANN001
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return actions.release_due_messages(actor=SETUP)


def message_of(agreement, channel: str) -> OutboundMessage:  # noqa: ANN001
    return OutboundMessage.objects.get(agreement=agreement, channel=channel, notice_type="collections")


def test_a_los_angeles_customer_gets_the_text_at_10_local_not_at_10_in_london(
    client_a, django_capture_on_commit_callbacks
):
    """US-HOURS: 10:00 in London on 4 June is 02:00 in Los Angeles; the text is planned for 10:00 PDT."""
    loan = make_us_agreement(client_a, region="CA")
    set_point(loan.customer, "phone", has_text_consent=True)
    step = scheduled(loan, "sms", date(2024, 6, 4))
    result = send_steps(date(2024, 6, 4), django_capture_on_commit_callbacks)
    step.refresh_from_db()
    assert (step.status, step.rule) == ("done", ""), step.message
    assert "US-HOURS" not in result.suppressed
    message = message_of(loan, "sms")
    assert message.decided_at == local(date(2024, 6, 4), time(10), LOS_ANGELES)
    assert message.decided_at == datetime(2024, 6, 4, 17, 0, tzinfo=UTC)
    assert message.status == "sent"


@pytest.mark.parametrize(
    ("run_date", "utc_hour"),
    [
        (date(2024, 3, 8), 15),  # Friday, EST (UTC-5)
        (date(2024, 3, 10), 14),  # the day the clocks go forward (02:00), EDT from then on
        (date(2024, 3, 11), 14),  # Monday, EDT (UTC-4); London is still on GMT until 31 March
        (date(2024, 11, 1), 14),  # Friday, EDT
        (date(2024, 11, 4), 15),  # Monday after the clocks went back, EST
    ],
)
def test_a_new_york_customer_gets_the_email_at_10_local_across_daylight_saving_changes(
    client_a, django_capture_on_commit_callbacks, run_date, utc_hour
):
    loan = make_us_agreement(client_a)
    scheduled(loan, "email", run_date)
    result = send_steps(run_date, django_capture_on_commit_callbacks)
    assert result.suppressed == {}
    message = message_of(loan, "email")
    assert message.decided_at.astimezone(UTC).hour == utc_hour
    assert message.decided_at == local(run_date, time(10), NEW_YORK)
    assert message.status == "sent" and [m.to for m in mail.outbox] == [["c@example.com"]]


@pytest.mark.parametrize(
    ("run_date", "expected"),
    [
        (date(2024, 3, 8), datetime(2024, 3, 8, 23, 30, tzinfo=UTC)),  # 18:30 EST
        (date(2024, 3, 11), datetime(2024, 3, 11, 22, 30, tzinfo=UTC)),  # 18:30 EDT
    ],
)
def test_the_customers_own_times_move_the_send_to_their_next_allowed_moment(
    client_a, django_capture_on_commit_callbacks, run_date, expected
):
    """The customer asked for e-mails only from 18:30 to 20:00 local: the e-mail goes at 18:30 local, the same
    local time either side of the change to daylight-saving time."""
    loan = make_us_agreement(client_a)
    add_preference(loan.customer, "email", earliest_time=time(18, 30), latest_time=time(20, 0))
    step = scheduled(loan, "email", run_date)
    send_steps(run_date, django_capture_on_commit_callbacks)
    step.refresh_from_db()
    assert step.status == "done", step.message
    assert message_of(loan, "email").decided_at == expected


def test_a_day_the_customer_excluded_moves_the_send_to_the_next_day_they_allow(
    client_a, django_capture_on_commit_callbacks
):
    """Saturday 9 March 2024; texts on weekdays only, not before 09:00: Monday 11 March 09:00 EDT."""
    loan = make_us_agreement(client_a)
    set_point(loan.customer, "phone", has_text_consent=True)
    add_preference(loan.customer, "sms", earliest_time=time(9, 0), weekdays=[0, 1, 2, 3, 4])
    scheduled(loan, "sms", date(2024, 3, 9))
    send_steps(date(2024, 3, 9), django_capture_on_commit_callbacks)
    assert message_of(loan, "sms").decided_at == local(date(2024, 3, 11), time(9), NEW_YORK)


def test_a_channel_the_customer_refused_is_suppressed_not_moved(client_a, django_capture_on_commit_callbacks):
    loan = make_us_agreement(client_a)
    add_preference(loan.customer, "email", is_refused=True)
    step = scheduled(loan, "email", date(2024, 6, 4))
    result = send_steps(date(2024, 6, 4), django_capture_on_commit_callbacks)
    step.refresh_from_db()
    assert (step.status, step.rule) == ("suppressed", "US-OPTOUT")
    assert result.suppressed == {"US-OPTOUT": 1} and mail.outbox == []


def test_a_moment_still_to_come_holds_the_message_until_it_is_released(
    client_a, django_capture_on_commit_callbacks
):
    """Run live at 06:00 UTC on 11 March 2024 (02:00 in New York): the e-mail waits for 10:00 EDT (14:00
    UTC). Released at 13:59 nothing goes; at 14:05 it goes; a release at night asks again and moves it."""
    early, late = make_us_agreement(client_a), make_us_agreement(client_a)
    run_date = date(2024, 3, 11)
    for loan in (early, late):
        scheduled(loan, "email", run_date)
    with time_machine.travel(datetime(2024, 3, 11, 6, 0, tzinfo=UTC), tick=False):
        send_steps(run_date, django_capture_on_commit_callbacks)
    waiting = message_of(early, "email")
    assert waiting.status == "queued" and mail.outbox == []
    assert waiting.scheduled_for == datetime(2024, 3, 11, 14, 0, tzinfo=UTC) == waiting.decided_at
    released = release_at(datetime(2024, 3, 11, 13, 59, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert released.released == [] and mail.outbox == []
    # the later one is released only at night (02:00 UTC = 22:00 EDT): asked again, it moves to 08:00 EDT
    OutboundMessage.objects.filter(agreement=late).update(
        scheduled_for=datetime(2024, 3, 12, 1, 0, tzinfo=UTC)
    )
    released = release_at(datetime(2024, 3, 11, 14, 5, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert [message.agreement_id for message in released.released] == [early.pk]
    assert message_of(early, "email").status == "sent" and len(mail.outbox) == 1
    released = release_at(datetime(2024, 3, 12, 2, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    moved = message_of(late, "email")
    assert released.released == [] and released.rescheduled == 1
    assert moved.status == "queued" and moved.scheduled_for == local(date(2024, 3, 12), time(8), NEW_YORK)
    assert len(mail.outbox) == 1


def test_a_hold_that_starts_before_the_release_suppresses_the_waiting_message(
    client_a, django_capture_on_commit_callbacks
):
    from fairpath.accounts.models import Agreement

    loan = make_us_agreement(client_a)
    scheduled(loan, "email", date(2024, 3, 11))
    with time_machine.travel(datetime(2024, 3, 11, 6, 0, tzinfo=UTC), tick=False):
        send_steps(date(2024, 3, 11), django_capture_on_commit_callbacks)
    from fairpath.collections.models import Hold

    Hold(
        client_id=loan.client_id, agreement=Agreement.objects.get(pk=loan.pk), kind="dispute",
        starts_on=date(2024, 3, 11), created_by="test",
    ).save()  # fmt: skip
    released = release_at(datetime(2024, 3, 11, 15, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    message = message_of(loan, "email")
    assert (message.status, message.decision_rule) == ("suppressed", "US-VALIDATION")
    assert released.suppressed == {"US-VALIDATION": 1} and mail.outbox == []


# ---------------------------------------------------------------------------------- the cycle


STRATEGY = """
code: texts
name: An e-mail on the first day in arrears
segments:
  - code: early
    when: {holds: false, dpd: {min: 1}}
    paths:
      - code: only
        steps:
          - {day: 0, action: email}
"""


def test_the_cycle_plans_and_sends_at_the_customers_local_time(client_a, django_capture_on_commit_callbacks):
    """A Los Angeles and a New York customer, the day after the US clocks went forward: no US-HOURS refusal
    at planning or at sending, each e-mail decided for 10:00 in the customer's own zone."""
    strategies.import_strategy(text=STRATEGY, actor=SETUP)
    west = make_us_agreement(client_a, region="CA")
    east = make_us_agreement(client_a)
    run_date = date(2024, 3, 11)
    with django_capture_on_commit_callbacks(execute=True):
        summary = cycle.run_cycle(run_date=run_date)
    assert "US-HOURS" not in summary.suppressed
    assert summary.day_end["messages_suppressed"] == {}
    assert message_of(west, "email").decided_at == datetime(2024, 3, 11, 17, 0, tzinfo=UTC)
    assert message_of(east, "email").decided_at == datetime(2024, 3, 11, 14, 0, tzinfo=UTC)


def test_the_cycle_plans_a_step_for_the_customers_own_times(client_a):
    """Planning asks the guard for the moment the message will go: e-mails only from 19:00 local pass."""
    loan = make_us_agreement(client_a, region="CA")
    add_preference(loan.customer, "email", earliest_time=time(19, 0))
    shard = cycle.plan_shards([client_a.pk])[0]
    work = cycle.ShardWork(date(2024, 3, 11), shard, SETUP)
    work.load()
    assert work.decide(loan.pk, "email").allowed


# ---------------------------------------------------------------------------------- the pure rule


def test_next_permitted_moment_is_counted_on_the_customers_local_clock(client_a):
    loan = make_us_agreement(client_a)
    add_preference(
        loan.customer, "sms", earliest_time=time(9), latest_time=time(17), weekdays=[0, 1, 2, 3, 4]
    )
    facts = gather_facts([loan.pk], at=datetime(2024, 11, 1, tzinfo=UTC))[loan.pk]
    friday_evening = local(date(2024, 11, 1), time(17, 30))
    # Friday 17:30 EDT -> Monday 09:00 EST, across the end of daylight-saving time on Sunday 3 November
    assert rules.next_permitted_moment(facts, "sms", friday_evening) == datetime(2024, 11, 4, 14, tzinfo=UTC)
    inside = local(date(2024, 11, 1), time(12, 15))
    assert rules.next_permitted_moment(facts, "sms", inside) == inside
    assert rules.next_permitted_moment(facts, "letter", friday_evening) == friday_evening
    # e-mail has no preference: only the quiet hours, 21:00 is still allowed, 21:01 is not
    assert rules.next_permitted_moment(facts, "email", local(date(2024, 11, 1), time(21))) == local(
        date(2024, 11, 1), time(21)
    )
    assert rules.next_permitted_moment(facts, "email", local(date(2024, 11, 1), time(21, 1))) == local(
        date(2024, 11, 2), time(8)
    )
    for moment in (friday_evening, inside, friday_evening + timedelta(days=1)):
        planned = rules.next_permitted_moment(facts, "sms", moment)
        assert planned is not None and planned >= moment
        decision = rules.decide(facts, channel="sms", at=planned, party="customer", purpose="collections")
        assert decision.rule != "US-HOURS"
