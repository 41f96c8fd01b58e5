"""What each role sees first. Capabilities that later releases deliver say so plainly instead of pretending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from fairpath.governance import roles


@dataclass(frozen=True)
class Panel:
    title: str
    text: str
    url_name: str | None = None
    is_coming: bool = False


COMING = "Arrives with a later release of Fairpath."

ROLE_PANELS: dict[str, list[Panel]] = {
    roles.AGENT: [
        Panel(
            "My work", "Get your next account, promises due today and call-backs. " + COMING, is_coming=True
        ),
        Panel(
            "Customers", "Find a customer by name, reference, phone or postcode.", "accounts:customer_list"
        ),
        Panel(
            "My requests", "Decisions you sent for approval and their outcome.", "governance:approval_list"
        ),
    ],
    roles.BACK_OFFICE_EXECUTIVE: [
        Panel("Cases and complaints", "Your open cases against their deadlines. " + COMING, is_coming=True),
        Panel("Payments to reconcile", "Suspense items and suggested matches. " + COMING, is_coming=True),
        Panel(
            "Customers", "Find a customer by name, reference, phone or postcode.", "accounts:customer_list"
        ),
    ],
    roles.TEAM_LEADER: [
        Panel(
            "Approvals", "Requests over your team's authority, waiting for you.", "governance:approval_list"
        ),
        Panel("Team console", "Who is working on what, backlog and items at risk. " + COMING, is_coming=True),
        Panel(
            "Audit trail", "Every change made for your clients, who made it and why.", "governance:audit_list"
        ),
    ],
    roles.OPERATIONS_MANAGER: [
        Panel("Approvals", "Requests that need an operations manager.", "governance:approval_list"),
        Panel(
            "Strategies and MI",
            "Champion against challenger, roll rates and trends. " + COMING,
            is_coming=True,
        ),
        Panel("Audit trail", "Every change made for your clients.", "governance:audit_list"),
    ],
    roles.HEAD_OF_OPERATIONS: [
        Panel("Approvals", "Requests at the top of the escalation chain.", "governance:approval_list"),
        Panel(
            "Operations overview", "All teams, service levels and fair-outcome MI. " + COMING, is_coming=True
        ),
        Panel("Clients", "The lenders whose portfolios you run.", "clients:client_list"),
    ],
    roles.COMPLIANCE_OFFICER: [
        Panel("Audit trail", "Search and verify the tamper-evident record.", "governance:audit_list"),
        Panel(
            "Holds and complaints", "Suppressions, holds and complaint deadlines. " + COMING, is_coming=True
        ),
        Panel("Approvals", "Every decision made over authority, with reasons.", "governance:approval_list"),
    ],
    roles.ADMINISTRATOR: [
        Panel("Users & tokens", "People, roles, clients and API tokens.", "governance:user_list"),
        Panel("Clients", "Client lenders and their details.", "clients:client_list"),
        Panel("Configuration", "Roles, permissions and authority limits (Django admin).", "admin:index"),
    ],
}


def home_panels(user: Any) -> list[dict[str, Any]]:
    """The role's panels with their links; a link the user may not follow, or not yet installed, is dropped."""
    code = user.role.code if getattr(user, "role", None) else roles.ADMINISTRATOR
    shown = []
    for panel in ROLE_PANELS.get(code, []):
        url = None
        if panel.url_name and not panel.is_coming:
            try:
                url = reverse(panel.url_name)
            except NoReverseMatch:
                url = None
        shown.append({"title": panel.title, "text": panel.text, "url": url, "is_coming": panel.is_coming})
    return shown
