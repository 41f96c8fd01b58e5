"""Pure case rules with no database access: vocabularies, the status transition table, the escalation chain,
card-number detection (P-PAN) and which regulatory deadlines apply to a case (D-SRC, D-8WEEKS, D-PSD, G-SAR).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from fairpath.core.errors import InvalidInput, Refusal


class CaseType(StrEnum):
    ENQUIRY = "enquiry"
    COMPLAINT = "complaint"
    DISPUTE = "dispute"
    ESCALATION = "escalation"
    SUBJECT_ACCESS_REQUEST = "subject_access_request"
    DATA_CORRECTION = "data_correction"
    BEREAVEMENT = "bereavement"
    SERVICE_REQUEST = "service_request"


CASE_TYPE_LABELS = {
    CaseType.ENQUIRY: "Enquiry",
    CaseType.COMPLAINT: "Complaint",
    CaseType.DISPUTE: "Dispute",
    CaseType.ESCALATION: "Escalation",
    CaseType.SUBJECT_ACCESS_REQUEST: "Subject access request",
    CaseType.DATA_CORRECTION: "Data correction",
    CaseType.BEREAVEMENT: "Bereavement",
    CaseType.SERVICE_REQUEST: "Service request",
}


class Channel(StrEnum):
    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"
    WEB = "web"
    API = "api"
    CHAT = "chat"
    IN_PERSON = "in_person"


# Category code -> (label, product group for the complaints return, is a payment-services category).
CATEGORIES: dict[str, tuple[str, str, bool]] = {
    "arrears_handling": ("Arrears handling and collections", "credit", False),
    "fees_and_charges": ("Fees and charges", "credit", False),
    "interest": ("Interest and rates", "credit", False),
    "affordability": ("Affordability and lending decision", "credit", False),
    "forbearance": ("Forbearance and repayment arrangements", "credit", False),
    "credit_reporting": ("Credit reference reporting", "credit", False),
    "contact_conduct": ("Contact and staff conduct", "service", False),
    "customer_service": ("Customer service", "service", False),
    "account_administration": ("Account administration", "service", False),
    "vulnerability_handling": ("Treatment of a vulnerable customer", "service", False),
    "data_protection": ("Data protection", "service", False),
    "bereavement_handling": ("Bereavement handling", "service", False),
    "payment_processing": ("Payment processing (payment services)", "payments", True),
    "direct_debit": ("Direct debit (payment services)", "payments", True),
    "card_payment": ("Card payment (payment services)", "payments", True),
    "unauthorised_transaction": ("Unauthorised transaction (payment services)", "payments", True),
    "refund_chargeback": ("Refund or chargeback (payment services)", "payments", True),
    "other": ("Other", "service", False),
}
PAYMENT_SERVICES_CATEGORIES = frozenset(code for code, (_, _, psd) in CATEGORIES.items() if psd)


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise InvalidInput(
            f"Unknown category {category!r}; known: {', '.join(sorted(CATEGORIES))}", field="category"
        )
    return category


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    AWAITING_CUSTOMER = "awaiting_customer"
    AWAITING_THIRD_PARTY = "awaiting_third_party"
    CLOSED = "closed"
    MERGED = "merged"


STATUS_LABELS = {status: status.value.replace("_", " ").capitalize() for status in Status}
S = Status
STATUS_TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.NEW: frozenset({S.OPEN, S.AWAITING_CUSTOMER, S.AWAITING_THIRD_PARTY, S.CLOSED, S.MERGED}),
    S.OPEN: frozenset({S.AWAITING_CUSTOMER, S.AWAITING_THIRD_PARTY, S.CLOSED, S.MERGED}),
    S.AWAITING_CUSTOMER: frozenset({S.OPEN, S.AWAITING_THIRD_PARTY, S.CLOSED, S.MERGED}),
    S.AWAITING_THIRD_PARTY: frozenset({S.OPEN, S.AWAITING_CUSTOMER, S.CLOSED, S.MERGED}),
    S.CLOSED: frozenset({S.OPEN}),  # reopened
    S.MERGED: frozenset(),
}
OPEN_STATUSES = frozenset({S.NEW, S.OPEN, S.AWAITING_CUSTOMER, S.AWAITING_THIRD_PARTY})
# Statuses an SLA policy may stop its clock in. Regulatory complaint deadlines never stop.
CLOCK_STOP_STATUSES = frozenset({S.AWAITING_CUSTOMER, S.AWAITING_THIRD_PARTY})


class IllegalTransition(Refusal):
    """CASE-TRANSITION: the case's status cannot move that way (see STATUS_TRANSITIONS)."""

    code = "illegal_transition"
    status = 409

    def __init__(self, current: str, target: str) -> None:
        super().__init__(
            f"A case cannot move from {current.replace('_', ' ')} to {target.replace('_', ' ')}",
            rule="CASE-TRANSITION",
            field="status",
        )


