"""The pitfall radar replayed on real Stack Exchange dumps, month by month (acceptance point 2
of the radar issue: figures, no target). `trellis.radar.signals.assess` reads each month's
history as the nightly job would; the dump is read with the importer's reader, through
`bench_participation.read_site`, so both benchmarks see the same people and dates.

What a site records, mapped onto `MonthFacts` (calendar months in UTC, from the month of the
dump's first dated record):

- **members**: accounts (Users.xml, the "Community" bot left out) created by the month's end;
  **new_members**: created in the month. Deleted accounts are not in the dump: a lower bound;
- **active**: people with any dated record of their own in the month: a question, answer,
  comment, vote that names its voter (favourites and bounties: up and down votes are
  anonymous), or a PostHistory row (edits, close votes). Signing up alone is not activity;
- **contributors**: asked, answered or commented in the month; **new_contributors**: did so
  for the first time in the dump;
- **questions**: asked in the month; **unanswered**: of those, the ones without an answer
  within `ANSWER_HORIZON_DAYS` of being asked (closed ones included, as the product counts
  them). A fixed horizon, not "by the end of the dump", so late months are as comparable as
  early ones; months whose last question's horizon is not over by the dump's last record are
  dropped (`dropped_months`);
- **answers_by_person**: answers per author in the month (answers of deleted accounts name
  nobody and are left out);
- **moderation_by_person**: from PostHistory.xml when the dump has it (else empty, and the
  burnout signal has answers only): an edit or rollback of somebody else's post (one per
  revision, whatever it changed; a post without a known author, such as a tag wiki, counts
  as somebody else's), a close, delete or undelete vote on somebody else's post and any
  reopen vote (each voter named in the row, the "Community" bot left out), a lock,
  protection, merge or post notice (always). An edit approved from a suggestion counts once,
  as the suggester's edit;
- **core**, **moved_inward**: the product's own level rules (`insights.levels.level_for`,
  thresholds `Thresholds()`, the defaults of TRELLIS_PARTICIPATION_*), fed as
  bench_participation feeds them: a question, answer, comment or bounty is a contribution;
  signing up and a favourite are reads (edits and close votes are not counted there, as in
  that benchmark). Counted in a month, as the product counts a community: everyone with an
  account by the month's end, and anyone with something in the window. Core: at the "core"
  level; moved inward: counted the month before and now at a higher rank;
- **charter_fit**: a PROXY, there is no charter: the share of the month's questions carrying
  one of the `CHARTER_TAGS` tags most used in the dump's first 12 months (all of it when
  shorter, so a short dump's months are read against their own tags); None without questions;
- **leaders**: the moderators the dump reveals, i.e. people who did a moderator-only act
  (locking or unlocking a post, adding or removing a post notice) anywhere in PostHistory.xml,
  taken as leaders in every month (appointment dates are not in the dump); a moderator who
  never did such an act is missed, and without PostHistory (or such acts) there are none.
  Leaders are never guessed from activity (most answers, most edits);
- **actions_by_leader**: those leaders' writes in the month: posts, comments, bounties and
  PostHistory revisions other than a post's creation (one per revision).

Not recorded by Stack Exchange, left at their defaults:

- **leaders_at_cap**: there is no routing cap. Without leaders (no act above found), the
  burnout signal rests on concentration alone (the top-10 answerers' share), whose strongest
  reading, Stouffer-combined with the three indicators that stay silent, scores about 0.21,
  under its threshold of 0.5: burnout cannot then be raised;
- **events**, **attendance**, **facilitations_by_person**, **event_outputs**, **agenda_items**,
  **agenda_items_from_members**, **sponsors**: a Q&A site has no meetings and no sponsors, so
  the meetings and sponsor signals score 0 throughout;
- **guides**, **stale_guides**: 0 (tag wikis are not verified guides).

So on a dump, only stagnation, and burnout where moderators are found, can be raised. A signal
needs `MIN_MONTHS` months of history: the series start at the 8th month replayed.

    .venv/bin/python benchmarks/radar_replay.py            # the shared dumps, one JSON line
    .venv/bin/python benchmarks/radar_replay.py DUMP_DIR ...
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_participation import (
    BOUNTY_START,
    FAVOURITE,
    REAL_DUMPS,
    Site,
    month_start,
    read_site,
)

from trellis.imports.safety import iter_xml_rows
from trellis.insights.levels import CORE, RANK, MonthCounts, Thresholds, level_for
from trellis.radar.facts import MonthFacts
from trellis.radar.signals import MIN_MONTHS, PITFALLS, THRESHOLDS, Signal, assess

ANSWER_HORIZON_DAYS = 30
CHARTER_TAGS = 10
CHARTER_MONTHS = 12
COMMUNITY_BOT = -1

# PostHistoryTypeId: what counts as moderation, and when
EDITS = frozenset({4, 5, 6, 7, 8, 9})  # title, body, tags; rollbacks of each
VOTED = frozenset({10, 11, 12, 13})  # closed, reopened, deleted, undeleted (Text names voters)
REOPENED = 11
# locks, protections, merges, post notices
ALWAYS_MODERATION = frozenset({14, 15, 18, 19, 20, 33, 34, 37, 38})
MODERATOR_ONLY = frozenset({14, 15, 33, 34})  # locks and post notices: only moderators can
CREATION = frozenset({1, 2, 3, 66})  # a post's first title, body, tags: the post itself

RECORDED = {
    "members",
    "new_members",
    "active",
    "contributors",
    "new_contributors",
    "questions",
    "unanswered",
    "answers_by_person",
    "core",
    "moved_inward",
}
MONTH_FIELDS = [f.name for f in fields(MonthFacts) if f.name != "month"]


@dataclass(frozen=True)
class HistoryRow:
    """One PostHistory row, as much as the replay needs."""

    kind: int
    post: int
    at: datetime
    actors: tuple[int, ...]  # the row's user, or for votes every voter named; bot left out
    revision: str


@dataclass
class DumpHistory:
    """A dump's months as the radar reads them, and what was left out and why."""

    name: str
    months: list[MonthFacts]
    dropped_months: list[date]
    dump_end: datetime
    has_post_history: bool
    charter_tags: tuple[str, ...] = ()
    leaders: frozenset[int] = frozenset()
    files: list[str] = field(default_factory=list)


