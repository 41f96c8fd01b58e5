"""Every change to cases: keyword-only arguments, an explicit actor, one transaction, audit rows written here.

Registering a case computes all its deadlines at once (``sla.compute_deadlines``); a complaint gets its
acknowledgement letter (D-ACK). Closing a complaint needs an outcome and a root cause (D-ROOT); redress is
paid as a ledger credit through the accounts domain's ``post_entry``, and only within the closer's
authority (``act_within_authority`` kind ``compensation``) — above it the whole closure waits for approval.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from fairpath.accounts.models import Agreement, Customer, LedgerEntry
from fairpath.cases import rules, sla
from fairpath.cases.models import (
    Case,
    CaseAttachment,
    CaseDeadline,
    CaseLetter,
    CaseLink,
    CaseNote,
    CaseStatusChange,
    ComplaintOutcome,
    Escalation,
    OmbudsmanReferral,
    SlaPolicy,
)
from fairpath.clients.models import Client
from fairpath.core import calendars
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.actions import act_within_authority
from fairpath.governance.audit import (
    Actor,
    PendingEvent,
    SystemActor,
    actor_label,
    record_event,
    record_events_bulk,
)
from fairpath.governance.authority import approval_handler
from fairpath.governance.models import ApprovalRequest, User

CLOSE_WITH_REDRESS = "cases.close_complaint"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def _check(actor: Actor, permission: str, client_id: int) -> None:
    if isinstance(actor, User):
        require_permission(actor, permission)
        require_client(actor, client_id)


def jurisdiction_of(customer: Customer | None) -> tuple[str, str]:
    """The calendar region and time zone of the customer's current address (England & Wales by default)."""
    if customer is not None:
        address = customer.addresses.filter(is_current=True).order_by("id").first()
        if address is not None:
            return calendars.region_for(address.country, address.region), address.time_zone
    return "EAW", "Europe/London"


def policy_targets(client_id: int) -> list[sla.PolicyTarget]:
    """The client's active SLA policies as targets (first response and resolution)."""
    targets = []
    for policy in SlaPolicy.objects.filter(client_id=client_id, is_active=True):
        if policy.first_response_target:
            targets.append(
                sla.PolicyTarget(
                    policy.pk, f"{policy.name}/first_response", policy.case_type, policy.category,
                    policy.first_response_target, policy.first_response_unit, policy.warning_percent,
                )
            )  # fmt: skip
        if policy.resolution_target:
            targets.append(
                sla.PolicyTarget(
                    policy.pk, f"{policy.name}/resolution", policy.case_type, policy.category,
                    policy.resolution_target, policy.resolution_unit, policy.warning_percent,
                )
            )  # fmt: skip
    return targets


def _deadline_rows(cases: list[Case]) -> list[CaseDeadline]:
    by_client: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        by_client[case.client_id].append(case)
    rows = []
    for client_id, group in by_client.items():
        requests = [
            sla.DeadlineRequest(
                case.pk, case.case_type, case.category, case.received_at, case.region, case.time_zone
            )
            for case in group
        ]
        for item in sla.compute_deadlines(requests, policy_targets(client_id)):
            rows.append(
                CaseDeadline(
                    client_id=client_id,
                    case_id=item.key,
                    rule=item.rule,
                    label=item.label,
                    is_regulatory=item.is_regulatory,
                    policy_id=item.policy_id,
                    due_at=item.due_at,
                    due_date=item.due_date,
                    warn_at=item.warn_at,
                )
            )
    return rows


def _status_row(
    case: Case, from_status: str, to_status: str, actor: Actor, reason: str, at: dt.datetime
) -> None:
    CaseStatusChange.objects.create(
        client_id=case.client_id,
        case=case,
        from_status=from_status,
        to_status=to_status,
        changed_at=at,
        actor_label=actor_label(actor),
        reason=reason[:500],
    )


# ----------------------------------------------------------------------------------------------------
# Letters


