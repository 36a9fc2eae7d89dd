"""The fixes a raised signal offers, each one click away, and what that click does.

Each fix is done by the service of the app it belongs to (the rotation by facilitation, the
show & tell and the brown bag by events, core-team invitations by communities), called with
the leader as the actor, so every rule of those apps holds: the radar only chooses what to
propose, names who it will reach before the click (`fix_preview`) and words why.

A pitfall offers several fixes, the main one first (`offers_for`); a fix's `key` names it in
`fix_apply(fix=...)`. The same key is the same action under every pitfall that offers it,
worded for that pitfall. The preview and the click read the same selection, so the people
a leader is shown are exactly the people invited.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from trellis.agendas.models import TITLE_MAX
from trellis.agendas.scoring import age_words
from trellis.agendas.selectors import open_questions
from trellis.agendas.services import (
    Features,
    agenda_draft_build,
    agenda_item_add,
    community_features_set,
)
from trellis.communities.models import (
    Community,
    CommunityInvitation,
    InvitationStatus,
    Membership,
    Role,
    Sponsorship,
    Visibility,
)
from trellis.communities.services import invitation_create
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid
from trellis.events.models import Event, EventKind
from trellis.events.services import EventFields, event_create
from trellis.expertise.models import TopicEvidence
from trellis.expertise.selectors import unavailable_ids
from trellis.facilitation.services import rotation_propose
from trellis.insights import champions_page, named_lists
from trellis.insights import selectors as insight_selectors
from trellis.insights.levels import ACTIVE, CORE, OCCASIONAL
from trellis.insights.models import MonthlyLevel
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person
from trellis.qa.links import question_url
from trellis.qa.models import Post, PostKind, PostTag
from trellis.radar.signals import BURNOUT, MEETINGS, SPONSOR, STAGNATION
from trellis.radar.words import plural

SHOW_AND_TELL_IN = timedelta(days=21)
SHOW_AND_TELL_AT = time(15, 0)
SHOW_AND_TELL_LASTS = timedelta(hours=1)
RENEWAL_IN = timedelta(days=14)
BROWN_BAG_IN = timedelta(days=21)
BROWN_BAG_AT = time(12, 30)  # a brown bag is a lunchtime talk
CHALLENGE_IN = timedelta(days=28)
CHALLENGE_LASTS = timedelta(hours=2)
CORE_INVITES = 5  # at most this many core-team invitations in one click
CHALLENGE_QUESTIONS = 5
UNANSWERED_FOR = timedelta(days=7)  # asked since then: too soon to say nobody could answer
COMMON_TAGS = 5  # the community's most common question tags a speaker's expertise is read on
SPEAKER_ACTIVE_WITHIN = timedelta(days=365)  # evidence older than this: not active there now
SPEAKER_EVIDENCE = 2  # phrases of evidence shown for the speaker
SPEAKER_MIN_CONTRIBUTIONS = 3  # answers and guides on those tags: fewer is not expertise to present

ROTATION = "rotation"
CORE_TEAM = "core-team"
RENEWAL_CIRCLE = "renewal-circle"
WORKING_CIRCLE = "working-circle"
OUTSIDE_SPEAKER = "outside-speaker"
CHALLENGE = "challenge"
SHOW_AND_TELL = "show-and-tell"


@dataclass(frozen=True)
class FixOffer:
    pitfall: str
    label: str  # the button
    does: str  # what one click does, said before it is clicked
    key: str = ""  # the fix's slug, unique among the pitfall's offers


_CORE_TEAM_DOES = (
    "Invites up to {n} people the participation insights name as ready to move inward (or "
    "as champions with no leading role) to join the core team, each by a community "
    "invitation they accept or decline; who will be invited is listed before you click."
)
_SPEAKER_DOES = (
    "Finds a person outside the community, active in another community you can see, whose "
    "answers and guides are on this community's most common topics, plans a brown bag three "
    "weeks from now for them to speak at, and invites them; who, and why, is shown before "
    "you click."
)

OFFER_LISTS: dict[str, tuple[FixOffer, ...]] = {
    BURNOUT: (
        FixOffer(
            BURNOUT,
            "Propose a facilitation rotation",
            "Switches the facilitation rotation on if it is off and proposes a facilitator "
            "for each upcoming session from the volunteers, so the leaders stop carrying every "
            "one; each person proposed is asked and can decline.",
            ROTATION,
        ),
        FixOffer(
            BURNOUT,
            "Invite active members to the core team",
            _CORE_TEAM_DOES.format(n=CORE_INVITES)
            + " More hands on the core team share the leaders' load.",
            CORE_TEAM,
        ),
    ),
    STAGNATION: (
        FixOffer(
            STAGNATION,
            "Draft a renewal circle",
            "Plans a problem-solving circle two weeks from now whose draft agenda is the "
            "community's longest-waiting open questions and the guides due for review, for you "
            "to edit and publish; switches events and agendas on if they are off.",
            RENEWAL_CIRCLE,
        ),
        FixOffer(
            STAGNATION,
            "Invite active members to the core team",
            _CORE_TEAM_DOES.format(n=CORE_INVITES)
            + " The same core for too long: this moves the people growing into it inward.",
            CORE_TEAM,
        ),
        FixOffer(STAGNATION, "Invite an outside speaker", _SPEAKER_DOES, OUTSIDE_SPEAKER),
        FixOffer(
            STAGNATION,
            "Set a new challenge",
            "Plans a workshop four weeks from now on the oldest questions nobody has answered "
            f"(up to {CHALLENGE_QUESTIONS}), listed with links and as its draft agenda, and "
            "tells the community's active members; switches events and agendas on if they are "
            "off.",
            CHALLENGE,
        ),
    ),
    MEETINGS: (
        FixOffer(
            MEETINGS,
            "Draft a working circle",
            "Plans a problem-solving circle two weeks from now whose draft agenda is members' "
            "open questions and the guides due for review instead of status items, for you to "
            "edit and publish; its notes go to the library.",
            WORKING_CIRCLE,
        ),
        FixOffer(MEETINGS, "Invite an outside speaker", _SPEAKER_DOES, OUTSIDE_SPEAKER),
    ),
    SPONSOR: (
        FixOffer(
            SPONSOR,
            "Invite the sponsor to a show & tell",
            "Invites the sponsor to the community's next show & tell (planning one three weeks "
            "from now if none is planned) with the impact report linked, so they see the value "
            "the community delivers first-hand.",
            SHOW_AND_TELL,
        ),
    ),
}

# The main offer of each pitfall (what the pages showed before there were several).
OFFERS: dict[str, FixOffer] = {pitfall: offers[0] for pitfall, offers in OFFER_LISTS.items()}


def offers_for(pitfall: str) -> list[FixOffer]:
    """The pitfall's fixes, the main one first; none for a pitfall with no fix."""
    return list(OFFER_LISTS.get(pitfall, ()))


