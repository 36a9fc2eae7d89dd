"""Reads of value stories and goals. Lists start from what the viewer may read
(`access.visible_stories_filter`), so a private community's stories never reach a list, a
report or the API of someone outside it.

`featured_stories`, `hours_saved` and `goals_of` are what the sponsor's report reads.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.access import Viewer
from trellis.core.errors import Invalid, NotFound
from trellis.events.models import Event, Reply, Rsvp
from trellis.library.models import Resource
from trellis.qa.links import question_url
from trellis.qa.models import Post, PostKind, Thanks
from trellis.stories.models import (
    CYCLE_NAMES,
    MAX_HOURS,
    Audience,
    Cycle,
    Dismissal,
    Goal,
    Helped,
    Risk,
    Source,
    Story,
)

LIST_LIMIT = 200
# After an event, its page asks those who went for a month; then the moment has passed.
EVENT_PROMPT_DAYS = 30


def currency() -> str:
    """The symbol cost estimates are written in (the demo company is in London)."""
    return str(getattr(settings, "TRELLIS_CURRENCY", "£"))


# -- lists ----------------------------------------------------------------------------------


def visible_stories(*, viewer: Viewer) -> QuerySet[Story]:
    return Story.objects.filter(access.visible_stories_filter(viewer))


SHOWS = ("all", "featured", "asked", "hidden")


def community_stories(
    *, viewer: Viewer, community: Community | None, show: str = "all", limit: int = LIST_LIMIT
) -> list[Story]:
    """The stories of one community (none: every community) the viewer may read, newest
    first. `show`: all, featured, asked (detail requested
    and not yet added) or hidden."""
    stories = visible_stories(viewer=viewer)
    if community is not None:
        stories = stories.filter(community=community)
    if show == "featured":
        stories = stories.filter(featured_at__isnull=False, hidden_at__isnull=True)
    elif show == "asked":
        stories = stories.filter(detail_requested_at__isnull=False, detail_added_at__isnull=True)
    elif show == "hidden":
        stories = stories.filter(hidden_at__isnull=False)
    stories = stories.select_related("teller", "goal", "community")
    return list(stories.order_by("-told_at", "-pk")[:limit])


def story_list(*, viewer: Viewer, community: Community | None) -> QuerySet[Story]:
    """For the API: every story the viewer may read, newest first."""
    stories = visible_stories(viewer=viewer)
    if community is not None:
        stories = stories.filter(community=community)
    return stories.select_related("teller", "goal", "community").order_by("-told_at", "-pk")


def story_get(*, viewer: Viewer, story_id: int) -> Story:
    """One story, or NotFound: the same for one the viewer may not read as for none."""
    found = (
        visible_stories(viewer=viewer)
        .select_related("teller", "goal", "community")
        .filter(pk=story_id)
        .first()
    )
    if found is None:
        raise NotFound("No such story.")
    return found


def goals_of(*, community: Community) -> list[Goal]:
    """The community's live goals, oldest first (the caller checked the community is seen)."""
    return list(
        Goal.objects.filter(community=community, retired_at__isnull=True).order_by(
            "created_at", "pk"
        )
    )


def goal_get(*, viewer: Viewer, goal_id: int) -> Goal:
    goal = Goal.objects.select_related("community").filter(pk=goal_id).first()
    if goal is None or not access.can_view_community(viewer, goal.community):
        raise NotFound("No such goal.")
    return goal


# -- the moments a story is told about -----------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """What a story would be about, once the teller's right to tell it is checked."""

    source: str
    source_id: int
    community: Community | None
    title: str  # to the teller: "the answer you accepted on “How do I roll back…”"
    url: str
    about: str = ""  # to every reader, as stored: "the answer they accepted on “…”"


def _post_moment(actor: Viewer, source: str, post_id: int) -> Moment:
    post = (
        Post.objects.select_related("community", "question").filter(pk=post_id).first()
        if post_id
        else None
    )
    if post is None or not access.can_view_in(actor, post.community):
        raise NotFound("No such post.")
    question = post if post.is_question else post.question
    assert question is not None
    if source == Source.ACCEPTED:
        accepted = (
            post.kind == PostKind.ANSWER
            and question.accepted_answer_id == post.pk
            and access.is_self(actor, question.author_id)
        )
        if not accepted:
            raise Invalid("You can tell a story about an answer once you accepted it.")
        title = f"the answer you accepted on “{question.title}”"
        about = f"the answer they accepted on “{question.title}”"
    else:
        if not Thanks.objects.filter(person_id=access.viewer_id(actor), post=post).exists():
            raise Invalid("You can tell a story about a post once you thanked it.")
        what = "question" if post.is_question else "answer"
        title = f"the {what} you thanked on “{question.title}”"
        about = f"the {what} they thanked on “{question.title}”"
    url = question_url(question.pk, None if post.is_question else post.pk)
    return Moment(source, post.pk, post.community, title[:300], url, about[:300])


