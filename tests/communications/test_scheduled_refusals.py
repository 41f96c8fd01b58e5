"""Every refusal of a step the cycle scheduled is counted under its rule id when the step is sent: a missing
published template (TEMPLATE-STATUS) and a missing address (CONTACT-NO-ADDRESS) as much as a guard refusal,
in ``send_scheduled_actions``'s counts and in the cycle summary's ``messages_suppressed``."""

from __future__ import annotations

from datetime import date

import pytest

from fairpath.accounts.models import Address
from fairpath.collections import cycle, strategies
from fairpath.collections.models import ScheduledAction
from fairpath.communications import actions
from fairpath.communications.models import OutboundMessage
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement
from tests.factories.communications import WORKING_HOURS, seed_templates

pytestmark = pytest.mark.django_db

RUN_DATE = date(2024, 6, 4)


def step(agreement, action: str, template: str) -> ScheduledAction:  # noqa: ANN001
    row = ScheduledAction(
        client_id=agreement.client_id, agreement=agreement, key=f"refusal-{agreement.pk}-{action}",
        run_date=RUN_DATE, action=action, channel=action, template=template, segment="early", path="soft",
        step_index=0,
    )  # fmt: skip
    row.save()
    return row


def test_a_step_without_a_published_template_is_counted_under_template_status(client_a):
    seed_templates(client_a)
    sent = make_uk_agreement(client_a)
    missing = make_uk_agreement(client_a)
    no_address = make_uk_agreement(client_a)
    Address.objects.filter(customer_id=no_address.customer_id).update(is_current=False)
    rows = [
        step(sent, "email", ""),
        step(missing, "letter", "no-such-template"),
        step(no_address, "letter", ""),
    ]
    result = actions.send_scheduled_actions(run_date=RUN_DATE, actor=SETUP, at=WORKING_HOURS)
    assert len(result.queued) == 1
    assert result.suppressed == {"TEMPLATE-STATUS": 1, "CONTACT-NO-ADDRESS": 1}
    states = {
        row.pk: (row.status, row.rule) for row in ScheduledAction.objects.filter(pk__in=[r.pk for r in rows])
    }
    assert states[rows[1].pk] == ("suppressed", "TEMPLATE-STATUS")
    assert states[rows[2].pk] == ("suppressed", "CONTACT-NO-ADDRESS")
    # every suppressed step is counted: the counts add up to the steps the sender suppressed
    assert sum(result.suppressed.values()) == ScheduledAction.objects.filter(status="suppressed").count()


MISSING_TEMPLATE = """
code: missing-template
name: A letter whose template was never published
segments:
  - code: late
    when: {holds: false, dpd: {min: 1}}
    paths:
      - code: only
        steps:
          - {day: 0, action: letter, template: never-published}
"""


def test_the_cycle_summary_counts_a_template_status_refusal(client_a):
    strategies.import_strategy(text=MISSING_TEMPLATE, actor=SETUP)
    loan = make_uk_agreement(client_a)
    summary = cycle.run_cycle(run_date=date(2024, 3, 10))
    row = ScheduledAction.objects.get(agreement=loan, action="letter")
    assert (row.status, row.rule) == ("suppressed", "TEMPLATE-STATUS")
    assert summary.day_end["messages_suppressed"] == {"TEMPLATE-STATUS": 1}
    assert summary.as_dict()["day_end"]["messages_suppressed"] == {"TEMPLATE-STATUS": 1}
    assert not OutboundMessage.objects.filter(agreement=loan, notice_type="collections").exists()
    again = cycle.run_cycle(run_date=date(2024, 3, 10), rerun=True)
    assert again.day_end["messages_suppressed"] == {}  # counted once, on the day it was refused
