"""Community events: list, read, organise (create, edit, cancel) and reply (RSVP).

An event of a private community is answered as not found (404) to everyone who may not see
the community, in lists and counts as well. Times are instants with their offset; the event's
IANA time zone says how a calendar shows them.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import AfterValidator, AwareDatetime, Field, StrictStr, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import (
    JSON_INTEGER,
    MAX_ID,
    NO_NUL,
    NOT_BLANK,
    NOT_SPACE,
    SPACE,
    CommunityRef,
    CommunitySlugRef,
    Input,
    Maybe,
    Paged,
    PageParams,
    QueryParams,
    SlugFilter,
)
from trellis.communities import selectors as community_selectors
from trellis.core.errors import Invalid
from trellis.core.pagination import paginate
from trellis.events import recurrence, selectors, services
from trellis.events.models import MAX_CAPACITY, Event, EventKind
from trellis.events.models import Reply as Answer
from trellis.events.services import MAX_DESCRIPTION, EventFields, Repeat
from trellis.events.times import FIRST_YEAR, LAST_YEAR, zone_names
from trellis.people.models import Person

router = Router(tags=["events"])

EventId = PathEx[int, P(ge=1, le=MAX_ID, description="An event's id.")]


def _known_zone(name: str) -> str:
    if name not in zone_names():
        raise ValueError("Not a time zone we know; use an IANA name such as Europe/London.")
    return name


TimeZone = Annotated[
    StrictStr,
    AfterValidator(_known_zone),
    Field(
        description="The IANA time zone the event is planned in.",
        json_schema_extra={"enum": zone_names()},
        examples=["Europe/London"],
    ),
]
EventTitle = Annotated[StrictStr, StringConstraints(max_length=200, pattern=NOT_BLANK)]
Description = Annotated[
    StrictStr,
    StringConstraints(max_length=MAX_DESCRIPTION, pattern=NO_NUL),
    Field(description="Markdown."),
]
Place = Annotated[StrictStr, StringConstraints(max_length=200, pattern=NO_NUL)]
VideoUrl = Annotated[
    StrictStr,
    StringConstraints(
        max_length=500,
        pattern=rf"^{SPACE}*(?:[Hh][Tt][Tt][Pp][Ss]?://{NOT_SPACE}+{SPACE}*)?$",
    ),
    Field(description="An http:// or https:// address (empty: none)."),
]
Capacity = Annotated[
    int,
    Field(ge=1, le=MAX_CAPACITY, description="Places; null for no limit."),
    JSON_INTEGER,
]
Instant = Annotated[
    AwareDatetime, Field(description="With its offset, e.g. 2026-03-29T10:00+01:00.")
]


Scope = Literal["this", "following", "all"]
SCOPE_HELP = (
    "For an occurrence of a series: this one only (the default), this and the following "
    "ones, or every one not over yet. Occurrences changed on their own are left as they are."
)


# -- schemas ------------------------------------------------------------------------------


class RepeatIn(Input):
    every: Literal["week", "two_weeks", "month", "custom"] = Field(
        description="week / two_weeks: on the first date's weekday; month: on the same Nth "
        "weekday (the last one when the first is a 5th); custom: the rrule given."
    )
    rrule: Annotated[StrictStr, StringConstraints(max_length=300, pattern=NO_NUL)] = Field(
        "",
        description="For custom: an RFC 5545 RRULE such as FREQ=MONTHLY;BYDAY=1TU;COUNT=10, "
        "with COUNT or UNTIL (unless count/until are given here). At most 100 occurrences "
        "within two years; it recurs in the event's local time.",
    )
    count: Annotated[int, Field(ge=1, le=1_000_000), JSON_INTEGER] | None = Field(
        None, description="How many occurrences, the first included (at most 100)."
    )
    until: date | None = Field(None, description="The last day (in the event's time zone).")


class EventOut(Schema):
    id: int
    community: CommunityRef | None = Field(description="None for an org-wide event.")
    kind: EventKind
    title: str
    description: str
    description_html: str = Field(description="The description rendered, sanitised.")
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    place: str
    video_url: str
    capacity: int | None
    cancelled_at: datetime | None
    going: int
    interested: int
    waitlist: int
    your_reply: Answer | None = Field(description="going, waitlist, interested or not_going.")
    waitlist_position: int | None = Field(description="Your place in line, 1 first.")
    attended: int = Field(description="How many were recorded as having come.")
    series_id: int | None = Field(description="The series this occurrence belongs to.")
    occurrence_start: datetime | None = Field(
        description="The start the series' rule gave it (it stays when this one is moved)."
    )
    url: str
    ics_url: str


class EventPage(Paged[EventOut]):
    pass


class EventParams(PageParams):
    community: Maybe[SlugFilter] = Field(None, description="Only this community's events.")
    upcoming: Maybe[bool] = Field(
        None, description="true: not over yet, soonest first; false: over, latest first."
    )


class EventCreate(Input):
    community: Maybe[CommunitySlugRef] = Field(
        None, description="The community's slug; left out, the event is org-wide (org admins)."
    )
    kind: EventKind
    title: EventTitle
    description: Description = ""
    starts_at: Instant
    ends_at: Instant
    time_zone: TimeZone
    place: Place = ""
    video_url: VideoUrl = ""
    capacity: Capacity | None = None
    repeat: RepeatIn | None = Field(None, description="Left out: a single event.")


class EventUpdate(Input):
    kind: Maybe[EventKind] = None
    title: Maybe[EventTitle] = None
    description: Maybe[Description] = None
    starts_at: Maybe[Instant] = None
    ends_at: Maybe[Instant] = None
    time_zone: Maybe[TimeZone] = None
    place: Maybe[Place] = None
    video_url: Maybe[VideoUrl] = None
    capacity: Capacity | None = Field(None, description="null for no limit.")
    scope: Scope = Field("this", description=SCOPE_HELP)


class CancelParams(QueryParams):
    scope: Scope = Field("this", description=SCOPE_HELP)


class AttendanceIn(Input):
    came: list[Annotated[int, Field(ge=1, le=MAX_ID), JSON_INTEGER]] = Field(
        max_length=MAX_CAPACITY,
        description="Everyone who came (person ids); the others who replied did not. Someone "
        "who came without replying gets a going reply.",
    )


class RsvpIn(Input):
    answer: Literal["going", "interested", "not_going"] = Field(
        description="going to a full event puts you on its waitlist."
    )


# -- helpers ------------------------------------------------------------------------------


def _event(event: Event, me: Person, replies: dict[int, str] | None = None) -> dict[str, Any]:
    position = None
    if replies is None:
        mine = selectors.viewer_reply(viewer=me, event=event)
        reply, position = mine.reply, mine.waitlist_position
    else:
        reply = replies.get(event.pk)
    return {
        "id": event.pk,
        "community": event.community,
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "description_html": event.description_html,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "time_zone": event.time_zone,
        "place": event.place,
        "video_url": event.video_url,
        "capacity": event.capacity,
        "cancelled_at": event.cancelled_at,
        "going": event.going_count,  # type: ignore[attr-defined]
        "interested": event.interested_count,  # type: ignore[attr-defined]
        "waitlist": event.waitlist_count,  # type: ignore[attr-defined]
        "your_reply": reply,
        "waitlist_position": position,
        "attended": event.attended_count,  # type: ignore[attr-defined]
        "series_id": event.series_id,
        "occurrence_start": event.occurrence_start,
        "url": reverse("event-detail", args=[event.pk]),
        "ics_url": reverse("event-ics", args=[event.pk]),
    }


def _repeat(payload: "EventCreate") -> Repeat | None:
    """The series asked for, or Invalid naming what is wrong with its rule (never ends,
    too many dates, past two years, no dates, a time the clocks skip): checked before
    anything is written, in the event's local time."""
    sent = payload.repeat
    if sent is None:
        return None
    repeat = Repeat(every=sent.every, count=sent.count, until=sent.until, rrule=sent.rrule)
    if not all(FIRST_YEAR <= t.year <= LAST_YEAR for t in (payload.starts_at, payload.ends_at)):
        return repeat  # the service names the date that is out of range
    zone = ZoneInfo(payload.time_zone)
    first = payload.starts_at.astimezone(zone).replace(tzinfo=None)
    duration = payload.ends_at.astimezone(zone).replace(tzinfo=None) - first
    try:
        rule = recurrence.rule_for(
            repeat.every, first, count=repeat.count, until=repeat.until, custom=repeat.rrule
        )
        if duration.total_seconds() > 0:
            recurrence.expand(rule, first_local=first, duration=duration, zone=zone)
    except recurrence.RuleError as error:
        raise Invalid(
            f"The series was not saved: {error}", field_errors={"repeat": str(error)}
        ) from error
    return repeat


