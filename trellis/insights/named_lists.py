"""Who a leader might talk to this month, each person named with the evidence in words.

Four lists, read from the stored levels (`MonthlyLevel`) of one community (or the
organisation) and one month M. "Effort" is what the levels count: contributions, and each
session facilitated as `Thresholds.facilitation_weight` of them.

- **Ready to move inward**: occasional or active in M, more effort in M than in the month
  before, and at least halfway to the next level over the window (the levels' months up to M):
  an occasional member with half the contributions an active one needs, an active one with half
  of what a core one needs. A nudge now ("the core team meets on Thursday") lands.
- **New contributors**: their first contribution here was in M (they may have read before).
  A welcome and a thank-you keep most of them.
- **Lost regulars**: core or active in at least `REGULAR_MONTHS` of the `LOST_LOOKBACK` months
  before M, and wrote nothing here in M (reading only, or nothing, or gone). A level describes
  a window, so a regular who stops is still "active" for a while: the month's own counts say
  they stopped.
- **Reactivated**: contributed in M after `SILENT_MONTHS` or more months without contributing,
  having contributed before that.

Two steps, so a page reads one stored row (`services.champions` keeps the facts in the
champions snapshot; at 50,000 people the reads take seconds): `list_facts` reads everyone on
each list, best first, with the evidence for the first `EVIDENCE_KEPT`; `present` names them
as the page is read. Only people with an account are on the lists (nobody can talk to someone
known only from an import, or who left). People who chose not to be named in analytics
(`Person.named_in_insights`) are counted, never named. Each list shows at most `cap` people,
with "and N more".
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from itertools import batched
from math import ceil
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from trellis.communities.models import Community
from trellis.insights.counts import add_months
from trellis.insights.levels import ACTIVE, CORE, LEVEL_LABELS, OCCASIONAL, Thresholds
from trellis.insights.models import MonthlyLevel
from trellis.insights.thresholds import configured_thresholds
from trellis.people.models import Person

CAP = 10
EVIDENCE_KEPT = 50  # per list: enough to fill CAP names whoever opts out in between
REGULAR_MONTHS = 2
LOST_LOOKBACK = 3
SILENT_MONTHS = 3
BATCH = 2000

READY, NEW, LOST, REACTIVATED = "ready", "new", "lost", "reactivated"


@dataclass(frozen=True)
class ListFacts:
    """Everyone on one list, best first (ids), with the evidence for the first of them."""

    key: str
    title: str
    rule: str  # who is on it, in words, with this organisation's thresholds
    people: tuple[int, ...]
    evidence: dict[int, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "rule": self.rule,
            "people": list(self.people),
            "evidence": {str(person): words for person, words in self.evidence.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ListFacts":
        return cls(
            key=str(data["key"]),
            title=str(data["title"]),
            rule=str(data["rule"]),
            people=tuple(int(p) for p in data["people"]),
            evidence={int(p): str(words) for p, words in data["evidence"].items()},
        )


@dataclass(frozen=True)
class Entry:
    person_id: int
    name: str
    evidence: str


@dataclass(frozen=True)
class NamedList:
    key: str
    title: str
    rule: str
    entries: tuple[Entry, ...]
    more: int  # named people beyond the cap
    unnamed: int  # people on it who prefer not to be named (counted, never named)

    @property
    def total(self) -> int:
        return len(self.entries) + self.more + self.unnamed

    @property
    def unnamed_in_words(self) -> str:
        """'1 person who prefers not to be named', or '' when there is none."""
        if not self.unnamed:
            return ""
        if self.unnamed == 1:
            return "1 person who prefers not to be named"
        return f"{self.unnamed} people who prefer not to be named"


# -- words ---------------------------------------------------------------------------------


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _month_name(month: date, reference: date) -> str:
    return f"{month:%B}" if month.year == reference.year else f"{month:%B %Y}"


def _months_in_words(months: list[date], reference: date) -> str:
    """'November and December 2030', 'December 2030 and January' (the reference's year is
    left out)."""
    ordered = sorted(months)
    names = []
    for i, month in enumerate(ordered):
        last_of_year = i + 1 == len(ordered) or ordered[i + 1].year != month.year
        names.append(
            f"{month:%B %Y}" if last_of_year and month.year != reference.year else f"{month:%B}"
        )
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _effort_words(row: "MonthlyLevel | None", *, verb: bool = True) -> str:
    """'made 3 contributions (1 answer)', 'facilitated 1 session', or 'nothing'."""
    if row is None or not (row.contributions or row.facilitated):
        return "nothing" if not verb else "wrote nothing"
    parts = []
    if row.contributions:
        made = _plural(row.contributions, "contribution")
        if row.answers:
            made += f" ({_plural(row.answers, 'answer')})"
        parts.append(f"made {made}" if verb else made)
    if row.facilitated:
        parts.append(f"facilitated {_plural(row.facilitated, 'session')}")
    return " and ".join(parts)


def _sentence(words: str) -> str:
    return f"{words[0].upper()}{words[1:]}"


# -- reads -----------------------------------------------------------------------------------


def _scope(community: Community | None) -> "QuerySet[MonthlyLevel]":
    if community is None:
        return MonthlyLevel.objects.filter(community__isnull=True)
    return MonthlyLevel.objects.filter(community=community)


def _contributed() -> Q:
    return Q(contributions__gt=0) | Q(facilitated__gt=0)


def _effort(thresholds: Thresholds) -> Any:
    return F("contributions") + Value(thresholds.facilitation_weight) * F("facilitated")


def _effort_of(row: "MonthlyLevel | None", thresholds: Thresholds) -> int:
    if row is None:
        return 0
    return int(row.contributions + thresholds.facilitation_weight * row.facilitated)


def _rows_of(
    community: Community | None, people: Collection[int], first: date, last: date
) -> defaultdict[int, dict[date, MonthlyLevel]]:
    """The stored rows of these people from `first` to `last`, by person and month."""
    found: defaultdict[int, dict[date, MonthlyLevel]] = defaultdict(dict)
    for batch in batched(sorted(people), BATCH):
        rows = _scope(community).filter(person_id__in=batch, month__gte=first, month__lte=last)
        for row in rows:
            found[row.person_id][row.month] = row
    return found


def _ordered(candidates: Iterable[tuple[int, str, tuple[Any, ...]]]) -> tuple[int, ...]:
    """Person ids from (id, name, order): by order, then name."""
    return tuple(p for p, _, _ in sorted(candidates, key=lambda c: (*c[2], c[1], c[0])))


# -- the lists -------------------------------------------------------------------------------


def ready_to_move_inward(
    *, community: Community | None, month: date, thresholds: Thresholds
) -> ListFacts:
    window = thresholds.window_months
    first = add_months(month, -(window - 1))
    previous = add_months(month, -1)
    aims = {OCCASIONAL: thresholds.active_contributions, ACTIVE: thresholds.core_contributions}
    effort = _effort(thresholds)
    before = _scope(community).filter(person=OuterRef("person"), month=previous)
    in_window = (
        _scope(community)
        .filter(person=OuterRef("person"), month__gte=first, month__lte=month)
        .order_by()
        .values("person")
        .annotate(total=Sum(effort))
        .values("total")
    )
    rows = (
        _scope(community)
        .filter(month=month, level__in=list(aims), person__is_active=True)
        .annotate(
            effort=effort,
            before=Coalesce(Subquery(before.annotate(e=effort).values("e")[:1]), 0),
        )
        .filter(effort__gt=F("before"))
        .annotate(total=Subquery(in_window))
        .filter(
            Q(level=OCCASIONAL, total__gte=ceil(aims[OCCASIONAL] / 2))
            | Q(level=ACTIVE, total__gte=ceil(aims[ACTIVE] / 2))
        )
        .values_list("person_id", "person__name", "level", "total")
    )
    found = {person: (level, int(total)) for person, _, level, total in rows}
    people = _ordered(
        (person, name, (-int(total) / aims[level],)) for person, name, level, total in rows
    )
    kept = people[:EVIDENCE_KEPT]
    stored = _rows_of(community, kept, previous, month)
    when, was = _month_name(month, month), _month_name(previous, month)
    evidence = {}
    for person in kept:
        now, then = stored[person].get(month), stored[person].get(previous)
        if now and now.answers > (then.answers if then else 0):
            rise = (
                f"answered {_plural(now.answers, 'question')} in {when}, "
                f"up from {then.answers if then else 0} in {was}"
            )
        else:
            rise = f"{_effort_words(now)} in {when}, against {_effort_words(then, verb=False)}"
            rise += f" in {was}"
        level, total = found[person]
        aim = "an active member" if level == OCCASIONAL else "a core member"
        every = "" if level == OCCASIONAL else ", in every month,"
        evidence[person] = _sentence(
            f"{rise}; {total} over the last {window} months ({aims[level]}{every} make {aim})."
        )
    return ListFacts(
        READY,
        "Ready to move inward",
        "Contributed more this month than the month before: occasional members with at least "
        f"half of the {aims[OCCASIONAL]} contributions an active member makes in {window} "
        f"months, and active members with at least half of a core member's {aims[ACTIVE]}.",
        people,
        evidence,
    )


def new_contributors(
    *, community: Community | None, month: date, thresholds: Thresholds
) -> ListFacts:
    earlier = _scope(community).filter(person=OuterRef("person"), month__lt=month)
    rows = (
        _scope(community)
        .filter(_contributed(), month=month, person__is_active=True)
        .exclude(Exists(earlier.filter(_contributed())))
        .annotate(effort=_effort(thresholds))
        .values_list("person_id", "person__name", "effort", "answers")
    )
    people = _ordered((p, name, (-effort, -answers)) for p, name, effort, answers in rows)
    kept = people[:EVIDENCE_KEPT]
    stored = _rows_of(community, kept, month, month)
    read = set(
        _scope(community)
        .filter(person_id__in=kept, month__lt=month, reads__gt=0)
        .values_list("person_id", flat=True)
    )
    evidence = {}
    for person in kept:
        did = _effort_words(stored[person].get(month))
        line = f"{_sentence(did)} in {_month_name(month, month)}, their first here"
        evidence[person] = line + (", after reading here before." if person in read else ".")
    return ListFacts(
        NEW,
        "New contributors",
        "Contributed here for the first time this month.",
        people,
        evidence,
    )


def lost_regulars(*, community: Community | None, month: date, thresholds: Thresholds) -> ListFacts:
    first = add_months(month, -LOST_LOOKBACK)
    writing_now = _scope(community).filter(_contributed(), month=month).values("person_id")
    rows = (
        _scope(community)
        .filter(month__gte=first, month__lt=month, level__in=[CORE, ACTIVE])
        .filter(person__is_active=True)
        .exclude(person_id__in=writing_now)
        .order_by()
        .values("person_id", "person__name")
        .annotate(regular=Count("pk"), core=Count("pk", filter=Q(level=CORE)))
        .filter(regular__gte=REGULAR_MONTHS)
        .values_list("person_id", "person__name", "regular", "core")
    )
    people = _ordered((p, name, (-regular, -core)) for p, name, regular, core in rows)
    kept = people[:EVIDENCE_KEPT]
    stored = _rows_of(community, kept, first, month)
    when = _month_name(month, month)
    evidence = {}
    for person in kept:
        months = stored[person]
        by_level: defaultdict[str, list[date]] = defaultdict(list)
        for m, row in months.items():
            if m < month and row.level in (CORE, ACTIVE):
                by_level[row.level].append(m)
        was = ", ".join(
            f"{LEVEL_LABELS[level].lower()} in {_months_in_words(ms, month)}"
            for level, ms in sorted(by_level.items(), key=lambda kv: min(kv[1]))
        )
        now = months.get(month)
        if now is None:
            then = f"no longer counted here in {when} (not a member, nothing recorded)"
        elif now.reads or now.attended:
            then = f"read here in {when} but wrote nothing"
        else:
            then = f"nothing recorded here in {when}"
        evidence[person] = f"{_sentence(was)}; {then}."
    return ListFacts(
        LOST,
        "Lost regulars",
        f"Core or active in at least {REGULAR_MONTHS} of the {LOST_LOOKBACK} months before, "
        "and wrote nothing here this month.",
        people,
        evidence,
    )


def reactivated(*, community: Community | None, month: date, thresholds: Thresholds) -> ListFacts:
    silent_from = add_months(month, -SILENT_MONTHS)
    recent = _scope(community).filter(
        _contributed(), person=OuterRef("person"), month__gte=silent_from, month__lt=month
    )
    last = (
        _scope(community)
        .filter(_contributed(), person=OuterRef("person"), month__lt=silent_from)
        .order_by("-month")
        .values("month")[:1]
    )
    rows = list(
        _scope(community)
        .filter(_contributed(), month=month, person__is_active=True)
        .exclude(Exists(recent))
        .annotate(last=Subquery(last), effort=_effort(thresholds))
        .filter(last__isnull=False)
        .values_list("person_id", "person__name", "effort", "last")
    )
    last_month = {person: last for person, _, _, last in rows}
    people = _ordered((p, name, (-effort,)) for p, name, effort, _ in rows)
    kept = people[:EVIDENCE_KEPT]
    stored = _rows_of(community, kept, month, month)
    evidence = {}
    for person in kept:
        before = last_month[person]
        silent = (month.year - before.year) * 12 + month.month - before.month - 1
        evidence[person] = (
            f"Back in {_month_name(month, month)}: {_effort_words(stored[person].get(month))}, "
            f"after {_plural(silent, 'month')} without writing here (last in {before:%B %Y})."
        )
    return ListFacts(
        REACTIVATED,
        "Back after a break",
        f"Contributed this month after {SILENT_MONTHS} or more months without contributing here.",
        people,
        evidence,
    )


def list_facts(*, community: Community | None, month: date) -> list[ListFacts]:
    """The four lists for a community (None: the organisation) and a month, unnamed."""
    month = month.replace(day=1)
    thresholds = configured_thresholds()
    return [
        read(community=community, month=month, thresholds=thresholds)
        for read in (ready_to_move_inward, new_contributors, lost_regulars, reactivated)
    ]


# -- naming ----------------------------------------------------------------------------------


def present(facts: list[ListFacts], *, cap: int = CAP) -> list[NamedList]:
    """The lists as a leader reads them now: named with today's names, at most `cap` each,
    those who prefer not to be named counted, those who left since not at all (three queries,
    whatever the lists' length)."""
    opted_out = set(Person.objects.filter(named_in_insights=False).values_list("pk", flat=True))
    gone = set(Person.objects.filter(is_active=False).values_list("pk", flat=True))  # left since
    wanted = {p for f in facts for p in f.people[:EVIDENCE_KEPT] if p not in opted_out}
    names = dict(Person.objects.filter(pk__in=wanted, is_active=True).values_list("pk", "name"))
    out = []
    for f in facts:
        still_here = [p for p in f.people if p not in gone]
        unnamed = sum(1 for p in still_here if p in opted_out)
        named = [p for p in f.people[:EVIDENCE_KEPT] if p not in opted_out]
        shown = [p for p in named if p in names and p in f.evidence][:cap]
        out.append(
            NamedList(
                key=f.key,
                title=f.title,
                rule=f.rule,
                entries=tuple(Entry(p, names[p], f.evidence[p]) for p in shown),
                more=len(still_here) - unnamed - len(shown),
                unnamed=unnamed,
            )
        )
    return out


def named_lists(*, community: Community | None, month: date, cap: int = CAP) -> list[NamedList]:
    """The four lists for a community (None: the organisation) and a month, read and named
    now (the pages read the stored facts instead: `services.champions`)."""
    return present(list_facts(community=community, month=month), cap=cap)
