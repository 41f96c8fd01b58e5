"""Statutory notices: found due, generated as PDF letters from the client's templates, recorded with their dates.

* UK-NOSIA-FS (fixed-sum agreements): on the trigger (2 payments due, or 4 when weekly, and a shortfall of
  at least the last 2 or 4), within the 14 days beginning with the trigger day, then at most every 6
  months while the arrears remain.
* UK-NOSIA-RA (running accounts): after the last two required payments were missed, no later than with
  the next statement; then at most every 6 months while they remain missed.
* UK-NOSIA-LATE: a notice sent after its last day, or not sent at all, leaves a late period: no interest
  or default fees for it (``nosia_late_periods`` for the cycle) and no enforcement while it is open.
* UK-DEFAULT: service = posting + 2 business days (``FAIRPATH_DEFAULT_SERVICE_DAYS``), remedy date at
  least 14 days after service; termination is blocked until after it (``termination_blocked_until``).
* US-VALIDATION: the end of the validation period is printed on the notice and recorded.

Notices are letters with purpose "statutory": the guard keeps them flowing in a breathing space (BS-EFFECT)
but not, for instance, when the customer may lack capacity (UK-CAPACITY).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Max, RowRange, Value, When, Window

from fairpath.accounts.models import Agreement, ArrearsState, ScheduleInstalment
from fairpath.communications import actions, batches, rendering, rules
from fairpath.communications.models import (
    MessageTemplate,
    NosiaLatePeriod,
    OutboundMessage,
    StatutoryNotice,
)
from fairpath.core.bulk import update_rows
from fairpath.core.errors import Refusal
from fairpath.core.money import format_money
from fairpath.governance.audit import Actor

NOSIA_TYPES = (rules.NoticeType.NOSIA_FS.value, rules.NoticeType.NOSIA_RA.value)
CHUNK = 900


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


@dataclass(frozen=True)
class NoticeRequest:
    """A notice the law requires for one agreement: which, since when, and the last day to send it."""

    agreement_id: int
    notice_type: str
    trigger_on: date | None = None
    due_by: date | None = None
    remedy_amount_minor: int | None = None
    remedy_by: date | None = None
    is_repeat: bool = False

    @property
    def duty_on(self) -> date | None:
        """The day the duty to send arose: the trigger day, or for a 6-monthly repeat the day it fell due."""
        return self.due_by if self.is_repeat else self.trigger_on


@dataclass
class NoticeOutcome:
    """What ``issue_notices`` did: notices issued, refusals by agreement (the rule), late periods opened."""

    issued: list[StatutoryNotice] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    late_periods_opened: int = 0

    def refused_by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rule in self.refused.values():
            counts[rule] = counts.get(rule, 0) + 1
        return counts


def service_business_days() -> int:
    return int(getattr(settings, "FAIRPATH_DEFAULT_SERVICE_DAYS", rules.DEFAULT_SERVICE_BUSINESS_DAYS))


def _template_for(client_id: int, notice_type: str, jurisdiction: str, *, actor: Actor) -> MessageTemplate:
    """The client's published template for a notice; a client without one gets the defaults first."""
    candidates = MessageTemplate.objects.filter(
        client_id=client_id,
        notice_type=notice_type,
        jurisdiction=jurisdiction,
        channel="letter",
        versions__status="published",
    ).order_by("code", "id")
    template = candidates.first()
    if template is None:
        from fairpath.clients.models import Client

        actions.seed_default_templates(client=Client.objects.get(pk=client_id), actor=actor)
        template = candidates.first()
    if template is None:
        raise Refusal(f"No published {notice_type} template for {jurisdiction}", rule="TEMPLATE-STATUS")
    return template


def _noon(on: date) -> datetime:
    return datetime.combine(on, time(12, 0), tzinfo=UTC)