def render_letter(case: Case, kind: str, **extra: Any) -> str:
    """The letter's HTML, stored as sent (D-ACK, SRC, final response with the Ombudsman wording, delay)."""
    deadlines = {deadline.rule.replace("-", "_"): deadline for deadline in case.deadlines.all()}
    context = {
        "case": case,
        "client": case.client,
        "customer": case.customer,
        "deadlines": deadlines,
        "today": timezone.localdate(),
        **extra,
    }
    return render_to_string(f"cases/letters/{kind}.html", context)


def _write_letter(case: Case, kind: str, actor: Actor, at: dt.datetime, **extra: Any) -> CaseLetter:
    return CaseLetter.objects.create(
        client_id=case.client_id,
        case=case,
        kind=kind,
        html=render_letter(case, kind, **extra),
        created_at=at,
        created_by_label=actor_label(actor),
    )


def send_letter(*, case: Case, kind: str, actor: Actor) -> CaseLetter:
    """Issue a summary resolution (D-SRC) or a delay letter (D-8WEEKS); a delay letter meets the 8-week deadline."""
    _check(actor, "cases.change_case", case.client_id)
    if kind not in (CaseLetter.Kind.SUMMARY_RESOLUTION, CaseLetter.Kind.DELAY):
        raise InvalidInput("Only summary resolution and delay letters are sent by hand", field="kind")
    if not case.is_complaint:
        raise Refusal("These letters are for complaints", rule="D-SRC", field="kind")
    now = timezone.now()
    with transaction.atomic():
        letter = _write_letter(case, kind, actor, now)
        met_rule = "D-8WEEKS" if kind == CaseLetter.Kind.DELAY else "D-SRC"
        CaseDeadline.objects.filter(case=case, rule=met_rule, met_at__isnull=True).update(met_at=now)
        record_event(actor=actor, action=f"cases.letter_{kind}", obj=case, after={"letter": letter.pk})
    return letter


# ----------------------------------------------------------------------------------------------------
# Registering


def register_case(
    *,
    client: Client,
    case_type: str,
    category: str,
    channel: str,
    received_at: dt.datetime,
    actor: Actor,
    summary: str = "",
    description: str = "",
    customer: Customer | None = None,
    agreement: Agreement | None = None,
    owner: User | None = None,
    converted_from: Case | None = None,
) -> Case:
    """Register a case received on any channel at the time the customer first expressed it (D-DEFINE).

    All its deadlines are computed at once in the calendar of the customer's address; a complaint gets its
    acknowledgement letter (D-ACK).
    """
    _check(actor, "cases.add_case", client.pk)
    try:
        case_type = rules.CaseType(case_type).value
    except ValueError:
        raise InvalidInput(f"Unknown case type {case_type!r}", field="case_type") from None
    rules.check_category(category)
    try:
        channel = rules.Channel(channel).value
    except ValueError:
        raise InvalidInput(f"Unknown channel {channel!r}", field="channel") from None
    if received_at.tzinfo is None:
        raise InvalidInput("Give the time of receipt with its time zone", field="received_at")
    now = timezone.now()
    if received_at > now:
        raise InvalidInput(
            "The time of receipt cannot be in the future", rule="D-DEFINE", field="received_at"
        )
    if customer is not None and customer.client_id != client.pk:
        raise InvalidInput("That customer belongs to another client", field="customer_id")
    if agreement is not None:
        if agreement.client_id != client.pk:
            raise InvalidInput("That agreement belongs to another client", field="agreement_id")
        if customer is None:
            customer = agreement.customer
        elif agreement.customer_id != customer.pk:
            raise InvalidInput("That agreement is not the customer's", field="agreement_id")
    summary = (
        summary.strip()
        or f"{rules.CASE_TYPE_LABELS[rules.CaseType(case_type)]}: {rules.CATEGORIES[category][0]}"
    )
    description, masked = rules.mask_card_numbers(description)
    summary, masked_summary = rules.mask_card_numbers(summary)
    region, time_zone = jurisdiction_of(customer)
    with transaction.atomic():
        case = Case.objects.create(
            client=client,
            case_type=case_type,
            category=category,
            channel=channel,
            received_at=received_at,
            registered_at=now,
            customer=customer,
            agreement=agreement,
            summary=summary[:300],
            description=description,
            owner=owner or (actor if isinstance(actor, User) else None),
            region=region,
            time_zone=time_zone,
            converted_from=converted_from,
        )
        case.reference = f"CASE-{case.pk:07d}"
        case.save(update_fields=["reference"])
        _status_row(case, "", case.status, actor, "registered", now)
        CaseDeadline.objects.bulk_create(_deadline_rows([case]))
        if converted_from is not None:
            CaseLink.objects.create(
                client=client,
                from_case=converted_from,
                to_case=case,
                kind=CaseLink.Kind.CONVERTED,
                created_at=now,
            )
        if case.is_complaint:
            _write_letter(case, CaseLetter.Kind.ACKNOWLEDGEMENT, actor, now)
        record_event(
            actor=actor,
            action="cases.registered",
            obj=case,
            after={
                "reference": case.reference,
                "case_type": case_type,
                "category": category,
                "channel": channel,
                "received_at": received_at.isoformat(),
                "customer": customer.pk if customer else None,
                "agreement": agreement.pk if agreement else None,
                "masked_card_numbers": masked + masked_summary,
                "converted_from": converted_from.pk if converted_from else None,
            },
        )
        _queue_case_work(case, actor)
    return case


