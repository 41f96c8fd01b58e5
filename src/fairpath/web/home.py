"""What each role sees first. Capabilities that later releases deliver say so plainly instead of pretending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from fairpath.governance import roles
from fairpath.web.navigation import NAVIGATION


@dataclass(frozen=True)
class Panel:
    """A tile on a role's home page; it links to its page once that page is installed."""

    title: str
    text: str
    url_name: str


COMING = "Arrives with a later release of Fairpath."

MY_WORK = Panel("My work", "Get your next account, promises due today and call-backs.", "work:my_work")
CUSTOMERS = Panel(
    "Customers", "Find a customer by name, reference, phone or postcode.", "accounts:customer_list"
)
APPROVALS = Panel(
    "Approvals", "Requests over authority, waiting for a decision, with reasons.", "governance:approval_list"
)
CASES = Panel("Cases and complaints", "Open cases against their deadlines.", "cases:case_list")
RECONCILE = Panel("Payments to reconcile", "Suspense items and suggested matches.", "payments:reconciliation")
CONSOLE = Panel("Team console", "Who is working on what, backlog and items at risk.", "work:team_console")
AUDIT = Panel(
    "Audit trail", "Every change made for your clients, who made it and why.", "governance:audit_list"
)
STRATEGIES = Panel(
    "Strategies", "Segments, treatment paths, champion against challenger.", "collections:strategy_list"
)
COMPLAINTS_MI = Panel(
    "Complaints MI",
    "Complaints against deadlines, uphold rate, redress and Ombudsman referrals.",
    "cases:complaints_mi",
)
SUPPRESSIONS = Panel(
    "Holds and suppressions",
    "Every contact the rules refused, by rule, and the holds in force.",
    "collections:suppression_list",
)
CLIENTS = Panel("Clients", "The lenders whose portfolios you run.", "clients:client_list")
USERS = Panel("Users & tokens", "People, roles, clients and API tokens.", "governance:user_list")
CONFIGURATION = Panel("Configuration", "Roles, permissions and authority limits.", "admin:index")

ROLE_PANELS: dict[str, list[Panel]] = {
    roles.AGENT: [MY_WORK, CUSTOMERS, APPROVALS],
    roles.BACK_OFFICE_EXECUTIVE: [MY_WORK, CASES, RECONCILE, CUSTOMERS],
    roles.TEAM_LEADER: [APPROVALS, CONSOLE, CASES, AUDIT],
    roles.OPERATIONS_MANAGER: [APPROVALS, STRATEGIES, CONSOLE, COMPLAINTS_MI],
    roles.HEAD_OF_OPERATIONS: [APPROVALS, COMPLAINTS_MI, STRATEGIES, CLIENTS],
    roles.COMPLIANCE_OFFICER: [AUDIT, SUPPRESSIONS, COMPLAINTS_MI, APPROVALS],
    roles.ADMINISTRATOR: [USERS, CLIENTS, CONFIGURATION, AUDIT],
}


def _may_open(user: Any, url_name: str) -> bool:
    """Whether the navigation would show this page to the user (the same permission guards both)."""
    if url_name == "admin:index":
        return bool(user.is_staff)
    required = {entry.url_name: entry.permission for entry in NAVIGATION}.get(url_name)
    return required is None or user.has_perm(required)


def home_panels(user: Any) -> list[dict[str, Any]]:
    """The role's panels the user may open; a page not yet installed says so instead of pretending."""
    code = user.role.code if getattr(user, "role", None) else roles.ADMINISTRATOR
    shown = []
    for panel in ROLE_PANELS.get(code, []):
        if not _may_open(user, panel.url_name):
            continue
        try:
            url: str | None = reverse(panel.url_name)
        except NoReverseMatch:
            url = None
        text = panel.text if url else f"{panel.text} {COMING}"
        shown.append({"title": panel.title, "text": text, "url": url, "is_coming": url is None})
    return shown
