"""Creating notifications and the reader's own actions on them."""

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Invalid
from trellis.notifications.models import IMMEDIATE_KINDS, Digest, Notification, Preference

if TYPE_CHECKING:
    from trellis.people.models import Person


def notify(
    *,
    recipients: Iterable["Person"],
    kind: str,
    actor: "Person | None",
    community: Community | None,
    target_type: str,
    target_id: int,
    title: str,
    url: str,
) -> list[Notification]:
    """Tell each recipient who may see the target; never the actor, never twice in one call.

    Called inside the service's transaction; emails for urgent kinds go out after commit.
    """
    actor_id = actor.pk if actor is not None else None
    seen: set[int] = set()
    rows = []
    for person in recipients:
        if person.pk in seen or person.pk == actor_id or not person.is_active:
            continue
        seen.add(person.pk)
        if not access.can_view_in(person, community):
            continue
        rows.append(
            Notification(
                recipient=person,
                kind=kind,
                actor_id=actor_id,
                community=community,
                target_type=target_type,
                target_id=target_id,
                title=title[:300],
                url=url[:300],
            )
        )
    created = Notification.objects.bulk_create(rows)
    if kind in IMMEDIATE_KINDS and created:
        from trellis.notifications.tasks import send_notification_email

        for notification in created:  # SQLite and PostgreSQL return the new ids
            transaction.on_commit(partial(send_notification_email.enqueue, notification.pk))
    return created


def notifications_mark_read(*, actor: "Person", ids: list[int] | None = None) -> int:
    """Mark some (or all, when `ids` is None) of the actor's own notifications read."""
    from trellis.notifications.selectors import inbox

    unread = inbox(actor).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def preference_set(
    *, person: "Person", digest: str | None = None, email_immediate: bool | None = None
) -> Preference:

    if digest is not None and digest not in Digest.values:
        raise Invalid("Unknown digest.", field_errors={"digest": "Choose daily, weekly or off."})
    preference, _ = Preference.objects.get_or_create(person=person)
    fields = []
    if digest is not None:
        preference.digest = digest
        fields.append("digest")
    if email_immediate is not None:
        preference.email_immediate = email_immediate
        fields.append("email_immediate")
    if fields:
        preference.save(update_fields=fields)
    return preference
