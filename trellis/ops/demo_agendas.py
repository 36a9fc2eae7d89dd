"""Member-driven agendas in the demo organisation: the next problem-solving circle of each
community that runs circles has topics its members proposed and voted on, and a draft built
from them and from the community's real open questions; the last circle held has its agenda
published and its notes in the library (so the questions it discussed point at them)."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from trellis.agendas import services
from trellis.agendas.models import Agenda, AgendaItem, ItemSource, Proposal
from trellis.agendas.services import Features
from trellis.communities.models import Community, Membership, Role
from trellis.core.models import Activity, Tag
from trellis.core.text import render_markdown
from trellis.events.models import Event, EventKind
from trellis.library.models import (
    Resource,
    ResourceKind,
    ResourceOwner,
    ResourceTag,
    ResourceVersion,
)
from trellis.ops.demo_knowledge import DEFAULT_LIFE, LIVES, lately_since
from trellis.people.models import Person

# What members of each community would bring to a circle (the rest get the general list).
TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "kubernetes": (
        ("Rollouts that hang at 50% after the node pool upgrade", "Twice in payments last week."),
        ("PodDisruptionBudgets that block every drain", ""),
        ("Argo CD sync waves: who has made them work?", "We keep fighting the ordering."),
        ("Right-sizing requests after the Karpenter move", "Our bill went up, not down."),
        ("Secrets in Helm values: what are we doing instead?", ""),
    ),
    "python": (
        ("Moving the monorepo from pip-tools to uv", "Lock times are killing CI."),
        ("Typing Django querysets without losing our minds", ""),
        ("pytest fixtures that leak state between tests", "Flaky suite in billing."),
        ("Structured logging: structlog or the standard library?", ""),
    ),
    "data-analytics": (
        ("dbt incremental models that silently double-count", "Finance caught it, not us."),
        ("One definition of an active customer", "Three dashboards, three numbers."),
        ("Looker explores that time out at month end", ""),
    ),
    "ux-design": (
        ("Recruiting participants without the panel budget", ""),
        ("Design tokens drifting between Figma and code", "Spotted on checkout."),
        ("Writing findings that product managers actually read", ""),
    ),
    "product-management": (
        ("Interview notes nobody reads after the sprint", "We keep re-asking customers."),
        ("Opportunity trees that never stop growing", ""),
        ("Fake-door tests: where is the line with customers?", "Legal asked us to pause one."),
        ("Sizing discovery work in the quarterly plan", ""),
        ("Outcome metrics for a platform team", "Nobody clicks an API."),
        ("Synthesising forty interviews in a week", ""),
        ("Saying no to a sales-led feature request", "With the account team in the room."),
        ("Pricing page experiments without a data scientist", ""),
        ("Continuous interviewing when customers stop replying", ""),
        ("Writing a one-page bet instead of a PRD", "Template attached to the proposal."),
        ("Killing a feature nobody uses", "Support still gets two tickets a month."),
    ),
    "accessibility": (
        ("Focus order in our modal dialogs", "Screen reader users get lost."),
        ("Colour contrast in the new charts", ""),
        ("Who signs off the accessibility statement?", ""),
    ),
}
GENERAL = (
    ("What we learned from last month's incidents", ""),
    ("Onboarding: the three things every newcomer asks", ""),
    ("Tools we should stop paying for", ""),
)
NOTES = {
    "kubernetes": (
        "## What we found\n\n"
        "- The stalled rollouts were waiting on a **readiness probe** that checked a dependency "
        "the new pods could not reach yet; Tomás showed the events in `kubectl describe`.\n"
        "- `maxUnavailable: 0` with a single spare node means one pod at a time: fine for "
        "payments, far too slow for search. Teams now set `maxSurge` per service.\n"
        "- Argo CD reported *Progressing* for 40 minutes because the rollout never timed out: "
        "we set `progressDeadlineSeconds: 600` in the base chart.\n\n"
        "## Actions\n\n"
        "- Platform adds a probe checklist to the Helm release guide.\n"
        "- Payments tries a PodDisruptionBudget of 1 on the next drain."
    ),
}
GENERAL_NOTES = (
    "## What we found\n\n"
    "- We worked through the questions with the most votes and agreed an owner for each.\n"
    "- Two answers are going into the library as guides.\n\n"
    "## Actions\n\n- Each owner posts an answer on the question before the next circle."
)
RECORDING = "https://video.larkspur.example/circles/{pk}"
# A circle's year of agendas and notes needs a room of people: in a smaller organisation
# the community's circle is an ordinary one (one published set of notes in all the demo).
HOLLOW_MIN_MEMBERS = 10
# What the leads put on a hollow circle's agenda themselves (meetings without practice).
STATUS_ITEMS = (
    ("Roadmap status round", "each squad, five minutes"),
    ("Quarterly planning: dates and dependencies", "from the planning sheet"),
    ("Release calendar check", "standing item"),
)
HOLLOW_NOTES = (
    "## What we worked on\n\n"
    "- **{first}**: three members shared what they tried; we agreed a next experiment and who "
    "runs it before the next circle.\n"
    "- **{second}**: we drew the current flow on the whiteboard and found the step nobody "
    "owns; the owner posts the question in the community this week.\n\n"
    "## Actions\n\n- Each owner posts what they learned on the community's Q&A."
)


def _members(community: Community) -> list[Person]:
    rows = Membership.objects.filter(community=community, left_at__isnull=True).select_related(
        "person"
    )
    return [m.person for m in rows.order_by("pk") if m.person.is_active]


def _leader(community: Community) -> Person | None:
    row = (
        Membership.objects.filter(community=community, left_at__isnull=True, role=Role.LEADER)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return row.person if row else None


def _runner(event: Event, leader: Person) -> Person:
    if event.facilitator_id:
        found = Person.objects.filter(pk=event.facilitator_id, is_active=True).first()
        if found is not None:
            return found
    return leader


def _upcoming(community: Community, now: datetime) -> Event | None:
    return (
        Event.objects.filter(
            community=community, kind=EventKind.CIRCLE, starts_at__gt=now, cancelled_at=None
        )
        .order_by("starts_at")
        .first()
    )


def _last_held(community: Community, now: datetime) -> Event | None:
    return (
        Event.objects.filter(
            community=community, kind=EventKind.CIRCLE, ends_at__lte=now, cancelled_at=None
        )
        .order_by("-starts_at")
        .first()
    )


def demo_agendas_create(*, now: datetime, seed: int) -> int:
    """Agendas switched on where circles run; the next circle's topics, votes and draft; the
    last circle's published agenda and notes (one, in the first community that has one).
    Returns how many agendas it made."""
    rand = random.Random(seed)
    circles = Event.objects.filter(kind=EventKind.CIRCLE, community__isnull=False)
    communities = Community.objects.filter(pk__in=circles.values("community_id")).order_by("pk")
    made = 0
    notes_written = False
    for community in communities:
        leader = _leader(community)
        if leader is None:
            continue
        services.community_features_set(
            actor=leader,
            community=community,
            features=Features(events=True, agendas=True, rotation=community.rotation_enabled),
        )
        members = _members(community)
        upcoming = _upcoming(community, max(now, timezone.now()))
        hollow = LIVES.get(community.slug, DEFAULT_LIFE).circles_hollow
        if hollow and len(members) >= HOLLOW_MIN_MEMBERS:
            made += _hollow_circles(community, leader, members, upcoming, now, rand)
            continue
        if upcoming is not None and len(members) >= 3:
            topics = TOPICS.get(community.slug, GENERAL)
            proposers = rand.sample(members, min(len(topics), len(members)))
            proposals = [
                services.proposal_add(actor=person, event_id=upcoming.pk, title=title, note=note)
                for person, (title, note) in zip(proposers, topics, strict=False)
            ]
            for proposal in proposals:
                for voter in rand.sample(members, rand.randint(1, min(12, len(members)))):
                    services.proposal_vote_set(actor=voter, proposal_id=proposal.pk, voted=True)
            services.agenda_draft_build(actor=_runner(upcoming, leader), event_id=upcoming.pk)
            made += 1
        held = _last_held(community, now)
        if held is not None and not notes_written:
            runner = _runner(held, leader)
            services.agenda_draft_build(actor=runner, event_id=held.pk)
            services.agenda_item_add(
                actor=runner,
                event_id=held.pk,
                title="Round of wins since the last circle",
                reason="every circle starts with it",
            )
            speakers = [p for p in members if p.pk != runner.pk][:2]
            items = AgendaItem.objects.filter(agenda__event=held, removed_at=None).order_by(
                "position"
            )
            for item, speaker in zip(items, speakers, strict=False):
                services.agenda_item_update(
                    actor=runner, item_id=item.pk, speaker_email=speaker.email
                )
            services.agenda_publish(actor=runner, event_id=held.pk)
            services.agenda_notes_save(
                actor=runner,
                event_id=held.pk,
                notes=NOTES.get(community.slug, GENERAL_NOTES),
                recording_url=RECORDING.format(pk=held.pk),
            )
            services.agenda_notes_publish(actor=runner, event_id=held.pk)
            notes_written = True
            made += 1
    return made


def _hollow_circles(
    community: Community,
    leader: Person,
    members: list[Person],
    upcoming: Event | None,
    now: datetime,
    rand: random.Random,
) -> int:
    """A community whose circles became status meetings: until `lately_since` every circle
    held took its topics from members' proposals and published its notes to the library;
    since then the leads set the agenda and nobody writes notes. The next circle's agenda is
    the leads' again. Written as rows with their dates (the services stamp "now")."""
    others = [p for p in members if p.pk != leader.pk]
    lately = lately_since(now)
    topics = TOPICS.get(community.slug, GENERAL)
    held = list(
        Event.objects.filter(
            community=community, kind=EventKind.CIRCLE, ends_at__lte=now, cancelled_at=None
        )
        .select_related("facilitator")
        .order_by("starts_at")
    )
    notes_tag, _ = Tag.objects.get_or_create(name=services.NOTES_TAG)
    made = 0
    for number, event in enumerate(held):
        runner = event.facilitator if event.facilitator_id else leader
        assert runner is not None
        published = event.starts_at - timedelta(days=2)
        agenda = Agenda.objects.create(
            event=event, published_at=published, published_by=runner, created_at=published,
            updated_at=published,
        )  # fmt: skip
        if event.starts_at >= lately:
            for position, (title, reason) in enumerate(STATUS_ITEMS):
                AgendaItem.objects.create(
                    agenda=agenda, position=position, source=ItemSource.CUSTOM, title=title,
                    reason=reason,
                )  # fmt: skip
            made += 1
            continue
        chosen = [topics[(number * 2 + k) % len(topics)] for k in range(2)]
        for position, (title, note) in enumerate(chosen):
            proposer = rand.choice(others)
            proposal = Proposal.objects.create(
                event=event, title=title, note=note, proposed_by=proposer,
                vote_count=rand.randint(3, 9), created_at=published - timedelta(days=5),
            )  # fmt: skip
            AgendaItem.objects.create(
                agenda=agenda, position=position, source=ItemSource.PROPOSAL, title=title,
                reason=f"{proposal.vote_count} votes", proposal=proposal, speaker=proposer,
            )  # fmt: skip
        notes = HOLLOW_NOTES.format(first=chosen[0][0], second=chosen[1][0])
        written = event.ends_at + timedelta(hours=rand.uniform(2, 30))
        review_by = written + timedelta(days=community.verification_interval_days)
        resource = Resource.objects.create(
            community=community, kind=ResourceKind.GUIDE,
            title=f"Notes: {event.title} ({timezone.localdate(event.starts_at):%d %b %Y})",
            body=notes, body_html=render_markdown(notes), verified_at=written,
            verified_by=runner, verify_by=review_by,
            created_by=runner, created_at=written, updated_at=written,
            attribution=[{"name": runner.name, "person_id": runner.pk, "role": "facilitated",
                          "source_url": "", "license": ""}],
        )  # fmt: skip
        ResourceOwner.objects.create(resource=resource, person=runner)
        ResourceTag.objects.create(resource=resource, tag=notes_tag)
        ResourceVersion.objects.create(
            resource=resource, number=1, kind=resource.kind, title=resource.title, body=notes,
            editor=runner, created_at=written,
        )  # fmt: skip
        Activity.objects.create(
            actor=runner, verb="resource.create", object_type="resource", object_id=resource.pk,
            community=community, created_at=written,
        )  # fmt: skip
        Agenda.objects.filter(pk=agenda.pk).update(
            notes=notes, notes_html=render_markdown(notes), notes_resource=resource,
            notes_published_at=written, updated_at=written,
        )  # fmt: skip
        made += 1
    if upcoming is not None:
        runner = _runner(upcoming, leader)
        for title, reason in STATUS_ITEMS:
            services.agenda_item_add(actor=runner, event_id=upcoming.pk, title=title, reason=reason)
        made += 1
    return made