def _queue_case_work(case: Case, actor: Actor) -> None:
    """A case is work: one item in the queues, due at its earliest deadline, owned by the case owner."""
    from fairpath.work.actions import create_work_item

    earliest = (
        CaseDeadline.objects.filter(case=case).order_by("due_at").values_list("due_at", flat=True).first()
    )
    create_work_item(
        client=case.client,
        kind="case",
        title=f"{case.reference} {case.summary}"[:200],
        due_at=earliest or case.received_at + dt.timedelta(days=5),
        actor=actor,
        subject=case,
        agreement=case.agreement,
        customer=case.customer,
        owner=case.owner,
    )


CASE_WORKER = SystemActor("cases")


def _complete_case_work(case: Case, outcome: str) -> None:
    """The case's open work items are done when the case closes (whoever held them)."""
    from fairpath.work.actions import complete_item
    from fairpath.work.models import WorkItem

    for item in WorkItem.objects.filter(
        object_type="cases.case", object_id=str(case.pk), status__in=("open", "in_progress", "snoozed")
    ):
        complete_item(item=item, actor=CASE_WORKER, outcome=outcome)


def raise_complaint_from(
    *,
    case: Case,
    actor: Actor,
    note: CaseNote | None = None,
    received_at: dt.datetime | None = None,
    category: str | None = None,
    summary: str = "",
) -> Case:
    """D-DEFINE: turn a case or one of its notes into a complaint in one step.

    The complaint was received when the dissatisfaction was first expressed: the note's time, else the
    case's receipt, unless a person says otherwise.
    """
    if note is not None and note.case_id != case.pk:
        raise InvalidInput("That note is not on this case", field="note_id")
    when = received_at or (note.created_at if note is not None else case.received_at)
    text = summary or (f"Complaint raised from {case.reference}" + (f": {note.body[:200]}" if note else ""))
    return register_case(
        client=case.client,
        case_type=rules.CaseType.COMPLAINT,
        category=category or case.category,
        channel=case.channel,
        received_at=when,
        actor=actor,
        summary=text,
        description=note.body if note is not None else case.description,
        customer=case.customer,
        agreement=case.agreement,
        converted_from=case,
    )


# ----------------------------------------------------------------------------------------------------
# Notes, attachments, links


def add_note(*, case: Case, body: str, actor: Actor, is_customer_contact: bool = False) -> CaseNote:
    """P-PAN: card numbers are masked before the note is stored. A customer contact is the first response."""
    _check(actor, "cases.change_case", case.client_id)
    if not body.strip():
        raise InvalidInput("A note needs some text", field="body")
    masked_body, masked = rules.mask_card_numbers(body)
    now = timezone.now()
    with transaction.atomic():
        note = CaseNote.objects.create(
            client_id=case.client_id,
            case=case,
            body=masked_body,
            is_customer_contact=is_customer_contact,
            author=actor if isinstance(actor, User) else None,
            author_label=actor_label(actor),
            created_at=now,
        )
        if is_customer_contact and case.first_response_at is None:
            Case.objects.filter(pk=case.pk).update(first_response_at=now)
            case.first_response_at = now
            CaseDeadline.objects.filter(
                case=case, rule__endswith="/first_response", met_at__isnull=True
            ).update(met_at=now)
        record_event(
            actor=actor,
            action="cases.note_added",
            obj=case,
            after={"note": note.pk, "customer_contact": is_customer_contact, "masked_card_numbers": masked},
        )
    return note