def _resource_moment(actor: Viewer, resource_id: int) -> Moment:
    resource = Resource.objects.select_related("community").filter(pk=resource_id).first()
    if resource is None or not access.can_view_in(actor, resource.community):
        raise NotFound("No such resource.")
    if not Helped.objects.filter(person_id=access.viewer_id(actor), resource=resource).exists():
        raise Invalid("You can tell a story about a guide once you said it helped you.")
    title = f"“{resource.title}”, which helped you"
    about = f"“{resource.title}”, which helped them"
    url = reverse("resource-detail", args=[resource.pk])
    return Moment(Source.RESOURCE, resource.pk, resource.community, title[:300], url, about[:300])


def _event_moment(actor: Viewer, event_id: int) -> Moment:
    event = Event.objects.select_related("community").filter(pk=event_id).first()
    if event is None or not access.can_view_event(actor, event.community):
        raise NotFound("No such event.")
    if event.is_cancelled or not event.has_ended:
        raise Invalid("You can tell a story about an event once it is over.")
    if not _went(actor, event):
        raise Invalid("You can tell a story about an event you went to.")
    title = f"“{event.title}”, which you went to"
    about = f"“{event.title}”, which they went to"
    url = reverse("event-detail", args=[event.pk])
    return Moment(Source.EVENT, event.pk, event.community, title[:300], url, about[:300])


def _went(actor: Viewer, event: Event) -> bool:
    """Marked as there, or said "going" and not marked absent."""
    return (
        Rsvp.objects.filter(event=event, person_id=access.viewer_id(actor))
        .filter(Q(attended=True) | Q(reply=Reply.GOING, attended__isnull=True))
        .exists()
    )


def moment_of(*, actor: Viewer, source: str, source_id: int) -> Moment:
    """The moment, if `actor` may tell a story about it: NotFound when they may not see it,
    Invalid when it is not theirs to tell (they did not accept, thank, use or go)."""
    if not access.is_signed_in(actor):
        raise NotFound("No such moment.")
    if source in (Source.ACCEPTED, Source.THANKS):
        return _post_moment(actor, source, source_id)
    if source == Source.RESOURCE:
        return _resource_moment(actor, source_id)
    if source == Source.EVENT:
        return _event_moment(actor, source_id)
    raise Invalid(
        "Say what the story is about: an accepted answer, a thanked post, a guide or an event.",
        field_errors={"source": "Not a kind of moment we know."},
    )


@dataclass(frozen=True)
class Prompt:
    """The question "What did this help you do?" about one moment, with what to choose from."""

    moment: Moment
    goals: list[Goal] = field(default_factory=list)
    cycles: tuple[tuple[str, str], ...] = tuple(Cycle.choices)
    audiences: tuple[tuple[str, str], ...] = tuple(Audience.choices)
    risks: tuple[tuple[str, str], ...] = tuple(Risk.choices)


def _answered(viewer: Viewer, source: str, source_id: int) -> bool:
    me = access.viewer_id(viewer)
    told = Story.objects.filter(teller_id=me, source=source, source_id=source_id).exists()
    said_not_now = Dismissal.objects.filter(person_id=me, source=source, source_id=source_id)
    return told or said_not_now.exists()


def prompt_for(*, viewer: Viewer, source: str, source_id: int) -> Prompt | None:
    """The question to ask now about this moment, or None: not theirs, already told, or
    "not now" said. Never raises, so a page can always ask."""
    if not access.is_signed_in(viewer) or _answered(viewer, source, source_id):
        return None
    try:
        moment = moment_of(actor=viewer, source=source, source_id=source_id)
    except (NotFound, Invalid):
        return None
    if not access.can_tell_story_in(viewer, moment.community):
        return None
    goals = goals_of(community=moment.community) if moment.community is not None else []
    return Prompt(moment, goals)


