"""The help edges champions are ranked from (`champions.HelpEdge`), read from the database.

Help is one person making another succeed, and each edge says whether it worked:

- **an answer to someone else's question** (the answerer helped the asker): accepted, up-voted,
  or thanked by the asker (a "thank you" on the answer, or a comment of the asker's on it that
  says thanks, as imported threads record it). Answers to one's own question are not help.
  Whoever else thanked the answer was helped by it too: an edge to each of them, thanked;
- **a guide that helped** ("This helped me" on a library resource): each of its owners helped
  the person who said so;
- **a session facilitated** (held, not cancelled): the facilitator helped each attendee the
  organiser recorded.

A comment is not an edge: nothing records whether a comment helped (a thank-you is given to a
post), so counting comments would count talk, not help. Guides and sessions carry no vote or
acceptance, yet the helped person said or showed that they worked: they are `RecordedHelp`,
whose `worked` is always true.

Edges are dated when the help was given (the answer written, the guide marked, the session
held) and read for `champions.LOOKBACK_DAYS` up to `now`. A community's edges are the help
given in it; the organisation's are all of them (org-wide questions and sessions included),
a list only org admins read. Each person's department is `Person.department`.

"Recognised" people hold a leading role: in a community, its team (leader, facilitator, core
team, `access.TEAM_ROLES`), its sponsors and org admins; organisation-wide, anyone on a
community's team, any sponsor, and org admins.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import batched
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from trellis.communities.models import Community, Membership, Sponsorship
from trellis.core import access
from trellis.events.models import Event, Rsvp
from trellis.insights.champions import LOOKBACK_DAYS, HelpEdge
from trellis.people.models import Person
from trellis.qa.models import Comment, Post, PostKind, Thanks, Vote
from trellis.stories.models import Helped

SESSION, GUIDE = "session", "guide"
BATCH = 2000  # ids per IN list (SQLite's parameter limit)
THANKS_WORD = "thank"  # an asker's comment with it is a thank-you (imported threads have no other)

Scope = int | None  # a community's id; None: outside any community (org-wide content)


@dataclass(frozen=True)
class RecordedHelp(HelpEdge):
    """Help that worked without a vote or an acceptance: a session the helped person came to
    (the organiser recorded it) or a guide they marked "This helped me". `source` is the event
    or resource, so the sessions and guides behind someone's help can be counted."""

    how: str = SESSION
    source: int = 0

    @property
    def worked(self) -> bool:
        return True


@dataclass(frozen=True)
class ScopedEdge:
    """An edge and the community it happened in (None: organisation-wide content)."""

    community_id: Scope
    edge: HelpEdge


def _in_scope(rows: "QuerySet[Any]", field: str, community: Community | None) -> "QuerySet[Any]":
    return rows if community is None else rows.filter(**{field: community})


def _answers(community: Community | None, start: datetime, now: datetime) -> Iterator[ScopedEdge]:
    """Each answer to someone else's question, with what the asker and readers made of it."""
    answers = Post.objects.filter(
        kind=PostKind.ANSWER,
        author__isnull=False,
        question__author__isnull=False,
        created_at__gte=start,
        created_at__lte=now,
    ).exclude(author=F("question__author"))
    asker = OuterRef("question__author")
    rows = (
        _in_scope(answers, "community", community)
        .annotate(
            upvoted=Exists(Vote.objects.filter(post=OuterRef("pk"), value=1, created_at__lte=now)),
            thanked=Exists(
                Thanks.objects.filter(post=OuterRef("pk"), person=asker, created_at__lte=now)
            )
            | Exists(
                Comment.objects.filter(
                    post=OuterRef("pk"),
                    author=asker,
                    body__icontains=THANKS_WORD,
                    created_at__lte=now,
                )
            ),
        )
        .order_by()
        .values_list(
            "community_id",
            "author_id",
            "question__author_id",
            "created_at",
            "question__accepted_answer_id",
            "pk",
            "upvoted",
            "thanked",
            "author__department__name",
            "question__author__department__name",
        )
    )
    for scope, helper, helped, at, accepted, pk, up, thanked, given, got in rows.iterator(5000):
        yield ScopedEdge(
            scope,
            HelpEdge(
                helper=helper,
                helped=helped,
                at=at,
                accepted=accepted == pk,
                upvoted=bool(up),
                thanked=bool(thanked),
                helper_department=given,
                helped_department=got,
            ),
        )


