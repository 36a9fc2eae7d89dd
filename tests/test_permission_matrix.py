"""Every URL pattern has a permission case; a new page without one fails here.

Each case says, for each persona, the status code and whether the request may change anything.
Denied writes must leave the database exactly as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.personas import (
    PRIVATE_QUESTION,
    PRIVATE_RESOURCE,
    Org,
)
from trellis.accounts.models import ApiToken
from trellis.communities.models import (
    Community,
    CommunityInvitation,
    JoinRequest,
    Membership,
    Sponsorship,
)
from trellis.events.models import CalendarFeed, Event, EventReminder, EventSeries, Rsvp
from trellis.expertise.models import Availability, Endorsement, LearnedTopic, RoutingDecision
from trellis.facilitation.models import Assignment, OptIn, SwapRequest
from trellis.library.models import Resource
from trellis.mentoring.models import MentorOffer, Mentorship
from trellis.notifications.models import Notification, Preference
from trellis.people.models import Person
from trellis.people.services import person_set_active
from trellis.qa.models import Comment, Follow, Post, PostTag, Thanks, Vote
from trellis.radar.models import RadarSnooze
from trellis.reports.models import ReportSubscription, SponsorResources
from trellis.search.models import DuplicatePair, MergeRecord

PERSONAS = ("anonymous", "outsider", "member", "sponsor", "leader", "admin")
ALLOWED, DENIED = "allowed", "denied"


@dataclass
class Case:
    method: str
    url: Callable[[Org], str]
    status: dict[str, int]
    data: Callable[[Org], dict[str, str]] = lambda org: {}
    writes: dict[str, str] = field(default_factory=dict)  # persona -> allowed/denied


def _after(setup: Callable[[Org], object], url: Callable[[Org], str]) -> Callable[[Org], str]:
    """A case's URL, read once `setup` has made what the request needs."""

    def read(org: Org) -> str:
        setup(org)
        return url(org)

    return read


def _private_cluster(org: Org, url: str) -> str:
    """Two copies of a guide in the private community, found as a duplicate cluster."""
    from trellis.library.services import resource_create
    from trellis.search.duplicates import detect, open_clusters
    from trellis.search.indexing import reindex_all

    body = (
        "Rotate the breach drill keys every quarter. The vault owner signs the rotation, "
        "the deputy checks the audit log, and the old keys are destroyed the same day."
    )
    for title in ("Drill keys rotation", "Rotation of the drill keys"):
        resource_create(
            actor=org.leader, community=org.private, kind="guide", title=title, body=body
        )
    reindex_all()
    detect(org.private.pk)
    org.cluster_key = open_clusters(org.private.pk)[0].key
    return url


def _indexed(url: str) -> str:
    from trellis.search.indexing import reindex_all

    reindex_all()
    return url


def everyone(code: int, anonymous: int = 302) -> dict[str, int]:
    return {p: code for p in PERSONAS} | {"anonymous": anonymous}


def private(org: Org) -> str:
    return org.private.slug


def denied_for_all_but(*allowed: str) -> dict[str, str]:
    return {p: (ALLOWED if p in allowed else DENIED) for p in PERSONAS}


LEADERS_ONLY = {
    "anonymous": 302,
    "outsider": 404,
    "member": 404,
    "sponsor": 404,
    "leader": 200,
    "admin": 200,
}
# A page for the core team of a community the viewer can see: the others who can see it are
# told who may open it (403); an outsider gets the 404 of a missing community.
CURATORS_ONLY = LEADERS_ONLY | {"member": 403, "sponsor": 403}
CURATOR_WRITE = {
    "anonymous": 302,
    "outsider": 404,
    "member": 403,
    "sponsor": 403,
    "leader": 302,
    "admin": 302,
}
VISIBLE_PRIVATE = {
    "anonymous": 302,
    "outsider": 404,
    "member": 200,
    "sponsor": 200,
    "leader": 200,
    "admin": 200,
}
# A write on the private community: outsiders get the 404 of a missing community, the others a
# redirect back with a message saying what happened.
PRIVATE_WRITE = {
    "anonymous": 302,
    "outsider": 404,
    "member": 302,
    "sponsor": 302,
    "leader": 302,
    "admin": 302,
}


def _merge_record(org: Org) -> int:
    return MergeRecord.objects.create(community=org.private, summary="merged").pk


def _deactivated(org: Org) -> int:
    person_set_active(actor=org.admin, person=org.newcomer, active=False)
    return org.newcomer.pk


def _pending_request(org: Org) -> JoinRequest:
    return JoinRequest.objects.get_or_create(
        community=org.private, person=org.newcomer, status="pending"
    )[0]


def _invitation(org: Org) -> CommunityInvitation:
    return CommunityInvitation.objects.get_or_create(
        community=org.private,
        person=org.outsider,
        status="pending",
        defaults={"invited_by": org.leader},
    )[0]


def _leaders_request(org: Org) -> int:
    """The leader was asked about the private question."""
    return RoutingDecision.objects.get_or_create(
        question=org.c.private_question,
        person=org.leader,
        defaults={"community": org.private, "stage": "expert", "reason": "Answered the vault"},
    )[0].pk


def _members_endorsement(org: Org) -> int:
    """The member endorsed the leader on the vault."""
    from trellis.expertise.services.endorsements import endorsement_add

    return endorsement_add(actor=org.member, person=org.leader, tag="vault").pk


def _locked_out(org: Org) -> int:
    """The newcomer, locked out by ten failed sign-ins."""
    AccessAttempt.objects.create(
        username=org.newcomer.email, ip_address="10.0.0.1", user_agent="", failures_since_start=10
    )
    return org.newcomer.pk


def _token(org: Org) -> ApiToken:
    return ApiToken.objects.create(
        person=org.leader, name="ci", prefix="trl_x", token_hash="x" * 64
    )