def event_prompt_open(event: Event) -> bool:
    """Whether an event still asks "What did this help you do?": for a month after it."""
    return (
        event.has_ended
        and not event.is_cancelled
        and event.ends_at >= timezone.now() - timedelta(days=EVENT_PROMPT_DAYS)
    )


def event_prompt(*, viewer: Viewer, event: Event) -> Prompt | None:
    """After an event, for a month, the question to those who went."""
    if not event_prompt_open(event):
        return None
    return prompt_for(viewer=viewer, source=Source.EVENT, source_id=event.pk)


def helped_by(*, viewer: Viewer, resource: Resource) -> bool:
    return Helped.objects.filter(person_id=access.viewer_id(viewer), resource=resource).exists()


# -- what the sponsor's report reads -------------------------------------------------------


def _number(value: Decimal | float) -> str:
    rounded = round(float(value), 1)
    return f"{rounded:,.0f}" if rounded.is_integer() else f"{rounded:,.1f}"


def estimate_words(story: Story) -> str:
    """The teller's estimate in a sentence's worth of words ("saved about 6 hours; avoided
    about £2,000"), or "" without one."""
    parts = []
    if story.hours_saved is not None and story.hours_saved > 0:
        hours = _number(story.hours_saved)
        parts.append(f"saved about {hours} hour{'' if hours == '1' else 's'}")
    if story.cost_avoided:
        parts.append(f"avoided about {currency()}{story.cost_avoided:,} in costs")
    if story.risk_reduced:
        parts.append(f"reduced a {Risk(story.risk_reduced).label.lower()} risk")
    if story.made_possible:
        parts.append(f"made possible: {story.made_possible}")
    return "; ".join(parts)


def teller_name(story: Story) -> str:
    return story.teller.name if story.named else "a member"


@dataclass(frozen=True)
class StoryForReport:
    text: str
    cycle_label: str  # "Applied value: I changed how I work"
    estimate_words: str
    teller_name: str  # "a member" when the teller chose not to be named
    told_at: datetime
    goal_name: str | None


def _in_period(
    stories: QuerySet[Story], community: Community | None, start: datetime, end: datetime
) -> QuerySet[Story]:
    stories = stories.filter(told_at__gte=start, told_at__lt=end)
    if community is not None:
        stories = stories.filter(community=community)
    return stories


def featured_stories(
    *, viewer: Viewer, community: Community | None, start: datetime, end: datetime, limit: int = 5
) -> list[StoryForReport]:
    """The featured, not hidden, stories told in [start, end) that `viewer` may read, newest
    first; community None: across the organisation."""
    stories = _in_period(visible_stories(viewer=viewer), community, start, end).filter(
        featured_at__isnull=False, hidden_at__isnull=True
    )
    rows = stories.select_related("teller", "goal").order_by("-told_at", "-pk")[:limit]
    return [
        StoryForReport(
            text=s.text + (f"\n\n{s.detail}" if s.detail else ""),
            cycle_label=f"{CYCLE_NAMES[Cycle(s.cycle)]}: {s.cycle_label}",
            estimate_words=estimate_words(s),
            teller_name=teller_name(s),
            told_at=s.told_at,
            goal_name=s.goal.name if s.goal else None,
        )
        for s in rows
    ]


@dataclass(frozen=True)
class HoursSaved:
    total_hours: float
    stories_with_hours: int
    stories: int
    method: str


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j F Y")


def hours_saved(*, community: Community | None, start: datetime, end: datetime) -> HoursSaved:
    """The hours members estimated their stories saved, told in [start, end), hidden ones
    left out; community None: every community's (an aggregate: no story is shown)."""
    stories = _in_period(Story.objects.filter(hidden_at__isnull=True), community, start, end)
    figures = stories.aggregate(
        total=Sum("hours_saved"),
        told=Count("pk"),
        with_hours=Count("pk", filter=Q(hours_saved__gt=0)),
    )
    total = float(figures["total"] or 0)
    told, with_hours = int(figures["told"]), int(figures["with_hours"])
    last_day = _day(end - timedelta(microseconds=1))
    method = (
        f"The sum of the hours members estimated they saved, in {with_hours} of the {told} "
        f"value stories told between {_day(start)} and {last_day}; stories without an "
        "estimate count as zero, and stories a leader hid are left out. Each estimate is the "
        f"teller's own, capped at {MAX_HOURS:,.0f} hours per story."
    )
    return HoursSaved(round(total, 1), with_hours, told, method)
