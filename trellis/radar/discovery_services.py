"""Domain discovery's writes: the daily proposals, and what accepting or dismissing one does.

Accepting a proposed community (org admins) or a spin-off (the parent community's leaders)
starts the community with the accepter as its first leader and invites its likely core to the
core team and its audience as members, through the communities service (its rules and emails
hold). Accepting a merge or a joint event tells the other community's leaders, who decide.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from trellis.communities.models import Community, Membership, Role, Visibility
from trellis.communities.services import community_create, invitation_create
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person
from trellis.radar import discovery
from trellis.radar.discovery_reads import discovery_questions
from trellis.radar.models import DomainProposal, ProposalKind, ProposalStatus
from trellis.search import embeddings

DEMAND_WINDOW = timedelta(days=365)  # sustained demand is read over the last year
DISMISSED_FOR = timedelta(days=180)  # a dismissed proposal is not made again for this long
REASON_MAX = 300
NAME_MAX = 120
DOMAIN_MAX = 500


def discovery_refresh(*, now: datetime | None = None) -> int:
    """Read the last year's questions and replace the open proposals; returns how many are
    open. Without an embedder (or no vectors yet) nothing changes: yesterday's proposals stay
    rather than vanish."""
    model = embeddings.embedder()
    if model is None:
        return 0
    now = now or timezone.now()
    questions = discovery_questions(model_name=model.name, since=now - DEMAND_WINDOW)
    if not questions:
        return 0
    with _one_thread():
        rows = [*_communities(questions), *_spin_offs(questions, timezone.localdate(now)),
                *_pairs(questions)]  # fmt: skip
    decided = set(
        DomainProposal.objects.filter(status=ProposalStatus.ACCEPTED).values_list("key", flat=True)
    ) | set(
        DomainProposal.objects.filter(
            status=ProposalStatus.DISMISSED, decided_at__gte=now - DISMISSED_FOR
        ).values_list("key", flat=True)
    )
    fresh: dict[str, DomainProposal] = {}
    for row in rows:
        if row.key not in decided and row.key not in fresh:
            row.computed_at = now
            fresh[row.key] = row
    with transaction.atomic():
        DomainProposal.objects.filter(status=ProposalStatus.OPEN).delete()
        DomainProposal.objects.bulk_create(fresh.values())
    return len(fresh)


@contextmanager
def _one_thread() -> Iterator[None]:
    """k-means on one thread: on a machine busy with anything else (the web server, the
    database) faiss's threads wait for each other; measured on 2 cores under load, 10 s on
    one thread against 38 s on two for the same proposals."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def discovery_after_vectors() -> None:
    """On `hooks.vectors_refreshed` (the last embedding slice written): proposals read anew."""
    from trellis.radar.tasks import refresh_discovery

    transaction.on_commit(lambda: refresh_discovery.enqueue())


# Reading the proposals ---------------------------------------------------------------------------


def _named(people: Iterable[discovery.PersonCount]) -> list[dict[str, int]]:
    """Who may be named: active people who did not opt out of being named in insights."""
    listed = list(people)
    ids = [int(str(p.person_id)) for p in listed]
    allowed = set(
        Person.objects.filter(pk__in=ids, is_active=True, named_in_insights=True).values_list(
            "pk", flat=True
        )
    )
    return [
        {"person_id": int(str(p.person_id)), "questions": p.questions}
        for p in listed
        if int(str(p.person_id)) in allowed
    ]


def _evidence(e: discovery.Evidence) -> dict[str, Any]:
    figures = asdict(e)
    figures["first_month"] = e.first_month.isoformat()
    figures["last_month"] = e.last_month.isoformat()
    figures["in_communities"] = sorted(
        ([c, n] for c, n in e.in_communities.items()), key=lambda item: -item[1]
    )
    return figures


EXAMPLES = 5


def _examples(proposal: discovery.Proposal, asked: dict[Any, date]) -> list[int]:
    """A few of its questions for the reader to open, the newest first."""
    newest = sorted(proposal.question_ids, key=lambda q: (asked[q], str(q)), reverse=True)
    return [int(str(q)) for q in newest[:EXAMPLES]]


