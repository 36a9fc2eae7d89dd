"""Paths: one next step for a member's home page, fitted to where they stand.

A level says where someone stands; a path says where they might go next, in their own terms
and with the evidence in figures ("You read 12 questions about helm in the last 90 days: these
2 are waiting for an answer."). One step, never a list of chores, and none rather than one that
does not fit:

- **peripheral, transactional, occasional**: the tags of the questions they read or asked
  lately; open questions on those tags that someone else asked and nobody has answered yet.
  Failing that, a public community they read in without belonging to it; failing that, asking,
  when there is a subject they follow;
- **active**: the next session of the community they contribute to most; failing that, the
  rotation of a community of theirs that shares out facilitating; failing that, the waiting
  questions above;
- **core**: hand something on: the people who joined a community of theirs lately; failing
  that, offering to mentor;
- **inactive**: welcome back, with what changed in their communities since their last visit.

It reads the person's own history and only what they may see (`core.access`): a question,
event or community they may not see is never suggested. A handful of grouped queries whatever
the level, none per item.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from trellis.communities.models import Community, Membership, Status, Visibility
from trellis.core import access
from trellis.core.models import Activity
from trellis.events.models import Event
from trellis.facilitation.models import OptIn
from trellis.insights.levels import (
    ACTIVE,
    CONTRIBUTION_VERBS,
    CORE,
    INACTIVE,
    OCCASIONAL,
    PERIPHERAL,
    READ_SUFFIX,
    TRANSACTIONAL,
)
from trellis.insights.participation_page import rules_in_words
from trellis.insights.selectors import PersonStanding, standing_of
from trellis.insights.thresholds import configured_thresholds
from trellis.mentoring.models import MentorOffer
from trellis.people.models import Person
from trellis.qa.models import Post, PostKind, PostTag

LOOKBACK_DAYS = 90  # "lately": the interests and the contributions a step is worded from
NEWCOMER_DAYS = 30  # who counts as having just joined a community
MAX_ITEMS = 2  # a step names at most this many questions or people
INTEREST_TAGS = 5  # the tags, most engaged first, looked at for waiting questions
# A tag's newest questions looked at for waiting ones: bounds the work on a popular tag, and a
# question left open longer than that has usually been left for a reason.
RECENT_PER_TAG = 1000
QUESTION_READ = "post.view"

# What a step asks of the member (the template and the tests read these).
ANSWER = "answer"  # answer a waiting question on a subject they follow
JOIN = "join"  # join a community they already read in
ASK = "ask"  # ask, about a subject they follow
SESSION = "session"  # come to the next session of their community
FACILITATE = "facilitate"  # volunteer for the facilitation rotation
WELCOME = "welcome"  # welcome the people who just joined their community
MENTOR = "mentor"  # offer to mentor
CATCH_UP = "catch_up"  # back after a while: what changed in their communities


@dataclass(frozen=True)
class StepItem:
    """Something a step names: a question, a session, a person, a community."""

    title: str
    url: str
    detail: str = ""
    since: datetime | None = None  # shown as "<since_verb> 3 days ago"
    since_verb: str = ""


@dataclass(frozen=True)
class NextStep:
    kind: str
    sentence: str  # in the member's words, with the evidence in figures
    link: str
    link_label: str
    items: tuple[StepItem, ...] = ()


def next_step(
    *, person: Person, standing: PersonStanding | None, now: datetime | None = None
) -> NextStep | None:
    """The one step that fits the person's level (`standing`, usually organisation-wide) and
    interests, or None when nothing fits."""
    if standing is None:
        return None
    now = now or timezone.now()
    since = now - timedelta(days=LOOKBACK_DAYS)
    if standing.level in (PERIPHERAL, TRANSACTIONAL, OCCASIONAL):
        return _reader_step(person, since)
    if standing.level == ACTIVE:
        return _active_step(person, since, now)
    if standing.level == CORE:
        return _core_step(person, since, now)
    if standing.level == INACTIVE:
        return _catch_up_step(person, since)
    return None


def home_card(*, person: Person, now: datetime | None = None) -> dict[str, Any]:
    """The context `insights/_where_you_stand.html` needs: the person's organisation-wide
    standing, their next step and the level rules in words."""
    standing = standing_of(person=person, community=None)
    return {
        "standing": standing,
        "next_step": next_step(person=person, standing=standing, now=now),
        "rules": rules_in_words(configured_thresholds()),
    }


# -- words ---------------------------------------------------------------------------------


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _lately() -> str:
    return f"in the last {LOOKBACK_DAYS} days"


def _day(moment: datetime, zone_name: str = "") -> str:
    """'Thursday 13 March', in the zone the organiser planned in (the site's otherwise)."""
    try:
        zone = ZoneInfo(zone_name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}"


def _place(community_name: str | None) -> str:
    return f"in {community_name}" if community_name else "for the whole organisation"


# -- peripheral, transactional, occasional: the questions on what they read -----------------


@dataclass(frozen=True)
class _Interest:
    tag_id: int
    tag: str
    read: int  # other people's questions read lately
    asked: int  # questions asked lately

    @property
    def total(self) -> int:
        return self.read + self.asked

    def in_words(self) -> str:
        if self.read and self.asked:
            return (
                f"You read {_plural(self.read, 'question')} about {self.tag} and asked "
                f"{self.asked} {_lately()}"
            )
        if self.read:
            return f"You read {_plural(self.read, 'question')} about {self.tag} {_lately()}"
        return f"You asked {_plural(self.asked, 'question')} about {self.tag} {_lately()}"


def _interests(person: Person, since: datetime) -> list[_Interest]:
    """The tags of the questions the person read (someone else's) or asked lately, most
    engaged first: two grouped queries, over what they may still see."""
    visible = access.visible_community_filter(person, "post__community")
    read_ids = Activity.objects.filter(
        actor=person, verb=QUESTION_READ, object_type="post", created_at__gte=since
    ).values("object_id")
    read = (
        PostTag.objects.filter(visible, post__in=read_ids, post__kind=PostKind.QUESTION)
        .exclude(post__author=person)
        .order_by()
        .values("tag_id", "tag__name")
        .annotate(questions=Count("post", distinct=True))
        .values_list("tag_id", "tag__name", "questions")
    )
    asked = (
        PostTag.objects.filter(
            visible, post__author=person, post__kind=PostKind.QUESTION, post__created_at__gte=since
        )
        .order_by()
        .values("tag_id", "tag__name")
        .annotate(questions=Count("post", distinct=True))
        .values_list("tag_id", "tag__name", "questions")
    )
    reads = {(tag_id, tag): n for tag_id, tag, n in read}
    asks = {(tag_id, tag): n for tag_id, tag, n in asked}
    interests = [
        _Interest(tag_id, tag, reads.get((tag_id, tag), 0), asks.get((tag_id, tag), 0))
        for tag_id, tag in reads.keys() | asks.keys()
    ]
    return sorted(interests, key=lambda i: (-i.total, i.tag))


def _waiting_questions(person: Person) -> "QuerySet[Post]":
    """Open questions the person may see and answer, asked by someone else, unanswered."""
    return (
        Post.objects.filter(
            access.visible_community_filter(person),
            kind=PostKind.QUESTION,
            answer_count=0,
            closed_at__isnull=True,
            duplicate_of__isnull=True,
        )
        .exclude(author=person)
        .exclude(community__status=Status.ARCHIVED)
    )


def _answer_step(person: Person, interests: list[_Interest]) -> NextStep | None:
    """The newest waiting questions on the most engaged tag that has any. Two queries per tag
    tried (most often one tag), and one for the questions shown: the tag's newest
    RECENT_PER_TAG questions (from the index on tag and post), then the waiting ones among
    them, so that a tag on half the organisation's questions costs what a rare one does. The
    ids go in as a list: given a subquery, the planner would rather read every waiting
    question of the organisation."""
    waiting = _waiting_questions(person)
    for interest in interests[:INTEREST_TAGS]:
        recent = list(
            PostTag.objects.filter(tag_id=interest.tag_id)
            .order_by("-post_id")
            .values_list("post_id", flat=True)[:RECENT_PER_TAG]
        )
        # Sorted here, not in SQL: told to sort, the planner walks the newest questions of
        # the whole organisation looking for these.
        found = sorted(
            waiting.filter(pk__in=recent).order_by().values_list("created_at", "pk"),
            reverse=True,
        )
        if found:
            break
    else:
        return None
    if len(found) == 1:
        waiting_words = "this one is waiting for an answer"
    elif len(found) <= MAX_ITEMS:
        waiting_words = f"these {len(found)} are waiting for an answer"
    else:
        waiting_words = f"these {MAX_ITEMS} and more are waiting for an answer"
    shown = [pk for _, pk in found[:MAX_ITEMS]]
    by_pk = Post.objects.select_related("community").in_bulk(shown)
    questions = [by_pk[pk] for pk in shown]
    items = tuple(
        StepItem(
            title=q.title,
            url=reverse("question-detail", args=[q.pk]),
            detail=_place(q.community.name if q.community else None),
            since=q.created_at,
            since_verb="asked",
        )
        for q in questions
    )
    query = urlencode({"tag": interest.tag, "sort": "unanswered"})
    return NextStep(
        kind=ANSWER,
        sentence=f"{interest.in_words()}: {waiting_words}.",
        link=f"{reverse('question-list')}?{query}",
        link_label=f"Unanswered questions about {interest.tag}",
        items=items,
    )


def _join_step(person: Person, since: datetime) -> NextStep | None:
    """A public community the person read in lately without belonging to it (the one they
    read most in)."""
    reads = (
        Activity.objects.filter(
            actor=person,
            created_at__gte=since,
            verb__endswith=READ_SUFFIX,
            community__visibility=Visibility.PUBLIC,
        )
        .exclude(community__status=Status.ARCHIVED)
        .exclude(community__in=access.joined_community_ids(person))
        .order_by()
        .values("community_id", "community__name")
        .annotate(pages=Count("pk"))
        .values_list("community_id", "community__name", "pages")
    )
    ranked = sorted(reads, key=lambda row: (-row[2], row[1]))
    if not ranked:
        return None
    community = Community.objects.get(pk=ranked[0][0])
    if not access.can_join(person, community):
        return None
    return NextStep(
        kind=JOIN,
        sentence=(
            f"You read {_plural(ranked[0][2], 'page')} in {community.name} {_lately()}: "
            "join it to hear about its questions and sessions."
        ),
        link=reverse("community-detail", args=[community.slug]),
        link_label=f"Join {community.name}",
    )


def _ask_step(interests: list[_Interest]) -> NextStep | None:
    """Nothing waits on the subject they follow: when it puzzles them, ask."""
    if not interests:
        return None
    top = interests[0]
    return NextStep(
        kind=ASK,
        sentence=(
            f"{top.in_words()}. No one else's question about {top.tag} is waiting for an "
            "answer just now: "
            f"when something about {top.tag} puzzles you, ask, and colleagues who know it "
            "will see it."
        ),
        link=reverse("question-ask"),
        link_label="Ask a question",
    )


def _reader_step(person: Person, since: datetime) -> NextStep | None:
    interests = _interests(person, since)
    return _answer_step(person, interests) or _join_step(person, since) or _ask_step(interests)


# -- active: the next session where they contribute most ------------------------------------


@dataclass(frozen=True)
class _Contributions:
    answers: int  # answers written lately, anywhere
    total: int  # every write lately: activity-log writes, and imported posts
    by_community: Counter[int]

    def ranked(self) -> list[int]:
        return [c for c, _ in sorted(self.by_community.items(), key=lambda kv: (-kv[1], kv[0]))]

    def in_words(self) -> str:
        if self.answers:
            return f"You answered {_plural(self.answers, 'question')} {_lately()}"
        if self.total:
            return f"You contributed {_plural(self.total, 'time')} {_lately()}"
        return "You have been contributing regularly"


def _contributions(person: Person, since: datetime) -> _Contributions:
    """What the person wrote lately, per community: the activity log's writes, and posts
    loaded in bulk (the importers record no activity for them), as the levels count them."""
    logged = (
        Activity.objects.filter(actor=person, created_at__gte=since, verb__in=CONTRIBUTION_VERBS)
        .order_by()
        .values("community_id")
        .annotate(writes=Count("pk"))
        .values_list("community_id", "writes")
    )
    posts = (
        Post.objects.filter(author=person, created_at__gte=since)
        .order_by()
        .values("community_id")
        .annotate(
            answered=Count("pk", filter=Q(kind=PostKind.ANSWER)),
            imported=Count("pk", filter=~Q(source="")),
        )
        .values_list("community_id", "answered", "imported")
    )
    by_community: Counter[int] = Counter()
    total = answers = 0
    for community_id, writes in logged:
        total += writes
        if community_id is not None:
            by_community[community_id] += writes
    for community_id, answered, imported in posts:
        answers += answered
        total += imported
        if community_id is not None and imported:
            by_community[community_id] += imported
    return _Contributions(answers=answers, total=total, by_community=by_community)


def _session_step(person: Person, done: _Contributions, now: datetime) -> NextStep | None:
    """The next session the person may see in the community they contribute to most (or the
    next of those, when that one has none planned)."""
    ranked = done.ranked()
    if not ranked:
        return None
    soonest = dict(
        Event.objects.filter(
            access.visible_events_filter(person),
            community_id__in=ranked,
            community__events_enabled=True,
            starts_at__gt=now,
            cancelled_at__isnull=True,
        )
        .order_by()
        .values("community_id")
        .annotate(first=Min("starts_at"))
        .values_list("community_id", "first")
    )
    community_id = next((c for c in ranked if c in soonest), None)
    if community_id is None:
        return None
    event = (
        Event.objects.filter(
            community_id=community_id, starts_at=soonest[community_id], cancelled_at__isnull=True
        )
        .select_related("community")
        .order_by("pk")
        .first()
    )
    if event is None or event.community is None:  # cancelled between the two reads
        return None
    day = _day(event.starts_at, event.time_zone)
    detail = f"{day}, {event.place}" if event.place else day
    return NextStep(
        kind=SESSION,
        sentence=(
            f"{done.in_words()}: {event.community.name}'s next session is “{event.title}” on {day}."
        ),
        link=reverse("event-detail", args=[event.pk]),
        link_label="Say whether you're coming",
        items=(StepItem(event.title, reverse("event-detail", args=[event.pk]), detail),),
    )


def _facilitate_step(person: Person, done: _Contributions) -> NextStep | None:
    """A community of theirs whose rotation is on and which they have not volunteered for
    yet (the one they contribute to most first)."""
    candidates = list(
        Community.objects.filter(pk__in=access.joined_community_ids(person), rotation_enabled=True)
        .exclude(status=Status.ARCHIVED)
        .exclude(pk__in=OptIn.objects.filter(person=person).values("community_id"))
    )
    if not candidates:
        return None
    community = min(candidates, key=lambda c: (-done.by_community.get(c.pk, 0), c.name))
    if not access.can_volunteer_to_facilitate(person, community):
        return None
    return NextStep(
        kind=FACILITATE,
        sentence=(
            f"{done.in_words()}: {community.name} shares out facilitating its sessions. "
            "Would you take one?"
        ),
        link=reverse("rotation", args=[community.slug]),
        link_label="Volunteer to facilitate",
    )


def _active_step(person: Person, since: datetime, now: datetime) -> NextStep | None:
    done = _contributions(person, since)
    return (
        _session_step(person, done, now)
        or _facilitate_step(person, done)
        or _answer_step(person, _interests(person, since))
    )


# -- core: hand something on ----------------------------------------------------------------


def _welcome_step(person: Person, done: _Contributions, now: datetime) -> NextStep | None:
    """The people who joined a community of the person's lately (the community they
    contribute to most, among those with anyone new)."""
    recent = Membership.objects.filter(
        community__in=access.joined_community_ids(person),
        joined_at__gte=now - timedelta(days=NEWCOMER_DAYS),
        left_at__isnull=True,
        person__is_active=True,
    ).exclude(person=person)
    per_community = list(
        recent.order_by()
        .values("community_id", "community__name", "community__slug")
        .annotate(people=Count("person_id", distinct=True))
        .values_list("community_id", "community__name", "community__slug", "people")
    )
    if not per_community:
        return None
    community_id, name, slug, people = min(
        per_community, key=lambda row: (-done.by_community.get(row[0], 0), -row[3], row[1])
    )
    joined = (
        recent.filter(community_id=community_id)
        .select_related("person__department")
        .order_by("-joined_at", "-pk")[:MAX_ITEMS]
    )
    items = tuple(
        StepItem(
            title=m.person.name,
            url=reverse("person-detail", args=[m.person_id]),
            detail=m.person.department.name if m.person.department else "",
            since=m.joined_at,
            since_verb="joined",
        )
        for m in joined
    )
    who = "1 person" if people == 1 else f"{people} people"
    return NextStep(
        kind=WELCOME,
        sentence=(
            f"{who} joined {name} in the last {NEWCOMER_DAYS} days. You know how things work "
            f"there: a welcome from you helps them find their feet."
        ),
        link=reverse("community-detail", args=[slug]),
        link_label=f"Meet {name}'s members",
        items=items,
    )


def _mentor_step(person: Person) -> NextStep | None:
    """Offer to mentor, unless they already said what they would help with, or said no."""
    offer = MentorOffer.objects.filter(person=person).first()
    if offer is not None and (not offer.open or offer.capacity == 0 or offer.note):
        return None
    months = configured_thresholds().window_months
    return NextStep(
        kind=MENTOR,
        sentence=(
            f"You contributed every month for the last {months} months. Newcomers look for "
            "mentors from other teams: say what you would be glad to help with."
        ),
        link=reverse("mentor-offer-edit"),
        link_label="Offer to mentor",
    )


def _core_step(person: Person, since: datetime, now: datetime) -> NextStep | None:
    return _welcome_step(person, _contributions(person, since), now) or _mentor_step(person)


# -- inactive: welcome back ----------------------------------------------------------------


def _catch_up_step(person: Person, since: datetime) -> NextStep | None:
    """What changed in the person's communities since their last visit: the new questions,
    and how many still wait for an answer."""
    last: datetime | None = (
        Activity.objects.filter(actor=person)
        .filter(Q(verb__in=CONTRIBUTION_VERBS) | Q(verb__endswith=READ_SUFFIX))
        .aggregate(last=Max("created_at"))["last"]
    )
    start = last if last is not None else since
    per_community = list(
        Post.objects.filter(
            kind=PostKind.QUESTION,
            community__in=access.joined_community_ids(person),
            created_at__gt=start,
        )
        .exclude(author=person)
        .order_by()
        .values("community_id", "community__name", "community__slug")
        .annotate(
            asked=Count("pk"),
            waiting=Count("pk", filter=Q(answer_count=0, closed_at__isnull=True)),
        )
        .values_list("community__name", "community__slug", "asked", "waiting")
    )
    if not per_community:
        return None
    per_community.sort(key=lambda row: (-row[2], row[0]))
    asked = sum(row[2] for row in per_community)
    waiting = sum(row[3] for row in per_community)
    when = (
        f"Since your last visit in {timezone.localtime(last):%B %Y}"
        if last is not None
        else f"In the last {LOOKBACK_DAYS} days"
    )
    still = f", {waiting} still waiting for an answer" if waiting else ""
    items = tuple(
        StepItem(
            title=name,
            url=reverse("community-questions", args=[slug]),
            detail=_plural(n, "new question") + (f", {w} waiting" if w else ""),
        )
        for name, slug, n, w in per_community[:MAX_ITEMS]
    )
    return NextStep(
        kind=CATCH_UP,
        sentence=(
            f"Welcome back. {when}, {_plural(asked, 'question was', 'questions were')} asked "
            f"in your communities{still}."
        ),
        link=reverse("community-questions", args=[per_community[0][1]]),
        link_label=f"See what's new in {per_community[0][0]}",
        items=items,
    )
