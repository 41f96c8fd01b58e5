"""The daily cycle: what it does to a small book, idempotence, crash safety, order of dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction

from fairpath.accounts import actions as account_actions
from fairpath.accounts.models import Agreement, ArrearsState, BucketHistory, LedgerEntry, StatusHistory
from fairpath.collections import actions, cycle, strategies
from fairpath.collections.models import (
    CycleRun,
    Hold,
    NoticeDue,
    Promise,
    ScheduledAction,
    ShardRun,
    TreatmentState,
)
from fairpath.collections.promises import record_promise
from fairpath.core.errors import Refusal
from fairpath.work.models import WorkItem
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement, make_us_agreement

pytestmark = pytest.mark.django_db

STRATEGY = """
code: test-strategy
name: Test strategy
segments:
  - code: held
    when: {holds: true}
    paths:
      - code: review
        steps:
          - {day: 0, action: review_task}
  - code: early
    when: {holds: false, dpd: {min: 1, max: 29}}
    paths:
      - code: only
        steps:
          - {day: 0, action: sms, template: early}
          - {day: 0, action: call_task}
          - {day: 3, action: letter, template: early-letter}
  - code: mid
    when: {holds: false, dpd: {min: 30}}
    paths:
      - code: only
        steps:
          - {day: 0, action: letter, template: arrears}
          - {day: 1, action: agency_placement}
