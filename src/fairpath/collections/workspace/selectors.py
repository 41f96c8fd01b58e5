"""Everything the workspace shows about one agreement, in a fixed number of queries (history is capped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, F, Prefetch, Q, When, Window
from django.db.models.functions import RowNumber

from fairpath.accounts.models import Agreement, ThirdParty
from fairpath.accounts.selectors import agreements_for
from fairpath.collections import rules
from fairpath.collections.models import (
    Arrangement,
    ContactAttempt,
    ContactRecord,
    EndOfContractCharge,
    ForbearanceRecord,
    Hold,
    IncomeExpenditure,
    Note,
    NoticeDue,
    Promise,
    ScheduledAction,
    SettlementOffer,
)
from fairpath.collections.policy import gather_facts
from fairpath.collections.workspace.end_of_contract import PRODUCTS as END_OF_CONTRACT_PRODUCTS
from fairpath.collections.workspace.recoveries import recoveries_checklist
from fairpath.collections.workspace.third_parties import disclosure_of

HISTORY = 25  # rows of each history list shown; older ones stay in the audit trail and reports

_HOLD_FLAGS = {
    rules.HoldKind.BREATHING_SPACE.value: ("Breathing space", "BS-EFFECT"),
    rules.HoldKind.MENTAL_HEALTH_BREATHING_SPACE.value: ("Mental-health breathing space", "BS-EFFECT"),
    rules.HoldKind.DEBT_ADVICE.value: ("Debt-advice hold", "UK-ADVICE-HOLD"),
    rules.HoldKind.CAPACITY.value: ("Mental capacity", "UK-CAPACITY"),
    rules.HoldKind.DISPUTE.value: ("Dispute", "US-VALIDATION"),
}


@dataclass
class Flag:
    label: str
    rule: str
    detail: str = ""
    level: str = "bad"
    may_tell: tuple[str, ...] = ()
    never_tell: tuple[str, ...] = ()


@dataclass
class Workspace:
    agreement: Agreement
    today: date
    flags: list[Flag] = field(default_factory=list)
    call_decision: rules.ContactDecision | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def workspace_agreement(user: Any, agreement_id: int) -> Agreement | None:
    """The agreement if the user's clients include it (else None: the page answers 404)."""
    return (
        agreements_for(user)
        .filter(pk=agreement_id)
        .select_related("customer", "arrears", "treatment")
        .prefetch_related(
            "customer__vulnerability_cues",
            Prefetch("customer__third_parties", queryset=ThirdParty.objects.order_by("-authority_from")),
            Prefetch("customer__agreements", queryset=Agreement.objects.select_related("arrears")),
        )
        .first()
    )


