"""Which figures each role's dashboard shows (data, so a dashboard is a list, not a template)."""

from __future__ import annotations

from dataclasses import dataclass

from fairpath.insight.catalogue import get
from fairpath.insight.snapshots import domain_installed


@dataclass(frozen=True)
class Panel:
    """One KPI on a dashboard: its trend (with SPC) and/or its latest breakdown by dimension."""

    kpi: str
    trend: bool = True
    breakdown: bool = True
    trend_dimensions: tuple[str, ...] | None = None
    caption: str = ""


@dataclass(frozen=True)
class Dashboard:
    code: str
    title: str
    purpose: str
    panels: tuple[Panel, ...]
    roll_matrix: bool = False
    cash_target: bool = False

    def installed_panels(self) -> list[Panel]:
        """Panels whose source domain is installed; the others are left out (and listed as such)."""
        return [panel for panel in self.panels if domain_installed(get(panel.kpi).domain)]


DASHBOARDS: dict[str, Dashboard] = {
    "agent": Dashboard(
        "agent",
        "Agent: my book and my day",
        "Promises, contact and arrears on the books you work (per client; a per-agent split needs portfolio "
        "snapshots, not built yet).",
        (
            Panel("PROMISES_TAKEN", breakdown=False),
            Panel("PROMISES_KEPT", trend_dimensions=("all",)),
            Panel("RIGHT_PARTY_CONTACT", breakdown=False),
            Panel("ARREARS_ACCOUNTS", trend=False),
        ),
    ),
    "team_leader": Dashboard(
        "team_leader",
        "Team leader: service levels, backlog, promises",
        "Your team's queues against service levels, the backlog by age, promises and contact, complaints "
        "closed in time.",
        (
            Panel("WORK_SERVICE_LEVEL", breakdown=False),
            Panel("WORK_BACKLOG", trend_dimensions=None),
            Panel("PROMISES_KEPT", trend_dimensions=("all",)),
            Panel("RIGHT_PARTY_CONTACT", breakdown=False),
            Panel("COMPLAINTS_CLOSED_3BD", breakdown=False),
        ),
    ),
    "operations": Dashboard(
        "operations",
        "Operations: the book, roll rates, cures and cash",
        "All teams: arrears by bucket, roll rates month on month, cure rate, arrangements still performing and "
        "cash against target, with control limits so a real shift stands out from noise.",
        (
            Panel("ARREARS_ACCOUNTS", caption="Trend: share of the book in arrears (any bucket but current)"),
            Panel("ARREARS_BALANCE", trend=False),
            Panel("CASH_COLLECTED"),
            Panel(
                "ROLL_FORWARD",
                trend_dimensions=("current",),
                caption="Trend: current → worse, month on month",
            ),
            Panel("CURE_RATE", trend_dimensions=("all",)),
            Panel("ARRANGEMENTS_PERFORMING_3M", breakdown=False),
            Panel("ARRANGEMENTS_PERFORMING_6M", breakdown=False),
            Panel("WORK_SERVICE_LEVEL", breakdown=False),
            Panel("RECONCILIATION_AUTO_MATCH", breakdown=False),
            Panel("RECONCILIATION_SUSPENSE", breakdown=False),
        ),
        roll_matrix=True,
        cash_target=True,
    ),
    "compliance": Dashboard(
        "compliance",
        "Compliance: holds, suppressions, complaints and fair outcomes",
        "Holds in force, contacts the policy suppressed and why, complaints against their deadlines, and "
        "vulnerable customers' outcomes beside everyone else's on the same measures (VC-OUTCOMES).",
        (
            Panel("HOLDS_IN_FORCE", trend=False),
            Panel("CONTACTS_SUPPRESSED"),
            Panel("COMPLAINTS_PER_1000", breakdown=False),
            Panel("COMPLAINTS_CLOSED_3BD", breakdown=False),
            Panel("COMPLAINTS_CLOSED_8W", breakdown=False),
            Panel("COMPLAINTS_UPHELD", breakdown=False),
            Panel("COMPLAINT_REDRESS", trend=False),
            Panel("OMBUDSMAN_REFERRALS", breakdown=False),
            Panel(
                "ARREARS_RATE_VULNERABLE",
                trend_dimensions=("vulnerable",),
                caption="Trend: vulnerable customers",
            ),
            Panel("CURE_RATE", trend_dimensions=("vulnerable",), caption="Trend: vulnerable customers"),
            Panel("PROMISES_KEPT", trend_dimensions=("vulnerable",), caption="Trend: vulnerable customers"),
        ),
    ),
}

ROLE_DASHBOARD = {
    "agent": "agent",
    "back_office_executive": "agent",
    "team_leader": "team_leader",
    "operations_manager": "operations",
    "head_of_operations": "operations",
    "administrator": "operations",
    "compliance_officer": "compliance",
}


def default_for(role_code: str | None) -> str:
    return ROLE_DASHBOARD.get(role_code or "", "operations")
