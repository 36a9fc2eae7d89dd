"""Value stories and business goals in the demo organisation, so a community's stories page
and the sponsor's report show what members say the community helped them do.

Each story is told by the asker of one named question of the written corpus
(`demo_corpus/<slug>.toml`) whose answer they accepted: the moment the prompt asks, so the
story is about what that answer did for them. A title the demo did not write (a smaller
organisation writes only part of the corpus) is skipped. Stories are told in the last 85 days,
after the answer they are about.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trellis.communities.models import Community, Sponsorship
from trellis.qa.models import Post, PostKind
from trellis.stories.models import Audience, Cycle, Goal, Measure, Source, Story

TOLD_WITHIN = timedelta(days=85)


@dataclass(frozen=True)
class Told:
    slug: str
    title: str  # the question's exact title in the community's corpus file
    cycle: str
    text: str
    hours: str | None = None
    cost: int | None = None
    risk: str = ""
    made_possible: str = ""
    audience: str = Audience.MEMBERS
    named: bool = True
    featured: bool = False
    hidden: bool = False  # hidden by a leader: a duplicate, or a note that is not a story


STORIES: tuple[Told, ...] = (
    # accessibility
    Told(
        "accessibility",
        "A prospect wants our VPAT by Friday. Do we have one?",
        Cycle.REALISED,
        "We sent an honest Accessibility Conformance Report on the INT edition instead of "
        "re-dating the 2021 one, with a remediation date for each partial line. The "
        "university's accessibility office called it the most credible one they received, "
        "and we made the shortlist.",
        hours="6",
        risk="high",
        made_possible="An RFP answer on accessibility we can stand behind",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "accessibility",
        "VoiceOver skips our 'Export' control entirely",
        Cycle.APPLIED,
        "Swapped the div for a real button, then searched the reports page for every other "
        "clickable div. Found eleven more; they are all buttons now and the toolbar reads "
        "properly in VoiceOver.",
        hours="3",
    ),
    Told(
        "accessibility",
        "axe in CI reports zero violations, but the external audit found 41 issues",
        Cycle.REFRAMING,
        "I stopped reporting 'axe is green' as our accessibility status. We now show the "
        "automated checks next to a monthly keyboard and screen-reader pass, and my manager "
        "finally sees why the two numbers differ.",
        audience=Audience.EVERYONE,
    ),
    # customer-voice
    Told(
        "customer-voice",
        "Churn reason on Closed Lost renewals is free text. Can it be a picklist?",
        Cycle.REALISED,
        "With the picklist and the validation rule live, Finance had churn by reason in the "
        "board pack for the first time, and I no longer spend a day each quarter reading "
        "sixty free-text notes.",
        hours="8",
        made_possible="Churn by reason in the board pack",
        audience=Audience.EVERYONE,
        # not featured: its sponsor has gone quiet, and nobody has put a story before them
    ),
    Told(
        "customer-voice",
        "Is first-year churn concentrated in accounts that never finished onboarding?",
        Cycle.REALISED,
        "Comparing within segment showed it: accounts that missed 50% seat activation by day "
        "60 churned at their first renewal three times as often. CS now runs an onboarding "
        "check at day 45, and two at-risk accounts renewed this quarter after it.",
        hours="5",
        audience=Audience.EVERYONE,
    ),
    Told(
        "customer-voice",
        "Which signals actually predict a renewal going bad 120 days out?",
        Cycle.REALISED,
        "Told this on the onboarding thread already: accounts that missed 50% seat activation "
        "by day 60 churn three times as often.",
        hidden=True,  # the same story twice: the report would count it twice
    ),
    # data-analytics
    Told(
        "data-analytics",
        "My query scanned 1.8 TB and someone from Data messaged me about it",
        Cycle.APPLIED,
        "I now name my columns and filter on event_date first. The campaign queries I run "
        "every morning scan a few gigabytes instead of 1.8 TB.",
        cost=1_200,
        named=False,
    ),
    Told(
        "data-analytics",
        "Which Looker explore for bookings vs invoiced revenue?",
        Cycle.REALISED,
        "Knowing which explore and which measure to use, I built the EMEA variance commentary "
        "in Looker myself in my second week. Last quarter it took a day of back and forth "
        "with the data team.",
        hours="6",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "data-analytics",
        "Our retention heatmap makes retention look like it's improving. Is it?",
        Cycle.REFRAMING,
        "We dropped the 'average' row from the investor slide and show the three most recent "
        "complete cohorts instead. Less flattering, but nobody will have to walk it back next "
        "year.",
        risk="medium",
        audience=Audience.EVERYONE,
    ),
    # docs-writing
    Told(
        "docs-writing",
        "Can we generate release notes automatically from Jira?",
        Cycle.REALISED,
        "This month's 'All changes' list came straight out of the JQL filter, written by the "
        "engineers when they closed the tickets. Product Ops spent an hour checking it "
        "instead of a day chasing people.",
        hours="7",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "docs-writing",
        "Guidelines for writing error messages in the billing UI?",
        Cycle.IMMEDIATE,
        "Rewrote all twenty payment-method errors as what happened, why, and what to do now, "
        "in one afternoon. The before-and-after table made the review quick.",
        hours="4",
        named=False,
    ),
    # frontend
    Told(
        "frontend",
        "INP is 480 ms on the invoices page: clicking a status filter freezes the UI",
        Cycle.REALISED,
        "Virtualised the invoice list and let the chip paint before the filtering. INP on "
        "/billing/invoices is down to 140 ms at p75 and Search Console now rates the page good.",
        made_possible="The invoices page passing Core Web Vitals",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "frontend",
        "Playwright suite: tests start landing on the login page about halfway through the run",
        Cycle.IMMEDIATE,
        "One storage state per worker and the suite was green the same afternoon. I had spent "
        "two days blaming the CI runners.",
        hours="6",
    ),
    Told(
        "frontend",
        "Plan cards: titles, prices and buttons don't line up across the row",
        Cycle.POTENTIAL,
        "I didn't know subgrid existed. It is in my notes for the pricing page redesign next "
        "quarter, and I'll stop asking engineers for fixed heights.",
    ),
    # kubernetes
    Told(
        "kubernetes",
        "Refactoring the root module into modules makes the plan want to destroy the prod "
        "RDS instance",
        Cycle.REALISED,
        "The moved blocks turned a plan that wanted to destroy the ledger database into "
        "fourteen 'has moved to' lines. The whole refactor went out in one reviewed PR with "
        "no downtime.",
        hours="8",
        risk="high",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "kubernetes",
        "Read-only cluster access for the IT service desk",
        Cycle.APPLIED,
        "The service desk now checks pod status and logs in internal-tools ourselves. 'Is the "
        "wiki down?' tickets no longer wait for someone from Platform to look.",
        hours="5",
        made_possible="First-line support for internal tools without calling Platform",
        audience=Audience.EVERYONE,
    ),
    Told(
        "kubernetes",
        "Airflow task pod killed with exit code 137 but the task only used 1.1 GB",
        Cycle.IMMEDIATE,
        "Not really a story: could someone give me access to the GPU node pool as well? I "
        "didn't know where else to ask.",
        hidden=True,  # an access request, not a story: the leader pointed them to the form
    ),
    # ml-reading-group
    Told(
        "ml-reading-group",
        "Churn model: 0.94 AUC in cross-validation, 0.71 in its first month live",
        Cycle.REFRAMING,
        "We now compute every feature as of the prediction date and validate on a later time "
        "window. Our offline numbers are lower, and for the first time they match what we "
        "see live.",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "ml-reading-group",
        "A forum post made the help assistant tell a user to email their API key",
        Cycle.APPLIED,
        "We split the index into trusted help-centre articles and untrusted forum posts and "
        "check every answer for anything that looks like a secret. The assistant went to the "
        "beta with Security's sign-off.",
        risk="high",
        made_possible="Security's sign-off for the help assistant beta",
    ),
    # product-management
    Told(
        "product-management",
        "Saved views has 3% adoption after six months. Kill it?",
        Cycle.REFRAMING,
        "With the right denominator, saved views went from '3% adoption' to 'a quarter of our "
        "heaviest users rely on it'. We kept it and designed the new reports list around "
        "those users.",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "product-management",
        "Can CSMs share the Now / Next / Later roadmap with customers?",
        Cycle.APPLIED,
        "I've walked four customers through the customer version in QBRs. They stopped asking "
        "'when' and started telling us which of the Next problems matter to them.",
        hours="2",
    ),
    Told(
        "product-management",
        "Primary metric won, but the support-ticket guardrail went red. Ship or not?",
        Cycle.REALISED,
        "We shipped the invite prompt with a note to admins that accepted invites become "
        "billable seats. Tickets went back to the control level, invites kept most of the "
        "lift, and nobody has asked for credits since.",
        cost=2_400,
        risk="medium",
    ),
    # python
    Told(
        "python",
        "AddIndex migration on a 40M-row table blocked writes in billing-api for six minutes",
        Cycle.REALISED,
        "Every index on a big table now goes in with AddIndexConcurrently, and our migration "
        "check flags a plain AddIndex. The last three invoice runs went through deploys "
        "without a stall.",
        risk="high",
        audience=Audience.EVERYONE,
    ),
    Told(
        "python",
        "pytest -n 8: workers trample each other's data in the test database",
        Cycle.IMMEDIATE,
        "One database per worker and events-pipeline's tests run clean on eight workers: "
        "eleven minutes down to two.",
        hours="1.5",
        named=False,
    ),
    # security-council (private: its stories stay with its members or its leaders)
    Told(
        "security-council",
        "partner-portal stores salted SHA-256 passwords: Argon2id or bcrypt, and how do we "
        "migrate?",
        Cycle.APPLIED,
        "We wrapped the old hashes in Argon2id for everyone at once and rehash on login. "
        "After three weeks not a single bare SHA-256 hash is left in the partner-portal "
        "database.",
        risk="high",
    ),
    Told(
        "security-council",
        "SOC 2: what counts as evidence for quarterly access reviews?",
        Cycle.REALISED,
        "This quarter's access reviews used system exports, with the reviewer, the date and "
        "each removal ticket attached. The auditor's walkthrough took thirty minutes and "
        "raised no follow-up requests.",
        hours="12",
        audience=Audience.LEADERS,
        named=False,
        featured=True,
    ),
    Told(
        "security-council",
        "SCP to deny AWS regions we don't use: what breaks?",
        Cycle.POTENTIAL,
        "Saved the list of global services to exempt. We'll try the SCP on the sandbox OU "
        "first next sprint.",
    ),
    # ux-design
    Told(
        "ux-design",
        "Drowning in stickies: synthesising 14 onboarding interviews",
        Cycle.APPLIED,
        "Debriefing each interview into observations first got my first synthesis done in a "
        "week instead of a fortnight of reshuffling stickies. I now start every study that "
        "way.",
        hours="16",
    ),
    Told(
        "ux-design",
        "PMs don't believe findings from sessions they didn't watch",
        Cycle.REFRAMING,
        "Getting the PM into two live sessions as note-taker changed more than any deck. The "
        "permissions findings went into planning unchanged.",
        audience=Audience.EVERYONE,
    ),
    # ways-of-working
    Told(
        "ways-of-working",
        "Value-stream mapping our release process: where do we even start?",
        Cycle.REALISED,
        "Walking one real feature through showed that most of the six weeks from dev done to "
        "customers was waiting for a QA slot and the fortnightly release train. The web app "
        "now releases weekly and the median is under three weeks.",
        made_possible="Weekly releases for the web app",
        audience=Audience.EVERYONE,
        featured=True,
    ),
    Told(
        "ways-of-working",
        "Retro action items never actually get done",
        Cycle.APPLIED,
        "One action per retro, with an owner and a date, reviewed first thing at the next "
        "one. We closed eight of our last eleven actions, against nine of forty-seven before.",
    ),
)

# One goal per sponsored community, as its sponsor would name it; the measure in words unless
# the onboarding figure (newcomers' days to a first answer and contribution) is the point.
GOALS: dict[str, tuple[str, str, str]] = {
    "accessibility": (
        "Pass customer accessibility reviews first time",
        Measure.FREE,
        "RFPs and procurement questionnaires answered without an accessibility follow-up round",
    ),
    "customer-voice": (
        "Churn reasons we can act on",
        Measure.FREE,
        "Lost renewals with a specific reason (not 'Other' or blank), from Salesforce",
    ),
    "data-analytics": ("Reduce onboarding time", Measure.ONBOARDING, ""),
    "docs-writing": (
        "Less time lost to recurring documents",
        Measure.FREE,
        "Hours teams spend on release notes, policies and runbooks, as they report them",
    ),
    "frontend": (
        "Fast pages for customers",
        Measure.FREE,
        "Customer-facing pages passing Core Web Vitals at p75, from Search Console",
    ),
    "kubernetes": (
        "Safer changes to production",
        Measure.FREE,
        "Sev-1 and Sev-2 incidents per quarter caused by a deploy or an infrastructure change",
    ),
    "ml-reading-group": (
        "Models we can trust in production",
        Measure.FREE,
        "Production models with a registered version, a written evaluation and drift checks",
    ),
    "product-management": (
        "Ship what moves customer outcomes",
        Measure.FREE,
        "Launches with an outcome metric read 30 days after release",
    ),
    "python": (
        "Deploys that never stall production",
        Measure.FREE,
        "Deploys followed by a migration- or dependency-related incident, from the incident log",
    ),
    "security-council": (
        "Pass the SOC 2 Type II audit with no exceptions",
        Measure.FREE,
        "Exceptions in the auditor's Type II report",
    ),
    "ux-design": ("Reduce onboarding time", Measure.ONBOARDING, ""),
    "ways-of-working": (
        "Shorter time from dev done to customers",
        Measure.FREE,
        "Median days from merge to release, from the value-stream map",
    ),
}
# The extra communities of larger organisations (their questions come from templates, so no
# story names them) still get a goal for the sponsor's report.
DEFAULT_GOAL = ("Reduce onboarding time", Measure.ONBOARDING, "")


def _told_at(*, answered_at: datetime, now: datetime, cycle: str, rng: random.Random) -> datetime:
    """After the answer and within `TOLD_WITHIN` of now: soon after it for what helped right
    away or will help later, further on for what it changed."""
    earliest = max(answered_at + timedelta(hours=1), now - TOLD_WITHIN)
    if earliest >= now:
        return answered_at + (now - answered_at) / 2
    soon = cycle in (Cycle.IMMEDIATE, Cycle.POTENTIAL)
    share = rng.uniform(0.02, 0.3) if soon else rng.uniform(0.15, 0.95)
    return earliest + (now - earliest) * share


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
    questions: dict[tuple[int, str], Post] = {}
    for post in (
        Post.objects.filter(
            community__in=communities.values(),
            title__in={s.title for s in STORIES},
            kind=PostKind.QUESTION,
            accepted_answer__isnull=False,
            author__isnull=False,
        )
        .select_related("accepted_answer")
        .order_by("-created_at")
    ):
        if post.community_id is not None:
            questions[(post.community_id, post.title)] = post  # the oldest of a title wins
    made = 0
    for told in STORIES:
        place = communities.get(told.slug)
        question = questions.get((place.pk, told.title)) if place else None
        if place is None or question is None or question.accepted_answer is None:
            continue  # not written at this size
        told_at = _told_at(
            answered_at=question.accepted_answer.created_at, now=now, cycle=told.cycle, rng=rng
        )
        counts = told.cycle in (Cycle.REALISED, Cycle.APPLIED) and not told.hidden
        linked = goals.get(place.pk) if counts else None
        _, created = Story.objects.get_or_create(
            teller_id=question.author_id,
            source=Source.ACCEPTED,
            source_id=question.accepted_answer.pk,
            defaults={
                "community": place,
                "source_title": f"the answer they accepted on “{question.title}”"[:300],
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
                "featured_at": min(told_at + timedelta(days=1), now) if told.featured else None,
                "hidden_at": min(told_at + timedelta(hours=3), now) if told.hidden else None,
            },
        )
        made += int(created)
    return made
