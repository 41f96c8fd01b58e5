"""The sending side of the daily cycle at scale: recipients read per chunk of ids with one array parameter,
each wording rendered once per distinct set of values (and flat wordings without Django's per-node
machinery, giving the same text), the guard's facts gathered once per batch, messages and notices stored
with ``insert_rows``, delivery read per chunk."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.accounts.actions import recompute_arrears
from fairpath.accounts.models import Address, Agreement, ContactPoint, Customer
from fairpath.collections import policy
from fairpath.collections.models import NoticeDue, ScheduledAction
from fairpath.communications import actions, batches, defaults, notices, rendering
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


@pytest.fixture
def gather_calls(monkeypatch):
    """The agreement ids of every call to the guard's ``gather_facts`` from here on."""
    calls: list[list[int]] = []
    gather = policy.gather_facts

    def counting(agreement_ids=None, **kwargs):
        calls.append(sorted(agreement_ids or ()))
        return gather(agreement_ids, **kwargs)

    monkeypatch.setattr(policy, "gather_facts", counting)
    return calls


# ----------------------------------------------------------------------------------------------------
# Rendering


WORDINGS = [
    *(item.subject for item in defaults.DEFAULT_TEMPLATES),
    *(item.body for item in defaults.DEFAULT_TEMPLATES),
    "{{ balance }}",
    "{{ missed_payments }} payment(s) {{ regulator_reference }}",
    "{{ address_lines }}",
    "{% for line in address_lines %}{{ line }}\n{% endfor %}",
    "{% if missed_payments %}{{ missed_payments }} missed{% else %}none{% endif %}",
    "{{ customer_name|upper }} {{ balance|default:arrears }}",
    "{{ address_lines.0 }}",
    '{{ "literal" }} {{ 12 }}',
    "{% firstof regulator_reference client_name %}",
    "Plain text with no variables",
    "",
]

VALUES = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=6), max_size=3),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
)
NAMES = sorted(
    {"customer_name", "balance", "arrears", "missed_payments", "regulator_reference", "address_lines",
     "client_name", "agreement_reference", "contact_phone", "opt_out_text", "today", "remedy_date"}
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contexts=st.lists(st.dictionaries(st.sampled_from(NAMES), VALUES), min_size=1, max_size=6),
    wording=st.sampled_from(WORDINGS),
)
def test_the_renderer_gives_exactly_what_render_text_gives(contexts, wording):
    def outcome(render, context):
        try:
            return render(wording, context)
        except Exception as error:  # noqa: BLE001 - a filter argument missing fails in both alike
            return type(error)

    renderer = rendering.Renderer(max_per_wording=3)
    for context in contexts * 2:  # every context twice: the second time may come from the cache
        assert outcome(renderer.render, context) == outcome(rendering.render_text, context)


def test_a_wording_is_rendered_once_per_distinct_set_of_values_it_names():
    renderer = rendering.Renderer()
    contexts = [{"customer_name": f"Customer {n}", "agreement_reference": "AG1"} for n in range(5)]
    for context in contexts:
        assert renderer.render("About your account {{ agreement_reference }}", context) == (
            "About your account AG1"
        )
    assert (renderer.renders, renderer.reused) == (1, 4)
    for context in contexts:
        renderer.render("Dear {{ customer_name }}", context)
    assert renderer.renders == 6
    # values equal in Python but rendered differently are told apart
    assert [renderer.render("{{ balance }}", {"balance": value}) for value in (1, True, 1.0, "1")] == [
        "1",
        "True",
        "1.0",
        "1",
    ]


@pytest.mark.parametrize(
    ("wording", "first", "second"),
    [
        ("{{ address_lines.0 }}", {"address_lines": ["1 Mill Lane"]}, {"address_lines": ["2 Mill Lane"]}),
        ("{{ balance|default:arrears }}", {"arrears": "£1.00"}, {"arrears": "£2.00"}),
        ("{% firstof regulator_reference client_name %}", {"client_name": "A"}, {"client_name": "B"}),
        ("{% for line in address_lines %}{{ line }};{% endfor %}", {"address_lines": ["a"]}, {}),
        ("{{ missed_payments }}", {"missed_payments": 1}, {"missed_payments": True}),
    ],
)
def test_every_variable_a_wording_names_is_part_of_what_it_is_reused_for(wording, first, second):
    renderer = rendering.Renderer()
    assert renderer.render(wording, first) == rendering.render_text(wording, first)
    assert renderer.render(wording, second) == rendering.render_text(wording, second)
    assert rendering.render_text(wording, first) != rendering.render_text(wording, second)


def test_a_wording_naming_each_customer_stops_being_looked_up_once_its_cache_is_full():
    renderer = rendering.Renderer(max_per_wording=2)
    names = [f"Customer {n}" for n in range(5)]
    for name in [*names, names[0]]:
        assert renderer.render("Dear {{ customer_name }}", {"customer_name": name}) == f"Dear {name}"
    assert (renderer.renders, renderer.reused) == (6, 0)
    # a wording that repeats keeps being reused past the same bound
    for n in range(50):
        assert renderer.render(
            "Account {{ agreement_reference }}", {"agreement_reference": f"AG{n % 2}"}
        ) == (f"Account AG{n % 2}")
    assert (renderer.renders, renderer.reused) == (8, 48)
    for reference in ("AG2", "AG0"):  # a new value when full is rendered; the kept ones are still reused
        renderer.render("Account {{ agreement_reference }}", {"agreement_reference": reference})
    assert (renderer.renders, renderer.reused) == (9, 49)


