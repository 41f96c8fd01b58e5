"""RECOVERIES-CHECKLIST in the daily cycle: a strategy's ``recoveries_transfer`` step, when it falls due and
the account was fully worked, transfers the account to recoveries through the collections action the
agent's transfer is built on (``actions.transfer_fully_worked_to_recoveries``: checklist, STATUS-TRANSITION
with its history, audit rows), audited with the cycle's system actor. An account not fully worked is refused
with every missing item named, and asked again each later day while it stays on the path."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from fairpath.accounts.actions import change_status
from fairpath.accounts.models import Agreement, StatusHistory
from fairpath.collections import actions, cycle, strategies
from fairpath.collections.models import ContactAttempt, ScheduledAction
from fairpath.collections.promises import propose_arrangement, record_income_expenditure
from fairpath.collections.workspace import recoveries
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.collections import make_fully_worked, make_uk_agreement, serve_default_notice

pytestmark = pytest.mark.django_db

TRANSFER = """
code: transfer
name: Transfer to recoveries
segments:
  - code: late
    when: {holds: false, dpd: {min: 35}}
    paths:
      - code: only
        steps:
          - {day: 0, action: recoveries_transfer}
"""
NOTICES_SENT = date(2024, 3, 1)  # the first cycle: the NOSIA-FS raised and sent (30 days past due, no step)
DAY = date(2024, 3, 10)  # 39 days past due: the step falls due
CYCLE = "system:collections-cycle"


def in_default_with_an_expired_default_notice(client):  # noqa: ANN001, ANN201
    """A UK loan (January and February missed) in default, its default notice's remedy date passed, but
    otherwise not worked: no contact attempts, no arrangement offered, no I&E."""
    loan = make_uk_agreement(client)
    for status in ("in_arrears", "default"):
        change_status(agreement=loan, to_status=status, actor=SETUP, reason="test set-up")
    serve_default_notice(loan, remedy_on=DAY - timedelta(days=5))
    return loan


def work_the_account(loan, *, as_of: date) -> None:  # noqa: ANN001
    """What was missing: three calls the guard allowed, an I&E and an arrangement offered."""
    for days in (9, 6, 3):
        ContactAttempt(
            client_id=loan.client_id, agreement=loan, is_allowed=True, actor_label="test", channel="call",
            at=datetime.combine(as_of - timedelta(days=days), time(11), tzinfo=UTC),
        ).save()  # fmt: skip
    assessment = record_income_expenditure(
        customer=loan.customer, assessed_on=as_of - timedelta(days=3), currency="GBP", income_minor=150_000,
        essential_spend_minor=140_000, actor=SETUP,
    )  # fmt: skip
    propose_arrangement(
        agreement=loan, amount_minor=1_000, first_due_on=as_of + timedelta(days=20), instalment_count=6,
        proposed_on=as_of - timedelta(days=3), actor=SETUP, assessment=assessment,
    )  # fmt: skip


def steps_of(loan) -> list[tuple[str, str, date]]:  # noqa: ANN001
    return list(
        ScheduledAction.objects.filter(agreement=loan, action="recoveries_transfer")
        .order_by("id")
        .values_list("status", "rule", "run_date")
    )


def status_of(loan) -> str:  # noqa: ANN001
    return Agreement.objects.get(pk=loan.pk).status


def what_a_rerun_could_change(loan) -> dict[str, object]:  # noqa: ANN001
    return {
        "status": status_of(loan),
        "history": list(StatusHistory.objects.filter(agreement=loan).values_list("id", "to_status")),
        "steps": list(ScheduledAction.objects.filter(agreement=loan).values_list("id", "status", "rule")),
        "events": AuditEvent.objects.filter(object_id=str(loan.pk)).count(),
    }


@pytest.fixture(autouse=True)
def strategy():
    return strategies.import_strategy(text=TRANSFER, actor=SETUP)


def test_the_step_transfers_a_fully_worked_account_audited_with_the_system_actor(client_a):
    loan = make_fully_worked(client_a, as_of=DAY)
    cycle.run_cycle(run_date=NOTICES_SENT)
    summary = cycle.run_cycle(run_date=DAY)
    assert status_of(loan) == "recoveries"
    step = ScheduledAction.objects.get(agreement=loan, action="recoveries_transfer")
    assert (step.status, step.rule, step.message) == ("done", "", "Transferred to recoveries")
    assert summary.actions_scheduled == 1 and summary.suppressed == {}
    history = StatusHistory.objects.get(agreement=loan, to_status="recoveries")
    assert (history.from_status, history.changed_on, history.actor_label) == ("default", DAY, CYCLE)
    event = AuditEvent.objects.get(action="collections.transferred_to_recoveries", object_id=str(loan.pk))
    assert (event.actor_id, event.actor_label) == (None, CYCLE)
    assert event.before == {"status": "default"} and event.after["checklist"] == "complete"
    assert AuditEvent.objects.filter(action="accounts.status_changed", object_id=str(loan.pk)).count() == 3

    before = what_a_rerun_could_change(loan)
    again = cycle.run_cycle(run_date=DAY, rerun=True)
    assert what_a_rerun_could_change(loan) == before
    assert (again.actions_scheduled, again.retried, again.suppressed) == (0, 0, {})
    cycle.run_cycle(run_date=DAY + timedelta(days=1))
    assert steps_of(loan) == [("done", "", DAY)]


def test_the_step_refuses_an_account_not_fully_worked_naming_what_is_missing_then_retries(client_a):
    loan = in_default_with_an_expired_default_notice(client_a)
    cycle.run_cycle(run_date=NOTICES_SENT)
    summary = cycle.run_cycle(run_date=DAY)
    assert status_of(loan) == "default"
    step = ScheduledAction.objects.get(agreement=loan, action="recoveries_transfer")
    assert (step.status, step.rule) == ("suppressed", "RECOVERIES-CHECKLIST")
    for item in (
        "Contact attempts: 0 of the 3 required",
        "No arrangement offered",
        "No income and expenditure",
    ):
        assert item in step.message
    assert "UK-DEFAULT" not in step.message  # the default notice was served and has expired
    assert summary.suppressed == {"RECOVERIES-CHECKLIST": 1}
    assert not AuditEvent.objects.filter(action="collections.transferred_to_recoveries").exists()

    # the next day it is asked again: still not worked, counted and not written
    second = cycle.run_cycle(run_date=DAY + timedelta(days=1))
    assert second.retries_suppressed == {"RECOVERIES-CHECKLIST": 1} and second.retried == 0
    assert steps_of(loan) == [("suppressed", "RECOVERIES-CHECKLIST", DAY)]

    # the account is worked; the day after, the retry transfers it, once
    third_day = DAY + timedelta(days=2)
    work_the_account(loan, as_of=third_day)
    third = cycle.run_cycle(run_date=third_day)
    assert third.retried == 1 and third.retries_suppressed == {}
    assert status_of(loan) == "recoveries"
    assert steps_of(loan) == [("suppressed", "RECOVERIES-CHECKLIST", DAY), ("done", "", third_day)]
    before = what_a_rerun_could_change(loan)
    cycle.run_cycle(run_date=third_day, rerun=True)
    cycle.run_cycle(run_date=third_day + timedelta(days=1))
    assert what_a_rerun_could_change(loan) == before


def test_a_shard_asks_the_checklist_once_and_transfers_only_the_accounts_whose_step_is_due(
    client_a, monkeypatch
):
    """Set-based: one checklist call for the shard's steps, one under the lock for the accounts it lets
    through - never a call per account, and nothing read for the accounts with no step today."""
    worked = [make_fully_worked(client_a, as_of=DAY) for _ in range(3)]
    unworked = [in_default_with_an_expired_default_notice(client_a) for _ in range(2)]
    not_due = make_uk_agreement(client_a)  # paid January: 10 days past due, no step
    from tests.collections.test_cycle import pay

    pay(not_due, 10_000, date(2024, 1, 30))
    cycle.run_cycle(run_date=NOTICES_SENT)
    calls: dict[str, list[list[int]]] = {"shard": [], "action": []}
    real = recoveries.recoveries_checklist

    def counting(where: str):  # noqa: ANN202
        def checklist(agreement_ids, as_of):  # noqa: ANN001, ANN202
            calls[where].append(sorted(agreement_ids))
            return real(agreement_ids, as_of)

        return checklist

    monkeypatch.setattr(cycle, "recoveries_checklist", counting("shard"))
    monkeypatch.setattr(recoveries, "recoveries_checklist", counting("action"))
    summary = cycle.run_cycle(run_date=DAY)
    assert calls == {
        "shard": [sorted(loan.pk for loan in worked + unworked)],
        "action": [sorted(loan.pk for loan in worked)],
    }
    assert [status_of(loan) for loan in worked + unworked + [not_due]] == ["recoveries"] * 3 + [
        "default"
    ] * 2 + ["in_arrears"]
    assert summary.suppressed == {"RECOVERIES-CHECKLIST": 2}


def test_the_action_refuses_under_its_lock_what_the_checklist_refuses(client_a):
    """The action itself never transfers without the checklist: asked for an unworked account it refuses,
    naming every missing item, and changes nothing."""
    loan = in_default_with_an_expired_default_notice(client_a)
    outcome = actions.transfer_fully_worked_to_recoveries(
        agreement_ids=[loan.pk], on=DAY, actor=SETUP, reason="test"
    )
    assert outcome.transferred == []
    assert {item.code for item in outcome.refused[loan.pk]} == {
        "contact_attempts",
        "arrangement_offered",
        "income_expenditure_offered",
    }
    assert status_of(loan) == "default"
    assert not StatusHistory.objects.filter(agreement=loan, to_status="recoveries").exists()
