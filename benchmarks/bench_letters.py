"""Letters: render and send N collection letters through the guard in bulk, PDFs with WeasyPrint; then the
statutory-notice step (find + issue) over the same book.

JSON lines: letters_html (sandboxed wording and letter layout only), letters_store (guard in bulk, render, one insert, one audit append), letters_pdf (WeasyPrint,
after commit), letters_end_to_end, notices_find, notices_issue. Default 1,000 accounts (1k letters).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from harness import emit, start, timed


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=1_000)
    from django.db import transaction

    from fairpath.accounts.actions import recompute_arrears
    from fairpath.accounts.models import Address, Agreement
    from fairpath.communications import actions, notices
    from fairpath.communications.models import MessageTemplate, OutboundMessage
    from fairpath.demo.generator import generate_portfolio
    from fairpath.governance.audit import SystemActor

    n = arguments.accounts
    as_of = date(2026, 11, 30)
    actor = SystemActor("bench")
    code = f"bench-letters-{int(time.time())}"
    summary = generate_portfolio(accounts=n, seed=7, as_of=as_of, months=18, client_code=code)
    client_id = Agreement.objects.filter(reference__isnull=False, client__code=code).values_list(
        "client_id", flat=True
    )[0]
    from fairpath.clients.models import Client

    client = Client.objects.get(pk=client_id)
    actions.seed_default_templates(client=client, actor=actor)
    recompute_arrears(client_ids=[client.pk], as_of=as_of, actor=actor)
    letters = {
        template.jurisdiction: template
        for template in MessageTemplate.objects.filter(client=client, code="reminder", channel="letter")
    }
    countries = dict(
        Address.objects.filter(client=client, is_current=True).values_list("customer_id", "country")
    )
    items = [
        actions.BulkMessage(
            agreement_id=agreement_id, template=letters["US" if countries.get(customer_id) == "US" else "UK"]
        )
        for agreement_id, customer_id in Agreement.objects.filter(client=client)
        .order_by("id")
        .values_list("id", "customer_id")[:n]
    ]
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    from fairpath.communications import rendering

    agreements = list(Agreement.objects.select_related("customer", "client").filter(client=client)[:n])
    recipients = actions.recipients_for(agreements, at=at)
    version = actions.published_version(letters["UK"])
    with timed() as elapsed:
        for recipient in recipients.values():
            body = rendering.render_text(version.body, recipient.context)
            rendering.letter_html(subject=version.subject, body=body, context=recipient.context)
    emit("letters_html", len(recipients), elapsed[0], note="wording and layout, no PDF")
    stored_at: list[float] = []
    began = time.perf_counter()
    with timed() as elapsed, transaction.atomic():
        result = actions.send_messages_bulk(items=items, actor=actor, at=at)
        stored_at.append(time.perf_counter() - began)
    store_seconds = stored_at[0]
    pdf_seconds = elapsed[0] - store_seconds
    sent = OutboundMessage.objects.filter(client=client, status="sent", channel="letter").count()
    emit(
        "letters_store",
        len(items),
        store_seconds,
        queued=len(result.queued),
        suppressed=result.suppressed_total,
    )
    emit("letters_pdf", sent, pdf_seconds, engine="weasyprint")
    emit("letters_end_to_end", sent, elapsed[0], agreements=summary.agreements)
    with timed() as elapsed:
        found = notices.find_notices_due(as_of=as_of)
    emit("notices_find", summary.agreements, elapsed[0], due=len(found))
    with timed() as elapsed:
        outcome = notices.issue_notices(requests=found, on=as_of, actor=actor)
    emit(
        "notices_issue",
        len(outcome.issued),
        elapsed[0],
        refused=len(outcome.refused),
        late_periods_opened=outcome.late_periods_opened,
    )


if __name__ == "__main__":
    main()
