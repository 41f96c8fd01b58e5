"""In Debian's Chromium: two roles sign in and see different navigation; a wrong password is refused."""

import pytest

from tests.browser_fixtures import sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _navigation(page) -> list[str]:
    return page.locator("[data-testid=navigation] a").all_inner_texts()


def test_two_roles_see_different_navigation(page, live_server, client_a, tmp_path):
    make_user("agent", client_a, username="amira")
    make_user("administrator", client_a, username="hana")

    sign_in(page, live_server.url, "amira")
    page.wait_for_selector("[data-testid=home-panels]")
    agent_navigation = _navigation(page)
    page.screenshot(path=str(tmp_path / "agent-home.png"))
    page.click("text=Sign out")
    page.wait_for_selector("#id_username")

    sign_in(page, live_server.url, "hana")
    page.wait_for_selector("[data-testid=home-panels]")
    admin_navigation = _navigation(page)

    assert "Users & tokens" in admin_navigation and "Audit trail" in admin_navigation
    assert "Users & tokens" not in agent_navigation and "Audit trail" not in agent_navigation
    assert "Approvals" in agent_navigation


def test_a_wrong_password_is_shown_on_the_sign_in_page(page, live_server, client_a):
    make_user("agent", client_a, username="ben")
    sign_in(page, live_server.url, "ben", "not-the-password", wait=False)
    assert "correct username and password" in page.locator("[role=alert]").inner_text()


def test_history_loads_with_htmx_on_a_client_page(page, live_server, client_a):
    make_user("administrator", client_a, username="hana")
    sign_in(page, live_server.url, "hana")
    page.wait_for_selector("[data-testid=home-panels]")
    page.goto(f"{live_server.url}/clients/lender-a/edit/")
    page.fill("#id_name", "Lender A Group")
    page.fill("#id_reason", "group rename")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/clients/lender-a/")
    page.wait_for_selector("[data-testid=history] li")
    assert "group rename" in page.locator("[data-testid=history]").inner_text()
