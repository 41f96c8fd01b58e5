"""The API's contract: OpenAPI, token and session auth, one error body, client scope, nothing changed on refusal."""

from datetime import timedelta

from django.utils import timezone

from fairpath.clients.models import Client
from fairpath.governance.actions import create_api_token, revoke_api_token
from fairpath.governance.audit import SystemActor
from fairpath.governance.models import AuditEvent
from tests.conftest import Api
from tests.factories import make_user


def test_openapi_and_docs_are_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Fairpath API"
    assert "/api/v1/clients" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_me_tells_role_clients_and_permissions(client_a, api_as):
    leader = make_user("team_leader", client_a)
    status, body = api_as(leader).get("/me")
    assert status == 200
    assert body["role"] == "team_leader" and body["clients"] == ["lender-a"]
    assert "governance.decide_approval" in body["permissions"]


def test_an_expired_token_is_refused_with_the_reason(client_a):
    user = make_user("agent", client_a)
    issued = create_api_token(
        user=user, name="old", actor=SystemActor("t"), expires_at=timezone.now() - timedelta(minutes=1)
    )
    status, body = Api(issued.secret).get("/clients")
    assert status == 401
    assert body["error"]["code"] == "unauthenticated" and "expired" in body["error"]["message"]


def test_a_revoked_or_unknown_token_is_refused(client_a):
    user = make_user("agent", client_a)
    issued = create_api_token(user=user, name="t", actor=SystemActor("t"))
    revoke_api_token(token=issued.token, actor=SystemActor("t"))
    assert Api(issued.secret).get("/clients")[1]["error"]["message"] == "The API token was revoked"
    assert Api("fp_not-a-token").get("/clients")[0] == 401


def test_a_token_sees_only_its_scoped_clients(client_a, client_b):
    user = make_user("head_of_operations", client_a, client_b)
    scoped = create_api_token(user=user, name="a-only", client_codes=["lender-a"], actor=SystemActor("t"))
    status, body = Api(scoped.secret).get("/clients")
    assert status == 200 and [row["code"] for row in body] == ["lender-a"]
    assert Api(scoped.secret).get("/clients/lender-b")[0] == 404


def test_a_client_a_user_can_neither_see_nor_change_client_b(client_a, client_b, api_as):
    admin_a = make_user("administrator", client_a)
    caller = api_as(admin_a)
    status, body = caller.get("/clients")
    assert [row["code"] for row in body] == ["lender-a"]
    status, body = caller.get("/clients/lender-b")
    assert status == 404 and body["error"]["code"] == "not_found"
    events = AuditEvent.objects.count()
    status, body = caller.patch("/clients/lender-b", {"name": "Taken over"})
    assert status == 404
    assert Client.objects.get(code="lender-b").name == "Lender B"
    assert AuditEvent.objects.count() == events


def test_a_malformed_json_body_is_a_clear_400_and_changes_nothing(client_a, api_as):
    caller = api_as(make_user("administrator", client_a))
    events = AuditEvent.objects.count()
    status, body = caller.patch("/clients/lender-a", raw='{"name": ')
    assert status == 400
    assert body == {"error": {"code": "malformed_json", "message": "The request body is not valid JSON"}}
    assert Client.objects.get(code="lender-a").name == "Lender A" and AuditEvent.objects.count() == events


def test_a_bad_field_is_named(client_a, api_as):
    admin_a = make_user("administrator", client_a)
    status, body = api_as(admin_a).patch("/clients/lender-a", {"complaints_email": "not-an-address"})
    assert status == 422 and body["error"]["field"] == "complaints_email"
    status, body = api_as(admin_a).patch("/clients/lender-a", {"base_currency": "USD"})
    assert status == 422 and body["error"]["field"] == "base_currency"


def test_a_change_through_the_api_is_audited_with_reason(client_a, api_as):
    admin_a = make_user("administrator", client_a)
    status, body = api_as(admin_a).patch(
        "/clients/lender-a", {"name": "Lender A plc", "reason": "legal name"}
    )
    assert status == 200 and body["name"] == "Lender A plc"
    event = AuditEvent.objects.get(action="client.updated")
    assert event.reason == "legal name" and event.actor == admin_a


def test_a_refusal_names_its_rule(client_a, api_as):
    from fairpath.governance.actions import act_within_authority
    from fairpath.governance.authority import approval_handler

    @approval_handler("test.api-refusal")
    def _noop(payload, *, actor, approval):
        return None

    leader = make_user("team_leader", client_a)
    approval = act_within_authority(
        actor=leader,
        client=client_a,
        action="test.api-refusal",
        kind="fee_waiver",
        value=60_000,
        currency="GBP",
        payload={},
        summary="big waiver",
    ).approval
    status, body = api_as(leader).post(f"/approvals/{approval.pk}/decision", {"approve": True})
    assert status == 403
    assert body["error"]["rule"] == "APPROVAL-FOUR-EYES"


def test_session_calls_need_csrf(client_a, client):
    user = make_user("agent", client_a)
    client.force_login(user)
    assert client.get("/api/v1/me").status_code == 200
    from django.test import Client as HttpClient

    strict = HttpClient(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(
        "/api/v1/approvals/1/decision", data={"approve": True}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
