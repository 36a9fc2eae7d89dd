"""The fix a raised signal offers, one click away, and what that click does.

Each fix is done by the service of the app it belongs to (the rotation by facilitation, the
show & tell by events), called with the leader as the actor, so every rule of those apps
holds: the radar only chooses what to propose and words why.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from trellis.agendas.services import Features, agenda_draft_build, community_features_set
from trellis.communities.models import Community, Sponsorship
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid
from trellis.events.models import Event, EventKind
from trellis.events.services import EventFields, event_create
from trellis.facilitation.services import rotation_propose
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person
from trellis.radar.signals import BURNOUT, MEETINGS, SPONSOR, STAGNATION

SHOW_AND_TELL_IN = timedelta(days=21)
SHOW_AND_TELL_AT = time(15, 0)
SHOW_AND_TELL_LASTS = timedelta(hours=1)
RENEWAL_IN = timedelta(days=14)


@dataclass(frozen=True)
class FixOffer:
    pitfall: str
    label: str  # the button
    does: str  # what one click does, said before it is clicked


OFFERS = {
    BURNOUT: FixOffer(
        BURNOUT,
        "Propose a facilitation rotation",
        "Switches the facilitation rotation on if it is off and proposes a facilitator for "
        "each upcoming session from the volunteers, so the leaders stop carrying every one; "
        "each person proposed is asked and can decline.",
    ),
    STAGNATION: FixOffer(
        STAGNATION,
        "Draft a renewal circle",
        "Plans a problem-solving circle two weeks from now whose draft agenda is the "
        "community's longest-waiting open questions and the guides due for review, for you to "
        "edit and publish; switches events and agendas on if they are off.",
    ),
    MEETINGS: FixOffer(
        MEETINGS,
        "Draft a working circle",
        "Plans a problem-solving circle two weeks from now whose draft agenda is members' open "
        "questions and the guides due for review instead of status items, for you to edit and "
        "publish; its notes go to the library.",
    ),
    SPONSOR: FixOffer(
        SPONSOR,
        "Invite the sponsor to a show & tell",
        "Invites the sponsor to the community's next show & tell (planning one three weeks "
        "from now if none is planned) with the impact report linked, so they see the value "
        "the community delivers first-hand.",
    ),
}


def offer_for(pitfall: str) -> FixOffer | None:
    return OFFERS.get(pitfall)


def fix_apply(*, actor: Person, community: Community, pitfall: str) -> str:
    """Do the fix; returns what was done, in a sentence for the leader."""
    if not access.can_act_on_radar(actor, community):
        raise Forbidden("Only the community's leaders can act on its radar.")
    if pitfall == BURNOUT:
        return _rotation(actor, community)
    if pitfall == SPONSOR:
        return _show_and_tell(actor, community)
    if pitfall in (STAGNATION, MEETINGS):
        return _renewal_circle(actor, community, working=pitfall == MEETINGS)
    raise Invalid("This signal has no one-click fix yet.")


def _rotation(actor: Person, community: Community) -> str:
    with transaction.atomic():
        if not community.rotation_enabled:
            community_features_set(
                actor=actor,
                community=community,
                features=Features(events=True, agendas=community.agendas_enabled, rotation=True),
            )
        picks = rotation_propose(actor=actor, community=community)
    if not picks:
        return (
            "The rotation is on, but there is no upcoming session of a recurring event to "
            "staff: plan one and the rotation will propose its facilitators."
        )
    staffed = sum(p.person_id is not None for p in picks)
    people = len({p.person_id for p in picks if p.person_id is not None})
    return (
        f"Facilitators proposed for {staffed} of {len(picks)} upcoming sessions, shared by "
        f"{people} {'person' if people == 1 else 'people'}; each has been asked."
    )


def _renewal_circle(actor: Person, community: Community, *, working: bool) -> str:
    zone = ZoneInfo(settings.TIME_ZONE)
    day = _working_day(timezone.localdate() + RENEWAL_IN)
    starts = datetime.combine(day, SHOW_AND_TELL_AT, tzinfo=zone)
    title = (
        "Working circle: the questions still open"
        if working
        else "Renewal circle: the questions nobody has answered"
    )
    with transaction.atomic():
        if not (community.events_enabled and community.agendas_enabled):
            community_features_set(
                actor=actor,
                community=community,
                features=Features(events=True, agendas=True, rotation=community.rotation_enabled),
            )
        event = event_create(
            actor=actor,
            community=community,
            fields=EventFields(
                kind=EventKind.CIRCLE,
                title=title,
                starts_at=starts,
                ends_at=starts + SHOW_AND_TELL_LASTS,
                time_zone=settings.TIME_ZONE,
                description=(
                    "An hour on what the community has left waiting: the open questions that "
                    "have waited longest and the guides due for review. Bring what you know; "
                    "the notes go to the library."
                ),
            ),
        )
        draft = agenda_draft_build(actor=actor, event_id=event.pk)
    when = f"{timezone.localtime(event.starts_at):%-d %B}"
    items = f"{draft.added} item{'s' if draft.added != 1 else ''}"
    return (
        f"{title.split(':')[0]} planned for {when}: its draft agenda holds {items} (open "
        "questions and guides due for review). Edit and publish it from the event."
    )


def _working_day(day: date) -> date:
    """The first Tuesday, Wednesday or Thursday from `day`, outside the year-end break (when
    nobody comes): the days a sponsor's calendar is most likely to have an hour."""
    while (
        day.weekday() not in (1, 2, 3)
        or (day.month, day.day) >= (12, 22)
        or (day.month == 1 and day.day <= 2)
    ):
        day += timedelta(days=1)
    return day


