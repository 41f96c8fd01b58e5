"""Every change in the communications domain: templates and their versions, publishing, sending.

Sending asks the contact policy guard first (``fairpath.collections.policy``). A refused message raises a
``Refusal`` naming the rule and changes nothing; an allowed one is stored (exactly what was rendered, to
whom, when, on which channel, from which template version, under which decision) and handed to its channel
only after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from fairpath.accounts.models import Address, Agreement, ArrearsState, ContactPoint
from fairpath.clients.models import Client
from fairpath.communications import batches, channels, defaults, rendering, rules
from fairpath.communications.models import MessageTemplate, OutboundMessage, TemplateVersion
from fairpath.core.bulk import update_rows
from fairpath.core.errors import InvalidInput, NotPermitted, Refusal
from fairpath.core.money import format_money
from fairpath.governance.audit import Actor, PendingEvent, actor_label, record_event, record_events_bulk

CONTACT_PHONES = {"UK": "0300 123 4567", "US": "1-800-555-0100"}
OPT_OUT_TEXT = {
    "sms": "Reply STOP to stop texts.",
    "email": "To stop e-mails from us, reply UNSUBSCRIBE or call us.",
    "letter": "",
}
# Variables a caller may pass in ``context``; the rest come from the account.
CALLER_VARIABLES = frozenset(
    {
        "trigger_date",
        "remedy_date",
        "remedy_amount",
        "service_date",
        "validation_end_date",
        "itemization_date",
    }
)


# ----------------------------------------------------------------------------------------------------
# Templates


def check_version(*, template: MessageTemplate, subject: str, body: str) -> tuple[list[rules.Finding], bool]:
    """The publish check: sandbox syntax, UK-PRESSURE, US-MINIMIRANDA, US-OPTOUT, required notice wording."""
    findings = rendering.check_syntax(subject, where="subject") + rendering.check_syntax(body)
    findings += rules.check_wording(
        channel=template.channel,
        jurisdiction=template.jurisdiction,
        notice_type=template.notice_type,
        is_initial_communication=template.is_initial_communication,
        subject=subject,
        body=body,
    )
    return findings, rules.threatens_legal_action(subject, body)


def _check_vocabulary(channel: str, jurisdiction: str, notice_type: str) -> None:
    if channel not in {item.value for item in rules.Channel}:
        raise InvalidInput(f"Unknown channel {channel!r}: letter, email or sms", field="channel")
    if jurisdiction not in {item.value for item in rules.Jurisdiction}:
        raise InvalidInput(f"Unknown jurisdiction {jurisdiction!r}: UK or US", field="jurisdiction")
    if notice_type not in {item.value for item in rules.NoticeType}:
        raise InvalidInput(f"Unknown notice type {notice_type!r}", field="notice_type")


def create_template(
    *,
    client: Client,
    code: str,
    name: str,
    channel: str,
    jurisdiction: str,
    subject: str,
    body: str,
    actor: Actor,
    notice_type: str = rules.NoticeType.COLLECTIONS.value,
    is_initial_communication: bool = False,
) -> MessageTemplate:
    """A new template with its first (draft) version."""
    _check_vocabulary(channel, jurisdiction, notice_type)
    if not code.strip() or not name.strip():
        raise InvalidInput("A template needs a code and a name", field="code" if not code.strip() else "name")
    with transaction.atomic():
        if MessageTemplate.objects.filter(
            client=client, code=code, channel=channel, jurisdiction=jurisdiction
        ).exists():
            raise InvalidInput(f"Template {code} ({channel}, {jurisdiction}) already exists", field="code")
        template = MessageTemplate(
            client=client,
            code=code,
            name=name,
            channel=channel,
            jurisdiction=jurisdiction,
            notice_type=notice_type,
            is_initial_communication=is_initial_communication,
        )
        template.save()
        record_event(
            actor=actor,
            action="communications.template_created",
            obj=template,
            after={
                "code": code,
                "channel": channel,
                "jurisdiction": jurisdiction,
                "notice_type": notice_type,
            },
        )
        _add_version(template=template, subject=subject, body=body, actor=actor)
    return template


def _add_version(*, template: MessageTemplate, subject: str, body: str, actor: Actor) -> TemplateVersion:
    if not body.strip():
        raise InvalidInput("The wording cannot be empty", field="body")
    findings, threatens = check_version(template=template, subject=subject, body=body)
    last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = TemplateVersion(
        client_id=template.client_id,
        template=template,
        number=last + 1,
        subject=subject,
        body=body,
        findings=[finding.as_dict() for finding in findings],
        threatens_legal_action=threatens,
        created_by=actor_label(actor),
    )
    version.save()
    record_event(
        actor=actor,
        action="communications.version_saved",
        obj=version,
        after={"template": template.code, "number": version.number, "findings": len(findings)},
    )
    return version


def save_draft(*, template: MessageTemplate, subject: str, body: str, actor: Actor) -> TemplateVersion:
    """Edit a template: a new draft version (earlier versions are kept as they were)."""
    with transaction.atomic():
        return _add_version(template=template, subject=subject, body=body, actor=actor)


def publish_version(*, version: TemplateVersion, actor: Actor) -> TemplateVersion:
    """Publish a version after the publish check; refused (changing nothing) naming the first rule broken."""
    template = version.template
    findings, _ = check_version(template=template, subject=version.subject, body=version.body)
    if findings:
        first = findings[0]
        where = f" (line {first.line})" if first.line is not None else ""
        more = f" and {len(findings) - 1} more" if len(findings) > 1 else ""
        raise Refusal(f"{first.message}{where}{more}", rule=first.rule, field="body")
    if version.status != TemplateVersion.Status.DRAFT:
        raise Refusal(f"Version {version.number} is {version.status}, not a draft", rule="TEMPLATE-STATUS")
    with transaction.atomic():
        previous = list(
            TemplateVersion.objects.select_for_update().filter(template=template, status="published")
        )
        for old in previous:
            old.status = TemplateVersion.Status.RETIRED
            old.save(update_fields=["status"])
        version.status = TemplateVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = actor_label(actor)
        version.findings = []
        version.save(update_fields=["status", "published_at", "published_by", "findings"])
        record_event(
            actor=actor,
            action="communications.version_published",
            obj=version,
            before={"published": [old.number for old in previous]},
            after={"template": template.code, "number": version.number},
        )
    return version


def seed_default_templates(*, client: Client, actor: Actor) -> int:
    """Give a client the default templates (``defaults.DEFAULT_TEMPLATES``), published; idempotent.
    Returns how many were created."""
    created = 0
    existing = set(
        MessageTemplate.objects.filter(client=client).values_list("code", "channel", "jurisdiction")
    )
    for item in defaults.DEFAULT_TEMPLATES:
        if (item.code, item.channel, item.jurisdiction) in existing:
            continue
        with transaction.atomic():
            template = create_template(
                client=client,
                code=item.code,
                name=item.name,
                channel=item.channel,
                jurisdiction=item.jurisdiction,
                notice_type=item.notice_type,
                is_initial_communication=item.is_initial_communication,
                subject=item.subject,
                body=item.body,
                actor=actor,
            )
            publish_version(version=template.versions.get(), actor=actor)
        created += 1
    return created


def seed_default_templates_for_all_clients(*, actor: Actor) -> int:
    """The demo's seeding step: every client gets the default templates."""
    return sum(seed_default_templates(client=client, actor=actor) for client in Client.objects.all())


