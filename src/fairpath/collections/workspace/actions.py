"""Servicing actions of the agent workspace: each checks the actor's client and permission, changes one
account in one transaction and writes its audit rows. Refusals (``Refusal``/``InvalidInput``) change nothing.

Rules: UK-CONTACT (guard before an outbound call is logged; identity verified before the debt is
discussed), P-PAN (card numbers masked or refused in notes), UK-FORB (forbearance options considered,
chosen and refused with reasons), UK-PROPOSAL (I&E from Standard Financial Statement lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from fairpath.accounts.models import Agreement, VulnerabilityCue
from fairpath.cases.rules import find_card_numbers, mask_card_numbers
from fairpath.collections import rules
from fairpath.collections.actions import record_contact_attempt
from fairpath.collections.models import ContactRecord, ForbearanceRecord, IncomeExpenditure, Note
from fairpath.collections.promises import record_income_expenditure
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.audit import actor_label, record_event
from fairpath.governance.models import User

CONTACT_PERMISSION = "collections.add_contactattempt"
HOLD_PERMISSION = "collections.manage_hold"

OUTCOMES = {
    "promise": "Promise to pay taken",
    "arrangement": "Arrangement discussed",
    "ie_declined": "I&E offered, customer declined",
    "payment": "Payment taken",
    "callback": "Call back requested",
    "no_answer": "No answer",
    "voicemail": "Left a voicemail (no details)",
    "wrong_number": "Wrong number",
    "refused_to_pay": "Refused to pay",
    "dispute": "Disputes the debt",
    "hardship": "Financial difficulty",
    "third_party": "Spoke to a third party",
    "other": "Other",
}

# UK-FORB: the catalogue offered in the workspace (CONC 7.3.4R, 7.3.5G, 7.3.3G).
FORBEARANCE_OPTIONS = {
    "suspend_interest": "Suspend interest and charges",
    "reduce_interest": "Reduce interest or charges",
    "waive_interest": "Waive or cancel interest or charges",
    "defer_arrears": "Defer payment of arrears",
    "token_payments": "Token payments for a reasonable period",
    "extend_term": "Extend the term",
    "missed_payment": "Allow an occasional missed payment",
    "arrangement": "Affordable repayment arrangement",
}

# Standard Financial Statement categories: income lines and expenditure lines (monthly).
SFS_INCOME = {
    "earnings": "Earnings (net)",
    "benefits": "Benefits and tax credits",
    "pensions": "Pensions",
    "other_income": "Other income",
}
SFS_FIXED = {
    "housing": "Home and contents (rent, mortgage)",
    "council_tax": "Council tax",
    "utilities": "Utilities (gas, electricity, water)",
    "care": "Care and health",
    "transport": "Transport and travel",
    "school": "School costs",
    "pensions_insurance": "Pensions and insurance",
    "professional": "Professional costs",
}
SFS_FLEXIBLE = {
    "communications": "Communications and leisure",
    "food": "Food and housekeeping",
    "personal": "Personal costs (clothing, hairdressing)",
    "savings": "Savings",
}
SFS_DEBTS = {"priority_debts": "Priority debts (arrears)", "other_debts": "Other creditors"}
SFS_EXPENDITURE = {**SFS_FIXED, **SFS_FLEXIBLE}
SFS_ALL = {**SFS_INCOME, **SFS_EXPENDITURE, **SFS_DEBTS}

# Implausible-expenditure checks: monthly spend above this share of income, or zero where spend is expected.
_HIGH_SHARE = {"food": 40, "communications": 20, "personal": 15, "transport": 30, "housing": 70}
_EXPECTED = ("housing", "utilities", "food")


def _check(actor: User, agreement: Agreement, permission: str) -> None:
    require_permission(actor, permission)
    require_client(actor, agreement.client_id)


def _text(value: str, field: str, *, limit: int) -> str:
    """P-PAN: never store a card number; refuse when the text is nothing but a number, mask otherwise."""
    if len(value) > limit:
        raise InvalidInput(f"At most {limit} characters", field=field)
    masked, _count = mask_card_numbers(value)
    return masked


# ----------------------------------------------------------------------------------------------------
# Contacts


def record_contact(
    *,
    agreement: Agreement,
    actor: User,
    channel: str,
    direction: str,
    outcome: str,
    party: str = rules.Party.CUSTOMER.value,
    third_party_name: str = "",
    identity_verified: bool = False,
    right_party: bool = False,
    note: str = "",
    at: datetime | None = None,
) -> ContactRecord:
    """Log a contact. An outbound contact (a call above all) is first put to the guard: a refusal raises with
    its rule and logs only the refused attempt (counted on the suppressions page); nothing else changes."""
    _check(actor, agreement, CONTACT_PERMISSION)
    if channel not in {item.value for item in rules.Channel}:
        raise InvalidInput("Unknown channel", field="channel")
    if direction not in ("outbound", "inbound"):
        raise InvalidInput("Outbound or inbound", field="direction")
    if outcome not in OUTCOMES:
        raise InvalidInput("Choose an outcome code", field="outcome")
    if party not in {item.value for item in rules.Party}:
        raise InvalidInput("Customer or a named third party", field="party")
    if party == rules.Party.THIRD_PARTY.value and not third_party_name.strip():
        raise InvalidInput("Name the third party", field="third_party_name")
    if right_party and party == rules.Party.CUSTOMER.value and not identity_verified:
        raise Refusal(
            "Confirm the customer's identity before discussing the debt",
            rule="UK-CONTACT",
            field="identity_verified",
        )
    clean_note = _text(note, "note", limit=1000)
    moment = at or timezone.now()
    attempt = None
    if direction == "outbound":  # every outbound contact is put to the guard first (calls count to US-7IN7)
        decision, attempt = record_contact_attempt(
            agreement=agreement, channel=channel, at=moment, actor=actor, party=party,
            is_conversation=right_party and channel == rules.Channel.CALL.value, source="agent",
        )  # fmt: skip
        if not decision.allowed:
            raise Refusal(decision.message or "The contact policy forbids this call", rule=decision.rule)
    with transaction.atomic():
        record = ContactRecord(
            client_id=agreement.client_id, agreement=agreement, attempt=attempt, channel=channel,
            direction=direction, party=party, third_party_name=third_party_name.strip()[:200],
            identity_verified=identity_verified, right_party=right_party, outcome=outcome,
            note=clean_note, at=moment, actor_label=actor_label(actor),
        )  # fmt: skip
        record.save()
        record_event(
            actor=actor,
            action="collections.contact_recorded",
            obj=record,
            after={
                "agreement": agreement.pk, "channel": channel, "direction": direction, "party": party,
                "identity_verified": identity_verified, "right_party": right_party, "outcome": outcome,
            },
        )  # fmt: skip
    return record


# ----------------------------------------------------------------------------------------------------
# Notes (P-PAN)


def add_note(*, agreement: Agreement, actor: User, text: str, refuse_cards: bool = False) -> Note:
    """P-PAN: a card number in the text is masked (first 6, last 4) or, with ``refuse_cards``, refused."""
    _check(actor, agreement, CONTACT_PERMISSION)
    if not text.strip():
        raise InvalidInput("The note is empty", field="text")
    if len(text) > 5000:
        raise InvalidInput("At most 5000 characters", field="text")
    if refuse_cards and find_card_numbers(text):
        raise Refusal("The note holds a card number: remove it before saving", rule="P-PAN", field="text")
    masked, count = mask_card_numbers(text)
    with transaction.atomic():
        note = Note(
            client_id=agreement.client_id, agreement=agreement, text=masked, cards_masked=count,
            created_by=actor_label(actor),
        )  # fmt: skip
        note.save()
        record_event(
            actor=actor, action="collections.note_added", obj=note,
            after={"agreement": agreement.pk, "cards_masked": count},
        )  # fmt: skip
    return note


# ----------------------------------------------------------------------------------------------------
# Income and expenditure (Standard Financial Statement)


@dataclass(frozen=True)
class Statement:
    income_minor: int
    essential_minor: int
    debts_minor: int
    flags: list[str]

    @property
    def disposable_minor(self) -> int:
        return self.income_minor - self.essential_minor - self.debts_minor


def assess_statement(lines: Mapping[str, int]) -> Statement:
    """Totals and implausible-expenditure flags of SFS lines (monthly minor units)."""
    for name, value in lines.items():
        if name not in SFS_ALL:
            raise InvalidInput(f"Unknown category {name!r}", field=name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput("Amounts are whole minor units, not negative", field=name)
    income = sum(lines.get(name, 0) for name in SFS_INCOME)
    spend = sum(lines.get(name, 0) for name in SFS_EXPENDITURE)
    debts = sum(lines.get(name, 0) for name in SFS_DEBTS)
    flags = []
    if income <= 0:
        flags.append("No income recorded")
    for name, share in _HIGH_SHARE.items():
        if income > 0 and lines.get(name, 0) * 100 > income * share:
            flags.append(f"{SFS_ALL[name]} above {share}% of income")
    for name in _EXPECTED:
        if lines.get(name, 0) == 0:
            flags.append(f"{SFS_ALL[name]}: nothing recorded")
    if income > 0 and spend + debts > income * 2:
        flags.append("Spending is more than twice income")
    return Statement(income, spend, debts, flags)


def record_statement(
    *, agreement: Agreement, actor: User, lines: Mapping[str, int], assessed_on: date, notes: str = ""
) -> IncomeExpenditure:
    """UK-PROPOSAL: an I&E from SFS lines, with its disposable income and flags (flags never refuse)."""
    _check(actor, agreement, CONTACT_PERMISSION)
    statement = assess_statement(lines)
    with transaction.atomic():
        assessment = record_income_expenditure(
            customer=agreement.customer, assessed_on=assessed_on, currency=agreement.currency,
            income_minor=statement.income_minor, essential_spend_minor=statement.essential_minor,
            other_debts_minor=statement.debts_minor, actor=actor, notes=_text(notes, "notes", limit=500),
        )  # fmt: skip
        assessment.categories = {name: value for name, value in lines.items() if value}
        assessment.flags = statement.flags
        assessment.save(update_fields=["categories", "flags"])
    return assessment


# ----------------------------------------------------------------------------------------------------
# Forbearance (UK-FORB)


def record_forbearance(
    *,
    agreement: Agreement,
    actor: User,
    considered: list[str],
    chosen: str,
    chosen_reason: str,
    refused: Mapping[str, str],
    on: date,
) -> ForbearanceRecord:
    """UK-FORB: which options were considered, which was chosen (with why) and each refused one's reason."""
    _check(actor, agreement, CONTACT_PERMISSION)
    unknown = [name for name in [*considered, *refused] if name not in FORBEARANCE_OPTIONS]
    if unknown:
        raise InvalidInput(f"Not in the forbearance catalogue: {', '.join(unknown)}", field="considered")
    if not considered:
        raise Refusal("Record at least one option considered", rule="UK-FORB", field="considered")
    if chosen and chosen not in considered:
        raise InvalidInput("The chosen option must be one of those considered", field="chosen")
    if chosen and not chosen_reason.strip():
        raise Refusal("Say why the chosen option fits", rule="UK-FORB", field="chosen_reason")
    not_chosen = [name for name in considered if name != chosen]
    missing = [name for name in not_chosen if not (refused.get(name) or "").strip()]
    if missing:
        raise Refusal(
            "Give a reason for each option not chosen: " + ", ".join(FORBEARANCE_OPTIONS[m] for m in missing),
            rule="UK-FORB", field="refused",
        )  # fmt: skip
    with transaction.atomic():
        record = ForbearanceRecord(
            client_id=agreement.client_id, agreement=agreement, considered=list(considered), chosen=chosen,
            chosen_reason=_text(chosen_reason, "chosen_reason", limit=500),
            refused={name: _text(refused[name], "refused", limit=500) for name in not_chosen},
            recorded_on=on, created_by=actor_label(actor),
        )  # fmt: skip
        record.save()
        record_event(
            actor=actor, action="collections.forbearance_recorded", obj=record,
            after={"agreement": agreement.pk, "considered": considered, "chosen": chosen},
        )  # fmt: skip
    return record


