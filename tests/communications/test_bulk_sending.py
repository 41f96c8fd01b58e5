"""The sending side of the daily cycle at scale: recipients read per chunk of ids with one array parameter,
messages and notices stored with ``insert_rows``, delivery read per chunk."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairpath.accounts.actions import recompute_arrears
from fairpath.accounts.models import Address, Agreement, ContactPoint, Customer
from fairpath.collections.models import NoticeDue, ScheduledAction
from fairpath.communications import actions, batches, notices
from fairpath.communications.models import OutboundMessage, StatutoryNotice
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.collections import make_uk_agreement, make_us_agreement
from tests.factories.communications import WORKING_HOURS, seed_templates


@pytest.fixture
def templates(client_a):
    return seed_templates(client_a)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two ids, so that a handful of agreements spans several chunks."""
    monkeypatch.setattr(batches, "SQLITE_CHUNK", 2)
    monkeypatch.setattr(batches, "POSTGRESQL_CHUNK", 2)


# ----------------------------------------------------------------------------------------------------
# Reading recipients


def test_among_sends_the_ids_as_one_parameter_on_postgresql(client_a):
    agreements = [make_uk_agreement(client_a) for _ in range(3)]
    wanted = [agreements[0].pk, agreements[2].pk]
    with CaptureQueriesContext(connection) as queries:
        found = sorted(Agreement.objects.filter(batches.among("id", wanted)).values_list("id", flat=True))
    assert found == sorted(wanted)
    assert list(Agreement.objects.filter(batches.among("id", []))) == []
    sql = queries.captured_queries[0]["sql"]
    assert ("= ANY(" in sql) if connection.vendor == "postgresql" else (" IN (" in sql)


def test_recipients_are_read_per_chunk_with_a_fixed_number_of_queries(client_a, small_chunks):
    agreements = [make_uk_agreement(client_a) for _ in range(6)]  # 6 ids and an unknown one: 4 chunks of 2
    ids = [agreement.pk for agreement in agreements]
    with CaptureQueriesContext(connection) as two_chunks:
        actions.recipients_for(ids[:4], at=WORKING_HOURS)
    with CaptureQueriesContext(connection) as three_chunks:
        found = actions.recipients_for([*ids, 999_999_999], at=WORKING_HOURS)
    # agreements, addresses, contact points and arrears per chunk, the client once; a chunk of unknown ids
    # stops after its first query
    assert len(two_chunks) == 2 * 4 + 1
    assert len(three_chunks) == 3 * 4 + 1 + 1
    assert sorted(found) == sorted(ids)  # an unknown id is left out


def test_recipients_carry_what_the_models_say(client_a):
    customer = make_customer(
        client_a,
        first_name="Grace",
        title="Dr",
        phone="07700 900111",
        email="first@example.co.uk",
    )
    # a second current address, for correspondence, is preferred to the home address
    Address(
        client=client_a, customer=customer, kind="correspondence", line1="PO Box 7", town="Leeds",
        postcode="LS1 1AA", country="GB", region="ENG",
    ).save()  # fmt: skip
    for value, fields in (
        ("primary@example.co.uk", {"is_primary": True, "has_email_consent": True}),
        ("no-consent@example.co.uk", {"has_email_consent": False}),
        ("gone@example.co.uk", {"has_email_consent": True, "is_opted_out": True}),
    ):
        ContactPoint(client=client_a, customer=customer, channel="email", value=value, **fields).save()
    ContactPoint.objects.filter(customer=customer, channel="phone").update(has_text_consent=True)
    agreement = make_agreement(customer, product="credit_card", credit_limit_minor=100_000)
    found = actions.recipients_for([agreement.pk], at=WORKING_HOURS)[agreement.pk]
    customer = Customer.objects.get(pk=customer.pk)
    assert found.context["customer_name"] == customer.display_name == "Dr Grace " + customer.last_name
    assert found.context["product"] == agreement.get_product_display()
    assert found.address_lines == ["PO Box 7", "Leeds", "LS1 1AA"]
    assert found.emails == ["primary@example.co.uk", "first@example.co.uk"]
    assert found.mobiles == ["07700 900111"]
    assert (found.client_id, found.customer_id, found.currency) == (client_a.pk, customer.pk, "GBP")
    assert found.context["agreement_reference"] == agreement.reference


# ----------------------------------------------------------------------------------------------------
# Sending