# ----------------------------------------------------------------------------------------------------
# Context: what the variables mean for one agreement (built in bulk)


@lru_cache(maxsize=4096)
def _date_text(day: date, jurisdiction: str) -> str:
    return f"{day:%B} {day.day}, {day.year}" if jurisdiction == "US" else f"{day.day} {day:%B %Y}"


@dataclass
class Recipient:
    """One agreement's facts for rendering and addressing messages."""

    agreement_id: int
    client_id: int
    customer_id: int
    currency: str
    arrears_minor: int
    jurisdiction: str
    country: str
    region: str
    address_lines: list[str]
    emails: list[str]
    mobiles: list[str]
    context: dict[str, Any] = field(default_factory=dict)

    def address_for(self, channel: str) -> str | None:
        if channel == rules.Channel.LETTER:
            return "\n".join(self.address_lines) if self.address_lines else None
        if channel == rules.Channel.EMAIL:
            return self.emails[0] if self.emails else None
        return self.mobiles[0] if self.mobiles else None


def _display_name(title: str, first_name: str, last_name: str) -> str:
    """``Customer.display_name`` from the three columns (the bulk read builds no Customer objects)."""
    return " ".join(part for part in (title, first_name, last_name) if part)


_RECIPIENT_COLUMNS = (
    "id", "client_id", "customer_id", "reference", "product", "currency", "balance_minor", "instalment_minor",
    "customer__title", "customer__first_name", "customer__last_name",
)  # fmt: skip


