"""Background work of the communications domain.

``release_due_messages_task`` hands over the messages held back for the customer's permitted local time
(US-HOURS, UK-CONTACT; ``actions.release_due_messages``). The daily cycle releases what is due when it
closes the day; between runs, Celery beat runs this task every ``FAIRPATH_MESSAGE_RELEASE_MINUTES``
(``settings.CELERY_BEAT_SCHEDULE``; ``celery -A fairpath.collections.tasks beat``, whose app includes this
module for its workers), and without Celery cron runs ``fairpath messages release``. Until something runs
it, a message held for a later moment waits for the next cycle, which asks the guard again before it goes.
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
