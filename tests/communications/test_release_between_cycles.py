"""US-HOURS / UK-CONTACT between cycles: a message held back for the customer's permitted local time is handed
over when that moment comes, not at the next night's cycle - by Celery beat (``settings.CELERY_BEAT_SCHEDULE``
runs the task ``fairpath.communications.release_due_messages``) or, without Celery, by cron calling
``fairpath messages release``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from typer.testing import CliRunner

from fairpath.cli.main import app
from fairpath.collections.models import ScheduledAction
from fairpath.communications import actions
from fairpath.communications.models import OutboundMessage
from tests.factories import SETUP
from tests.factories.collections import make_us_agreement
from tests.factories.communications import seed_templates

pytestmark = pytest.mark.django_db

RUN_DATE = date(2024, 3, 11)
NIGHT = datetime(2024, 3, 11, 6, 0, tzinfo=UTC)  # 02:00 in New York: too early, the e-mail waits
TEN_IN_NEW_YORK = datetime(2024, 3, 11, 14, 0, tzinfo=UTC)  # 10:00 EDT


@pytest.fixture
def held(client_a, django_capture_on_commit_callbacks) -> OutboundMessage:
    """An e-mail step of a live cycle run at 02:00 New York time: stored, queued for 10:00 EDT."""
    seed_templates(client_a)
    loan = make_us_agreement(client_a)
    ScheduledAction(
        client_id=client_a.pk, agreement=loan, key=f"release-{loan.pk}", run_date=RUN_DATE, action="email",
        channel="email", template="", segment="early", path="soft", step_index=0,
    ).save()  # fmt: skip
    with time_machine.travel(NIGHT, tick=False), django_capture_on_commit_callbacks(execute=True):
        actions.send_scheduled_actions(run_date=RUN_DATE, actor=SETUP)
    message = OutboundMessage.objects.get(agreement=loan, channel="email")
    assert (message.status, message.scheduled_for) == ("queued", TEN_IN_NEW_YORK)
    assert mail.outbox == []
    return message


def release_command(moment: datetime, capture, *args: str):  # noqa: ANN001, ANN201
    """``fairpath messages release ARGS`` at ``moment``, the messages delivered after commit."""
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return CliRunner().invoke(app, ["messages", "release", *args])


def test_the_command_releases_a_held_message_once_its_local_moment_has_come(
    held, django_capture_on_commit_callbacks
):
    early = release_command(
        datetime(2024, 3, 11, 13, 55, tzinfo=UTC), django_capture_on_commit_callbacks, "--json"
    )
    assert early.exit_code == 0, early.output
    assert json.loads(early.output) == {"released": 0, "rescheduled": 0, "suppressed": {}}
    assert mail.outbox == []

    result = release_command(
        datetime(2024, 3, 11, 14, 5, tzinfo=UTC), django_capture_on_commit_callbacks, "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"released": 1, "rescheduled": 0, "suppressed": {}}
    held.refresh_from_db()
    assert held.status == "sent" and [message.to for message in mail.outbox] == [["c@example.com"]]

    again = release_command(
        datetime(2024, 3, 11, 14, 10, tzinfo=UTC), django_capture_on_commit_callbacks, "--json"
    )
    assert json.loads(again.output)["released"] == 0 and len(mail.outbox) == 1


def test_the_command_is_wired_into_fairpath_and_scoped_by_client(
    held, client_b, django_capture_on_commit_callbacks
):
    """``fairpath messages release --client`` leaves other clients' messages waiting."""
    other = release_command(TEN_IN_NEW_YORK, django_capture_on_commit_callbacks, "--client", client_b.code)
    assert other.exit_code == 0, other.output
    assert "0 messages released" in other.output and mail.outbox == []
    own = release_command(TEN_IN_NEW_YORK, django_capture_on_commit_callbacks, "--client", "lender-a")
    assert "1 messages released" in own.output and len(mail.outbox) == 1
    unknown = release_command(TEN_IN_NEW_YORK, django_capture_on_commit_callbacks, "--client", "nobody")
    assert unknown.exit_code != 0 and "no client" in unknown.output


def test_the_beat_schedule_runs_the_release_task_that_exists_every_few_minutes():
    """In a fresh process, as ``celery -A fairpath.collections.tasks beat`` and its workers start: the
    schedule's entry names a task the app knows (the communications tasks are included), and the interval
    follows FAIRPATH_MESSAGE_RELEASE_MINUTES."""
    probe = (
        "import json\n"
        "from fairpath.collections.tasks import app\n"
        "app.loader.import_default_modules()\n"
        "print(json.dumps({name: [entry['task'], entry['schedule'], entry['task'] in app.tasks]"
        " for name, entry in app.conf.beat_schedule.items()}))\n"
    )
    environment = {**os.environ, "FAIRPATH_MESSAGE_RELEASE_MINUTES": "3"}
    environment.pop("FAIRPATH_CELERY_BROKER_URL", None)
    found = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )
    schedule = json.loads(found.stdout.strip().splitlines()[-1])
    assert schedule == {"release-due-messages": ["fairpath.communications.release_due_messages", 180.0, True]}


def test_the_task_the_beat_names_releases_what_is_due(held, django_capture_on_commit_callbacks):
    from django.conf import settings

    from fairpath.collections.tasks import app as celery_app

    celery_app.loader.import_default_modules()  # as a worker does when it starts
    app_task = celery_app.tasks[settings.CELERY_BEAT_SCHEDULE["release-due-messages"]["task"]]
    with time_machine.travel(TEN_IN_NEW_YORK, tick=False), django_capture_on_commit_callbacks(execute=True):
        released = app_task()  # the task's body, in-process (no broker, no result backend touched)
    assert released == 1
    held.refresh_from_db()
    assert held.status == "sent" and len(mail.outbox) == 1