def recipients_for(agreement_ids: Iterable[int], *, at: datetime) -> dict[int, Recipient]:
    """Facts for many agreements: the agreement with its customer's name, the customer's current address
    (a correspondence address before a home one), usable e-mail addresses and mobiles (consented, not opted
    out, primary first) and the arrears. Read per chunk of ids with index look-ups (``batches.among``), five
    queries a chunk, building no model objects; an id with no agreement is left out."""
    products = {value: str(label) for value, label in Agreement._meta.get_field("product").flatchoices}
    clients: dict[int, tuple[str, str, str]] = {}
    today = at.date()
    found: dict[int, Recipient] = {}
    for chunk in batches.chunks(agreement_ids):
        rows = list(
            Agreement.objects.filter(batches.among("id", chunk)).order_by().values_list(*_RECIPIENT_COLUMNS)
        )
        if not rows:
            continue
        unknown_clients = {row[1] for row in rows} - clients.keys()
        for client_id, name, legal_name, regulator_reference in Client.objects.filter(
            id__in=unknown_clients
        ).values_list("id", "name", "legal_name", "regulator_reference"):
            clients[client_id] = (name, legal_name or name, regulator_reference)
        customer_ids = sorted({row[2] for row in rows})
        addresses: dict[int, tuple[str, list[str], str, str]] = {}
        for customer_id, kind, *lines, country, region in (
            Address.objects.filter(batches.among("customer_id", customer_ids), is_current=True)
            .order_by("id")
            .values_list("customer_id", "kind", "line1", "line2", "town", "postcode", "country", "region")
        ):
            held = addresses.get(customer_id)
            if held is None or (kind == "correspondence" and held[0] != "correspondence"):
                addresses[customer_id] = (kind, [line for line in lines if line], country, region)
        emails: dict[int, list[str]] = {}
        mobiles: dict[int, list[str]] = {}
        for customer_id, channel, kind, value, has_email_consent, has_text_consent in (
            ContactPoint.objects.filter(batches.among("customer_id", customer_ids), is_opted_out=False)
            .order_by("-is_primary", "id")
            .values_list("customer_id", "channel", "kind", "value", "has_email_consent", "has_text_consent")
        ):
            if channel == "email" and has_email_consent:
                emails.setdefault(customer_id, []).append(value)
            elif channel == "phone" and kind == "mobile" and has_text_consent:
                mobiles.setdefault(customer_id, []).append(value)
        arrears = {
            row[0]: row[1:]
            for row in ArrearsState.objects.filter(batches.among("agreement_id", chunk)).values_list(
                "agreement_id", "arrears_minor", "missed_payments"
            )
        }
        for (
            agreement_id, client_id, customer_id, reference, product, currency, balance_minor,
            instalment_minor, title, first_name, last_name,
        ) in rows:  # fmt: skip
            client_name, client_legal_name, regulator_reference = clients[client_id]
            address = addresses.get(customer_id)
            country, region = (address[2], address[3]) if address else ("GB", "ENG")
            jurisdiction = rules.jurisdiction_of_country(country).value
            lines = address[1] if address else []
            arrears_minor, missed_payments = arrears.get(agreement_id, (0, 0))
            context = {
                "customer_name": _display_name(title, first_name, last_name),
                "customer_first_name": first_name,
                "address_lines": lines,
                "agreement_reference": reference,
                "product": products.get(product, product),
                "client_name": client_name,
                "client_legal_name": client_legal_name,
                "regulator_reference": regulator_reference,
                "balance": format_money(balance_minor, currency),
                "arrears": format_money(arrears_minor, currency),
                "instalment": format_money(instalment_minor, currency),
                "missed_payments": missed_payments,
                "today": _date_text(today, jurisdiction),
                "contact_phone": CONTACT_PHONES[jurisdiction],
            }
            found[agreement_id] = Recipient(
                agreement_id=agreement_id,
                client_id=client_id,
                customer_id=customer_id,
                currency=currency,
                arrears_minor=arrears_minor,
                jurisdiction=jurisdiction,
                country=country,
                region=region,
                address_lines=lines,
                emails=emails.get(customer_id, []),
                mobiles=mobiles.get(customer_id, []),
                context=context,
            )
    return found


