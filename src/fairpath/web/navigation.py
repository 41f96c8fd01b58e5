"""The navigation: each entry names the permission that shows it, so each role sees only what it may use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str | None  # None: every signed-in user
    section: str = "Work"


NAVIGATION: list[NavEntry] = [
    NavEntry("Home", "home", None, "Work"),
    NavEntry("My work", "work:my_work", "work.view_workitem", "Work"),
    NavEntry("Customers", "accounts:customer_list", "accounts.view_customer", "Work"),
    NavEntry("Cases & complaints", "cases:case_list", "cases.view_case", "Work"),
    NavEntry("Reconciliation", "payments:reconciliation", "payments.view_reconciliation", "Work"),
    NavEntry("Team console", "work:team_console", "work.view_team_console", "Team"),
    NavEntry("Dashboards", "insight:dashboard", "insight.view_mi", "Team"),
    NavEntry("KPI definitions", "insight:kpi_catalogue", "insight.view_mi", "Team"),
    NavEntry("Strategies", "collections:strategy_list", "collections.view_strategy", "Team"),
    NavEntry(
        "Holds & suppressions", "collections:suppression_list", "collections.view_suppressions", "Control"
    ),
    NavEntry("Templates & outbox", "communications:template_list", "communications.view_template", "Control"),
    NavEntry("Complaints MI", "cases:complaints_mi", "cases.view_complaints_mi", "Team"),
    NavEntry("Approvals", "governance:approval_list", "governance.view_approvals", "Work"),
    NavEntry("Clients", "clients:client_list", "clients.view_client", "Portfolio"),
    NavEntry("Audit trail", "governance:audit_list", "governance.view_audit", "Control"),
    NavEntry("Users & tokens", "governance:user_list", "governance.manage_users", "Control"),
]


SECTION_ORDER = ("Work", "Team", "Portfolio", "Control")


def entries_for(user: Any) -> list[dict[str, str]]:
    """The entries this user may use, with their URLs, grouped by section in SECTION_ORDER (entries whose
    page is not installed are skipped)."""
    visible = []
    ordered = sorted(NAVIGATION, key=lambda entry: SECTION_ORDER.index(entry.section))
    for entry in ordered:
        if entry.permission and not user.has_perm(entry.permission):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        visible.append({"label": entry.label, "url": url, "section": entry.section, "name": entry.url_name})
    return visible


def navigation_context(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    return {"navigation": entries_for(user)}