def issue_notices(
    *, requests: Sequence[NoticeRequest], on: date, actor: Actor, at: datetime | None = None
) -> NoticeOutcome:
    """Generate and record notices in bulk: the guard's facts gathered once for all the agreements and one
    guard call per notice type, recipients read in chunks, each wording rendered once per distinct set of
    values, one insert for the letters, one for the notices, one audit append; PDFs render after commit. A
    refused notice is not sent; if it is past its last day a UK-NOSIA-LATE period is opened for it."""
    at = at or _noon(on)
    outcome = NoticeOutcome()
    if not requests:
        return outcome
    recipients = actions.recipients_for({request.agreement_id for request in requests}, at=at)
    arrears = {agreement_id: recipient.arrears_minor for agreement_id, recipient in recipients.items()}
    policy = actions._guard()
    facts = policy.gather_facts(sorted(recipients), at=at, party="customer")
    decisions: dict[str, dict[int, Any]] = {}
    for notice_type in {request.notice_type for request in requests}:
        decisions[notice_type] = policy.check_contacts_bulk(
            agreement_ids=sorted(
                {r.agreement_id for r in requests if r.notice_type == notice_type and r.agreement_id in facts}
            ),
            channel="letter",
            at=at,
            purpose="statutory",
            facts=facts,
        )
    templates: dict[tuple[int, str, str], MessageTemplate] = {}
    versions: dict[int, Any] = {}
    renderer = rendering.Renderer()
    planned: list[tuple[OutboundMessage, StatutoryNotice]] = []
    late_to_open: list[NosiaLatePeriod] = []
    for request in requests:
        recipient = recipients.get(request.agreement_id)
        if recipient is None:
            outcome.refused[request.agreement_id] = "NOT-FOUND"
            continue
        decision = decisions[request.notice_type].get(request.agreement_id)
        refusal_rule = (
            None if decision is not None and decision.allowed else (decision.rule if decision else "")
        )
        notice = StatutoryNotice(
            client_id=recipient.client_id,
            agreement_id=recipient.agreement_id,
            notice_type=request.notice_type,
            trigger_on=request.trigger_on,
            due_by=request.due_by,
            sent_on=on,
        )
        context: dict[str, Any] = {"itemization_date": on}
        if request.trigger_on:
            context["trigger_date"] = request.trigger_on
        if request.notice_type == rules.NoticeType.DEFAULT:
            notice.service_on = rules.default_service_date(
                on, country=recipient.country, region=recipient.region, business_days=service_business_days()
            )
            notice.remedy_by = rules.default_remedy_date(notice.service_on, requested=request.remedy_by)
            amount = request.remedy_amount_minor
            notice.remedy_amount_minor = amount if amount is not None else recipient.arrears_minor
            context.update(
                service_date=notice.service_on,
                remedy_date=notice.remedy_by,
                remedy_amount=format_money(notice.remedy_amount_minor, recipient.currency),
            )
        if request.notice_type == rules.NoticeType.US_VALIDATION:
            notice.validation_ends_on = rules.validation_period_end(on)
            context["validation_end_date"] = notice.validation_ends_on
        if refusal_rule is None:
            key = (recipient.client_id, request.notice_type, recipient.jurisdiction)
            if key not in templates:
                templates[key] = _template_for(*key, actor=actor)
            template = templates[key]
            if template.pk not in versions:
                versions[template.pk] = actions.published_version(template)
            try:
                message = actions._prepare(
                    recipient=recipient,
                    template=template,
                    version=versions[template.pk],
                    caller_context=context,
                    at=at,
                    actor=actor,
                    party="customer",
                    decision_rule=rules.NOTICE_RULES[rules.NoticeType(request.notice_type)],
                    decision_message=decision.message if decision else "",
                    renderer=renderer,
                )
            except Refusal as refusal:
                refusal_rule = refusal.rule or "REFUSED"
            else:
                planned.append((message, notice))
                continue
        outcome.refused[request.agreement_id] = refusal_rule or "REFUSED"
        if request.notice_type in NOSIA_TYPES and request.due_by and on > request.due_by:
            late_to_open.append(
                NosiaLatePeriod(
                    client_id=recipient.client_id,
                    agreement_id=recipient.agreement_id,
                    notice_type=request.notice_type,
                    trigger_on=request.trigger_on or request.due_by,
                    starts_on=request.due_by + timedelta(days=1),
                )
            )
    with transaction.atomic():
        if planned:
            actions._store([message for message, _ in planned], actor=actor)
            for message, notice in planned:
                notice.message = message
            outcome.issued = [notice for _, notice in planned]
            batches.insert_instances(StatutoryNotice, outcome.issued)
            _record_served(outcome.issued, on=on, arrears=arrears)
            _close_late_periods(outcome.issued, on=on)
        if late_to_open:
            outcome.late_periods_opened = _open_late_periods(late_to_open)
    return outcome


