"""In Debian's Chromium: an operations manager edits a template, sees the UK-PRESSURE finding with its line,
fixes the wording and publishes it."""

import pytest

from tests.factories import PASSWORD, make_user
from tests.factories.communications import seed_templates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_edit_check_fix_and_publish_a_template(page, live_server, client_a, tmp_path):
    templates = seed_templates(client_a)
    template = templates[("reminder", "sms", "UK")]
    make_user("operations_manager", client_a, username="esther")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "esther")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=navigation]")

    page.click("text=Templates & outbox")
    page.click(f"a[href='/communications/templates/{template.pk}/']")
    page.click("text=Edit wording (new version)")
    page.fill("#id_body", "{{ client_name }}: please pay in full today.\nCall {{ contact_phone }}.")
    page.click("button[name=check]")
    finding = page.locator("[data-testid=findings] tbody tr").first
    assert "UK-PRESSURE" in finding.inner_text() and "pay in full today" in finding.inner_text()
    page.screenshot(path=str(tmp_path / "template-check.png"))

    page.fill("#id_body", "{{ client_name }}: we can help with your account.\nCall {{ contact_phone }}.")
    page.click("button[name=save]")
    page.wait_for_selector("[data-testid=version-2]")
    assert "passes" in page.locator("[data-testid=version-2]").inner_text()
    page.click("text=Publish version 2")
    page.wait_for_selector("[data-testid=version-2] .badge.ok")
    assert "published" in page.locator("[data-testid=version-2] h2").inner_text()
    assert "retired" in page.locator("[data-testid=version-1] h2").inner_text()