def check_transition(current: str, target: str) -> Status:
    try:
        to_status = Status(target)
    except ValueError:
        raise InvalidInput(f"Unknown status {target!r}", field="status") from None
    if to_status not in STATUS_TRANSITIONS[Status(current)]:
        raise IllegalTransition(current, target)
    return to_status


class EscalationLevel(IntEnum):
    """The escalation chain: agent → team leader → operations manager → head of operations."""

    AGENT = 0
    TEAM_LEADER = 1
    OPERATIONS_MANAGER = 2
    HEAD_OF_OPERATIONS = 3


ESCALATION_LABELS = {
    EscalationLevel.AGENT: "Agent",
    EscalationLevel.TEAM_LEADER: "Team leader",
    EscalationLevel.OPERATIONS_MANAGER: "Operations manager",
    EscalationLevel.HEAD_OF_OPERATIONS: "Head of operations",
}
ESCALATION_ROLE = {
    EscalationLevel.AGENT: "agent",
    EscalationLevel.TEAM_LEADER: "team_leader",
    EscalationLevel.OPERATIONS_MANAGER: "operations_manager",
    EscalationLevel.HEAD_OF_OPERATIONS: "head_of_operations",
}


def next_escalation_level(current: int) -> EscalationLevel:
    if current >= EscalationLevel.HEAD_OF_OPERATIONS:
        raise Refusal(
            "The case is already with the head of operations, the last point of escalation",
            rule="CASE-ESCALATION",
            field="level",
        )
    return EscalationLevel(current + 1)