def add_attachment(*, case: Case, upload: UploadedFile, actor: Actor) -> CaseAttachment:
    _check(actor, "cases.change_case", case.client_id)
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("Files up to 20 MB", field="file")
    now = timezone.now()
    with transaction.atomic():
        attachment = CaseAttachment(
            client_id=case.client_id,
            case=case,
            name=(upload.name or "file")[:200],
            content_type=(upload.content_type or "")[:100],
            size=upload.size,
            uploaded_at=now,
            uploaded_by_label=actor_label(actor),
        )
        attachment.file.save(upload.name or "file", upload, save=False)
        attachment.save()
        record_event(actor=actor, action="cases.attachment_added", obj=case, after={"name": attachment.name})
    return attachment


def link_cases(*, case: Case, other: Case, actor: Actor) -> CaseLink:
    _check(actor, "cases.change_case", case.client_id)
    if other.client_id != case.client_id or other.pk == case.pk:
        raise InvalidInput("Link two different cases of the same client", field="other_case_id")
    with transaction.atomic():
        link, _ = CaseLink.objects.get_or_create(
            client_id=case.client_id, from_case=case, to_case=other, kind=CaseLink.Kind.RELATED,
            defaults={"created_at": timezone.now()},
        )  # fmt: skip
        record_event(actor=actor, action="cases.linked", obj=case, after={"other": other.pk})
    return link


