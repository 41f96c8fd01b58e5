"""Each role's dashboard in Debian's Chromium on a generated demo book; screenshots go to test-artifacts/mi/."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from fairpath.demo.generator import generate_portfolio
from fairpath.insight.snapshots import rebuild
from tests.browser_fixtures import sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "mi"
AS_OF = date(2026, 11, 30)


def test_each_role_dashboard_on_the_demo_book(page, live_server):
    generate_portfolio(accounts=400, seed=3, as_of=AS_OF, months=6, client_code="demo-mi")
    from fairpath.clients.models import Client

    demo = Client.objects.get(code="demo-mi")
    rebuild(AS_OF - timedelta(days=61), AS_OF, [demo.pk])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for role, view in (
        ("agent", "agent"),
        ("team_leader", "team_leader"),
        ("head_of_operations", "operations"),
        ("compliance_officer", "compliance"),
    ):
        user = make_user(role, demo, username=f"mi-{role}")
        page.context.clear_cookies()
        sign_in(page, live_server.url, user.username)
        page.wait_for_selector("[data-testid=navigation]")
        page.goto(f"{live_server.url}/mi/?view={view}")
        page.wait_for_selector("[data-testid=filters]")
        charts = page.locator("canvas[data-chart]")
        if charts.count():
            # Chart.js has drawn when the canvas has a non-zero rendered size and an attached chart.
            page.wait_for_function("() => Object.keys(Chart.instances).length > 0")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{view}.png"), full_page=True)
        assert page.locator("details.kpi-definition").count() >= 1
        assert "Lender" not in page.locator("select[name=client]").inner_text()  # only the demo client
    # The operations dashboard draws trend charts with control limits on the demo book.
    page.goto(f"{live_server.url}/mi/?view=operations")
    assert page.locator("canvas[data-chart]").count() >= 2
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "dashboard-operations-print.png"), full_page=True)
    assert not page.locator(".sidebar").is_visible()
