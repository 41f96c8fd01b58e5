"""Delivery: after commit, each stored message goes to its channel.

* E-mail: Django's e-mail backends. ``settings.EMAIL_BACKEND`` when it is configured (SMTP in production
  with ``EMAIL_HOST`` set, or ``EMAIL_HOST_CONFIGURED = True`` for a relay on localhost; locmem in tests);
  otherwise the file backend writes each e-mail under ``MEDIA_ROOT/outbox/email`` — never an SMTP attempt
  to localhost by accident.
* SMS: a small provider interface (``SmsProvider``); the default ``OutboxSmsProvider`` appends JSON lines
  to ``MEDIA_ROOT/outbox/sms.jsonl`` and keeps them in memory for tests.
* Letters: the stored wording in the letter layout, rendered to PDF with WeasyPrint and kept as the
  message's document (``MEDIA_ROOT/letters/...``).

Delivery is not part of the sending transaction: a failure marks the message ``failed`` with the reason.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from fairpath.communications import batches, rendering
from fairpath.communications.models import OutboundMessage
from fairpath.core.bulk import update_rows

log = logging.getLogger(__name__)

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


class SmsProvider(Protocol):
    """Sends one text and returns the provider's reference for it."""

    def send(self, *, to: str, body: str, reference: str) -> str: ...


class OutboxSmsProvider:
    """The default provider: nothing leaves the machine; texts are appended to a JSON-lines outbox file."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send(self, *, to: str, body: str, reference: str) -> str:
        record = {"to": to, "body": body, "reference": reference}
        self.sent.append(record)
        folder = Path(settings.MEDIA_ROOT) / "outbox"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "sms.jsonl", "a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(record) + "\n")
        return f"outbox:{reference}"


_sms_provider: SmsProvider = OutboxSmsProvider()


def sms_provider() -> SmsProvider:
    return _sms_provider


def use_sms_provider(provider: SmsProvider) -> SmsProvider:
    """Install another provider (a real gateway in production, a fake in tests); returns the previous one."""
    global _sms_provider
    previous, _sms_provider = _sms_provider, provider
    return previous


def email_connection():  # noqa: ANN201 - a Django e-mail backend
    """The configured backend; Django's SMTP default with no mail host set writes files instead."""
    backend = settings.EMAIL_BACKEND
    smtp_configured = settings.EMAIL_HOST != "localhost" or getattr(settings, "EMAIL_HOST_CONFIGURED", False)
    if backend == SMTP_BACKEND and not smtp_configured:
        folder = Path(settings.MEDIA_ROOT) / "outbox" / "email"
        folder.mkdir(parents=True, exist_ok=True)
        return get_connection(FILE_BACKEND, file_path=str(folder))
    return get_connection(backend)


def letter_workers() -> int:
    """Processes rendering letters (``FAIRPATH_LETTER_WORKERS`` setting or environment variable; 1 = in-process)."""
    configured = getattr(settings, "FAIRPATH_LETTER_WORKERS", None) or os.environ.get(
        "FAIRPATH_LETTER_WORKERS", "1"
    )
    return max(int(configured), 1)


def letters_rendered_on_demand() -> bool:
    """``FAIRPATH_LETTER_PDF=on-demand``: letters go to the print queue as stored text and their PDF is made
    the first time it is opened (or fetched by the print run). The default, ``at-send``, renders at once.
    Rendering costs about 0.2 s of CPU a letter, so a nightly cycle over a large book uses on-demand."""
    mode = getattr(settings, "FAIRPATH_LETTER_PDF", None) or os.environ.get("FAIRPATH_LETTER_PDF", "at-send")
    return mode == "on-demand"


def store_letter_document(message: OutboundMessage) -> str:
    """Render one stored letter to PDF, keep it with the message and return its storage name."""
    name = f"letters/{message.client_id}/{message.decided_at:%Y/%m}/letter-{message.pk}.pdf"
    stored = default_storage.save(name, ContentFile(letter_document(message)))
    OutboundMessage.objects.filter(pk=message.pk).update(document=stored)
    return stored