def _row(
    proposal: discovery.Proposal,
    kind: str,
    key: str,
    asked: dict[Any, date],
    extra: dict[str, Any] | None = None,
) -> DomainProposal:
    return DomainProposal(
        kind=kind,
        key=key[:200],
        name=proposal.name[:NAME_MAX],
        domain=proposal.domain[:DOMAIN_MAX],
        terms=list(proposal.terms),
        tags=[list(t) for t in proposal.tags],
        core=_named(proposal.core),
        audience=_named(proposal.audience),
        evidence={
            **_evidence(proposal.evidence),
            "examples": _examples(proposal, asked),
            **(extra or {}),
        },
        community_id=proposal.parent_community_id,
        strength=proposal.cohesion,
    )


def _communities(questions: list[discovery.DiscoveryQuestion]) -> list[DomainProposal]:
    found = discovery.propose_communities(questions)
    asked = {q.id: q.created for q in questions}
    return [
        _row(p, ProposalKind.COMMUNITY, f"community:{slugify(p.name)}", asked)
        for p in found.proposals
    ]


def _spin_offs(questions: list[discovery.DiscoveryQuestion], today: date) -> list[DomainProposal]:
    held: dict[int, list[discovery.DiscoveryQuestion]] = {}
    for q in questions:
        if q.community_id is not None:
            held.setdefault(q.community_id, []).append(q)
    rows = []
    for community_id, theirs in sorted(held.items()):
        asked = {q.id: q.created for q in theirs}
        found = discovery.propose_spin_offs(theirs, community_id=community_id)
        for proposal, emergence in discovery.emerging_edges(found, theirs, today):
            key = f"spin-off:{community_id}:{slugify(proposal.name)}"
            extra = {"emergence": asdict(emergence)}
            rows.append(_row(proposal, ProposalKind.SPIN_OFF, key, asked, extra))
    return rows


def _pairs(questions: list[discovery.DiscoveryQuestion]) -> list[DomainProposal]:
    return [
        DomainProposal(
            kind=ProposalKind.MERGE if m.suggestion == "merge" else ProposalKind.JOINT_EVENT,
            key=f"pair:{m.community_ids[0]}:{m.community_ids[1]}",
            name=", ".join(topic for topic, _, _ in m.shared_topics)[:NAME_MAX],
            domain="",
            evidence={
                "overlap": m.overlap,
                "shared_people": m.shared_people,
                "shared_topics": [list(t) for t in m.shared_topics],
            },
            community_id=m.community_ids[0],
            other_community_id=m.community_ids[1],
            strength=m.overlap,
        )
        for m in discovery.propose_merges(questions)
    ]


# Deciding ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    message: str  # what was done, in a sentence for the person who clicked
    community: Community | None = None  # the community started, if one was


def proposal_accept(*, actor: Person, proposal_id: int) -> Decision:
    """Act on a proposal: start the community and invite its people, or tell the other
    community's leaders. Each proposal is decided once."""
    with transaction.atomic():
        proposal = _open(proposal_id, actor)
        if not access.can_decide_proposal(actor, proposal):
            raise Forbidden(who_decides(proposal))
        if proposal.kind in (ProposalKind.COMMUNITY, ProposalKind.SPIN_OFF):
            decision = _start_community(actor, proposal)
        else:
            decision = _suggest_to_the_other(actor, proposal)
        proposal.status = ProposalStatus.ACCEPTED
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.created_community = decision.community
        proposal.save(update_fields=["status", "decided_by", "decided_at", "created_community"])
    return decision


def proposal_dismiss(*, actor: Person, proposal_id: int, reason: str) -> DomainProposal:
    """Not this one, and why: it is not proposed again for six months."""
    reason = reason.strip()
    if not reason:
        raise Invalid("Say why: whoever reads the proposals next will want to know.")
    if len(reason) > REASON_MAX:
        raise Invalid(f"Keep the reason under {REASON_MAX} characters.")
    with transaction.atomic():
        proposal = _open(proposal_id, actor)
        if not access.can_decide_proposal(actor, proposal):
            raise Forbidden(who_decides(proposal))
        proposal.status = ProposalStatus.DISMISSED
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.reason = reason
        proposal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return proposal