CASES: dict[str, list[Case]] = {
    "home": [Case("GET", lambda o: reverse("home"), everyone(200))],
    "community-directory": [Case("GET", lambda o: reverse("community-directory"), everyone(200))],
    "community-create": [
        Case("GET", lambda o: reverse("community-create"), everyone(200)),
        Case(
            "POST",
            lambda o: reverse("community-create"),
            everyone(302),
            data=lambda o: {
                "name": "New one",
                "domain": "Things",
                "visibility": "public",
                "status": "seed",
            },
            writes=denied_for_all_but(*PERSONAS[1:]),
        ),
    ],
    "community-detail": [
        Case("GET", lambda o: reverse("community-detail", args=[private(o)]), VISIBLE_PRIVATE),
        Case("GET", lambda o: reverse("community-detail", args=[o.public.slug]), everyone(200)),
    ],
    "community-join": [
        Case(
            "POST",
            lambda o: reverse("community-join", args=[private(o)]),
            PRIVATE_WRITE,
            writes=denied_for_all_but(),
        ),
        Case(
            "POST",
            lambda o: reverse("community-join", args=[o.public.slug]),
            everyone(302),
            writes=denied_for_all_but("outsider", "sponsor", "admin"),
        ),
    ],
    "community-leave": [
        Case(
            "POST",
            lambda o: reverse("community-leave", args=[private(o)]),
            PRIVATE_WRITE,
            # the only leader cannot leave a community that has members
            writes=denied_for_all_but("member"),
        ),
    ],
    "community-request": [
        Case(
            "POST",
            lambda o: reverse("community-request", args=[private(o)]),
            {
                "anonymous": 302,
                "outsider": 200,
                "member": 302,
                "sponsor": 200,
                "leader": 302,
                "admin": 200,
            },
            writes=denied_for_all_but("outsider", "sponsor", "admin"),
        ),
    ],
    "community-settings": [
        Case("GET", lambda o: reverse("community-settings", args=[private(o)]), CURATORS_ONLY),
        Case(
            "POST",
            lambda o: reverse("community-settings", args=[private(o)]),
            CURATORS_ONLY | {"leader": 302, "admin": 302},
            data=lambda o: {
                "name": "Renamed",
                "domain": "d",
                "visibility": "private",
                "status": "growing",
            },
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "community-invite": [
        Case(
            "POST",
            lambda o: reverse("community-invite", args=[private(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"email": o.newcomer.email, "role": "member"},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "membership-remove": [
        Case(
            "POST",
            lambda o: reverse("membership-remove", args=[private(o), o.member.pk]),
            PRIVATE_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "membership-role": [
        Case(
            "POST",
            lambda o: reverse("membership-role", args=[private(o), o.member.pk]),
            PRIVATE_WRITE,
            data=lambda o: {"role": "core"},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "sponsor-add": [
        Case(
            "POST",
            lambda o: reverse("sponsor-add", args=[private(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"email": o.newcomer.email},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "sponsor-remove": [
        Case(
            "POST",
            lambda o: reverse("sponsor-remove", args=[private(o), o.sponsor.pk]),
            PRIVATE_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "join-request-decide": [
        Case(
            "POST",
            lambda o: reverse("join-request-decide", args=[_pending_request(o).pk]),
            {
                "anonymous": 302,
                "outsider": 404,
                "member": 404,
                "sponsor": 404,
                "leader": 302,
                "admin": 302,
            },
            data=lambda o: {"decision": "approve"},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "invitation-respond": [
        # Only the invitee (the outsider here) can answer; for anyone else it does not exist.
        Case(
            "POST",
            lambda o: reverse("invitation-respond", args=[_invitation(o).pk]),
            {
                "anonymous": 302,
                "outsider": 302,
                "member": 404,
                "sponsor": 404,
                "leader": 404,
                "admin": 404,
            },
            data=lambda o: {"decision": "accept"},
            writes=denied_for_all_but("outsider"),
        ),
    ],
    "person-directory": [Case("GET", lambda o: reverse("person-directory"), everyone(200))],
    "person-detail": [
        Case("GET", lambda o: reverse("person-detail", args=[o.member.pk]), everyone(200))
    ],
    "profile-edit": [Case("GET", lambda o: reverse("profile-edit"), everyone(200))],
    "admin-person-edit": [
        Case(
            "GET",
            lambda o: reverse("admin-person-edit", args=[o.member.pk]),
            everyone(403) | {"admin": 200},
        ),
        Case(
            "POST",
            lambda o: reverse("admin-person-edit", args=[o.member.pk]),
            everyone(403) | {"admin": 302},
            data=lambda o: {"name": "Mo Renamed", "email": o.member.email},
            writes=denied_for_all_but("admin"),
        ),
    ],
    "admin-person-deactivate": [
        Case(
            "GET",
            lambda o: reverse("admin-person-deactivate", args=[o.leader.pk]),
            everyone(403) | {"admin": 200},
        ),
        Case(
            "POST",
            lambda o: reverse("admin-person-deactivate", args=[o.leader.pk]),
            everyone(403) | {"admin": 302},
            data=lambda o: {
                f"successor_{o.public.pk}": str(o.facilitator.pk),
                f"successor_{o.private.pk}": str(o.facilitator.pk),
            },
            writes=denied_for_all_but("admin"),
        ),
    ],
    "admin-person-reactivate": [
        Case(
            "GET",
            lambda o: reverse("admin-person-reactivate", args=[_deactivated(o)]),
            everyone(403) | {"admin": 200},
        ),
        Case(
            "POST",
            lambda o: reverse("admin-person-reactivate", args=[_deactivated(o)]),
            everyone(403) | {"admin": 302},
            writes=denied_for_all_but("admin"),
        ),
    ],
    "admin-people": [
        Case("GET", lambda o: reverse("admin-people"), everyone(404) | {"admin": 200}),
        Case(
            "POST",
            lambda o: reverse("admin-people"),
            everyone(404) | {"admin": 302},
            data=lambda o: {"name": "New Person", "email": "new@example.com"},
            writes=denied_for_all_but("admin"),
        ),
    ],
    "admin-invite": [
        Case(
            "POST",
            lambda o: reverse("admin-invite", args=[o.newcomer.pk]),
            everyone(404) | {"admin": 302},
            writes=denied_for_all_but("admin"),
        ),
    ],
    "admin-unlock-signin": [
        Case(
            "POST",
            lambda o: reverse("admin-unlock-signin", args=[_locked_out(o)]),
            everyone(404) | {"admin": 302},
            writes=denied_for_all_but("admin"),
        ),
    ],
    "admin-import": [
        Case("GET", lambda o: reverse("admin-import"), everyone(404) | {"admin": 200}),
    ],
    "login": [Case("GET", lambda o: reverse("login"), everyone(302, anonymous=200))],
    "logout": [Case("POST", lambda o: reverse("logout"), everyone(302))],
    "password_reset": [Case("GET", lambda o: reverse("password_reset"), everyone(200, 200))],
    "password_reset_done": [
        Case("GET", lambda o: reverse("password_reset_done"), everyone(200, 200))
    ],
    "password_reset_confirm": [
        Case(
            "GET",
            lambda o: reverse("password_reset_confirm", args=["MQ", "bad-token"]),
            everyone(200, 200),
        )
    ],
    "password_reset_complete": [
        Case("GET", lambda o: reverse("password_reset_complete"), everyone(200, 200))
    ],
    "accept-invitation": [
        Case(
            "GET", lambda o: reverse("accept-invitation", args=["not-a-token"]), everyone(404, 404)
        )
    ],
    "api-tokens": [Case("GET", lambda o: reverse("api-tokens"), everyone(200))],
    "api-token-revoke": [
        # Someone else's token does not exist for you: 302 back with an error, nothing revoked.
        Case(
            "POST",
            lambda o: reverse("api-token-revoke", args=[_token(o).pk]),
            everyone(302),
            writes=denied_for_all_but("leader"),
        ),
    ],
}

# --- Ask the Expert, the library, notifications ---------------------------------------------
# The private community's question was asked by the member and answered by the leader; its
# resource is owned by the leader. Members of the private community: member, leader (and the
# facilitator); the sponsor sees it without belonging; the outsider does not know it exists.
PRIVATE_POST_WRITE = PRIVATE_WRITE  # 404 for the outsider, a redirect with a message otherwise
CORE_TEAM_PAGE = LEADERS_ONLY


def _private_q(o: Org) -> int:
    return o.c.private_question.pk


def _private_a(o: Org) -> int:
    return o.c.private_answer.pk


def _private_r(o: Org) -> int:
    return o.c.private_resource.pk


def _closed_private_q(o: Org) -> int:
    from trellis.qa.services import question_close_duplicate

    question_close_duplicate(
        actor=o.leader, question=o.c.private_question, original=o.c.public_question
    )
    return o.c.private_question.pk


def _members_notification(o: Org) -> int:
    from trellis.notifications.models import Notification

    return (
        Notification.objects.filter(recipient=o.member)
        .order_by("pk")
        .values_list("pk", flat=True)[0]
    )


def _private_conversation(o: Org) -> int:
    from trellis.qa.models import Conversation, Message

    conversation = Conversation.objects.create(
        community=o.private, title=PRIVATE_QUESTION, source="slack", source_id="C9:1"
    )
    Message.objects.create(
        conversation=conversation,
        body="drill",
        body_html="<p>drill</p>",
        source="slack",
        source_id="C9:1",
    )
    return conversation.pk


def _import_run(o: Org) -> int:
    from trellis.imports.models import ImportRun

    return ImportRun.objects.create(kind="stackexchange", label="dump.zip", started_by=o.admin).pk


def _unsubscribe_url(o: Org) -> str:
    from trellis.notifications.tokens import unsubscribe_token

    return reverse("unsubscribe", args=[unsubscribe_token(o.member.pk, "digest")])


CASES |= {
    "question-list": [Case("GET", lambda o: reverse("question-list"), everyone(200))],
    "community-questions": [
        Case("GET", lambda o: reverse("community-questions", args=[private(o)]), VISIBLE_PRIVATE),
        Case(
            "GET",
            lambda o: reverse("community-questions", args=[o.public.slug]) + "?sort=unanswered",
            everyone(200),
        ),
    ],
    "question-ask": [
        Case("GET", lambda o: reverse("question-ask"), everyone(200)),
        Case(
            "POST",
            lambda o: reverse("question-ask"),
            # The outsider cannot pick the private community: the form comes back, unsaved.
            everyone(302) | {"outsider": 200},
            data=lambda o: {
                "community": private(o),
                "title": "Who rotates the HSM keys this quarter?",
                "body": "Asking for the audit.",
                "tags": "hsm",
            },
            writes=denied_for_all_but("member", "sponsor", "leader", "admin"),
        ),
    ],
    "question-detail": [
        Case("GET", lambda o: reverse("question-detail", args=[_private_q(o)]), VISIBLE_PRIVATE),
        Case(
            "GET", lambda o: reverse("question-detail", args=[o.c.org_question.pk]), everyone(200)
        ),
    ],
    "answer-post": [
        Case(
            "POST",
            lambda o: reverse("answer-post", args=[_private_q(o)]),
            PRIVATE_POST_WRITE,
            data=lambda o: {"body": "Check the offline vault log first."},
            writes=denied_for_all_but("member", "sponsor", "leader", "admin"),
        )
    ],
    "comment-add": [
        Case(
            "POST",
            lambda o: reverse("comment-add", args=[_private_a(o)]),
            PRIVATE_POST_WRITE,
            data=lambda o: {"body": "Thanks, that worked."},
            writes=denied_for_all_but("member", "sponsor", "leader", "admin"),
        )
    ],
    "post-edit": [
        Case(
            "GET",
            lambda o: reverse("post-edit", args=[_private_q(o)]),
            CORE_TEAM_PAGE | {"member": 200},  # the asker, the leader, an org admin
        ),
        Case(
            "POST",
            lambda o: reverse("post-edit", args=[_private_q(o)]),
            CORE_TEAM_PAGE | {"member": 302, "leader": 302, "admin": 302},
            data=lambda o: {
                "title": "Which vault holds the drill keys now?",
                "body": "Edited for clarity.",
                "tags": "incident-response",
                "note": "clarity",
            },
            writes=denied_for_all_but("member", "leader", "admin"),
        ),
    ],
    "post-revisions": [
        Case("GET", lambda o: reverse("post-revisions", args=[_private_q(o)]), VISIBLE_PRIVATE)
    ],
    "post-vote": [
        Case(
            "POST",
            lambda o: reverse("post-vote", args=[_private_a(o)]),
            PRIVATE_POST_WRITE,
            data=lambda o: {"value": "1"},
            writes=denied_for_all_but("member", "sponsor", "admin"),  # not on your own answer
        )
    ],
    "post-thank": [
        Case(
            "POST",
            lambda o: reverse("post-thank", args=[_private_a(o)]),
            PRIVATE_POST_WRITE,
            writes=denied_for_all_but("member", "sponsor", "admin"),
        )
    ],
    "answer-accept": [
        Case(
            "POST",
            lambda o: reverse("answer-accept", args=[_private_a(o)]),
            PRIVATE_POST_WRITE,
            data=lambda o: {"accept": "1"},
            writes=denied_for_all_but("member", "leader", "admin"),  # the asker or a leader
        )
    ],
    "question-follow": [
        Case(
            "POST",
            lambda o: reverse("question-follow", args=[_private_q(o)]),
            PRIVATE_POST_WRITE,
            data=lambda o: {"follow": "0"},
            writes=denied_for_all_but("member", "leader"),  # the asker and the answerer follow
        )
    ],
    "question-close": [
        Case(
            "POST",
            lambda o: reverse("question-close", args=[_private_q(o)]),
            PRIVATE_POST_WRITE,
            data=lambda o: {"duplicate_of": str(o.c.public_question.pk)},
            writes=denied_for_all_but("member", "leader", "admin"),
        )
    ],
    "question-reopen": [
        Case(
            "POST",
            lambda o: reverse("question-reopen", args=[_closed_private_q(o)]),
            PRIVATE_POST_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "resource-promote": [
        Case("GET", lambda o: reverse("resource-promote", args=[_private_q(o)]), CORE_TEAM_PAGE),
        Case(
            "POST",
            lambda o: reverse("resource-promote", args=[_private_q(o)]),
            CORE_TEAM_PAGE | {"leader": 302, "admin": 302},
            data=lambda o: {"title": "Where the drill keys live", "kind": "guide"},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "library": [Case("GET", lambda o: reverse("library") + "?state=fresh", everyone(200))],
    # Search: the content is indexed first, so that the outsider check below has something
    # private to leak (its words are in the query; the private slug as a filter).
    "search": [
        Case(
            "GET",
            lambda o: _indexed(reverse("search") + "?q=breach+drill+vault+keys+runbook"),
            everyone(200),
        ),
        Case(
            "GET",
            lambda o: _indexed(f"{reverse('search')}?q=keys&community={o.private.slug}"),
            everyone(200),
        ),
    ],
    "search-related": [
        Case(
            "GET",
            lambda o: _indexed(
                reverse("search-related", args=["resource", o.c.private_resource.pk])
            ),
            everyone(200),
        ),
        Case(
            "GET",
            lambda o: _indexed(
                reverse("search-related", args=["question", o.c.public_question.pk])
            ),
            everyone(200),
        ),
    ],
    "duplicate-queue": [
        Case("GET", lambda o: reverse("duplicate-queue", args=[private(o)]), CURATORS_ONLY),
    ],
    "duplicate-resolve": [
        Case(
            "POST",
            lambda o: _private_cluster(o, reverse("duplicate-resolve", args=[private(o)])),
            CURATOR_WRITE,
            data=lambda o: {"action": "dismiss", "documents": o.cluster_key},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "duplicate-undo": [
        Case(
            "POST",
            lambda o: reverse("duplicate-undo", args=[private(o), _merge_record(o)]),
            CURATOR_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "who-knows": [
        Case(
            "GET",
            lambda o: _indexed(reverse("who-knows") + "?q=breach+drill+vault+keys"),
            everyone(200),
        ),
        Case(
            "GET",
            lambda o: _indexed(f"{reverse('who-knows')}?q=keys&community={o.private.slug}"),
            everyone(200),
        ),
    ],
    "availability-edit": [
        Case("GET", lambda o: reverse("availability-edit"), everyone(200)),
        Case(
            "POST",
            lambda o: reverse("availability-edit"),
            everyone(302),
            data=lambda o: {"weekly_cap": "1", "away_until": "2099-01-01"},
            writes=denied_for_all_but(*PERSONAS[1:]),
        ),
    ],
    "routing-requests": [Case("GET", lambda o: reverse("routing-requests"), everyone(200))],
    "routing-pass": [
        # The leader's own request: only the leader's pass changes anything.
        Case(
            "POST",
            lambda o: reverse("routing-pass", args=[_leaders_request(o)]),
            everyone(302),
            writes=denied_for_all_but("leader"),
        )
    ],
    "question-connect": [
        Case(
            "POST",
            lambda o: reverse("question-connect", args=[o.c.private_question.pk]),
            {
                "anonymous": 302,
                "outsider": 404,
                "member": 403,
                "sponsor": 403,
                "leader": 302,
                "admin": 302,
            },
            data=lambda o: {"email": o.sponsor.email, "note": "You know the vault"},
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "routing-load": [
        Case(
            "GET",
            _after(_leaders_request, lambda o: reverse("routing-load", args=[private(o)])),
            {
                "anonymous": 302,
                "outsider": 404,
                "member": 403,
                "sponsor": 403,
                "leader": 200,
                "admin": 200,
            },
        )
    ],
    "endorse": [
        Case(
            "POST",
            lambda o: reverse("endorse", args=[o.leader.pk]),
            everyone(302),
            data=lambda o: {"tag": "vault"},
            writes=denied_for_all_but("outsider", "member", "sponsor", "admin"),  # not oneself
        )
    ],
    "endorse-withdraw": [
        Case(
            "POST",
            _after(_members_endorsement, lambda o: reverse("endorse-withdraw", args=[o.leader.pk])),
            everyone(302),
            data=lambda o: {"tag": "vault"},
            writes=denied_for_all_but("member"),  # only the endorser takes it back
        )
    ],
    "routing-load-org": [
        Case("GET", lambda o: reverse("routing-load-org"), everyone(403) | {"admin": 200})
    ],
    "search-similar": [
        Case(
            "GET",
            lambda o: _indexed(
                reverse("search-similar") + "?title=" + "Which+vault+holds+the+breach+drill+keys"
            ),
            everyone(200),
        ),
    ],
    "community-library": [
        Case("GET", lambda o: reverse("community-library", args=[private(o)]), VISIBLE_PRIVATE)
    ],
    "resource-create": [
        Case("GET", lambda o: reverse("resource-create"), everyone(200)),
        Case(
            "POST",
            lambda o: reverse("resource-create") + f"?community={private(o)}",
            # Members add to their community's library; the sponsor gets the form back.
            PRIVATE_POST_WRITE | {"sponsor": 200},
            data=lambda o: {"kind": "howto", "title": "Rotate keys", "body": "1. Open the vault"},
            writes=denied_for_all_but("member", "leader", "admin"),
        ),
    ],
    "resource-detail": [
        Case("GET", lambda o: reverse("resource-detail", args=[_private_r(o)]), VISIBLE_PRIVATE)
    ],
    "resource-edit": [
        Case("GET", lambda o: reverse("resource-edit", args=[_private_r(o)]), CORE_TEAM_PAGE),
        Case(
            "POST",
            lambda o: reverse("resource-edit", args=[_private_r(o)]),
            CORE_TEAM_PAGE | {"leader": 302, "admin": 302},
            data=lambda o: {"kind": "decision", "title": "Breach drill", "body": "Quarterly."},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "resource-versions": [
        Case("GET", lambda o: reverse("resource-versions", args=[_private_r(o)]), VISIBLE_PRIVATE)
    ],
    "resource-verify": [
        Case(
            "POST",
            lambda o: reverse("resource-verify", args=[_private_r(o)]),
            PRIVATE_POST_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "resource-obsolete": [
        Case(
            "POST",
            lambda o: reverse("resource-obsolete", args=[_private_r(o)]),
            PRIVATE_POST_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "resource-duplicate": [
        Case(
            "POST",
            lambda o: reverse("resource-duplicate", args=[_private_r(o)]),
            PRIVATE_POST_WRITE,
            data=lambda o: {"canonical": str(o.c.public_resource.pk)},
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "import-list": [
        Case("GET", lambda o: reverse("import-list"), everyone(404) | {"admin": 200}),
        Case(
            "POST",
            lambda o: reverse("import-list"),
            everyone(404) | {"admin": 200},  # no file: the form comes back with a message
            data=lambda o: {"kind": "stackexchange"},
            writes=denied_for_all_but(),
        ),
    ],
    "import-detail": [
        Case(
            "GET",
            lambda o: reverse("import-detail", args=[_import_run(o)]),
            everyone(404) | {"admin": 200},
        )
    ],
    "community-conversations": [
        Case(
            "GET",
            lambda o: reverse("community-conversations", args=[private(o)]),
            VISIBLE_PRIVATE,
        )
    ],
    "conversation-detail": [
        Case(
            "GET",
            lambda o: reverse("conversation-detail", args=[_private_conversation(o)]),
            VISIBLE_PRIVATE,
        )
    ],
    "notifications": [Case("GET", lambda o: reverse("notifications"), everyone(200))],
    "notification-bell": [Case("GET", lambda o: reverse("notification-bell"), everyone(200))],
    "notification-settings": [
        Case("GET", lambda o: reverse("notification-settings"), everyone(200)),
        Case(
            "POST",
            lambda o: reverse("notification-settings"),
            everyone(302),
            data=lambda o: {"digest": "daily"},
            writes=denied_for_all_but(*PERSONAS[1:]),
        ),
    ],
    "notifications-read-all": [
        Case(
            "POST",
            lambda o: reverse("notifications-read-all"),
            everyone(302),
            writes=denied_for_all_but("member"),  # the only persona with unread news
        )
    ],
    "notification-open": [
        # Someone else's notification: back to your own list, nothing marked.
        Case(
            "POST",
            lambda o: reverse("notification-open", args=[_members_notification(o)]),
            everyone(302),
            writes=denied_for_all_but("member"),
        )
    ],
    "unsubscribe": [
        # The signed link works without signing in (RFC 8058 one-click), for whoever holds it.
        Case("GET", _unsubscribe_url, everyone(200, 200)),
        Case("POST", _unsubscribe_url, everyone(200, 200), writes=denied_for_all_but(*PERSONAS)),
    ],
}

# --- mentoring ------------------------------------------------------------------------------
# Everyone is interested in helm and in the private community's topic; the leader lists helm
# among their skills (and so is suggested to everyone else). A mentorship exists only for its
# mentor and its mentee: the member mentors the newcomer, for everyone else it is a 404.


def _mentoring(o: Org) -> None:
    from datetime import timedelta

    from django.utils import timezone

    Person.objects.update(interests=["helm", "incident-response"])
    Person.objects.filter(pk=o.leader.pk).update(skills=["helm"])
    Person.objects.filter(pk=o.newcomer.pk).update(
        start_date=timezone.localdate() - timedelta(days=10)
    )


def _mentorship(o: Org, *, active: bool = False) -> int:
    from trellis.mentoring import services as mentoring

    _mentoring(o)
    made = mentoring.mentorship_propose(actor=o.admin, mentor=o.member, mentee=o.newcomer)
    if active:
        for side in (o.member, o.newcomer):
            mentoring.mentorship_respond(actor=side, mentorship_id=made.pk, accept=True)
    return made.pk


MENTORSHIP_SIDE = everyone(404) | {"member": 302}

CASES |= {
    "mentor-find": [
        Case("GET", _after(_mentoring, lambda o: reverse("mentor-find")), everyone(200))
    ],
    "mentorship-propose": [
        # Anyone may ask the leader; the leader asking themselves gets the form back.
        Case(
            "POST",
            _after(_mentoring, lambda o: reverse("mentorship-propose")),
            everyone(302) | {"leader": 200},
            data=lambda o: {"mentor": str(o.leader.pk), "message": "Helm, please"},
            writes=denied_for_all_but("outsider", "member", "sponsor", "admin"),
        )
    ],
    "mentorship-list": [Case("GET", lambda o: reverse("mentorship-list"), everyone(200))],
    "mentorship-respond": [
        Case(
            "POST",
            lambda o: reverse("mentorship-respond", args=[_mentorship(o)]),
            MENTORSHIP_SIDE,
            data=lambda o: {"decision": "accept"},
            writes=denied_for_all_but("member"),
        )
    ],
    "mentorship-end": [
        Case(
            "POST",
            lambda o: reverse("mentorship-end", args=[_mentorship(o, active=True)]),
            MENTORSHIP_SIDE,
            writes=denied_for_all_but("member"),
        )
    ],
    "mentor-offer-edit": [
        Case("GET", lambda o: reverse("mentor-offer-edit"), everyone(200)),
        Case(
            "POST",
            lambda o: reverse("mentor-offer-edit"),
            everyone(302),
            data=lambda o: {"open": "on", "capacity": "3", "note": "Helm"},
            writes=denied_for_all_but(*PERSONAS[1:]),
        ),
    ],
    "mentoring-cohort": [
        Case(
            "GET",
            _after(_mentoring, lambda o: reverse("mentoring-cohort")),
            everyone(404) | {"admin": 200},
        ),
        Case(
            "POST",
            _after(_mentoring, lambda o: reverse("mentoring-cohort")),
            everyone(404) | {"admin": 302},
            data=lambda o: {"pair": f"{o.newcomer.pk}:{o.leader.pk}", "note": "Welcome"},
            writes=denied_for_all_but("admin"),
        ),
    ],
}


# --- events ---------------------------------------------------------------------------------
# The leader organises an event of the private community: those who may see the community see
# it and may reply; its core team (the leader) and org admins change it; for the outsider it
# does not exist. A calendar feed is read without a session: the secret address is the key.


def _private_event(o: Org) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from trellis.events.services import EventFields, event_create

    start = timezone.now().replace(microsecond=0, tzinfo=None) + timedelta(days=3)
    fields = EventFields(
        kind="circle",
        title="Breach drill debrief",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        time_zone="UTC",
        place="Room 4",
        capacity=10,
    )
    return event_create(actor=o.leader, community=o.private, fields=fields).pk


def _outsiders_feed(o: Org, *, revoked: bool = False) -> str:
    """The outsider's own feed, with a private event on the calendar: it never lists it."""
    from trellis.events.services import calendar_feed_create, calendar_feed_revoke

    _private_event(o)
    feed, raw = calendar_feed_create(actor=o.outsider, community=None)
    if revoked:
        calendar_feed_revoke(actor=o.outsider, feed_id=feed.pk)
    return reverse("calendar-feed", args=[raw])


EVENT_FORM = {
    "kind": "circle",
    "title": "Tabletop exercise",
    "day": "2031-05-06",
    "starts": "10:00",
    "ends": "11:00",
    "time_zone": "Europe/London",
    "place": "Room 4",
    "capacity": "8",
}
ORGANISERS_ONLY = everyone(403) | {"leader": 200, "admin": 200}

CASES |= {
    "event-list": [
        Case("GET", _after(_private_event, lambda o: reverse("event-list")), everyone(200))
    ],
    "community-events": [
        Case(
            "GET",
            _after(_private_event, lambda o: reverse("community-events", args=[private(o)])),
            VISIBLE_PRIVATE,
        )
    ],
    "event-create": [
        Case("GET", lambda o: reverse("event-create"), ORGANISERS_ONLY),
        Case(
            "POST",
            lambda o: reverse("event-create"),
            ORGANISERS_ONLY | {"leader": 302, "admin": 302},
            data=lambda o: EVENT_FORM | {"community": private(o)},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "event-detail": [
        Case("GET", lambda o: reverse("event-detail", args=[_private_event(o)]), VISIBLE_PRIVATE)
    ],
    "event-ics": [
        Case("GET", lambda o: reverse("event-ics", args=[_private_event(o)]), VISIBLE_PRIVATE)
    ],
    "event-edit": [
        Case("GET", lambda o: reverse("event-edit", args=[_private_event(o)]), CURATORS_ONLY),
        Case(
            "POST",
            lambda o: reverse("event-edit", args=[_private_event(o)]),
            CURATOR_WRITE,
            data=lambda o: EVENT_FORM,
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
    "event-cancel": [
        Case(
            "POST",
            lambda o: reverse("event-cancel", args=[_private_event(o)]),
            CURATOR_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "event-rsvp": [
        Case(
            "POST",
            lambda o: reverse("event-rsvp", args=[_private_event(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"answer": "going"},
            writes=denied_for_all_but("member", "sponsor", "leader", "admin"),
        )
    ],
    "calendar-feeds": [
        Case("GET", lambda o: reverse("calendar-feeds"), everyone(200)),
        Case(
            "POST",
            lambda o: reverse("calendar-feeds"),
            everyone(200),
            writes=denied_for_all_but(*PERSONAS[1:]),
        ),
        Case(
            "POST",
            lambda o: reverse("calendar-feeds"),
            everyone(200) | {"outsider": 404},
            data=lambda o: {"community": private(o)},
            writes=denied_for_all_but("member", "sponsor", "leader", "admin"),
        ),
    ],
    "calendar-feed": [
        Case("GET", _outsiders_feed, everyone(200, 200)),
        Case("GET", lambda o: _outsiders_feed(o, revoked=True), everyone(404, 404)),
    ],
}


# --- events-more: UI permission cases (CASES |= {...}) go below this line ---
# Attendance is ticked by the organisers (and the event's facilitator) once the private event
# has started; members who may see it are told who may (403), the outsider finds nothing.


def _private_past_event(o: Org) -> int:
    """The private community's event, moved to yesterday so attendance may be recorded."""
    from datetime import timedelta

    event_id = _private_event(o)
    event = Event.objects.get(pk=event_id)
    Event.objects.filter(pk=event_id).update(
        starts_at=event.starts_at - timedelta(days=4), ends_at=event.ends_at - timedelta(days=4)
    )
    return event_id


CASES |= {
    "event-attendance": [
        Case(
            "GET",
            lambda o: reverse("event-attendance", args=[_private_past_event(o)]),
            CURATORS_ONLY,
        ),
        Case(
            "POST",
            lambda o: reverse("event-attendance", args=[_private_past_event(o)]),
            CURATOR_WRITE,
            data=lambda o: {"came": str(o.member.pk)},
            writes=denied_for_all_but("leader", "admin"),
        ),
    ],
}


# --- agendas: UI permission cases (CASES |= {...}) go below this line ---
# The private community has agendas switched on; the member proposed a topic for the private
# event. Those who may see the event propose and vote; the leader (core team) and org admins
# build, edit and publish; for the outsider none of it exists.


def _agenda_event(o: Org, *, draft: bool = True, started: bool = False) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from trellis.agendas.services import (
        Features,
        agenda_draft_build,
        agenda_item_add,
        community_features_set,
        proposal_add,
    )

    community_features_set(
        actor=o.leader, community=o.private, features=Features(True, True, False)
    )
    event_id = _private_event(o)
    proposal_add(actor=o.member, event_id=event_id, title="Tabletop scenarios for Q3")
    if draft:
        agenda_draft_build(actor=o.leader, event_id=event_id)
        agenda_item_add(actor=o.leader, event_id=event_id, title="Round of introductions")
    if started:
        start = timezone.now() - timedelta(hours=2)
        Event.objects.filter(pk=event_id).update(
            starts_at=start, ends_at=start + timedelta(hours=1)
        )
    return event_id


def _agenda_proposal(o: Org) -> int:
    from trellis.agendas.models import Proposal

    return Proposal.objects.get(event_id=_agenda_event(o, draft=False)).pk


def _agenda_item(o: Org) -> int:
    from trellis.agendas.models import AgendaItem

    event_id = _agenda_event(o)
    return AgendaItem.objects.filter(agenda__event_id=event_id).order_by("position")[0].pk


def _agenda_rows() -> tuple[object, ...]:
    """What an agenda write may change (a line of `_fingerprint`)."""
    from trellis.agendas.models import Agenda, AgendaItem, Proposal, ProposalVote

    return (
        sorted(Proposal.objects.values_list("id", "title", "vote_count")),
        sorted(ProposalVote.objects.values_list("proposal_id", "voter_id")),
        sorted(AgendaItem.objects.values_list("id", "position", "title", "removed_at")),
        sorted(Agenda.objects.values_list("id", "published_at", "notes", "notes_resource_id")),
        sorted(
            Community.objects.values_list(
                "id", "events_enabled", "agendas_enabled", "rotation_enabled"
            )
        ),
    )


def _agenda_url(name: str, **setup: bool) -> Callable[[Org], str]:
    return lambda o: reverse(name, args=[_agenda_event(o, **setup)])


AGENDA_WRITERS = denied_for_all_but("member", "sponsor", "leader", "admin")
AGENDA_RUNNERS = denied_for_all_but("leader", "admin")

CASES |= {
    "agenda-detail": [Case("GET", _agenda_url("agenda-detail"), VISIBLE_PRIVATE)],
    "agenda-propose": [
        Case(
            "POST",
            _agenda_url("agenda-propose", draft=False),
            PRIVATE_WRITE,
            data=lambda o: {"title": "Who holds the drill keys on holiday?"},
            writes=AGENDA_WRITERS,
        )
    ],
    "agenda-vote": [
        Case(
            "POST",
            lambda o: reverse("agenda-vote", args=[_agenda_proposal(o)]),
            PRIVATE_WRITE,
            writes=AGENDA_WRITERS,
        )
    ],
    "agenda-build": [
        Case("POST", _agenda_url("agenda-build", draft=False), CURATOR_WRITE, writes=AGENDA_RUNNERS)
    ],
    "agenda-item-add": [
        Case(
            "POST",
            _agenda_url("agenda-item-add"),
            CURATOR_WRITE,
            data=lambda o: {"title": "Lessons from the last drill"},
            writes=AGENDA_RUNNERS,
        )
    ],
    "agenda-publish": [
        Case("POST", _agenda_url("agenda-publish"), CURATOR_WRITE, writes=AGENDA_RUNNERS)
    ],
    "agenda-notes": [
        Case(
            "POST",
            _agenda_url("agenda-notes", started=True),
            CURATOR_WRITE,
            data=lambda o: {"notes": "We walked through the drill.", "recording_url": ""},
            writes=AGENDA_RUNNERS,
        )
    ],
    "agenda-item-move": [
        Case(
            "POST",
            lambda o: reverse("agenda-item-move", args=[_agenda_item(o)]),
            CURATOR_WRITE,
            data=lambda o: {"direction": "down"},
            writes=AGENDA_RUNNERS,
        )
    ],
    "agenda-item-update": [
        Case(
            "POST",
            lambda o: reverse("agenda-item-update", args=[_agenda_item(o)]),
            CURATOR_WRITE,
            data=lambda o: {"position": "2", "speaker": ""},
            writes=AGENDA_RUNNERS,
        )
    ],
    "agenda-item-remove": [
        Case(
            "POST",
            lambda o: reverse("agenda-item-remove", args=[_agenda_item(o)]),
            CURATOR_WRITE,
            writes=AGENDA_RUNNERS,
        )
    ],
    "community-features": [
        Case("GET", lambda o: reverse("community-features", args=[private(o)]), CURATORS_ONLY),
        Case(
            "POST",
            lambda o: reverse("community-features", args=[private(o)]),
            CURATOR_WRITE,
            data=lambda o: {"events_enabled": "on", "rotation_enabled": "on"},
            writes=AGENDA_RUNNERS,
        ),
    ],
}


# --- facilitation: UI permission cases (CASES |= {...}) go below this line ---
# The private community's weekly circle: the leader, the member and the facilitator volunteer.
# Anyone who may see the community sees the rotation; its members volunteer; its leader (and
# org admins) propose; the person proposed (the member) accepts or asks a colleague (the
# facilitator) to swap; only the two, the leader and org admins act on that swap.


def _rotation_circle(o: Org, *, volunteers: bool = True) -> list[int]:
    """Two upcoming occurrences of a private weekly circle; their event ids."""
    from datetime import timedelta

    from django.utils import timezone

    from trellis.events.models import EventSeries
    from trellis.facilitation.models import OptIn

    first = timezone.now().replace(microsecond=0) + timedelta(days=3)
    Community.objects.filter(pk=o.private.pk).update(rotation_enabled=True)
    o.private.rotation_enabled = True
    series = EventSeries.objects.create(
        community=o.private,
        rrule="FREQ=WEEKLY;COUNT=2",
        time_zone="UTC",
        first_starts_at=first,
        duration=timedelta(hours=1),
        created_by=o.leader,
    )
    ids = []
    for week in range(2):
        starts = first + timedelta(weeks=week)
        ids.append(
            Event.objects.create(
                community=o.private,
                kind="circle",
                title="Breach drill circle",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                time_zone="UTC",
                series=series,
                occurrence_start=starts,
                created_by=o.leader,
            ).pk
        )
    if volunteers:
        for person in (o.leader, o.member, o.facilitator):
            OptIn.objects.get_or_create(community=o.private, person=person)
    return ids


def _proposed_to_member(o: Org) -> int:
    """An occurrence the rotation proposed to the member (not yet accepted)."""
    from trellis.facilitation.models import Assignment

    event_id = _rotation_circle(o)[0]
    Assignment.objects.create(
        event_id=event_id, community=o.private, person=o.member, reason="fewest sessions (0)"
    )
    return event_id


def _members_swap(o: Org) -> int:
    """The member asks the facilitator to take their session instead."""
    from trellis.facilitation.models import SwapRequest

    event_id = _proposed_to_member(o)
    return SwapRequest.objects.create(
        event_id=event_id, community=o.private, asked_by=o.member, colleague=o.facilitator
    ).pk


# Members of the community volunteer: the sponsor and an org admin see it but do not belong.
VOLUNTEER_WRITE = PRIVATE_WRITE | {"sponsor": 403, "admin": 403}
# The person concerned, the leader and org admins; the sponsor sees the community, not the turn.
CONCERNED_WRITE = PRIVATE_WRITE | {"sponsor": 403}

CASES |= {
    "rotation": [
        Case(
            "GET",
            _after(_proposed_to_member, lambda o: reverse("rotation", args=[private(o)])),
            VISIBLE_PRIVATE,
        )
    ],
    "rotation-volunteer": [
        Case(
            "POST",
            _after(_rotation_circle, lambda o: reverse("rotation-volunteer", args=[private(o)])),
            VOLUNTEER_WRITE,
            data=lambda o: {"action": "in", "weekly_load": "2"},
            writes=denied_for_all_but("member", "leader"),
        )
    ],
    "rotation-propose": [
        Case(
            "POST",
            _after(_rotation_circle, lambda o: reverse("rotation-propose", args=[private(o)])),
            CURATOR_WRITE,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "rotation-accept": [
        Case(
            "POST",
            lambda o: reverse("rotation-accept", args=[_proposed_to_member(o)]),
            CONCERNED_WRITE,
            writes=denied_for_all_but("member", "leader", "admin"),
        )
    ],
    "rotation-swap-ask": [
        Case(
            "POST",
            lambda o: reverse("rotation-swap-ask", args=[_proposed_to_member(o)]),
            CONCERNED_WRITE,
            data=lambda o: {"colleague": str(o.facilitator.pk)},
            writes=denied_for_all_but("member", "leader", "admin"),
        )
    ],
    "rotation-swap-answer": [
        # Accepting is for the colleague asked (here not a persona), the leader, org admins.
        Case(
            "POST",
            lambda o: reverse("rotation-swap-answer", args=[_members_swap(o)]),
            PRIVATE_WRITE | {"member": 403, "sponsor": 404},
            data=lambda o: {"answer": "accept"},
            writes=denied_for_all_but("leader", "admin"),
        ),
        # The one who asked may withdraw it.
        Case(
            "POST",
            lambda o: reverse("rotation-swap-answer", args=[_members_swap(o)]),
            PRIVATE_WRITE | {"sponsor": 404},
            data=lambda o: {"answer": "decline"},
            writes=denied_for_all_but("member", "leader", "admin"),
        ),
    ],
}


# --- stories: UI permission cases (CASES |= {...}) go below this line ---
# The member accepted the leader's answer to their private question and told a story about it
# for the community's members; the leader named a goal. Only the member may tell it; leaders
# (and org admins) curate; the sponsor reads and names goals; the outsider sees nothing.


def _private_accepted(o: Org) -> int:
    from trellis.qa.services import answer_accept

    answer_accept(actor=o.member, answer=o.c.private_answer)
    return o.c.private_answer.pk


def _private_goal(o: Org) -> int:
    from trellis.stories.models import Goal

    goal, _ = Goal.objects.get_or_create(
        community=o.private, name="Pass the audit first time", defaults={"created_by": o.leader}
    )
    return goal.pk


def _private_story(o: Org) -> int:
    from trellis.stories.models import Source, Story
    from trellis.stories.services import StoryFields, story_tell

    found = Story.objects.filter(teller=o.member, source=Source.ACCEPTED).first()
    if found is not None:
        return found.pk
    answer_id = _private_accepted(o)
    fields = StoryFields(cycle="applied", text="Found the keys in a minute.", hours_saved="2")
    return story_tell(actor=o.member, source=Source.ACCEPTED, source_id=answer_id, fields=fields).pk


def _stories_fingerprint() -> tuple[object, ...]:
    from trellis.stories.models import Dismissal, Goal, Helped, Story

    return (
        sorted(
            Story.objects.values_list(
                "id", "text", "featured_at", "hidden_at", "detail", "detail_requested_at", "goal_id"
            )
        ),
        sorted(Goal.objects.values_list("id", "name", "retired_at")),
        sorted(Helped.objects.values_list("person_id", "resource_id")),
        sorted(Dismissal.objects.values_list("person_id", "source", "source_id")),
    )


TELLER_WRITE = denied_for_all_but("member")
STORY_CURATORS = denied_for_all_but("leader", "admin")
GOAL_KEEPERS = denied_for_all_but("sponsor", "leader", "admin")

CASES |= {
    "community-stories": [
        Case(
            "GET",
            _after(_private_story, lambda o: reverse("community-stories", args=[private(o)])),
            VISIBLE_PRIVATE,
        )
    ],
    "story-detail": [
        Case("GET", lambda o: reverse("story-detail", args=[_private_story(o)]), VISIBLE_PRIVATE)
    ],
    "story-tell": [
        # Only the asker who accepted tells it; anyone else who sees it is sent home, told why.
        Case(
            "GET",
            lambda o: reverse("story-tell", args=["accepted", _private_accepted(o)]),
            PRIVATE_WRITE | {"member": 200},
        ),
        Case(
            "POST",
            lambda o: reverse("story-tell", args=["accepted", _private_accepted(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"cycle": "realised", "hours_saved": "3", "audience": "members"},
            writes=TELLER_WRITE,
        ),
    ],
    "story-dismiss": [
        Case(
            "POST",
            lambda o: reverse("story-dismiss", args=["accepted", o.c.private_answer.pk]),
            everyone(302),
            writes=denied_for_all_but(*PERSONAS[1:]),
        )
    ],
    "story-curate": [
        Case(
            "POST",
            lambda o: reverse("story-curate", args=[_private_story(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"action": "feature"},
            writes=STORY_CURATORS,
        )
    ],
    "story-ask-detail": [
        Case(
            "POST",
            lambda o: reverse("story-ask-detail", args=[_private_story(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"request": "How long did it take before?"},
            writes=STORY_CURATORS,
        )
    ],
    "story-add-detail": [
        Case(
            "POST",
            lambda o: reverse("story-add-detail", args=[_private_story(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"detail": "Before, it took an afternoon."},
            writes=TELLER_WRITE,
        )
    ],
    "story-goal": [
        Case(
            "POST",
            _after(_private_goal, lambda o: reverse("story-goal", args=[_private_story(o)])),
            PRIVATE_WRITE,
            data=lambda o: {"goal": str(_private_goal(o))},
            writes=denied_for_all_but("member", "leader", "admin"),
        )
    ],
    "story-event-prompt": [
        Case(
            "GET",
            lambda o: reverse("story-event-prompt", args=[_private_event(o)]),
            VISIBLE_PRIVATE,
        )
    ],
    "resource-helped": [
        Case(
            "POST",
            lambda o: reverse("resource-helped", args=[o.c.private_resource.pk]),
            PRIVATE_WRITE,
            writes=denied_for_all_but("member", "sponsor", "leader", "admin"),
        )
    ],
    "goal-create": [
        Case(
            "POST",
            lambda o: reverse("goal-create", args=[private(o)]),
            PRIVATE_WRITE,
            data=lambda o: {"name": "Halve the time to patch", "measure": ""},
            writes=GOAL_KEEPERS,
        )
    ],
    "goal-retire": [
        Case(
            "POST",
            lambda o: reverse("goal-retire", args=[_private_goal(o)]),
            PRIVATE_WRITE,
            writes=GOAL_KEEPERS,
        )
    ],
}


# --- reports: UI permission cases (CASES |= {...}) go below this line ---
# The private community's impact report: its sponsor, its leader and org admins open it; a
# member is told it is not theirs (403); for the outsider the community does not exist. The
# organisation-wide report is for org admins; the email schedule for sponsors.

REPORT_READERS = {
    "anonymous": 302,
    "outsider": 404,
    "member": 403,
    "sponsor": 200,
    "leader": 200,
    "admin": 200,
}
REPORT_WRITERS = REPORT_READERS | {"sponsor": 302, "leader": 302, "admin": 302}
REPORT_RESOURCES_FORM = {
    "annual_budget": "24000",
    "currency": "EUR",
    "hours_per_month": "4",
    "channels": "#security-council",
}

CASES |= {
    "community-report": [
        Case("GET", lambda o: reverse("community-report", args=[private(o)]), REPORT_READERS),
        Case(
            "GET",
            lambda o: reverse("community-report", args=[private(o)]) + "?period=2026-Q2",
            REPORT_READERS,
        ),
    ],
    "community-report-pdf": [
        Case("GET", lambda o: reverse("community-report-pdf", args=[private(o)]), REPORT_READERS)
    ],
    "report-resources": [
        Case("GET", lambda o: reverse("report-resources", args=[private(o)]), REPORT_READERS),
        Case(
            "POST",
            lambda o: reverse("report-resources", args=[private(o)]),
            REPORT_WRITERS,
            data=lambda o: REPORT_RESOURCES_FORM,
            writes=denied_for_all_but("sponsor", "leader", "admin"),
        ),
    ],
    "org-report": [Case("GET", lambda o: reverse("org-report"), everyone(403) | {"admin": 200})],
    "org-report-pdf": [
        Case("GET", lambda o: reverse("org-report-pdf"), everyone(403) | {"admin": 200})
    ],
    "report-schedule": [
        Case("GET", lambda o: reverse("report-schedule"), everyone(403) | {"sponsor": 200}),
        Case(
            "POST",
            lambda o: reverse("report-schedule"),
            everyone(403) | {"sponsor": 302},
            data=lambda o: {"cadence": "quarterly"},
            writes=denied_for_all_but("sponsor"),
        ),
    ],
}


# --- insights: UI permission cases (CASES |= {...}) go below this line ---
# Participation names people (who stands where, who moved): the private community's figures are
# for its leader and org admins, not its sponsor or members; for the outsider the community does
# not exist. The organisation's figures are for org admins.

PARTICIPATION_READERS = REPORT_READERS | {"sponsor": 403}

CASES |= {
    "community-participation": [
        Case(
            "GET",
            lambda o: reverse("community-participation", args=[private(o)]),
            PARTICIPATION_READERS,
        ),
        Case(
            "GET",
            lambda o: reverse("community-participation", args=[private(o)]) + "?month=2026-10",
            PARTICIPATION_READERS,
        ),
        Case(  # a month that is not one: told so, on the page without it
            "GET",
            lambda o: reverse("community-participation", args=[private(o)]) + "?month=soon",
            PARTICIPATION_READERS | {"leader": 302, "admin": 302},
        ),
    ],
    "org-participation": [
        Case("GET", lambda o: reverse("org-participation"), everyone(403) | {"admin": 200})
    ],
    # Everyone downloads what Trellis infers about themselves (and only themselves).
    "my-insights": [Case("GET", lambda o: reverse("my-insights"), everyone(200))],
}


# Community health: the private community's figures (computed first, so there is something to
# leak) for its leader and org admins, as participation; the organisation's for org admins.


def _health_computed(org: Org) -> None:
    from trellis.insights.services.health import health_refresh

    health_refresh()


CASES |= {
    "community-health": [
        Case(
            "GET",
            _after(_health_computed, lambda o: reverse("community-health", args=[private(o)])),
            PARTICIPATION_READERS,
        ),
        Case(  # a month that is not one, and one without figures: told so, on the page
            "GET",
            lambda o: reverse("community-health", args=[private(o)]) + "?month=soon",
            PARTICIPATION_READERS | {"leader": 302, "admin": 302},
        ),
        Case(
            "GET",
            _after(
                _health_computed,
                lambda o: reverse("community-health", args=[private(o)]) + "?month=2020-01",
            ),
            PARTICIPATION_READERS | {"leader": 302, "admin": 302},
        ),
    ],
    "community-health-csv": [
        Case(
            "GET",
            _after(_health_computed, lambda o: reverse("community-health-csv", args=[private(o)])),
            PARTICIPATION_READERS,
        )
    ],
    "org-health": [
        Case(
            "GET",
            _after(_health_computed, lambda o: reverse("org-health")),
            everyone(403) | {"admin": 200},
        )
    ],
    "org-health-csv": [
        Case("GET", lambda o: reverse("org-health-csv"), everyone(403) | {"admin": 200})
    ],
}


# The silo map: the private community's (computed first) for its leader and org admins, as
# participation; the organisation's (built from what everyone may see) for org admins.


def _silos_computed(org: Org) -> None:
    from trellis.insights.services.silos import silos_refresh

    silos_refresh()


CASES |= {
    "community-silos": [
        Case(
            "GET",
            _after(_silos_computed, lambda o: reverse("community-silos", args=[private(o)])),
            PARTICIPATION_READERS,
        )
    ],
    "org-silos": [
        Case(
            "GET",
            _after(_silos_computed, lambda o: reverse("org-silos")),
            everyone(403) | {"admin": 200},
        )
    ],
}


# Champions name people and the help they gave: the private community's (computed first, with
# an accepted answer in it, so there is someone to leak) for its leader and org admins, as
# participation; the organisation's for org admins.


def _champions_computed(org: Org) -> None:
    from trellis.insights.services.champions import champions_refresh
    from trellis.qa import services as qa_services

    qa_services.answer_accept(actor=org.member, answer=org.c.private_answer)
    champions_refresh()


CASES |= {
    "community-champions": [
        Case(
            "GET",
            _after(
                _champions_computed, lambda o: reverse("community-champions", args=[private(o)])
            ),
            PARTICIPATION_READERS,
        ),
        Case(
            "GET",
            _after(
                _champions_computed,
                lambda o: (
                    reverse("community-champions", args=[private(o)]) + "?show=not-recognised"
                ),
            ),
            PARTICIPATION_READERS,
        ),
        Case(  # a month that is not one: told so, on the page without it
            "GET",
            lambda o: reverse("community-champions", args=[private(o)]) + "?month=soon",
            PARTICIPATION_READERS | {"leader": 302, "admin": 302},
        ),
    ],
    "org-champions": [
        Case(
            "GET",
            _after(_champions_computed, lambda o: reverse("org-champions")),
            everyone(403) | {"admin": 200},
        )
    ],
}


def _url_names(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith(("django-admin/", "api/")):
                continue  # Django's own admin (staff only); the API has its own matrix
            names |= _url_names(pattern.url_patterns, route)
        elif pattern.name:
            names.add(pattern.name)
        else:
            names.add(route)
    return names


def test_every_url_pattern_has_a_permission_case() -> None:
    names = _url_names(get_resolver().url_patterns)
    missing = sorted(names - set(CASES))
    assert not missing, f"URL patterns without a permission case: {missing}"
    assert not sorted(set(CASES) - names), "cases for URL names that no longer exist"


# The pitfall radar: the private community's signals (stored first, every one raised, so there
# is something to leak) for its leaders and org admins; its sponsor reads the sponsor signal
# alone; the organisation's overview for org admins. Snoozing, waking and the fixes are the
# leaders' (a sponsor who may read the page may not act on it).


def _radar_stored(org: Org) -> None:
    from datetime import date

    from django.utils import timezone

    from trellis.radar.models import RadarSignal
    from trellis.radar.signals import PITFALLS

    for community in (org.public, org.private):
        for pitfall in PITFALLS:
            RadarSignal.objects.get_or_create(
                community=community,
                pitfall=pitfall,
                month=date(2026, 10, 1),
                defaults={
                    "score": 0.8,
                    "threshold": 0.45,
                    "raised": True,
                    "evidence": [{"key": "x", "text": f"{community.name} evidence", "strength": 1}],
                    "computed_at": timezone.now(),
                },
            )


def _radar_snoozed(org: Org) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from trellis.radar.models import RadarSnooze

    _radar_stored(org)
    RadarSnooze.objects.get_or_create(
        community=org.private,
        pitfall="leader_burnout",
        defaults={
            "reason": "Rotation starts next month",
            "until": timezone.localdate() + timedelta(days=30),
            "snoozed_by": org.leader,
            "snoozed_at": timezone.now(),
        },
    )


RADAR_READERS = PARTICIPATION_READERS | {"sponsor": 200}
RADAR_ACTION = {
    "anonymous": 302,
    "outsider": 404,
    "member": 403,
    "sponsor": 403,
    "leader": 302,
    "admin": 302,
}

CASES |= {
    "community-radar": [
        Case(
            "GET",
            _after(_radar_stored, lambda o: reverse("community-radar", args=[private(o)])),
            RADAR_READERS,
        )
    ],
    "radar-snooze": [
        Case(
            "POST",
            _after(
                _radar_stored,
                lambda o: reverse("radar-snooze", args=[private(o), "leader_burnout"]),
            ),
            RADAR_ACTION,
            data=lambda o: {"reason": "A rotation starts next month", "days": "30"},
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "radar-wake": [
        Case(
            "POST",
            _after(
                _radar_snoozed,
                lambda o: reverse("radar-wake", args=[private(o), "leader_burnout"]),
            ),
            RADAR_ACTION,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "radar-fix": [
        Case(  # the sponsor's show & tell: an event planned and the sponsor invited
            "POST",
            _after(
                _radar_stored,
                lambda o: reverse("radar-fix", args=[private(o), "sponsor_disengagement"]),
            ),
            RADAR_ACTION,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "org-radar": [
        Case(
            "GET",
            _after(_radar_stored, lambda o: reverse("org-radar")),
            everyone(403) | {"admin": 200},
        )
    ],
}


# Domain discovery: a spin-off of the private community (its leaders decide; nobody else may
# learn of it), and the org admins' page of proposed communities.
def _spin_off_stored(org: Org) -> int:
    from trellis.radar.models import DomainProposal

    return DomainProposal.objects.create(
        kind="spin-off",
        key=f"spin-off:{org.private.pk}:drills",
        name="Breach drills",
        domain="Breach drills: questions on keys and rehearsals.",
        evidence={
            "questions": 16,
            "months": 4,
            "first_month": "2026-08-01",
            "last_month": "2026-11-01",
            "askers": 3,
            "answerers": 3,
            "answered": 16,
            "answerer_departments": 2,
            "asker_departments": 2,
            "in_communities": [],
            "emergence": {"recent": 9, "recent_total": 20, "before": 7, "before_total": 60},
        },
        community=org.private,
        computed_at=timezone.now(),
    ).pk


CASES |= {
    "discover": [Case("GET", lambda o: reverse("discover"), everyone(403) | {"admin": 200})],
    "proposal-accept": [
        Case(  # starts a private community and makes the accepter its leader
            "POST",
            lambda o: reverse("proposal-accept", args=[_spin_off_stored(o)]),
            RADAR_ACTION,
            writes=denied_for_all_but("leader", "admin"),
        )
    ],
    "proposal-dismiss": [
        Case(
            "POST",
            lambda o: reverse("proposal-dismiss", args=[_spin_off_stored(o)]),
            RADAR_ACTION,
            data=lambda o: {"reason": "We run drills in the council itself."},
        )
    ],
}


def _fingerprint() -> tuple[object, ...]:
    return (
        sorted(Membership.objects.values_list("community_id", "person_id", "role", "left_at")),
        sorted(JoinRequest.objects.values_list("id", "status")),
        sorted(CommunityInvitation.objects.values_list("id", "status")),
        sorted(Sponsorship.objects.values_list("community_id", "person_id")),
        sorted(
            Community.objects.values_list("id", "name", "domain", "charter", "visibility", "status")
        ),
        sorted(Person.objects.values_list("id", "name", "location", "title", "is_active")),
        sorted(MergeRecord.objects.values_list("id", "undone_at")),
        Person.objects.count(),
        sorted(ApiToken.objects.values_list("id", "revoked_at")),
        sorted(Person.objects.exclude(account_invitations=None).values_list("id", flat=True)),
        sorted(
            Post.objects.values_list(
                "id", "title", "body", "score", "accepted_answer_id", "duplicate_of_id"
            )
        ),
        sorted(PostTag.objects.values_list("post_id", "tag_id")),
        sorted(Comment.objects.values_list("id", "body")),
        sorted(Vote.objects.values_list("id", "value")),
        sorted(Follow.objects.values_list("person_id", "question_id")),
        sorted(Thanks.objects.values_list("person_id", "post_id")),
        sorted(
            Resource.objects.values_list(
                "id", "title", "body", "version", "verified_at", "obsolete_at", "canonical_id"
            )
        ),
        sorted(Notification.objects.values_list("id", "read_at")),
        sorted(Preference.objects.values_list("person_id", "digest", "email_immediate")),
        sorted(DuplicatePair.objects.values_list("id", "status")),
        sorted(
            Availability.objects.values_list("person_id", "opted_out", "away_until", "weekly_cap")
        ),
        sorted(RoutingDecision.objects.values_list("id", "person_id", "passed_at")),
        sorted(Endorsement.objects.values_list("person_id", "tag_id", "endorsed_by_id")),
        sorted(LearnedTopic.objects.values_list("id", "label")),
        sorted(
            Mentorship.objects.values_list(
                "id", "mentor_id", "mentee_id", "status", "mentor_accepted_at", "mentee_accepted_at"
            )
        ),
        sorted(MentorOffer.objects.values_list("person_id", "open", "capacity", "note")),
        sorted(AccessAttempt.objects.values_list("username", "failures_since_start")),
        sorted(
            Event.objects.values_list(
                "id", "title", "starts_at", "ends_at", "capacity", "cancelled_at"
            )
        ),
        sorted(Rsvp.objects.values_list("event_id", "person_id", "reply")),
        # --- events-more: fingerprint lines go below this line ---
        sorted(Rsvp.objects.values_list("event_id", "person_id", "attended")),
        sorted(Event.objects.values_list("id", "place", "edited_alone")),
        sorted(EventSeries.objects.values_list("id", "rrule")),
        sorted(EventReminder.objects.values_list("event_id", "person_id", "kind")),
        # --- agendas: fingerprint lines go below this line ---
        _agenda_rows(),
        # --- facilitation: fingerprint lines go below this line ---
        sorted(OptIn.objects.values_list("community_id", "person_id", "weekly_load")),
        sorted(Assignment.objects.values_list("event_id", "person_id", "status")),
        sorted(SwapRequest.objects.values_list("id", "colleague_id", "status")),
        # --- stories: fingerprint lines go below this line ---
        _stories_fingerprint(),
        # --- reports: fingerprint lines go below this line ---
        sorted(
            SponsorResources.objects.values_list(
                "community_id", "annual_budget", "currency", "hours_per_month", "channels"
            )
        ),
        sorted(ReportSubscription.objects.values_list("person_id", "cadence")),
        sorted(CalendarFeed.objects.values_list("id", "revoked_at")),
        # --- radar: fingerprint lines go below this line ---
        sorted(RadarSnooze.objects.values_list("community_id", "pitfall", "reason", "until")),
    )


def _client(org: Org, persona: str) -> Client:
    """Signed in without the password check: the matrix is about what each persona may see
    (signing in has its own tests), and checking a password costs a third of a cheap case."""
    client = Client()
    if persona != "anonymous":
        client.force_login(getattr(org, persona))
    return client


MATRIX = [
    pytest.param(name, index, persona, id=f"{name}[{index}]-{persona}")
    for name, cases in CASES.items()
    for index in range(len(cases))
    for persona in PERSONAS
]


@pytest.mark.parametrize(("name", "index", "persona"), MATRIX)
def test_permission(name: str, index: int, persona: str, org_with_content: Org) -> None:
    org = org_with_content
    case = CASES[name][index]
    url = case.url(org)  # may create the objects it points at
    client = _client(org, persona)
    checked = case.method == "POST" and case.writes.get(persona) in (DENIED, ALLOWED)
    before = _fingerprint() if checked else None  # ~40 queries: only where it is compared
    response = client.generic(
        case.method,
        url,
        data=_encode(case.data(org)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == case.status[persona], (
        f"{case.method} {url} as {persona}: {response.status_code}"
    )
    if persona == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
    if case.method == "POST" and case.writes.get(persona) == DENIED:
        assert _fingerprint() == before, f"{case.method} {url} as {persona} changed data"
    elif case.method == "POST" and case.writes.get(persona) == ALLOWED:
        assert _fingerprint() != before, f"{case.method} {url} as {persona} changed nothing"
    if persona == "outsider":
        content = response.content.decode()
        assert org.private.name not in content
        assert PRIVATE_QUESTION not in content
        assert PRIVATE_RESOURCE not in content
        if org.private.slug not in url:  # only an address the outsider typed may echo back
            assert org.private.slug not in content


def _encode(data: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


@pytest.mark.parametrize("persona", PERSONAS)
def test_django_admin_is_for_org_admins_only(persona: str, org: Org) -> None:
    """Django's own admin sits outside the matrix above; only org admins (staff) get in."""
    response = _client(org, persona).get("/django-admin/communities/community/")
    if persona == "admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/login/" in response["Location"]
