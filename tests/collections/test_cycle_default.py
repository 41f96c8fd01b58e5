"""UK-DEFAULT in the daily cycle: after the default notice's remedy date passes unremedied, the agreement moves
to default (status transition with history, audited in bulk), never on or before the remedy date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairpath.accounts import actions as account_actions
from fairpath.accounts.models import Agreement, StatusHistory
from fairpath.collections import actions, cycle, strategies
from fairpath.collections.models import NoticeDue
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement

pytestmark = pytest.mark.django_db

STRATEGY = """
code: default-strategy
name: Default notice strategy
segments:
  - code: late
    when: {holds: false, dpd: {min: 30}}
    paths:
      - code: only
        steps:
          - {day: 0, action: default_notice}
"""
DAY = date(2024, 3, 10)  # January and February missed: 39 days past due


@pytest.fixture
def loan(client_a):
    strategies.import_strategy(text=STRATEGY, actor=SETUP)
    return make_uk_agreement(client_a)


def served_notice(loan) -> NoticeDue:  # noqa: ANN001
    cycle.run_cycle(run_date=DAY)
    notice = NoticeDue.objects.get(agreement=loan, rule="UK-DEFAULT")
    assert notice.status == "sent" and notice.remedy_on is not None
    return notice


def status_of(loan) -> str:  # noqa: ANN001
    return Agreement.objects.get(pk=loan.pk).status


@pytest.mark.parametrize("days_after_remedy", [-1, 0, 1])
def test_uk_default_moves_to_default_only_after_the_remedy_date(loan, days_after_remedy):
    """UK-DEFAULT: the remedy date itself still belongs to the customer; the day after, unremedied, the
    agreement is in default."""
    notice = served_notice(loan)
    cycle.run_cycle(run_date=notice.remedy_on + timedelta(days=days_after_remedy))
    expected = "default" if days_after_remedy > 0 else "in_arrears"
    assert status_of(loan) == expected
    moved = StatusHistory.objects.filter(agreement=loan, to_status="default")
    assert moved.count() == (1 if days_after_remedy > 0 else 0)


def test_uk_default_writes_history_and_audit_once(loan):
    notice = served_notice(loan)
    after = notice.remedy_on + timedelta(days=1)
    cycle.run_cycle(run_date=after)
    cycle.run_cycle(run_date=after)  # the same date again changes nothing
    cycle.run_cycle(run_date=after + timedelta(days=1))  # nor does the next day
    history = StatusHistory.objects.get(agreement=loan, to_status="default")
    assert (history.from_status, history.changed_on) == ("in_arrears", after)
    assert "UK-DEFAULT" in history.reason
    events = AuditEvent.objects.filter(
        object_type="accounts.agreement", object_id=str(loan.pk), after__status="default"
    )
    assert events.count() == 1
    assert events.get().action == "collections.cycle_changed"


def test_uk_default_paid_by_the_remedy_date_is_remedied(loan):
    """UK-DEFAULT: the customer paid the sum the notice named before the remedy date: no default."""
    notice = served_notice(loan)
    account_actions.post_payment(
        agreement=loan,
        amount_minor=notice.arrears_minor,
        currency=loan.currency,
        received_on=notice.remedy_on - timedelta(days=1),
        actor=SETUP,
    )
    cycle.run_cycle(run_date=notice.remedy_on + timedelta(days=1))
    assert status_of(loan) != "default"
    assert not StatusHistory.objects.filter(agreement=loan, to_status="default").exists()


def test_uk_default_part_payment_does_not_remedy(loan):
    notice = served_notice(loan)
    account_actions.post_payment(
        agreement=loan,
        amount_minor=notice.arrears_minor - 1,
        currency=loan.currency,
        received_on=notice.remedy_on,
        actor=SETUP,
    )
    cycle.run_cycle(run_date=notice.remedy_on + timedelta(days=1))
    assert status_of(loan) == "default"


def test_uk_default_waits_while_a_breathing_space_runs(loan):
    """UK-DEFAULT with BS-EFFECT: no enforcement in a breathing space, so no move to default until it ends."""
    notice = served_notice(loan)
    actions.start_breathing_space(agreement=loan, entered_on=notice.remedy_on, actor=SETUP)
    cycle.run_cycle(run_date=notice.remedy_on + timedelta(days=1))
    assert status_of(loan) == "breathing_space"
    assert not StatusHistory.objects.filter(agreement=loan, to_status="default").exists()