def _person(source_id: int | None) -> int | None:
    return None if source_id is None or source_id == COMMUNITY_BOT else source_id


def _dump_file(folder: Path, name: str) -> Path | None:
    """A dump's file by name, case-insensitively (as the reader finds them)."""
    return next((p for p in folder.iterdir() if p.name.lower() == name.lower()), None)


def _voters(text: str, user: int | None) -> tuple[int, ...]:
    """The people behind a close/reopen/delete row: the Voters its Text names, else its user."""
    try:
        named = json.loads(text).get("Voters") if text.startswith("{") else None
        if isinstance(named, list):
            people = (_person(int(v["Id"])) for v in named if isinstance(v, dict) and "Id" in v)
            return tuple(p for p in people if p is not None)
    except (ValueError, TypeError, AttributeError):
        pass  # not the JSON the dumps write: the row's own user
    return () if user is None else (user,)


def post_history(folder: Path) -> list[HistoryRow] | None:
    """PostHistory.xml's rows (None when the dump has no such file), streamed by the
    importer's own row reader."""
    path = _dump_file(folder, "PostHistory.xml")
    if path is None:
        return None
    rows = []
    for _, row in iter_xml_rows(path, "PostHistory.xml"):
        kind = int(row["PostHistoryTypeId"])
        user = _person(int(row["UserId"])) if row.get("UserId") else None
        if kind in VOTED:
            actors = _voters(row.get("Text", ""), user)
        else:
            actors = () if user is None else (user,)
        rows.append(
            HistoryRow(
                kind=kind,
                post=int(row["PostId"]),
                at=datetime.fromisoformat(row["CreationDate"]).replace(tzinfo=UTC),
                actors=actors,
                revision=row.get("RevisionGUID", row["Id"]),
            )
        )
    return rows


def _month_index(first: date, moment: datetime) -> int:
    return (moment.year - first.year) * 12 + moment.month - first.month