def merge_case(*, case: Case, into: Case, actor: Actor, reason: str = "") -> Case:
    """Merge a duplicate into another case: its notes move over and it ends as ``merged``.

    A complaint is never merged away into a non-complaint (its regulatory deadlines would be lost).
    """
    _check(actor, "cases.change_case", case.client_id)
    if into.client_id != case.client_id or into.pk == case.pk:
        raise InvalidInput("Merge into a different case of the same client", field="into_case_id")
    if case.is_complaint and not into.is_complaint:
        raise Refusal(
            "A complaint can only be merged into another complaint", rule="D-DEFINE", field="into_case_id"
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        rules.check_transition(locked.status, rules.Status.MERGED)
        CaseNote.objects.filter(case=locked).update(case=into)
        previous = locked.status
        Case.objects.filter(pk=locked.pk).update(
            status=rules.Status.MERGED.value, merged_into=into, closed_at=now
        )
        CaseDeadline.objects.filter(case=locked, met_at__isnull=True).update(met_at=now)
        _status_row(
            locked, previous, rules.Status.MERGED, actor, reason or f"merged into {into.reference}", now
        )
        CaseLink.objects.create(
            client_id=case.client_id,
            from_case=locked,
            to_case=into,
            kind=CaseLink.Kind.MERGED,
            created_at=now,
        )
        record_event(
            actor=actor,
            action="cases.merged",
            obj=locked,
            before={"status": previous},
            after={"into": into.pk},
        )
    case.status, case.merged_into = rules.Status.MERGED.value, into
    return case


# ----------------------------------------------------------------------------------------------------
# Status


def change_status(*, case: Case, to_status: str, actor: Actor, reason: str = "") -> Case:
    """CASE-TRANSITION: move through the transition table with a history row.

    Complaints close only with ``close_complaint`` (D-ROOT). Entering a status an SLA policy names as a
    clock stop pauses that policy's deadlines; leaving it moves them on by the time stopped. Regulatory
    deadlines never pause.
    """
    _check(actor, "cases.change_case", case.client_id)
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        target = rules.check_transition(locked.status, to_status)
        if target == rules.Status.CLOSED and locked.is_complaint:
            raise Refusal(
                "A complaint is closed with its outcome and root cause (close the complaint)",
                rule="D-ROOT",
                field="status",
            )
        if target == rules.Status.MERGED:
            raise InvalidInput("Merge a case with the merge action", field="status")
        previous = locked.status
        fields: dict[str, Any] = {"status": target.value}
        if target == rules.Status.CLOSED:
            fields["closed_at"] = now
            CaseDeadline.objects.filter(case=locked, met_at__isnull=True).update(met_at=now)
        if previous == rules.Status.CLOSED:
            fields["closed_at"] = None
        if previous == rules.Status.NEW and locked.first_response_at is None:
            fields["first_response_at"] = now
            CaseDeadline.objects.filter(
                case=locked, rule__endswith="/first_response", met_at__isnull=True
            ).update(met_at=now)
        _move_clocks(locked, previous, target.value, now)
        Case.objects.filter(pk=locked.pk).update(**fields)
        _status_row(locked, previous, target.value, actor, reason, now)
        record_event(
            actor=actor, action="cases.status_changed", obj=locked,
            before={"status": previous}, after={"status": target.value}, reason=reason,
        )  # fmt: skip
    for name, value in fields.items():
        setattr(case, name, value)
    return case


def _move_clocks(case: Case, previous: str, target: str, now: dt.datetime) -> None:
    deadlines = CaseDeadline.objects.filter(
        case=case, is_regulatory=False, met_at__isnull=True
    ).select_related("policy")
    for deadline in deadlines:
        policy = deadline.policy
        if policy is None:
            continue
        stops = set(policy.clock_stop_statuses)
        if target in stops and previous not in stops and deadline.paused_at is None:
            deadline.paused_at = now
            deadline.save(update_fields=["paused_at"])
        elif previous in stops and target not in stops and deadline.paused_at is not None:
            unit = (
                policy.resolution_unit
                if deadline.rule.endswith("/resolution")
                else policy.first_response_unit
            )
            due_at, due_date = sla.extend_after_clock_stop(
                deadline.due_at, deadline.paused_at, now, unit, case.region, case.time_zone
            )
            shift = due_at - deadline.due_at
            deadline.due_at, deadline.due_date = due_at, due_date
            deadline.warn_at = deadline.warn_at + shift
            deadline.paused_at = None
            deadline.save(update_fields=["due_at", "due_date", "warn_at", "paused_at"])


# ----------------------------------------------------------------------------------------------------
# Escalation


def escalate(*, case: Case, actor: Actor, reason: str, to_level: int | None = None) -> Escalation:
    """One step up the chain (or straight to ``to_level``): agent → team leader → operations manager → head."""
    _check(actor, "cases.escalate_case", case.client_id)
    if not reason.strip():
        raise InvalidInput("Say why the case is escalated", field="reason")
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.is_open:
            raise Refusal("Only an open case is escalated", rule="CASE-ESCALATION", field="status")
        level = rules.next_escalation_level(locked.escalation_level) if to_level is None else to_level
        if level not in rules.ESCALATION_LABELS or level <= locked.escalation_level:
            raise InvalidInput("Escalate to a higher level of the chain", field="level")
        escalation = Escalation.objects.create(
            client_id=locked.client_id,
            case=locked,
            from_level=locked.escalation_level,
            to_level=int(level),
            reason=reason[:500],
            by=actor if isinstance(actor, User) else None,
            by_label=actor_label(actor),
            at=now,
        )
        Case.objects.filter(pk=locked.pk).update(escalation_level=int(level))
        record_event(
            actor=actor, action="cases.escalated", obj=locked,
            before={"level": locked.escalation_level}, after={"level": int(level)}, reason=reason,
        )  # fmt: skip
    case.escalation_level = int(level)
    return escalation


@dataclass(frozen=True)
class EscalationRun:
    at_risk: int
    escalated: int


def escalate_at_risk(
    *, now: dt.datetime | None = None, client_ids: list[int] | None = None, actor: Actor | None = None
) -> EscalationRun:
    """Escalate, set-based, every open case with a deadline at risk: past its warning point → team leader,
    past its due time → operations manager. Never lowers a level; running it twice changes nothing more.
    """
    now = now or timezone.now()
    actor = actor or SystemActor("sla-escalation")
    open_deadlines = CaseDeadline.objects.filter(
        met_at__isnull=True, paused_at__isnull=True, warn_at__lte=now,
        case__status__in=[status.value for status in rules.OPEN_STATUSES],
    )  # fmt: skip
    if client_ids is not None:
        open_deadlines = open_deadlines.filter(client_id__in=client_ids)
    targets: dict[int, tuple[int, int, int, str]] = {}
    for case_id, client_id, level, due_at, rule in open_deadlines.values_list(
        "case_id", "client_id", "case__escalation_level", "due_at", "rule"
    ):
        target = int(
            rules.EscalationLevel.OPERATIONS_MANAGER if due_at <= now else rules.EscalationLevel.TEAM_LEADER
        )
        known = targets.get(case_id)
        if known is None or target > known[2]:
            targets[case_id] = (client_id, level, int(target), rule)
    to_raise = {case_id: item for case_id, item in targets.items() if item[1] < item[2]}
    if not to_raise:
        return EscalationRun(len(targets), 0)
    with transaction.atomic():
        by_target: dict[int, list[int]] = defaultdict(list)
        for case_id, (_, _, level_to, _) in to_raise.items():
            by_target[level_to].append(case_id)
        for level_to, ids in by_target.items():
            Case.objects.filter(id__in=ids, escalation_level__lt=level_to).update(escalation_level=level_to)
        label = actor_label(actor)
        Escalation.objects.bulk_create(
            [
                Escalation(
                    client_id=client_id, case_id=case_id, from_level=level, to_level=target,
                    reason=f"{rule} {'breached' if target >= 2 else 'at risk'}", is_automatic=True,
                    by_label=label, at=now,
                )
                for case_id, (client_id, level, target, rule) in to_raise.items()
            ],
            batch_size=2000,
        )  # fmt: skip
        record_events_bulk(
            actor=actor,
            action="cases.escalated",
            events=[
                PendingEvent(
                    "cases.case", str(case_id), client_id, {"level": level}, {"level": target, "rule": rule}
                )
                for case_id, (client_id, level, target, rule) in to_raise.items()
            ],
            reason="deadline at risk",
        )
    return EscalationRun(len(targets), len(to_raise))


# ----------------------------------------------------------------------------------------------------
# Closing a complaint


@dataclass(frozen=True)
class ClosureResult:
    """A closed complaint, or (redress over the closer's authority) the approval it now waits for."""

    case: Case
    approval: ApprovalRequest | None = None

    @property
    def needs_approval(self) -> bool:
        return self.approval is not None


def close_complaint(
    *,
    case: Case,
    actor: User,
    outcome: str,
    root_cause: str,
    summary: str = "",
    redress_minor: int = 0,
    reason: str = "",
) -> ClosureResult:
    """Close a complaint with its outcome and root cause (D-ROOT) and the final response letter.

    Redress is credited to the agreement as a ledger entry — only within the closer's compensation
    authority (AUTHORITY-LIMIT); above it, the closure becomes an approval request and nothing is closed
    or paid until someone with the authority approves it.
    """
    _check(actor, "cases.close_complaint", case.client_id)
    if not case.is_complaint:
        raise InvalidInput("Only complaints are closed with an outcome", field="case_type")
    rules.check_closure(outcome=outcome, root_cause=root_cause, redress_minor=redress_minor)
    if not case.is_open:
        raise Refusal("This complaint is not open", rule="CASE-TRANSITION", field="status")
    if case.pending_approval_id and case.pending_approval and case.pending_approval.status == "pending":
        raise Refusal("A closure of this complaint is already waiting for approval", rule="APPROVAL-PENDING")
    currency = case.agreement.currency if case.agreement else case.client.base_currency
    if redress_minor and case.agreement is None:
        raise InvalidInput("Redress is paid to an agreement; link the complaint to one", field="agreement_id")
    payload = {
        "case_id": case.pk,
        "outcome": outcome,
        "root_cause": root_cause,
        "summary": summary,
        "redress_minor": redress_minor,
        "currency": currency,
        "closed_by": actor.username,
    }
    if not redress_minor:
        return ClosureResult(_close(payload, actor=actor))
    result = act_within_authority(
        actor=actor,
        client=case.client,
        action=CLOSE_WITH_REDRESS,
        kind="compensation",
        value=redress_minor,
        currency=currency,
        payload=payload,
        summary=f"Close complaint {case.reference} with redress of {redress_minor} {currency}",
        reason=reason or summary,
        object_type="cases.case",
        object_id=str(case.pk),
    )
    if result.approval is not None:
        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(pending_approval=result.approval)
            record_event(
                actor=actor, action="cases.closure_awaits_approval", obj=case,
                after={"approval": result.approval.pk, "redress_minor": redress_minor}, reason=reason,
            )  # fmt: skip
        case.pending_approval = result.approval
        return ClosureResult(case, result.approval)
    return ClosureResult(result.result)


@approval_handler(CLOSE_WITH_REDRESS)
def _close(payload: dict[str, Any], *, actor: Any, approval: ApprovalRequest | None = None) -> Case:
    """Carry out a complaint closure (directly within authority, or when its approval is granted)."""
    from fairpath.accounts.actions import post_entry

    now = timezone.now()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("agreement")
            .get(pk=payload["case_id"])
        )
        if not case.is_open:
            raise Refusal("This complaint is not open", rule="CASE-TRANSITION", field="status")
        entry: LedgerEntry | None = None
        redress = int(payload["redress_minor"])
        if redress:
            assert case.agreement is not None
            entry = post_entry(
                agreement=case.agreement,
                kind="adjustment",
                amount_minor=-redress,
                currency=payload["currency"],
                posted_on=timezone.localdate(),
                actor=actor,
                reason=f"Complaint redress {case.reference}",
                reference=case.reference,
            )
        received_on = calendars.local_dates(calendars.as_instants([case.received_at]), case.time_zone)
        closed_on = calendars.local_dates(calendars.as_instants([now]), case.time_zone)
        business_days = int(
            calendars.business_days_between(
                received_on + np.timedelta64(1, "D"), closed_on + np.timedelta64(1, "D"), case.region
            )[0]
        )
        ComplaintOutcome.objects.create(
            client_id=case.client_id,
            case=case,
            outcome=payload["outcome"],
            root_cause=payload["root_cause"],
            summary=payload.get("summary", ""),
            redress_minor=redress,
            currency=payload["currency"],
            redress_status=ComplaintOutcome.Redress.PAID if redress else ComplaintOutcome.Redress.NONE,
            ledger_entry=entry,
            approval=approval,
            final_response_on=calendars.to_date(closed_on[0]),
            closed_at=now,
            closed_by_label=payload.get("closed_by") or actor_label(actor),
            business_days_to_close=max(business_days, 0),
        )
        previous = case.status
        Case.objects.filter(pk=case.pk).update(
            status=rules.Status.CLOSED.value, closed_at=now, pending_approval=None
        )
        CaseDeadline.objects.filter(case=case, met_at__isnull=True).update(met_at=now)
        _status_row(case, previous, rules.Status.CLOSED, actor, f"closed: {payload['outcome']}", now)
        case.status, case.closed_at = rules.Status.CLOSED.value, now
        kind = CaseLetter.Kind.SUMMARY_RESOLUTION if business_days <= 3 else CaseLetter.Kind.FINAL_RESPONSE
        _write_letter(
            case, kind, actor, now,
            outcome_label=rules.OUTCOME_LABELS[rules.Outcome(payload["outcome"])],
            redress_minor=redress, currency=payload["currency"], summary=payload.get("summary", ""),
            fos_deadline=rules.fos_referral_deadline(calendars.to_date(closed_on[0])),
        )  # fmt: skip
        record_event(
            actor=actor,
            action="cases.complaint_closed",
            obj=case,
            before={"status": previous},
            after={
                "outcome": payload["outcome"],
                "root_cause": payload["root_cause"],
                "redress_minor": redress,
                "ledger_entry": entry.pk if entry else None,
                "approval": approval.pk if approval else None,
            },
        )
        _complete_case_work(case, f"closed: {payload['outcome']}")
    return case


