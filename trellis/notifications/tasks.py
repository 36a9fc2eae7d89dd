"""Notification emails, run by the task worker. Idempotent."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from trellis.core import access
from trellis.notifications.models import Notification
from trellis.notifications.selectors import preference_for
from trellis.notifications.tokens import unsubscribe_token
from trellis.people.models import Person


def unsubscribe_headers(person: Person, what: str) -> tuple[str, dict[str, str]]:
    url = settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(person.pk, what)])
    headers = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return url, headers


@task()
def send_notification_email(notification_id: int) -> bool:
    """Email one urgent notification, once, if its reader still wants it and may see it.

    No transaction is held while the mail server talks: on SQLite that would hold the
    database's one write lock for as long as a slow server takes. Each notification has one
    task, run by one worker at a time; if the worker dies mid-send, the mail server never
    acknowledged the message, emailed_at is still empty and the next attempt sends it once.
    A failed send raises, and the worker tries again later."""
    notification = (
        Notification.objects.select_related("recipient", "actor", "community")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    person = notification.recipient
    wanted = person.is_active and preference_for(person).email_immediate
    allowed = access.can_view_in(person, notification.community)
    if wanted and allowed and notification.read_at is None:
        unsubscribe_url, headers = unsubscribe_headers(person, "immediate")
        context = {
            "n": notification,
            "site_url": settings.SITE_URL,
            "unsubscribe_url": unsubscribe_url,
        }
        EmailMessage(
            subject=notification.headline[:200],
            body=render_to_string("notifications/email/notification.txt", context),
            to=[person.email],
            headers=headers,
        ).send()
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return bool(wanted and allowed)
