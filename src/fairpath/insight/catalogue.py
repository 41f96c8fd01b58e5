"""The KPI catalogue: every figure Fairpath shows, with its exact definition, as data.

The same entries are shown beside each figure in the app, written to the Excel definitions sheet and
generated into ``docs/mi.md`` (``fairpath.insight.catalogue.markdown()``; a test keeps the file current).
A figure is ``numerator / denominator`` for rates, or the numerator alone for counts and amounts. Money is
in minor units of the currency named in the dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fairpath.core.errors import InvalidInput


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    NEUTRAL = "neutral"


class Unit(StrEnum):
    COUNT = "count"  # the numerator alone
    MONEY = "money"  # numerator in minor units; the dimension is the currency
    RATE = "rate"  # numerator / denominator, shown as a percentage
    PER_THOUSAND = "per_1000"  # 1,000 × numerator / denominator


class Basis(StrEnum):
    DAILY = "daily"  # events on the day, or a position at the end of the day
    MONTHLY = "monthly"  # written on the last day of each calendar month, for that month


@dataclass(frozen=True)
class Kpi:
    """One KPI: what is counted, over what, on which days, who owns it and which way is good."""

    code: str
    name: str
    domain: str  # the app whose tables it reads; left out while that domain is not installed
    numerator: str
    denominator: str
    population: str
    time_basis: str
    owner_role: str
    direction: Direction
    unit: Unit
    basis: Basis = Basis.DAILY
    dimension: str = ""  # what the dimension column holds ("" = a single figure per client and product)
    rule: str = ""  # the RULES.md id it serves, if any

    def value(self, numerator: int, denominator: int | None) -> float | None:
        """The figure, or None when there is no population (never shown as zero)."""
        if self.unit in (Unit.COUNT, Unit.MONEY):
            return float(numerator)
        if not denominator:
            return None
        scale = 1000.0 if self.unit == Unit.PER_THOUSAND else 1.0
        return scale * numerator / denominator

    def format(self, value: float | None) -> str:
        if value is None:
            return "no data"
        if self.unit == Unit.RATE:
            return f"{100 * value:.1f}%"
        if self.unit == Unit.PER_THOUSAND:
            return f"{value:.2f}"
        if self.unit == Unit.MONEY:
            return f"{value / 100:,.2f}"
        return f"{value:,.0f}"


BOOK = (
    "Agreements opened on or before the day whose ledger balance at the end of the day is above zero "
    "(the open book)"
)
BUCKET_AT = (
    "An agreement's bucket on a day is the to-bucket of its latest bucket history row dated on or before "
    "that day (current when there is none)"
)

KPIS: tuple[Kpi, ...] = (
    Kpi(
        code="ARREARS_ACCOUNTS",
        name="Accounts by arrears bucket",
        domain="accounts",
        numerator="Agreements of the open book in the bucket at the end of the day",
        denominator="All agreements of the open book at the end of the day",
        population=f"{BOOK}. {BUCKET_AT}.",
        time_basis="Position at the end of each day",
        owner_role="operations_manager",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.RATE,
        dimension="bucket",
    ),
    Kpi(
        code="ARREARS_BALANCE",
        name="Balances by arrears bucket",
        domain="accounts",
        numerator="Sum of ledger balances (all postings dated on or before the day) of the agreements in the bucket",
        denominator="Sum of ledger balances of the whole open book",
        population=f"{BOOK}. {BUCKET_AT}. Figures are per currency: the dimension is 'bucket currency'.",
        time_basis="Position at the end of each day",
        owner_role="operations_manager",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.RATE,
        dimension="bucket and currency",
    ),
    Kpi(
        code="ROLL_FORWARD",
        name="Roll-forward rate",
        domain="accounts",
        numerator="Agreements in the from-bucket at the end of the previous month that are in a worse bucket at "
        "the end of this month",
        denominator="Agreements of the open book in the from-bucket at the end of the previous month",
        population=f"{BOOK}, taken at the end of the previous month. {BUCKET_AT}. The full bucket-to-bucket "
        "matrix is in the roll-rate table.",
        time_basis="Calendar month, written on its last day",
        owner_role="head_of_operations",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.RATE,
        basis=Basis.MONTHLY,
        dimension="from bucket",
    ),
    Kpi(
        code="CURE_RATE",
        name="Cure rate",
        domain="accounts",
        numerator="Agreements in arrears (any bucket but current) at the end of the previous month that are "
        "current at the end of this month",
        denominator="Agreements of the open book in arrears at the end of the previous month",
        population=f"{BOOK}, taken at the end of the previous month. {BUCKET_AT}. Split by vulnerability "
        "(VC-OUTCOMES): 'vulnerable' when the customer had a vulnerability cue recorded on or before the "
        "previous month end, else 'other'.",
        time_basis="Calendar month, written on its last day",
        owner_role="head_of_operations",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
        basis=Basis.MONTHLY,
        dimension="all, vulnerable or other",
        rule="VC-OUTCOMES",
    ),
    Kpi(
        code="CASH_COLLECTED",
        name="Cash collected",
        domain="accounts",
        numerator="Payments posted with a value date of the day, less payment reversals dated that day",
        denominator="None (an amount); compared with the monthly target for month-to-date",
        population="Every agreement of the client, whatever its status",
        time_basis="Value date (posted_on) of the ledger entry",
        owner_role="head_of_operations",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.MONEY,
        dimension="currency",
    ),
    Kpi(
        code="ARREARS_RATE_VULNERABLE",
        name="Share of the book 30+ days past due, vulnerable against other customers",
        domain="accounts",
        numerator="Agreements of the open book in a bucket of 30 days past due or worse at the end of the day",
        denominator="All agreements of the open book at the end of the day",
        population=f"{BOOK}. {BUCKET_AT}. 'vulnerable' when the customer has a vulnerability cue recorded on "
        "or before the day, else 'other'.",
        time_basis="Position at the end of each day",
        owner_role="compliance_officer",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.RATE,
        dimension="vulnerable or other",
        rule="VC-OUTCOMES",
    ),
    Kpi(
        code="PROMISES_TAKEN",
        name="Promises to pay taken",
        domain="collections",
        numerator="Promises with a made-on date of the day (cancelled ones included)",
        denominator="None (a count)",
        population="Promises on every agreement of the client",
        time_basis="made_on",
        owner_role="team_leader",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.COUNT,
    ),
    Kpi(
        code="PROMISES_KEPT",
        name="Promises kept %",
        domain="collections",
        numerator="Promises resolved on the day as kept",
        denominator="Promises resolved on the day as kept or broken (cancelled ones are left out)",
        population="Promises on every agreement of the client. Split 'vulnerable' / 'other' by a vulnerability "
        "cue recorded on or before the day (VC-OUTCOMES).",
        time_basis="resolved_on (the cycle decides after the grace days)",
        owner_role="team_leader",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
        dimension="all, vulnerable or other",
        rule="VC-OUTCOMES",
    ),
    Kpi(
        code="PROMISES_BROKEN",
        name="Promises broken %",
        domain="collections",
        numerator="Promises resolved on the day as broken",
        denominator="Promises resolved on the day as kept or broken",
        population="Promises on every agreement of the client",
        time_basis="resolved_on",
        owner_role="team_leader",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.RATE,
    ),
    Kpi(
        code="ARRANGEMENTS_SET_UP",
        name="Arrangements set up",
        domain="collections",
        numerator="Arrangements decided on the day and accepted (now active, completed or broken)",
        denominator="None (a count)",
        population="Arrangements on every agreement of the client",
        time_basis="decided_on",
        owner_role="team_leader",
        direction=Direction.NEUTRAL,
        unit=Unit.COUNT,
    ),
    Kpi(
        code="ARRANGEMENTS_PERFORMING_3M",
        name="Arrangements still performing after 3 months",
        domain="collections",
        numerator="Accepted arrangements not broken or cancelled within 91 days of their first due date",
        denominator="Accepted arrangements (active, completed, broken or cancelled after a decision) whose first "
        "due date is at least 91 days before the day",
        population="Arrangements on every agreement of the client. 3 months is counted as 91 days.",
        time_basis="Cohort position at the end of each day (first_due_on + 91 days ≤ day)",
        owner_role="head_of_operations",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
    ),
    Kpi(
        code="ARRANGEMENTS_PERFORMING_6M",
        name="Arrangements still performing after 6 months",
        domain="collections",
        numerator="Accepted arrangements not broken or cancelled within 182 days of their first due date",
        denominator="Accepted arrangements whose first due date is at least 182 days before the day",
        population="Arrangements on every agreement of the client. 6 months is counted as 182 days.",
        time_basis="Cohort position at the end of each day (first_due_on + 182 days ≤ day)",
        owner_role="head_of_operations",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
    ),
    Kpi(
        code="RIGHT_PARTY_CONTACT",
        name="Right-party contact rate",
        domain="collections",
        numerator="Allowed call attempts on the day on which a conversation about the debt took place",
        denominator="Allowed call attempts on the day",
        population="Contact attempts logged for every agreement of the client (refused attempts left out)",
        time_basis="Attempt time (at), UTC date",
        owner_role="team_leader",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
    ),
    Kpi(
        code="CONTACTS_SUPPRESSED",
        name="Contacts suppressed by rule",
        domain="collections",
        numerator="Contact attempts on the day refused by the contact policy, by the rule that refused them",
        denominator="All contact attempts on the day",
        population="Contact attempts logged for every agreement of the client, on every channel",
        time_basis="Attempt time (at), UTC date",
        owner_role="compliance_officer",
        direction=Direction.NEUTRAL,
        unit=Unit.RATE,
        dimension="rule",
    ),
    Kpi(
        code="HOLDS_IN_FORCE",
        name="Accounts on hold",
        domain="collections",
        numerator="Holds in force at the end of the day (started on or before it, not ended before it), by kind",
        denominator="None (a count)",
        population="Holds on every agreement of the client",
        time_basis="Position at the end of each day",
        owner_role="compliance_officer",
        direction=Direction.NEUTRAL,
        unit=Unit.COUNT,
        dimension="hold kind",
    ),
    Kpi(
        code="COMPLAINTS_PER_1000",
        name="Complaints per 1,000 accounts",
        domain="cases",
        numerator="Complaints received on the day (received_at, UTC date)",
        denominator="Agreements of the open book at the end of the day",
        population=f"Complaint cases of the client; {BOOK}. Complaints without an agreement count under "
        "product 'none'.",
        time_basis="received_at",
        owner_role="compliance_officer",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.PER_THOUSAND,
        rule="D-RETURN",
    ),
    Kpi(
        code="COMPLAINTS_CLOSED_3BD",
        name="Complaints closed within 3 business days",
        domain="cases",
        numerator="Complaints closed on the day with business_days_to_close ≤ 3 (after the day of receipt)",
        denominator="Complaints closed on the day",
        population="Complaint outcomes of the client",
        time_basis="closed_at, UTC date",
        owner_role="compliance_officer",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
        rule="D-SRC",
    ),
    Kpi(
        code="COMPLAINTS_CLOSED_8W",
        name="Complaints closed within 8 weeks",
        domain="cases",
        numerator="Complaints closed on the day whose final response date is within 56 days of receipt",
        denominator="Complaints closed on the day",
        population="Complaint outcomes of the client",
        time_basis="closed_at, UTC date",
        owner_role="compliance_officer",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
        rule="D-8WEEKS",
    ),
    Kpi(
        code="COMPLAINTS_UPHELD",
        name="Complaint uphold rate",
        domain="cases",
        numerator="Complaints closed on the day upheld or partly upheld",
        denominator="Complaints closed on the day",
        population="Complaint outcomes of the client",
        time_basis="closed_at, UTC date",
        owner_role="compliance_officer",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.RATE,
        rule="D-RETURN",
    ),
    Kpi(
        code="COMPLAINT_REDRESS",
        name="Complaint redress",
        domain="cases",
        numerator="Redress on complaints closed on the day",
        denominator="None (an amount)",
        population="Complaint outcomes of the client",
        time_basis="closed_at, UTC date",
        owner_role="compliance_officer",
        direction=Direction.NEUTRAL,
        unit=Unit.MONEY,
        dimension="currency",
        rule="D-RETURN",
    ),
    Kpi(
        code="OMBUDSMAN_REFERRALS",
        name="Ombudsman referrals",
        domain="cases",
        numerator="Ombudsman referrals dated on the day",
        denominator="None (a count)",
        population="Ombudsman referrals of the client's complaints",
        time_basis="referred_on",
        owner_role="compliance_officer",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.COUNT,
        rule="D-FOS",
    ),
    Kpi(
        code="WORK_BACKLOG",
        name="Work backlog by age",
        domain="work",
        numerator="Work items created on or before the end of the day and not completed by then (cancelled ones "
        "left out), by age band in days since creation: 0-1, 2-5, 6-10, 11+",
        denominator="None (a count)",
        population="Work items of the client",
        time_basis="Position at the end of each day (UTC)",
        owner_role="team_leader",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.COUNT,
        dimension="age band",
    ),
    Kpi(
        code="WORK_SERVICE_LEVEL",
        name="Work service-level attainment",
        domain="work",
        numerator="Work items completed on the day on or before their due time",
        denominator="Work items completed on the day",
        population="Work items of the client (status done)",
        time_basis="completed_at, UTC date",
        owner_role="team_leader",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
    ),
)

PAYMENT_KPIS: tuple[Kpi, ...] = (
    Kpi(
        code="RECONCILIATION_AUTO_MATCH",
        name="Reconciliation auto-match rate",
        domain="payments",
        numerator="Money-in statement lines imported on the day that were posted by an automatic matching step "
        "(not matched by hand)",
        denominator="Money-in statement lines imported on the day (returns and lines that are not customer "
        "payments left out)",
        population="Statement lines of the client's payment files; product 'none' (a line has no agreement "
        "until it is matched)",
        time_basis="Import time (created_at), UTC date; statuses as at the build",
        owner_role="operations_manager",
        direction=Direction.HIGHER_IS_BETTER,
        unit=Unit.RATE,
    ),
    Kpi(
        code="RECONCILIATION_SUSPENSE",
        name="Payments left in suspense",
        domain="payments",
        numerator="Money-in statement lines imported on the day that are in suspense at the build",
        denominator="Money-in statement lines imported on the day",
        population="Statement lines of the client's payment files; product 'none'",
        time_basis="Import time (created_at), UTC date; statuses as at the build (rebuild to refresh)",
        owner_role="operations_manager",
        direction=Direction.LOWER_IS_BETTER,
        unit=Unit.RATE,
    ),
)
KPIS = KPIS + PAYMENT_KPIS

BY_CODE: dict[str, Kpi] = {kpi.code: kpi for kpi in KPIS}

#: Domains whose KPIs are not in the catalogue yet, and why (said in docs/mi.md and on the pages).
NOT_YET = {
    "quality": "QA scores: the quality domain has no models yet.",
    "work (handling time)": "Average handling time and items per productive hour: work items record start and "
    "completion but not productive time.",
    "collections (strategies)": "Champion against challenger: strategy assignments per account are not "
    "recorded yet.",
}


def get(code: str) -> Kpi:
    """The KPI with this code, or a clear refusal naming the codes there are."""
    try:
        return BY_CODE[code.upper()]
    except KeyError:
        raise InvalidInput(
            f"Unknown KPI {code!r}; the catalogue has: {', '.join(sorted(BY_CODE))}", field="kpi"
        ) from None


ROLE_LABELS = {
    "agent": "Agent",
    "team_leader": "Team leader",
    "operations_manager": "Operations manager",
    "head_of_operations": "Head of operations",
    "compliance_officer": "Compliance officer",
}


def markdown() -> str:
    """docs/mi.md, generated from the catalogue (``python -m fairpath.insight.catalogue > docs/mi.md``)."""
    lines = [
        "# Management information: the KPI catalogue",
        "",
        "Generated from `src/fairpath/insight/catalogue.py` (`python -m fairpath.insight.catalogue > docs/mi.md`);",
        "a test fails when this file and the catalogue differ. Every figure in the app shows its definition",
        "beside it; the Excel exports carry the same text on a *KPI definitions* sheet.",
        "",
        "Snapshots are built set-based per day (`fairpath.insight.snapshots.build_snapshots(day, client_ids)`,",
        "called by the daily cycle; `fairpath report rebuild --from --to` rebuilds any range). Dashboards read",
        "only the snapshot tables. A figure with no population is shown as *no data*, never as zero.",
        "",
        "## Using it",
        "",
        "- **Dashboards** (`/mi/`, permission `insight.view_mi`): one per role: agent, team leader, operations",
        "  (operations manager and head of operations) and compliance, with filters by client, product and date",
        "  range. Each figure links to the accounts (or cases, work items, statement lines) behind it; each trend",
        "  is drawn with its SPC limits (p-chart for rates, XmR for counts and amounts) and the out-of-control",
        "  signals marked in red. Pages print cleanly (browser print).",
        "- **KPI definitions** (`/mi/kpis/`): this catalogue in the app; every panel also carries its definition.",
        "- **Exports** (permission `insight.export_mi`): any table to Excel (formatted, with a *KPI definitions*",
        "  sheet) or CSV from its panel; the monthly MI pack as PDF (`/mi/pack/`, printable HTML with",
        "  `?format=html`).",
        "- **Scheduled reports**: `fairpath report NAME --from YYYY-MM-DD --to YYYY-MM-DD --format xlsx|csv|pdf`",
        "  where NAME is a KPI code, `ROLL_MATRIX`, `ALL` (one sheet per KPI) or `MI_PACK` (PDF);",
        "  `fairpath report rebuild --from --to` rebuilds the snapshots of every day in the range.",
        "- **API**: `GET /api/v1/mi/kpis` (the catalogue) and `GET /api/v1/mi/series?kpi=CODE&from&to&client&product`",
        "  (the series with control limits and signals, and the latest figures by dimension).",
        "- **Targets**: an administrator sets a KPI's target per client or for all clients in the admin",
        "  (*KPI targets*); cash collected is shown month to date against it.",
        "",
        "## The catalogue",
        "",
        "| code | name | owner | direction | unit | time basis |",
        "|---|---|---|---|---|---|",
    ]
    for kpi in KPIS:
        lines.append(
            f"| `{kpi.code}` | {kpi.name} | {ROLE_LABELS.get(kpi.owner_role, kpi.owner_role)} | "
            f"{kpi.direction.value.replace('_', ' ')} | {kpi.unit.value} | {kpi.basis.value} |"
        )
    for kpi in KPIS:
        lines += [
            "",
            f"## {kpi.code}: {kpi.name}",
            "",
            f"- **Numerator**: {kpi.numerator}",
            f"- **Denominator**: {kpi.denominator}",
            f"- **Population**: {kpi.population}",
            f"- **Time basis**: {kpi.time_basis} ({kpi.basis.value})",
            f"- **Dimension**: {kpi.dimension or 'none (one figure per client and product)'}",
            f"- **Owner**: {ROLE_LABELS.get(kpi.owner_role, kpi.owner_role)}; "
            f"**direction**: {kpi.direction.value.replace('_', ' ')}; **source domain**: {kpi.domain}",
        ]
        if kpi.rule:
            lines.append(f"- **Rule**: {kpi.rule}")
    lines += ["", "## Not in the catalogue yet", ""]
    lines += [f"- **{domain}**: {why}" for domain, why in NOT_YET.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