def format_caller_context(context: dict[str, Any], jurisdiction: str) -> dict[str, Any]:
    """Caller-supplied variables, dates formatted for the jurisdiction; unknown names are refused."""
    unknown = set(context) - CALLER_VARIABLES
    if unknown:
        raise InvalidInput(f"Unknown template variables: {', '.join(sorted(unknown))}", field="context")
    return {
        name: _date_text(value, jurisdiction) if isinstance(value, date) else value
        for name, value in context.items()
    }


# ----------------------------------------------------------------------------------------------------
# Sending


def published_version(template: MessageTemplate) -> TemplateVersion:
    version = template.versions.filter(status=TemplateVersion.Status.PUBLISHED).first()
    if version is None:
        raise Refusal(f"Template {template.code} has no published version", rule="TEMPLATE-STATUS")
    return version


def _purpose_of(template: MessageTemplate) -> str:
    return "collections" if template.notice_type == rules.NoticeType.COLLECTIONS else "statutory"


def _guard() -> Any:
    from fairpath.collections import policy

    return policy


_VERSION_FIELD = OutboundMessage._meta.get_field("template_version")


def _prepare(
    *,
    recipient: Recipient,
    template: MessageTemplate,
    version: TemplateVersion,
    caller_context: dict[str, Any],
    at: datetime,
    actor: Actor,
    party: str,
    decision_rule: str,
    decision_message: str,
    require_address: bool = True,
    renderer: rendering.Renderer | None = None,
    today: str | None = None,
) -> OutboundMessage:
    """Render and address one message (not stored). A suppressed message may have no address. ``today``
    replaces the date printed (the day the message reaches the customer); a batch passes one ``renderer``
    so that a wording is rendered once for each distinct set of values it names."""
    if template.client_id != recipient.client_id:
        raise NotPermitted("The template belongs to another client", rule="ACCESS-CLIENT")
    if template.jurisdiction != recipient.jurisdiction:
        raise Refusal(
            f"The template is for {template.jurisdiction} customers; this customer is {recipient.jurisdiction}",
            rule="TEMPLATE-JURISDICTION",
        )
    address = recipient.address_for(template.channel)
    if address is None and not require_address:
        address = ""
    if address is None:
        raise Refusal(f"No usable {template.channel} address for this customer", rule="CONTACT-NO-ADDRESS")
    context = {
        **recipient.context,
        "opt_out_text": OPT_OUT_TEXT[template.channel],
        **format_caller_context(caller_context, recipient.jurisdiction),
    }
    if today is not None:
        context["today"] = today
    render = renderer.render if renderer is not None else rendering.render_text
    message = batches.build(
        OutboundMessage,
        {
            "client_id": recipient.client_id,
            "agreement_id": recipient.agreement_id,
            "customer_id": recipient.customer_id,
            "template_version_id": version.pk,
            "channel": template.channel,
            "notice_type": template.notice_type,
            "party": party,
            "purpose": _purpose_of(template),
            "recipient_name": recipient.context["customer_name"],
            "recipient": address,
            "subject": render(version.subject, context).strip(),
            "body": render(version.body, context).strip(),
            "status": OutboundMessage.Status.QUEUED.value,
            "decided_at": at,
            "decision_rule": decision_rule,
            "decision_message": decision_message[:500],
            "actor_label": actor_label(actor),
        },
    )
    _VERSION_FIELD.set_cached_value(message, version)
    return message


def _allowed_rule(decision: Any) -> str:
    return decision.rule or "CONTACT-POLICY"