class Outcome(StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"


OUTCOME_LABELS = {
    Outcome.UPHELD: "Upheld",
    Outcome.PARTLY_UPHELD: "Partly upheld",
    Outcome.NOT_UPHELD: "Not upheld",
}

# D-ROOT: the root-cause vocabulary MI is grouped by.
ROOT_CAUSES: dict[str, str] = {
    "process_failure": "Process not followed",
    "process_design": "Process design gap",
    "system_error": "System or data error",
    "staff_conduct": "Staff conduct or knowledge",
    "communication": "Poor or unclear communication",
    "third_party": "Third party or supplier",
    "policy_decision": "Policy decision (correctly applied)",
    "delay": "Delay",
    "no_fault_found": "No fault found",
}


class FosOutcome(StrEnum):
    PENDING = "pending"
    FIRM_DECISION_UPHELD = "firm_decision_upheld"
    OVERTURNED = "overturned"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


FOS_OUTCOME_LABELS = {
    FosOutcome.PENDING: "Pending",
    FosOutcome.FIRM_DECISION_UPHELD: "Firm's decision upheld",
    FosOutcome.OVERTURNED: "Overturned (complaint upheld by the Ombudsman)",
    FosOutcome.SETTLED: "Settled",
    FosOutcome.WITHDRAWN: "Withdrawn",
}


def check_closure(*, outcome: str, root_cause: str, redress_minor: int) -> Outcome:
    """D-ROOT: every closed complaint has an outcome and a root cause; redress is never negative."""
    if not outcome:
        raise InvalidInput(
            "Say whether the complaint is upheld, partly upheld or not upheld", field="outcome"
        )
    try:
        result = Outcome(outcome)
    except ValueError:
        raise InvalidInput(f"Unknown outcome {outcome!r}", field="outcome") from None
    if not root_cause:
        raise Refusal("A complaint is closed only with its root cause", rule="D-ROOT", field="root_cause")
    if root_cause not in ROOT_CAUSES:
        raise InvalidInput(f"Unknown root cause {root_cause!r}", field="root_cause")
    if not isinstance(redress_minor, int) or redress_minor < 0:
        raise InvalidInput("Redress is a whole, non-negative number of minor units", field="redress_minor")
    return result


def fos_referral_deadline(final_response_on: dt.date) -> dt.date:
    """D-FOS: the Ombudsman will not normally consider a referral more than 6 months after the final response."""
    from fairpath.core.calendars import add_months, as_dates, to_date

    return to_date(add_months(as_dates([final_response_on]), 6)[0])


# ----------------------------------------------------------------------------------------------------
# Regulatory deadlines that apply to a case


@dataclass(frozen=True)
class RegulatoryDeadline:
    """A rule-set deadline: how it is counted, and whether SLA clock stops may pause it (never)."""

    rule: str
    label: str
    counting: str  # "business_days", "calendar_weeks", "one_month_working_day"
    amount: int


D_SRC = RegulatoryDeadline("D-SRC", "Summary resolution (end of the 3rd business day)", "business_days", 3)
D_8WEEKS = RegulatoryDeadline("D-8WEEKS", "Final response or delay letter (8 weeks)", "calendar_weeks", 8)
D_PSD = RegulatoryDeadline("D-PSD", "Payment services final response (15 business days)", "business_days", 15)
D_PSD_35 = RegulatoryDeadline(
    "D-PSD-35", "Payment services final response, exceptional (35 business days)", "business_days", 35
)
G_SAR = RegulatoryDeadline("G-SAR", "Subject access response (one month)", "one_month_working_day", 1)
REGULATORY_DEADLINES = {item.rule: item for item in (D_SRC, D_8WEEKS, D_PSD, D_PSD_35, G_SAR)}


def regulatory_deadlines_for(case_type: str, category: str) -> tuple[RegulatoryDeadline, ...]:
    """D-SRC and D-8WEEKS for complaints; D-PSD (15/35 business days) instead of 8 weeks for payment-services
    complaints; G-SAR for subject access requests."""
    if case_type == CaseType.COMPLAINT:
        if category in PAYMENT_SERVICES_CATEGORIES:
            return (D_SRC, D_PSD, D_PSD_35)
        return (D_SRC, D_8WEEKS)
    if case_type == CaseType.SUBJECT_ACCESS_REQUEST:
        return (G_SAR,)
    return ()


# ----------------------------------------------------------------------------------------------------
# P-PAN: card numbers in free text

_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ \-]?){12,18}\d(?![\d])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, character in enumerate(reversed(digits)):
        value = int(character)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_card_numbers(text: str) -> list[tuple[int, int, str]]:
    """P-PAN: every run of 13–19 digits (spaces or dashes between) that passes the Luhn check: (start, end, digits)."""
    found = []
    for match in _CANDIDATE.finditer(text):
        digits = re.sub(r"[ \-]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append((match.start(), match.end(), digits))
    return found


def mask_card_numbers(text: str) -> tuple[str, int]:
    """P-PAN: keep at most the first 6 and last 4 digits of each card number; returns (text, how many masked)."""
    found = find_card_numbers(text)
    for start, end, digits in reversed(found):
        masked = digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
        text = text[:start] + masked + text[end:]
    return text, len(found)