def offer_for(pitfall: str) -> FixOffer | None:
    """The pitfall's main fix."""
    return OFFERS.get(pitfall)


def _offer(pitfall: str, fix: str | None) -> FixOffer:
    offers = offers_for(pitfall)
    if not offers:
        raise Invalid("This signal has no one-click fix yet.")
    if fix is None:
        return offers[0]
    found = next((offer for offer in offers if offer.key == fix), None)
    if found is None:
        keys = ", ".join(offer.key for offer in offers)
        raise Invalid(f"This signal has no fix called {fix!r}: choose {keys}.")
    return found


@dataclass(frozen=True)
class Named:
    """A person a fix reaches by name, with why, in words the leader reads."""

    person_id: int
    name: str
    evidence: str


@dataclass(frozen=True)
class FixPreview:
    """What a click would do, read before it: the people it invites (in order) and what
    else it will hold. `fix_apply` reads the same selection."""

    pitfall: str
    key: str
    label: str
    does: str
    people: tuple[Named, ...] = ()
    items: tuple[str, ...] = ()  # the challenge's questions, in order
    audience: str = ""  # who else is told, in words ("12 active members are told")

    @property
    def lines(self) -> list[str]:
        return [
            *(f"{p.name}: {p.evidence}" for p in self.people),
            *self.items,
            *([self.audience] if self.audience else []),
        ]


def _check(actor: Person, community: Community) -> None:
    if not access.can_act_on_radar(actor, community):
        raise Forbidden("Only the community's leaders can act on its radar.")