# ----------------------------------------------------------------------------------------------------
# Ombudsman


def refer_to_ombudsman(
    *, case: Case, referred_on: dt.date, actor: Actor, fos_reference: str = ""
) -> OmbudsmanReferral:
    """D-FOS: record a referral; whether it came within 6 months of the final response is kept with it."""
    _check(actor, "cases.manage_ombudsman", case.client_id)
    if not case.is_complaint:
        raise InvalidInput("Only complaints are referred to the Ombudsman", field="case_type")
    if referred_on > timezone.localdate():
        raise InvalidInput("The referral date cannot be in the future", field="referred_on")
    outcome = ComplaintOutcome.objects.filter(case=case).first()
    within = outcome is None or referred_on <= rules.fos_referral_deadline(outcome.final_response_on)
    with transaction.atomic():
        referral = OmbudsmanReferral.objects.create(
            client_id=case.client_id, case=case, referred_on=referred_on,
            fos_reference=fos_reference[:40], is_within_time=within,
        )  # fmt: skip
        record_event(
            actor=actor, action="cases.referred_to_ombudsman", obj=case,
            after={"referral": referral.pk, "referred_on": referred_on.isoformat(), "within_time": within},
        )  # fmt: skip
    return referral


def record_ombudsman_outcome(
    *,
    referral: OmbudsmanReferral,
    outcome: str,
    outcome_on: dt.date,
    actor: Actor,
    award_minor: int = 0,
    notes: str = "",
) -> OmbudsmanReferral:
    _check(actor, "cases.manage_ombudsman", referral.client_id)
    try:
        decided = rules.FosOutcome(outcome)
    except ValueError:
        raise InvalidInput(f"Unknown Ombudsman outcome {outcome!r}", field="outcome") from None
    if decided == rules.FosOutcome.PENDING:
        raise InvalidInput("Record a decision, not 'pending'", field="outcome")
    if outcome_on < referral.referred_on:
        raise InvalidInput("The decision cannot come before the referral", field="outcome_on")
    if award_minor < 0:
        raise InvalidInput("An award is not negative", field="award_minor")
    with transaction.atomic():
        previous = referral.outcome
        OmbudsmanReferral.objects.filter(pk=referral.pk).update(
            outcome=decided.value, outcome_on=outcome_on, award_minor=award_minor, notes=notes
        )
        record_event(
            actor=actor, action="cases.ombudsman_outcome", obj=referral.case,
            before={"outcome": previous}, after={"outcome": decided.value, "award_minor": award_minor},
        )  # fmt: skip
    referral.outcome, referral.outcome_on, referral.award_minor = decided.value, outcome_on, award_minor
    return referral


