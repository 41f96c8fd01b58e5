"""In Debian's Chromium: an agent's day in the workspace, and the team leader's approval of the arrangement."""

from datetime import timedelta

import pytest

from fairpath.collections.models import Arrangement, ContactRecord, Promise
from tests.browser_fixtures import sign_in
from tests.factories import make_user
from tests.factories.collections import make_uk_agreement
from tests.factories.work import make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_day_in_the_workspace_and_team_leader_approval(page, live_server, client_a, tmp_path):
    from django.utils import timezone

    make_user("agent", client_a, username="amira")
    make_user("team_leader", client_a, username="lena")
    agreement = make_uk_agreement(client_a)
    make_item(client_a, title="Call about arrears", agreement=agreement, customer=agreement.customer)
    soon = (timezone.localdate() + timedelta(days=7)).isoformat()

    sign_in(page, live_server.url, "amira")
    page.goto(f"{live_server.url}/work/")
    page.click("button:has-text('Get next')")
    page.wait_for_selector("[data-testid=banner]")
    assert f"/workspace/agreements/{agreement.pk}/" in page.url

    contact = page.locator("[data-testid=act-contact]")
    contact.locator("select[name=channel]").select_option("call")
    contact.locator("select[name=direction]").select_option("inbound")
    contact.locator("input[name=identity_verified]").check()
    contact.locator("input[name=right_party]").check()
    contact.locator("select[name=outcome]").select_option("promise")
    contact.locator("button:has-text('Log contact')").click()
    page.wait_for_selector("text=Contact recorded.")
    assert ContactRecord.objects.get(agreement=agreement).right_party

    promise = page.locator("[data-testid=act-promise]")
    promise.locator("input[name=due_on_1]").fill(soon)
    promise.locator("input[name=amount_1]").fill("40.00")
    promise.locator("button:has-text('Record promise')").click()
    page.wait_for_selector("text=Promise to pay recorded.")
    assert Promise.objects.get(agreement=agreement).total_minor == 4000

    ie = page.locator("[data-testid=act-ie]")
    for name, value in {"earnings": "1800", "housing": "650", "utilities": "180", "food": "300"}.items():
        ie.locator(f"input[name={name}]").fill(value)
    ie.locator("button:has-text('Record I&E')").click()
    page.wait_for_selector("text=Income and expenditure recorded.")

    proposal = page.locator("[data-testid=act-arrangement]")
    proposal.locator("input[name=amount]").fill("25")
    proposal.locator("input[name=first_due_on]").fill(soon)
    proposal.locator("input[name=instalment_count]").fill("24")
    proposal.locator("button:has-text('Propose')").click()
    page.wait_for_selector("text=Arrangement proposed.")
    arrangement = Arrangement.objects.get(agreement=agreement)
    assert arrangement.is_affordable

    decide = page.locator("[data-testid=arrangements] form")
    decide.locator("input[name=reason]").fill("Affordable on today's I&E")
    decide.locator("button:has-text('Decide')").click()
    page.wait_for_selector("text=sent to a team leader for approval")
    page.screenshot(path=str(tmp_path / "workspace-agent.png"), full_page=True)
    arrangement.refresh_from_db()
    assert arrangement.status == "proposed"
    page.click("text=Sign out")

    sign_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/governance/approvals/")
    page.locator("a:has-text('arrangement')").first.click()
    page.click("button:has-text('Approve')")
    page.wait_for_load_state()
    page.screenshot(path=str(tmp_path / "approval-team-leader.png"), full_page=True)
    arrangement.refresh_from_db()
    assert arrangement.status == "active"


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? (document.activeElement.name || '') : ''")


def test_record_a_contact_with_the_keyboard_only(page, live_server, client_a):
    """Alt+C jumps to the record-contact form; the agent picks with letters, moves with Tab, submits with Enter,
    and the contact is in the history after the page refreshes. No mouse click after signing in."""
    make_user("agent", client_a, username="kiran")
    agreement = make_uk_agreement(client_a)
    sign_in(page, live_server.url, "kiran")
    page.goto(f"{live_server.url}/collections/workspace/agreements/{agreement.pk}/")
    shortcuts = page.locator("[data-testid=shortcuts]")
    assert "record a contact" in shortcuts.inner_text()
    assert "get next" in shortcuts.inner_text()

    page.keyboard.press("Alt+c")
    assert _focused(page) == "channel"
    page.keyboard.type("e")  # E-mail
    page.keyboard.press("Tab")
    assert _focused(page) == "direction"
    page.keyboard.type("i")  # Inbound: the contact policy guard only asks about outbound calls
    for _ in range(10):
        if _focused(page) == "note":
            break
        page.keyboard.press("Tab")
    assert _focused(page) == "note"
    page.keyboard.type("Customer e-mailed about the arrears, keyboard only")
    page.keyboard.press("Enter")

    history = page.locator("[data-testid=contact-history]")
    history.locator("text=keyboard only").wait_for()
    assert "inbound email" in history.inner_text()
    record = ContactRecord.objects.get(agreement=agreement)
    assert (record.channel, record.direction, record.note) == (
        "email", "inbound", "Customer e-mailed about the arrears, keyboard only",
    )  # fmt: skip


def test_the_team_console_shows_its_keys(page, live_server, client_a):
    """The console's help line names its keys, and Alt+O lands on the bulk-reassign owner list."""
    make_user("team_leader", client_a, username="tomasz")
    make_item(client_a, title="Overdue call", due_in=timedelta(minutes=-30))
    sign_in(page, live_server.url, "tomasz")
    page.goto(f"{live_server.url}/work/console/")
    assert "who gets the ticked items" in page.locator("[data-testid=shortcuts]").inner_text()
    page.keyboard.press("Alt+x")
    assert page.evaluate("document.activeElement.name") == "items"
    page.keyboard.press("Space")
    page.keyboard.press("Alt+o")
    assert _focused(page) == "owner"