def test_bulk_messages_are_stored_with_ids_audit_rows_and_their_template_version(
    client_a, templates, django_capture_on_commit_callbacks
):
    agreements = [make_uk_agreement(client_a) for _ in range(4)]
    template = templates[("reminder", "email", "UK")]
    items = [actions.BulkMessage(agreement_id=agreement.pk, template=template) for agreement in agreements]
    with django_capture_on_commit_callbacks(execute=True):
        result = actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)
    stored = {message.pk: message for message in OutboundMessage.objects.all()}
    assert sorted(stored) == sorted(message.pk for message in result.queued)
    for message in result.queued:
        row = stored[message.pk]
        assert (row.body, row.subject, row.recipient, row.agreement_id) == (
            message.body,
            message.subject,
            message.recipient,
            message.agreement_id,
        )
        assert row.created_at is not None and row.status == "sent"
        assert row.template_version == template.versions.get(status="published")
        assert row.agreement.reference in row.body and "{{" not in row.body
    assert AuditEvent.objects.filter(action="communications.message_queued").count() == 4


def test_sending_scheduled_steps_takes_the_same_queries_for_three_or_nine(client_a, templates):
    def schedule(count):
        for _ in range(count):
            agreement = make_uk_agreement(client_a)
            ScheduledAction(
                client=client_a, agreement=agreement, key=f"k-{agreement.pk}", run_date=date(2024, 6, 4),
                action="email", channel="email", template="reminder", segment="early", path="soft",
                step_index=0,
            ).save()  # fmt: skip

    counts = []
    for count in (3, 9):
        schedule(count)
        with CaptureQueriesContext(connection) as queries:
            result = actions.send_scheduled_actions(run_date=date(2024, 6, 4), actor=SETUP, at=WORKING_HOURS)
        assert len(result.queued) == count
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_template_follows_the_address_the_message_goes_to(client_a, templates):
    """A customer with two current addresses: the correspondence address (UK) is the one written to, so the
    UK template is chosen for it (the jurisdiction comes from the same address)."""
    agreement = make_us_agreement(client_a)
    Address(
        client=client_a, customer_id=agreement.customer_id, kind="correspondence", line1="1 Mill Lane",
        town="York", postcode="YO1 7HH", country="GB", region="ENG",
    ).save()  # fmt: skip
    ScheduledAction(
        client=client_a, agreement=agreement, key="k-letter", run_date=date(2024, 6, 4), action="letter",
        channel="letter", template="reminder", segment="early", path="soft", step_index=0,
    ).save()  # fmt: skip
    result = actions.send_scheduled_actions(run_date=date(2024, 6, 4), actor=SETUP, at=WORKING_HOURS)
    [message] = result.queued
    assert message.recipient.startswith("1 Mill Lane")
    assert message.template_version.template.jurisdiction == "UK"


def test_delivery_reads_per_chunk(client_a, templates, small_chunks, django_capture_on_commit_callbacks):
    agreements = [make_uk_agreement(client_a) for _ in range(5)]
    template = templates[("reminder", "email", "UK")]
    items = [actions.BulkMessage(agreement_id=agreement.pk, template=template) for agreement in agreements]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)
    assert OutboundMessage.objects.filter(status="sent").count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == ["c@example.co.uk"] * 5


# ----------------------------------------------------------------------------------------------------
# Notices


def test_notices_of_several_types_are_stored_in_bulk(client_a, django_capture_on_commit_callbacks):
    uk = make_uk_agreement(client_a)
    us = make_us_agreement(client_a)
    recompute_arrears(client_ids=[client_a.pk], as_of=date(2024, 3, 28), actor=SETUP)
    requests = [
        notices.NoticeRequest(
            uk.pk, "default_notice", trigger_on=date(2024, 3, 28), due_by=date(2024, 3, 28)
        ),
        notices.NoticeRequest(uk.pk, "nosia_fs", trigger_on=date(2024, 3, 28), due_by=date(2024, 4, 10)),
        notices.NoticeRequest(us.pk, "us_validation", trigger_on=date(2024, 3, 28), due_by=date(2024, 4, 2)),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = notices.issue_notices(requests=requests, on=date(2024, 3, 28), actor=SETUP)
    assert sorted(notice.notice_type for notice in outcome.issued) == [
        "default_notice",
        "nosia_fs",
        "us_validation",
    ]
    for notice in outcome.issued:
        stored = StatutoryNotice.objects.get(pk=notice.pk)
        assert stored.message_id == notice.message_id and stored.created_at is not None
        assert OutboundMessage.objects.get(pk=notice.message_id).agreement_id == notice.agreement_id
    default = StatutoryNotice.objects.get(notice_type="default_notice")
    assert default.remedy_amount_minor == 20_000  # the arrears on the day: two missed £100 instalments
    assert set(NoticeDue.objects.values_list("rule", "status")) == {
        ("UK-DEFAULT", "sent"),
        ("UK-NOSIA-FS", "sent"),
        ("US-VALIDATION", "sent"),
    }