def _month_at(first: date, index: int) -> date:
    months = first.year * 12 + first.month - 1 + index
    return date(months // 12, months % 12 + 1, 1)


def _moments(site: Site, history: list[HistoryRow]) -> Iterator[datetime]:
    yield from (q.created for q in site.questions.values())
    yield from (a.created for a in site.answers.values())
    yield from (c[0] for c in site.comments)
    yield from (v[0] for v in site.votes)
    yield from site.joined.values()
    yield from (h.at for h in history)


def _moderation(site: Site, history: list[HistoryRow]) -> Iterator[tuple[datetime, int]]:
    """(when, who) for each moderation act (see the module's docstring)."""
    seen_revisions: set[tuple[str, int]] = set()
    for row in history:
        author = site.post_author(row.post)
        for actor in row.actors:
            if row.kind in EDITS:
                if author == actor or (row.revision, actor) in seen_revisions:
                    continue
                seen_revisions.add((row.revision, actor))
            elif row.kind in VOTED:
                if author == actor and row.kind != REOPENED:
                    continue
            elif row.kind not in ALWAYS_MODERATION:
                continue
            yield row.at, actor


def moderators(history: list[HistoryRow]) -> frozenset[int]:
    """The people the dump shows doing a moderator-only act (a lock, a post notice)."""
    return frozenset(p for row in history if row.kind in MODERATOR_ONLY for p in row.actors)


def _leader_writes(
    site: Site, history: list[HistoryRow], leaders: frozenset[int]
) -> Iterator[tuple[datetime, int]]:
    """(when, who) for each write of a leader: posts, comments, bounties, and PostHistory
    revisions other than a post's creation (one per revision)."""
    for question in site.questions.values():
        if question.asker in leaders:
            yield question.created, question.asker
    for answer in site.answers.values():
        if answer.author in leaders:
            yield answer.created, answer.author
    for at, commenter, _, _ in site.comments:
        if commenter in leaders:
            yield at, commenter
    for at, _, kind, voter in site.votes:
        if kind == BOUNTY_START and voter in leaders:
            yield at, voter
    seen: set[tuple[str, int]] = set()
    for row in history:
        for actor in row.actors:
            if actor in leaders and row.kind not in CREATION and (row.revision, actor) not in seen:
                seen.add((row.revision, actor))
                yield row.at, actor


def _level_counts(site: Site) -> dict[int, dict[datetime, MonthCounts]]:
    """Each person's records as the level rules count them, per record (bench_participation's
    reading): questions, answers, comments and bounties contribute; sign-ups and favourites
    are reads."""
    records: dict[int, dict[datetime, MonthCounts]] = defaultdict(dict)

    def add(person: int | None, at: datetime, counts: MonthCounts) -> None:
        if person is not None:
            records[person][at] = records[person].get(at, MonthCounts()) + counts

    for person, at in site.joined.items():
        add(person, at, MonthCounts(reads=1))
    for question in site.questions.values():
        add(question.asker, question.created, MonthCounts(contributions=1))
    for answer in site.answers.values():
        add(answer.author, answer.created, MonthCounts(contributions=1, answers=1))
    for at, commenter, _, _ in site.comments:
        add(commenter, at, MonthCounts(contributions=1))
    for at, _, kind, voter in site.votes:
        if kind == FAVOURITE:
            add(voter, at, MonthCounts(reads=1))
        elif kind == BOUNTY_START:
            add(voter, at, MonthCounts(contributions=1))
    return records


def monthly_levels(
    by_month: dict[int, dict[int, MonthCounts]],
    joined_month: dict[int, int],
    months: int,
    thresholds: Thresholds,
) -> list[dict[int, str]]:
    """Each month's level of everyone counted then (an account by the month's end, or
    something recorded in the window), by `level_for`, memoised on its inputs."""
    span = thresholds.window_months
    memo: dict[tuple[tuple[MonthCounts, ...], bool], str] = {}
    out: list[dict[int, str]] = []
    for index in range(months):
        levels: dict[int, str] = {}
        for person, counts in by_month.items():
            window = tuple(counts.get(k, MonthCounts()) for k in range(index - span + 1, index + 1))
            if joined_month.get(person, months) > index and not any(m.actions for m in window):
                continue
            fresh = not any(c.actions for k, c in counts.items() if k <= index - span)
            key = (window, fresh)
            if key not in memo:
                memo[key] = level_for(
                    list(window), actions_before=0 if fresh else 1, thresholds=thresholds
                ).level
            levels[person] = memo[key]
        out.append(levels)
    return out


def charter_tags(site: Site, first: date, count: int = CHARTER_TAGS) -> tuple[str, ...]:
    """The `count` tags most used on questions of the first `CHARTER_MONTHS` months (ties by
    name)."""
    used = Counter(
        tag
        for q in site.questions.values()
        if _month_index(first, q.created) < CHARTER_MONTHS
        for tag in q.tags
    )
    return tuple(sorted(used, key=lambda tag: (-used[tag], tag))[:count])


@dataclass
class _MonthTally:
    """One month being counted (MonthFacts is frozen)."""

    new_members: int = 0
    active: set[int] = field(default_factory=set)
    contributors: set[int] = field(default_factory=set)
    new_contributors: int = 0
    questions: int = 0
    unanswered: int = 0
    tagged: list[tuple[str, ...]] = field(default_factory=list)
    answers_by_person: Counter[int] = field(default_factory=Counter)
    moderation_by_person: Counter[int] = field(default_factory=Counter)
    actions_by_leader: Counter[int] = field(default_factory=Counter)


def read_dump(
    folder: Path, *, thresholds: Thresholds | None = None, charter_count: int = CHARTER_TAGS
) -> DumpHistory:
    """The dump's months (see the module's docstring), with what was dropped and why."""
    thresholds = thresholds or Thresholds()
    site = read_site(folder)
    history = post_history(folder)
    rows = history or []
    moments = list(_moments(site, rows))
    files = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".xml")
    if not moments:
        return DumpHistory(folder.name, [], [], site.end, history is not None, files=files)
    first = month_start(min(moments))
    end = max(moments)
    horizon = timedelta(days=ANSWER_HORIZON_DAYS)
    last_index = _month_index(first, end)
    kept = 0
    while kept <= last_index:  # a month is kept when its questions' horizon is over by `end`
        month_end = datetime.combine(_month_at(first, kept + 1), datetime.min.time(), UTC)
        if month_end + horizon > end:
            break
        kept += 1
    dropped = [_month_at(first, i) for i in range(kept, last_index + 1)]

    def index(moment: datetime) -> int:
        return _month_index(first, moment)

    months = [_MonthTally() for _ in range(kept)]

    def tally(moment: datetime) -> _MonthTally | None:
        i = index(moment)
        return months[i] if i < kept else None

    for joined_at in site.joined.values():
        if (month := tally(joined_at)) is not None:
            month.new_members += 1
    first_contribution: dict[int, datetime] = {}

    def contributed(person: int | None, at: datetime) -> None:
        if person is None:
            return
        if person not in first_contribution or at < first_contribution[person]:
            first_contribution[person] = at
        if (month := tally(at)) is not None:
            month.contributors.add(person)
            month.active.add(person)

    for question in site.questions.values():
        contributed(question.asker, question.created)
        if (month := tally(question.created)) is not None:
            month.questions += 1
            month.tagged.append(question.tags)
            answered = question.first_answer is not None and (
                question.first_answer - question.created <= horizon
            )
            month.unanswered += not answered
    for answer in site.answers.values():
        contributed(answer.author, answer.created)
        if answer.author is not None and (month := tally(answer.created)) is not None:
            month.answers_by_person[answer.author] += 1
    for at, commenter, _, _ in site.comments:
        contributed(commenter, at)
    for at, _, _, voter in site.votes:
        if voter is not None and (month := tally(at)) is not None:
            month.active.add(voter)
    for row in rows:
        if (month := tally(row.at)) is not None:
            month.active.update(row.actors)
    for at, actor in _moderation(site, rows):
        if (month := tally(at)) is not None:
            month.moderation_by_person[actor] += 1
    for first_at in first_contribution.values():
        if (month := tally(first_at)) is not None:
            month.new_contributors += 1
    leaders = moderators(rows)
    for at, leader in _leader_writes(site, rows, leaders):
        if (month := tally(at)) is not None:
            month.actions_by_leader[leader] += 1

    per_month: dict[int, dict[int, MonthCounts]] = defaultdict(dict)
    for person, records in _level_counts(site).items():
        for at, counts in records.items():
            i = index(at)
            if i < kept:
                per_month[person][i] = per_month[person].get(i, MonthCounts()) + counts
    joined_month = {person: index(at) for person, at in site.joined.items()}
    levels = monthly_levels(per_month, joined_month, kept, thresholds)
    reference = frozenset(charter_tags(site, first, charter_count))
    facts: list[MonthFacts] = []
    members = 0
    for i, month in enumerate(months):
        members += month.new_members
        before = levels[i - 1] if i else {}
        now = levels[i]
        moved = sum(1 for p, level in now.items() if p in before and RANK[level] > RANK[before[p]])
        fitting = sum(1 for tags in month.tagged if reference.intersection(tags))
        facts.append(
            MonthFacts(
                month=_month_at(first, i),
                members=members,
                new_members=month.new_members,
                active=len(month.active),
                contributors=len(month.contributors),
                new_contributors=month.new_contributors,
                questions=month.questions,
                unanswered=month.unanswered,
                answers_by_person=dict(month.answers_by_person),
                moderation_by_person=dict(month.moderation_by_person),
                actions_by_leader=dict(month.actions_by_leader),
                leaders=leaders,
                core=frozenset(p for p, level in now.items() if level == CORE),
                moved_inward=moved,
                charter_fit=fitting / len(month.tagged) if month.tagged else None,
            )
        )
    return DumpHistory(
        name=folder.name,
        months=facts,
        dropped_months=dropped,
        dump_end=end,
        has_post_history=history is not None,
        charter_tags=tuple(sorted(reference)),
        leaders=leaders,
        files=files,
    )