def _open(proposal_id: int, actor: Person) -> DomainProposal:
    proposal = (
        DomainProposal.objects.select_for_update(of=("self",))
        .select_related("community", "other_community")
        .filter(pk=proposal_id)
        .first()
    )
    named = [c for c in (proposal.community, proposal.other_community) if c] if proposal else []
    if proposal is None or not all(access.can_view_community(actor, c) for c in named):
        raise NotFound("No such proposal.")  # a private community is never named
    if not access.can_view_proposal(actor, proposal):
        raise Forbidden(who_decides(proposal))
    if proposal.status != ProposalStatus.OPEN:
        raise Invalid(f"This proposal was already {proposal.get_status_display().lower()}.")
    return proposal


def who_decides(proposal: DomainProposal) -> str:
    if proposal.kind == ProposalKind.COMMUNITY:
        return "Only org admins start a proposed community."
    if proposal.kind == ProposalKind.SPIN_OFF:
        return "Only the community's leaders spin off a sub-group."
    return "Only the leaders of either community (or an org admin) take this up."


def _start_community(actor: Person, proposal: DomainProposal) -> Decision:
    parent = proposal.community
    community = community_create(
        actor=actor,
        name=proposal.name,
        domain=proposal.domain or proposal.name,
        charter=(
            f"Started from a spin-off of {parent.name}, proposed by domain discovery."
            if parent is not None
            else "Started where the organisation was already helping itself: proposed by "
            "domain discovery from the questions people asked and answered on it."
        ),
        visibility=parent.visibility if parent is not None else Visibility.PUBLIC,
    )
    core = _invite(actor, community, proposal.core, Role.CORE)
    audience = _invite(actor, community, proposal.audience, Role.MEMBER)
    people = f"{core} {'person' if core == 1 else 'people'} to its core team"
    return Decision(
        f"{community.name} is started, with you as its leader; {people} and {audience} more "
        "as members have been invited.",
        community,
    )


def _invite(actor: Person, community: Community, listed: list[dict[str, int]], role: str) -> int:
    """Invitations to whoever is still here and not in the community yet."""
    ids = [entry["person_id"] for entry in listed]
    present = set(
        Membership.objects.filter(
            community=community, person_id__in=ids, left_at__isnull=True
        ).values_list("person_id", flat=True)
    )
    people = Person.objects.in_bulk([i for i in ids if i not in present and i != actor.pk])
    sent = 0
    for person_id in ids:
        person = people.get(person_id)
        if person is not None and person.is_active:
            invitation_create(actor=actor, community=community, person=person, role=role)
            sent += 1
    return sent


def _suggest_to_the_other(actor: Person, proposal: DomainProposal) -> Decision:
    """The leaders of the community the actor does not lead (both, for an org admin) are told
    of the suggestion, with a link to where it is shown to them."""
    pair = [c for c in (proposal.community, proposal.other_community) if c is not None]
    told = [c for c in pair if not access.can_act_on_radar(actor, c)] or pair
    leaders = list(
        Person.objects.filter(
            memberships__community__in=told,
            memberships__role=Role.LEADER,
            memberships__left_at__isnull=True,
            is_active=True,
        )
        .exclude(pk=actor.pk)
        .distinct()
    )
    what = "a merge" if proposal.kind == ProposalKind.MERGE else "a joint event"
    for community in told:
        theirs = [
            p
            for p in leaders
            if access.can_act_on_radar(p, community)
            and all(access.can_view_community(p, c) for c in pair)
        ]
        notify(
            recipients=theirs,
            kind=Kind.INVITATION,
            actor=actor,
            community=community,
            target_type="community",
            target_id=community.pk,
            title=f"{actor.name} suggests {what} of {pair[0].name} and {pair[1].name}",
            url=reverse("community-radar", kwargs={"slug": community.slug}) + "#discovery",
        )
    names = " and ".join(c.name for c in told)
    return Decision(f"{names}'s leaders have been told of the suggestion of {what}.")
