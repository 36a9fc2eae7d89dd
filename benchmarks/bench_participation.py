"""Does what Trellis infers about participation predict what people do next? Prints ONE JSON
line. No database: the pure scoring modules run on the dumps as read by the importer's reader.

Per dump (the real ones in ../shared/data/stackexchange, or the folders given), time-split at
a cut-off fixed in advance: **the latest first day of a month that leaves at least 90 days of
the dump after it** (the latest dated record: post, comment or vote). The first of a month,
because Trellis computes levels per calendar month, so the score sees whole months as the
product does; the latest, for the most history before it; 90 days, for a whole label window.
Everything the scores see comes from before the cut-off (dated posts, comments, votes and
account creation); Users.xml's Reputation, Views, UpVotes, LastAccessDate describe the dump's
end and are never read. Labels come from the 90 days from the cut-off.

1. **Ready to move inward** (`trellis.insights.propensity.readiness`): the candidates are the
   people seen before the cut-off (an account created, or anything dated: a question, a
   comment, a favourite or bounty) who had not answered by then; positive: answered in the
   next 90 days. AUC, PR-AUC (average precision), precision at 10 and 50 (expected over random
   order within tied scores) for the score and for the baseline, **the count of actions in the
   3 calendar months before the cut-off** (the level's window: what the level itself sees).
   Also for the `writers` among them (wrote something before the cut-off).
2. **Champions** (`trellis.insights.champions.champions`, help edges: each answer to
   someone else's question, accepted / up-voted / thanked, i.e. the asker commented "thank"
   on it, as known at the cut-off): over the people who answered before the cut-off, Spearman
   between the champion score at the cut-off and the number of distinct people each helps in
   the next 90 days (their answers there accepted or up-voted, as of the dump's end), and
   precision at 10 (share of the top ten who help someone then), against the plain count of
   answers before the cut-off.

Targets: AUC >= 0.80 and above the baseline on every dump with >= 30 positives; Spearman >= 0.6
and >= the baseline's + 0.05 on every dump with >= 30 helpers after the cut-off (among those
people); brokerage on a generated 100,000-person help graph <= 60 s. `meets_targets` is true
only when every dump that qualifies meets them (and the brokerage does); each dump says
whether it qualifies and why not.

Context, not targets: `pooled_monthly_cutoffs` repeats both evaluations at every first of a
month from each dump's second month to its evaluation cut-off and pools the people over
cut-offs and dumps (more positives; windows overlap, a person counts once per cut-off).
`brokerage` times `graph.brokerage` (and the whole `champions` ranking) on a generated help
graph of 100,000 people (`--brokerage-people`): everyone helped at least once, helpers a fifth
of the people with Zipf-distributed activity, 3 help events per person, 80% inside one of 40
departments.

Ceilings (`ceilings` per dump, on the evaluation split, and in `pooled_monthly_cutoffs`),
FITTED ON THE TEST LABELS, so bounds rather than methods (the scores are never tuned on them):

- point 1, with the score's own inputs (`readiness_inputs`: READINESS_FEATURES and a key
  holding everything the inputs say about a person): `identical_inputs.auc_cap`, the exact
  best AUC of ANY function of the inputs (people with identical inputs must tie; the groups
  ordered by their share of positives), so also the bound for any gradient-boosted or other
  model (scikit-learn is not installed: none is run); `auc_cap_signup_only_one_score`, the
  same when the people with nothing but a sign-up before the cut-off must share one score;
  `signup_only` (how many, their positives per sign-up month); `logistic`, a logistic
  regression over the features and their log1p fitted on the very labels it is scored on
  (in-sample AUC), and, as context, the same fit cross-validated by person;
- point 2: `best_weighted_sum`, the best Spearman found for a non-negative weighted sum of the
  champion score's terms (`champion_terms`, checked to add up to the score) and the answer
  count (plain and in doublings), fitted on the people helped next.

The weights of both scores were fixed by reasoning (see the modules' docstrings) before the
first evaluation. The `development` block per dump repeats the evaluation at an earlier
cut-off (two months earlier, labels up to the evaluation cut-off: a window that ends where
the evaluation starts), the only split looked at while writing the scores.

    .venv/bin/python benchmarks/bench_participation.py
    .venv/bin/python benchmarks/bench_participation.py DUMP_DIR ... --brokerage-people 20000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# the ceilings' matrices are small: BLAS threads only contend for the shared cores (40x slower
# measured under load); set before numpy is imported
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.optimize import nnls  # type: ignore[import-untyped]  # noqa: E402
from scipy.stats import rankdata, spearmanr  # type: ignore[import-untyped]  # noqa: E402

from trellis.imports.stackexchange_reader import StackExchangeDump  # noqa: E402
from trellis.insights.champions import (  # noqa: E402
    ACCEPTED_POINTS,
    BROKERAGE_POINTS,
    DEPARTMENT_POINTS,
    HALF_LIFE_DAYS,
    LOOKBACK_DAYS,
    PEOPLE_POINTS,
    STEADY_MONTHS,
    STEADY_POINTS,
    THANKS_POINTS,
    Champion,
    HelpEdge,
    champions,
)
from trellis.insights.graph import SAMPLED_SOURCES, brokerage  # noqa: E402
from trellis.insights.levels import RANK, MonthCounts, Thresholds  # noqa: E402
from trellis.insights.propensity import (  # noqa: E402
    Member,
    MonthActivity,
    Readiness,
    WaitingQuestion,
    WaitingQuestions,
    interests_from,
    readiness,
)

REAL_DUMPS = ROOT.parent / "shared" / "data" / "stackexchange"
LABEL_DAYS = 90
DEVELOPMENT_MONTHS_EARLIER = 2
WAITING_DAYS = 90  # a question still unanswered this long after it was asked is stale
MIN_POSITIVES, MIN_HELPERS = 30, 30
TARGET_AUC, TARGET_RHO, RHO_MARGIN, TARGET_BROKERAGE_S = 0.80, 0.6, 0.05, 60.0
COMMUNITY_BOT = -1  # Stack Exchange's "Community" user owns wiki posts and bumps
ACCEPT, UPVOTE, FAVOURITE, BOUNTY_START = 1, 2, 5, 8


# Reading a dump ------------------------------------------------------------------------------


@dataclass
class Question:
    created: datetime
    asker: int | None
    tags: tuple[str, ...]
    closed: datetime | None
    accepted_answer: int | None
    first_answer: datetime | None = None


@dataclass
class Answer:
    created: datetime
    author: int | None
    question: int


@dataclass
class Site:
    name: str
    questions: dict[int, Question] = field(default_factory=dict)
    answers: dict[int, Answer] = field(default_factory=dict)
    comments: list[tuple[datetime, int | None, int, bool]] = field(default_factory=list)
    votes: list[tuple[datetime, int, int, int | None]] = field(default_factory=list)
    joined: dict[int, datetime] = field(default_factory=dict)
    end: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))

    def post_tags(self, post: int) -> tuple[str, ...]:
        if post in self.questions:
            return self.questions[post].tags
        if post in self.answers and self.answers[post].question in self.questions:
            return self.questions[self.answers[post].question].tags
        return ()

    def post_author(self, post: int) -> int | None:
        if post in self.questions:
            return self.questions[post].asker
        if post in self.answers:
            return self.answers[post].author
        return None


def _person(source_id: int | None) -> int | None:
    return None if source_id is None or source_id == COMMUNITY_BOT else source_id


def read_site(folder: Path) -> Site:
    dump = StackExchangeDump(folder)
    site = Site(name=folder.name)
    latest = [site.end]
    for post in dump.posts():
        latest.append(post.created_at)
        if post.kind == "question":
            site.questions[post.source_id] = Question(
                created=post.created_at,
                asker=_person(post.owner_source_id),
                tags=post.tags,
                closed=post.closed_at,
                accepted_answer=post.accepted_answer_source_id,
            )
        elif post.parent_source_id is not None:
            site.answers[post.source_id] = Answer(
                post.created_at, _person(post.owner_source_id), post.parent_source_id
            )
    for answer in site.answers.values():
        question = site.questions.get(answer.question)
        if question and (question.first_answer is None or answer.created < question.first_answer):
            question.first_answer = answer.created
    for comment in dump.comments():
        latest.append(comment.created_at)
        thanks = "thank" in comment.text.lower()
        site.comments.append(
            (comment.created_at, _person(comment.user_source_id), comment.post_source_id, thanks)
        )
    for vote in dump.votes():
        latest.append(vote.created_at)
        site.votes.append(
            (vote.created_at, vote.post_source_id, vote.vote_type_id, _person(vote.user_source_id))
        )
    for user in dump.users():
        if _person(user.source_id) is not None:
            site.joined[user.source_id] = user.created_at
    site.end = max(latest)
    return site


def month_start(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def months_back(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def as_moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def evaluation_cutoff(site: Site) -> datetime:
    """The latest first of a month with at least LABEL_DAYS of the dump after it."""
    return as_moment(month_start(site.end - timedelta(days=LABEL_DAYS)))


# Point 1: ready to move inward ---------------------------------------------------------------


def propensity_inputs(
    site: Site, cut: datetime, thresholds: Thresholds
) -> tuple[dict[int, Member], WaitingQuestions, date, dict[int, int], set[int]]:
    """Everyone's months before `cut`, the waiting questions at `cut`, the last whole month,
    the baseline (actions in the level's window) and who wrote something before `cut`."""
    last_month = months_back(month_start(cut), 1)
    window_start = as_moment(months_back(last_month, thresholds.window_months - 1))
    months: dict[int, dict[date, dict[str, int]]] = defaultdict(lambda: defaultdict(Counter))
    engaged: dict[int, list[tuple[str, str]]] = defaultdict(list)
    writers: set[int] = set()
    answered: set[int] = set()

    def record(person: int | None, at: datetime, **counts: int) -> None:
        if person is None or at >= cut:
            return
        months[person][month_start(at)].update(counts)

    def interest(person: int | None, at: datetime, tags: tuple[str, ...], how: str) -> None:
        if person is not None and window_start <= at < cut:
            engaged[person].extend((tag, how) for tag in tags)

    for person, at in site.joined.items():
        record(person, at, reads=1)  # signing up is a visit
    for question in site.questions.values():
        record(question.asker, question.created, contributions=1, asked=1)
        interest(question.asker, question.created, question.tags, "asked")
        if question.asker is not None and question.created < cut:
            writers.add(question.asker)
    for answer in site.answers.values():
        record(answer.author, answer.created, contributions=1, answers=1)
        if answer.author is not None and answer.created < cut:
            answered.add(answer.author)
    for at, commenter, post, _ in site.comments:
        author = site.post_author(post)
        on_others = commenter is not None and author != commenter
        record(
            commenter,
            at,
            contributions=1,
            commented=int(on_others),
            commented_on_answers=int(on_others and post in site.answers),
        )
        interest(commenter, at, site.post_tags(post), "commented")
        if commenter is not None and at < cut:
            writers.add(commenter)
    for at, post, kind, voter in site.votes:
        if kind == FAVOURITE:
            record(voter, at, reads=1)
            interest(voter, at, site.post_tags(post), "read")
        elif kind == BOUNTY_START:
            record(voter, at, contributions=1)
            if voter is not None and at < cut:
                writers.add(voter)
        elif kind == UPVOTE:
            record(site.post_author(post), at, votes_received=1)
        elif kind == ACCEPT and post in site.answers:
            answered_question = site.questions.get(site.answers[post].question)
            record(answered_question.asker if answered_question else None, at, accepted=1)
    members: dict[int, Member] = {}
    baseline: dict[int, int] = {}
    for person, by_month in months.items():
        activities = [
            MonthActivity(
                month=first,
                counts=MonthCounts(
                    contributions=c["contributions"], answers=c["answers"], reads=c["reads"]
                ),
                asked=c["asked"],
                commented=c["commented"],
                commented_on_answers=c["commented_on_answers"],
                accepted=c["accepted"],
                votes_received=c["votes_received"],
            )
            for first, c in by_month.items()
        ]
        if not any(a.counts.actions for a in activities):
            continue  # only up-votes received: not seen
        members[person] = Member(
            person=person,
            months=activities,
            interests=interests_from(engaged[person]),
            has_answered=person in answered,
        )
        baseline[person] = sum(
            a.counts.actions for a in activities if a.month >= window_start.date()
        )
    waiting = WaitingQuestions(
        WaitingQuestion(id=pk, tags=q.tags, asker=q.asker)
        for pk, q in site.questions.items()
        if cut - timedelta(days=WAITING_DAYS) <= q.created < cut
        and (q.first_answer is None or q.first_answer >= cut)
        and (q.closed is None or q.closed >= cut)
    )
    return members, waiting, last_month, baseline, writers


def first_answers(site: Site) -> dict[int, datetime]:
    first: dict[int, datetime] = {}
    for answer in site.answers.values():
        if answer.author is not None and (
            answer.author not in first or answer.created < first[answer.author]
        ):
            first[answer.author] = answer.created
    return first


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """Mann-Whitney: the chance a positive outscores a negative, ties counting half."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    ranks = average_ranks(scores)
    rank_sum = sum(r for r, positive in zip(ranks, labels, strict=True) if positive)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def average_ranks(scores: list[float]) -> list[float]:
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def tied_groups(scores: list[float], labels: list[bool]) -> list[tuple[int, int]]:
    """(people, positives) per distinct score, highest first."""
    groups: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for score, label in zip(scores, labels, strict=True):
        groups[score][0] += 1
        groups[score][1] += int(label)
    return [(n, p) for _, (n, p) in sorted(groups.items(), reverse=True)]


def average_precision(scores: list[float], labels: list[bool]) -> float | None:
    """PR-AUC as average precision over the distinct scores (a tie is one threshold)."""
    positives = sum(labels)
    if not positives:
        return None
    seen = hits = 0
    total = 0.0
    for n, p in tied_groups(scores, labels):
        seen += n
        hits += p
        total += (p / positives) * (hits / seen)
    return total


def precision_at(scores: list[float], labels: list[bool], k: int) -> float | None:
    """Positives among the top k, expected over random order within a tied score."""
    if len(scores) < k:
        return None
    taken = 0
    expected = 0.0
    for n, p in tied_groups(scores, labels):
        take = min(n, k - taken)
        expected += p * take / n
        taken += take
        if taken == k:
            break
    return expected / k


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def ranking_figures(scores: list[float], labels: list[bool]) -> dict[str, float | None]:
    return {
        "auc": rounded(auc(scores, labels)),
        "pr_auc": rounded(average_precision(scores, labels)),
        "p@10": rounded(precision_at(scores, labels, 10)),
        "p@50": rounded(precision_at(scores, labels, 50)),
    }


@dataclass(frozen=True)
class CandidateRow:
    score: float
    baseline: float
    answered_next: bool
    writer: bool
    # for the ceilings: who (dump, person: cross-validation keeps a person in one fold), the
    # inputs as numbers (READINESS_FEATURES), everything the inputs hold about the person
    # (months counted back from the cut-off: equal keys, indistinguishable people), and, when
    # signing up is all that is recorded of them before the cut-off, how many whole months
    # before it they signed up (0: the last month)
    person: Hashable = None
    features: tuple[float, ...] = ()
    inputs_key: Hashable = None
    signup_months_ago: int | None = None


READINESS_FEATURES = (
    "level_rank",
    "window_contributions",
    "window_reads",
    "last_month_contributions",
    "last_month_reads",
    "asked",
    "commented",
    "commented_on_answers",
    "accepted",
    "votes_received",
    "waiting_questions",
    "interest_tags",
    "interest_total",
    "actions_before_window",
    "months_with_a_record",
    "months_since_first_record",
    "contributions_ever",
    "reads_ever",
    "asked_ever",
    "commented_ever",
    "votes_received_ever",
)


def readiness_inputs(
    member: Member, scored: Readiness, last_month: date, thresholds: Thresholds
) -> tuple[tuple[float, ...], Hashable]:
    """What the score sees of a person, as READINESS_FEATURES (counts, >= 0), and as a key
    holding all of it with months counted back from `last_month` (so keys compare across
    cut-offs): two people with equal keys get equal scores from any function of the inputs."""

    def ago(month: date) -> int:
        return (last_month.year - month.year) * 12 + last_month.month - month.month

    window = [m for m in member.months if ago(m.month) < thresholds.window_months]
    latest = [m for m in window if ago(m.month) == 0]
    interests = [i for i in member.interests if i.total]
    features = (
        RANK[scored.level],
        sum(m.counts.contributions for m in window),
        sum(m.counts.reads for m in window),
        sum(m.counts.contributions for m in latest),
        sum(m.counts.reads for m in latest),
        sum(m.asked for m in window),
        sum(m.commented for m in window),
        sum(m.commented_on_answers for m in window),
        sum(m.accepted for m in window),
        sum(m.votes_received for m in window),
        sum(scored.waiting_tags.values()),
        len(interests),
        sum(i.total for i in interests),
        member.actions_before
        + sum(m.counts.actions for m in member.months if ago(m.month) >= thresholds.window_months),
        len({m.month for m in member.months}),
        max((ago(m.month) for m in member.months), default=0),
        sum(m.counts.contributions for m in member.months),
        sum(m.counts.reads for m in member.months),
        sum(m.asked for m in member.months),
        sum(m.commented for m in member.months),
        sum(m.votes_received for m in member.months),
    )
    key = (
        member.actions_before,
        tuple(
            sorted(
                (
                    ago(m.month),
                    m.counts.contributions,
                    m.counts.answers,
                    m.counts.reads,
                    m.counts.attended,
                    m.counts.facilitated,
                    m.asked,
                    m.commented,
                    m.commented_on_answers,
                    m.accepted,
                    m.votes_received,
                )
                for m in member.months
            )
        ),
        tuple(sorted((i.tag, i.asked, i.commented, i.read) for i in interests)),
        tuple(sorted(scored.waiting_tags.items())),
    )
    return tuple(float(f) for f in features), key


def propensity_rows(
    site: Site, cut: datetime, label_end: datetime, thresholds: Thresholds
) -> tuple[list[CandidateRow], dict[str, Any]]:
    """One row per candidate, and what the figures alone do not show (levels, examples)."""
    members, waiting, last_month, baseline, writers = propensity_inputs(site, cut, thresholds)
    first = first_answers(site)
    candidates = sorted(p for p, m in members.items() if not m.has_answered)
    scored = {
        p: readiness(members[p], waiting=waiting, thresholds=thresholds, last_month=last_month)
        for p in candidates
    }
    positive = {p: p in first and cut <= first[p] < label_end for p in candidates}
    rows = []
    for p in candidates:
        features, key = readiness_inputs(members[p], scored[p], last_month, thresholds)
        signed_up = site.joined.get(p)
        signup_only = (
            signed_up is not None
            and signed_up < cut
            and sum(m.counts.actions for m in members[p].months) == 1
        )
        rows.append(
            CandidateRow(
                scored[p].score,
                float(baseline[p]),
                positive[p],
                p in writers,
                person=(site.name, p),
                features=features,
                inputs_key=key,
                signup_months_ago=(
                    (last_month.year - signed_up.year) * 12 + last_month.month - signed_up.month
                    if signup_only and signed_up is not None
                    else None
                ),
            )
        )
    levels = Counter(scored[p].level for p in candidates)
    positives_by_level = Counter(scored[p].level for p in candidates if positive[p])
    top = sorted(candidates, key=lambda p: (-scored[p].score, p))[:3]
    details = {
        "levels_candidates_positives": {
            level: [levels[level], positives_by_level[level]] for level in sorted(levels)
        },
        "waiting_questions": len(waiting),
        # the reasons' shape for the top three (people unnamed, no post text)
        "example_reasons": [
            {"answered_next": positive[p], "score": scored[p].score, "reasons": scored[p].reasons}
            for p in top
        ],
    }
    return rows, details


def propensity_figures(rows: list[CandidateRow]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for population, kept in (("seen", rows), ("writers", [r for r in rows if r.writer])):
        labels = [r.answered_next for r in kept]
        result[population] = {
            "candidates": len(kept),
            "positives": sum(labels),
            "score": ranking_figures([r.score for r in kept], labels),
            "baseline": ranking_figures([r.baseline for r in kept], labels),
        }
    return result


# Point 2: champions --------------------------------------------------------------------------


def help_edges(site: Site, cut: datetime) -> list[HelpEdge]:
    """Each answer before `cut` to someone else's question, with what was known at `cut`."""
    accepted, upvoted = set(), set()
    for at, post, kind, _ in site.votes:
        if at < cut and kind == ACCEPT:
            accepted.add(post)
        elif at < cut and kind == UPVOTE:
            upvoted.add(post)
    thanked = set()
    for at, person, post, thanks in site.comments:
        if thanks and at < cut and post in site.answers:
            question = site.questions.get(site.answers[post].question)
            if question and person is not None and person == question.asker:
                thanked.add(post)
    edges = []
    for pk, answer in site.answers.items():
        question = site.questions.get(answer.question)
        if answer.created >= cut or answer.author is None or question is None:
            continue
        if question.asker is None or question.asker == answer.author:
            continue
        edges.append(
            HelpEdge(
                helper=answer.author,
                helped=question.asker,
                at=answer.created,
                accepted=pk in accepted,
                upvoted=pk in upvoted,
                thanked=pk in thanked,
            )
        )
    return edges


def helped_next(site: Site, cut: datetime, label_end: datetime) -> dict[int, int]:
    """Distinct people each person helps with answers from `cut` to `label_end` that were
    accepted or up-voted (as of the dump's end)."""
    upvoted = {post for _, post, kind, _ in site.votes if kind == UPVOTE}
    helped: dict[int, set[int]] = defaultdict(set)
    for pk, answer in site.answers.items():
        question = site.questions.get(answer.question)
        if not (cut <= answer.created < label_end) or answer.author is None or question is None:
            continue
        if question.asker is None or question.asker == answer.author:
            continue
        if question.accepted_answer == pk or pk in upvoted:
            helped[answer.author].add(question.asker)
    return {person: len(people) for person, people in helped.items()}


@dataclass(frozen=True)
class HelperRow:
    score: float
    answers_before: float
    helps_next: float
    components: tuple[float, ...] = ()  # CHAMPION_COMPONENTS, for the ceiling


def champion_rows(
    site: Site, cut: datetime, label_end: datetime
) -> tuple[list[HelperRow], list[dict[str, Any]]]:
    answers_before = Counter(
        a.author for a in site.answers.values() if a.author is not None and a.created < cut
    )
    edges = help_edges(site, cut)
    ranked = champions(edges, now=cut)
    score = {c.person: c.score for c in ranked}
    terms = champion_terms(edges, ranked, cut)
    label: dict[Hashable, int] = {
        person: n for person, n in helped_next(site, cut, label_end).items()
    }
    rows = [
        HelperRow(
            score.get(p, 0.0),
            float(answers_before[p]),
            float(label.get(p, 0)),
            components=(
                *terms.get(p, (0.0,) * len(CHAMPION_WEIGHTS)),
                float(answers_before[p]),
                math.log2(1 + answers_before[p]),
            ),
        )
        for p in sorted(answers_before)
    ]
    examples = [
        {"helps_next": label.get(c.person, 0), "score": c.score, "reasons": c.reasons}
        for c in ranked[:3]
    ]
    return rows, examples


def spearman(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return rounded(float(spearmanr(xs, ys).statistic))


def champion_figures(rows: list[HelperRow]) -> dict[str, Any]:
    targets = [r.helps_next for r in rows]
    helps = [t > 0 for t in targets]
    scores = [r.score for r in rows]
    counts = [r.answers_before for r in rows]
    return {
        "answerers_before": len(rows),
        "helpers_after": sum(helps),
        "score": {
            "spearman": spearman(scores, targets),
            "p@10": rounded(precision_at(scores, helps, 10)),
        },
        "baseline": {
            "spearman": spearman(counts, targets),
            "p@10": rounded(precision_at(counts, helps, 10)),
        },
    }


def pooled(sites: list[Site], thresholds: Thresholds) -> dict[str, Any]:
    """Every first of a month from each dump's second month to its evaluation cut-off, each
    with its own 90-day label window, people pooled over cut-offs and dumps: more positives,
    but windows overlap and the same person counts once per cut-off. Context, not a target."""
    candidates: list[CandidateRow] = []
    helpers: list[HelperRow] = []
    cutoffs = 0
    for site in sites:
        cut = evaluation_cutoff(site)
        first = as_moment(
            months_back(month_start(min(q.created for q in site.questions.values())), -1)
        )
        while cut >= first:
            candidates += propensity_rows(site, cut, cut + timedelta(days=LABEL_DAYS), thresholds)[
                0
            ]
            helpers += champion_rows(site, cut, cut + timedelta(days=LABEL_DAYS))[0]
            cutoffs += 1
            cut = as_moment(months_back(cut.date(), 1))
    return {
        "cutoffs": cutoffs,
        "ready_to_move_inward": propensity_figures(candidates),
        "champions": champion_figures(helpers),
        "ceilings": {
            "ready_to_move_inward": readiness_ceilings(candidates),
            "champions": champion_ceilings(helpers),
        },
    }


# Ceilings: fitted on the test labels themselves, so bounds, never methods ----------------------


def best_auc_of_tied_groups(groups: Iterable[tuple[int, int]]) -> float | None:
    """The highest AUC any score can reach when the people of each group (people, positives)
    must share one score: the groups ordered by their share of positives (the likelihood-ratio
    order; swapping two neighbours never helps), ties inside a group counting half."""
    kept = [(n, p) for n, p in groups if n]
    positives = sum(p for _, p in kept)
    negatives = sum(n - p for n, p in kept)
    if not positives or not negatives:
        return None
    wins, negatives_below = 0.0, negatives
    for n, p in sorted(kept, key=lambda group: -group[1] / group[0]):
        negatives_below -= n - p
        wins += p * negatives_below + 0.5 * p * (n - p)
    return wins / (positives * negatives)


def logistic_design(features: Sequence[Sequence[float]]) -> np.ndarray:
    """The features and their log1p (all are counts), constant columns dropped, standardised
    (no labels used), and an intercept column first."""
    raw = np.asarray(features, dtype=float)
    x = np.hstack([raw, np.log1p(raw)])
    x = x[:, x.std(axis=0) > 0]
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.hstack([np.ones((len(x), 1)), x])


def fit_logistic(x: np.ndarray, y: np.ndarray, *, ridge: float = 1e-3) -> np.ndarray:
    """Maximum likelihood by Newton's method (IRLS) with step halving; the ridge, this small,
    only keeps the weights finite when a few positives are separable."""
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0

    def objective(w: np.ndarray) -> float:
        eta = x @ w
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)) - 0.5 * w @ penalty @ w)

    w = np.zeros(x.shape[1])
    current = objective(w)
    for _ in range(200):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (y - p) - penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while objective(w + size * step) < current and size > 1e-6:
            size /= 2
        w = w + size * step
        previous, current = current, objective(w)
        if abs(current - previous) < 1e-9:
            break
    return w


