"""The web shell: sign in and out, password change, home per role, approvals and history, client scope."""

from fairpath.clients.models import Client
from fairpath.governance.models import AuditEvent
from tests.factories import PASSWORD, make_user


def test_a_wrong_password_is_refused_with_a_clear_message(client_a, client):
    make_user("agent", client_a, username="amira")
    response = client.post("/login/", {"username": "amira", "password": "wrong-password"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_lands_on_the_role_home_page(client_a, client):
    make_user("team_leader", client_a, username="dan")
    response = client.post("/login/", {"username": "dan", "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert "Approvals" in page and "Audit trail" in page and "Users &amp; tokens" not in page


def test_a_capability_not_yet_installed_says_so(client_a, web_as, monkeypatch):
    from fairpath.web import home

    forecasts = home.Panel("Forecasts", "Calls and staffing by interval.", "workforce:forecast")
    monkeypatch.setitem(home.ROLE_PANELS, "back_office_executive", [forecasts, home.CUSTOMERS])
    page = web_as(make_user("back_office_executive", client_a)).get("/").content.decode()
    assert "Forecasts" in page and "Not yet available" in page and home.COMING in page


def test_password_change_is_audited_without_the_password(client_a, web_as):
    user = make_user("agent", client_a)
    http = web_as(user)
    response = http.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-pass-77",
            "new_password2": "a-much-better-pass-77",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-pass-77")
    event = AuditEvent.objects.get(action="user.password_changed")
    assert event.after is None and "better" not in str(event.before)


def test_navigation_differs_by_role(client_a, web_as):
    agent_page = web_as(make_user("agent", client_a)).get("/").content.decode()
    admin_page = web_as(make_user("administrator", client_a)).get("/").content.decode()
    assert (
        'data-nav="governance:user_list"' in admin_page
        and 'data-nav="governance:user_list"' not in agent_page
    )
    assert 'data-nav="governance:audit_list"' not in agent_page


def test_a_client_page_of_another_client_is_not_found_and_cannot_be_edited(client_a, client_b, web_as):
    http = web_as(make_user("administrator", client_a))
    assert http.get("/clients/lender-b/").status_code == 404
    assert http.post("/clients/lender-b/edit/", {"name": "Mine now", "is_active": "on"}).status_code == 404
    assert Client.objects.get(code="lender-b").name == "Lender B"
    assert "Lender B" not in http.get("/clients/").content.decode()


def test_editing_a_client_shows_its_history(client_a, web_as):
    http = web_as(make_user("administrator", client_a))
    response = http.post(
        "/clients/lender-a/edit/", {"name": "Lender A Ltd", "is_active": "on", "reason": "rename"}
    )
    assert response.status_code == 302
    history = http.get(f"/governance/audit/history/clients.client/{client_a.pk}/").content.decode()
    assert "client.updated" in history and "rename" in history


def test_history_of_another_clients_object_is_empty(client_a, client_b, web_as):
    admin_b = make_user("administrator", client_b)
    web_as(admin_b).post("/clients/lender-b/edit/", {"name": "B2", "is_active": "on"})
    history = (
        web_as(make_user("compliance_officer", client_a))
        .get(f"/governance/audit/history/clients.client/{client_b.pk}/")
        .content.decode()
    )
    assert "client.updated" not in history and "No recorded changes" in history


def test_an_approver_decides_on_the_page(client_a, web_as):
    from fairpath.governance.actions import act_within_authority
    from fairpath.governance.authority import approval_handler

    @approval_handler("test.page-approval")
    def _noop(payload, *, actor, approval):
        return None

    agent = make_user("agent", client_a)
    leader = make_user("team_leader", client_a)
    approval = act_within_authority(
        actor=agent,
        client=client_a,
        action="test.page-approval",
        kind="fee_waiver",
        value=20_000,
        currency="GBP",
        payload={},
        summary="Waive £200 fee",
    ).approval
    http = web_as(leader)
    assert "Waive £200 fee" in http.get("/").content.decode()
    assert "Your decision" in http.get(f"/governance/approvals/{approval.pk}/").content.decode()
    assert "Your decision" not in web_as(agent).get(f"/governance/approvals/{approval.pk}/").content.decode()
    http.post(f"/governance/approvals/{approval.pk}/decide/", {"decision": "approve", "reason": "fine"})
    approval.refresh_from_db()
    assert approval.status == "approved"


def test_each_navigation_section_appears_once(client_a):
    from fairpath.web.navigation import entries_for

    sections = [entry["section"] for entry in entries_for(make_user("head_of_operations", client_a))]
    runs = [section for index, section in enumerate(sections) if index == 0 or sections[index - 1] != section]
    assert len(runs) == len(set(runs)) and "Work" in runs and "Control" in runs