def _record_served(issued: list[StatutoryNotice], *, on: date, arrears: dict[int, int]) -> None:
    """One record of service: every notice issued here - by the cycle's day end, the communications
    step or an agent (``issue_default_notice``) - is also the collections engine's ``NoticeDue``, sent. A
    pending duty for the same agreement and rule, due by ``on``, is fulfilled by it (marked sent with the
    dates printed); without one, a sent duty is written (a second notice the same day updates it, the later
    remedy date binding). The cycle's decider, its UK-DEFAULT block and the recoveries checklist read these
    rows, so they can never disagree with the letters sent."""
    from fairpath.collections.models import NoticeDue

    if not issued:
        return
    rule_of = {notice_type.value: rule for notice_type, rule in rules.NOTICE_RULES.items()}
    wanted_rules = sorted({rule_of[notice.notice_type] for notice in issued})
    known: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for chunk in batches.chunks(notice.agreement_id for notice in issued):
        for row_id, agreement_id, rule, *fields in NoticeDue.objects.filter(
            batches.among("agreement_id", chunk), rule__in=wanted_rules
        ).values_list(
            "id", "agreement_id", "rule", "trigger_on", "status", "remedy_on", "validation_ends_on", "sent_on"
        ):
            known.setdefault((agreement_id, rule), []).append((row_id, *fields))
    updates: dict[int, tuple[Any, ...]] = {}
    fresh: dict[tuple[int, str, date], NoticeDue] = {}
    for notice in issued:
        rule = rule_of[notice.notice_type]
        rows = known.get((notice.agreement_id, rule), [])
        pending = [row for row in rows if row[2] == NoticeDue.Status.PENDING and row[1] <= on]
        for row_id, _trigger_on, _status, remedy_on, validation_ends_on, _sent_on in pending:
            updates[row_id] = (
                row_id, NoticeDue.Status.SENT.value, notice.sent_on, notice.remedy_by or remedy_on,
                notice.validation_ends_on or validation_ends_on,
            )  # fmt: skip
        if pending:
            continue
        trigger_on = notice.trigger_on or notice.sent_on
        if any(row[1] == trigger_on and row[5] not in (None, notice.sent_on) for row in rows):
            # an earlier notice for the same trigger: this is the 6-monthly repeat, due on its own day
            trigger_on = notice.due_by or notice.sent_on
        same_day = [row for row in rows if row[1] == trigger_on]
        for row_id, _trigger_on, _status, remedy_on, validation_ends_on, _sent_on in same_day:
            updates[row_id] = (
                row_id, NoticeDue.Status.SENT.value, notice.sent_on, _later(remedy_on, notice.remedy_by),
                notice.validation_ends_on or validation_ends_on,
            )  # fmt: skip
        if same_day:
            continue
        held = fresh.get((notice.agreement_id, rule, trigger_on))
        if held is not None:
            held.remedy_on = _later(held.remedy_on, notice.remedy_by)
            continue
        fresh[(notice.agreement_id, rule, trigger_on)] = NoticeDue(
            client_id=notice.client_id,
            agreement_id=notice.agreement_id,
            rule=rule,
            trigger_on=trigger_on,
            send_by=notice.due_by or notice.sent_on,
            status=NoticeDue.Status.SENT,
            sent_on=notice.sent_on,
            remedy_on=notice.remedy_by,
            validation_ends_on=notice.validation_ends_on,
            arrears_minor=notice.remedy_amount_minor
            if notice.remedy_amount_minor is not None
            else arrears.get(notice.agreement_id, 0),
            run_date=on,
        )
    update_rows(NoticeDue, ["status", "sent_on", "remedy_on", "validation_ends_on"], list(updates.values()))
    batches.insert_instances(NoticeDue, list(fresh.values()))


