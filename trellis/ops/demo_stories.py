"""Value stories and business goals in the demo organisation, so a community's stories page
and the sponsor's report show what members say the community helped them do.

Each story is told by the asker of a question whose answer they accepted (the moment the
prompt asks), in the community the question was asked in; dates spread over the last quarter.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trellis.communities.models import Community, Sponsorship
from trellis.qa.models import Post, PostKind
from trellis.stories.models import Audience, Cycle, Goal, Measure, Source, Story


@dataclass(frozen=True)
class Told:
    slug: str
    cycle: str
    text: str
    hours: str | None = None
    cost: int | None = None
    risk: str = ""
    made_possible: str = ""
    audience: str = Audience.MEMBERS
    named: bool = True
    featured: bool = False
    hidden: bool = False


STORIES: tuple[Told, ...] = (
    Told(
        "kubernetes",
        Cycle.APPLIED,
        "The rollback answer meant I fixed the failed Helm upgrade "
        "myself during the release window instead of paging the platform on-call.",
        "4",
        featured=True,
        audience=Audience.EVERYONE,
    ),
    Told(
        "kubernetes",
        Cycle.IMMEDIATE,
        "Unblocked me on the stuck PodDisruptionBudget within twenty minutes.",
        "2",
    ),
    Told(
        "kubernetes",
        Cycle.REALISED,
        "We moved the batch jobs to spot nodes after this thread. "
        "The cluster bill for the data team is down about a fifth this month.",
        "12",
        18_000,
        featured=True,
        audience=Audience.EVERYONE,
    ),
    Told(
        "kubernetes",
        Cycle.POTENTIAL,
        "Didn't need it yet, but I've bookmarked the drain "
        "checklist for the next node-pool upgrade.",
    ),
    Told(
        "observability",
        Cycle.APPLIED,
        "I rewrote our alert on error-budget burn rate instead of "
        "raw 5xx counts. Two fewer false pages last week.",
        "6",
        featured=True,
        risk="medium",
    ),
    Told(
        "observability",
        Cycle.IMMEDIATE,
        "Found the trace that showed the slow query in the "
        "checkout path. Would have taken me the afternoon.",
        "3",
        named=False,
    ),
    Told(
        "observability",
        Cycle.REFRAMING,
        "We stopped measuring uptime per service and started "
        "measuring the customer journeys. The SLO review felt like a product meeting for once.",
        featured=True,
        audience=Audience.EVERYONE,
    ),
    Told(
        "databases",
        Cycle.REALISED,
        "The index advice took the month-end report from 40 minutes "
        "to under 2. Finance got their numbers before lunch.",
        "10",
        featured=True,
        audience=Audience.EVERYONE,
    ),
    Told(
        "databases",
        Cycle.APPLIED,
        "I now check the query plan before every migration that touches the orders table.",
        "1.5",
    ),
    Told(
        "databases",
        Cycle.IMMEDIATE,
        "Saved me from a lock on a 200M-row table in production.",
        "8",
        risk="high",
    ),
    Told(
        "api-design",
        Cycle.APPLIED,
        "We adopted the pagination guideline for the partner API "
        "before launch instead of after the first complaint.",
        "16",
        made_possible="A partner API we won't have to version for cursor paging",
    ),
    Told(
        "api-design",
        Cycle.POTENTIAL,
        "Useful background on idempotency keys for the payments work next quarter.",
    ),
    Told(
        "testing-quality",
        Cycle.REALISED,
        "Flaky-test quarantine cut our main-branch red time "
        "from hours a day to minutes. Releases went out on Thursday as planned for the first "
        "time in a month.",
        "30",
        featured=True,
    ),
    Told(
        "testing-quality",
        Cycle.IMMEDIATE,
        "Copied the contract-test setup and had it running the same day.",
        "5",
    ),
    Told(
        "developer-experience",
        Cycle.APPLIED,
        "The dev-container template got our new starter "
        "to a working build on day one instead of day three.",
        "14",
        featured=True,
        made_possible="First-day commits for new engineers",
    ),
    Told(
        "developer-experience",
        Cycle.IMMEDIATE,
        "Fixed my broken pre-commit hooks in five minutes.",
        "0.5",
    ),
    Told(
        "privacy",
        Cycle.REALISED,
        "The DPIA template answered the customer's security "
        "questionnaire in a day; legal estimated a week of back and forth otherwise.",
        "20",
        4_000,
        risk="high",
        featured=True,
        audience=Audience.LEADERS,
    ),
    Told(
        "privacy",
        Cycle.APPLIED,
        "We now delete raw support transcripts after 30 days.",
        risk="medium",
        audience=Audience.LEADERS,
        named=False,
    ),
    Told(
        "new-managers",
        Cycle.REFRAMING,
        "Realised my 1:1s were status updates. I now ask what "
        "is getting in the way and keep status for the team channel.",
        featured=True,
    ),
    Told(
        "new-managers",
        Cycle.POTENTIAL,
        "Kept the notes on running a first performance review for March.",
    ),
    Told(
        "support-engineering",
        Cycle.APPLIED,
        "Used the escalation checklist on a P1 and had engineering on the call in ten minutes.",
        "3",
        risk="medium",
    ),
    Told("support-engineering", Cycle.IMMEDIATE, "lol", hidden=True),
    Told(
        "financial-modelling",
        Cycle.REALISED,
        "The driver-based template replaced three "
        "spreadsheets in our forecast. The board pack took two days instead of five.",
        "24",
        featured=True,
    ),
    Told(
        "sales-enablement",
        Cycle.APPLIED,
        "Used the discovery question list on two calls this week; both moved to a second meeting.",
        made_possible="A repeatable discovery call",
    ),
)

GOALS: dict[str, tuple[str, str, str]] = {
    "kubernetes": ("Reduce onboarding time", Measure.ONBOARDING, ""),
    "developer-experience": ("Reduce onboarding time", Measure.ONBOARDING, ""),
    "observability": (
        "Fewer customer-facing incidents",
        Measure.FREE,
        "Sev-1 and Sev-2 incidents per quarter, from the incident log",
    ),
    "databases": (
        "Faster month-end close",
        Measure.FREE,
        "Hours from period end to the finance report, as Finance tracks it",
    ),
    "privacy": (
        "Pass customer security reviews first time",
        Measure.FREE,
        "Questionnaires answered without a follow-up round",
    ),
    "testing-quality": (
        "Ship on the planned day",
        Measure.FREE,
        "Releases that go out on the day planned",
    ),
}
DEFAULT_GOAL = ("Reduce onboarding time", Measure.ONBOARDING, "")


def demo_stories_create(*, now: datetime, seed: int) -> int:
    """The demo's goals (one per sponsored community) and stories; the number of stories."""
    rng = random.Random(seed + 16)
    sponsored = Community.objects.filter(
        pk__in=Sponsorship.objects.values("community_id")
    ).order_by("pk")
    goals: dict[int, Goal] = {}
    for community in sponsored:
        name, measure, text = GOALS.get(community.slug, DEFAULT_GOAL)
        goal, _ = Goal.objects.get_or_create(
            community=community,
            name=name,
            retired_at=None,
            defaults={
                "measure": measure,
                "measure_text": text,
                "created_at": now - timedelta(days=100),
            },
        )
        goals[community.pk] = goal
    communities = {c.slug: c for c in Community.objects.filter(slug__in={s.slug for s in STORIES})}
    used: set[int] = set()
    made = 0
    for told in STORIES:
        place = communities.get(told.slug)
        if place is None:
            continue
        question = (
            Post.objects.filter(
                community=place,
                kind=PostKind.QUESTION,
                accepted_answer__isnull=False,
                author__isnull=False,
            )
            .exclude(pk__in=used)
            .order_by("-created_at")
            .first()
        )
        if question is None or question.accepted_answer_id is None:
            continue
        used.add(question.pk)
        told_at = now - timedelta(days=rng.randint(1, 85), hours=rng.randint(0, 9))
        linked = goals.get(place.pk) if told.cycle in (Cycle.REALISED, Cycle.APPLIED) else None
        Story.objects.get_or_create(
            teller_id=question.author_id,
            source=Source.ACCEPTED,
            source_id=question.accepted_answer_id,
            defaults={
                "community": place,
                "source_title": f"the answer you accepted on “{question.title}”"[:300],
                "cycle": told.cycle,
                "text": told.text,
                "hours_saved": Decimal(told.hours) if told.hours else None,
                "cost_avoided": told.cost,
                "risk_reduced": told.risk,
                "made_possible": told.made_possible,
                "audience": told.audience,
                "named": told.named,
                "goal": linked,
                "told_at": told_at,
                "featured_at": told_at + timedelta(days=1) if told.featured else None,
                "hidden_at": told_at + timedelta(hours=3) if told.hidden else None,
            },
        )
        made += 1
    return made