# ----------------------------------------------------------------------------------------------------
# Vulnerability (VC-RECORD)


def record_vulnerability(
    *,
    agreement: Agreement,
    actor: User,
    driver: str,
    description: str,
    is_temporary: bool,
    review_on: date | None,
    lawful_basis: str,
    on: date,
) -> VulnerabilityCue:
    """VC-RECORD: driver (health, life events, resilience, capability), description, temporary or permanent,
    review date (a temporary one must have one) and the consent or lawful basis for holding it."""
    _check(actor, agreement, CONTACT_PERMISSION)
    if driver not in VulnerabilityCue.Driver.values:
        raise InvalidInput("Health, life events, resilience or capability", field="driver")
    if not description.strip():
        raise InvalidInput("Describe the characteristic of vulnerability", field="description")
    if not lawful_basis.strip():
        raise Refusal("Record the consent or lawful basis", rule="VC-RECORD", field="lawful_basis")
    if is_temporary and review_on is None:
        raise Refusal("A temporary vulnerability needs a review date", rule="VC-RECORD", field="review_on")
    if review_on is not None and review_on < on:
        raise InvalidInput("The review date cannot be in the past", field="review_on")
    with transaction.atomic():
        cue = VulnerabilityCue(
            client_id=agreement.client_id, customer_id=agreement.customer_id, driver=driver,
            description=_text(description.strip(), "description", limit=300), is_temporary=is_temporary,
            review_on=review_on, lawful_basis=lawful_basis.strip()[:100], recorded_on=on,
        )  # fmt: skip
        cue.save()
        record_event(
            actor=actor, action="collections.vulnerability_recorded", obj=cue,
            after={"agreement": agreement.pk, "driver": driver, "is_temporary": is_temporary, "review_on": review_on},
        )  # fmt: skip
    return cue