def send_message(
    *,
    agreement: Agreement,
    channel: str,
    template: MessageTemplate,
    context: dict[str, Any] | None,
    actor: Actor,
    at: datetime,
    party: str = "customer",
) -> OutboundMessage:
    """Send one message: the guard decides; a refusal names the rule and changes nothing and sends nothing."""
    if channel != template.channel:
        raise InvalidInput(f"Template {template.code} is a {template.channel} template", field="channel")
    version = published_version(template)
    decision = _guard().check_contact(
        agreement=agreement, channel=channel, at=at, party=party, purpose=_purpose_of(template)
    )
    if not decision.allowed:
        raise Refusal(decision.message, rule=decision.rule)
    recipient = recipients_for([agreement.pk], at=at)[agreement.pk]
    message = _prepare(
        recipient=recipient,
        template=template,
        version=version,
        caller_context=context or {},
        at=at,
        actor=actor,
        party=party,
        decision_rule=_allowed_rule(decision),
        decision_message=decision.message,
    )
    with transaction.atomic():
        _store([message], actor=actor)
    return message


def _store(messages: list[OutboundMessage], *, actor: Actor) -> list[OutboundMessage]:
    """Insert messages and their audit rows in the caller's transaction; deliver the queued ones on commit.
    Many messages go in one ``insert_rows`` (COPY on PostgreSQL) and one audit append per status."""
    if len(messages) == 1:
        message = messages[0]
        message.save()
        record_event(
            actor=actor,
            action=f"communications.message_{'suppressed' if message.status == 'suppressed' else 'queued'}",
            obj=message,
            after=_audit_summary(message),
        )
    else:
        batches.insert_instances(OutboundMessage, messages)
        for status in ("queued", "suppressed"):
            events = [
                PendingEvent(
                    object_type="communications.outboundmessage",
                    object_id=str(message.pk),
                    client_id=message.client_id,
                    after=_audit_summary(message),
                )
                for message in messages
                if message.status == status
            ]
            if events:
                record_events_bulk(actor=actor, action=f"communications.message_{status}", events=events)
    now = timezone.now()
    queued = [
        message.pk
        for message in messages
        if message.status == OutboundMessage.Status.QUEUED
        and (message.scheduled_for is None or message.scheduled_for <= now)
    ]
    if queued:
        transaction.on_commit(lambda: channels.deliver(queued))
    return messages


def _audit_summary(message: OutboundMessage) -> dict[str, Any]:
    return {
        "agreement_id": message.agreement_id,
        "channel": message.channel,
        "template_version_id": message.template_version_id,
        "rule": message.decision_rule,
    }


@dataclass(frozen=True)
class BulkMessage:
    """One message of a batch: which agreement, which template, extra variables."""

    agreement_id: int
    template: MessageTemplate
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class BulkResult:
    """Counts by rule, and for each item in order: (status, rule, message) with status queued, suppressed
    (stored with the rule) or skipped (not stored: no address, wrong jurisdiction, unknown agreement)."""

    queued: list[OutboundMessage]
    suppressed: dict[str, int]
    skipped: dict[str, int]
    outcomes: list[tuple[str, str, OutboundMessage | None]] = field(default_factory=list)

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())