# ----------------------------------------------------------------------------------------------------
# Recompute (after a policy change), set-based


def recompute_open_deadlines(*, client: Client, actor: Actor) -> int:
    """Recompute the SLA policy deadlines of every open case of a client in bulk (regulatory ones are fixed)."""
    _check(actor, "cases.change_slapolicy", client.pk)
    with transaction.atomic():
        cases = list(Case.objects.filter(client=client, status__in=[s.value for s in rules.OPEN_STATUSES]))
        rows = [row for row in _deadline_rows(cases) if not row.is_regulatory]
        ids = [case.pk for case in cases]
        CaseDeadline.objects.filter(case_id__in=ids, is_regulatory=False, met_at__isnull=True).delete()
        kept = set(
            CaseDeadline.objects.filter(case_id__in=ids, is_regulatory=False).values_list("case_id", "rule")
        )
        CaseDeadline.objects.bulk_create(
            [row for row in rows if (row.case_id, row.rule) not in kept], batch_size=2000
        )
        record_event(
            actor=actor, action="cases.deadlines_recomputed", object_type="cases.case",
            object_id=f"client:{client.pk}", client_id=client.pk, after={"cases": len(ids)},
        )  # fmt: skip
    return len(ids)


__all__ = [
    "ClosureResult",
    "EscalationRun",
    "add_attachment",
    "add_note",
    "change_status",
    "close_complaint",
    "escalate",
    "escalate_at_risk",
    "link_cases",
    "merge_case",
    "raise_complaint_from",
    "record_ombudsman_outcome",
    "refer_to_ombudsman",
    "register_case",
    "send_letter",
]