def fix_preview(
    *, viewer: Person, community: Community, pitfall: str, fix: str | None = None
) -> FixPreview:
    """Who and what the fix would reach, for the page to show before the click; `Invalid`
    (with the same words `fix_apply` would use) when there is nobody or nothing to act on."""
    _check(viewer, community)
    offer = _offer(pitfall, fix)
    people: tuple[Named, ...] = ()
    items: tuple[str, ...] = ()
    audience = ""
    if offer.key == CORE_TEAM:
        people = tuple(_core_candidates(viewer, community))
    elif offer.key == OUTSIDE_SPEAKER:
        speaker = _speaker(viewer, community)
        people = (speaker.named,)
    elif offer.key == CHALLENGE:
        now = timezone.now()
        items = tuple(
            f"{q.title} (asked {age_words(q.created_at, now)})" for q in _unanswered(community, now)
        )
        told = _active_members(viewer, community).values("pk").distinct().count()
        audience = (
            f"{plural(told, 'active member')} will be told."
            if told
            else "No active member to tell: only the event is planned."
        )
    elif offer.key == SHOW_AND_TELL:
        people = tuple(
            Named(s.pk, s.name, f"sponsor of {community.name}") for s in _sponsors(community)
        )
    return FixPreview(
        pitfall=pitfall,
        key=offer.key,
        label=offer.label,
        does=offer.does,
        people=people,
        items=items,
        audience=audience,
    )


@dataclass(frozen=True)
class OfferShown:
    """A fix as the leader sees it before the click: who or what it would involve, or why it
    cannot be taken now (the page and the API show the same)."""

    offer: FixOffer
    preview: FixPreview | None
    refused: str  # "" when it can be taken


def offers_shown(*, viewer: Person, community: Community, pitfall: str) -> list[OfferShown]:
    shown = []
    for offer in offers_for(pitfall):
        try:
            preview = fix_preview(
                viewer=viewer, community=community, pitfall=pitfall, fix=offer.key
            )
        except Invalid as error:
            shown.append(OfferShown(offer, None, error.message))
        else:
            shown.append(OfferShown(offer, preview, ""))
    return shown


def fix_apply(*, actor: Person, community: Community, pitfall: str, fix: str | None = None) -> str:
    """Do the fix (`fix`: one of the pitfall's offers' keys; None: its main one); returns
    what was done, in a sentence for the leader."""
    _check(actor, community)
    offer = _offer(pitfall, fix)
    if offer.key == ROTATION:
        return _rotation(actor, community)
    if offer.key == SHOW_AND_TELL:
        return _show_and_tell(actor, community)
    if offer.key in (RENEWAL_CIRCLE, WORKING_CIRCLE):
        return _renewal_circle(actor, community, working=offer.key == WORKING_CIRCLE)
    if offer.key == CORE_TEAM:
        return _core_team(actor, community)
    if offer.key == OUTSIDE_SPEAKER:
        return _outside_speaker(actor, community)
    if offer.key == CHALLENGE:
        return _challenge(actor, community)
    raise Invalid("This signal has no one-click fix yet.")  # every offer's key is handled above


def _when(event: Event) -> str:
    return f"{timezone.localtime(event.starts_at):%-d %B}"


def _invite_to(event: Event, recipients: list[Person], actor: Person, *, title: str) -> None:
    """An invitation to the event in each recipient's notifications (and email)."""
    notify(
        recipients=recipients,
        kind=Kind.INVITATION,
        actor=actor,
        community=event.community,
        target_type="event",
        target_id=event.pk,
        title=title,
        url=reverse("event-detail", kwargs={"pk": event.pk}),
    )


