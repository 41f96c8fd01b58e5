"""In Debian's Chromium: an agent gets the next item and finishes it; the team leader reassigns from the console."""

from datetime import timedelta

import pytest

from fairpath.work.models import WorkItem
from tests.browser_fixtures import sign_in
from tests.factories import make_user
from tests.factories.work import make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_s_get_next_and_a_team_leader_s_reassign(page, live_server, client_a, tmp_path):
    make_user("agent", client_a, username="amira")
    make_user("team_leader", client_a, username="lena")
    colleague = make_user("agent", client_a, username="omar")
    make_item(client_a, title="Call Mr Patel", due_in=timedelta(hours=6))
    urgent = make_item(client_a, title="Check promise for Ms Roe", due_in=timedelta(minutes=40))

    sign_in(page, live_server.url, "amira")
    page.goto(f"{live_server.url}/work/")
    page.click("button:has-text('Get next')")
    page.wait_for_selector("tr[aria-current=true]")
    assert "Check promise for Ms Roe" in page.locator("tr[aria-current=true]").inner_text()
    page.screenshot(path=str(tmp_path / "agent-my-work.png"))
    page.fill(f"#item-{urgent.pk} input[name=outcome]", "Paid")
    page.click(f"#item-{urgent.pk} button:has-text('Done')")
    page.wait_for_selector("text=Done: Check promise for Ms Roe")
    page.click("text=Sign out")

    at_risk = make_item(client_a, title="Call before noon", due_in=timedelta(minutes=30))
    sign_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/work/console/")
    row = page.locator(f"#risk-{at_risk.pk}")
    row.locator("select[name=owner]").select_option(str(colleague.pk))
    with page.expect_response(lambda response: response.request.method == "POST") as answered:
        row.locator("button:has-text('Reassign')").click()
    assert answered.value.ok
    page.screenshot(path=str(tmp_path / "team-console.png"))
    assert WorkItem.objects.get(pk=at_risk.pk).owner_id == colleague.pk
    assert WorkItem.objects.get(pk=urgent.pk).status == "done"