def send_messages_bulk(
    *,
    items: Iterable[BulkMessage],
    actor: Actor,
    at: datetime | None = None,
    party: str = "customer",
    send_on: date | None = None,
    not_before: datetime | None = None,
    recipients: dict[int, Recipient] | None = None,
) -> BulkResult:
    """The cycle's sender: the guard's facts gathered once for every agreement of the batch and one guard
    call per channel and purpose, recipients read in chunks, each wording rendered once per distinct set of
    values (``rendering.Renderer``), one insert and one audit append for the lot; suppressed messages are
    stored with the rule that suppressed them (counted and visible in the outbox); letters render to PDF
    after commit. ``recipients`` (from ``recipients_for``, read at ``at`` or midday of ``send_on``) may be
    given by a caller that has them already.

    Without ``send_on`` every message is decided at ``at`` (``check_contacts_bulk``). With ``send_on`` each
    is planned for the moment it will actually go (US-HOURS, UK-CONTACT; ``policy.plan_contacts_bulk``):
    10:00 on that day in the customer's own time zone (from ``at`` when given), not before ``not_before``,
    moved to the next moment the quiet hours and the customer's own times allow; the guard decides for
    that moment and a message whose moment is still to come waits for it (``release_due_messages``)."""
    if send_on is None and at is None:
        raise InvalidInput("A send needs the moment it is decided for", field="at")
    batch = list(items)
    versions: dict[int, TemplateVersion] = {}
    for item in batch:
        if item.template.pk not in versions:
            versions[item.template.pk] = published_version(item.template)
    if recipients is None:
        recipients = recipients_for({item.agreement_id for item in batch}, at=at or _midday(send_on))
    groups: dict[tuple[str, str], set[int]] = {}
    for item in batch:
        if item.agreement_id in recipients:
            groups.setdefault((item.template.channel, _purpose_of(item.template)), set()).add(
                item.agreement_id
            )
    policy = _guard()
    # one gathering of the guard's facts for the whole batch: an agreement with steps on several channels
    # is read once, and every group is decided from the same facts
    known = sorted(set().union(*groups.values())) if groups else []
    if send_on is None:
        facts = policy.gather_facts(known, at=at, party=party)
    else:
        horizon = policy.planning_horizon(on=send_on, at=at, not_before=not_before)
        facts = policy.gather_facts(known, at=horizon, party=party)
    decisions: dict[tuple[str, str], dict[int, Any]] = {}
    plans: dict[tuple[str, str], dict[int, Any]] = {}
    for (channel, purpose), ids in groups.items():
        wanted = sorted(ids)
        if send_on is None:
            decisions[(channel, purpose)] = policy.check_contacts_bulk(
                agreement_ids=wanted, channel=channel, at=at, party=party, purpose=purpose, facts=facts
            )
            continue
        planned = policy.plan_contacts_bulk(
            agreement_ids=wanted,
            channel=channel,
            on=send_on,
            at=at,
            not_before=not_before,
            party=party,
            purpose=purpose,
            facts=facts,
        )
        decisions[(channel, purpose)] = {key: plan.decision for key, plan in planned.items()}
        plans[(channel, purpose)] = planned
    messages: list[OutboundMessage] = []
    suppressed: dict[str, int] = {}
    skipped: dict[str, int] = {}
    outcomes: list[tuple[str, str, OutboundMessage | None]] = []
    renderer = rendering.Renderer()
    dates: dict[tuple[datetime, str, str], str] = {}
    for item in batch:
        template = item.template
        group = (template.channel, _purpose_of(template))
        recipient = recipients.get(item.agreement_id)
        decision = decisions.get(group, {}).get(item.agreement_id)
        if recipient is None or decision is None:
            skipped["NOT-FOUND"] = skipped.get("NOT-FOUND", 0) + 1
            outcomes.append(("skipped", "NOT-FOUND", None))
            continue
        moment, scheduled_for, today = at, None, None
        if send_on is not None:
            plan = plans[group][item.agreement_id]
            moment = scheduled_for = plan.at
            # the date printed is the day the message reaches the customer, in their own time zone
            key = (plan.at, plan.time_zone, recipient.jurisdiction)
            today = dates.get(key)
            if today is None:
                local_day = plan.at.astimezone(ZoneInfo(plan.time_zone)).date()
                today = dates[key] = _date_text(local_day, recipient.jurisdiction)
        try:
            message = _prepare(
                recipient=recipient,
                template=template,
                version=versions[template.pk],
                caller_context=item.context,
                at=moment,  # type: ignore[arg-type]
                actor=actor,
                party=party,
                decision_rule=_allowed_rule(decision) if decision.allowed else (decision.rule or ""),
                decision_message=decision.message,
                require_address=decision.allowed,
                renderer=renderer,
                today=today,
            )
        except Refusal as refusal:
            skipped[refusal.rule or "REFUSED"] = skipped.get(refusal.rule or "REFUSED", 0) + 1
            outcomes.append(("skipped", refusal.rule or "REFUSED", None))
            continue
        if not decision.allowed:
            message.status = OutboundMessage.Status.SUPPRESSED.value
            suppressed[decision.rule or ""] = suppressed.get(decision.rule or "", 0) + 1
        elif scheduled_for is not None and scheduled_for > timezone.now():
            message.scheduled_for = scheduled_for  # held back until its moment
        messages.append(message)
        outcomes.append((message.status, message.decision_rule, message))
    with transaction.atomic():
        if messages:
            _store(messages, actor=actor)
    return BulkResult(
        queued=[message for message in messages if message.status == OutboundMessage.Status.QUEUED],
        suppressed=suppressed,
        skipped=skipped,
        outcomes=outcomes,
    )


@dataclass
class ReleaseResult:
    """What ``release_due_messages`` did: messages handed to their channels, moved to a later moment, or
    suppressed (counted by rule)."""

    released: list[OutboundMessage] = field(default_factory=list)
    rescheduled: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)