def logistic_aucs(
    features: Sequence[Sequence[float]],
    labels: Sequence[bool],
    people: Sequence[Hashable],
    *,
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """The logistic regression's AUC in-sample (fitted on the very labels it is scored on: the
    ceiling), and, for context, cross-validated: each person's rows predicted by a fit
    without them (`folds` folds by person, out-of-fold predictions pooled, mean of `repeats`
    shuffles): what the same weighting is worth on people it has not seen."""
    if not any(labels) or all(labels):
        return {"in_sample_auc": None, "cross_validated_auc": None, "parameters": 0}
    x = logistic_design(features)
    y = np.asarray(labels, dtype=float)
    in_sample = auc([float(v) for v in x @ fit_logistic(x, y)], list(labels))
    distinct = sorted(set(people), key=str)
    rng = np.random.default_rng(seed)
    crossed = []
    for _ in range(repeats):
        fold_of = dict(zip(distinct, rng.permutation(len(distinct)) % folds, strict=True))
        fold = np.array([fold_of[p] for p in people])
        predicted = np.zeros(len(y))
        for k in range(folds):
            held = fold == k
            if y[~held].min() == y[~held].max():
                continue
            predicted[held] = x[held] @ fit_logistic(x[~held], y[~held])
        crossed.append(auc([float(v) for v in predicted], list(labels)) or 0.0)
    return {
        "in_sample_auc": rounded(in_sample),
        "cross_validated_auc": rounded(sum(crossed) / len(crossed)),
        "parameters": x.shape[1],
    }


def readiness_ceilings(rows: list[CandidateRow]) -> dict[str, Any]:
    """Point 1's bounds on the candidates seen: how far any weighting, or any function at all,
    of the score's inputs could get with these labels known in advance."""
    labels = [r.answered_next for r in rows]
    signup = [r for r in rows if r.signup_months_ago is not None]
    by_month: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in signup:
        assert row.signup_months_ago is not None
        by_month[row.signup_months_ago][0] += 1
        by_month[row.signup_months_ago][1] += int(row.answered_next)
    groups: dict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        groups[row.inputs_key][0] += 1
        groups[row.inputs_key][1] += int(row.answered_next)
    return {
        "candidates": len(rows),
        "positives": sum(labels),
        "score_auc": rounded(auc([r.score for r in rows], labels)),
        "signup_only": {
            "candidates": len(signup),
            "positives": sum(r.answered_next for r in signup),
            "distinct_scores": len({r.score for r in signup}),
            # whole months before the cut-off's month: [candidates, positives]
            "by_months_ago": {str(m): by_month[m] for m in sorted(by_month)},
        },
        # everyone else ordered perfectly, the sign-ups-only sharing one score
        "auc_cap_signup_only_one_score": rounded(
            best_auc_of_tied_groups(
                [(1, int(r.answered_next)) for r in rows if r.signup_months_ago is None]
                + [(len(signup), sum(r.answered_next for r in signup))]
            )
        ),
        # any function of the inputs at all: people with identical inputs tie (the sign-ups
        # only are told apart by their sign-up month alone), the groups ordered perfectly
        "identical_inputs": {
            "groups": len(groups),
            "auc_cap": rounded(best_auc_of_tied_groups((n, p) for n, p in groups.values())),
        },
        "logistic": logistic_aucs([r.features for r in rows], labels, [r.person for r in rows]),
        "gradient_boosting": GRADIENT_BOOSTING_SKIPPED,
    }


GRADIENT_BOOSTING_SKIPPED = (
    "not run: scikit-learn is not installed in .venv (and may not be added for this); any "
    "model of these inputs is bounded by identical_inputs.auc_cap"
)

CHAMPION_COMPONENTS = (
    "people_helped",
    "accepted",
    "thanks",
    "departments",
    "brokerage",
    "steadiness",
    "answers",
    "answers_doublings",
)
CHAMPION_WEIGHTS = (
    PEOPLE_POINTS,
    ACCEPTED_POINTS,
    THANKS_POINTS,
    DEPARTMENT_POINTS,
    BROKERAGE_POINTS,
    STEADY_POINTS,
)


def champion_terms(
    edges: Sequence[HelpEdge], ranked: Sequence[Champion], now: datetime
) -> dict[Hashable, tuple[float, ...]]:
    """Each champion's six terms as `champions.champions` adds them up, before its weights:
    doublings of the age-weighted people helped, accepted answers, thanks and departments
    bridged, the brokerage share and the months with help. Checked against each score, so a
    change in champions.py cannot leave the ceiling measuring another score."""
    helped: dict[Hashable, dict[Hashable, float]] = defaultdict(dict)
    accepted: dict[Hashable, float] = defaultdict(float)
    thanks: dict[Hashable, float] = defaultdict(float)
    departments: dict[Hashable, set[str]] = defaultdict(set)
    months: dict[Hashable, set[int]] = defaultdict(set)
    for edge in edges:
        age_days = (now - edge.at).total_seconds() / 86400
        if age_days < 0 or age_days > LOOKBACK_DAYS or edge.helper == edge.helped:
            continue
        if not edge.worked:
            continue
        weight = 0.5 ** (age_days / HALF_LIFE_DAYS)
        helped[edge.helper][edge.helped] = max(weight, helped[edge.helper].get(edge.helped, 0.0))
        if edge.accepted:
            accepted[edge.helper] += weight
        if edge.thanked:
            thanks[edge.helper] += weight
        if (
            edge.helper_department
            and edge.helped_department
            and edge.helper_department != edge.helped_department
        ):
            departments[edge.helper].add(edge.helped_department)
        months_ago = (now.year - edge.at.year) * 12 + now.month - edge.at.month
        if months_ago < STEADY_MONTHS:
            months[edge.helper].add(months_ago)
    terms: dict[Hashable, tuple[float, ...]] = {}
    for champion in ranked:
        person = champion.person
        found = (
            math.log2(1 + sum(helped[person].values())),
            math.log2(1 + accepted[person]),
            math.log2(1 + thanks[person]),
            math.log2(1 + len(departments[person])),
            champion.brokerage,
            float(len(months[person])),
        )
        if (
            abs(sum(w * t for w, t in zip(CHAMPION_WEIGHTS, found, strict=True)) - champion.score)
            > 1e-5
        ):
            raise RuntimeError(f"champion terms no longer add up to the score ({person})")
        terms[person] = found
    return terms


def best_weighted_spearman(
    components: Sequence[Sequence[float]],
    target: Sequence[float],
    *,
    seed: int = 0,
    draws: int = 4000,
) -> dict[str, Any]:
    """The best Spearman found for a non-negative weighted sum of the components against the
    target, fitted on the target itself. The search: the product's weights, each component
    alone, non-negative least squares on the target's ranks, `draws` random weightings
    (Dirichlet, sparse and even), then multiplicative refinement of the best. A search, not
    a proof of the maximum, but over a handful of weights it leaves little on the table."""
    x = np.asarray(components, dtype=float)
    y = rankdata(np.asarray(target, dtype=float))
    if len(y) < 3 or len(set(y)) < 2:
        return {"spearman": None}
    spread = x.std(axis=0)
    used = spread > 0
    z = x[:, used] / spread[used]  # a positive scale per column: the same family of sums
    names = [n for n, u in zip(CHAMPION_COMPONENTS, used, strict=True) if u]
    centred = y - y.mean()

    def rhos(weights: np.ndarray) -> np.ndarray:
        ranks = rankdata(z @ weights.T, axis=0)
        ranks = ranks - ranks.mean(axis=0)
        norms = np.sqrt((ranks**2).sum(axis=0) * (centred**2).sum())
        safe = np.where(norms > 0, norms, 1.0)
        return np.where(norms > 0, (ranks * centred[:, None]).sum(axis=0) / safe, -1.0)

    dims = z.shape[1]
    rng = np.random.default_rng(seed)
    product = np.array((*CHAMPION_WEIGHTS, 0.0, 0.0))[used] * spread[used]
    least_squares = nnls(z - z.mean(axis=0), centred)[0]
    starts = [
        np.eye(dims),
        product[None, :],
        least_squares[None, :] if least_squares.any() else np.ones((1, dims)),
        rng.dirichlet(np.full(dims, 0.3), draws // 2),
        rng.dirichlet(np.ones(dims), draws // 2),
    ]
    weights = np.vstack(starts)
    found = rhos(weights)
    best, best_rho = weights[int(np.argmax(found))], float(found.max())
    for scale in (1.0, 0.5, 0.25, 0.1, 0.05, 0.02):
        for _ in range(3):
            trials = np.maximum(
                best * np.exp(rng.normal(0.0, scale, (300, dims)))
                + scale * best.mean() * rng.normal(0.0, 1.0, (300, dims)),
                0.0,
            )  # also lets a component left out come back
            trials[:dims] = best
            trials[np.arange(dims), np.arange(dims)] = 0.0  # each component dropped
            found = rhos(trials)
            if found.max() > best_rho:
                best, best_rho = trials[int(np.argmax(found))], float(found.max())
    total = best.sum()
    return {
        "spearman": rounded(best_rho),
        "weights_per_sd": {n: round(float(w / total), 3) for n, w in zip(names, best, strict=True)},
        "least_squares_spearman": rounded(float(rhos(least_squares[None, :])[0])),
    }


def champion_ceilings(rows: list[HelperRow]) -> dict[str, Any]:
    """Point 2's bound: the best Spearman of any non-negative weighting of the champion score's
    components and the answer count, fitted on the people helped next."""
    targets = [r.helps_next for r in rows]
    return {
        "answerers_before": len(rows),
        "helpers_after": sum(t > 0 for t in targets),
        "score_spearman": spearman([r.score for r in rows], targets),
        "baseline_spearman": spearman([r.answers_before for r in rows], targets),
        "best_weighted_sum": best_weighted_spearman([r.components for r in rows], targets),
    }


# One dump ------------------------------------------------------------------------------------


def evaluate_split(
    site: Site, cut: datetime, label_end: datetime, thresholds: Thresholds
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The figures of one split, and its ceilings."""
    candidates, details = propensity_rows(site, cut, label_end, thresholds)
    helpers, examples = champion_rows(site, cut, label_end)
    figures = {
        "cutoff": cut.date().isoformat(),
        "label_window_end": label_end.date().isoformat(),
        "ready_to_move_inward": {**propensity_figures(candidates), **details},
        "champions": {**champion_figures(helpers), "example_reasons": examples},
    }
    ceilings = {
        "ready_to_move_inward": readiness_ceilings(candidates),
        "champions": champion_ceilings(helpers),
    }
    return figures, ceilings


def verdict(split: dict[str, Any]) -> dict[str, Any]:
    """Whether a dump qualifies for each target, why not, and whether it meets it."""
    seen = split["ready_to_move_inward"]["seen"]
    champ = split["champions"]
    out: dict[str, Any] = {}
    if seen["positives"] < MIN_POSITIVES:
        out["point1"] = {
            "qualifies": False,
            "why_not": f"{seen['positives']} positives (< {MIN_POSITIVES})",
        }
    else:
        ours, base = seen["score"]["auc"], seen["baseline"]["auc"]
        out["point1"] = {
            "qualifies": True,
            "auc_margin": rounded(ours - base),
            "meets": ours >= TARGET_AUC and ours > base,
        }
    if champ["helpers_after"] < MIN_HELPERS:
        out["point2"] = {
            "qualifies": False,
            "why_not": f"{champ['helpers_after']} helpers after the cut-off (< {MIN_HELPERS})",
        }
    else:
        ours, base = champ["score"]["spearman"] or 0.0, champ["baseline"]["spearman"] or 0.0
        out["point2"] = {
            "qualifies": True,
            "rho_margin": rounded(ours - base),
            "meets": ours >= TARGET_RHO and ours >= base + RHO_MARGIN,
        }
    return out


def evaluate_dump(site: Site, folder: Path, thresholds: Thresholds) -> dict[str, Any]:
    started = time.perf_counter()
    cut = evaluation_cutoff(site)
    label_end = cut + timedelta(days=LABEL_DAYS)
    development_cut = as_moment(months_back(cut.date(), DEVELOPMENT_MONTHS_EARLIER))
    evaluation, ceilings = evaluate_split(site, cut, label_end, thresholds)
    return {
        "dump": folder.name,
        "first_record": min(q.created for q in site.questions.values()).date().isoformat(),
        "last_record": site.end.date().isoformat(),
        "people": len(site.joined),
        "questions": len(site.questions),
        "answers": len(site.answers),
        "evaluation": evaluation,
        "verdict": verdict(evaluation),
        "ceilings": ceilings,
        "development": evaluate_split(site, development_cut, cut, thresholds)[0],
        "seconds": round(time.perf_counter() - started, 2),
    }


# Brokerage at scale --------------------------------------------------------------------------


def generated_help(people: int, seed: int) -> list[HelpEdge]:
    """Help events on the shape of a company's Q&A: everyone is helped at least once, helpers
    are a fifth of the people with Zipf-distributed activity (s = 1.1), 3 events per person,
    80% inside the helper's own department (40 departments), spread over the last year."""
    rng = random.Random(seed)
    departments = [f"d{rng.randrange(40)}" for _ in range(people)]
    members: dict[str, list[int]] = defaultdict(list)
    for person, department in enumerate(departments):
        members[department].append(person)
    names = sorted(members)
    helpers = rng.sample(range(people), people // 5)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(helpers))]
    by_department = {
        name: rng.choices(
            [h for h in helpers if departments[h] == name] or helpers, k=3 * people // 40 + 1
        )
        for name in names
    }
    everyone = rng.sample(range(people), people)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    edges = []
    for i, helper in enumerate(rng.choices(helpers, weights=weights, k=3 * people)):
        if i < people:  # the first round: each person asks once, a colleague answers
            helped = everyone[i]
            if rng.random() < 0.8:
                helper = rng.choice(by_department[departments[helped]])
        else:
            own = rng.random() < 0.8
            helped = rng.choice(members[departments[helper] if own else rng.choice(names)])
        if helped == helper:
            continue
        edges.append(
            HelpEdge(
                helper=helper,
                helped=helped,
                at=now - timedelta(days=rng.randrange(365)),
                accepted=rng.random() < 0.4,
                upvoted=rng.random() < 0.6,
                helper_department=departments[helper],
                helped_department=departments[helped],
            )
        )
    return edges


def time_brokerage(people: int, seed: int) -> dict[str, Any]:
    edges = generated_help(people, seed)
    ties = [(e.helper, e.helped) for e in edges]
    started = time.perf_counter()
    shares = brokerage(ties)
    brokerage_s = time.perf_counter() - started
    started = time.perf_counter()
    ranked = champions(edges, now=datetime(2027, 1, 1, tzinfo=UTC))
    champions_s = time.perf_counter() - started
    return {
        "people": people,
        "in_graph": len(shares),
        "help_edges": len(edges),
        "distinct_ties": len({frozenset(tie) for tie in ties}),
        "sampled_sources": SAMPLED_SOURCES,
        "brokerage_s": round(brokerage_s, 2),
        "champions_s": round(champions_s, 2),
        "champions": len(ranked),
        "meets_target": brokerage_s <= TARGET_BROKERAGE_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="*", help="Stack Exchange dump folders")
    parser.add_argument("--brokerage-people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    folders = [Path(d) for d in args.dumps] or sorted(p for p in REAL_DUMPS.iterdir() if p.is_dir())
    started = time.perf_counter()
    thresholds = Thresholds()
    read_started = time.perf_counter()
    sites = [read_site(folder.resolve()) for folder in folders]
    read_s = round(time.perf_counter() - read_started, 2)
    dumps = [
        evaluate_dump(site, folder, thresholds) for site, folder in zip(sites, folders, strict=True)
    ]
    started_pooled = time.perf_counter()
    pooled_figures = {
        **pooled(sites, thresholds),
        "seconds": round(time.perf_counter() - started_pooled, 2),
    }
    scale = time_brokerage(args.brokerage_people, args.seed)
    checks = [
        point["meets"] for dump in dumps for point in dump["verdict"].values() if point["qualifies"]
    ]
    print(json.dumps({
        "benchmark": "participation",
        "targets": {
            "auc": TARGET_AUC, "auc_above_baseline": True, "min_positives": MIN_POSITIVES,
            "spearman": TARGET_RHO, "spearman_margin": RHO_MARGIN, "min_helpers": MIN_HELPERS,
            "brokerage_s": TARGET_BROKERAGE_S,
        },
        "rules": {
            "cutoff": f"the latest first of a month with >= {LABEL_DAYS} days of the dump after it",
            "label_days": LABEL_DAYS,
            "baseline_point1": "actions in the 3 calendar months before the cut-off",
            "baseline_point2": "answers before the cut-off",
            "weights": "fixed by reasoning before the first evaluation",
            "ceilings": "fitted on the test labels: bounds, not methods; not in meets_targets",
        },
        "qualifying_checks": len(checks),
        # false when no dump qualifies: a target nothing could test is not met
        "meets_targets": bool(checks) and all(checks) and scale["meets_target"],
        "brokerage": scale,
        "dumps": dumps,
        "pooled_monthly_cutoffs": pooled_figures,
        "reading_dumps_s": read_s,
        "thresholds": thresholds.__dict__,
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "wall_s": round(time.perf_counter() - started, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
