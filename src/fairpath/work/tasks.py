"""Periodic work-domain jobs. Plain functions: the embedded default calls them in-process (``fairpath work wake``);
a Celery beat schedule can call them every minute in production."""

from __future__ import annotations

from fairpath.governance.audit import SystemActor
from fairpath.work import actions


def wake_snoozed() -> int:
    """Reopen every snoozed item whose snooze has ended, so it shows in the backlog again. Idempotent."""
    return actions.wake_snoozed_items(actor=SystemActor("work.wake"))
