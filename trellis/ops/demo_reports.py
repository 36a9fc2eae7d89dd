"""The sponsor's impact report in the demo: what each sponsor provides their community
(budget, time, channels, written as Larkspur's finance and team leads would), the stored
figures of the periods a sponsor opens first, so the report reads well on first contact, and
the sponsors' habit of opening it: most months, and every one of the last two, except where a
community's sponsor has gone quiet (`demo_knowledge.LIVES`), who stopped months ago."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from trellis.communities.models import Community, Sponsorship
from trellis.insights import counts
from trellis.ops.demo_knowledge import DEFAULT_LIFE, LIVES
from trellis.reports.models import OpenedAs, ReportOpen, SponsorResources
from trellis.reports.services import figures_refresh

OPENED_MOST_MONTHS = 0.8  # a sponsor's chance of opening the report in a given month
ALWAYS_OPENED = 2  # ... and the last whole months they always opened it

CURRENCY = "GBP"  # Larkspur's head office is in London

# Known communities get their own lines; any other sponsored one is sized by its members.
PROVIDED: dict[str, tuple[int, str, str]] = {
    "kubernetes": (
        18_000,
        "4",
        "#k8s-guild on Slack; a 15-minute slot in the monthly engineering all-hands; "
        "the Thursday lunch room on the 3rd floor",
    ),
    "python": (
        9_000,
        "3",
        "#python on Slack; the weekly office hours in the Garden room; a PyCon UK ticket budget",
    ),
    "security-council": (
        30_000,
        "6",
        "A private channel with the CISO; the quarterly tabletop exercise day; an external "
        "trainer twice a year",
    ),
    "data-analytics": (
        12_000,
        "4",
        "#data-guild on Slack; the analytics newsletter; a shared Looker sandbox",
    ),
    "ux-design": (
        8_000,
        "3",
        "#design-crit on Slack; the fortnightly critique slot; a research participant budget",
    ),
    "product-management": (
        6_000,
        "2",
        "#pm-circle on Slack; a slot in the monthly product review",
    ),
}


def _default(community: Community) -> tuple[int, str, str]:
    budget = max(3_000, min(20_000, community.member_count * 60 // 1000 * 1000))
    return (budget, "2", f"#{community.slug} on Slack; a room booked once a month")


def demo_reports_create(*, now: datetime, seed: int = 0) -> int:
    """Resources for every sponsored community, then their figures (and the organisation's)
    for the periods the report opens on, and the sponsors' opens. Returns the communities
    given resources."""
    sponsored = list(
        Community.objects.filter(pk__in=Sponsorship.objects.values("community_id")).order_by("slug")
    )
    for community in sponsored:
        budget, hours, channels = PROVIDED.get(community.slug, _default(community))
        SponsorResources.objects.update_or_create(
            community=community,
            defaults={
                "annual_budget": Decimal(budget),
                "currency": CURRENCY,
                "hours_per_month": Decimal(hours),
                "channels": channels,
                "updated_at": now,
            },
        )
    figures_refresh(now=now)  # every community and the organisation: first reads are instant
    _report_opens(now, random.Random(seed + 29))
    return len(sponsored)


def _report_opens(now: datetime, rand: random.Random) -> int:
    """Each sponsor opens the report on last month's figures early in a month, from the month
    after their sponsorship began: most months, always lately; a quiet sponsor opened it
    until `sponsor_quiet_months` whole months ago and never since."""
    this_month = counts.month_of(now)
    opens: list[ReportOpen] = []
    for sponsorship in Sponsorship.objects.select_related("community").order_by("pk"):
        life = LIVES.get(sponsorship.community.slug, DEFAULT_LIFE)
        month = counts.add_months(counts.month_of(sponsorship.since), 1)
        while month <= this_month:
            whole_months_ago = (this_month.year - month.year) * 12 + this_month.month - month.month
            quiet = life.sponsor_quiet_months and whole_months_ago <= life.sponsor_quiet_months
            always = 1 <= whole_months_ago <= ALWAYS_OPENED
            opened = rand.random() < OPENED_MOST_MONTHS
            start = counts.month_bounds(month)[0]
            at = start + timedelta(days=rand.uniform(0.3, 9))
            if not quiet and (always or opened) and at < now:
                period = counts.add_months(month, -1)
                opens.append(
                    ReportOpen(
                        person_id=sponsorship.person_id,
                        community_id=sponsorship.community_id,
                        period=f"{period.year}-{period.month:02d}",
                        opened_as=OpenedAs.PDF if rand.random() < 0.3 else OpenedAs.PAGE,
                        opened_at=at,
                    )
                )
            month = counts.add_months(month, 1)
    ReportOpen.objects.bulk_create(opens)
    return len(opens)
