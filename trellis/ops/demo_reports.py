"""The sponsor's impact report in the demo: what each sponsor provides their community
(budget, time, channels, written as Larkspur's finance and team leads would), and the stored
figures of the periods a sponsor opens first, so the report reads well on first contact."""

from datetime import datetime
from decimal import Decimal

from trellis.communities.models import Community, Sponsorship
from trellis.reports.models import SponsorResources
from trellis.reports.services import figures_refresh

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


def demo_reports_create(*, now: datetime) -> int:
    """Resources for every sponsored community, then their figures (and the organisation's)
    for the periods the report opens on. Returns the communities given resources."""
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
    return len(sponsored)
