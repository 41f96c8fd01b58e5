"""Sending: the guard decides (a refusal changes nothing and sends nothing); what was sent is stored with its
version and rule; e-mail, SMS and PDF letters are delivered after commit; bulk sending is set-based."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from fairpath.collections import actions as collections_actions
from fairpath.communications import actions
from fairpath.communications.models import OutboundMessage
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement, make_us_agreement, set_point
from tests.factories.communications import WORKING_HOURS, seed_templates


@pytest.fixture
def templates(client_a):
    return seed_templates(client_a)


def send(agreement, template, at=WORKING_HOURS, **context):
    return actions.send_message(
        agreement=agreement, channel=template.channel, template=template, context=context, actor=SETUP, at=at
    )


def test_an_email_is_stored_as_sent_and_goes_through_the_email_backend(
    client_a, templates, django_capture_on_commit_callbacks
):
    agreement = make_uk_agreement(client_a)
    template = templates[("reminder", "email", "UK")]
    with django_capture_on_commit_callbacks(execute=True):
        message = send(agreement, template)
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at is not None
    assert message.recipient == "c@example.co.uk" and message.channel == "email"
    assert message.template_version == template.versions.get(status="published")
    assert message.decision_rule == "CONTACT-POLICY"
    assert agreement.reference in message.body and "{{" not in message.body
    assert [m.to for m in mail.outbox] == [["c@example.co.uk"]]
    assert mail.outbox[0].body == message.body
    assert AuditEvent.objects.filter(
        action="communications.message_queued", object_id=str(message.pk)
    ).exists()


def test_nothing_is_handed_to_the_channel_before_commit(
    client_a, templates, django_capture_on_commit_callbacks
):
    agreement = make_uk_agreement(client_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = send(agreement, templates[("reminder", "email", "UK")])
    assert len(callbacks) == 1 and mail.outbox == []
    message.refresh_from_db()
    assert message.status == "queued"


def test_a_letter_is_rendered_to_pdf(client_a, templates, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(agreement, templates[("reminder", "letter", "UK")])
    message.refresh_from_db()
    assert message.status == "sent"
    with message.document.open("rb") as document:
        assert document.read(5) == b"%PDF-"
    assert "High Street" in message.recipient


def test_on_demand_letters_are_queued_for_print_and_rendered_when_first_opened(
    client_a, templates, settings, web_as, django_capture_on_commit_callbacks
):
    from tests.factories import make_user

    settings.FAIRPATH_LETTER_PDF = "on-demand"
    agreement = make_uk_agreement(client_a)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(agreement, templates[("reminder", "letter", "UK")])
    message.refresh_from_db()
    assert message.status == "sent" and not message.document
    assert message.provider_reference == f"print-queue:{message.pk}"
    response = web_as(make_user("team_leader", client_a)).get(
        f"/communications/messages/{message.pk}/document/"
    )
    assert response.status_code == 200 and b"".join(response.streaming_content)[:5] == b"%PDF-"
    message.refresh_from_db()
    assert message.document


def test_sms_goes_through_the_provider(client_a, templates, media, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)
    set_point(agreement.customer, "phone", has_text_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(agreement, templates[("reminder", "sms", "UK")])
    assert [(sent["to"], sent["body"]) for sent in media.sent] == [("07700 900123", message.body)]
    message.refresh_from_db()
    assert message.provider_reference == f"outbox:{message.pk}"


def assert_refused_changes_nothing(agreement, template, rule, at=WORKING_HOURS, media=None):
    before = (OutboundMessage.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Refusal) as refused:
        send(agreement, template, at=at)
    assert refused.value.rule == rule
    assert (OutboundMessage.objects.count(), AuditEvent.objects.count()) == before
    assert mail.outbox == []
    if media is not None:
        assert media.sent == []


def test_us_hours_refuse_an_email_at_night_changing_and_sending_nothing(
    client_a, templates, django_capture_on_commit_callbacks
):
    agreement = make_us_agreement(client_a)
    night = datetime(2024, 6, 5, 3, 0, tzinfo=UTC)  # 23:00 in New York
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert_refused_changes_nothing(
            agreement, templates[("reminder", "email", "US")], "US-HOURS", at=night
        )
    assert callbacks == []


def test_sms_without_consent_is_refused(client_a, templates, media):
    agreement = make_us_agreement(client_a)  # a mobile with call consent only
    at = datetime(2024, 6, 4, 16, 0, tzinfo=UTC)
    assert_refused_changes_nothing(
        agreement, templates[("reminder", "sms", "US")], "US-REVOKE", at=at, media=media
    )


def test_capacity_stops_even_letters(client_a, templates):
    agreement = make_uk_agreement(client_a)
    collections_actions.flag_capacity(
        agreement=agreement, on=date(2024, 6, 1), actor=SETUP, reason="carer called"
    )
    assert_refused_changes_nothing(agreement, templates[("reminder", "letter", "UK")], "UK-CAPACITY")


def test_breathing_space_stops_demands_but_not_statutory_notices(
    client_a, templates, django_capture_on_commit_callbacks
):
    agreement = make_uk_agreement(client_a)
    collections_actions.start_breathing_space(agreement=agreement, entered_on=date(2024, 6, 1), actor=SETUP)
    assert_refused_changes_nothing(agreement, templates[("reminder", "letter", "UK")], "BS-EFFECT")
    notice = templates[("nosia-fs", "letter", "UK")]
    with django_capture_on_commit_callbacks(execute=True):
        message = send(agreement, notice, trigger_date=date(2024, 3, 31))
    assert message.purpose == "statutory" and "31 March 2024" in message.body


def test_a_template_of_the_wrong_jurisdiction_is_refused(client_a, templates):
    agreement = make_us_agreement(client_a)
    assert_refused_changes_nothing(
        agreement, templates[("reminder", "letter", "UK")], "TEMPLATE-JURISDICTION"
    )


def test_unknown_context_variables_are_refused(client_a, templates):
    agreement = make_uk_agreement(client_a)
    with pytest.raises(InvalidInput):
        send(agreement, templates[("reminder", "letter", "UK")], password="x")
    assert OutboundMessage.objects.count() == 0


def test_us_messages_carry_the_statement_and_opt_out(client_a, templates, django_capture_on_commit_callbacks):
    agreement = make_us_agreement(client_a)
    at = datetime(2024, 6, 4, 16, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(agreement, templates[("reminder", "email", "US")], at=at)
    assert "from a debt collector" in message.body and "UNSUBSCRIBE" in message.body


def test_bulk_sending_is_set_based_and_stores_suppressions_by_rule(
    client_a, templates, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    agreements = [make_uk_agreement(client_a) for _ in range(6)]
    collections_actions.flag_capacity(agreement=agreements[0], on=date(2024, 6, 1), actor=SETUP, reason="x")
    template = templates[("reminder", "email", "UK")]
    items = [actions.BulkMessage(agreement_id=a.pk, template=template) for a in agreements]
    with django_assert_max_num_queries(40), django_capture_on_commit_callbacks(execute=True):
        result = actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)
    assert result.suppressed == {"UK-CAPACITY": 1} and len(result.queued) == 5
    assert len(mail.outbox) == 5
    suppressed = OutboundMessage.objects.get(status="suppressed")
    assert suppressed.agreement_id == agreements[0].pk and suppressed.decision_rule == "UK-CAPACITY"
    assert OutboundMessage.objects.filter(status="sent").count() == 5


def test_without_a_mail_host_emails_go_to_the_file_outbox(
    client_a, templates, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    agreement = make_uk_agreement(client_a)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(agreement, templates[("reminder", "email", "UK")])
    message.refresh_from_db()
    assert message.status == "sent"
    files = list((settings.MEDIA_ROOT / "outbox" / "email").iterdir())
    assert len(files) == 1 and agreement.reference in files[0].read_text()


def test_a_failing_channel_marks_the_message_failed(client_a, templates, django_capture_on_commit_callbacks):
    class Broken:
        def send(self, *, to, body, reference):
            raise ConnectionError("gateway down")

    from fairpath.communications import channels

    agreement = make_uk_agreement(client_a)
    set_point(agreement.customer, "phone", has_text_consent=True)
    previous = channels.use_sms_provider(Broken())
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = send(agreement, templates[("reminder", "sms", "UK")])
    finally:
        channels.use_sms_provider(previous)
    message.refresh_from_db()
    assert message.status == "failed" and "gateway down" in message.failure


def test_letters_render_in_worker_processes_when_configured(
    client_a, templates, settings, django_capture_on_commit_callbacks
):
    settings.FAIRPATH_LETTER_WORKERS = 2
    agreements = [make_uk_agreement(client_a) for _ in range(2)]
    template = templates[("reminder", "letter", "UK")]
    items = [actions.BulkMessage(agreement_id=a.pk, template=template) for a in agreements]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)
    letters = list(OutboundMessage.objects.filter(status="sent"))
    assert len(letters) == 2
    for letter in letters:
        with letter.document.open("rb") as document:
            assert document.read(5) == b"%PDF-"


def test_the_cycles_scheduled_steps_are_sent_once_and_marked(
    client_a, templates, django_capture_on_commit_callbacks
):
    from fairpath.collections.models import ScheduledAction

    email, sms, letter = (make_uk_agreement(client_a) for _ in range(3))
    steps = []
    for agreement, action, template in (
        (email, "email", ""),
        (sms, "sms", "reminder"),
        (letter, "letter", "nope"),
    ):
        step = ScheduledAction(
            client=client_a, agreement=agreement, key=f"k-{agreement.pk}", run_date=date(2024, 6, 4), action=action,
            channel=action, template=template, segment="early", path="soft", step_index=0,
        )  # fmt: skip
        step.save()
        steps.append(step)
    with django_capture_on_commit_callbacks(execute=True):
        result = actions.send_scheduled_actions(run_date=date(2024, 6, 4), actor=SETUP, at=WORKING_HOURS)
    assert len(result.queued) == 1 and len(mail.outbox) == 1
    done, suppressed, missing = (ScheduledAction.objects.get(pk=step.pk) for step in steps)
    assert done.status == "done"
    assert (suppressed.status, suppressed.rule) == ("suppressed", "UK-CONTACT")
    assert (missing.status, missing.rule) == ("suppressed", "TEMPLATE-STATUS")
    assert OutboundMessage.objects.get(agreement=sms).status == "suppressed"
    again = actions.send_scheduled_actions(run_date=date(2024, 6, 4), actor=SETUP, at=WORKING_HOURS)
    assert again.queued == [] and OutboundMessage.objects.count() == 2
