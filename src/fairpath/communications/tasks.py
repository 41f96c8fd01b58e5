"""Background work of the communications domain.

``release_due_messages_task`` hands over the messages held back for the customer's permitted local time
(US-HOURS, UK-CONTACT; ``actions.release_due_messages``). The daily cycle releases what is due when it
closes the day; between runs, schedule this task every few minutes with Celery beat and start the workers
with it included (``celery -A fairpath.collections.tasks worker --include fairpath.communications.tasks``),
or call the action from any other scheduler in-process. Until something runs it, a message held for a
later moment waits for the next cycle, which asks the guard again before it goes.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="fairpath.communications.release_due_messages")
def release_due_messages_task() -> int:
    import django

    django.setup()
    from fairpath.communications.actions import release_due_messages
    from fairpath.governance.audit import SystemActor

    return len(release_due_messages(actor=SystemActor("message-release")).released)
