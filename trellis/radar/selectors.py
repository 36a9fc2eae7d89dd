"""Reads of the stored radar: a community's signals for whoever may read them, with their
course over the months and any snooze, and the organisation's overview."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.radar.models import RadarSignal, RadarSnooze
from trellis.radar.signals import PITFALLS, SPONSOR, TITLES

WHAT_IT_MEANS = {
    "meetings_without_practice": (
        "Events keep the calendar full while less practice comes out of them: the community "
        "meets but stops building shared knowledge."
    ),
    "leader_burnout": (
        "The community leans on its leaders more and more; if they stop, so does it."
    ),
    "sponsor_disengagement": (
        "The sponsor is drifting away, and the support and funding tend to follow."
    ),
    "stagnation": (
        "The same few people, fewer newcomers, more left unanswered: the community is "
        "closing in on itself or drifting from what it is for."
    ),
}


@dataclass(frozen=True)
class CoursePoint:
    month: date
    score: float
    raised: bool


@dataclass(frozen=True)
class SignalView:
    pitfall: str
    title: str
    meaning: str
    month: date
    score: float
    threshold: float
    raised: bool
    evidence: Sequence[dict[str, Any]]
    course: Sequence[CoursePoint]
    snooze: RadarSnooze | None

    @property
    def showing_raised(self) -> bool:
        """Raised and not snoozed: what the page puts first."""
        return self.raised and self.snooze is None


@dataclass(frozen=True)
class RadarPage:
    community: Community
    month: date | None  # the last whole month read; None: nothing computed yet
    computed_at: datetime | None
    signals: Sequence[SignalView]
    may_act: bool  # may snooze and use the fixes

    @property
    def raised(self) -> list[SignalView]:
        return [s for s in self.signals if s.showing_raised]

    @property
    def quiet(self) -> list[SignalView]:
        return [s for s in self.signals if not s.showing_raised]


def visible_pitfalls(*, viewer: Any, community: Community) -> list[str]:
    """Every pitfall for the community's leaders and org admins; the sponsor signal alone
    for its sponsors; none for anyone else."""
    if access.can_view_radar_in(viewer, community):
        return list(PITFALLS)
    if access.can_view_sponsor_signal_in(viewer, community):
        return [SPONSOR]
    return []


def _active_snoozes(community_ids: Sequence[int]) -> dict[tuple[int, str], RadarSnooze]:
    today = timezone.localdate()
    rows = RadarSnooze.objects.filter(community_id__in=community_ids, until__gt=today)
    return {(row.community_id, row.pitfall): row for row in rows.select_related("snoozed_by")}


def community_radar(*, viewer: Any, community: Community) -> RadarPage:
    pitfalls = visible_pitfalls(viewer=viewer, community=community)
    rows = list(
        RadarSignal.objects.filter(community=community, pitfall__in=pitfalls).order_by(
            "pitfall", "month"
        )
    )
    latest = max((row.month for row in rows), default=None)
    snoozes = _active_snoozes([community.pk])
    signals: list[SignalView] = []
    for pitfall in pitfalls:
        mine = [row for row in rows if row.pitfall == pitfall]
        now = next((row for row in mine if row.month == latest), None)
        if now is None:
            continue
        signals.append(
            SignalView(
                pitfall=pitfall,
                title=TITLES[pitfall],
                meaning=WHAT_IT_MEANS[pitfall],
                month=now.month,
                score=now.score,
                threshold=now.threshold,
                raised=now.raised,
                evidence=[e for e in now.evidence if e.get("text")],
                course=[CoursePoint(row.month, row.score, row.raised) for row in mine],
                snooze=snoozes.get((community.pk, pitfall)),
            )
        )
    computed = max((row.computed_at for row in rows), default=None)
    return RadarPage(
        community=community,
        month=latest,
        computed_at=computed,
        signals=signals,
        may_act=access.can_act_on_radar(viewer, community),
    )


@dataclass(frozen=True)
class OrgRow:
    community: Community
    raised: Sequence[str]  # pitfall titles raised and not snoozed
    snoozed: Sequence[str]
    worst: float  # the highest score over the pitfalls, for the order


def org_radar(*, month: date | None = None) -> tuple[date | None, list[OrgRow]]:
    """Every community's latest signals, the most worrying first (org admins; the view asks
    core/access.py)."""
    latest = month or (
        RadarSignal.objects.order_by("-month").values_list("month", flat=True).first()
    )
    if latest is None:
        return None, []
    rows = list(RadarSignal.objects.filter(month=latest).select_related("community"))
    snoozes = _active_snoozes(sorted({row.community_id for row in rows}))
    by_community: dict[int, list[RadarSignal]] = {}
    for row in rows:
        by_community.setdefault(row.community_id, []).append(row)
    out = []
    for signals in by_community.values():
        community = signals[0].community
        raised = [s for s in signals if s.raised]
        out.append(
            OrgRow(
                community=community,
                raised=[
                    TITLES[s.pitfall] for s in raised if (s.community_id, s.pitfall) not in snoozes
                ],
                snoozed=[
                    TITLES[s.pitfall] for s in raised if (s.community_id, s.pitfall) in snoozes
                ],
                worst=max(s.score for s in signals),
            )
        )
    out.sort(key=lambda r: (-len(r.raised), -r.worst, r.community.name))
    return latest, out
