"""Reads of a person's notifications: only what they may still see."""

from django.db.models import QuerySet

from trellis.core import access
from trellis.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from trellis.notifications.models import Digest, Notification, Preference
from trellis.people.models import Person


def inbox(viewer: access.Viewer) -> QuerySet[Notification]:
    """The viewer's notifications, minus any about a community they can no longer see."""
    return Notification.objects.filter(recipient_id=access.viewer_id(viewer)).filter(
        access.visible_community_filter(viewer)
    )


def unread_count(viewer: access.Viewer) -> int:
    if not access.is_signed_in(viewer):
        return 0
    return inbox(viewer).filter(read_at__isnull=True).count()


def notification_list(
    *,
    viewer: access.Viewer,
    unread_only: bool = False,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[Notification]:
    notifications = inbox(viewer)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    ordered = notifications.select_related("actor").order_by("-created_at", "-pk")
    return paginate(ordered, page=page, page_size=page_size)


def preference_for(person: Person) -> Preference:
    """The stored preference, or the defaults (weekly digest, urgent emails on), unsaved."""
    try:
        return person.notification_preference  # cached when select_related
    except Preference.DoesNotExist:
        return Preference(person=person, digest=Digest.WEEKLY, email_immediate=True)