def _planned_at(after: timedelta, at: time) -> datetime:
    day = _working_day(timezone.localdate() + after)
    return datetime.combine(day, at, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _events_on(actor: Person, community: Community, *, agendas: bool = False) -> None:
    """Switch events (and agendas, when asked) on if they are off, as the leader."""
    if community.events_enabled and (community.agendas_enabled or not agendas):
        return
    community_features_set(
        actor=actor,
        community=community,
        features=Features(
            events=True,
            agendas=agendas or community.agendas_enabled,
            rotation=community.rotation_enabled,
        ),
    )


# -- core-team invitations -------------------------------------------------------------------


def _ready_and_champions(community: Community) -> list[Named]:
    """The insights' people to move inward, in their order: the "Ready to move inward" list
    of the month the champions page shows (as stored by the daily job; read now when nothing
    is stored yet), then the champions who hold no leading role. Named as the page names
    them: nobody who prefers not to be named, nobody who left."""
    stored = champions_page.stored_champions(community=community)
    month = champions_page.lists_month_for(stored, None)
    if month is not None:
        facts = stored.lists[month]
    else:
        latest = insight_selectors.latest_month(community=community)
        facts = named_lists.list_facts(community=community, month=latest) if latest else []
    ready = [f for f in facts if f.key == named_lists.READY]
    found: list[Named] = []
    if ready:
        (listed,) = named_lists.present(ready, cap=named_lists.EVIDENCE_KEPT)
        found += [Named(e.person_id, e.name, e.evidence) for e in listed.entries]
    for row in stored.rows:
        if row.recognised:
            continue
        said = [r for r in row.reasons if not r.startswith("Not yet recognised")]
        evidence = " ".join(["A champion with no leading role yet.", *said[:2]])
        found.append(Named(row.person_id, row.name, evidence))
    return found


def _core_candidates(actor: Person, community: Community) -> list[Named]:
    """Who the core-team fix invites: the insights' people (`_ready_and_champions`), less
    anyone already on the team or a sponsor, anyone who left the community, anyone with an
    invitation to it waiting for an answer, and the actor; at most `CORE_INVITES`."""
    candidates = _ready_and_champions(community)
    ids = {c.person_id for c in candidates}
    memberships = Membership.objects.filter(community=community, person_id__in=ids)
    team = set(
        memberships.filter(left_at__isnull=True, role__in=access.TEAM_ROLES).values_list(
            "person_id", flat=True
        )
    )
    current = set(memberships.filter(left_at__isnull=True).values_list("person_id", flat=True))
    left = set(memberships.filter(left_at__isnull=False).values_list("person_id", flat=True))
    sponsors = set(
        Sponsorship.objects.filter(community=community, person_id__in=ids).values_list(
            "person_id", flat=True
        )
    )
    waiting = set(
        CommunityInvitation.objects.filter(
            community=community, person_id__in=ids, status=InvitationStatus.PENDING
        ).values_list("person_id", flat=True)
    )
    active = set(Person.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    skip = team | sponsors | waiting | (left - current) | {actor.pk}
    chosen: list[Named] = []
    for candidate in candidates:
        pk = candidate.person_id
        if pk in skip or pk not in active or any(c.person_id == pk for c in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) == CORE_INVITES:
            break
    if not chosen:
        raise Invalid(
            f"Nobody in {community.name} is ready to be invited to the core team: the "
            "participation insights name no active member who is not on it already (or who "
            "prefers not to be named, or has been invited and not answered yet)."
        )
    return chosen


def _core_team(actor: Person, community: Community) -> str:
    chosen = _core_candidates(actor, community)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[c.person_id for c in chosen])}
    with transaction.atomic():
        for candidate in chosen:
            invitation_create(
                actor=actor,
                community=community,
                person=people[candidate.person_id],
                role=Role.CORE,
            )
    names = _names([c.name for c in chosen])
    return (
        f"{names} {'has' if len(chosen) == 1 else 'have'} been invited to join "
        f"{community.name}'s core team; each is emailed and accepts or declines from their "
        "home page."
    )


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# -- an outside speaker ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Speaker:
    named: Named  # evidence as the leader may read it (every community they can see)
    public_evidence: str  # evidence from what every signed-in person sees: for the event
    tags: tuple[str, ...]  # the community's tags the speaker knows, best first


