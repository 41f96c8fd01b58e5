"""Every change the collections domain makes: keyword-only, explicit actor, one transaction, audit rows.

Holds (BS-START, BS-EFFECT, UK-ADVICE-HOLD, UK-CAPACITY, US-VALIDATION disputes), the contact log, notices
sent by hand and the transfer of fully worked accounts to recoveries. Promises, arrangements and strategies
have their own modules (``promises.py``, ``strategies.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from fairpath.accounts.models import Agreement
from fairpath.collections import rules
from fairpath.collections.models import ContactAttempt, Hold, NoticeDue
from fairpath.collections.policy import check_contact
from fairpath.collections.rules import ContactDecision
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.audit import Actor, actor_label, record_event

if TYPE_CHECKING:
    from fairpath.collections.workspace.recoveries import MissingItem


def _hold(
    *,
    agreement: Agreement,
    kind: rules.HoldKind,
    starts_on: date,
    ends_on: date | None,
    actor: Actor,
    reason: str,
    reference: str = "",
) -> Hold:
    with transaction.atomic():
        hold = Hold(
            client_id=agreement.client_id,
            agreement=agreement,
            kind=kind.value,
            starts_on=starts_on,
            ends_on=ends_on,
            reference=reference,
            reason=reason,
            created_by=actor_label(actor),
        )
        hold.save()
        record_event(
            actor=actor,
            action="collections.hold_started",
            obj=hold,
            after={"kind": kind.value, "starts_on": starts_on, "ends_on": ends_on, "agreement": agreement.pk},
            reason=reason,
        )
    return hold


def start_breathing_space(
    *,
    agreement: Agreement,
    entered_on: date,
    actor: Actor,
    mental_health: bool = False,
    reference: str = "",
    reason: str = "",
) -> Hold:
    """BS-START: the moratorium starts the day after it is entered in the register.

    A standard breathing space lasts 60 days; a mental-health crisis one lasts until 30 days after the
    crisis treatment ends (open until that is notified with ``end_hold``).
    """
    if mental_health:
        starts_on = entered_on + timedelta(days=1)
        return _hold(
            agreement=agreement,
            kind=rules.HoldKind.MENTAL_HEALTH_BREATHING_SPACE,
            starts_on=starts_on,
            ends_on=None,
            actor=actor,
            reason=reason or "Mental-health crisis breathing space registered",
            reference=reference,
        )
    starts_on, ends_on = rules.breathing_space_period(entered_on)
    return _hold(
        agreement=agreement,
        kind=rules.HoldKind.BREATHING_SPACE,
        starts_on=starts_on,
        ends_on=ends_on,
        actor=actor,
        reason=reason or "Standard breathing space registered",
        reference=reference,
    )


def start_advice_hold(*, agreement: Agreement, starts_on: date, actor: Actor, reason: str) -> Hold:
    """UK-ADVICE-HOLD: the customer is getting debt advice; recovery waits 30 days."""
    if not reason.strip():
        raise InvalidInput("Say who is advising the customer", field="reason")
    begin, end = rules.advice_hold_period(starts_on)
    return _hold(
        agreement=agreement,
        kind=rules.HoldKind.DEBT_ADVICE,
        starts_on=begin,
        ends_on=end,
        actor=actor,
        reason=reason,
    )


def extend_advice_hold(*, hold: Hold, actor: Actor, reason: str) -> Hold:
    """UK-ADVICE-HOLD: extend by 30 days, once, with a reason."""
    if not reason.strip():
        raise InvalidInput("An extension needs a reason", field="reason")
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        if locked.kind != rules.HoldKind.DEBT_ADVICE or locked.ends_on is None:
            raise Refusal("Only a debt-advice hold can be extended", rule="UK-ADVICE-HOLD", field="hold")
        if locked.extensions >= 1:
            raise Refusal("The debt-advice hold was already extended once", rule="UK-ADVICE-HOLD")
        if locked.ended_early_on is not None:
            raise Refusal("The hold has ended", rule="UK-ADVICE-HOLD")
        before = locked.ends_on
        locked.ends_on = before + timedelta(days=rules.ADVICE_HOLD_EXTENSION_DAYS)
        locked.extensions += 1
        locked.save(update_fields=["ends_on", "extensions"])
        record_event(
            actor=actor,
            action="collections.hold_extended",
            obj=locked,
            before={"ends_on": before},
            after={"ends_on": locked.ends_on},
            reason=reason,
        )
    return locked


def flag_capacity(*, agreement: Agreement, on: date, actor: Actor, reason: str) -> Hold:
    """UK-CAPACITY: suspend all collection activity at once, no evidence needed first."""
    return _hold(
        agreement=agreement,
        kind=rules.HoldKind.CAPACITY,
        starts_on=on,
        ends_on=None,
        actor=actor,
        reason=reason or "Told the customer may lack mental capacity",
    )


def record_dispute(*, agreement: Agreement, on: date, actor: Actor, reason: str) -> Hold:
    """US-VALIDATION: a dispute in the validation period stops collection until verification is sent."""
    return _hold(
        agreement=agreement,
        kind=rules.HoldKind.DISPUTE,
        starts_on=on,
        ends_on=None,
        actor=actor,
        reason=reason or "Debt disputed",
    )


def end_hold(*, hold: Hold, last_day: date, actor: Actor, reason: str) -> Hold:
    """End a hold: ``last_day`` is the last day it is in force (verification sent, capacity resolved...)."""
    if not reason.strip():
        raise InvalidInput("Ending a hold needs a reason", field="reason")
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        if last_day < locked.starts_on:
            raise InvalidInput("A hold cannot end before it starts", field="last_day")
        if locked.kind == rules.HoldKind.MENTAL_HEALTH_BREATHING_SPACE and locked.ends_on is None:
            # BS-START: the crisis treatment ended on last_day; the moratorium runs 30 days more.
            locked.ends_on = rules.mental_health_end(last_day)
            fields = ["ends_on"]
        elif locked.ends_on is None:
            locked.ends_on = last_day
            fields = ["ends_on"]
        else:
            locked.ended_early_on = min(last_day, locked.ends_on)
            fields = ["ended_early_on"]
        locked.save(update_fields=fields)
        record_event(
            actor=actor,
            action="collections.hold_ended",
            obj=locked,
            after={"ends_on": locked.ends_on, "ended_early_on": locked.ended_early_on},
            reason=reason,
        )
    return locked


def record_contact_attempt(
    *,
    agreement: Agreement,
    channel: str,
    at: datetime | None = None,
    actor: Actor,
    party: str = rules.Party.CUSTOMER.value,
    purpose: str = rules.Purpose.COLLECTIONS.value,
    is_conversation: bool = False,
    source: str = "agent",
) -> tuple[ContactDecision, ContactAttempt]:
    """Ask the guard and log the answer: an allowed call counts toward US-7IN7, a refusal is counted by rule.

    The agreement row is locked first so two agents cannot both take the 7th call of a window.
    """
    moment = at or timezone.now()
    with transaction.atomic():
        Agreement.objects.select_for_update().filter(pk=agreement.pk).first()
        decision = check_contact(
            agreement=agreement, channel=channel, at=moment, party=party, purpose=purpose
        )
        attempt = ContactAttempt(
            client_id=agreement.client_id,
            agreement=agreement,
            channel=channel,
            party=party,
            purpose=purpose,
            at=moment,
            is_allowed=decision.allowed,
            is_conversation=is_conversation and decision.allowed,
            rule=decision.rule or "",
            message=decision.message[:300],
            source=source,
            actor_label=actor_label(actor),
        )
        attempt.save()
        record_event(
            actor=actor,
            action="collections.contact_allowed" if decision.allowed else "collections.contact_refused",
            obj=attempt,
            after={
                "agreement": agreement.pk,
                "channel": channel,
                "party": party,
                "purpose": purpose,
                "at": moment,
                "rule": decision.rule,
            },
        )
    return decision, attempt


def mark_notice_sent(*, notice: NoticeDue, sent_on: date, actor: Actor) -> NoticeDue:
    """Send a statutory notice the cycle raised (UK-NOSIA-FS, UK-NOSIA-RA, UK-DEFAULT, US-VALIDATION) on
    ``sent_on`` and record it sent: the only way to mark one sent by hand, so a notice marked sent always has
    its letter. The communications domain's sender does both (``notices.send_pending_notices`` for this one
    row: the guard asked with purpose "statutory", the letter stored as an ``OutboundMessage`` - what, to
    whom, when, under which rule - with its ``StatutoryNotice``, and the row marked sent with the dates
    printed, in one transaction); this adds the engine's audit row.

    US-VALIDATION: the validation period end is the one printed, from the real send date. UK-DEFAULT: the
    remedy date is the one printed, from the real posting date (service + 14 days), never earlier than first
    stated. UK-NOSIA-LATE: a NOSIA sent after its last day records its late period, which ends that day.
    Refused, nothing changes: a notice already sent, a date before it fell due, or the guard's refusal (named).
    """
    from fairpath.communications.notices import send_pending_notices

    with transaction.atomic():
        locked = NoticeDue.objects.select_for_update().get(pk=notice.pk)
        if locked.status != NoticeDue.Status.PENDING:
            raise Refusal(f"The notice is already {locked.status}", field="notice")
        if sent_on < locked.trigger_on:
            raise InvalidInput("A notice cannot be sent before it fell due", field="sent_on")
        outcome = send_pending_notices(on=sent_on, actor=actor, notice_ids=[locked.pk])
        if not outcome.issued:
            rule = outcome.refused.get(locked.agreement_id) or "REFUSED"
            raise Refusal(f"The {locked.rule} notice could not be sent ({rule})", rule=rule, field="notice")
        letter = outcome.issued[0]
        locked.refresh_from_db()
        record_event(
            actor=actor,
            action="collections.notice_sent",
            obj=locked,
            after={
                "rule": locked.rule,
                "sent_on": sent_on,
                "late": sent_on > locked.send_by,
                "statutory_notice": letter.pk,
                "message": letter.message_id,
            },
        )
    return locked


@dataclass
class RecoveriesTransfers:
    """What ``transfer_fully_worked_to_recoveries`` did: the agreements moved, and for each one refused every
    item missing from its checklist."""

    transferred: list[int] = field(default_factory=list)
    refused: dict[int, list[MissingItem]] = field(default_factory=dict)


def transfer_fully_worked_to_recoveries(
    *, agreement_ids: Sequence[int], on: date, actor: Actor, reason: str
) -> RecoveriesTransfers:
    """RECOVERIES-CHECKLIST: move each agreement that was fully worked on ``on`` to recoveries; refuse the rest,
    each with every missing item and its rule (STATUS-TRANSITION, a hold's rule, UK-FORB, UK-PROPOSAL, a
    notice still to send, UK-DEFAULT), changing nothing for them.

    The rows are locked in id order, the checklist (``workspace.recoveries.recoveries_checklist``) asked once
    for all of them under the lock, and each transfer goes through the accounts domain's ``change_status``
    (STATUS-TRANSITION, history and audit rows) with an audit row of its own keeping the checklist's
    configuration - as the agent's transfer does. Permission checks are the caller's: the daily cycle's
    ``recoveries_transfer`` step calls this with its system actor for the accounts whose step is due today.
    """
    from fairpath.accounts.actions import change_status
    from fairpath.collections.workspace.recoveries import config_for, recoveries_checklist

    if not reason.strip():
        raise InvalidInput("Say why the account goes to recoveries", field="reason")
    outcome = RecoveriesTransfers()
    wanted = sorted(set(agreement_ids))
    if not wanted:
        return outcome
    with transaction.atomic():
        locked = [
            agreement
            for start in range(0, len(wanted), 900)
            for agreement in Agreement.objects.select_for_update()
            .filter(pk__in=wanted[start : start + 900])
            .order_by("id")
        ]
        checklist = recoveries_checklist([agreement.pk for agreement in locked], on)
        configs = config_for(agreement.client_id for agreement in locked)
        for agreement in locked:
            missing = checklist.get(agreement.pk, [])
            if missing:
                outcome.refused[agreement.pk] = missing
                continue
            previous = agreement.status
            change_status(
                agreement=agreement, to_status="recoveries", actor=actor, reason=reason[:500], on=on
            )
            record_event(
                actor=actor,
                action="collections.transferred_to_recoveries",
                obj=agreement,
                before={"status": previous},
                after={
                    "status": "recoveries",
                    "checklist": "complete",
                    "config": vars(configs[agreement.client_id]),
                },
                reason=reason[:500],
            )
            outcome.transferred.append(agreement.pk)
    return outcome
