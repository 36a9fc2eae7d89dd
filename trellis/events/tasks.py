"""Event reminders, run by the scheduler every few minutes. Idempotent."""

from django.tasks import task

from trellis.events.services import reminders_send


@task()
def send_event_reminders() -> int:
    """Remind those going (and interested) a day and an hour before; each reminder once."""
    return reminders_send()