def release_due_messages(
    *, actor: Actor, now: datetime | None = None, client_ids: Sequence[int] | None = None
) -> ReleaseResult:
    """Hand over the messages held back for the customer's permitted local time (US-HOURS, UK-CONTACT) once
    that moment has come, asking the guard again for the moment they actually go: allowed, a message is
    delivered after commit; if the time of day no longer allows it (the release ran late) it waits for the
    customer's next permitted moment; refused for any other reason (a hold that started since, consent
    withdrawn) it is suppressed naming the rule. Set-based (one fact gathering per channel group) and
    idempotent: a released, moved or suppressed message is not picked again before its time."""
    from fairpath.collections import rules as contact_rules

    now = now or timezone.now()
    due = OutboundMessage.objects.filter(
        status=OutboundMessage.Status.QUEUED, scheduled_for__isnull=False, scheduled_for__lte=now
    )
    if client_ids is not None:
        due = due.filter(client_id__in=list(client_ids))
    outcome = ReleaseResult()
    with transaction.atomic():
        messages = list(due.select_for_update().order_by("id"))
        if not messages:
            return outcome
        groups: dict[tuple[str, str, str], list[OutboundMessage]] = {}
        for message in messages:
            groups.setdefault((message.channel, message.purpose, message.party), []).append(message)
        policy = _guard()
        # the guard's facts once per party for every agreement with a message due, whatever its channel
        by_party: dict[str, set[int]] = {}
        for message in messages:
            by_party.setdefault(message.party, set()).add(message.agreement_id)
        facts_of = {
            party: policy.gather_facts(sorted(ids), at=now, party=party) for party, ids in by_party.items()
        }
        changes: list[tuple[Any, ...]] = []
        events: dict[str, list[PendingEvent]] = {"released": [], "rescheduled": [], "suppressed": []}
        for (channel, purpose, party), members in groups.items():
            facts = facts_of[party]
            for message in members:
                known = facts.get(message.agreement_id)
                moment = now
                if known is None:
                    decision = contact_rules.refused("NOT-FOUND", "The agreement is gone")
                else:
                    moment = contact_rules.next_permitted_moment(known, channel, now, party=party) or now
                    decision = contact_rules.decide(
                        known, channel=channel, at=moment, party=party, purpose=purpose
                    )
                if not decision.allowed:
                    message.status = OutboundMessage.Status.SUPPRESSED
                    message.decision_rule = decision.rule or ""
                    message.decision_message = decision.message[:500]
                    outcome.suppressed[message.decision_rule] = (
                        outcome.suppressed.get(message.decision_rule, 0) + 1
                    )
                    kind = "suppressed"
                elif moment > now:
                    outcome.rescheduled += 1
                    kind = "rescheduled"
                else:
                    outcome.released.append(message)
                    kind = "released"
                message.decided_at = moment
                if kind == "rescheduled":
                    message.scheduled_for = moment
                changes.append(
                    (message.pk, str(message.status), message.decided_at, message.scheduled_for,
                     message.decision_rule, message.decision_message)
                )  # fmt: skip
                events[kind].append(
                    PendingEvent(
                        object_type="communications.outboundmessage",
                        object_id=str(message.pk),
                        client_id=message.client_id,
                        after={**_audit_summary(message), "at": moment.isoformat()},
                    )
                )
        update_rows(
            OutboundMessage,
            ["status", "decided_at", "scheduled_for", "decision_rule", "decision_message"],
            changes,
        )
        for kind, pending in events.items():
            if pending:
                record_events_bulk(actor=actor, action=f"communications.message_{kind}", events=pending)
        released = [message.pk for message in outcome.released]
        if released:
            transaction.on_commit(lambda: channels.deliver(released))
    return outcome


def _midday(day: date | None) -> datetime:
    return datetime.combine(day or date.today(), time(12), tzinfo=timezone.get_current_timezone())


# A run for a day longer ago than this is a catch-up of history (the demo, a restored backlog): its messages
# are dated at their planned moments. A run for a recent day cannot send before it runs.
LIVE_RUN_DAYS = 1


