"""Pages and API: templates with the publish check, the outbox (sent and suppressed by rule), a message view;
GET/POST /api/v1/communications/messages and GET /api/v1/communications/templates, scoped to the user's
clients."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairpath.collections import actions as collections_actions
from fairpath.communications import actions
from fairpath.communications.models import OutboundMessage, TemplateVersion
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP, make_user
from tests.factories.collections import make_uk_agreement
from tests.factories.communications import WORKING_HOURS, make_template, seed_templates


@pytest.fixture
def templates(client_a):
    return seed_templates(client_a)


def test_template_pages_show_versions_and_the_check(client_a, templates, web_as):
    manager = make_user("operations_manager", client_a)
    http = web_as(manager)
    listing = http.get("/communications/templates/")
    assert listing.status_code == 200 and b"Notice of sums in arrears" in listing.content
    template = templates[("reminder", "letter", "UK")]
    response = http.post(
        f"/communications/templates/{template.pk}/edit/",
        {"subject": "About your account", "body": "Dear {{ customer_name }}\nYou must pay in full today."},
    )
    assert response.status_code == 302
    detail = http.get(f"/communications/templates/{template.pk}/")
    assert b"UK-PRESSURE" in detail.content and b"pay in full today" in detail.content
    draft = template.versions.get(number=2)
    http.post(f"/communications/versions/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert actions.published_version(template).number == 1


def test_check_only_saves_nothing(client_a, templates, web_as):
    http = web_as(make_user("team_leader", client_a))
    template = templates[("reminder", "email", "US")]
    response = http.post(
        f"/communications/templates/{template.pk}/edit/",
        {"subject": "Hi", "body": "Please pay", "check": "1"},
    )
    assert response.status_code == 200 and b"US-MINIMIRANDA" in response.content
    assert template.versions.count() == 1


def test_publishing_a_clean_draft_from_the_page(client_a, templates, web_as):
    http = web_as(make_user("compliance_officer", client_a))
    template = templates[("reminder", "letter", "UK")]
    draft = actions.save_draft(
        template=template, subject="Hello", body="Dear {{ customer_name }}", actor=SETUP
    )
    http.post(f"/communications/versions/{draft.pk}/publish/")
    assert actions.published_version(template) == TemplateVersion.objects.get(pk=draft.pk)


def test_an_agent_cannot_edit_or_publish(client_a, templates, web_as):
    http = web_as(make_user("agent", client_a))
    template = templates[("reminder", "letter", "UK")]
    assert http.get(f"/communications/templates/{template.pk}/edit/").status_code == 403
    version = template.versions.get()
    assert http.post(f"/communications/versions/{version.pk}/publish/").status_code == 403


def test_outbox_and_message_pages(client_a, templates, web_as, django_capture_on_commit_callbacks):
    agreements = [make_uk_agreement(client_a) for _ in range(2)]
    collections_actions.flag_capacity(agreement=agreements[1], on=date(2024, 6, 1), actor=SETUP, reason="x")
    items = [
        actions.BulkMessage(agreement_id=a.pk, template=templates[("reminder", "letter", "UK")])
        for a in agreements
    ]
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)
    http = web_as(make_user("agent", client_a))
    outbox = http.get("/communications/outbox/")
    assert outbox.status_code == 200 and b"UK-CAPACITY" in outbox.content
    suppressed = http.get("/communications/outbox/?status=suppressed")
    assert agreements[1].reference.encode() in suppressed.content
    assert agreements[0].reference.encode() not in suppressed.content
    sent = OutboundMessage.objects.get(status="sent")
    page = http.get(f"/communications/messages/{sent.pk}/")
    assert page.status_code == 200 and b"CONTACT-POLICY" in page.content
    document = http.get(f"/communications/messages/{sent.pk}/document/")
    assert document.status_code == 200 and b"".join(document.streaming_content)[:5] == b"%PDF-"


def test_another_clients_messages_and_templates_are_not_found(client_a, client_b, templates, web_as, api_as):
    agreement = make_uk_agreement(client_a)
    message = actions.send_message(
        agreement=agreement, channel="letter", template=templates[("reminder", "letter", "UK")], context={},
        actor=SETUP, at=WORKING_HOURS,
    )  # fmt: skip
    outsider = make_user("head_of_operations", client_b)
    http = web_as(outsider)
    assert http.get(f"/communications/messages/{message.pk}/").status_code == 404
    assert (
        http.get(f"/communications/templates/{templates[('reminder', 'letter', 'UK')].pk}/").status_code
        == 404
    )
    api = api_as(outsider)
    assert api.get("/communications/messages")[1]["items"] == []
    assert api.get("/communications/templates")[1] == []
    status, _ = api.post(
        "/communications/messages",
        {"agreement_id": agreement.pk, "template_id": templates[("reminder", "letter", "UK")].pk},
    )
    assert status == 404


def test_api_sends_one_message(client_a, templates, api_as, django_capture_on_commit_callbacks):
    agreement = make_uk_agreement(client_a)
    api = api_as(make_user("agent", client_a))
    template = templates[("reminder", "email", "UK")]
    with django_capture_on_commit_callbacks(execute=True):
        status, body = api.post(
            "/communications/messages",
            {"agreement_id": agreement.pk, "template_id": template.pk, "at": "2024-06-04T14:00:00Z"},
        )
    assert status == 201, body
    assert (
        body["channel"] == "email"
        and body["template_version"] == 1
        and body["decision_rule"] == "CONTACT-POLICY"
    )
    assert len(mail.outbox) == 1
    status, listing = api.get(f"/communications/messages?agreement_id={agreement.pk}")
    assert status == 200 and [item["id"] for item in listing["items"]] == [body["id"]]
    assert listing["items"][0]["status"] == "sent"


def test_api_refusal_names_the_rule_and_changes_nothing(client_a, templates, api_as):
    agreement = make_uk_agreement(client_a)
    collections_actions.start_breathing_space(agreement=agreement, entered_on=date(2024, 6, 1), actor=SETUP)
    api = api_as(make_user("agent", client_a))
    before = (OutboundMessage.objects.count(), AuditEvent.objects.count())
    status, body = api.post(
        "/communications/messages",
        {"agreement_id": agreement.pk, "template_id": templates[("reminder", "letter", "UK")].pk,
         "at": "2024-06-04T14:00:00Z"},
    )  # fmt: skip
    assert status == 409 and body["error"]["rule"] == "BS-EFFECT"
    assert (OutboundMessage.objects.count(), AuditEvent.objects.count()) == before
    assert mail.outbox == []


def test_api_rejects_unknown_variables(client_a, templates, api_as):
    agreement = make_uk_agreement(client_a)
    api = api_as(make_user("agent", client_a))
    status, body = api.post(
        "/communications/messages",
        {"agreement_id": agreement.pk, "template_id": templates[("reminder", "letter", "UK")].pk,
         "context": {"secret": "x"}, "at": "2024-06-04T14:00:00Z"},
    )  # fmt: skip
    assert status == 422 and body["error"]["field"] == "context"


def test_api_lists_templates_with_published_versions(client_a, templates, api_as):
    make_template(client_a)  # a draft only
    api = api_as(make_user("agent", client_a))
    status, body = api.get("/communications/templates?jurisdiction=UK&channel=letter")
    assert status == 200
    by_code = {row["code"]: row for row in body}
    assert by_code["custom"]["published_version"] is None
    assert (
        by_code["default-notice"]["published_version"] == 1
        and by_code["default-notice"]["client_code"] == client_a.code
    )


def test_a_role_without_send_cannot_post(client_a, templates, api_as):
    agreement = make_uk_agreement(client_a)
    api = api_as(make_user("compliance_officer", client_a))
    status, _ = api.post(
        "/communications/messages",
        {"agreement_id": agreement.pk, "template_id": templates[("reminder", "letter", "UK")].pk},
    )
    assert status == 403 and OutboundMessage.objects.count() == 0


def _send_letters(client, template, count):
    agreements = [make_uk_agreement(client) for _ in range(count)]
    items = [actions.BulkMessage(agreement_id=a.pk, template=template) for a in agreements]
    actions.send_messages_bulk(items=items, actor=SETUP, at=WORKING_HOURS)


def test_outbox_and_api_query_counts_do_not_grow_with_messages(client_a, templates, web_as, api_as):
    template = templates[("reminder", "letter", "UK")]
    user = make_user("agent", client_a)
    http, api = web_as(user), api_as(user)
    _send_letters(client_a, template, 2)
    http.get("/communications/outbox/")  # warm the session and permission caches

    def counted(call):
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured)

    page_few = counted(lambda: http.get("/communications/outbox/"))
    api_few = counted(lambda: api.get("/communications/messages"))
    _send_letters(client_a, template, 6)
    assert counted(lambda: http.get("/communications/outbox/")) == page_few
    assert counted(lambda: api.get("/communications/messages")) == api_few
