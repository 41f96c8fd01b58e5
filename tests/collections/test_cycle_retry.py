"""A termination-type step (agency placement, transfer to recoveries) refused on its day - by the recoveries
checklist's UK-DEFAULT items, or while a notice is late (UK-NOSIA-LATE) - is asked again on each later
cycle day while the account stays on that path, and goes once the refusal lifts (a transfer to recoveries
is then carried out: the account was otherwise fully worked). The first refusal stays suppressed and counted
under its rule; each later refusal is counted in that day's summary under ``retries_suppressed``; a day run
twice adds nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fairpath.accounts.actions import change_status
from fairpath.accounts.models import Agreement
from fairpath.collections import actions, cycle, strategies
from fairpath.collections.models import ScheduledAction
from tests.collections.test_cycle_recoveries_transfer import work_the_account
from tests.collections.test_cycle_transfer import DAY, ENFORCE, TERMINATION_STEPS
from tests.factories import SETUP
from tests.factories.collections import make_strategy, make_uk_agreement, serve_default_notice

pytestmark = pytest.mark.django_db


def rows_of(agreement, action: str) -> list[tuple[str, str, date]]:  # noqa: ANN001
    return list(
        ScheduledAction.objects.filter(agreement=agreement, action=action)
        .order_by("id")
        .values_list("status", "rule", "run_date")
    )


def worked_but_no_default_notice(client):  # noqa: ANN001, ANN201
    """A UK loan in default, worked (calls, I&E, arrangement offered), with no default notice served."""
    loan = make_uk_agreement(client)
    for status in ("in_arrears", "default"):
        change_status(agreement=loan, to_status=status, actor=SETUP, reason="test set-up")
    work_the_account(loan, as_of=DAY)
    return loan


def test_a_step_refused_by_the_checklist_is_retried_until_it_passes(client_a):
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    loan = worked_but_no_default_notice(client_a)
    first = cycle.run_cycle(run_date=DAY)
    assert first.suppressed["UK-DEFAULT"] == 2
    for action in TERMINATION_STEPS:
        assert rows_of(loan, action) == [("suppressed", "UK-DEFAULT", DAY)]

    # the next day: asked again, still no default notice - counted, nothing written
    second = cycle.run_cycle(run_date=DAY + timedelta(days=1))
    assert second.retries_suppressed == {"UK-DEFAULT": 2}
    assert "UK-DEFAULT" not in second.suppressed
    for action in TERMINATION_STEPS:
        assert rows_of(loan, action) == [("suppressed", "UK-DEFAULT", DAY)]

    # a default notice served and its remedy date passed: the third day the steps go
    serve_default_notice(loan, remedy_on=DAY)
    third_day = DAY + timedelta(days=2)
    third = cycle.run_cycle(run_date=third_day)
    assert third.retried == 2 and third.actions_scheduled >= 2
    assert third.retries_suppressed == {}
    # the refusal stays as it was (counted under its rule), the retry is a step of its own; the transfer is
    # carried out
    assert rows_of(loan, "agency_placement") == [
        ("suppressed", "UK-DEFAULT", DAY),
        ("scheduled", "", third_day),
    ]
    assert rows_of(loan, "recoveries_transfer") == [
        ("suppressed", "UK-DEFAULT", DAY),
        ("done", "", third_day),
    ]
    assert Agreement.objects.get(pk=loan.pk).status == "recoveries"
    assert ScheduledAction.objects.filter(status="suppressed", rule="UK-DEFAULT").count() == 2

    # the same day again, and the days after: nothing more
    again = cycle.run_cycle(run_date=third_day, rerun=True)
    assert again.retried == 0 and again.actions_scheduled == 0 and again.retries_suppressed == {}
    cycle.run_cycle(run_date=third_day + timedelta(days=1))
    for action in TERMINATION_STEPS:
        assert len(rows_of(loan, action)) == 2
    assert cycle.run_cycle(run_date=third_day + timedelta(days=2)).retried == 0


def test_the_retry_asks_the_checklist_once_for_the_whole_shard(client_a, monkeypatch):
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    loans = [make_uk_agreement(client_a) for _ in range(3)]
    cycle.run_cycle(run_date=DAY)
    calls: list[list[int]] = []
    real = cycle.recoveries_checklist

    def counting(agreement_ids, as_of):  # noqa: ANN001, ANN202
        calls.append(list(agreement_ids))
        return real(agreement_ids, as_of)

    monkeypatch.setattr(cycle, "recoveries_checklist", counting)
    summary = cycle.run_cycle(run_date=DAY + timedelta(days=1))
    assert calls == [sorted(loan.pk for loan in loans)]
    assert summary.retries_suppressed == {"UK-DEFAULT": 6}


def test_an_account_that_left_the_path_is_not_retried(client_a):
    """A breathing space takes the account off the path: its refused steps are not asked again."""
    strategies.import_strategy(text=ENFORCE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    cycle.run_cycle(run_date=DAY)
    actions.start_breathing_space(agreement=loan, entered_on=DAY, actor=SETUP)
    summary = cycle.run_cycle(run_date=DAY + timedelta(days=1))
    assert summary.retries_suppressed == {} and summary.retried == 0
    assert ScheduledAction.objects.filter(agreement=loan).count() == 2


def test_the_shipped_recoveries_path_transfers_once_the_default_notice_has_expired(client_a):
    """The 180+ day path of the shipped strategy: its one step (transfer to recoveries) is refused while no
    default notice was served, then on the first cycle day after its remedy date the account (in default,
    otherwise fully worked) is transferred."""
    make_strategy()
    loan = make_uk_agreement(client_a)  # nothing paid from 31 January 2024: 180 days past due on 29 July
    day = date(2024, 8, 1)
    for status in ("in_arrears", "default"):
        change_status(agreement=loan, to_status=status, actor=SETUP, reason="test set-up")
    work_the_account(loan, as_of=day)
    cycle.run_cycle(run_date=day)
    # the first day the arrears notice raised that day is still unsent and past its last day
    # (UK-NOSIA-LATE); it goes at the end of the day, so the next day the checklist's UK-DEFAULT refuses
    assert rows_of(loan, "recoveries_transfer") == [("suppressed", "UK-NOSIA-LATE", day)]
    summary = cycle.run_cycle(run_date=day + timedelta(days=1))
    assert summary.retries_suppressed == {"UK-DEFAULT": 1}
    serve_default_notice(loan, remedy_on=day + timedelta(days=1))
    summary = cycle.run_cycle(run_date=day + timedelta(days=2))
    assert summary.retried == 1
    assert rows_of(loan, "recoveries_transfer")[-1] == ("done", "", day + timedelta(days=2))
    assert Agreement.objects.get(pk=loan.pk).status == "recoveries"
