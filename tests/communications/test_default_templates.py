"""The default templates against the shipped strategy: every template a step of
``collections/default_strategy.yaml`` names exists, for the step's channel and for both jurisdictions (the
cycle picks the template by the customer's jurisdiction), and is published after seeding - so the two can
never drift apart again. Then one cycle over a generated book sends on every channel and suppresses
nothing for a missing template (TEMPLATE-STATUS)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.db.models import Count

from fairpath.clients.models import Client
from fairpath.collections import cycle, strategies
from fairpath.collections.models import ScheduledAction
from fairpath.communications import actions, defaults, rules
from fairpath.communications.models import MessageTemplate, OutboundMessage
from fairpath.demo.generator import generate_portfolio
from tests.factories import SETUP

SHIPPED = (Path(strategies.__file__).parent / "default_strategy.yaml").read_text()
MESSAGE_ACTIONS = ("sms", "email", "letter")
NOTICE_ACTIONS = {"default_notice": (rules.NoticeType.DEFAULT, rules.Jurisdiction.UK)}


def named_templates() -> set[tuple[str, str, str, str]]:
    """(code, channel, jurisdiction, notice type) of every template a step of the shipped strategy needs.
    A message step without a template uses ``reminder`` (communications.actions.send_scheduled_actions)."""
    needed = set()
    for segment in strategies.parse(SHIPPED).segments:
        for path in segment.paths:
            for step in path.steps:
                if step.action in MESSAGE_ACTIONS:
                    for jurisdiction in rules.Jurisdiction:
                        needed.add(
                            (step.template or "reminder", step.action, jurisdiction.value, "collections")
                        )
                elif step.action in NOTICE_ACTIONS:
                    notice_type, jurisdiction = NOTICE_ACTIONS[step.action]
                    needed.add((step.template, "letter", jurisdiction.value, notice_type.value))
    return needed


def test_the_shipped_strategy_names_message_templates():
    """The check below is not vacuous: the strategy sends on every channel and serves a default notice."""
    needed = named_templates()
    assert {channel for _, channel, _, _ in needed} == {"sms", "email", "letter"}
    assert {code for code, *_ in needed} >= {"early-reminder", "arrears-letter", "support-options"}
    assert ("default-notice", "letter", "UK", "default_notice") in needed


def test_every_template_the_shipped_strategy_names_is_a_default_that_passes_the_publish_check():
    """UK-PRESSURE, US-MINIMIRANDA, US-OPTOUT and the notice wording pass; no collection message threatens
    legal action, so each may also reach a statute-barred account (UK-STATBAR, US-TIMEBAR)."""
    by_key = {(item.code, item.channel, item.jurisdiction): item for item in defaults.DEFAULT_TEMPLATES}
    missing = sorted(key for key in named_templates() if key[:3] not in by_key)
    assert not missing, f"the default strategy names templates the defaults lack: {missing}"
    for code, channel, jurisdiction, notice_type in named_templates():
        item = by_key[(code, channel, jurisdiction)]
        assert item.notice_type == notice_type, (code, channel, jurisdiction)
        findings = rules.check_wording(
            channel=channel,
            jurisdiction=jurisdiction,
            notice_type=notice_type,
            is_initial_communication=item.is_initial_communication,
            subject=item.subject,
            body=item.body,
        )
        assert findings == [], (code, channel, jurisdiction, findings)
        if notice_type == "collections":
            assert not rules.threatens_legal_action(item.subject, item.body), (code, channel, jurisdiction)


@pytest.mark.django_db
def test_every_template_the_shipped_strategy_names_is_published_for_its_channel_after_seeding(client_a):
    actions.seed_default_templates(client=client_a, actor=SETUP)
    for code, channel, jurisdiction, notice_type in named_templates():
        template = MessageTemplate.objects.get(
            client=client_a, code=code, channel=channel, jurisdiction=jurisdiction
        )
        assert template.notice_type == notice_type
        assert actions.published_version(template).status == "published"


def test_uk_collection_defaults_signpost_free_debt_advice():
    """UK messages of the shipped strategy point to free, independent debt advice (CONC 7.3)."""
    by_key = {(item.code, item.channel, item.jurisdiction): item for item in defaults.DEFAULT_TEMPLATES}
    uk = [key for key in named_templates() if key[2] == "UK"]
    assert uk
    for code, channel, jurisdiction, _ in uk:
        assert "moneyhelper.org.uk" in by_key[(code, channel, jurisdiction)].body, (code, channel)


@pytest.mark.django_db
def test_one_cycle_over_a_generated_book_sends_on_every_channel_and_finds_every_template(settings):
    settings.FAIRPATH_LETTER_PDF = "on-demand"
    day = date(2026, 3, 10)
    generate_portfolio(accounts=400, seed=7, as_of=day, months=12, client_code="synth")
    client = Client.objects.get(code="synth")
    actions.seed_default_templates(client=client, actor=SETUP)
    strategies.import_strategy(text=SHIPPED, actor=SETUP)

    summary = cycle.run_cycle(run_date=day)

    steps = ScheduledAction.objects.filter(client=client, action__in=MESSAGE_ACTIONS)
    assert not steps.filter(rule="TEMPLATE-STATUS").exists(), list(
        steps.filter(rule="TEMPLATE-STATUS").values_list("action", "template", "message")[:5]
    )
    assert steps.filter(status="scheduled").count() == 0, "every message step was sent or suppressed"
    rendered = OutboundMessage.objects.filter(client=client, notice_type="collections")
    sent = dict(
        rendered.exclude(status="suppressed")
        .values("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    assert all(sent.get(channel, 0) >= 1 for channel in MESSAGE_ACTIONS), sent
    assert summary.day_end["messages_queued"] == sum(sent.values())
    assert not rendered.filter(body__contains="{{").exists()
    codes = set(rendered.values_list("template_version__template__code", flat=True))
    assert codes >= {"early-reminder", "arrears-letter"}
