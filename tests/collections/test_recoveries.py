"""Transfer to recoveries: the per-client checklist, every missing item listed, set-based for many accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairpath.accounts.models import StatusHistory
from fairpath.collections.actions import start_advice_hold
from fairpath.collections.models import NoticeDue, RecoveriesChecklist
from fairpath.collections.workspace import recoveries
from fairpath.core.errors import InvalidInput, NotPermitted
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP, make_user
from tests.factories.collections import make_fully_worked, make_uk_agreement, make_us_agreement

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 4, 11, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def agent(client_a):
    return make_user("agent", client_a)


def state(agreement) -> tuple:
    agreement.refresh_from_db()
    return agreement.status, StatusHistory.objects.count(), AuditEvent.objects.count()


def codes(missing) -> list[str]:
    return [item.code for item in missing]


def test_fully_worked_account_is_transferred_with_audit(client_a, agent):
    agreement = make_fully_worked(client_a, as_of=TODAY)
    assert recoveries.recoveries_checklist([agreement.pk], TODAY) == {agreement.pk: []}
    recoveries.transfer_to_recoveries(agreement=agreement, actor=agent, on=TODAY, reason="Fully worked")
    agreement.refresh_from_db()
    assert agreement.status == "recoveries"
    event = AuditEvent.objects.get(action="collections.transferred_to_recoveries")
    assert event.after["config"]["minimum_contact_attempts"] == 3


def test_an_unworked_account_is_refused_listing_every_missing_item(client_a, agent):
    agreement = make_uk_agreement(client_a)  # up to date, nothing done
    before = state(agreement)
    with pytest.raises(recoveries.ChecklistIncomplete) as refused:
        recoveries.transfer_to_recoveries(agreement=agreement, actor=agent, on=TODAY, reason="Try")
    error = refused.value
    assert error.rule == "RECOVERIES-CHECKLIST"
    assert codes(error.missing) == [
        "status", "contact_attempts", "arrangement_offered", "income_expenditure_offered", "default_notice",
    ]  # fmt: skip
    for item in error.missing:
        assert item.rule in error.message
    assert {item.rule for item in error.missing} >= {
        "STATUS-TRANSITION",
        "UK-DEFAULT",
        "UK-FORB",
        "UK-PROPOSAL",
    }
    assert state(agreement) == before


def test_default_notice_not_yet_expired_and_pending_notice(client_a):
    agreement = make_fully_worked(client_a, as_of=TODAY)
    notice = NoticeDue.objects.get(agreement=agreement)
    NoticeDue.objects.filter(pk=notice.pk).update(remedy_on=TODAY)
    NoticeDue(
        client_id=client_a.pk, agreement=agreement, rule="UK-NOSIA-FS", trigger_on=date(2026, 3, 1),
        send_by=date(2026, 3, 14), run_date=date(2026, 3, 1),
    ).save()  # fmt: skip
    missing = recoveries.recoveries_checklist([agreement.pk], TODAY)[agreement.pk]
    assert [(item.code, item.rule) for item in missing] == [
        ("notice_pending", "UK-NOSIA-FS"),
        ("default_notice", "UK-DEFAULT"),
    ]
    assert "04 Mar 2026" in missing[1].label


def test_a_hold_in_force_blocks_whatever_the_checklist_says(client_a, agent):
    agreement = make_fully_worked(client_a, as_of=TODAY)
    start_advice_hold(agreement=agreement, starts_on=date(2026, 3, 1), actor=SETUP, reason="StepChange")
    before = state(agreement)
    with pytest.raises(recoveries.ChecklistIncomplete) as refused:
        recoveries.transfer_to_recoveries(agreement=agreement, actor=agent, on=TODAY, reason="Try")
    assert [item.rule for item in refused.value.missing] == ["UK-ADVICE-HOLD"]
    assert state(agreement) == before


def test_checklist_is_configurable_per_client_but_uk_default_is_the_law(client_a, client_b):
    strict = make_uk_agreement(client_a)
    lenient = make_uk_agreement(client_b)
    lenient_us = make_us_agreement(client_b)
    RecoveriesChecklist.objects.create(
        client=client_b, minimum_contact_attempts=0, require_arrangement_offered=False,
        require_income_expenditure_offered=False, require_notices_sent=False,
        require_default_notice_expired=False,
    )  # fmt: skip
    answer = recoveries.recoveries_checklist([strict.pk, lenient.pk, lenient_us.pk, 999_999], TODAY)
    assert set(answer) == {strict.pk, lenient.pk, lenient_us.pk}
    assert codes(answer[lenient_us.pk]) == ["status"]  # the status table is never optional
    # a client cannot switch off UK-DEFAULT for a UK customer: no default notice was served
    assert codes(answer[lenient.pk]) == ["status", "default_notice"]
    assert [item.rule for item in answer[lenient.pk]][-1] == "UK-DEFAULT"
    assert len(answer[strict.pk]) == 5


def test_checklist_is_set_based(client_a):
    few = [make_fully_worked(client_a, as_of=TODAY).pk for _ in range(2)]
    with CaptureQueriesContext(connection) as small:
        recoveries.recoveries_checklist(few, TODAY)
    many = few + [make_uk_agreement(client_a).pk for _ in range(8)]
    with CaptureQueriesContext(connection) as large:
        answer = recoveries.recoveries_checklist(many, TODAY)
    assert len(large) == len(small) <= 10
    assert sum(1 for missing in answer.values() if not missing) == 2


def test_another_client_and_a_role_without_permission_are_refused(client_a, client_b):
    agreement = make_fully_worked(client_a, as_of=TODAY)
    outsiders = (make_user("team_leader", client_b), make_user("compliance_officer", client_a))
    before = state(agreement)
    for outsider in outsiders:
        with pytest.raises(NotPermitted):
            recoveries.transfer_to_recoveries(agreement=agreement, actor=outsider, on=TODAY, reason="x")
    assert state(agreement) == before


def test_a_reason_is_required(client_a, agent):
    agreement = make_fully_worked(client_a, as_of=TODAY)
    with pytest.raises(InvalidInput):
        recoveries.transfer_to_recoveries(agreement=agreement, actor=agent, on=TODAY, reason=" ")


def test_an_administrator_edits_the_checklist_in_admin(client_a):
    from django.test import Client as HttpClient

    from fairpath.governance.models import User

    admin_user = User.objects.create_superuser(username="root", password="x-very-long-password-1")
    http = HttpClient()
    http.force_login(admin_user)
    response = http.post(
        "/admin/collections/recoverieschecklist/add/",
        {"client": client_a.pk, "minimum_contact_attempts": 5, "require_notices_sent": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = RecoveriesChecklist.objects.get(client=client_a)
    assert row.minimum_contact_attempts == 5 and row.require_notices_sent
    assert not row.require_default_notice_expired