def _thanks_from_readers(
    community: Community | None, start: datetime, now: datetime
) -> Iterator[ScopedEdge]:
    """A thank-you on an answer from someone other than its author and the asker: the answer
    helped them too (dated when they said so)."""
    thanks = (
        Thanks.objects.filter(
            post__kind=PostKind.ANSWER,
            post__author__isnull=False,
            created_at__gte=start,
            created_at__lte=now,
        )
        .exclude(person=F("post__author"))
        .exclude(person=F("post__question__author"))
    )
    rows = (
        _in_scope(thanks, "post__community", community)
        .order_by()
        .values_list(
            "post__community_id",
            "post__author_id",
            "person_id",
            "created_at",
            "post__author__department__name",
            "person__department__name",
        )
    )
    for scope, helper, helped, at, given, got in rows.iterator(5000):
        yield ScopedEdge(
            scope,
            HelpEdge(
                helper=helper,
                helped=helped,
                at=at,
                thanked=True,
                helper_department=given,
                helped_department=got,
            ),
        )


def _guides(community: Community | None, start: datetime, now: datetime) -> Iterator[ScopedEdge]:
    """ "This helped me" on a guide: each of its owners helped the person who said so."""
    marks = Helped.objects.filter(created_at__gte=start, created_at__lte=now)
    rows = (
        _in_scope(marks, "resource__community", community)
        .order_by()
        .values_list(
            "resource__community_id",
            "resource__owners",
            "person_id",
            "created_at",
            "resource_id",
            "resource__owners__department__name",
            "person__department__name",
        )
    )
    for scope, helper, helped, at, resource, given, got in rows.iterator(5000):
        if helper is None or helper == helped:  # a guide nobody owns; one's own guide
            continue
        yield ScopedEdge(
            scope,
            RecordedHelp(
                helper=helper,
                helped=helped,
                at=at,
                helper_department=given,
                helped_department=got,
                how=GUIDE,
                source=resource,
            ),
        )


def _sessions(community: Community | None, start: datetime, now: datetime) -> Iterator[ScopedEdge]:
    """Each attendee of a session held (not cancelled, over by `now`), helped by its
    facilitator."""
    held = Event.objects.filter(
        starts_at__gte=start,
        ends_at__lte=now,
        cancelled_at__isnull=True,
        facilitator__isnull=False,
    )
    came = Rsvp.objects.filter(attended=True, event__in=_in_scope(held, "community", community))
    rows = (
        came.exclude(person=F("event__facilitator"))
        .order_by()
        .values_list(
            "event__community_id",
            "event__facilitator_id",
            "person_id",
            "event__starts_at",
            "event_id",
            "event__facilitator__department__name",
            "person__department__name",
        )
    )
    for scope, helper, helped, at, event, given, got in rows.iterator(5000):
        yield ScopedEdge(
            scope,
            RecordedHelp(
                helper=helper,
                helped=helped,
                at=at,
                helper_department=given,
                helped_department=got,
                how=SESSION,
                source=event,
            ),
        )


def scoped_help_edges(*, community: Community | None, now: datetime) -> list[ScopedEdge]:
    """Every help edge of the lookback up to `now`, with the community it happened in: in one
    community, or everywhere (None). Four queries, none per person."""
    start = now - timedelta(days=LOOKBACK_DAYS)
    return [
        *_answers(community, start, now),
        *_thanks_from_readers(community, start, now),
        *_guides(community, start, now),
        *_sessions(community, start, now),
    ]


def help_edges(*, community: Community | None, now: datetime) -> list[HelpEdge]:
    """The help edges of a community (None: the organisation, everything) over the lookback."""
    return [scoped.edge for scoped in scoped_help_edges(community=community, now=now)]


def edges_by_scope(edges: Iterable[ScopedEdge]) -> dict[Scope, list[HelpEdge]]:
    """The edges grouped by the community they happened in (None: organisation-wide)."""
    grouped: defaultdict[Scope, list[HelpEdge]] = defaultdict(list)
    for scoped in edges:
        grouped[scoped.community_id].append(scoped.edge)
    return dict(grouped)


def recognised_among(*, community: Community | None, people: Collection[int]) -> set[int]:
    """Which of `people` hold a leading role in the scope: the community's team, its sponsors
    and org admins (organisation-wide: any community's team, any sponsor, org admins)."""
    found: set[int] = set()
    for batch in batched(sorted(set(people)), BATCH):
        team = Membership.objects.filter(
            person_id__in=batch, left_at__isnull=True, role__in=access.TEAM_ROLES
        )
        sponsors = Sponsorship.objects.filter(person_id__in=batch)
        if community is not None:
            team, sponsors = team.filter(community=community), sponsors.filter(community=community)
        leading = Person.objects.filter(pk__in=batch).filter(
            Q(is_org_admin=True)
            | Q(pk__in=team.values("person_id"))
            | Q(pk__in=sponsors.values("person_id"))
        )
        found.update(leading.values_list("pk", flat=True))
    return found


def with_accounts(people: Collection[int]) -> set[int]:
    """Which of `people` have an account now: the others (known only from an import, or gone)
    cannot be invited or thanked, so they are ranked (they shaped the network) but not listed."""
    found: set[int] = set()
    for batch in batched(sorted(set(people)), BATCH):
        found.update(
            Person.objects.filter(pk__in=batch, is_active=True).values_list("pk", flat=True)
        )
    return found
