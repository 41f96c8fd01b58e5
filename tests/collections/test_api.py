"""POST /api/v1/contact-attempts: allowed (201) or refused (409 naming the rule); refusals are logged."""

from __future__ import annotations

from datetime import date

import pytest

from fairpath.collections import actions
from fairpath.collections.models import ContactAttempt
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement, make_us_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_a(user_factory, client_a, api_as):
    return api_as(user_factory("agent", client_a))


def test_an_allowed_call_is_logged_and_counted(client_a, api_a):
    loan = make_us_agreement(client_a)
    body = {"agreement": loan.pk, "channel": "call", "at": "2026-06-02T14:00:00Z"}
    status, answer = api_a.post("/contact-attempts", body)
    assert status == 201, answer
    assert answer["allowed"] is True
    attempt = ContactAttempt.objects.get(pk=answer["id"])
    assert attempt.is_allowed and attempt.source == "api"
    assert AuditEvent.objects.filter(action="collections.contact_allowed", object_id=str(attempt.pk)).exists()


def test_a_refused_contact_names_the_rule_and_is_counted(client_a, api_a):
    loan = make_uk_agreement(client_a)
    actions.start_breathing_space(agreement=loan, entered_on=date(2026, 6, 1), actor=SETUP)
    status, answer = api_a.post(
        "/contact-attempts", {"agreement": loan.pk, "channel": "sms", "at": "2026-06-03T12:00:00+01:00"}
    )
    assert status == 409
    assert answer["error"]["rule"] == "BS-EFFECT"
    assert ContactAttempt.objects.filter(agreement=loan, is_allowed=False, rule="BS-EFFECT").count() == 1


def test_quiet_hours_refusal_over_the_api(client_a, api_a):
    loan = make_us_agreement(client_a)
    status, answer = api_a.post(
        "/contact-attempts", {"agreement": loan.pk, "channel": "call", "at": "2026-06-02T11:30:00Z"}
    )  # 07:30 in New York
    assert (status, answer["error"]["rule"]) == (409, "US-HOURS")


def test_another_clients_agreement_is_not_found_and_nothing_is_logged(client_a, client_b, api_a):
    loan = make_uk_agreement(client_b)
    status, _ = api_a.post(
        "/contact-attempts", {"agreement": loan.pk, "channel": "call", "at": "2026-06-02T12:00:00Z"}
    )
    assert status == 404
    assert not ContactAttempt.objects.exists()


def test_bad_input_is_refused_with_the_field(client_a, api_a):
    loan = make_uk_agreement(client_a)
    status, answer = api_a.post(
        "/contact-attempts", {"agreement": loan.pk, "channel": "pigeon", "at": "2026-06-02T12:00:00Z"}
    )
    assert status == 422 and answer["error"]["field"] == "channel"
    status, answer = api_a.post(
        "/contact-attempts", {"agreement": loan.pk, "channel": "call", "at": "2026-06-02T12:00:00"}
    )
    assert status == 422 and answer["error"]["field"] == "at"
    assert not ContactAttempt.objects.exists()


def test_a_role_without_the_permission_is_forbidden(client_a, user_factory, api_as):
    loan = make_uk_agreement(client_a)
    api = api_as(user_factory("administrator", client_a))
    status, _ = api.post(
        "/contact-attempts", {"agreement": loan.pk, "channel": "call", "at": "2026-06-02T12:00:00Z"}
    )
    assert status == 403
    assert not ContactAttempt.objects.exists()
