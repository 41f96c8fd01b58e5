"""UK-DEFAULT has one record of service: a default notice issued by hand (``issue_default_notice``) is the
cycle's NoticeDue too, so the cycle's decider (``notices.find_notices_due``) does not raise it again and the
recoveries checklist sees it served; a notice the cycle raised and an agent then sent is marked sent, never
sent a second time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairpath.accounts import actions as account_actions
from fairpath.accounts.actions import recompute_arrears
from fairpath.collections import cycle, strategies
from fairpath.collections.models import NoticeDue, ScheduledAction
from fairpath.collections.workspace.recoveries import recoveries_checklist
from fairpath.communications import notices
from fairpath.communications.models import StatutoryNotice
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement
from tests.factories.communications import seed_templates

pytestmark = pytest.mark.django_db

NOTICE_THEN_PLACE = """
code: notice-record
name: Default notice, placement after the remedy period
segments:
  - code: late
    when: {holds: false, dpd: {min: 30}}
    paths:
      - code: only
        steps:
          - {day: 0, action: default_notice}
          - {day: 0, action: agency_placement}
"""
DAY = date(2024, 3, 10)  # January and February missed: 39 days past due


@pytest.fixture(autouse=True)
def templates(client_a):
    return seed_templates(client_a)


def default_rows(agreement) -> list[tuple[str, date | None, date | None]]:  # noqa: ANN001
    return list(
        NoticeDue.objects.filter(agreement=agreement, rule="UK-DEFAULT")
        .order_by("id")
        .values_list("status", "sent_on", "remedy_on")
    )


def test_a_default_notice_issued_by_hand_is_recorded_as_served_for_the_cycle(client_a):
    loan = make_uk_agreement(client_a)
    notice = notices.issue_default_notice(agreement=loan, on=DAY - timedelta(days=30), actor=SETUP)
    assert default_rows(loan) == [("sent", DAY - timedelta(days=30), notice.remedy_by)]
    # the recoveries checklist sees it served, and after its remedy date no UK-DEFAULT item remains
    after = notice.remedy_by + timedelta(days=1)
    assert not [item for item in recoveries_checklist([loan.pk], after)[loan.pk] if item.rule == "UK-DEFAULT"]
    during = recoveries_checklist([loan.pk], notice.remedy_by)[loan.pk]
    assert [item.code for item in during if item.rule == "UK-DEFAULT"] == ["default_notice"]
    assert "remedy period runs to" in next(item.label for item in during if item.rule == "UK-DEFAULT")


def test_the_cycle_does_not_raise_a_second_default_notice_and_places_after_the_remedy_date(client_a):
    strategies.import_strategy(text=NOTICE_THEN_PLACE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    served = notices.issue_default_notice(agreement=loan, on=DAY - timedelta(days=25), actor=SETUP)
    assert served.remedy_by < DAY
    summary = cycle.run_cycle(run_date=DAY)
    assert StatutoryNotice.objects.filter(agreement=loan, notice_type="default_notice").count() == 1
    assert default_rows(loan) == [("sent", served.sent_on, served.remedy_by)]
    placement = ScheduledAction.objects.get(agreement=loan, action="agency_placement")
    assert (placement.status, placement.rule) == ("scheduled", "")
    assert "UK-DEFAULT" not in summary.suppressed
    step = ScheduledAction.objects.get(agreement=loan, action="default_notice")
    assert step.status == "scheduled" and "already served" in step.message


def test_the_decider_raises_a_default_notice_only_where_none_covers_the_arrears(client_a):
    fresh, served, older = (make_uk_agreement(client_a) for _ in range(3))
    notices.issue_default_notice(agreement=served, on=DAY - timedelta(days=5), actor=SETUP)
    # a notice served for arrears long since paid (before the current arrears began) covers nothing now
    notices.issue_default_notice(agreement=older, on=date(2024, 1, 2), actor=SETUP)
    account_actions.post_payment(
        agreement=older, amount_minor=10_000, currency="GBP", received_on=date(2024, 1, 31), actor=SETUP
    )
    recompute_arrears(client_ids=[client_a.pk], as_of=DAY, actor=SETUP)
    ids = [fresh.pk, served.pk, older.pk]
    found = notices.find_notices_due(
        agreement_ids=ids, as_of=DAY, default_notice_for=ids, arrears_notices=False
    )
    assert sorted((request.agreement_id, request.notice_type) for request in found) == [
        (fresh.pk, "default_notice"),
        (older.pk, "default_notice"),
    ]
    # without the strategy asking, the decider raises no default notice at all
    assert not [
        request
        for request in notices.find_notices_due(agreement_ids=ids, as_of=DAY)
        if request.notice_type == "default_notice"
    ]


def test_a_notice_the_cycle_raised_and_an_agent_sent_is_marked_sent_not_sent_again(client_a):
    strategies.import_strategy(text=NOTICE_THEN_PLACE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    cycle.run_cycle(run_date=DAY, close_day=False)
    [(status, _, _)] = default_rows(loan)
    assert status == "pending"
    notice = notices.issue_default_notice(agreement=loan, on=DAY, actor=SETUP)
    assert default_rows(loan) == [("sent", DAY, notice.remedy_by)]
    outcome = notices.send_pending_notices(on=DAY, actor=SETUP)
    assert [item for item in outcome.issued if item.notice_type == "default_notice"] == []
    assert StatutoryNotice.objects.filter(agreement=loan, notice_type="default_notice").count() == 1


def test_notices_served_before_the_one_record_get_their_notice_due(client_a):
    """The data migration: a default notice issued before every notice was recorded for the cycle (its
    NoticeDue missing) gets one, sent, with its remedy date; running it again adds nothing."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("fairpath.communications.migrations.0003_record_served_notices")
    loan = make_uk_agreement(client_a)
    notice = notices.issue_default_notice(agreement=loan, on=DAY, actor=SETUP)
    NoticeDue.objects.filter(agreement=loan).delete()
    migration.record_served(apps, None)
    migration.record_served(apps, None)
    assert default_rows(loan) == [("sent", DAY, notice.remedy_by)]
