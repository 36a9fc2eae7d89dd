"""Reads of events. Every one starts from what the viewer may see (`access`), so a private
community's events never reach a list, a count, a feed or the API of someone outside it."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from trellis.accounts.tokens import hash_secret
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.access import Viewer
from trellis.core.errors import NotFound
from trellis.events.models import CalendarFeed, Event, Reply, Rsvp
from trellis.people.models import Person

FEED_PAST_DAYS = 90  # a feed keeps recent events, so a calendar does not lose them at once
FEED_LIMIT = 500
LIST_LIMIT = 100


def _counted(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("community").annotate(
        going_count=Count("rsvps", filter=Q(rsvps__reply=Reply.GOING)),
        interested_count=Count("rsvps", filter=Q(rsvps__reply=Reply.INTERESTED)),
        waitlist_count=Count("rsvps", filter=Q(rsvps__reply=Reply.WAITLIST)),
    )


def visible_events(*, viewer: Viewer) -> QuerySet[Event]:
    return Event.objects.filter(access.visible_events_filter(viewer))


def upcoming_events(
    *,
    viewer: Viewer,
    community: Community | None = None,
    limit: int = LIST_LIMIT,
    include_cancelled: bool = True,
) -> list[Event]:
    """Events not yet over, soonest first, with their counts."""
    events = visible_events(viewer=viewer).filter(ends_at__gt=timezone.now())
    if community is not None:
        events = events.filter(community=community)
    if not include_cancelled:
        events = events.filter(cancelled_at__isnull=True)
    return list(_counted(events).order_by("starts_at", "pk")[:limit])


def past_events(
    *, viewer: Viewer, community: Community | None = None, limit: int = LIST_LIMIT
) -> list[Event]:
    """Events that are over, the latest first."""
    events = visible_events(viewer=viewer).filter(ends_at__lte=timezone.now())
    if community is not None:
        events = events.filter(community=community)
    return list(_counted(events).order_by("-starts_at", "-pk")[:limit])


def event_list(
    *, viewer: Viewer, community: Community | None = None, upcoming: bool | None = None
) -> QuerySet[Event]:
    """For the API: every event the viewer may see, filtered, upcoming soonest first."""
    events = visible_events(viewer=viewer)
    if community is not None:
        events = events.filter(community=community)
    now = timezone.now()
    if upcoming is True:
        events = events.filter(ends_at__gt=now).order_by("starts_at", "pk")
    elif upcoming is False:
        events = events.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    else:
        events = events.order_by("-starts_at", "-pk")
    return _counted(events)


def event_get(*, viewer: Viewer, event_id: int) -> Event:
    """One event with its counts, or NotFound: the same for a private community's event as
    for one that does not exist."""
    found = _counted(visible_events(viewer=viewer)).filter(pk=event_id).first()
    if found is None:
        raise NotFound("No such event.")
    return found


def replies_of(*, viewer: Viewer, events: list[Event]) -> dict[int, str]:
    """The viewer's reply to each of these events, in one query."""
    if not access.is_signed_in(viewer) or not events:
        return {}
    rows = Rsvp.objects.filter(person_id=access.viewer_id(viewer), event__in=events)
    return dict(rows.values_list("event_id", "reply"))


@dataclass(frozen=True)
class ViewerReply:
    """Where the viewer stands for one event."""

    reply: str | None
    waitlist_position: int | None  # 1 for the first in line

    @property
    def label(self) -> str:
        if self.reply == Reply.GOING:
            return "You're going."
        if self.reply == Reply.WAITLIST:
            return f"You're on the waitlist, number {self.waitlist_position}."
        if self.reply == Reply.INTERESTED:
            return "You're interested."
        if self.reply == Reply.NOT_GOING:
            return "You said you're not going."
        return ""


def viewer_reply(*, viewer: Viewer, event: Event) -> ViewerReply:
    if not access.is_signed_in(viewer):
        return ViewerReply(None, None)
    rsvp = Rsvp.objects.filter(event=event, person_id=access.viewer_id(viewer)).first()
    if rsvp is None:
        return ViewerReply(None, None)
    position = None
    if rsvp.reply == Reply.WAITLIST and rsvp.waitlisted_at is not None:
        ahead = Rsvp.objects.filter(event=event, reply=Reply.WAITLIST).filter(
            Q(waitlisted_at__lt=rsvp.waitlisted_at)
            | Q(waitlisted_at=rsvp.waitlisted_at, pk__lt=rsvp.pk)
        )
        position = ahead.count() + 1
    return ViewerReply(rsvp.reply, position)


def attendees(*, event: Event, reply: str, limit: int = 50) -> list[Person]:
    """Who gave this reply (the waitlist in its order). The caller has checked the viewer
    may see the event."""
    rows = Rsvp.objects.filter(event=event, reply=reply).select_related("person")
    order = ("waitlisted_at", "pk") if reply == Reply.WAITLIST else ("updated_at", "pk")
    return [r.person for r in rows.order_by(*order)[:limit]]


def manageable_communities(*, viewer: Viewer) -> list[Community]:
    """The communities whose events the viewer may add (for the form's choice)."""
    return list(access.communities_managing_events(viewer).order_by("name"))


# -- calendar feeds -------------------------------------------------------------------------


def calendar_feed_by_token(*, raw: str) -> CalendarFeed | None:
    """The live feed this secret opens, if its owner may still sign in and still may see
    what it is about; None otherwise (the same answer as for a revoked or unknown token)."""
    if not raw or len(raw) > 200:
        return None
    feed = (
        CalendarFeed.objects.select_related("person", "community")
        .filter(token_hash=hash_secret(raw), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not access.is_signed_in(feed.person):
        return None
    if not access.can_subscribe_to_events_of(feed.person, feed.community):
        return None
    return feed


def feed_events(*, feed: CalendarFeed) -> list[Event]:
    """What the feed holds, decided now by what its owner may see: one community's events,
    or (the personal feed) the events of the owner's communities and the org-wide ones."""
    owner = feed.person
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    events = visible_events(viewer=owner).filter(ends_at__gte=since)
    if feed.community is not None:
        events = events.filter(community=feed.community)
    else:
        events = events.filter(
            Q(community__isnull=True) | Q(community__in=access.joined_community_ids(owner))
        )
    return list(events.select_related("community").order_by("starts_at", "pk")[:FEED_LIMIT])


def calendar_feeds_of(*, viewer: Viewer) -> list[CalendarFeed]:
    """The viewer's live feed links, each still about something they may see."""
    feeds = CalendarFeed.objects.filter(
        person_id=access.viewer_id(viewer), revoked_at__isnull=True
    ).select_related("community")
    return [f for f in feeds.order_by("created_at") if access.can_view_in(viewer, f.community)]