def dump_history(
    folder: Path, *, thresholds: Thresholds | None = None, charter_count: int = CHARTER_TAGS
) -> list[MonthFacts]:
    """One MonthFacts per calendar month of the dump, oldest first (months whose unanswered
    count is not final yet are dropped: see the module's docstring)."""
    return read_dump(folder, thresholds=thresholds, charter_count=charter_count).months


def _month_figures(month: MonthFacts) -> dict[str, Any]:
    return {
        "month": f"{month.month:%Y-%m}",
        "members": month.members,
        "new_members": month.new_members,
        "active": month.active,
        "contributors": month.contributors,
        "new_contributors": month.new_contributors,
        "questions": month.questions,
        "unanswered": month.unanswered,
        "answers": month.answers,
        "answerers": len(month.answers_by_person),
        "moderation": month.moderation,
        "moderating_people": len(month.moderation_by_person),
        "leaders_answers_and_moderation": sum(
            count
            for counts in (month.answers_by_person, month.moderation_by_person)
            for person, count in counts.items()
            if person in month.leaders
        ),
        "leader_actions": sum(month.actions_by_leader.values()),
        "core": len(month.core),
        "moved_inward": month.moved_inward,
        "charter_fit": None if month.charter_fit is None else round(month.charter_fit, 3),
    }