def test_a_wording_with_the_now_tag_is_rendered_every_time():
    renderer = rendering.Renderer()
    for _ in range(3):
        renderer.render('{% now "Y" %}', {})
    assert (renderer.renders, renderer.reused) == (3, 0)


# ----------------------------------------------------------------------------------------------------
# Building and storing objects in bulk


def test_build_makes_the_object_the_keyword_path_makes():
    values = {"client_id": 1, "agreement_id": 2, "customer_id": 3, "template_version_id": 4, "channel": "sms",
              "notice_type": "collections", "recipient_name": "Ada", "recipient": "07700 900123", "body": "Hi",
              "decided_at": WORKING_HOURS, "actor_label": "test"}  # fmt: skip
    built, expected = batches.build(OutboundMessage, values), OutboundMessage(**values)
    for field in OutboundMessage._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(expected, field.attname), field.name
    assert built._state.adding and built.pk is None
    with pytest.raises(TypeError, match="agreement"):
        batches.build(OutboundMessage, {**values, "agreement": 2})


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


def test_the_guards_facts_are_gathered_once_for_a_batch_of_several_channels(
    gather_calls, client_a, templates, monkeypatch, django_capture_on_commit_callbacks
):
    agreements = [make_uk_agreement(client_a) for _ in range(3)]
    calls = gather_calls
    calls.clear()  # only the calls from here on count
    items = [
        actions.BulkMessage(agreement_id=agreement.pk, template=templates[("reminder", channel, "UK")])
        for agreement in agreements
        for channel in ("email", "letter")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = actions.send_messages_bulk(items=items, actor=SETUP, send_on=date(2024, 6, 4))
    assert calls == [sorted(agreement.pk for agreement in agreements)]
    assert len(result.queued) == 6 and len(mail.outbox) == 3


def test_releasing_held_messages_gathers_the_facts_once_per_party(
    gather_calls, client_a, templates, monkeypatch
):
    agreement = make_uk_agreement(client_a)
    items = [
        actions.BulkMessage(agreement_id=agreement.pk, template=templates[("reminder", channel, "UK")])
        for channel in ("email", "letter")
    ]
    actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)  # on commit: never, in a test
    OutboundMessage.objects.update(scheduled_for=WORKING_HOURS)
    calls = gather_calls
    calls.clear()  # only the calls from here on count
    released = actions.release_due_messages(actor=SETUP, now=WORKING_HOURS + timedelta(minutes=5))
    assert calls == [[agreement.pk]] and len(released.released) == 2


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


def test_print_queue_letters_are_marked_sent_beside_the_messages_that_are_read(
    client_a, templates, settings, django_capture_on_commit_callbacks
):
    settings.FAIRPATH_LETTER_PDF = "on-demand"
    agreements = [make_uk_agreement(client_a) for _ in range(3)]
    items = [
        actions.BulkMessage(agreement_id=agreement.pk, template=templates[("reminder", channel, "UK")])
        for agreement in agreements
        for channel in ("email", "letter")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)
    for message in OutboundMessage.objects.all():
        assert message.status == "sent" and message.sent_at is not None and not message.document
        expected = "print-queue" if message.channel == "letter" else "email"
        assert message.provider_reference == f"{expected}:{message.pk}"
    assert len(mail.outbox) == 3


# ----------------------------------------------------------------------------------------------------
# Notices


def test_notices_of_several_types_gather_the_facts_once_and_are_stored_in_bulk(
    gather_calls, client_a, monkeypatch, django_capture_on_commit_callbacks
):
    uk = make_uk_agreement(client_a)
    us = make_us_agreement(client_a)
    recompute_arrears(client_ids=[client_a.pk], as_of=date(2024, 3, 28), actor=SETUP)
    calls = gather_calls
    calls.clear()  # only the calls from here on count
    requests = [
        notices.NoticeRequest(
            uk.pk, "default_notice", trigger_on=date(2024, 3, 28), due_by=date(2024, 3, 28)
        ),
        notices.NoticeRequest(uk.pk, "nosia_fs", trigger_on=date(2024, 3, 28), due_by=date(2024, 4, 10)),
        notices.NoticeRequest(us.pk, "us_validation", trigger_on=date(2024, 3, 28), due_by=date(2024, 4, 2)),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = notices.issue_notices(requests=requests, on=date(2024, 3, 28), actor=SETUP)
    assert calls == [sorted([uk.pk, us.pk])]
    assert sorted(notice.notice_type for notice in outcome.issued) == [
        "default_notice",
        "nosia_fs",
        "us_validation",
    ]
    with CaptureQueriesContext(connection) as reads:
        bodies = [notice.message.body for notice in outcome.issued]  # each notice holds its letter
    assert len(reads) == 0 and all("{{" not in body for body in bodies)
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