def build(agreement: Agreement, *, now: datetime, today: date, user_id: int | None = None) -> Workspace:
    from fairpath.accounts.selectors import schedule_of
    from fairpath.cases.models import Case
    from fairpath.communications.models import OutboundMessage, StatutoryNotice

    space = Workspace(agreement=agreement, today=today)
    customer = agreement.customer
    holds = list(Hold.objects.filter(agreement=agreement).order_by("-starts_on", "-id")[:HISTORY])
    active_holds = [h for h in holds if h.starts_on <= today and (h.last_day is None or h.last_day >= today)]
    for cue in customer.vulnerability_cues.all():
        space.flags.append(
            Flag("Vulnerability", "VC-RECORD", f"{cue.get_driver_display()}: {cue.description}")
        )
    for hold in active_holds:
        label, rule = _HOLD_FLAGS[hold.kind]
        until = f" until {hold.last_day:%d %b %Y}" if hold.last_day else " (open-ended)"
        space.flags.append(Flag(label, rule, f"from {hold.starts_on:%d %b %Y}{until}"))
    if agreement.disputed_since and not any(h.kind == rules.HoldKind.DISPUTE for h in active_holds):
        space.flags.append(
            Flag("Dispute", "US-VALIDATION", f"disputed since {agreement.disputed_since:%d %b %Y}")
        )
    authorities = [
        party
        for party in customer.third_parties.all()
        if (party.agreement_id in (None, agreement.pk))
        and party.authority_from <= today
        and (party.authority_until is None or party.authority_until >= today)
    ]
    for party in authorities:
        may_tell, never_tell = disclosure_of(party.kind)
        is_guarantor = party.kind == ThirdParty.Kind.GUARANTOR
        space.flags.append(
            Flag(
                "Guarantor" if is_guarantor else "Third-party authority",
                "UK-CONTACT" if is_guarantor else "UK-THIRDPARTY",
                f"{party.name} ({party.get_kind_display()})"
                + (f", {party.organisation}" if party.organisation else ""),
                "warn",
                may_tell,
                never_tell,
            )
        )
    facts = gather_facts([agreement.pk], at=now).get(agreement.pk)
    if facts is not None:
        if facts.statute_barred_on is not None and facts.statute_barred_on <= today:
            space.flags.append(
                Flag("Statute-barred", "UK-STATBAR", f"since {facts.statute_barred_on:%d %b %Y}")
            )
        space.call_decision = rules.decide(
            facts, channel="call", at=now, party="customer", purpose="collections"
        )
    promises = list(Promise.objects.filter(agreement=agreement).prefetch_related("instalments")[:HISTORY])
    from fairpath.work.models import WorkItem

    space.extra = {
        "my_items": list(
            WorkItem.objects.filter(agreement=agreement, owner_id=user_id, status="in_progress").order_by(
                "id"
            )[:5]
        )
        if user_id
        else [],
        "customer": customer,
        "agreements": list(customer.agreements.all()),
        "arrears": getattr(agreement, "arrears", None),
        "schedule": list(schedule_of(agreement).filter(due_on__gte=today - timedelta(days=92))[:12]),
        "holds": holds,
        "authorities": authorities,
        "attempts": list(ContactAttempt.objects.filter(agreement=agreement).order_by("-at", "-id")[:HISTORY]),
        "records": list(ContactRecord.objects.filter(agreement=agreement)[:HISTORY]),
        "outbound": list(
            OutboundMessage.objects.filter(agreement=agreement)
            .only(
                "id", "channel", "notice_type", "status", "decided_at", "sent_at", "decision_rule", "subject"
            )
            .order_by("-decided_at", "-id")[:HISTORY]
        ),
        "notes": list(Note.objects.filter(agreement=agreement)[:HISTORY]),
        "promises": promises,
        "arrangements": list(
            Arrangement.objects.filter(agreement=agreement).order_by("-proposed_on", "-id")[:HISTORY]
        ),
        "assessments": list(IncomeExpenditure.objects.filter(customer=customer)[:5]),
        "forbearance": list(ForbearanceRecord.objects.filter(agreement=agreement)[:HISTORY]),
        "cases": list(
            Case.objects.filter(
                Q(agreement=agreement) | Q(agreement__isnull=True, customer=customer)
            ).order_by("-received_at", "-id")[:HISTORY]
        ),
        **_next_and_suppressed(agreement),
        "notices_due": list(NoticeDue.objects.filter(agreement=agreement)[:HISTORY]),
        "notices_sent": list(StatutoryNotice.objects.filter(agreement=agreement)[:HISTORY]),
        "settlements": list(
            SettlementOffer.objects.filter(agreement=agreement).select_related("approval")[:HISTORY]
        ),
        # Only end-of-contract products can have charges (UK-CHARGES: recording one is refused otherwise).
        "charges": list(EndOfContractCharge.objects.filter(agreement=agreement)[:HISTORY])
        if agreement.product in END_OF_CONTRACT_PRODUCTS
        else [],
        "third_parties": [
            party for party in customer.third_parties.all() if party.agreement_id in (None, agreement.pk)
        ],
        # The checklist only where a transfer is possible at all (a defaulted or written-off account).
        "recoveries_missing": recoveries_checklist([agreement.pk], today).get(agreement.pk, [])
        if agreement.status in ("default", "written_off")
        else None,
    }
    return space


def _next_and_suppressed(agreement: Agreement) -> dict[str, list[ScheduledAction]]:
    """The next scheduled actions (soonest first) and the latest suppressed ones (newest first), up to
    ``HISTORY`` of each, in one query: rows numbered within their status, in each status's own order."""
    scheduled, suppressed = ScheduledAction.Status.SCHEDULED, ScheduledAction.Status.SUPPRESSED
    is_scheduled = Q(status=scheduled)
    rows = list(
        ScheduledAction.objects.filter(agreement=agreement, status__in=[scheduled, suppressed])
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("status")],
                order_by=[
                    Case(When(is_scheduled, then=F("run_date"))).asc(),
                    Case(When(is_scheduled, then=F("id"))).asc(),
                    F("run_date").desc(),
                    F("id").desc(),
                ],
            )
        )
        .filter(place__lte=HISTORY)
        .order_by("status", "place")
    )
    return {
        "next_actions": [row for row in rows if row.status == scheduled],
        "suppressed": [row for row in rows if row.status == suppressed],
    }
