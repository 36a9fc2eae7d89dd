"""Reads of events. Every one starts from what the viewer may see (`access`), so a private
community's events never reach a list, a count, a feed or the API of someone outside it."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from trellis.accounts.tokens import hash_secret
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.access import Viewer
from trellis.core.errors import NotFound
from trellis.events import recurrence
from trellis.events.models import CalendarFeed, Event, Reply, Rsvp
from trellis.people.models import Person

FEED_PAST_DAYS = 90  # a feed keeps recent events, so a calendar does not lose them at once
FEED_LIMIT = 500
LIST_LIMIT = 100


def _counted(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("community", "facilitator").annotate(
        going_count=Count("rsvps", filter=Q(rsvps__reply=Reply.GOING)),
        interested_count=Count("rsvps", filter=Q(rsvps__reply=Reply.INTERESTED)),
        waitlist_count=Count("rsvps", filter=Q(rsvps__reply=Reply.WAITLIST)),
        attended_count=Count("rsvps", filter=Q(rsvps__attended=True)),
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
    rows = Rsvp.objects.filter(event=event, reply=reply).select_related(
        "person",
        "person__department",  # the person card names the department
    )
    order = ("waitlisted_at", "pk") if reply == Reply.WAITLIST else ("updated_at", "pk")
    return [r.person for r in rows.order_by(*order)[:limit]]


def manageable_communities(*, viewer: Viewer) -> list[Community]:
    """The communities whose events the viewer may add (for the form's choice)."""
    return list(access.communities_managing_events(viewer).order_by("name"))


# -- series ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPlace:
    """Where an occurrence sits in its series: "every Thursday at 10:00 (3 of 12)"."""

    rhythm: str
    position: int
    total: int
    previous_id: int | None
    next_id: int | None

    @property
    def label(self) -> str:
        if not self.rhythm:
            return f"Part of a series ({self.position} of {self.total})"
        return f"Part of a series: {self.rhythm} ({self.position} of {self.total})"


def series_place(*, event: Event) -> SeriesPlace | None:
    """The occurrence's place in its series (its occurrences share its community, so a viewer
    who may see this one may see them all), in one query; None for a single event."""
    if event.series_id is None:
        return None
    rows = list(
        Event.objects.filter(series_id=event.series_id)
        .order_by("occurrence_start", "pk")
        .values_list("pk", "series__rrule", "series__first_starts_at", "series__time_zone")
    )
    ids = [row[0] for row in rows]
    index = ids.index(event.pk)
    _, rule, first, zone = rows[0]
    # The rule speaks of the dates it gave; a date moved since (alone or with the following
    # ones) no longer keeps that rhythm, so its page does not claim it.
    moved = event.starts_at != event.occurrence_start
    rhythm = (
        ""
        if moved
        else recurrence.describe(rule, first.astimezone(ZoneInfo(zone)).replace(tzinfo=None))
    )
    return SeriesPlace(
        rhythm=rhythm,
        position=index + 1,
        total=len(ids),
        previous_id=ids[index - 1] if index > 0 else None,
        next_id=ids[index + 1] if index + 1 < len(ids) else None,
    )


# -- attendance -----------------------------------------------------------------------------


def attended_count(*, event_id: int) -> int:
    """How many were recorded as having come (0 until the organiser records it). The caller
    has checked the viewer may see the event."""
    return Rsvp.objects.filter(event_id=event_id, attended=True).count()


@dataclass(frozen=True)
class Attendance:
    """Events held in a period and who came to them."""

    events_held: int  # started in the period, not cancelled
    total_attended: int  # places taken: one person at three events counts three
    distinct_people: int  # people who came to at least one


def attendance_between(
    *,
    community: Community | None,
    start: datetime,
    end: datetime,
    viewer: Viewer | None = None,
) -> Attendance:
    """Events that started in [start, end) and had started by now, not cancelled: of one
    community, or (community None) of the whole organisation. With a viewer, only what they
    may see counts (a community they may not see is NotFound); without one, the caller (a
    report built for someone allowed) has checked. Three queries, whatever the numbers."""
    events = Event.objects.filter(
        starts_at__gte=start,
        starts_at__lt=min(end, timezone.now()),
        cancelled_at__isnull=True,
    )
    if viewer is not None:
        if community is not None and not access.can_view_community(viewer, community):
            raise NotFound("No such community.")
        events = events.filter(access.visible_events_filter(viewer))
    if community is not None:
        events = events.filter(community=community)
    came = Rsvp.objects.filter(event__in=events.values("pk"), attended=True)
    return Attendance(
        events_held=events.count(),
        total_attended=came.count(),
        distinct_people=came.values("person_id").distinct().count(),
    )


@dataclass(frozen=True)
class SheetRow:
    person: Person
    reply: str
    attended: bool | None


def attendance_sheet(*, event: Event) -> list[SheetRow]:
    """Everyone who replied (those going first), with what was recorded, for the organiser's
    ticks. The caller has checked the viewer may record it."""
    order = {Reply.GOING: 0, Reply.WAITLIST: 1, Reply.INTERESTED: 2, Reply.NOT_GOING: 3}
    rows = Rsvp.objects.filter(event=event).select_related("person")
    found = [SheetRow(r.person, r.reply, r.attended) for r in rows]
    return sorted(found, key=lambda r: (order.get(Reply(r.reply), 9), r.person.name, r.person.pk))


def people_who_may_have_come(*, event: Event, query: str, limit: int = 10) -> list[Person]:
    """People matching a name or email who may be recorded at this event (for a private
    community, its members only), for adding someone who came without replying."""
    words = query.split()[:6]
    if not words or len(query) > 200:
        return []
    people = Person.objects.filter(is_active=True)
    for word in words:
        people = people.filter(Q(name__icontains=word) | Q(email__istartswith=word))
    found = list(people.order_by("name", "pk")[:200])
    allowed = access.who_may_be_recorded_at(event.community, {p.pk for p in found})
    return [p for p in found if p.pk in allowed][:limit]


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
