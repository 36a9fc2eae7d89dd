"""Digests, run by the task worker: one task per person that is due, enqueued hourly."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from trellis.communities.models import Membership
from trellis.digests.selectors import digest_content
from trellis.notifications.models import Digest, Preference
from trellis.notifications.selectors import preference_for
from trellis.notifications.tasks import unsubscribe_headers
from trellis.people.models import Person

DIGEST_EVERY = {Digest.DAILY: timedelta(days=1), Digest.WEEKLY: timedelta(days=7)}


def digest_due(preference: Preference, now: datetime) -> bool:
    every = DIGEST_EVERY.get(Digest(preference.digest))
    if every is None:
        return False
    return preference.last_digest_at is None or preference.last_digest_at <= now - every


@task()
def send_digest(person_id: int) -> bool:
    """One person's digest; the preference row is locked so two workers never both send it."""
    now = timezone.now()
    with transaction.atomic():
        person = Person.objects.filter(pk=person_id, is_active=True).first()
        if person is None:
            return False
        Preference.objects.get_or_create(person=person)
        preference = Preference.objects.select_for_update().get(person=person)
        if not digest_due(preference, now):
            return False
        every = DIGEST_EVERY[Digest(preference.digest)]
        since = preference.last_digest_at or now - every
        content = digest_content(person, since)
        if not content.empty:
            unsubscribe_url, headers = unsubscribe_headers(person, "digest")
            context = {
                "digest": content,
                "site_url": settings.SITE_URL,
                "unsubscribe_url": unsubscribe_url,
                "period": preference.get_digest_display().lower(),
            }
            EmailMessage(
                subject=f"Your {context['period']} Trellis digest",
                body=render_to_string("notifications/email/digest.txt", context),
                to=[person.email],
                headers=headers,
            ).send()
        preference.last_digest_at = now
        preference.save(update_fields=["last_digest_at"])
    return not content.empty


@task()
def send_due_digests() -> int:
    """Enqueue the digests that are due: people in at least one community, digest not off.

    Someone never sent a digest starts their clock instead (a new installation, a demo, an
    import, a new member): their first digest goes one period later, so a fresh install does
    not email everyone at its first hour."""
    now = timezone.now()
    _start_the_clocks(now)
    people = (
        Person.objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(left_at__isnull=True).values("person_id"),
        )
        .exclude(notification_preference__digest=Digest.OFF)
        .select_related("notification_preference")
    )
    count = 0
    for person in people.filter(notification_preference__last_digest_at__isnull=False).iterator(
        chunk_size=1000
    ):
        if digest_due(preference_for(person), now):
            send_digest.enqueue(person.pk)
            count += 1
    return count


def _start_the_clocks(now: datetime) -> None:
    """Members with no digest sent yet get `last_digest_at = now` (a preference with the
    defaults when they have none)."""
    members = Membership.objects.filter(left_at__isnull=True).values("person_id")
    missing = Person.objects.filter(is_active=True, pk__in=members, notification_preference=None)
    Preference.objects.bulk_create(
        [
            Preference(person_id=pk, last_digest_at=now)
            for pk in missing.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    Preference.objects.filter(last_digest_at__isnull=True).update(last_digest_at=now)