def _common_tags(community: Community) -> list[int]:
    """The tags of the community's questions of the last year (what it asks about now), the
    most common first (at most COMMON_TAGS)."""
    rows = (
        PostTag.objects.filter(
            post__community=community,
            post__kind=PostKind.QUESTION,
            post__created_at__gte=timezone.now() - SPEAKER_ACTIVE_WITHIN,
        )
        .values("tag_id", "tag__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "tag__name")[:COMMON_TAGS]
    )
    return [row["tag_id"] for row in rows]


@dataclass(frozen=True)
class _Found:
    """One row of a possible speaker's evidence: a tag, in one community."""

    place: str
    public: bool  # the community is one everyone signed in may see
    tag: str
    answers: int
    accepted: int
    guides: int
    score: float

    @property
    def words(self) -> str:
        """'answered 12 questions tagged kubernetes (5 accepted) in Platform Guild'."""
        parts = []
        if self.answers:
            said = f"answered {plural(self.answers, 'question')} tagged {self.tag}"
            parts.append(f"{said} ({self.accepted} accepted)" if self.accepted else said)
        if self.guides:
            parts.append(f"owns {plural(self.guides, 'guide')} tagged {self.tag}")
        return f"{' and '.join(parts)} in {self.place}"


def _speaker(viewer: Person, community: Community) -> _Speaker:
    """The person outside the community whose evidence on its most common tags, in other
    communities the viewer may see, weighs most. A private community's own events cannot be
    seen from outside it, so it gets no outside speaker."""
    if community.visibility != Visibility.PUBLIC:
        raise Invalid(
            f"{community.name} is private: someone from outside could not see its events. "
            "Invite the speaker to the community first, or ask an org admin for an org-wide "
            "brown bag."
        )
    tags = _common_tags(community)
    if not tags:
        raise Invalid(
            f"{community.name}'s questions carry no tags yet, so there is no topic to find "
            "an outside speaker on."
        )
    members = Membership.objects.filter(community=community, left_at__isnull=True)
    rows = list(
        TopicEvidence.objects.filter(
            access.visible_community_filter(viewer),
            Q(answers__gt=0) | Q(guides__gt=0),
            tag_id__in=tags,
            community__isnull=False,
            person__is_active=True,
            last_at__gte=timezone.now() - SPEAKER_ACTIVE_WITHIN,
        )
        .exclude(community=community)
        .exclude(person_id__in=members.values("person_id"))
        .exclude(person_id=viewer.pk)
        .values_list(
            "person_id",
            "community__name",
            "community__visibility",
            "tag__name",
            "answers",
            "accepted",
            "guides",
            "score",
        )
    )
    by_person: defaultdict[int, list[_Found]] = defaultdict(list)
    for person_id, place, visibility, tag, answers, accepted, guides, score in rows:
        seen_by_all = visibility == Visibility.PUBLIC
        by_person[person_id].append(
            _Found(place, seen_by_all, tag, answers, accepted, guides, score)
        )
    # a speaker knows the topic: a question or two answered is not expertise to present
    enough = {
        pk for pk, found in by_person.items()
        if sum(f.answers + f.guides for f in found) >= SPEAKER_MIN_CONTRIBUTIONS
    }  # fmt: skip
    candidates = enough - unavailable_ids(enough, timezone.localdate())
    candidates &= access.who_can_view_in(community, candidates)
    if not candidates:
        raise Invalid(
            "Nobody outside the community, in the communities you can see, has answered "
            f"{SPEAKER_MIN_CONTRIBUTIONS} questions or more (or written guides) on "
            f"{community.name}'s most common topics lately."
        )
    names = dict(Person.objects.filter(pk__in=candidates).values_list("pk", "name"))
    best = min(
        candidates, key=lambda pk: (-sum(f.score for f in by_person[pk]), names.get(pk, ""), pk)
    )
    strongest = sorted(by_person[best], key=lambda f: (-f.score, -f.answers, f.tag, f.place))
    said = [f.words for f in strongest[:SPEAKER_EVIDENCE]]
    public = [f.words for f in strongest if f.public][:SPEAKER_EVIDENCE]
    topics = tuple(dict.fromkeys(f.tag for f in strongest))
    return _Speaker(
        named=Named(best, names[best], f"{'; '.join(said)}."),
        public_evidence=f"{'; '.join(public)}." if public else "",
        tags=topics,
    )


def _outside_speaker(actor: Person, community: Community) -> str:
    speaker = _speaker(actor, community)
    person = Person.objects.get(pk=speaker.named.person_id)
    topics = _names(list(speaker.tags[:2]))
    starts = _planned_at(BROWN_BAG_IN, BROWN_BAG_AT)
    why = f" They {speaker.public_evidence}" if speaker.public_evidence else ""
    with transaction.atomic():
        _events_on(actor, community)
        event = event_create(
            actor=actor,
            community=community,
            fields=EventFields(
                kind=EventKind.BROWN_BAG,
                title=f"Brown bag: {person.name} on {topics}"[:200],
                starts_at=starts,
                ends_at=starts + SHOW_AND_TELL_LASTS,
                time_zone=settings.TIME_ZONE,
                description=(
                    f"{person.name}, from outside {community.name}, talks about {topics} and "
                    f"what their side of the organisation has learnt about it.{why} Bring "
                    "your lunch and your questions."
                ),
            ),
        )
        _invite_to(
            event,
            [person],
            actor,
            title=(
                f"Speak at {community.name}'s brown bag on {_when(event)}: they would like to "
                f"hear what you know about {topics}"
            ),
        )
    return (
        f"A brown bag is planned for {_when(event)} and {person.name} has been invited to "
        f"speak at it ({speaker.named.evidence.rstrip('.')})."
    )


# -- a new challenge -------------------------------------------------------------------------


def _unanswered(community: Community, now: datetime) -> list[Post]:
    """The community's open questions nobody has answered, the oldest first; `Invalid` when
    there is none to set a challenge on."""
    rows = open_questions(community).filter(answer_count=0, created_at__lte=now - UNANSWERED_FOR)
    found = list(rows.order_by("created_at", "pk")[:CHALLENGE_QUESTIONS])
    if not found:
        raise Invalid(
            f"{community.name} has no open question that has waited a week without an "
            "answer: there is nothing to set a challenge on."
        )
    return found


def _active_members(actor: Person, community: Community) -> QuerySet[Person]:
    """The community's members who took part lately: core, active or occasional in the
    newest month of participation levels (every member while no levels are computed). A
    query: the preview only counts them (a big community has thousands)."""
    members = Person.objects.filter(
        is_active=True,
        memberships__community=community,
        memberships__left_at__isnull=True,
    ).exclude(pk=actor.pk)
    latest = insight_selectors.latest_month(community=community)
    if latest is not None:
        taking_part = MonthlyLevel.objects.filter(
            community=community, month=latest, level__in=[CORE, ACTIVE, OCCASIONAL]
        )
        members = members.filter(pk__in=taking_part.values("person_id"))
    return members.distinct().order_by("name", "pk")


def _challenge(actor: Person, community: Community) -> str:
    now = timezone.now()
    questions = _unanswered(community, now)
    told = list(_active_members(actor, community))
    listed = "\n".join(
        f"- [{q.title}]({question_url(q.pk)}) (asked {age_words(q.created_at, now)})"
        for q in questions
    )
    starts = _planned_at(CHALLENGE_IN, SHOW_AND_TELL_AT)
    with transaction.atomic():
        _events_on(actor, community, agendas=True)
        event = event_create(
            actor=actor,
            community=community,
            fields=EventFields(
                kind=EventKind.WORKSHOP,
                title="Challenge: the questions nobody could answer",
                starts_at=starts,
                ends_at=starts + CHALLENGE_LASTS,
                time_zone=settings.TIME_ZONE,
                description=(
                    "The questions this community has left without a single answer, the "
                    "oldest first. Pick one, work on it together, and post what you find as "
                    f"its answer:\n\n{listed}"
                ),
            ),
        )
        for question in questions:
            agenda_item_add(
                actor=actor,
                event_id=event.pk,
                title=question.title[:TITLE_MAX],
                reason=f"asked {age_words(question.created_at, now)}, no answer yet",
            )
        _invite_to(
            event,
            told,
            actor,
            title=(
                f"{event.title} on {_when(event)}: {plural(len(questions), 'question')} "
                f"{community.name} has left unanswered"
            ),
        )
    return (
        f"A challenge workshop is planned for {_when(event)} on "
        f"{plural(len(questions), 'unanswered question')} (its draft agenda lists them), and "
        f"{plural(len(told), 'active member')} {'has' if len(told) == 1 else 'have'} been "
        "told. Edit and publish the agenda from the event."
    )


# -- the main fixes --------------------------------------------------------------------------


def _sponsors(community: Community) -> list[Person]:
    """The community's sponsors with an account; `Invalid` when it has none to invite."""
    sponsors = [
        s.person
        for s in Sponsorship.objects.filter(community=community).select_related("person")
        if s.person.is_active
    ]
    if not sponsors:
        raise Invalid(f"{community.name} has no sponsor to invite: ask an org admin to add one.")
    return sponsors


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
    sponsors = _sponsors(community)
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
        _invite_to(
            event,
            sponsors,
            actor,
            title=(
                f"{event.title} on {timezone.localtime(event.starts_at):%-d %B}: with "
                f"{community.name}'s impact report"
            ),
        )
    names = ", ".join(s.name for s in sponsors)
    when = f"{timezone.localtime(event.starts_at):%-d %B}"
    if planned:
        return f"A show & tell is planned for {when} and {names} has been invited, with the report."
    return f"{names} has been invited to the show & tell on {when}, with the report."
