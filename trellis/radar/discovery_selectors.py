"""Domain discovery's proposals as a viewer reads them: who, what, and the evidence in words."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q

from trellis.communities.models import Community
from trellis.core import access
from trellis.people.models import Person
from trellis.qa.models import Post
from trellis.radar.discovery import RECENT_MONTHS
from trellis.radar.models import DomainProposal, ProposalKind, ProposalStatus
from trellis.radar.words import plural

PAIRS = (ProposalKind.MERGE, ProposalKind.JOINT_EVENT)


@dataclass(frozen=True)
class PersonLine:
    person_id: int
    name: str
    department: str
    questions: int


@dataclass(frozen=True)
class ProposalView:
    id: int
    kind: str
    kind_label: str
    name: str
    domain: str
    tags: list[tuple[str, int]]
    core: list[PersonLine]  # who answers most: invited to the core team
    audience: list[PersonLine]  # who asks most: invited as members
    reasons: list[str]  # the evidence, in words
    examples: list[tuple[int, str]]  # (question id, title): some of its questions, newest first
    communities: list[Community]  # the parent (spin-off) or the two (merge, joint event)
    strength: float
    can_decide: bool


def org_proposals(*, viewer: Person) -> list[ProposalView]:
    """Proposed communities, then merges and joint events: the org admins' page."""
    if not access.can_view_org_discovery(viewer):
        return []
    rows = _open().filter(kind__in=[ProposalKind.COMMUNITY, *PAIRS])
    return _views(viewer, [r for r in rows if access.can_view_proposal(viewer, r)])


def community_proposals(*, viewer: Person, community: Community) -> list[ProposalView]:
    """The spin-offs of `community` and the merges and joint events it is part of."""
    if not access.can_view_radar_in(viewer, community):
        return []
    rows = _open().filter(
        Q(kind=ProposalKind.SPIN_OFF, community=community)
        | Q(kind__in=PAIRS) & (Q(community=community) | Q(other_community=community))
    )
    return _views(viewer, [r for r in rows if access.can_view_proposal(viewer, r)])


def proposal_for(*, viewer: Person, proposal_id: int) -> ProposalView | None:
    row = _open().filter(pk=proposal_id).first()
    if row is None or not access.can_view_proposal(viewer, row):
        return None
    return _views(viewer, [row])[0]


def _open() -> Any:
    return (
        DomainProposal.objects.filter(status=ProposalStatus.OPEN)
        .select_related("community", "other_community")
        .order_by("kind", "-strength", "pk")
    )


def _views(viewer: Person, rows: list[DomainProposal]) -> list[ProposalView]:
    ids = {e["person_id"] for r in rows for e in [*r.core, *r.audience]}
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=ids, is_active=True, named_in_insights=True)
        .select_related("department")
        .only("pk", "name", "department__name")
    }
    communities = {c.pk: c for c in access.visible_communities(viewer)}
    example_ids = {q for r in rows for q in r.evidence.get("examples", [])}
    titles = dict(
        Post.objects.filter(
            access.visible_community_filter(viewer), pk__in=example_ids
        ).values_list("pk", "title")
    )
    ordered = sorted(rows, key=lambda r: (r.kind != ProposalKind.COMMUNITY, -r.strength, r.pk))
    return [
        ProposalView(
            id=r.pk,
            kind=r.kind,
            kind_label=r.get_kind_display(),
            name=r.name,
            domain=r.domain,
            tags=[(str(t), int(n)) for t, n in r.tags],
            core=_lines(r.core, people),
            audience=_lines(r.audience, people),
            reasons=_reasons(r, communities),
            examples=[(q, titles[q]) for q in r.evidence.get("examples", []) if q in titles],
            communities=[c for c in (r.community, r.other_community) if c is not None],
            strength=r.strength,
            can_decide=access.can_decide_proposal(viewer, r),
        )
        for r in ordered
    ]


def _lines(listed: list[dict[str, int]], people: dict[int, Person]) -> list[PersonLine]:
    lines = []
    for entry in listed:
        person = people.get(entry["person_id"])
        if person is not None:
            department = person.department.name if person.department else "no department"
            lines.append(PersonLine(person.pk, person.name, department, entry["questions"]))
    return lines


def _month(text: str) -> str:
    return f"{date.fromisoformat(text):%B %Y}"


def _reasons(row: DomainProposal, communities: dict[int, Community]) -> list[str]:
    e = row.evidence
    if row.kind in PAIRS:
        return _pair_reasons(row)
    span = (
        f"from {_month(e['first_month'])} to {_month(e['last_month'])}"
        if e["first_month"] != e["last_month"]
        else f"in {_month(e['first_month'])}"
    )
    asked = (
        f"{plural(e['questions'], 'question')} in {plural(e['months'], 'month')} {span}, "
        f"asked by {plural(e['askers'], 'person', 'people')} from "
        f"{plural(e['asker_departments'], 'department')}."
    )
    answered = (
        f"{e['answered']:,} answered, by {plural(e['answerers'], 'person', 'people')} from "
        f"{plural(e['answerer_departments'], 'department')}"
    )
    if row.kind == ProposalKind.SPIN_OFF:
        grown = e.get("emergence", {})
        recent_share = grown.get("recent", 0) / max(grown.get("recent_total", 0), 1)
        before_share = grown.get("before", 0) / max(grown.get("before_total", 0), 1)
        return [
            asked,
            f"{grown.get('recent', 0)} of the community's {grown.get('recent_total', 0)} "
            f"questions of the last {RECENT_MONTHS} months are on it ({recent_share:.0%}), "
            f"against {before_share:.0%} before: an edge of the practice that is growing.",
            f"{answered}: its likely core.",
        ]
    return [
        asked,
        _where(e["in_communities"], communities),
        f"{answered}: help already crosses departments, with no community to hold it.",
    ]


def _where(in_communities: list[list[Any]], communities: dict[int, Community]) -> str:
    parts = []
    hidden = 0
    for community_id, n in in_communities:
        if community_id is None:
            parts.append(f"{n:,} asked organisation-wide, in no community")
        elif community_id in communities:
            parts.append(f"{n:,} in {communities[community_id].name}")
        else:
            hidden += n
    if hidden:
        parts.append(f"{hidden:,} in communities you cannot see")
    return "Where they were asked: " + "; ".join(parts) + ". No community holds half of them."


def _pair_reasons(row: DomainProposal) -> list[str]:
    e = row.evidence
    a, b = row.community, row.other_community
    assert a is not None and b is not None
    topics = ", ".join(
        f"{t} ({na} in {a.name}, {nb} in {b.name})" for t, na, nb in e["shared_topics"]
    )
    overlap = (
        f"{e['overlap']:.0%} of the questions of the smaller of the two are on topics both ask "
        f"about: {topics}."
    )
    if row.kind == ProposalKind.MERGE:
        return [
            overlap,
            f"{e['shared_people']:.0%} of the smaller one's answerers answer in both: in "
            "practice it is one community, and merging would put its knowledge in one place.",
        ]
    return [
        overlap,
        f"Different people answer them (only {e['shared_people']:.0%} answer in both): a joint "
        "event would let each learn what the other knows.",
    ]
