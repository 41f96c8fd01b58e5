"""UK-DEFAULT in the daily cycle's termination-type steps: a GB agreement is never placed with a collection
agency or transferred to recoveries before a default notice was served and its remedy date has passed. The
cycle asks the recoveries checklist (the one place the rule is written) and counts each refusal under
UK-DEFAULT."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairpath.collections import cycle, strategies
from fairpath.collections.models import NoticeDue, ScheduledAction
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement, make_us_agreement, serve_default_notice

pytestmark = pytest.mark.django_db

ENFORCE = """
code: enforce
name: Placement and transfer at once
segments:
  - code: late
    when: {holds: false, dpd: {min: 30}}
    paths:
      - code: only
        steps:
          - {day: 0, action: agency_placement}
          - {day: 0, action: recoveries_transfer}
"""
NOTICE_THEN_PLACE = """
code: notice-then-place
name: Default notice, placement after the remedy period
segments:
  - code: late
    when: {holds: false, dpd: {min: 30}}
    paths:
      - code: only
        steps:
          - {day: 0, action: default_notice}
          - {day: 30, action: agency_placement}
          - {day: 30, action: recoveries_transfer}
"""
DAY = date(2024, 3, 10)  # January and February missed: 39 days past due
TERMINATION_STEPS = ("agency_placement", "recoveries_transfer")


def steps_of(agreement) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    return {
        action: (status, rule)
        for action, status, rule in ScheduledAction.objects.filter(
            agreement=agreement, action__in=TERMINATION_STEPS
        ).values_list("action", "status", "rule")
    }


def test_uk_default_no_placement_or_transfer_without_a_default_notice(client_a):
    """UK-DEFAULT: no default notice was ever served, so both steps are suppressed and counted."""
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    summary = cycle.run_cycle(run_date=DAY)
    assert steps_of(loan) == {
        "agency_placement": ("suppressed", "UK-DEFAULT"),
        "recoveries_transfer": ("suppressed", "UK-DEFAULT"),
    }
    assert summary.suppressed["UK-DEFAULT"] == 2
    message = ScheduledAction.objects.get(agreement=loan, action="agency_placement").message
    assert "No default notice served" in message


@pytest.mark.parametrize(("remedy_offset", "blocked"), [(1, True), (0, True), (-1, False)])
def test_uk_default_blocks_until_the_day_after_the_remedy_date(client_a, remedy_offset, blocked):
    """UK-DEFAULT: the remedy date itself still belongs to the customer; from the day after, the steps go."""
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    serve_default_notice(loan, remedy_on=DAY + timedelta(days=remedy_offset))
    summary = cycle.run_cycle(run_date=DAY, close_day=False)
    found = steps_of(loan)
    if blocked:
        assert found == {action: ("suppressed", "UK-DEFAULT") for action in TERMINATION_STEPS}
        assert summary.suppressed["UK-DEFAULT"] == 2
    else:
        assert all(rule != "UK-DEFAULT" for _, rule in found.values()), found
        # the rest of the checklist decides now: the loan was never worked (RECOVERIES-CHECKLIST)
        assert found["recoveries_transfer"] == ("suppressed", "RECOVERIES-CHECKLIST")
        assert "UK-DEFAULT" not in summary.suppressed


def test_uk_default_a_raised_but_unsent_notice_is_not_served(client_a):
    """UK-DEFAULT: a default notice still pending (not posted) does not start the remedy period."""
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    NoticeDue.objects.create(
        client_id=loan.client_id, agreement=loan, rule="UK-DEFAULT", trigger_on=DAY - timedelta(days=40),
        send_by=DAY - timedelta(days=40), status="pending", remedy_on=DAY - timedelta(days=20),
        run_date=DAY - timedelta(days=40),
    )  # fmt: skip
    cycle.run_cycle(run_date=DAY, close_day=False)
    assert steps_of(loan)["recoveries_transfer"] == ("suppressed", "UK-DEFAULT")


def test_uk_default_applies_to_gb_agreements_only(client_a):
    """UK-DEFAULT is a Consumer Credit Act rule: a US agreement's steps are not refused under it."""
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    us = make_us_agreement(client_a)
    summary = cycle.run_cycle(run_date=DAY)
    assert steps_of(us), "the US agreement reached the steps"
    assert all(rule != "UK-DEFAULT" for _, rule in steps_of(us).values())
    assert "UK-DEFAULT" not in summary.suppressed


def test_uk_default_the_cycle_serves_the_notice_then_places_after_the_remedy_date(client_a):
    """UK-DEFAULT end to end: the cycle raises and sends the default notice on day 0; the day-30 steps fall
    after its remedy date (service + 14 days at least) and UK-DEFAULT no longer refuses them: the placement
    goes, and the transfer is left to the rest of the recoveries checklist (this loan was never worked)."""
    strategies.import_strategy(text=NOTICE_THEN_PLACE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    cycle.run_cycle(run_date=DAY)
    notice = NoticeDue.objects.get(agreement=loan, rule="UK-DEFAULT")
    assert notice.status == "sent" and notice.remedy_on is not None
    later = DAY + timedelta(days=30)
    assert later > notice.remedy_on
    summary = cycle.run_cycle(run_date=later)
    assert all(rule != "UK-DEFAULT" for _, rule in steps_of(loan).values()), steps_of(loan)
    assert steps_of(loan)["agency_placement"] == ("scheduled", "")
    assert steps_of(loan)["recoveries_transfer"] == ("suppressed", "RECOVERIES-CHECKLIST")
    message = ScheduledAction.objects.get(agreement=loan, action="recoveries_transfer").message
    assert "UK-DEFAULT" not in message and "Contact attempts" in message
    assert "UK-DEFAULT" not in summary.suppressed


def test_uk_default_the_shard_asks_the_checklist_once_not_per_account(client_a, monkeypatch):
    """Set-based: one call of the recoveries checklist for every termination step of the shard."""
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    loans = [make_uk_agreement(client_a) for _ in range(3)]
    calls: list[list[int]] = []
    real = cycle.recoveries_checklist

    def counting(agreement_ids, as_of):  # noqa: ANN001, ANN202
        calls.append(list(agreement_ids))
        return real(agreement_ids, as_of)

    monkeypatch.setattr(cycle, "recoveries_checklist", counting)
    summary = cycle.run_cycle(run_date=DAY)
    assert calls == [sorted(loan.pk for loan in loans)]
    assert summary.suppressed["UK-DEFAULT"] == 6
