"""Champions and the leaders' named lists stored per community and organisation-wide, so the
pages read one row.

The daily job reads every help edge of the lookback once (`champion_reads`, four queries),
ranks each community's help and the organisation's (`champions.champions`), and keeps the
best `TOP` people who have an account as an `InsightSnapshot(kind=CHAMPIONS)` for the
current month. With them go the named lists (`named_lists.list_facts`: who is ready to move
inward, new, lost or back) of the last complete month and of the current one so far, read
from the stored levels: run it after the levels' refresh.

People are stored by id with their score, reasons and figures: names, and who prefers not to
be named, are read when the page is, so an opt-out takes effect at once. Whether someone is
recognised (holds a leading role) is stored as it was, and read again by the page, since a
leader who invites a champion onto the team should see it the same day.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.insights import champion_reads, counts, named_lists
from trellis.insights.champion_reads import GUIDE, SESSION, RecordedHelp
from trellis.insights.champions import LOOKBACK_DAYS, Champion, HelpEdge, champions
from trellis.insights.models import InsightSnapshot, MonthlyLevel

TOP = 50
NOT_RECOGNISED = "Not yet recognised"  # the reason champions() adds; the page marks it instead


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _recorded_help(edges: list[HelpEdge], now: datetime) -> dict[Any, dict[str, int]]:
    """Per helper: sessions led and the people who came, people their guides helped (within
    the lookback, as champions() counts)."""
    sessions: defaultdict[Any, set[int]] = defaultdict(set)
    attendees: defaultdict[Any, set[Any]] = defaultdict(set)
    guided: defaultdict[Any, set[Any]] = defaultdict(set)
    for edge in edges:
        if not isinstance(edge, RecordedHelp) or edge.at > now:
            continue
        if edge.how == SESSION:
            sessions[edge.helper].add(edge.source)
            attendees[edge.helper].add(edge.helped)
        elif edge.how == GUIDE:
            guided[edge.helper].add(edge.helped)
    return {
        helper: {
            "sessions_led": len(sessions.get(helper, ())),
            "session_attendees": len(attendees.get(helper, ())),
            "guide_readers_helped": len(guided.get(helper, ())),
        }
        for helper in {*sessions, *guided}
    }


def _reasons(champion: Champion, recorded: dict[str, int]) -> list[str]:
    """champions()'s reasons, with what sessions and guides did, without the "not yet
    recognised" line (the page marks it from the person's roles when it is read)."""
    reasons = [r for r in champion.reasons if not r.startswith(NOT_RECOGNISED)]
    extra = []
    if recorded.get("sessions_led"):
        extra.append(
            f"Led {_plural(recorded['sessions_led'], 'session')}, which "
            f"{_plural(recorded['session_attendees'], 'person', 'people')} came to."
        )
    if recorded.get("guide_readers_helped"):
        extra.append(
            f"Their guides helped {_plural(recorded['guide_readers_helped'], 'person', 'people')}"
            " (“This helped me”)."
        )
    return reasons[:1] + extra + reasons[1:]


def champion_figures(
    edges: list[HelpEdge], *, now: datetime, recognised: set[int], listed: set[int]
) -> dict[str, Any]:
    """The stored figures of one scope: the best TOP of the people in `listed` (those with an
    account), ranked over every edge (everyone shaped the help network)."""
    ranked = champions(edges, now=now, recognised=recognised)
    recorded = _recorded_help(edges, now)
    kept = [c for c in ranked if c.person in listed][:TOP]
    return {
        "lookback_days": LOOKBACK_DAYS,
        "people_ranked": len(ranked),
        "champions": [
            {
                "person": champion.person,
                "score": champion.score,
                "reasons": _reasons(champion, recorded.get(champion.person, {})),
                "recognised": champion.recognised,
                "people_helped": champion.people_helped,
                "accepted": champion.accepted,
                "thanks": champion.thanks,
                "departments_bridged": list(champion.departments_bridged),
                "brokerage": round(champion.brokerage, 4),
                "months_with_help": champion.months_with_help,
                **recorded.get(champion.person, {}),
            }
            for champion in kept
        ],
    }


def lists_figures(*, community: Community | None, now: datetime) -> list[dict[str, Any]]:
    """The named lists of the last complete month and the current one (those with stored
    levels in the scope), oldest first, as stored."""
    current = counts.month_of(now)
    levels = (
        MonthlyLevel.objects.filter(community__isnull=True)
        if community is None
        else MonthlyLevel.objects.filter(community=community)
    )
    out = []
    for month in (counts.add_months(current, -1), current):
        if levels.filter(month=month).exists():
            facts = named_lists.list_facts(community=community, month=month)
            out.append({"month": f"{month:%Y-%m}", "lists": [f.to_json() for f in facts]})
    return out


def _store(
    community: Community | None, month: date, figures: dict[str, Any], now: datetime
) -> None:
    with transaction.atomic():
        InsightSnapshot.objects.update_or_create(
            kind=InsightSnapshot.CHAMPIONS,
            community=community,
            month=month,
            defaults={"figures": figures, "computed_at": now},
        )


def champions_refresh(*, now: datetime | None = None) -> int:
    """Rank and store the champions of every community and of the organisation for the
    current month (replacing the month's rows: run it as often as wanted). Returns the
    snapshots written."""
    now = now or timezone.now()
    month = counts.month_of(now)
    scoped = champion_reads.scoped_help_edges(community=None, now=now)
    by_scope = champion_reads.edges_by_scope(scoped)
    everything = [s.edge for s in scoped]
    helpers = {cast(int, e.helper) for e in everything}
    listed = champion_reads.with_accounts(helpers)
    written = 0
    for community in Community.objects.order_by("pk").only("pk"):
        edges = by_scope.get(community.pk, [])
        in_community = {cast(int, e.helper) for e in edges}
        recognised = champion_reads.recognised_among(community=community, people=in_community)
        figures = champion_figures(edges, now=now, recognised=recognised, listed=listed)
        figures["named_lists"] = lists_figures(community=community, now=now)
        _store(community, month, figures, now)
        written += 1
    recognised = champion_reads.recognised_among(community=None, people=helpers)
    figures = champion_figures(everything, now=now, recognised=recognised, listed=listed)
    figures["named_lists"] = lists_figures(community=None, now=now)
    _store(None, month, figures, now)
    return written + 1