def letter_html(message: OutboundMessage) -> str:
    """The printable letter exactly as stored: recipient, date, heading and wording."""
    client = message.client
    return rendering.letter_html(
        subject=message.subject,
        body=message.body,
        context={
            "client_name": client.name,
            "client_legal_name": client.legal_name or client.name,
            "regulator_reference": client.regulator_reference,
            "customer_name": message.recipient_name,
            "address_lines": message.recipient.split("\n"),
            "today": timezone.localtime(message.decided_at).strftime("%d %B %Y").lstrip("0"),
            "agreement_reference": message.agreement.reference,
        },
    )


def letter_document(message: OutboundMessage) -> bytes:
    """The PDF of one stored letter."""
    return rendering.letter_pdf(letter_html(message))


def deliver(message_ids: Sequence[int]) -> None:
    """Hand queued messages to their channels; record sent (with the document or provider reference) or
    failed (with the reason), in one update per chunk. Messages are read per chunk of ids, only the columns
    a channel needs; a letter rendered at send reads its client and agreement as well, a letter for the
    print queue (rendered on demand) is marked sent by one statement without being read."""
    for chunk in batches.chunks(message_ids):
        _deliver_chunk(chunk)


def _deliver_chunk(message_ids: list[int]) -> None:
    queued = OutboundMessage.objects.filter(
        batches.among("id", message_ids), status=OutboundMessage.Status.QUEUED
    )
    on_demand = letters_rendered_on_demand()
    if on_demand:
        # letters for the print queue need nothing read: one statement marks them sent with their reference
        queued.filter(channel="letter").update(
            status=OutboundMessage.Status.SENT.value,
            sent_at=timezone.now(),
            provider_reference=Concat(Value("print-queue:"), Cast("id", output_field=CharField())),
        )
        queued = queued.exclude(channel="letter")
    rows = list(
        queued.order_by("id").values_list(
            "id", "channel", "recipient", "subject", "body", "document", "provider_reference"
        )
    )
    sent_documents: dict[int, str] = {}
    references: dict[int, str] = {}
    failures: dict[int, str] = {}
    emails = [row for row in rows if row[1] == "email"]
    if emails:
        connection = email_connection()
        for pk, _channel, recipient, subject, body, *_ in emails:
            try:
                EmailMessage(subject=subject, body=body, to=[recipient], connection=connection).send()
                references[pk] = f"email:{pk}"
            except Exception as error:  # noqa: BLE001 - any backend failure is recorded on the message
                failures[pk] = str(error)[:500]
    for pk, channel, recipient, _subject, body, *_ in rows:
        if channel != "sms":
            continue
        try:
            references[pk] = _sms_provider.send(to=recipient, body=body, reference=str(pk))
        except Exception as error:  # noqa: BLE001
            log.exception("delivery of message %s failed", pk)
            failures[pk] = str(error)[:500]
    letter_ids = [] if on_demand else [row[0] for row in rows if row[1] == "letter"]
    letters = (
        list(
            OutboundMessage.objects.select_related("client", "agreement")
            .filter(batches.among("id", letter_ids))
            .order_by("id")
        )
        if letter_ids
        else []
    )
    documents = rendering.letters_pdf([letter_html(message) for message in letters], workers=letter_workers())
    for message, document in zip(letters, documents, strict=True):
        if isinstance(document, str):
            log.error("letter %s failed: %s", message.pk, document)
            failures[message.pk] = document[:500]
            continue
        name = f"letters/{message.client_id}/{message.decided_at:%Y/%m}/letter-{message.pk}.pdf"
        sent_documents[message.pk] = default_storage.save(name, ContentFile(document))
    now = timezone.now()
    update_rows(
        OutboundMessage,
        ["status", "sent_at", "document", "provider_reference"],
        [
            (
                pk,
                OutboundMessage.Status.SENT.value,
                now,
                sent_documents.get(pk, document or ""),
                references.get(pk, provider_reference),
            )
            for pk, _channel, _recipient, _subject, _body, document, provider_reference in rows
            if pk in references or pk in sent_documents
        ],
    )
    update_rows(
        OutboundMessage,
        ["status", "failure"],
        [(pk, OutboundMessage.Status.FAILED.value, reason) for pk, reason in failures.items()],
    )
