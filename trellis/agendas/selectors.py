"""Reads of agendas. Each starts from an event the viewer may see (`events.selectors`), so a
private community's proposals, agenda and notes are as hidden as its events."""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Case, Exists, FloatField, OuterRef, QuerySet, Value, When
from django.db.models.expressions import ExpressionWrapper, F
from django.utils import timezone

from trellis.agendas import scoring
from trellis.agendas.models import Agenda, AgendaItem, Proposal, ProposalVote
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.access import Viewer
from trellis.events import selectors as event_selectors
from trellis.events.models import Event, EventKind
from trellis.library.models import DUE_BEFORE, Resource
from trellis.qa.models import Post, PostKind

PROPOSALS_SHOWN = 200


def event_for_agenda(*, viewer: Viewer, event_id: int) -> Event:
    """The event, or NotFound (the same for a private community's event as a missing one)."""
    return event_selectors.event_get(viewer=viewer, event_id=event_id)


def agenda_of(*, event: Event) -> Agenda | None:
    return Agenda.objects.filter(event=event).select_related("notes_resource").first()


def proposals(*, viewer: Viewer, event: Event) -> list[Proposal]:
    """The event's proposals, most votes first (then oldest), each with `voted`: whether the
    viewer voted for it. One query whatever their number."""
    mine = ProposalVote.objects.filter(proposal=OuterRef("pk"), voter_id=access.viewer_id(viewer))
    rows = (
        Proposal.objects.filter(event=event)
        .select_related("proposed_by")
        .annotate(voted=Exists(mine))
        .order_by("-vote_count", "created_at", "pk")
    )
    return list(rows[:PROPOSALS_SHOWN])


def items(*, agenda: Agenda | None) -> list[AgendaItem]:
    """The agenda's items in order, without the removed ones."""
    if agenda is None:
        return []
    rows = AgendaItem.objects.filter(agenda=agenda, removed_at__isnull=True)
    return list(rows.select_related("speaker", "question", "resource").order_by("position", "pk"))


def _in_place(rows: QuerySet[Post], community: Community | None) -> QuerySet[Post]:
    if community is None:
        return rows.filter(community__isnull=True)
    return rows.filter(community=community)


def open_questions(community: Community | None) -> QuerySet[Post]:
    """Questions still waiting: no accepted answer, not closed, not a duplicate."""
    rows = Post.objects.filter(
        kind=PostKind.QUESTION,
        accepted_answer__isnull=True,
        closed_at__isnull=True,
        duplicate_of__isnull=True,
    )
    return _in_place(rows, community)


def wanted_questions(*, community: Community | None, limit: int) -> list[Post]:
    """The open questions members most want answered, by `scoring.wanted_score`, in SQL: age
    in whole weeks is a CASE over the creation time, which both databases read alike. The
    caller has checked that the viewer may see the community."""
    now = timezone.now()
    weeks = Case(
        *[
            When(created_at__lte=now - timedelta(weeks=w), then=Value(float(w)))
            for w in range(scoring.MAX_WEEKS, 0, -1)
        ],
        default=Value(0.0),
        output_field=FloatField(),
    )
    wanted = ExpressionWrapper(
        F("score") * scoring.VOTE_WEIGHT
        + ExpressionWrapper(F("view_count") * 1.0, output_field=FloatField())
        / scoring.VIEWS_PER_POINT
        + weeks,
        output_field=FloatField(),
    )
    rows = open_questions(community).annotate(wanted=wanted)
    return list(rows.select_related("author").order_by("-wanted", "created_at", "pk")[:limit])


def due_resources(*, community: Community | None, limit: int) -> list[Resource]:
    """Library items due (or overdue) for review, the longest overdue first."""
    due = timezone.now() + DUE_BEFORE
    rows = Resource.objects.filter(
        obsolete_at__isnull=True, canonical__isnull=True, verify_by__lte=due
    )
    rows = (
        rows.filter(community__isnull=True)
        if community is None
        else rows.filter(community=community)
    )
    return list(rows.order_by("verify_by", "pk")[:limit])


@dataclass(frozen=True)
class FirstBrownBag:
    """The suggestion on a new community's page: a brown-bag on its most-wanted question."""

    question: Post
    reason: str
    title: str
    community_slug: str

    @property
    def plan_query(self) -> str:
        """The event form's address query: prefilled with this community, kind and title."""
        return urlencode(
            {"community": self.community_slug, "kind": EventKind.BROWN_BAG, "title": self.title}
        )


def first_brown_bag(*, viewer: Viewer, community: Community) -> FirstBrownBag | None:
    """For those who may plan the community's events, while it has held none yet: the topic
    its members most want, from their open questions. None otherwise (no query for members)."""
    if not access.can_plan_first_event(viewer, community):
        return None
    if Event.objects.filter(community=community).exists():
        return None
    found = wanted_questions(community=community, limit=1)
    if not found:
        return None
    question = found[0]
    now = timezone.now()
    reason = scoring.question_reason(
        votes=question.score,
        views=question.view_count,
        answers=question.answer_count,
        asked_at=question.created_at,
        now=now,
    )
    return FirstBrownBag(question, reason, f"Brown-bag: {question.title}"[:200], community.slug)


def viewer_may_edit(*, viewer: Viewer, event: Event) -> bool:
    return access.can_edit_agenda(
        viewer, event.community, event.facilitator_id, event.created_by_id
    )


def has_started(event: Event) -> bool:
    return event.starts_at <= timezone.now()


def proposals_open(event: Event) -> bool:
    return not event.is_cancelled and not has_started(event)
