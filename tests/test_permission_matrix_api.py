"""Every API operation has a permission case; a new operation without one fails here.

As for the pages: each persona's status, denied writes leave the data as it was, and the outsider
never reads a word of the private community.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from tests.personas import PRIVATE_QUESTION, PRIVATE_RESOURCE, Org
from tests.test_permission_matrix import (
    ALLOWED,
    DENIED,
    PERSONAS,
    _after,
    _fingerprint,
    _mentoring,
    _mentorship,
    _private_event,
)
from trellis.accounts.services import api_token_create
from trellis.api.router import api
from trellis.communities.models import JoinRequest
from trellis.library import services as library_services
from trellis.qa import services as qa_services

API = "/api/v1"


@dataclass
class Op:
    url: Callable[[Org], str]
    status: dict[str, int]
    body: Callable[[Org], dict[str, object]] | None = None
    writes: dict[str, str] = field(default_factory=dict)


def _indexed(url: str) -> str:
    from trellis.search.indexing import reindex_all

    reindex_all()
    return url


def everyone(code: int) -> dict[str, int]:
    return {p: code for p in PERSONAS} | {"anonymous": 401}


def only(allowed: dict[str, int], otherwise: int) -> dict[str, int]:
    return everyone(otherwise) | allowed


def writes_by(*allowed: str, unchecked: tuple[str, ...] = ()) -> dict[str, str]:
    """Who changes data; `unchecked` may (no change when it is already so: following twice)."""
    return {p: (ALLOWED if p in allowed else DENIED) for p in PERSONAS if p not in unchecked}


def _pending(org: Org) -> JoinRequest:
    return JoinRequest.objects.get_or_create(
        community=org.private, person=org.newcomer, status="pending"
    )[0]


def _accepted(org: Org) -> str:
    """The private answer, accepted by the asker (so taking it back changes something)."""
    qa_services.answer_accept(actor=org.member, answer=org.c.private_answer)
    return f"/answers/{org.c.private_answer.pk}/accept"


def _closed(org: Org) -> str:
    """The private question, closed by its leader as a duplicate of the public one."""
    qa_services.question_close_duplicate(
        actor=org.leader, question=org.c.private_question, original=org.c.public_question
    )
    return f"/questions/{org.c.private_question.pk}/close"


def _obsolete(org: Org) -> str:
    library_services.resource_mark_obsolete(actor=org.leader, resource=org.c.private_resource)
    return f"/resources/{org.c.private_resource.pk}/obsolete"


def _leaders_request(org: Org) -> int:
    from tests.test_permission_matrix import _leaders_request as made

    return made(org)


def _members_endorsement(org: Org) -> int:
    from tests.test_permission_matrix import _members_endorsement as made

    return made(org)


def _question(org: Org, tail: str = "") -> str:
    return f"/questions/{org.c.private_question.pk}{tail}"


def _resource(org: Org, tail: str = "") -> str:
    return f"/resources/{org.c.private_resource.pk}{tail}"


SEEN_PRIVATE = {"outsider": 404}  # the private community does not exist for the outsider
PRIVATE = "/communities/security-council"
# Who may do what in the private community: members, sponsors and admins see and contribute;
# authors/owners and the core team (the leader) edit; the outsider sees nothing.
CONTRIBUTORS = everyone(200) | SEEN_PRIVATE
CURATORS = only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/people"): Op(lambda o: "/people", everyone(200)),
    ("POST", "/people"): Op(
        lambda o: "/people",
        only({"admin": 201}, 403),
        body=lambda o: {"email": "hire@example.com", "name": "New Hire"},
        writes=writes_by("admin"),
    ),
    ("GET", "/people/me"): Op(lambda o: "/people/me", everyone(200)),
    ("GET", "/people/{person_id}"): Op(lambda o: f"/people/{o.member.pk}", everyone(200)),
    ("PATCH", "/people/{person_id}"): Op(
        # The member edits their own profile; an org admin may edit anyone's.
        lambda o: f"/people/{o.member.pk}",
        only({"member": 200, "admin": 200}, 403),
        body=lambda o: {"location": "Lisbon"},
        writes=writes_by("member", "admin"),
    ),
    ("GET", "/departments"): Op(lambda o: "/departments", everyone(200)),
    ("POST", "/departments"): Op(
        lambda o: "/departments", only({"admin": 201}, 403), body=lambda o: {"name": "Ops"}
    ),
    ("GET", "/departments/{department_id}"): Op(
        lambda o: f"/departments/{o.design.pk}", everyone(200)
    ),
    ("GET", "/communities"): Op(lambda o: "/communities", everyone(200)),
    ("POST", "/communities"): Op(
        lambda o: "/communities",
        everyone(201),
        body=lambda o: {"name": "Rust Users", "domain": "Writing Rust"},
        writes=writes_by(*PERSONAS[1:]),
    ),
    ("GET", "/communities/{slug}"): Op(lambda o: PRIVATE, everyone(200) | SEEN_PRIVATE),
    ("PATCH", "/communities/{slug}"): Op(
        lambda o: PRIVATE,
        only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
        body=lambda o: {"charter": "Renewed"},
        writes=writes_by("leader", "admin"),
    ),
    ("GET", "/communities/{slug}/members"): Op(
        lambda o: f"{PRIVATE}/members", everyone(200) | SEEN_PRIVATE
    ),
    ("POST", "/communities/{slug}/join"): Op(
        # Members already belong (no change); others must ask, the outsider sees nothing.
        lambda o: f"{PRIVATE}/join",
        only({"member": 200, "leader": 200}, 403) | SEEN_PRIVATE,
        writes=writes_by(),
    ),
    ("POST", "/communities/{slug}/leave"): Op(
        # The only leader may not leave a community that still has members.
        lambda o: f"{PRIVATE}/leave",
        everyone(204) | SEEN_PRIVATE | {"leader": 409},
        writes=writes_by("member"),
    ),
    ("PUT", "/communities/{slug}/members/{person_id}/role"): Op(
        lambda o: f"{PRIVATE}/members/{o.member.pk}/role",
        only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
        body=lambda o: {"role": "core"},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/communities/{slug}/join-requests"): Op(
        # Sponsors and admins see the private community without belonging: they may ask.
        lambda o: f"{PRIVATE}/join-requests",
        only({"sponsor": 201, "admin": 201}, 409) | SEEN_PRIVATE,
        body=lambda o: {"message": "Please"},
        writes=writes_by("sponsor", "admin"),
    ),
    ("GET", "/communities/{slug}/join-requests"): Op(
        lambda o: f"{PRIVATE}/join-requests",
        only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
    ),
    ("POST", "/join-requests/{request_id}/decision"): Op(
        lambda o: f"/join-requests/{_pending(o).pk}/decision",
        only({"leader": 200, "admin": 200}, 404),
        body=lambda o: {"approve": True},
        writes=writes_by("leader", "admin"),
    ),
    # -- Ask the Expert (on the private community's question and answer) --------------------
    ("GET", "/questions"): Op(lambda o: "/questions", everyone(200)),
    ("POST", "/questions"): Op(
        # Sponsors see the private community, so they may ask in it as well.
        lambda o: "/questions",
        everyone(201) | SEEN_PRIVATE,
        body=lambda o: {"community": "security-council", "title": "Who rotates the keys now?"},
        writes=writes_by("member", "sponsor", "leader", "admin"),
    ),
    ("GET", "/questions/{question_id}"): Op(lambda o: _question(o), CONTRIBUTORS),
    ("PATCH", "/posts/{post_id}"): Op(
        # The member asked it; the leader is the community's core team.
        lambda o: f"/posts/{o.c.private_question.pk}",
        only({"member": 200, "leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
        body=lambda o: {"body": "Edited through the API."},
        writes=writes_by("member", "leader", "admin"),
    ),
    ("POST", "/questions/{question_id}/answers"): Op(
        lambda o: _question(o, "/answers"),
        everyone(201) | SEEN_PRIVATE,
        body=lambda o: {"body": "The one in room 5 now."},
        writes=writes_by("member", "sponsor", "leader", "admin"),
    ),
    ("POST", "/posts/{post_id}/comments"): Op(
        lambda o: f"/posts/{o.c.private_answer.pk}/comments",
        everyone(201) | SEEN_PRIVATE,
        body=lambda o: {"body": "Thanks, that helps."},
        writes=writes_by("member", "sponsor", "leader", "admin"),
    ),
    ("PUT", "/posts/{post_id}/vote"): Op(
        # The leader wrote the answer: nobody votes on their own post.
        lambda o: f"/posts/{o.c.private_answer.pk}/vote",
        CONTRIBUTORS | {"leader": 403},
        body=lambda o: {"value": 1},
        writes=writes_by("member", "sponsor", "admin"),
    ),
    ("POST", "/posts/{post_id}/thanks"): Op(
        lambda o: f"/posts/{o.c.private_answer.pk}/thanks",
        CONTRIBUTORS | {"leader": 403},
        writes=writes_by("member", "sponsor", "admin"),
    ),
    ("GET", "/posts/{post_id}/revisions"): Op(
        lambda o: f"/posts/{o.c.private_question.pk}/revisions", CONTRIBUTORS
    ),
    ("POST", "/answers/{answer_id}/accept"): Op(
        # The asker (member) or the community's leader decides.
        lambda o: f"/answers/{o.c.private_answer.pk}/accept",
        CONTRIBUTORS | {"sponsor": 403},
        writes=writes_by("member", "leader", "admin"),
    ),
    ("DELETE", "/answers/{answer_id}/accept"): Op(
        _accepted, CONTRIBUTORS | {"sponsor": 403}, writes=writes_by("member", "leader", "admin")
    ),
    ("POST", "/questions/{question_id}/close"): Op(
        # The asker or the core team closes; the original is the public question.
        lambda o: _question(o, "/close"),
        CONTRIBUTORS | {"sponsor": 403},
        body=lambda o: {"duplicate_of": o.c.public_question.pk},
        writes=writes_by("member", "leader", "admin"),
    ),
    ("DELETE", "/questions/{question_id}/close"): Op(
        _closed, CURATORS, writes=writes_by("leader", "admin")
    ),
    ("PUT", "/questions/{question_id}/follow"): Op(
        # The asker and the answerer (leader) already follow it.
        lambda o: _question(o, "/follow"),
        CONTRIBUTORS,
        writes=writes_by("sponsor", "admin", unchecked=("member", "leader")),
    ),
    ("DELETE", "/questions/{question_id}/follow"): Op(
        lambda o: _question(o, "/follow"),
        CONTRIBUTORS,
        writes=writes_by("member", "leader", unchecked=("sponsor", "admin")),
    ),
    ("POST", "/questions/{question_id}/promote"): Op(
        lambda o: _question(o, "/promote"),
        only({"leader": 201, "admin": 201}, 403) | SEEN_PRIVATE,
        body=lambda o: {"title": "Where the breach drill keys live"},
        writes=writes_by("leader", "admin"),
    ),
    # -- the library (on the private community's resource) -----------------------------------
    ("GET", "/resources"): Op(lambda o: "/resources", everyone(200)),
    ("POST", "/resources"): Op(
        # Members add to their community's library; a sponsor is not a member.
        lambda o: "/resources",
        everyone(201) | SEEN_PRIVATE | {"sponsor": 403},
        body=lambda o: {
            "community": "security-council",
            "kind": "link",
            "title": "Key ceremony recording",
            "url": "https://example.com/ceremony",
        },
        writes=writes_by("member", "leader", "admin"),
    ),
    ("GET", "/resources/{resource_id}"): Op(lambda o: _resource(o), CONTRIBUTORS),
    ("PATCH", "/resources/{resource_id}"): Op(
        lambda o: _resource(o),
        CURATORS,
        body=lambda o: {"body": "We rotate keys every month."},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/resources/{resource_id}/verify"): Op(
        lambda o: _resource(o, "/verify"), CURATORS, writes=writes_by("leader", "admin")
    ),
    ("PUT", "/resources/{resource_id}/obsolete"): Op(
        lambda o: _resource(o, "/obsolete"), CURATORS, writes=writes_by("leader", "admin")
    ),
    ("DELETE", "/resources/{resource_id}/obsolete"): Op(
        _obsolete, CURATORS, writes=writes_by("leader", "admin")
    ),
    ("PUT", "/resources/{resource_id}/canonical"): Op(
        lambda o: _resource(o, "/canonical"),
        CURATORS,
        body=lambda o: {"canonical": o.c.public_resource.pk},
        writes=writes_by("leader", "admin"),
    ),
    ("GET", "/resources/{resource_id}/versions"): Op(
        lambda o: _resource(o, "/versions"), CONTRIBUTORS
    ),
    # -- search (the content is indexed first, so that the outsider check has something to leak)
    ("GET", "/search"): Op(
        lambda o: _indexed("/search?q=breach+drill+vault+keys+helm"), everyone(200)
    ),
    ("GET", "/search/similar"): Op(
        lambda o: _indexed("/search/similar?title=Which+vault+holds+the+breach+drill+keys"),
        everyone(200),
    ),
    # -- expertise ------------------------------------------------------------------------------
    ("GET", "/experts"): Op(
        lambda o: _indexed("/experts?q=breach+drill+vault+keys"), everyone(200)
    ),
    ("GET", "/people/me/availability"): Op(lambda o: "/people/me/availability", everyone(200)),
    ("PUT", "/people/me/availability"): Op(
        lambda o: "/people/me/availability",
        everyone(200),
        body=lambda o: {"opted_out": False, "away_until": "2099-01-01", "weekly_cap": 2},
        writes=writes_by(*PERSONAS[1:]),
    ),
    # -- routing ------------------------------------------------------------------------------
    ("GET", "/routing/requests"): Op(lambda o: "/routing/requests", everyone(200)),
    ("POST", "/routing/requests/{request_id}/pass"): Op(
        lambda o: f"/routing/requests/{_leaders_request(o)}/pass",
        only({"leader": 200}, 404),  # someone else's request does not exist for you
        writes=writes_by("leader"),
    ),
    ("GET", "/questions/{question_id}/routing"): Op(
        _after(_leaders_request, lambda o: _question(o, "/routing")), CONTRIBUTORS
    ),
    ("POST", "/questions/{question_id}/connect"): Op(
        lambda o: _question(o, "/connect"),
        only({"leader": 201, "admin": 201}, 403) | SEEN_PRIVATE,
        body=lambda o: {"person_id": o.sponsor.pk, "note": "You know the vault"},
        writes=writes_by("leader", "admin"),
    ),
    ("GET", "/routing/load"): Op(
        _after(_leaders_request, lambda o: "/routing/load?community=security-council"),
        CURATORS,
    ),
    ("GET", "/people/{person_id}/expertise"): Op(
        lambda o: f"/people/{o.leader.pk}/expertise", everyone(200)
    ),
    ("GET", "/people/{person_id}/endorsements"): Op(
        _after(_members_endorsement, lambda o: f"/people/{o.leader.pk}/endorsements"), everyone(200)
    ),
    ("POST", "/people/{person_id}/endorsements"): Op(
        lambda o: f"/people/{o.leader.pk}/endorsements",
        everyone(201) | {"leader": 409},  # nobody endorses themselves
        body=lambda o: {"tag": "vault"},
        writes=writes_by("outsider", "member", "sponsor", "admin"),
    ),
    ("DELETE", "/people/{person_id}/endorsements/{tag}"): Op(
        _after(_members_endorsement, lambda o: f"/people/{o.leader.pk}/endorsements/vault"),
        only({"member": 200}, 404),  # only the endorser's own
        writes=writes_by("member"),
    ),
    # -- notifications (each person's own) ----------------------------------------------------
    ("GET", "/notifications"): Op(lambda o: "/notifications", everyone(200)),
    ("POST", "/notifications/read"): Op(
        # Only the member has notifications (answers to both their questions).
        lambda o: "/notifications/read",
        everyone(200),
        body=lambda o: {"ids": None},
        writes=writes_by("member"),
    ),
    ("GET", "/notifications/preferences"): Op(
        lambda o: "/notifications/preferences", everyone(200)
    ),
    ("PATCH", "/notifications/preferences"): Op(
        lambda o: "/notifications/preferences",
        everyone(200),
        body=lambda o: {"digest": "daily"},
        writes=writes_by(*PERSONAS[1:]),
    ),
}


# -- mentoring (see the page matrix: the member mentors the newcomer; the leader lists helm) ---
MENTOR_SIDE = only({"member": 200}, 404)

OPERATIONS |= {
    ("GET", "/mentoring/suggestions"): Op(
        _after(_mentoring, lambda o: "/mentoring/suggestions"), everyone(200)
    ),
    ("GET", "/mentorships"): Op(lambda o: (_mentorship(o), "/mentorships")[1], everyone(200)),
    ("POST", "/mentorships"): Op(
        # Anyone may ask the leader to mentor them; nobody mentors themselves.
        _after(_mentoring, lambda o: "/mentorships"),
        everyone(201) | {"leader": 409},
        body=lambda o: {"mentor_id": o.leader.pk, "message": "Helm, please"},
        writes=writes_by("outsider", "member", "sponsor", "admin"),
    ),
    ("POST", "/mentorships/{mentorship_id}/accept"): Op(
        lambda o: f"/mentorships/{_mentorship(o)}/accept",
        MENTOR_SIDE,
        writes=writes_by("member"),
    ),
    ("POST", "/mentorships/{mentorship_id}/decline"): Op(
        lambda o: f"/mentorships/{_mentorship(o)}/decline",
        MENTOR_SIDE,
        body=lambda o: {"reason": "Busy this quarter"},
        writes=writes_by("member"),
    ),
    ("POST", "/mentorships/{mentorship_id}/end"): Op(
        lambda o: f"/mentorships/{_mentorship(o, active=True)}/end",
        MENTOR_SIDE,
        writes=writes_by("member"),
    ),
    ("GET", "/people/me/mentoring"): Op(lambda o: "/people/me/mentoring", everyone(200)),
    ("PUT", "/people/me/mentoring"): Op(
        lambda o: "/people/me/mentoring",
        everyone(200),
        body=lambda o: {"open": True, "capacity": 3, "note": "Helm"},
        writes=writes_by(*PERSONAS[1:]),
    ),
    ("GET", "/mentoring/cohort"): Op(
        _after(_mentoring, lambda o: "/mentoring/cohort"), only({"admin": 200}, 403)
    ),
    ("POST", "/mentoring/cohorts"): Op(
        _after(_mentoring, lambda o: "/mentoring/cohorts"),
        only({"admin": 201}, 403),
        body=lambda o: {"pairs": [{"mentee_id": o.newcomer.pk, "mentor_id": o.leader.pk}]},
        writes=writes_by("admin"),
    ),
}


# -- events (see the page matrix: the leader organises an event of the private community) ---


def _event(o: Org, tail: str = "") -> str:
    return f"/events/{_private_event(o)}{tail}"


OPERATIONS |= {
    ("GET", "/events"): Op(_after(_private_event, lambda o: "/events"), everyone(200)),
    ("POST", "/events"): Op(
        lambda o: "/events",
        only({"leader": 201, "admin": 201}, 403) | SEEN_PRIVATE,
        body=lambda o: {
            "community": o.private.slug,
            "kind": "workshop",
            "title": "Tabletop exercise",
            "starts_at": "2031-05-06T10:00:00+01:00",
            "ends_at": "2031-05-06T11:00:00+01:00",
            "time_zone": "Europe/London",
            "capacity": 8,
        },
        writes=writes_by("leader", "admin"),
    ),
    ("GET", "/events/{event_id}"): Op(_event, CONTRIBUTORS),
    ("PATCH", "/events/{event_id}"): Op(
        _event,
        CURATORS,
        body=lambda o: {"title": "Tabletop exercise, round two", "capacity": 4},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/events/{event_id}/cancel"): Op(
        lambda o: _event(o, "/cancel"), CURATORS, writes=writes_by("leader", "admin")
    ),
    ("PUT", "/events/{event_id}/rsvp"): Op(
        lambda o: _event(o, "/rsvp"),
        CONTRIBUTORS,
        body=lambda o: {"answer": "going"},
        writes=writes_by("member", "sponsor", "leader", "admin"),
    ),
}


# --- events-more: API permission cases (OPERATIONS |= {...}) go below this line ---


def _past_event(o: Org, tail: str) -> str:
    from tests.test_permission_matrix import _private_past_event

    return f"/events/{_private_past_event(o)}{tail}"


OPERATIONS |= {
    ("PUT", "/events/{event_id}/attendance"): Op(
        lambda o: _past_event(o, "/attendance"),
        CURATORS,
        body=lambda o: {"came": [o.member.pk]},
        writes=writes_by("leader", "admin"),
    ),
}


# --- agendas: API permission cases (OPERATIONS |= {...}) go below this line ---
# As on the pages: the member proposed a topic for the private event (agendas switched on).


def _agenda(o: Org, tail: str = "", *, draft: bool = True) -> str:
    from tests.test_permission_matrix import _agenda_event

    return f"/events/{_agenda_event(o, draft=draft)}/agenda{tail}"


def _topic_vote(o: Org) -> str:
    from tests.test_permission_matrix import _agenda_proposal

    return f"/agenda/proposals/{_agenda_proposal(o)}/vote"


OPERATIONS |= {
    ("GET", "/events/{event_id}/agenda"): Op(_agenda, CONTRIBUTORS),
    ("GET", "/events/{event_id}/agenda/proposals"): Op(
        lambda o: _agenda(o, "/proposals"), CONTRIBUTORS
    ),
    ("POST", "/events/{event_id}/agenda/proposals"): Op(
        lambda o: _agenda(o, "/proposals", draft=False),
        everyone(201) | SEEN_PRIVATE,
        body=lambda o: {"title": "Who holds the drill keys on holiday?"},
        writes=writes_by("member", "sponsor", "leader", "admin"),
    ),
    ("PUT", "/agenda/proposals/{proposal_id}/vote"): Op(
        _topic_vote,
        CONTRIBUTORS,
        writes=writes_by("sponsor", "leader", "admin", unchecked=("member",)),
    ),
    ("DELETE", "/agenda/proposals/{proposal_id}/vote"): Op(
        _topic_vote,
        CONTRIBUTORS,
        writes=writes_by("member", unchecked=("sponsor", "leader", "admin")),
    ),
    ("POST", "/events/{event_id}/agenda/draft"): Op(
        lambda o: _agenda(o, "/draft", draft=False), CURATORS, writes=writes_by("leader", "admin")
    ),
    ("POST", "/events/{event_id}/agenda/publish"): Op(
        lambda o: _agenda(o, "/publish"), CURATORS, writes=writes_by("leader", "admin")
    ),
}


# --- facilitation: API permission cases (OPERATIONS |= {...}) go below this line ---
# As on the pages (see the page matrix's rotation of the private community).


def _rotation(o: Org, tail: str = "") -> str:
    from tests.test_permission_matrix import _rotation_circle

    _rotation_circle(o)
    return f"{PRIVATE}/rotation{tail}"


def _rotation_event(o: Org, tail: str) -> str:
    from tests.test_permission_matrix import _proposed_to_member

    return f"/rotation/events/{_proposed_to_member(o)}{tail}"


def _rotation_swap(o: Org, tail: str) -> str:
    from tests.test_permission_matrix import _members_swap

    return f"/rotation/swaps/{_members_swap(o)}{tail}"


# Members volunteer; the sponsor and an org admin see the community without belonging to it.
VOLUNTEERS = CONTRIBUTORS | {"sponsor": 403, "admin": 403}
# The person concerned (the member), the leader and org admins.
CONCERNED = CONTRIBUTORS | {"sponsor": 403}

OPERATIONS |= {
    ("GET", "/communities/{slug}/rotation"): Op(lambda o: _rotation(o), CONTRIBUTORS),
    ("PUT", "/communities/{slug}/rotation/volunteer"): Op(
        lambda o: _rotation(o, "/volunteer"),
        VOLUNTEERS,
        body=lambda o: {"weekly_load": 2},
        writes=writes_by("member", "leader"),
    ),
    ("DELETE", "/communities/{slug}/rotation/volunteer"): Op(
        lambda o: _rotation(o, "/volunteer"),
        everyone(409) | SEEN_PRIVATE | {"member": 204, "leader": 204},
        writes=writes_by("member", "leader"),
    ),
    ("POST", "/communities/{slug}/rotation/propose"): Op(
        lambda o: _rotation(o, "/propose"), CURATORS, writes=writes_by("leader", "admin")
    ),
    ("POST", "/rotation/events/{event_id}/accept"): Op(
        lambda o: _rotation_event(o, "/accept"),
        CONCERNED,
        writes=writes_by("member", "leader", "admin"),
    ),
    ("POST", "/rotation/events/{event_id}/swaps"): Op(
        lambda o: _rotation_event(o, "/swaps"),
        CONCERNED | {"member": 201, "leader": 201, "admin": 201},
        body=lambda o: {"colleague_id": o.facilitator.pk, "note": "On call that week"},
        writes=writes_by("member", "leader", "admin"),
    ),
    ("POST", "/rotation/swaps/{swap_id}/accept"): Op(
        lambda o: _rotation_swap(o, "/accept"),
        CONTRIBUTORS | {"member": 403, "sponsor": 404},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/rotation/swaps/{swap_id}/decline"): Op(
        lambda o: _rotation_swap(o, "/decline"),
        CONTRIBUTORS | {"sponsor": 404},
        writes=writes_by("member", "leader", "admin"),
    ),
}


# --- stories: API permission cases (OPERATIONS |= {...}) go below this line ---
# As on the pages: the member tells (and adds detail to) their story of the private community,
# its leaders curate, its sponsor and leaders name goals, the outsider sees nothing.


def _story(o: Org, tail: str = "") -> str:
    from tests.test_permission_matrix import _private_story

    return f"/stories/{_private_story(o)}{tail}"


def _goal(o: Org) -> int:
    from tests.test_permission_matrix import _private_goal

    return _private_goal(o)


def _accepted_answer(o: Org) -> int:
    from tests.test_permission_matrix import _private_accepted

    return _private_accepted(o)


OPERATIONS |= {
    ("GET", "/stories"): Op(lambda o: (_story(o), "/stories")[1], everyone(200)),
    ("POST", "/stories"): Op(
        lambda o: (_accepted_answer(o), "/stories")[1],
        only({"member": 201}, 409) | SEEN_PRIVATE,
        body=lambda o: {
            "source": "accepted",
            "source_id": _accepted_answer(o),
            "cycle": "realised",
            "hours_saved": 3,
        },
        writes=writes_by("member"),
    ),
    ("GET", "/stories/{story_id}"): Op(_story, CONTRIBUTORS),
    ("POST", "/stories/{story_id}/curate"): Op(
        lambda o: _story(o, "/curate"),
        CURATORS,
        body=lambda o: {"action": "feature"},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/stories/{story_id}/ask-detail"): Op(
        lambda o: _story(o, "/ask-detail"),
        CURATORS,
        body=lambda o: {"request": "How long did it take before?"},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/stories/{story_id}/detail"): Op(
        lambda o: _story(o, "/detail"),
        only({"member": 200}, 403) | SEEN_PRIVATE,
        body=lambda o: {"detail": "Before, it took an afternoon."},
        writes=writes_by("member"),
    ),
    ("PUT", "/stories/{story_id}/goal"): Op(
        lambda o: (_goal(o), _story(o, "/goal"))[1],
        only({"member": 200, "leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
        body=lambda o: {"goal_id": _goal(o)},
        writes=writes_by("member", "leader", "admin"),
    ),
    ("GET", "/communities/{slug}/goals"): Op(
        lambda o: (_goal(o), f"{PRIVATE}/goals")[1], CONTRIBUTORS
    ),
    ("POST", "/communities/{slug}/goals"): Op(
        lambda o: f"{PRIVATE}/goals",
        only({"sponsor": 201, "leader": 201, "admin": 201}, 403) | SEEN_PRIVATE,
        body=lambda o: {"name": "Halve the time to patch", "measure": ""},
        writes=writes_by("sponsor", "leader", "admin"),
    ),
    ("POST", "/goals/{goal_id}/retire"): Op(
        lambda o: f"/goals/{_goal(o)}/retire",
        only({"sponsor": 200, "leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
        writes=writes_by("sponsor", "leader", "admin"),
    ),
}


# --- reports: API permission cases (OPERATIONS |= {...}) go below this line ---
# The private community's report: its sponsor, leader and org admins; members 403; the
# outsider 404. The organisation's report: org admins. The email schedule: sponsors.
REPORT_READERS = only({"sponsor": 200, "leader": 200, "admin": 200}, 403) | SEEN_PRIVATE
SPONSORS_ONLY = only({"sponsor": 200}, 403)

OPERATIONS |= {
    ("GET", "/reports/communities/{slug}"): Op(
        lambda o: "/reports/communities/security-council?period=2026-Q2", REPORT_READERS
    ),
    ("GET", "/reports/organisation"): Op(
        lambda o: "/reports/organisation", only({"admin": 200}, 403)
    ),
    ("GET", "/reports/communities/{slug}/resources"): Op(
        lambda o: "/reports/communities/security-council/resources", REPORT_READERS
    ),
    ("PUT", "/reports/communities/{slug}/resources"): Op(
        lambda o: "/reports/communities/security-council/resources",
        REPORT_READERS,
        body=lambda o: {"annual_budget": 24000, "hours_per_month": 4, "currency": "EUR"},
        writes=writes_by("sponsor", "leader", "admin"),
    ),
    ("GET", "/reports/schedule"): Op(lambda o: "/reports/schedule", SPONSORS_ONLY),
    ("PUT", "/reports/schedule"): Op(
        lambda o: "/reports/schedule",
        SPONSORS_ONLY,
        body=lambda o: {"cadence": "quarterly"},
        writes=writes_by("sponsor"),
    ),
}


# --- insights: API permission cases (OPERATIONS |= {...}) go below this line ---
# Community health: the private community's figures (computed first) for its leader and org
# admins, members and its sponsor 403, the outsider 404; the organisation's for org admins.
HEALTH_READERS = only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE


def _health_computed(url: str) -> str:
    from trellis.insights.services.health import health_refresh

    health_refresh()
    return url


OPERATIONS |= {
    ("GET", "/communities/{slug}/health"): Op(
        lambda o: _health_computed("/communities/security-council/health"), HEALTH_READERS
    ),
    ("GET", "/health"): Op(lambda o: _health_computed("/health"), only({"admin": 200}, 403)),
}


# The silo map: the private community's (computed first) as health; the organisation's (built
# from what everyone may see) for org admins.
def _silos_computed(url: str) -> str:
    from trellis.insights.services.silos import silos_refresh

    silos_refresh()
    return url


OPERATIONS |= {
    ("GET", "/communities/{slug}/silos"): Op(
        lambda o: _silos_computed("/communities/security-council/silos"), HEALTH_READERS
    ),
    ("GET", "/silos"): Op(lambda o: _silos_computed("/silos"), only({"admin": 200}, 403)),
}


# Champions: the private community's (computed first, with an accepted answer in it, so there
# is someone to leak) as health; the organisation's for org admins.
def _champions_computed(org: Org, url: str) -> str:
    from trellis.insights.services.champions import champions_refresh

    qa_services.answer_accept(actor=org.member, answer=org.c.private_answer)
    champions_refresh()
    return url


OPERATIONS |= {
    ("GET", "/communities/{slug}/champions"): Op(
        lambda o: _champions_computed(o, "/communities/security-council/champions"),
        HEALTH_READERS,
    ),
    ("GET", "/champions"): Op(
        lambda o: _champions_computed(o, "/champions"), only({"admin": 200}, 403)
    ),
}


def _operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path.removeprefix(API))
        for path, operations in schema["paths"].items()
        for method in operations
    }


# --- radar: API permission cases go below this line ---
# The private community's radar (every signal stored, raised) for its leader and org admins; its
# sponsor reads the sponsor signal alone (200); members 403, the outsider 404. Acting on it
# (snooze, wake, fix) is the leaders'; the organisation's overview is for org admins.
RADAR_READERS = only({"leader": 200, "admin": 200, "sponsor": 200}, 403) | SEEN_PRIVATE
RADAR_ACTORS = only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE


def _in_a_month() -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() + timedelta(days=30)).isoformat()


def _radar(url: str) -> Callable[[Org], str]:
    from tests.test_permission_matrix import _radar_snoozed, _radar_stored

    def read(org: Org) -> str:
        (_radar_snoozed if url.endswith("/snooze") else _radar_stored)(org)
        return url

    return read


OPERATIONS |= {
    ("GET", "/communities/{slug}/radar"): Op(_radar(f"{PRIVATE}/radar"), RADAR_READERS),
    ("GET", "/radar"): Op(_radar("/radar"), only({"admin": 200}, 403)),
    ("PUT", "/communities/{slug}/radar/{pitfall}/snooze"): Op(
        _radar(f"{PRIVATE}/radar/stagnation/snooze"),
        RADAR_ACTORS,
        body=lambda o: {"reason": "A renewal circle is planned", "until": _in_a_month()},
        writes=writes_by("leader", "admin"),
    ),
    ("DELETE", "/communities/{slug}/radar/{pitfall}/snooze"): Op(
        _radar(f"{PRIVATE}/radar/leader_burnout/snooze"),
        RADAR_ACTORS | {"leader": 204, "admin": 204},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/communities/{slug}/radar/{pitfall}/fix"): Op(
        _radar(f"{PRIVATE}/radar/sponsor_disengagement/fix"),
        RADAR_ACTORS,
        writes=writes_by("leader", "admin"),
    ),
}


# Domain discovery: the org admins' proposals; a spin-off of the private community, which only
# its leaders (and org admins) see and decide: members 403, the outsider 404.
def _spin_off(action: str) -> Callable[[Org], str]:
    from tests.test_permission_matrix import _spin_off_stored

    def read(org: Org) -> str:
        return f"/discovery/proposals/{_spin_off_stored(org)}/{action}"

    return read


OPERATIONS |= {
    ("GET", "/discovery/proposals"): Op(
        lambda o: "/discovery/proposals", only({"admin": 200}, 403)
    ),
    ("GET", "/communities/{slug}/proposals"): Op(lambda o: f"{PRIVATE}/proposals", RADAR_ACTORS),
    ("POST", "/discovery/proposals/{proposal_id}/accept"): Op(
        _spin_off("accept"), RADAR_ACTORS, writes=writes_by("leader", "admin")
    ),
    ("POST", "/discovery/proposals/{proposal_id}/dismiss"): Op(
        _spin_off("dismiss"),
        RADAR_ACTORS | {"leader": 204, "admin": 204},
        body=lambda o: {"reason": "We run drills in the council itself."},
    ),
}


def test_every_api_operation_has_a_permission_case() -> None:
    missing = sorted(_operations() - set(OPERATIONS))
    assert not missing, f"API operations without a permission case: {missing}"
    assert not sorted(set(OPERATIONS) - _operations()), "cases for operations that are gone"


MATRIX = [
    pytest.param(method, path, persona, id=f"{method} {path}-{persona}")
    for (method, path) in OPERATIONS
    for persona in PERSONAS
]


@pytest.mark.parametrize(("method", "path", "persona"), MATRIX)
def test_api_permission(method: str, path: str, persona: str, org_with_content: Org) -> None:
    org = org_with_content
    op = OPERATIONS[(method, path)]
    url = API + op.url(org)
    headers = {}
    if persona != "anonymous":
        _, raw = api_token_create(actor=getattr(org, persona), name="matrix")
        headers["Authorization"] = f"Bearer {raw}"
    client = Client(headers=headers)
    checked = op.writes.get(persona) in (DENIED, ALLOWED)
    before = _fingerprint() if checked else None  # ~40 queries: only where it is compared
    body = op.body(org) if op.body else None
    response = client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
    )
    expected = op.status[persona]
    assert response.status_code == expected, (method, url, persona, response.content[:300])
    if response.status_code >= 400:
        error = response.json()
        assert isinstance(error["detail"], str) and isinstance(error["errors"], list)
    if op.writes.get(persona) == DENIED:
        assert _fingerprint() == before, f"{method} {url} as {persona} changed data"
    elif op.writes.get(persona) == ALLOWED:
        assert _fingerprint() != before, f"{method} {url} as {persona} changed nothing"
    if persona == "outsider":
        text = response.content.decode()
        assert org.private.name not in text and org.private.slug not in text.replace(url, "")
        assert PRIVATE_QUESTION not in text and PRIVATE_RESOURCE not in text