"""
DAY = date(2024, 3, 10)


def pay(loan, amount, on):
    account_actions.post_payment(
        agreement=loan, amount_minor=amount, currency=loan.currency, received_on=on, actor=SETUP
    )


@pytest.fixture
def book(client_a):
    strategies.import_strategy(text=STRATEGY, actor=SETUP)
    paid_up = make_uk_agreement(client_a)
    pay(paid_up, 20_000, date(2024, 1, 30))
    early = make_uk_agreement(client_a)
    pay(early, 10_000, date(2024, 1, 30))  # February missed: 10 days past due on 10 March
    mid = make_uk_agreement(client_a)  # January and February missed: 39 days past due
    spaced = make_uk_agreement(client_a)
    actions.start_breathing_space(agreement=spaced, entered_on=date(2024, 3, 1), actor=SETUP)
    us = make_us_agreement(client_a)  # no text consent: the SMS step is suppressed (US-REVOKE)
    pay(us, 10_000, date(2024, 1, 30))
    return {"paid_up": paid_up, "early": early, "mid": mid, "spaced": spaced, "us": us}


def snapshot() -> dict[str, object]:
    """The state the cycle owns or changes, by natural keys (no surrogate ids of new rows)."""
    return {
        "actions": sorted(ScheduledAction.objects.values_list("key", "status", "rule", "run_date")),
        "states": sorted(
            TreatmentState.objects.values_list("agreement_id", "segment", "path", "entered_on", "next_step")
        ),
        "notices": sorted(
            NoticeDue.objects.values_list("agreement_id", "rule", "trigger_on", "send_by", "remedy_on")
        ),
        "ledger": sorted(
            LedgerEntry.objects.values_list("agreement_id", "kind", "amount_minor", "reference")
        ),
        "agreements": sorted(Agreement.objects.values_list("id", "status", "balance_minor")),
        "holds": sorted(Hold.objects.values_list("agreement_id", "kind", "starts_on")),
        "promises": sorted(Promise.objects.values_list("agreement_id", "status", "resolved_on")),
        "arrears": sorted(
            ArrearsState.objects.values_list("agreement_id", "days_past_due", "bucket", "as_of")
        ),
        "buckets": sorted(BucketHistory.objects.values_list("agreement_id", "to_bucket", "as_of")),
        "status_history": sorted(
            StatusHistory.objects.values_list("agreement_id", "from_status", "to_status")
        ),
        "work": sorted(WorkItem.objects.values_list("agreement_id", "kind", "title", "object_type")),
    }


def test_the_cycle_segments_schedules_suppresses_and_creates_work(book):
    summary = cycle.run_cycle(run_date=DAY)
    states = {row.agreement_id: (row.segment, row.path) for row in TreatmentState.objects.all()}
    assert states[book["early"].pk] == ("early", "only")
    assert states[book["mid"].pk] == ("mid", "only")
    assert states[book["spaced"].pk] == ("held", "review")
    assert book["paid_up"].pk not in states
    early = ScheduledAction.objects.filter(agreement=book["early"]).order_by("step_index")
    assert [(a.action, a.status) for a in early] == [("sms", "suppressed"), ("call_task", "scheduled")]
    assert early[0].rule == "UK-CONTACT"  # no text consent on the UK mobile either
    us_sms = ScheduledAction.objects.get(agreement=book["us"], action="sms")
    assert (us_sms.status, us_sms.rule) == ("suppressed", "US-REVOKE")
    assert summary.suppressed == {"UK-CONTACT": 1, "US-REVOKE": 1}
    # call and review steps became work items
    kinds = sorted(WorkItem.objects.values_list("kind", flat=True))
    assert kinds == ["call_due", "call_due", "review"]
    # BS-START: the breathing space moved the status
    assert Agreement.objects.get(pk=book["spaced"].pk).status == "breathing_space"
    # UK-NOSIA-FS: the second missed instalment (29 February) met the trigger (two missed and a shortfall of
    # two instalments): the notice is due within the 14 days beginning with that day, by 13 March
    notice = NoticeDue.objects.get(agreement=book["mid"], rule="UK-NOSIA-FS")
    assert (notice.trigger_on, notice.send_by) == (date(2024, 2, 29), date(2024, 3, 13))
    assert not NoticeDue.objects.filter(agreement=book["early"], rule="UK-NOSIA-FS").exists()
    us_notice = NoticeDue.objects.get(agreement=book["us"], rule="US-VALIDATION")
    # sent 10 March (Sunday): receipt 5 business days later = Friday 15 March; +30 days = 14 April
    assert us_notice.validation_ends_on == date(2024, 4, 14)
    assert CycleRun.objects.get().status == "completed"


def test_later_steps_fall_due_on_their_day_offsets(book):
    cycle.run_range(first=DAY, last=DAY + timedelta(days=3))
    letter = ScheduledAction.objects.get(agreement=book["early"], action="letter")
    assert letter.run_date == DAY + timedelta(days=3)
    placement = ScheduledAction.objects.get(agreement=book["mid"], action="agency_placement")
    # the placement falls due on day 1; UK-NOSIA-LATE is not in play (notice still within its 14 days), but no
    # default notice was ever served, so UK-DEFAULT refuses it
    assert (placement.run_date, placement.status, placement.rule) == (
        DAY + timedelta(days=1),
        "suppressed",
        "UK-DEFAULT",
    )


def test_running_the_same_date_twice_changes_nothing(book):
    cycle.run_cycle(run_date=DAY)
    first = snapshot()
    second_summary = cycle.run_cycle(run_date=DAY)
    assert snapshot() == first
    assert second_summary.actions_scheduled == 0 and second_summary.postings == 0


class Crash(Exception):
    pass


class Rollback(Exception):
    pass


def test_a_run_killed_mid_shard_and_rerun_ends_as_an_uninterrupted_run(book, monkeypatch):
    with pytest.raises(Rollback), transaction.atomic():
        cycle.run_cycle(run_date=DAY, shard_size=2)
        clean = snapshot()
        raise Rollback
    assert not ScheduledAction.objects.exists()

    def explode(number: int) -> None:
        if number == 1:
            raise Crash("killed")

    monkeypatch.setattr(cycle, "shard_hook", explode)
    with pytest.raises(Crash):
        cycle.run_cycle(run_date=DAY, shard_size=2)
    assert ShardRun.objects.count() == 1  # shard 0 committed, shard 1 rolled back entirely
    assert CycleRun.objects.get().status == "running"
    monkeypatch.setattr(cycle, "shard_hook", None)
    cycle.run_cycle(run_date=DAY, shard_size=2)
    assert snapshot() == clean
    assert CycleRun.objects.get().status == "completed"


def test_a_date_before_the_last_completed_run_is_refused_unless_rerun(book):
    cycle.run_cycle(run_date=DAY)
    before = snapshot()
    with pytest.raises(Refusal) as refusal:
        cycle.run_cycle(run_date=DAY - timedelta(days=1))
    assert refusal.value.field == "date"
    assert snapshot() == before
    cycle.run_cycle(run_date=DAY - timedelta(days=1), rerun=True)
    assert CycleRun.objects.filter(is_rerun=True).count() == 1


def test_late_fees_are_posted_once_and_never_in_a_breathing_space(book):
    day = date(2024, 3, 2)  # 29 February was missed yesterday... (1 March is the first day past due)
    cycle.run_cycle(run_date=day)
    cycle.run_cycle(run_date=day + timedelta(days=1))
    fees = LedgerEntry.objects.filter(kind="fee", reference__startswith="cycle:late:")
    by_agreement = sorted(fees.values_list("agreement_id", flat=True))
    # early, mid and US missed 29 February; the breathing-space loan is frozen (BS-EFFECT); paid-up owes nothing
    assert by_agreement == sorted([book["early"].pk, book["mid"].pk, book["us"].pk])
    early = Agreement.objects.get(pk=book["early"].pk)
    assert early.balance_minor == 120_000 - 10_000 + 1_200


def test_nosia_repeats_after_six_months_while_arrears_remain(book):
    cycle.run_cycle(run_date=DAY)
    cycle.run_cycle(run_date=date(2024, 9, 9))
    assert NoticeDue.objects.filter(agreement=book["mid"], rule="UK-NOSIA-FS").count() == 1
    cycle.run_cycle(run_date=date(2024, 9, 10))
    assert NoticeDue.objects.filter(agreement=book["mid"], rule="UK-NOSIA-FS").count() == 2


def test_a_late_nosia_freezes_charges_and_blocks_enforcement(book):
    cycle.run_cycle(run_date=DAY, close_day=False)  # the notice is not sent ...
    cycle.run_cycle(
        run_date=DAY + timedelta(days=14), close_day=False
    )  # send_by was 13 March; still pending on 24 March
    placement = ScheduledAction.objects.get(agreement=book["mid"], action="agency_placement")
    # the day-1 placement falls due on 24 March (no run in between) while the notice is late: blocked
    assert (placement.status, placement.rule) == ("suppressed", "UK-NOSIA-LATE")
    work = cycle.ShardWork(DAY + timedelta(days=14), cycle.plan_shards([book["mid"].client_id])[0], SETUP)
    work.load()
    assert work.is_nosia_late(book["mid"].pk)
    assert work.decide(book["mid"].pk, "agency_placement").rule == "UK-NOSIA-LATE"
    assert work.is_frozen(book["mid"].pk)


def test_broken_promises_are_detected_in_the_cycle(book):
    promise = record_promise(
        agreement=book["early"],
        instalments=[(date(2024, 3, 5), 10_000)],
        made_on=date(2024, 3, 1),
        actor=SETUP,
    )
    cycle.run_cycle(run_date=DAY)
    promise.refresh_from_db()
    assert (promise.status, promise.resolved_on) == ("broken", date(2024, 3, 8))


def test_a_dispute_on_the_agreement_starts_a_hold(client_a):
    strategies.import_strategy(text=STRATEGY, actor=SETUP)
    us = make_us_agreement(client_a)
    Agreement.objects.filter(pk=us.pk).update(disputed_since=date(2024, 3, 1))
    cycle.run_cycle(run_date=DAY)
    assert Hold.objects.get(agreement=us).kind == "dispute"
    assert TreatmentState.objects.get(agreement=us).segment == "held"


def test_no_enforcement_before_the_default_notice_remedy_date(book):
    """UK-DEFAULT: placement and recoveries transfer wait until the remedy date has passed."""
    NoticeDue.objects.create(
        client_id=book["mid"].client_id, agreement=book["mid"], rule="UK-DEFAULT", trigger_on=DAY, send_by=DAY,
        status="sent", sent_on=DAY, remedy_on=DAY + timedelta(days=16), run_date=DAY,
    )  # fmt: skip
    shard = cycle.plan_shards([book["mid"].client_id])[0]
    on_remedy_day = cycle.ShardWork(DAY + timedelta(days=16), shard, SETUP)
    on_remedy_day.load()
    assert on_remedy_day.decide(book["mid"].pk, "agency_placement").rule == "UK-DEFAULT"
    assert on_remedy_day.decide(book["mid"].pk, "recoveries_transfer").rule == "UK-DEFAULT"
    after = cycle.ShardWork(DAY + timedelta(days=17), shard, SETUP)
    after.load()
    assert after.decide(book["mid"].pk, "agency_placement").rule != "UK-DEFAULT"


def test_marking_a_notice_sent_fixes_its_dates_and_ends_the_late_period(book):
    cycle.run_cycle(run_date=DAY, close_day=False)
    notice = NoticeDue.objects.get(agreement=book["us"], rule="US-VALIDATION")
    sent = actions.mark_notice_sent(notice=notice, sent_on=date(2024, 3, 12), actor=SETUP)
    # Tue 12 March + 5 business days = Tue 19 March; + 30 days = 18 April
    assert (sent.status, sent.validation_ends_on) == ("sent", date(2024, 4, 18))
    with pytest.raises(Refusal):
        actions.mark_notice_sent(notice=notice, sent_on=date(2024, 3, 13), actor=SETUP)
    nosia = NoticeDue.objects.get(agreement=book["mid"], rule="UK-NOSIA-FS")
    actions.mark_notice_sent(notice=nosia, sent_on=date(2024, 3, 20), actor=SETUP)
    work = cycle.ShardWork(DAY + timedelta(days=20), cycle.plan_shards([book["mid"].client_id])[0], SETUP)
    work.load()
    assert not work.is_nosia_late(book["mid"].pk)


def test_the_day_ends_by_sending_what_the_shards_raised_and_building_snapshots(book):
    from fairpath.communications.models import OutboundMessage
    from fairpath.insight.models import KpiDaily

    summary = cycle.run_cycle(run_date=DAY)
    assert summary.day_end["notices_sent"] + summary.day_end["notices_refused"] >= 1
    assert not NoticeDue.objects.filter(status="pending", trigger_on__lte=DAY).exists()
    assert OutboundMessage.objects.exists()
    assert KpiDaily.objects.filter(day=DAY).exists() and summary.day_end["snapshot_rows"] > 0
    again = cycle.run_cycle(run_date=DAY, rerun=True)
    assert again.day_end["notices_sent"] == 0 and again.day_end["messages_queued"] == 0