def _later(first: date | None, second: date | None) -> date | None:
    return max((day for day in (first, second) if day is not None), default=None)


def _open_late_periods(periods: list[NosiaLatePeriod]) -> int:
    """Open a period unless one is already open for the agreement and notice type."""
    already: set[tuple[int, str]] = set()
    for chunk in batches.chunks(period.agreement_id for period in periods):
        already.update(
            NosiaLatePeriod.objects.filter(
                batches.among("agreement_id", chunk), ends_on__isnull=True
            ).values_list("agreement_id", "notice_type")
        )
    fresh = [period for period in periods if (period.agreement_id, period.notice_type) not in already]
    NosiaLatePeriod.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _close_late_periods(notices: list[StatutoryNotice], *, on: date) -> None:
    """UK-NOSIA-LATE: the notice given ends the open late period (the day given is its last day); a notice
    given late with no period open yet records the whole period at once."""
    nosia = [notice for notice in notices if notice.notice_type in NOSIA_TYPES]
    if not nosia:
        return
    given = {(notice.agreement_id, notice.notice_type) for notice in nosia}
    open_keys: set[tuple[int, str]] = set()
    to_close: list[int] = []
    for chunk in batches.chunks(notice.agreement_id for notice in nosia):
        for period_id, agreement_id, notice_type in NosiaLatePeriod.objects.filter(
            batches.among("agreement_id", chunk), ends_on__isnull=True
        ).values_list("id", "agreement_id", "notice_type"):
            open_keys.add((agreement_id, notice_type))
            if (agreement_id, notice_type) in given:
                to_close.append(period_id)
    for chunk in batches.chunks(to_close):
        NosiaLatePeriod.objects.filter(batches.among("id", chunk)).update(ends_on=on)
    closed_late = [
        NosiaLatePeriod(
            client_id=notice.client_id,
            agreement_id=notice.agreement_id,
            notice_type=notice.notice_type,
            trigger_on=notice.trigger_on or notice.due_by,
            starts_on=period[0],
            ends_on=period[1],
        )
        for notice in nosia
        if (notice.agreement_id, notice.notice_type) not in open_keys
        and notice.due_by is not None
        and (period := rules.nosia_late_period(notice.due_by, notice.sent_on, as_of=on)) is not None
    ]
    NosiaLatePeriod.objects.bulk_create(closed_late, ignore_conflicts=True)


# ----------------------------------------------------------------------------------------------------
# Which notices are due


def find_notices_due(
    *,
    agreement_ids: Sequence[int] | None = None,
    as_of: date,
    id_range: tuple[int, int] | None = None,
    client_ids: Sequence[int] | None = None,
    default_notice_for: Sequence[int] = (),
    arrears_notices: bool = True,
) -> list[NoticeRequest]:
    """UK-NOSIA-FS, UK-NOSIA-RA (and their 6-month repeats) and US-VALIDATION due on ``as_of``, set-based:
    a fixed number of queries per 900 agreements (agreements in arrears only). The one place that decides
    which of these notices are due: the daily cycle asks it for each shard (``id_range`` of agreements of
    ``client_ids``) and records what it finds as ``collections.NoticeDue`` rows.

    UK-DEFAULT is due only where a strategy step asks for it (``default_notice_for``), and not again while
    a default notice served since the current arrears began covers them - however it was served (the
    cycle, or an agent's ``issue_default_notice``) - or one is still pending. ``arrears_notices=False``
    leaves the NOSIA and validation notices out (the cycle's strategy step asks for defaults alone)."""
    found: list[NoticeRequest] = []
    for chunk in _chunks(sorted(set(default_notice_for))):
        found.extend(_defaults_due(chunk, as_of))
    if not arrears_notices:
        return found
    candidates = ArrearsState.objects.filter(missed_payments__gt=0)
    if agreement_ids is not None:
        candidates = candidates.filter(agreement_id__in=list(agreement_ids))
    if id_range is not None:
        candidates = candidates.filter(agreement_id__gte=id_range[0], agreement_id__lte=id_range[1])
    if client_ids is not None:
        candidates = candidates.filter(client_id__in=list(client_ids))
    ids = sorted(candidates.values_list("agreement_id", flat=True))
    for chunk in _chunks(ids):
        found.extend(_due_in(chunk, as_of))
    return found


