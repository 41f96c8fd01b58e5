"""Authority limits: within the limit the action happens; over it, the next role up must approve."""

import pytest

from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.governance.actions import act_within_authority, decide_approval
from fairpath.governance.authority import approval_handler, check_authority
from fairpath.governance.models import ApprovalRequest, AuditEvent, AuthorityLimit, Role
from tests.factories import make_user

WAIVED: list[tuple[int, str]] = []


@approval_handler("test.waive_fee")
def waive_fee(payload, *, actor, approval):
    WAIVED.append((payload["amount"], actor.username))
    return payload["amount"]


@pytest.fixture(autouse=True)
def _clear():
    WAIVED.clear()


def _waive(actor, client, amount):
    return act_within_authority(
        actor=actor,
        client=client,
        action="test.waive_fee",
        kind="fee_waiver",
        value=amount,
        currency="GBP",
        payload={"amount": amount},
        summary=f"Waive £{amount / 100:.2f} fee",
        reason="customer hardship",
    )


def test_within_the_limit_the_action_happens_at_once(client_a):
    agent = make_user("agent", client_a)
    outcome = _waive(agent, client_a, 5_000)
    assert not outcome.needs_approval and outcome.result == 5_000
    assert [(5_000, agent.username)] == WAIVED


def test_over_the_limit_an_approval_goes_to_the_next_role_up(client_a):
    agent = make_user("agent", client_a)
    outcome = _waive(agent, client_a, 5_001)
    assert outcome.needs_approval and WAIVED == []
    approval = outcome.approval
    assert approval.required_role.code == "team_leader" and approval.status == "pending"
    assert AuditEvent.objects.filter(action="approval.requested", object_id=str(approval.pk)).exists()


def test_the_chain_skips_roles_whose_limit_is_too_small(client_a):
    agent = make_user("agent", client_a)
    assert _waive(agent, client_a, 150_000).approval.required_role.code == "operations_manager"


def test_approval_carries_the_action_out_as_the_approver(client_a):
    agent = make_user("agent", client_a)
    leader = make_user("team_leader", client_a)
    approval = _waive(agent, client_a, 20_000).approval
    decide_approval(approval=approval, approve=True, actor=leader, reason="ok")
    approval.refresh_from_db()
    assert approval.status == "approved" and approval.decided_by == leader
    assert [(20_000, leader.username)] == WAIVED


def test_nobody_approves_their_own_request(client_a):
    leader = make_user("team_leader", client_a)
    approval = _waive(leader, client_a, 60_000).approval
    with pytest.raises(NotPermitted) as refused:
        decide_approval(approval=approval, approve=True, actor=leader)
    assert refused.value.rule == "APPROVAL-FOUR-EYES"
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "pending" and WAIVED == []


def test_an_approver_cannot_approve_over_their_own_limit(client_a):
    agent = make_user("agent", client_a)
    leader = make_user("team_leader", client_a)
    approval = _waive(agent, client_a, 150_000).approval
    events_before = AuditEvent.objects.count()
    with pytest.raises(NotPermitted) as refused:
        decide_approval(approval=approval, approve=True, actor=leader)
    assert refused.value.rule == "AUTHORITY-LIMIT"
    assert AuditEvent.objects.count() == events_before and WAIVED == []


def test_rejection_needs_a_reason_and_does_nothing(client_a):
    agent = make_user("agent", client_a)
    leader = make_user("team_leader", client_a)
    approval = _waive(agent, client_a, 20_000).approval
    with pytest.raises(InvalidInput):
        decide_approval(approval=approval, approve=False, actor=leader, reason="  ")
    decide_approval(approval=approval, approve=False, actor=leader, reason="not justified")
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "rejected" and WAIVED == []
    with pytest.raises(Refusal) as again:
        decide_approval(approval=approval, approve=True, actor=leader)
    assert again.value.rule == "APPROVAL-STATE"


def test_a_decider_of_another_client_is_refused(client_a, client_b):
    agent = make_user("agent", client_a)
    foreign_leader = make_user("team_leader", client_b)
    approval = _waive(agent, client_a, 20_000).approval
    with pytest.raises(NotPermitted) as refused:
        decide_approval(approval=approval, approve=True, actor=foreign_leader)
    assert refused.value.rule == "ACCESS-CLIENT"


def test_limits_are_data_an_administrator_can_change(client_a):
    agent = make_user("agent", client_a)
    assert not check_authority(user=agent, kind="fee_waiver", value=8_000, currency="GBP").is_within
    AuthorityLimit.objects.filter(role__code="agent", kind="fee_waiver").update(maximum=10_000)
    assert check_authority(user=agent, kind="fee_waiver", value=8_000, currency="GBP").is_within


def test_a_limit_in_another_currency_is_zero(client_a):
    agent = make_user("agent", client_a)
    assert not check_authority(user=agent, kind="fee_waiver", value=1, currency="USD").is_within


def test_every_standard_role_exists_with_its_escalation(db):
    codes = set(Role.objects.values_list("code", flat=True))
    assert {
        "agent",
        "back_office_executive",
        "team_leader",
        "operations_manager",
        "head_of_operations",
        "compliance_officer",
        "administrator",
    } <= codes
    assert Role.objects.get(code="team_leader").escalates_to.code == "operations_manager"
