"""Templates: versions, the publish check (UK-PRESSURE, US-MINIMIRANDA, US-OPTOUT, notice wording, the
sandbox) and the default templates."""

from __future__ import annotations

import pytest

from fairpath.communications import actions, defaults
from fairpath.communications.models import MessageTemplate, TemplateVersion
from fairpath.core.errors import InvalidInput, Refusal
from fairpath.governance.models import AuditEvent
from tests.factories import SETUP
from tests.factories.communications import make_template, seed_templates


def test_defaults_are_seeded_published_and_idempotent(client_a):
    templates = seed_templates(client_a)
    assert len(templates) == len(defaults.DEFAULT_TEMPLATES)
    assert all(t.versions.get().status == "published" for t in templates.values())
    assert actions.seed_default_templates(client=client_a, actor=SETUP) == 0
    assert MessageTemplate.objects.filter(client=client_a).count() == len(defaults.DEFAULT_TEMPLATES)


def test_pressure_wording_is_refused_naming_rule_line_and_phrase(client_a):
    template = make_template(client_a, body="Dear {{ customer_name }},\nPay in full immediately.")
    version = template.versions.get()
    assert version.findings[0]["rule"] == "UK-PRESSURE" and version.findings[0]["line"] == 2
    events = AuditEvent.objects.count()
    with pytest.raises(Refusal) as refused:
        actions.publish_version(version=version, actor=SETUP)
    assert refused.value.rule == "UK-PRESSURE"
    assert "line 2" in refused.value.message and "Pay in full immediately" in refused.value.message
    version.refresh_from_db()
    assert version.status == "draft" and AuditEvent.objects.count() == events


def test_us_collection_message_without_the_mini_miranda_is_refused(client_a):
    template = make_template(client_a, jurisdiction="US", body="Dear {{ customer_name }}, please call us.")
    with pytest.raises(Refusal) as refused:
        actions.publish_version(version=template.versions.get(), actor=SETUP)
    assert refused.value.rule == "US-MINIMIRANDA"
    assert "from a debt collector" in refused.value.message


def test_a_new_version_replaces_the_published_one_on_publishing(client_a):
    template = make_template(client_a)
    first = actions.publish_version(version=template.versions.get(), actor=SETUP)
    second = actions.save_draft(
        template=template, subject="Hello", body="Dear {{ customer_name }}", actor=SETUP
    )
    assert second.number == 2 and second.status == "draft"
    assert actions.published_version(template) == first
    actions.publish_version(version=second, actor=SETUP)
    first.refresh_from_db()
    assert first.status == "retired" and actions.published_version(template) == second
    assert TemplateVersion.objects.filter(template=template, status="published").count() == 1


@pytest.mark.parametrize(
    "body,phrase",
    [
        ("{{ agreement.customer.date_of_birth }}", "agreement"),
        ("{% load static %}", "{% load %}"),
        ("{% include 'web/base.html' %}", "{% include %}"),
        ("{% if secret %}x{% endif %}", "secret"),
    ],
)
def test_the_sandbox_allows_only_known_variables_and_tags(client_a, body, phrase):
    template = make_template(client_a, body=f"Dear customer\n{body}")
    findings = template.versions.get().findings
    assert {"rule": "TEMPLATE-SANDBOX", "line": 2, "phrase": phrase} in [
        {key: f[key] for key in ("rule", "line", "phrase")} for f in findings
    ]


def test_loops_over_allowed_lists_are_fine(client_a):
    template = make_template(client_a, body="{% for line in address_lines %}{{ line|upper }}\n{% endfor %}")
    assert template.versions.get().findings == []


def test_unknown_channel_is_invalid(client_a):
    with pytest.raises(InvalidInput) as invalid:
        make_template(client_a, channel="fax")
    assert invalid.value.field == "channel"


def test_a_legal_threat_is_flagged_for_statute_barred_accounts(client_a):
    template = make_template(client_a, body="We may start court action.")
    assert template.versions.get().threatens_legal_action