def _signal_figures(month: MonthFacts, signal: Signal) -> dict[str, Any]:
    return {
        "month": f"{month.month:%Y-%m}",
        "score": round(signal.score, 3),
        "raised": signal.raised,
        "evidence": [indicator.text for indicator in signal.evidence],
    }


def facts_available(dump: DumpHistory) -> dict[str, str]:
    """Per MonthFacts field: read from the dump, a proxy, or not recorded (left at default)."""
    out = {}
    for name in MONTH_FIELDS:
        if name in ("leaders", "actions_by_leader"):
            out[name] = "partial" if dump.leaders else "not recorded"
        elif name == "moderation_by_person":
            out[name] = "recorded" if dump.has_post_history else "not recorded"
        elif name in RECORDED:
            out[name] = "recorded"
        elif name == "charter_fit":
            out[name] = "proxy"
        else:
            out[name] = "not recorded"
    return out


def replay(folder: Path) -> dict[str, Any]:
    """The dump replayed: each month's facts, each pitfall's score from the `MIN_MONTHS`-th
    month on with its evidence, and the months it was raised in (JSON-ready)."""
    started = time.perf_counter()
    dump = read_dump(folder)
    series: dict[str, list[dict[str, Any]]] = {pitfall: [] for pitfall in PITFALLS}
    for end in range(MIN_MONTHS, len(dump.months) + 1):
        month = dump.months[end - 1]
        for signal in assess(dump.months[:end]):
            series[signal.pitfall].append(_signal_figures(month, signal))
    return {
        "dump": dump.name,
        "files": dump.files,
        "dump_end": dump.dump_end.isoformat(),
        "dropped_months": [f"{m:%Y-%m}" for m in dump.dropped_months],
        "answer_horizon_days": ANSWER_HORIZON_DAYS,
        "charter_tags": list(dump.charter_tags),
        "leaders": sorted(dump.leaders),
        "months": [_month_figures(m) for m in dump.months],
        "signals": series,
        "raised_months": {
            pitfall: [s["month"] for s in readings if s["raised"]]
            for pitfall, readings in series.items()
        },
        "thresholds": dict(THRESHOLDS),
        "facts_available": facts_available(dump),
        "seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="*", help="Stack Exchange dump folders")
    args = parser.parse_args()
    folders = [Path(d) for d in args.dumps] or sorted(p for p in REAL_DUMPS.iterdir() if p.is_dir())
    started = time.perf_counter()
    replays = [replay(folder.resolve()) for folder in folders]
    print(
        json.dumps(
            {
                "benchmark": "radar_replay",
                "dumps": replays,
                "wall_s": round(time.perf_counter() - started, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