def _defaults_due(ids: list[int], as_of: date) -> list[NoticeRequest]:
    """UK-DEFAULT for UK customers among ``ids``: none while one is pending, nor when the last default
    notice served (``StatutoryNotice``, the letter itself) was sent on or after the oldest unpaid due date -
    it covers the arrears the customer is in now. A notice served for arrears since cleared covers nothing."""
    from fairpath.accounts.models import Address
    from fairpath.collections.models import NoticeDue

    in_uk = set(
        Agreement.objects.filter(
            pk__in=ids,
            customer_id__in=Address.objects.filter(is_current=True, country="GB").values("customer_id"),
        ).values_list("id", flat=True)
    )
    served = dict(
        StatutoryNotice.objects.filter(agreement_id__in=ids, notice_type=rules.NoticeType.DEFAULT)
        .values("agreement_id")
        .annotate(last=Max("sent_on"))
        .values_list("agreement_id", "last")
        .order_by()
    )
    pending = set(
        NoticeDue.objects.filter(
            agreement_id__in=ids, rule="UK-DEFAULT", status=NoticeDue.Status.PENDING
        ).values_list("agreement_id", flat=True)
    )
    oldest_unpaid = dict(
        ArrearsState.objects.filter(agreement_id__in=ids).values_list("agreement_id", "oldest_unpaid_due_on")
    )
    found = []
    for agreement_id in ids:
        if agreement_id not in in_uk or agreement_id in pending:
            continue
        last = served.get(agreement_id)
        since = oldest_unpaid.get(agreement_id)
        if last is not None and (since is None or last >= since):
            continue
        found.append(
            NoticeRequest(agreement_id, rules.NoticeType.DEFAULT.value, trigger_on=as_of, due_by=as_of)
        )
    return found


def _arrears_histories(ids: list[int], as_of: date) -> Any:
    """(agreement, due on, due, paid) of ``rules.arrears_history`` for each of ``ids``, filtered in the
    database: an instalment is kept when an unpaid one is at most ``ARREARS_LOOKBACK`` places after it or
    anywhere before it (a window over the agreement's schedule). A book in arrears for years otherwise sends
    its whole paid history to Python every night to be passed over."""
    unpaid = Case(When(amount_paid_minor__lt=F("amount_due_minor"), then=Value(1)), default=Value(0))
    return (
        ScheduleInstalment.objects.filter(agreement_id__any_of=ids, due_on__lte=as_of)
        .annotate(
            reaches_arrears=Window(
                Max(unpaid),
                partition_by=[F("agreement_id")],
                order_by=[F("due_on").asc(), F("sequence").asc()],
                frame=RowRange(start=None, end=rules.ARREARS_LOOKBACK),
            )
        )
        .filter(reaches_arrears=1)
        .order_by("agreement_id", "due_on", "sequence")
        .values_list("agreement_id", "due_on", "amount_due_minor", "amount_paid_minor")
    )