def _reread(me: Person, event_id: int) -> dict[str, Any]:
    return _event(selectors.event_get(viewer=me, event_id=event_id), me)


# -- operations ---------------------------------------------------------------------------


@router.get(
    "/events",
    response={200: EventPage, **error_responses()},
    summary="List events",
    description="Every event you may see: org-wide ones and those of communities you may "
    "see. 404 when the community filter names one you may not see.",
)
def events_list(request: HttpRequest, params: Query[EventParams]) -> dict[str, Any]:
    me = viewer(request)
    community = None
    if params.community:
        community = community_selectors.community_get(viewer=me, slug=params.community)
    found = selectors.event_list(viewer=me, community=community, upcoming=params.upcoming)
    page = paginate(found, page=params.page, page_size=params.page_size)
    replies = selectors.replies_of(viewer=me, events=page.items)
    return {
        "items": [_event(e, me, replies) for e in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
    }


@router.post(
    "/events",
    response={201: EventOut, **error_responses(conflict=True)},
    summary="Add an event (the community's core team; org-wide: org admins)",
    description="409 when the event cannot be saved as sent: it ends before it starts, "
    "falls outside 2000-2099, or the video link is not a web address; or, for a series, "
    "its rule never ends, gives more than 100 dates or runs past two years, gives no date, "
    "or lands on a time the clocks skip (errors name body.repeat).",
)
def events_create(request: HttpRequest, payload: EventCreate) -> Reply[dict[str, Any]]:
    me = viewer(request)
    community = None
    if payload.community is not None:
        community = community_selectors.community_get(viewer=me, slug=payload.community)
    fields = EventFields(
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        time_zone=payload.time_zone,
        place=payload.place,
        video_url=payload.video_url,
        capacity=payload.capacity,
    )
    with conflicts(rename={"count": "repeat", "until": "repeat", "rrule": "repeat"}):
        repeat = _repeat(payload)
        event = services.event_create(actor=me, community=community, fields=fields, repeat=repeat)
    return Reply(201, _reread(me, event.pk))


@router.get(
    "/events/{event_id}",
    response={200: EventOut, **error_responses()},
    summary="An event, with its counts and your reply",
)
def events_detail(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    return _reread(viewer(request), event_id)


@router.patch(
    "/events/{event_id}",
    response={200: EventOut, **error_responses(conflict=True)},
    summary="Change an event (the community's core team, org admins)",
    description="Fields left out stay as they are. More places move people up from the "
    "waitlist. 409 when it is cancelled, or the change leaves it ending before it starts.",
)
def events_update(request: HttpRequest, event_id: EventId, payload: EventUpdate) -> dict[str, Any]:
    me = viewer(request)
    event = selectors.event_get(viewer=me, event_id=event_id)
    sent = payload.model_fields_set
    fields = EventFields(
        kind=payload.kind or event.kind,
        title=event.title if payload.title is None else payload.title,
        description=event.description if payload.description is None else payload.description,
        starts_at=payload.starts_at or event.starts_at,
        ends_at=payload.ends_at or event.ends_at,
        time_zone=payload.time_zone or event.time_zone,
        place=event.place if payload.place is None else payload.place,
        video_url=event.video_url if payload.video_url is None else payload.video_url,
        capacity=payload.capacity if "capacity" in sent else event.capacity,
    )
    with conflicts():
        services.event_update(actor=me, event_id=event_id, fields=fields, scope=payload.scope)
    return _reread(me, event_id)


@router.post(
    "/events/{event_id}/cancel",
    response={200: EventOut, **error_responses(conflict=True)},
    summary="Cancel an event (the community's core team, org admins)",
    description="Everyone who replied (going, waiting, interested) is told by bell and email. "
    "409 when it is cancelled already (or, for a series, nothing is left to cancel).",
)
def events_cancel(
    request: HttpRequest, event_id: EventId, params: Query[CancelParams]
) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.event_cancel(actor=me, event_id=event_id, scope=params.scope)
    return _reread(me, event_id)


@router.put(
    "/events/{event_id}/attendance",
    response={200: EventOut, **error_responses(conflict=True)},
    summary="Record who came (the organisers and the event's facilitator)",
    description="Replaces the last record. 409 before the event has started, when it was "
    "cancelled, or when someone listed may not see the event.",
)
def events_attendance(
    request: HttpRequest, event_id: EventId, payload: AttendanceIn
) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.attendance_record(actor=me, event_id=event_id, came=payload.came)
    return _reread(me, event_id)


@router.put(
    "/events/{event_id}/rsvp",
    response={200: EventOut, **error_responses(conflict=True)},
    summary="Say whether you are coming",
    description="going, interested or not_going. going to a full event puts you on its "
    "waitlist; leaving going gives your place to the first waiting. 409 when the event has "
    "ended or was cancelled.",
)
def events_rsvp(request: HttpRequest, event_id: EventId, payload: RsvpIn) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.rsvp_set(actor=me, event_id=event_id, answer=payload.answer)
    return _reread(me, event_id)
