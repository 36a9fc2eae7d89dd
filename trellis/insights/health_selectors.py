"""Reads of the stored community health (`InsightSnapshot` rows of kind HEALTH), and the JSON
shape they are stored in, so the writer (`services.health`) and the readers share one format.

A page reads one row for the month it shows and at most `CHART_MONTHS` rows for its charts,
never the activity log. `community=None` is the organisation-wide scope. Who may read a
scope is decided by core/access.py in the views and the API, not here.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet

from trellis.communities.models import Community
from trellis.insights import counts
from trellis.insights.health import Headline, Health, Metric
from trellis.insights.models import InsightSnapshot

CHART_MONTHS = 12
FORMAT = 1  # the version of the stored shape; a reader refuses rows it does not know

# The stored shape ----------------------------------------------------------------------------


def figures_of(health: Health, *, as_of: datetime) -> dict[str, Any]:
    """A Health as JSON-able figures: every metric as assess worded it, the headline and its
    reason, the period, and when the figures were read (`as_of`)."""
    return {
        "format": FORMAT,
        "period": {
            "start": health.start.isoformat(),
            "end": health.end.isoformat(),
            "previous_start": health.previous_start.isoformat(),
            "as_of": as_of.isoformat(),
        },
        "headline": {
            "label": health.headline.label,
            "reason": health.headline.reason,
            "active_trend": health.headline.active_trend,
            "engaged_trend": health.headline.engaged_trend,
        },
        "fragile": health.fragile,
        "fragile_reason": health.fragile_reason,
        "metrics": [
            {
                "key": metric.key,
                "label": metric.label,
                "value": metric.value,
                "previous": metric.previous,
                "desirable": metric.desirable,
                "moved_right_way": metric.moved_right_way,
                "explanation": metric.explanation,
                "is_share": metric.is_share,
                "cases": metric.cases,
            }
            for metric in health.metrics
        ],
    }


@dataclass(frozen=True)
class StoredHealth:
    """One scope's health for one month, as the daily job stored it."""

    month: date
    computed_at: datetime
    as_of: datetime  # when the figures were read
    health: Health

    @property
    def complete(self) -> bool:
        """The month was over when its figures were read (otherwise: the month to date)."""
        return self.as_of >= self.health.end


def _health_from(figures: dict[str, Any]) -> tuple[Health, datetime]:
    if figures.get("format") != FORMAT:
        raise ValueError(f"health figures in format {figures.get('format')!r}, not {FORMAT}")
    period = figures["period"]
    headline = figures["headline"]
    health = Health(
        start=datetime.fromisoformat(period["start"]),
        end=datetime.fromisoformat(period["end"]),
        previous_start=datetime.fromisoformat(period["previous_start"]),
        metrics=tuple(Metric(**metric) for metric in figures["metrics"]),
        headline=Headline(
            label=headline["label"],
            reason=headline["reason"],
            active_trend=headline["active_trend"],
            engaged_trend=headline["engaged_trend"],
        ),
        fragile=figures["fragile"],
        fragile_reason=figures["fragile_reason"],
    )
    return health, datetime.fromisoformat(period["as_of"])


def _stored(row: InsightSnapshot) -> StoredHealth:
    health, as_of = _health_from(row.figures)
    return StoredHealth(month=row.month, computed_at=row.computed_at, as_of=as_of, health=health)


# Reads -----------------------------------------------------------------------------------------


def _scope(community: Community | None) -> "QuerySet[InsightSnapshot]":
    rows = InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH)
    if community is None:
        return rows.filter(community__isnull=True)
    return rows.filter(community=community)


def health_months(*, community: Community | None) -> list[date]:
    """The months with stored figures for the scope, newest first."""
    return list(_scope(community).order_by("-month").values_list("month", flat=True))


def health_computed_at(*, community: Community | None) -> dict[date, datetime]:
    """When each stored month of the scope was computed (the refresh decides what to redo)."""
    return dict(_scope(community).values_list("month", "computed_at"))


def health_snapshot_read(*, community: Community | None, month: date) -> StoredHealth | None:
    """The scope's stored figures for the month, or None when none were computed."""
    row = _scope(community).filter(month=month.replace(day=1)).first()
    return _stored(row) if row is not None else None


def health_history(
    *, community: Community | None, until: date, months: int = CHART_MONTHS
) -> list[tuple[date, StoredHealth | None]]:
    """The `months` months up to `until`, oldest first, each with its stored figures (None for
    a month with none): one query."""
    until = until.replace(day=1)
    wanted = [counts.add_months(until, -k) for k in range(months - 1, -1, -1)]
    rows = {row.month: row for row in _scope(community).filter(month__in=wanted)}
    return [(month, _stored(rows[month]) if month in rows else None) for month in wanted]


def health_snapshots(*, community: Community | None) -> list[StoredHealth]:
    """Every stored month of the scope, oldest first (the CSV)."""
    return [_stored(row) for row in _scope(community).order_by("month")]