def _due_in(ids: list[int], as_of: date) -> list[NoticeRequest]:
    from fairpath.accounts.models import Address

    agreements = {
        row["id"]: row
        for row in Agreement.objects.filter(id__any_of=ids).values(
            "id", "customer_id", "product", "frequency"
        )
    }
    countries = dict(
        Address.objects.filter(
            customer_id__any_of={row["customer_id"] for row in agreements.values()}, is_current=True
        )
        .order_by("customer_id", "-id")
        .values_list("customer_id", "country")
    )
    schedules: dict[int, list[rules.Due]] = {}
    for agreement_id, due_on, amount_due, amount_paid in _arrears_histories(ids, as_of):
        schedules.setdefault(agreement_id, []).append(rules.Due(due_on, amount_due, amount_paid))
    last_sent: dict[tuple[int, str], date] = {
        (row["agreement_id"], row["notice_type"]): row["last"]
        for row in StatutoryNotice.objects.filter(agreement_id__any_of=ids)
        .values("agreement_id", "notice_type")
        .annotate(last=Max("sent_on"))
        .order_by()
    }
    found: list[NoticeRequest] = []
    for agreement_id, row in agreements.items():
        country = countries.get(row["customer_id"], "GB")
        schedule = schedules.get(agreement_id, [])
        if country == "US":
            if (agreement_id, rules.NoticeType.US_VALIDATION.value) not in last_sent:
                found.append(
                    NoticeRequest(
                        agreement_id,
                        rules.NoticeType.US_VALIDATION.value,
                        trigger_on=as_of,
                        due_by=as_of + timedelta(days=5),
                    )
                )
            continue
        if row["product"] == "credit_card":
            kind = rules.NoticeType.NOSIA_RA.value
            trigger = rules.nosia_ra_trigger(schedule, as_of=as_of)
            first_due_by = rules.nosia_ra_send_by(trigger) if trigger else None
        else:
            kind = rules.NoticeType.NOSIA_FS.value
            trigger = rules.nosia_fs_trigger(schedule, is_weekly=row["frequency"] == "weekly", as_of=as_of)
            first_due_by = rules.nosia_fs_send_by(trigger) if trigger else None
        if trigger is None or first_due_by is None:
            continue
        last = last_sent.get((agreement_id, kind))
        if last is None or last < trigger:
            found.append(NoticeRequest(agreement_id, kind, trigger_on=trigger, due_by=first_due_by))
        elif as_of >= rules.nosia_repeat_due(last):
            found.append(
                NoticeRequest(
                    agreement_id,
                    kind,
                    trigger_on=trigger,
                    due_by=rules.nosia_repeat_due(last),
                    is_repeat=True,
                )
            )
    return found


def raise_statutory_notices(
    *, as_of: date, actor: Actor, agreement_ids: Sequence[int] | None = None
) -> NoticeOutcome:
    """The cycle's step: find the NOSIA and validation notices due on ``as_of`` and issue them."""
    return issue_notices(
        requests=find_notices_due(agreement_ids=agreement_ids, as_of=as_of), on=as_of, actor=actor
    )


# ----------------------------------------------------------------------------------------------------
# The engine's notices: collections.NoticeDue rows raised by the daily cycle

RULE_NOTICE_TYPES = {rule: notice_type.value for notice_type, rule in rules.NOTICE_RULES.items()}


def send_pending_notices(
    *,
    on: date,
    actor: Actor,
    client_ids: Sequence[int] | None = None,
    at: datetime | None = None,
    notice_ids: Sequence[int] | None = None,
) -> NoticeOutcome:
    """Render and send the notices the daily cycle raised (``collections.NoticeDue``, pending, triggered by
    ``on``) and mark them sent with the dates printed on them — in the same transaction as the letters, so
    a crash between the two can never send a notice twice. Idempotent: a sent row is not picked again.
    ``notice_ids`` sends only those rows (``collections.actions.mark_notice_sent``: one notice by hand)."""
    from fairpath.collections.models import NoticeDue

    pending = NoticeDue.objects.filter(status=NoticeDue.Status.PENDING, trigger_on__lte=on).order_by("id")
    if client_ids is not None:
        pending = pending.filter(client_id__in=list(client_ids))
    if notice_ids is not None:
        pending = pending.filter(id__in=list(notice_ids))
    with transaction.atomic():
        rows = pending.select_for_update().values_list(
            "agreement_id", "rule", "trigger_on", "send_by", "arrears_minor", "remedy_on"
        )
        requests = [
            NoticeRequest(
                agreement_id,
                RULE_NOTICE_TYPES[rule],
                trigger_on=trigger_on,
                due_by=send_by,
                remedy_amount_minor=arrears_minor if rule == "UK-DEFAULT" else None,
                remedy_by=remedy_on,
            )
            for agreement_id, rule, trigger_on, send_by, arrears_minor, remedy_on in rows
        ]
        # issue_notices marks each row it fulfils sent, with the dates printed (``_record_served``)
        outcome = issue_notices(requests=requests, on=on, actor=actor, at=at)
    return outcome


