"""Mentors for newcomers: suggestions, your mentorships, your mentor offer, cohort matching.

Suggestions and their reasons come only from evidence the mentee may see. A mentorship exists,
for the API, only for its mentor and its mentee (404 for everyone else).
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import (
    JSON_INTEGER,
    MAX_ID,
    Flag,
    Id,
    Input,
    Maybe,
    Message,
    Paged,
    PageParams,
    PersonBrief,
    PersonRef,
    QueryParams,
)
from trellis.core.errors import NotFound
from trellis.core.pagination import Page, paginate
from trellis.mentoring import matching, selectors, services
from trellis.mentoring.models import MAX_CAPACITY, MentorOffer, Mentorship, MentorshipStatus
from trellis.people.models import Person

router = Router(tags=["mentoring"])

MentorshipId = PathEx[int, P(ge=1, le=MAX_ID, description="A mentorship's id.")]
Note = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]


# -- schemas ------------------------------------------------------------------------------


class TopicFitOut(Schema):
    tag: str
    answers: int
    accepted: int
    guides: int


class SuggestionOut(Schema):
    mentor: PersonRef
    score: float
    reasons: list[str] = Field(description="Why, from evidence the mentee may see only.")
    topics: list[TopicFitOut]
    skills: list[str] = Field(description="The mentor's listed skills that you name.")
    other_department: bool
    communities: int = Field(description="The mentor's communities that you may see.")
    departments_reached: int = Field(description="Departments among those communities' members.")
    free_places: int


class SuggestionParams(QueryParams):
    limit: int = Field(10, ge=1, le=50)


class MentorshipOut(Schema):
    id: int
    mentor: PersonRef
    mentee: PersonRef
    status: MentorshipStatus
    your_role: str | None = Field(description="mentor or mentee (none for an org admin's).")
    proposed_by: PersonBrief | None
    cohort_id: int | None
    message: str
    reasons: list[str]
    mentor_accepted: bool
    mentee_accepted: bool
    declined_by: PersonBrief | None
    decline_reason: str
    created_at: datetime
    decided_at: datetime | None
    ended_at: datetime | None


class MentorshipPage(Paged[MentorshipOut]):
    pass


class MentorshipParams(PageParams):
    status: MentorshipStatus | None = Field(None, description="Only mentorships in this state.")


class ProposeIn(Input):
    mentor_id: Id = Field(description="Who would mentor.")
    mentee_id: Maybe[Id] = Field(None, description="Who would be mentored; you, if left out.")
    message: Message = Field("", description="A few words for the other side.")


class DeclineIn(Input):
    reason: Message = Field("", description="Why (shown to the other side).")


class OfferOut(Schema):
    open: bool
    capacity: int
    note: str


Capacity = Annotated[
    int, Field(ge=0, le=MAX_CAPACITY, description="Open mentorships at most."), JSON_INTEGER
]


class OfferIn(Input):
    open: Flag = Field(True, description="May be suggested and asked as a mentor.")
    capacity: Capacity = 2
    note: Note = Field("", description="What you are glad to help with.")


class PlannedPairOut(Schema):
    mentee: PersonRef
    mentee_start_date: date | None
    mentor: PersonRef
    score: float
    reasons: list[str]


class UnmatchedOut(Schema):
    mentee: PersonRef
    why: str


class CohortPlanOut(Schema):
    window_days: int
    newcomers: int
    total_score: float
    pairs: list[PlannedPairOut]
    unmatched: list[UnmatchedOut]


class PairIn(Input):
    mentee_id: Id
    mentor_id: Id


class CohortIn(Input):
    pairs: list[PairIn] = Field(min_length=1, max_length=2000, description="As previewed.")
    note: Note = Field("", description="Shown with every proposal.")


class CohortOut(Schema):
    id: int
    created_at: datetime
    window_days: int
    note: str
    mentorships: list[MentorshipOut]


# -- helpers ------------------------------------------------------------------------------


def _suggestion(s: selectors.Suggestion) -> dict[str, Any]:
    return {
        "mentor": s.mentor,
        "score": round(s.score, 6),
        "reasons": s.reasons,
        "topics": [
            {"tag": t.tag, "answers": t.answers, "accepted": t.accepted, "guides": t.guides}
            for t in s.topics
        ],
        "skills": s.skills,
        "other_department": s.other_department,
        "communities": s.communities,
        "departments_reached": s.departments_reached,
        "free_places": s.free,
    }


def _mentorship(m: Mentorship, me: Person) -> dict[str, Any]:
    return {
        "id": m.pk,
        "mentor": m.mentor,
        "mentee": m.mentee,
        "status": m.status,
        "your_role": {m.mentor_id: "mentor", m.mentee_id: "mentee"}.get(me.pk),
        "proposed_by": m.proposed_by,
        "cohort_id": m.cohort_id,
        "message": m.message,
        "reasons": m.reasons_for(
            selectors.reader_of(me, m),
            today=timezone.localdate(),
            newcomer_since=selectors.newcomer_since(),
        ),
        "mentor_accepted": m.mentor_accepted_at is not None,
        "mentee_accepted": m.mentee_accepted_at is not None,
        "declined_by": m.declined_by,
        "decline_reason": m.decline_reason,
        "created_at": m.created_at,
        "decided_at": m.decided_at,
        "ended_at": m.ended_at,
    }


def _reread(me: Person, mentorship_id: int) -> dict[str, Any]:
    found = selectors.mentorships_of(viewer=me).select_related("declined_by").get(pk=mentorship_id)
    return _mentorship(found, me)


def _person(person_id: int, field: str) -> Person:
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        raise NotFound(
            "No such person.", field_errors={field: f"Nobody active has the id {person_id}."}
        )
    return person


# -- operations ---------------------------------------------------------------------------


@router.get(
    "/mentoring/suggestions",
    response={200: list[SuggestionOut], **error_responses()},
    summary="Mentors suggested for you",
    description="People who know the topics of your title, skills and interests, have room, "
    "and preferably work in another department, best first, each with the reasons. "
    "People who opted out, are away or closed their mentor offer are not suggested.",
)
def suggestions(request: HttpRequest, params: Query[SuggestionParams]) -> list[dict[str, Any]]:
    found = selectors.suggestions(viewer=viewer(request), limit=params.limit)
    return [_suggestion(s) for s in found]


@router.get(
    "/mentorships",
    response={200: MentorshipPage, **error_responses()},
    summary="Your mentorships, as mentor and as mentee",
)
def mentorships_list(request: HttpRequest, params: Query[MentorshipParams]) -> dict[str, Any]:
    me = viewer(request)
    found = selectors.mentorships_of(viewer=me, status=params.status or "").select_related(
        "declined_by"
    )
    page: Page[Mentorship] = paginate(found, page=params.page, page_size=params.page_size)
    return {
        "items": [_mentorship(m, me) for m in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
    }


@router.post(
    "/mentorships",
    response={201: MentorshipOut, **error_responses(conflict=True)},
    summary="Propose a mentorship",
    description="Ask someone to mentor you (leave out mentee_id), offer to mentor someone "
    "(mentor_id is you), or, as an org admin, pair two people. Whoever proposes has accepted "
    "already. 409 when the mentor has no room, is away or not mentoring, is the mentee, or the "
    "pair already has an open mentorship.",
)
def mentorships_create(request: HttpRequest, payload: ProposeIn) -> Reply[dict[str, Any]]:
    me = viewer(request)
    mentor = _person(payload.mentor_id, "mentor_id")
    mentee = _person(payload.mentee_id, "mentee_id") if payload.mentee_id is not None else me
    with conflicts(rename={"mentor": "mentor_id", "mentee": "mentee_id"}):
        created = services.mentorship_propose(
            actor=me, mentor=mentor, mentee=mentee, message=payload.message
        )
    return Reply(201, _mentorship(created, me))


@router.post(
    "/mentorships/{mentorship_id}/accept",
    response={200: MentorshipOut, **error_responses(conflict=True)},
    summary="Accept a proposed mentorship (its mentor or mentee)",
    description="Active once both have accepted. 409 when it is no longer proposed, or you "
    "have accepted already.",
)
def mentorships_accept(request: HttpRequest, mentorship_id: MentorshipId) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.mentorship_respond(actor=me, mentorship_id=mentorship_id, accept=True)
    return _reread(me, mentorship_id)


@router.post(
    "/mentorships/{mentorship_id}/decline",
    response={200: MentorshipOut, **error_responses(conflict=True)},
    summary="Decline (or withdraw) a proposed mentorship (its mentor or mentee)",
)
def mentorships_decline(
    request: HttpRequest, mentorship_id: MentorshipId, payload: DeclineIn
) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.mentorship_respond(
            actor=me, mentorship_id=mentorship_id, accept=False, reason=payload.reason
        )
    return _reread(me, mentorship_id)


@router.post(
    "/mentorships/{mentorship_id}/end",
    response={200: MentorshipOut, **error_responses(conflict=True)},
    summary="End an active mentorship (its mentor or mentee)",
)
def mentorships_end(request: HttpRequest, mentorship_id: MentorshipId) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.mentorship_end(actor=me, mentorship_id=mentorship_id)
    return _reread(me, mentorship_id)


@router.get(
    "/people/me/mentoring",
    response={200: OfferOut, **error_responses()},
    summary="Your mentor offer",
)
def offer_get(request: HttpRequest) -> MentorOffer:
    return selectors.offer_of(viewer(request))


@router.put(
    "/people/me/mentoring",
    response={200: OfferOut, **error_responses()},
    summary="Set your mentor offer",
)
def offer_put(request: HttpRequest, payload: OfferIn) -> MentorOffer:
    me = viewer(request)
    return services.mentor_offer_set(
        actor=me, person=me, open=payload.open, capacity=payload.capacity, note=payload.note
    )


@router.get(
    "/mentoring/cohort",
    response={200: CohortPlanOut, **error_responses()},
    summary="Preview the matching of every current newcomer (org admins)",
    description="Newcomers (start date within the newcomer window) without an open mentorship, "
    "matched to mentors at once so that the total fit is greatest and no mentor gets more "
    "mentees than free places; who could not be matched, and why. Nothing is written.",
)
def cohort_preview(request: HttpRequest) -> dict[str, Any]:
    plan = matching.cohort_plan(viewer=viewer(request))
    return {
        "window_days": plan.window_days,
        "newcomers": plan.newcomers,
        "total_score": round(plan.total_score, 6),
        "pairs": [
            {
                "mentee": p.mentee,
                "mentee_start_date": p.mentee.start_date,
                "mentor": p.mentor,
                "score": round(p.suggestion.score, 6),
                "reasons": p.suggestion.reasons_for_admin,
            }
            for p in plan.pairs
        ],
        "unmatched": [{"mentee": u.mentee, "why": u.why} for u in plan.unmatched],
    }


@router.post(
    "/mentoring/cohorts",
    response={201: CohortOut, **error_responses(conflict=True)},
    summary="Propose a cohort's mentorships (org admins)",
    description="The pairs of a preview (all or some). All are made, or none: 409 names every "
    "pair that cannot be made now (a mentor without room, a mentee no longer a newcomer or "
    "already matched).",
)
def cohort_create(request: HttpRequest, payload: CohortIn) -> Reply[dict[str, Any]]:
    me = viewer(request)
    pairs = [services.PairIn(mentee_id=p.mentee_id, mentor_id=p.mentor_id) for p in payload.pairs]
    with conflicts():
        cohort = services.cohort_confirm(actor=me, pairs=pairs, note=payload.note)
    made = cohort.mentorships.select_related(
        "mentor__department", "mentee__department", "proposed_by", "declined_by"
    ).order_by("pk")
    return Reply(
        201,
        {
            "id": cohort.pk,
            "created_at": cohort.created_at,
            "window_days": cohort.window_days,
            "note": cohort.note,
            "mentorships": [_mentorship(m, me) for m in made],
        },
    )
