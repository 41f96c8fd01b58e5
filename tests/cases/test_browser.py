"""In Debian's Chromium: register a complaint from an account, see its deadlines, escalate it, close it with
redress and find it in the complaints MI."""

import pytest

from fairpath.accounts.models import LedgerEntry
from fairpath.cases.models import Case
from tests.browser_fixtures import sign_in
from tests.factories import make_user
from tests.factories.accounts import make_agreement, make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_complaint_from_registration_to_the_mi(page, live_server, client_a, tmp_path):
    make_user("team_leader", client_a, username="tara")
    customer = make_customer(client_a, first_name="Grace", last_name="Hopper")
    agreement = make_agreement(customer)
    sign_in(page, live_server.url, "tara")

    page.goto(f"{live_server.url}/customers/agreements/{agreement.pk}/")
    page.wait_for_selector(f"text={agreement.reference}")
    page.goto(f"{live_server.url}/cases/new/?agreement={agreement.pk}")
    assert "Grace Hopper" in page.locator("main").inner_text()
    page.select_option("#id_category", "fees_and_charges")
    page.fill("#id_summary", "Charged a late fee after paying on time")
    page.click("[data-testid=register-form] button[type=submit]")

    page.wait_for_selector("[data-testid=deadlines]")
    rules = page.locator("[data-testid=deadlines] tr[data-rule]").evaluate_all(
        "rows => rows.map(row => row.dataset.rule)"
    )
    assert set(rules) == {"D-SRC", "D-8WEEKS"}
    assert "on track" in page.locator("[data-testid=deadlines]").inner_text()
    case = Case.objects.get()
    assert case.agreement_id == agreement.pk and case.case_type == "complaint"

    page.fill("#escalate-reason", "Customer asked for a manager")
    page.click("[data-testid=escalate-form] button[type=submit]")
    page.wait_for_selector("[data-testid=escalation-level]:has-text('Team leader')")
    page.screenshot(path=str(tmp_path / "escalated.png"))

    page.select_option("#close-outcome", "upheld")
    page.select_option("#close-root-cause", "process_failure")
    page.fill("#close-redress", "25.00")
    page.fill("#close-summary", "The fee was applied in error and has been refunded.")
    page.click("[data-testid=close-form] button[type=submit]")
    page.wait_for_selector("[data-testid=outcome]")
    assert page.locator("[data-testid=case-status]").inner_text() == "Closed"
    assert "£25.00" in page.locator("[data-testid=outcome]").inner_text()
    assert LedgerEntry.objects.filter(agreement=agreement, amount_minor=-2_500).exists()

    page.click("[data-nav='cases:complaints_mi']")
    page.wait_for_selector("[data-testid=mi-summary]")
    assert page.locator("[data-testid=mi-closed]").inner_text() == "1"
    assert page.locator("[data-testid=mi-redress]").inner_text() == "£25.00"
    assert "Process not followed" in page.locator("[data-testid=mi-by-root-cause]").inner_text()
    page.screenshot(path=str(tmp_path / "complaints-mi.png"))
