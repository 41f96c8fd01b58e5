"""Third parties (UK-THIRDPARTY) and vulnerability (VC-RECORD): add, end, disclosure in the banner, refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from fairpath.accounts.models import ThirdParty, VulnerabilityCue
from fairpath.collections.workspace import actions, third_parties
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.models import AuditEvent
from tests.factories import make_user
from tests.factories.collections import make_uk_agreement

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 4, 11, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def agreement(client_a):
    return make_uk_agreement(client_a)


@pytest.fixture
def agent(client_a):
    return make_user("agent", client_a)


def counts() -> tuple[int, int, int]:
    return ThirdParty.objects.count(), VulnerabilityCue.objects.count(), AuditEvent.objects.count()


def add(agreement, actor, **overrides):
    fields = {"kind": "debt_adviser", "name": "Jo Adviser", "organisation": "StepChange",
              "authority_from": TODAY}  # fmt: skip
    fields.update(overrides)
    return third_parties.add_third_party(agreement=agreement, actor=actor, **fields)


def test_every_kind_has_a_disclosure_list():
    for kind in ThirdParty.Kind.values:
        may_tell, never_tell = third_parties.disclosure_of(kind)
        assert may_tell and never_tell, kind


def test_adviser_shown_in_banner_with_what_may_be_told(web_as, agent, agreement):
    party = add(agreement, agent)
    assert party.agreement == agreement and party.customer == agreement.customer
    assert AuditEvent.objects.filter(action="collections.third_party_added", object_id=str(party.pk)).exists()
    page = web_as(agent).get(reverse("collections:workspace", args=[agreement.pk])).content.decode()
    assert "UK-THIRDPARTY" in page and "Jo Adviser" in page and "Income and expenditure on file" in page


def test_guarantor_is_told_only_what_a_surety_may_hear(web_as, agent, agreement):
    add(agreement, agent, kind="guarantor", name="Sam Surety", organisation="")
    page = web_as(agent).get(reverse("collections:workspace", args=[agreement.pk])).content.decode()
    assert "Guarantor" in page and "CCA s.111" in page and "The customer&#x27;s income" in page


def test_attorney_needs_the_authority_seen(agent, agreement):
    before = counts()
    with pytest.raises(Refusal) as refused:
        add(agreement, agent, kind="power_of_attorney", name="Pat Attorney")
    assert refused.value.rule == "UK-THIRDPARTY"
    assert counts() == before
    party = add(agreement, agent, kind="power_of_attorney", name="Pat Attorney", reason="LPA registered 2025")
    assert party.kind == "power_of_attorney"


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "cousin"},
        {"name": " "},
        {"email": "not an address"},
        {"authority_until": date(2026, 3, 1)},
        {"kind": "guarantor", "all_agreements": True},
    ],
)
def test_bad_third_parties_change_nothing(agent, agreement, overrides):
    before = counts()
    with pytest.raises(InvalidInput):
        add(agreement, agent, **overrides)
    assert counts() == before


def test_end_authority_and_the_banner_drops_it(web_as, agent, agreement):
    party = add(agreement, agent, authority_from=date(2026, 2, 1))
    with pytest.raises(InvalidInput):
        third_parties.end_third_party(party=party, actor=agent, last_day=TODAY, reason="")
    ended = third_parties.end_third_party(
        party=party, actor=agent, last_day=date(2026, 3, 3), reason="Revoked"
    )
    assert ended.authority_until == date(2026, 3, 3)
    with pytest.raises(Refusal):
        third_parties.end_third_party(party=party, actor=agent, last_day=TODAY, reason="again")
    page = web_as(agent).get(reverse("collections:workspace", args=[agreement.pk])).content.decode()
    assert "Income and expenditure on file" not in page


def test_another_client_and_a_role_without_permission_are_refused(agreement, client_a, client_b, agent):
    party = add(agreement, agent)
    outsiders = (make_user("team_leader", client_b), make_user("compliance_officer", client_a))
    before = counts()
    for outsider in outsiders:
        with pytest.raises(NotPermitted):
            add(agreement, outsider)
        with pytest.raises(NotPermitted):
            third_parties.end_third_party(party=party, actor=outsider, last_day=TODAY, reason="x")
    assert counts() == before


def test_vulnerability_recorded_and_refusals_name_vc_record(agent, agreement):
    before = counts()
    common = {"agreement": agreement, "actor": agent, "driver": "health", "description": "Recovering from surgery",
              "on": TODAY}  # fmt: skip
    with pytest.raises(Refusal) as refused:
        actions.record_vulnerability(**common, is_temporary=True, review_on=None, lawful_basis="Consent")
    assert refused.value.rule == "VC-RECORD"
    with pytest.raises(Refusal) as refused:
        actions.record_vulnerability(**common, is_temporary=False, review_on=None, lawful_basis="")
    assert refused.value.rule == "VC-RECORD"
    assert counts() == before
    cue = actions.record_vulnerability(
        **common, is_temporary=True, review_on=date(2026, 6, 1), lawful_basis="Explicit consent on call"
    )
    assert cue.customer == agreement.customer and cue.recorded_on == TODAY
    assert AuditEvent.objects.filter(action="collections.vulnerability_recorded").count() == 1
