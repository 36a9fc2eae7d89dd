"""Community health stored per community (and organisation-wide) and month, so the pages read
one row instead of the activity log (`health_reads.health_for` takes 1 to 6.5 s a scope at
50,000 people).

The daily job computes, for every community and the organisation:
- the current month, to date (against the whole of the month before);
- each of the `months` months up to it (a year's chart) that has no figures yet, or whose
  figures were read before the month had settled: until `SETTLE` after its end, answers
  and comments on its last questions still change its reply coverage, so in the first week
  of a month the month before is read again each day;
- never a month before the scope had anything (the month its community was created, or of the
  first post or activity dated in it, if earlier; organisation-wide, the first thing recorded).

The communities are read together, each query grouped by community
(`health_reads.health_for_communities`: one set of queries for all 51, not one each), over
the union of their due months; the organisation (everything, content outside any community
too) is its own read. Figures are as the data stands when read (`now`), as `health_reads`
says. Each scope's months are written in one transaction, a month's row replaced
(update_or_create on the unique key), so running the job twice stores the same rows.
"""

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core.models import Activity
from trellis.insights import counts, health_reads, health_selectors
from trellis.insights.health import REPLY_WITHIN, Health
from trellis.insights.models import InsightSnapshot
from trellis.qa.models import Post

SETTLE = REPLY_WITHIN  # a month's last questions have had their 7 days for a reply


def health_refresh(
    *,
    now: datetime | None = None,
    months: int = health_selectors.CHART_MONTHS,
    recompute: bool = False,
) -> int:
    """Compute and store what is due for every community and the organisation (`recompute`:
    every month of the window, as after an import brings history into past months); returns
    the number of months stored."""
    if months < 1:
        raise ValueError("at least the current month")
    now = now or timezone.now()
    current = counts.month_of(now)
    window = [counts.add_months(current, -k) for k in range(months - 1, -1, -1)]
    first_recorded = counts.first_recorded_month()
    if first_recorded is None:
        return 0
    earliest_post = dict(
        Post.objects.filter(community__isnull=False)
        .order_by()
        .values("community_id")
        .annotate(first=Min("created_at"))
        .values_list("community_id", "first")
    )
    communities = list(Community.objects.order_by("pk"))
    due_by_community = {
        community.pk: _due(
            community,
            window,
            counts.month_of(_first_moment(community, earliest_post.get(community.pk), now)),
            recompute=recompute,
        )
        for community in communities
    }
    computed = health_reads.health_for_communities(months_by_community=due_by_community, as_of=now)
    stored = sum(
        _store(community=community, computed=computed[community.pk], now=now)
        for community in communities
    )
    due = _due(None, window, first_recorded, recompute=recompute)
    stored += health_compute(community=None, months=due, now=now)
    return stored


def health_compute(*, community: Community | None, months: list[date], now: datetime) -> int:
    """Read the scope's figures for each month (outside any transaction: seconds of reads),
    then store them; returns the months stored."""
    computed = health_reads.health_for_months(community=community, months=months, as_of=now)
    return _store(community=community, computed=computed, now=now)


def _store(*, community: Community | None, computed: dict[date, Health], now: datetime) -> int:
    """Replace the scope's months' rows in one transaction (a short one per scope: a
    failure leaves each scope's months whole, and no transaction spans every community's
    writes); returns the months stored."""
    figures: dict[date, dict[str, Any]] = {
        month: health_selectors.figures_of(health, as_of=now) for month, health in computed.items()
    }
    with transaction.atomic():
        for month, values in figures.items():
            InsightSnapshot.objects.update_or_create(
                kind=InsightSnapshot.HEALTH,
                community=community,
                month=month,
                defaults={"figures": values, "computed_at": now},
            )
    return len(figures)


def _first_moment(community: Community, first_post: datetime | None, now: datetime) -> datetime:
    """When the community's history begins: its creation, or anything recorded or imported
    into it before (an import dates its posts, the demo its activity, in the past)."""
    first_activity: datetime | None = Activity.objects.filter(community=community).aggregate(
        at=Min("created_at")
    )["at"]
    known = [community.created_at, first_post, first_activity, now]
    return min(moment for moment in known if moment is not None)


def _due(
    community: Community | None, window: list[date], began: date, *, recompute: bool = False
) -> list[date]:
    """The months of `window` to (re)compute: the current one, and those not stored or stored
    before they had settled; none before the scope `began`."""
    computed = health_selectors.health_computed_at(community=community)
    current = window[-1]
    due = []
    for month in window:
        if month < began:
            continue
        settled_at = counts.month_bounds(month)[1] + SETTLE
        at = computed.get(month)
        if recompute or month == current or at is None or at < settled_at:
            due.append(month)
    return due