def _next_show_and_tell(community: Community) -> Event | None:
    return (
        Event.objects.filter(
            community=community,
            kind=EventKind.SHOW_AND_TELL,
            cancelled_at__isnull=True,
            starts_at__gt=timezone.now(),
        )
        .order_by("starts_at")
        .first()
    )


def _show_and_tell(actor: Person, community: Community) -> str:
    sponsors = [
        s.person
        for s in Sponsorship.objects.filter(community=community).select_related("person")
        if s.person.is_active
    ]
    if not sponsors:
        raise Invalid(f"{community.name} has no sponsor to invite: ask an org admin to add one.")
    report = reverse("community-report", kwargs={"slug": community.slug})
    with transaction.atomic():
        event = _next_show_and_tell(community)
        planned = event is None
        if event is None:
            zone = ZoneInfo(settings.TIME_ZONE)
            day = _working_day(timezone.localdate() + SHOW_AND_TELL_IN)
            starts = datetime.combine(day, SHOW_AND_TELL_AT, tzinfo=zone)
            event = event_create(
                actor=actor,
                community=community,
                fields=EventFields(
                    kind=EventKind.SHOW_AND_TELL,
                    title=f"Show & tell: what {community.name} delivered",
                    starts_at=starts,
                    ends_at=starts + SHOW_AND_TELL_LASTS,
                    time_zone=settings.TIME_ZONE,
                    description=(
                        "Members show what they built and solved with the community's help "
                        f"since the last report. Before it: [the impact report]({report})."
                    ),
                ),
            )
        notify(
            recipients=sponsors,
            kind=Kind.INVITATION,
            actor=actor,
            community=community,
            target_type="event",
            target_id=event.pk,
            title=(
                f"{event.title} on {timezone.localtime(event.starts_at):%-d %B}: with "
                f"{community.name}'s impact report"
            ),
            url=reverse("event-detail", kwargs={"pk": event.pk}),
        )
    names = ", ".join(s.name for s in sponsors)
    when = f"{timezone.localtime(event.starts_at):%-d %B}"
    if planned:
        return f"A show & tell is planned for {when} and {names} has been invited, with the report."
    return f"{names} has been invited to the show & tell on {when}, with the report."
