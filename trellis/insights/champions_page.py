"""What the champions page shows: the stored champions of a community (or the organisation)
with their reasons and whether they hold a leading role yet, and the leaders' named lists of
who to talk to this month.

Both are one stored row (`services.champions`); the page adds what must be current when it is
read: names, who prefers not to be named (counted, never named), who has left, and who has
been given a leading role since. The named lists describe the last complete month by default:
a month still running would make every regular who has not written yet look lost (the month
so far is offered too).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from trellis.communities.models import Community
from trellis.insights import champion_reads
from trellis.insights.champions import LOOKBACK_DAYS
from trellis.insights.models import InsightSnapshot
from trellis.insights.named_lists import ListFacts, NamedList, present
from trellis.insights.participation_page import BadMonth, parse_month
from trellis.people.models import Person


@dataclass(frozen=True)
class ChampionRow:
    person_id: int
    name: str
    department: str
    score: float
    reasons: tuple[str, ...]
    recognised: bool
    people_helped: int
    figures: dict[str, Any]  # as stored: accepted, thanks, brokerage, sessions...


@dataclass(frozen=True)
class ChampionsPage:
    community: Community | None
    computed_at: datetime | None  # None: no champions computed yet
    lookback_days: int
    champions: list[ChampionRow]  # as filtered
    named: int  # champions listed by name, before the filter
    not_recognised: int  # of those, holding no leading role
    unnamed: int  # champions who prefer not to be named: counted only
    only_not_recognised: bool
    lists_month: date | None  # None: no levels computed yet
    lists_months: list[tuple[date, str]]  # (month, label) one may ask for, newest first
    lists_in_progress: bool  # the lists' month is still running
    lists: list[NamedList]

    @property
    def unnamed_in_words(self) -> str:
        if not self.unnamed:
            return ""
        if self.unnamed == 1:
            return "1 person who prefers not to be named"
        return f"{self.unnamed} people who prefer not to be named"


def latest_snapshot(*, community: Community | None) -> InsightSnapshot | None:
    """The newest champions stored for the scope (the daily job keeps it this month's)."""
    rows = InsightSnapshot.objects.filter(kind=InsightSnapshot.CHAMPIONS)
    rows = (
        rows.filter(community__isnull=True)
        if community is None
        else rows.filter(community=community)
    )
    return rows.order_by("-month").first()


@dataclass(frozen=True)
class StoredChampions:
    """The stored champions as they may be shown now (named rows, and how many others), and
    the stored facts of the named lists by month (oldest first)."""

    computed_at: datetime | None
    month: date | None  # the month the snapshot was computed in
    lookback_days: int
    rows: list[ChampionRow]
    unnamed: int
    lists: dict[date, list[ListFacts]]


def stored_champions(*, community: Community | None) -> StoredChampions:
    """The scope's stored champions with today's names, departments and roles: people who
    left are dropped, people who prefer not to be named counted (`unnamed`)."""
    snapshot = latest_snapshot(community=community)
    if snapshot is None:
        return StoredChampions(None, None, LOOKBACK_DAYS, [], 0, {})
    stored: list[dict[str, Any]] = snapshot.figures.get("champions", [])
    ids = [int(entry["person"]) for entry in stored]
    people = {
        pk: (name, named, department or "")
        for pk, name, named, department in Person.objects.filter(
            pk__in=ids, is_active=True
        ).values_list("pk", "name", "named_in_insights", "department__name")
    }
    recognised = champion_reads.recognised_among(community=community, people=people)
    rows, unnamed = [], 0
    for entry in stored:
        person = int(entry["person"])
        if person not in people:
            continue
        name, named, department = people[person]
        if not named:
            unnamed += 1
            continue
        rows.append(
            ChampionRow(
                person_id=person,
                name=name,
                department=department,
                score=float(entry["score"]),
                reasons=tuple(entry.get("reasons", ())),
                recognised=person in recognised,
                people_helped=int(entry.get("people_helped", 0)),
                figures=entry,
            )
        )
    lists = {
        parse_month(str(stored_month["month"])): [
            ListFacts.from_json(facts) for facts in stored_month["lists"]
        ]
        for stored_month in snapshot.figures.get("named_lists", [])
    }
    return StoredChampions(
        computed_at=snapshot.computed_at,
        month=snapshot.month,
        lookback_days=int(snapshot.figures.get("lookback_days", LOOKBACK_DAYS)),
        rows=rows,
        unnamed=unnamed,
        lists=lists,
    )


def lists_month_for(stored: StoredChampions, month: date | None) -> date | None:
    """The month the named lists describe: the one asked for, or the last complete one
    stored (else the month so far); a ValueError names a month that has none."""
    if not stored.lists:
        return None
    if month is None:
        return min(stored.lists)
    month = month.replace(day=1)
    if month not in stored.lists:
        choices = " or ".join(f"{m:%B %Y}" for m in sorted(stored.lists))
        raise BadMonth(f"No lists for {month:%B %Y}: choose {choices}.")
    return month


def build(
    *,
    community: Community | None,
    month: date | None = None,
    only_not_recognised: bool = False,
) -> ChampionsPage:
    stored = stored_champions(community=community)
    not_recognised = [row for row in stored.rows if not row.recognised]
    chosen = lists_month_for(stored, month)
    return ChampionsPage(
        community=community,
        computed_at=stored.computed_at,
        lookback_days=stored.lookback_days,
        champions=not_recognised if only_not_recognised else stored.rows,
        named=len(stored.rows),
        not_recognised=len(not_recognised),
        unnamed=stored.unnamed,
        only_not_recognised=only_not_recognised,
        lists_month=chosen,
        lists_months=[
            (m, f"{m:%B %Y}" + (" (so far)" if m == stored.month else ""))
            for m in sorted(stored.lists, reverse=True)
        ],
        lists_in_progress=chosen is not None and chosen == stored.month,
        lists=present(stored.lists[chosen]) if chosen else [],
    )
