"""The silo map stored each day: the organisation's and every community's, over the last
`WINDOW_DAYS` days, as `InsightSnapshot(kind=SILOS)` rows of the current month, so the pages
and the API read one row. The month's rows are replaced at each refresh; earlier months' stay
as they were last computed (the map as it stood at the end of each month).

What each map is built from is `access.silo_map_content`'s decision (`silo_reads`); the
figures are aggregates resting on at least `silos.MIN_PEOPLE` people each (`silos`), with no
person's id or name in them.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.insights import counts, silo_reads
from trellis.insights.models import InsightSnapshot
from trellis.insights.silos import SiloMap, silo_map

WINDOW_DAYS = 90
FIGURES_VERSION = 1


def silo_figures(silos: SiloMap, *, start: datetime, end: datetime) -> dict[str, Any]:
    """What a snapshot stores: the map and the period it covers."""
    return {
        "version": FIGURES_VERSION,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "window_days": WINDOW_DAYS,
        "map": silos.to_json(),
    }


def silos_refresh(*, now: datetime | None = None) -> int:
    """Compute the organisation's map and every community's for the `WINDOW_DAYS` days up to
    `now`, and store them as this month's; returns how many maps were stored."""
    now = now or timezone.now()
    start = now - timedelta(days=WINDOW_DAYS)
    month = counts.month_of(now)
    maps: dict[int | None, SiloMap] = {
        None: silo_map(silo_reads.organisation_facts(start=start, end=now))
    }
    by_community = silo_reads.facts_by_community(start=start, end=now)
    for community_id in Community.objects.order_by("pk").values_list("pk", flat=True):
        maps[community_id] = silo_map(by_community.get(community_id, []))
    rows = [
        InsightSnapshot(
            kind=InsightSnapshot.SILOS,
            community_id=community_id,
            month=month,
            figures=silo_figures(silos, start=start, end=now),
            computed_at=now,
        )
        for community_id, silos in maps.items()
    ]
    with transaction.atomic():
        InsightSnapshot.objects.filter(kind=InsightSnapshot.SILOS, month=month).delete()
        InsightSnapshot.objects.bulk_create(rows)
    return len(rows)