def send_scheduled_actions(
    *,
    run_date: date,
    actor: Actor,
    at: datetime | None = None,
    client_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> BulkResult:
    """The bridge from the daily cycle: send the SMS, e-mail and letter steps it scheduled
    (``collections.ScheduledAction``, status scheduled, run date up to ``run_date``) with the client's
    template of that code (by the customer's jurisdiction; ``reminder`` when the step names none), asking
    the guard again at send time. Each step is marked done, or suppressed with the rule, in the same
    transaction as the messages, so a step is never sent twice.

    US-HOURS / UK-CONTACT: each message is planned for the moment it will actually go - 10:00 on the run
    date in the customer's own time zone (or ``at`` when given), moved to the next moment the quiet hours
    and the customer's own times allow, and for a live run (the run date no more than ``LIVE_RUN_DAYS``
    before ``now``) never before ``now`` - and the guard decides for that moment. A moment still to come
    holds the message back until ``release_due_messages`` hands it over.

    Every step not sent is counted under the rule that stopped it in the result's ``suppressed``: the
    guard's refusals, a step with no published template (TEMPLATE-STATUS) and one that could not be
    addressed or rendered (CONTACT-NO-ADDRESS, TEMPLATE-JURISDICTION, NOT-FOUND) alike."""
    from fairpath.collections.models import ScheduledAction

    now = now or timezone.now()
    is_live = run_date >= now.date() - timedelta(days=LIVE_RUN_DAYS)
    not_before = now if at is None and is_live else None
    steps = ScheduledAction.objects.filter(
        status=ScheduledAction.Status.SCHEDULED, action__in=["sms", "email", "letter"], run_date__lte=run_date
    ).order_by("id")
    if client_ids is not None:
        steps = steps.filter(client_id__in=list(client_ids))
    with transaction.atomic():
        rows = [
            _Step(*row)
            for row in steps.select_for_update().values_list(
                "id", "client_id", "agreement_id", "action", "template"
            )
        ]
        # the customer's jurisdiction picks the template; it comes from the address the message will be
        # sent to, read once here and handed to the sender
        recipients = recipients_for({row.agreement_id for row in rows}, at=at or _midday(run_date))
        templates = {
            (template.client_id, template.code, template.channel, template.jurisdiction): template
            for template in MessageTemplate.objects.filter(
                client_id__in={row.client_id for row in rows}, versions__status="published"
            )
        }
        items: list[BulkMessage] = []
        sendable: list[_Step] = []
        for row in rows:
            recipient = recipients.get(row.agreement_id)
            jurisdiction = recipient.jurisdiction if recipient else rules.jurisdiction_of_country("GB").value
            template = templates.get((row.client_id, row.template or "reminder", row.action, jurisdiction))
            if template is None:
                row.status, row.rule = ScheduledAction.Status.SUPPRESSED.value, "TEMPLATE-STATUS"
                row.message = (
                    f"No published {row.action} template {row.template or 'reminder'} ({jurisdiction})"
                )
                continue
            items.append(BulkMessage(agreement_id=row.agreement_id, template=template))
            sendable.append(row)
        result = send_messages_bulk(
            items=items,
            actor=actor,
            at=at,
            send_on=run_date,
            not_before=not_before,
            recipients=recipients,
        )
        for row, (status, rule, message) in zip(sendable, result.outcomes, strict=True):
            if status == OutboundMessage.Status.QUEUED:
                row.status, row.rule, row.message = (
                    ScheduledAction.Status.DONE.value,
                    "",
                    f"message {message.pk if message else ''}",
                )
            else:
                row.status, row.rule = ScheduledAction.Status.SUPPRESSED.value, rule
                row.message = (message.decision_message if message else f"Not sent ({rule})")[:300]
        update_rows(
            ScheduledAction,
            ["status", "rule", "message"],
            [(row.pk, row.status, row.rule, row.message) for row in rows],
        )
    refusals: dict[str, int] = {}
    for row in rows:
        if row.status == ScheduledAction.Status.SUPPRESSED:
            refusals[row.rule] = refusals.get(row.rule, 0) + 1
    result.suppressed = refusals
    return result


@dataclass
class _Step:
    """A scheduled step being sent: what ``send_scheduled_actions`` reads and writes back."""

    pk: int
    client_id: int
    agreement_id: int
    action: str
    template: str
    status: str = "scheduled"
    rule: str = ""
    message: str = ""