# ----------------------------------------------------------------------------------------------------
# One agreement at a time (the agent's or supervisor's action)


def _one(request: NoticeRequest, *, on: date, actor: Actor, at: datetime | None) -> StatutoryNotice:
    outcome = issue_notices(requests=[request], on=on, actor=actor, at=at)
    if outcome.issued:
        return outcome.issued[0]
    rule = outcome.refused.get(request.agreement_id, "REFUSED")
    raise Refusal(f"The {request.notice_type} could not be sent ({rule})", rule=rule)


def issue_default_notice(
    *,
    agreement: Agreement,
    on: date,
    actor: Actor,
    remedy_amount_minor: int | None = None,
    remedy_by: date | None = None,
    at: datetime | None = None,
) -> StatutoryNotice:
    """UK-DEFAULT: post a default notice on ``on``; the remedy date printed is at least 14 days after service."""
    request = NoticeRequest(
        agreement.pk,
        rules.NoticeType.DEFAULT.value,
        trigger_on=on,
        due_by=on,
        remedy_amount_minor=remedy_amount_minor,
        remedy_by=remedy_by,
    )
    return _one(request, on=on, actor=actor, at=at)


def issue_validation_notice(
    *, agreement: Agreement, on: date, actor: Actor, at: datetime | None = None
) -> StatutoryNotice:
    """US-VALIDATION: send the validation notice with the end of the validation period printed."""
    request = NoticeRequest(agreement.pk, rules.NoticeType.US_VALIDATION.value, trigger_on=on, due_by=on)
    return _one(request, on=on, actor=actor, at=at)


# ----------------------------------------------------------------------------------------------------
# What the engine asks


def nosia_late_periods(agreement_ids: Iterable[int]) -> dict[int, list[tuple[date, date | None]]]:
    """UK-NOSIA-LATE: each agreement's late periods (first day, last day or None while still late). The
    cycle posts no interest or default fees for days inside them."""
    found: dict[int, list[tuple[date, date | None]]] = {}
    ids = sorted(set(agreement_ids))
    for chunk in _chunks(ids):
        for agreement_id, starts_on, ends_on in (
            NosiaLatePeriod.objects.filter(agreement_id__in=chunk)
            .order_by("agreement_id", "starts_on")
            .values_list("agreement_id", "starts_on", "ends_on")
        ):
            found.setdefault(agreement_id, []).append((starts_on, ends_on))
    return found


def is_within_late_period(periods: Sequence[tuple[date, date | None]], day: date) -> bool:
    return any(start <= day and (end is None or day <= end) for start, end in periods)


def termination_blocked_until(agreement: Agreement) -> date | None:
    """UK-DEFAULT: the last day on which termination, a demand for early payment or enforcement is blocked
    (the latest default notice's remedy date); None when no default notice was served."""
    return (
        StatutoryNotice.objects.filter(agreement=agreement, notice_type=rules.NoticeType.DEFAULT)
        .aggregate(last=Max("remedy_by"))
        .get("last")
    )


def check_termination_allowed(*, agreement: Agreement, on: date) -> None:
    """Refuse termination or enforcement: no default notice served, or before its remedy date has passed
    (UK-DEFAULT); or while a required arrears notice is late (UK-NOSIA-LATE)."""
    blocked_until = termination_blocked_until(agreement)
    if blocked_until is None:
        raise Refusal("No default notice has been served on this agreement", rule="UK-DEFAULT")
    if on <= blocked_until:
        raise Refusal(
            f"The customer has until {blocked_until:%d %B %Y} to remedy the default", rule="UK-DEFAULT"
        )
    periods = nosia_late_periods([agreement.pk]).get(agreement.pk, [])
    if any(end is None for _, end in periods):
        raise Refusal(
            "A notice of sums in arrears is late: the agreement is unenforceable", rule="UK-NOSIA-LATE"
        )
