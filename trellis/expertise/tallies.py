"""The maths of evidence: answers, accepted answers, votes and owned guides weighed and decayed
into per-topic tallies. Pure: `services.evidence` reads a person's history (through the
selectors), tallies it here and writes the rows."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

HALF_LIFE_DAYS = 365.0  # evidence a year old counts half
RECENT_HALF_LIFE_DAYS = 30.0  # for how active someone is lately
ACCEPTED_BONUS = 3.0  # an accepted answer is worth four answers
GUIDE_WEIGHT = 3.0  # owning a guide on the topic


@dataclass
class Tally:
    answers: int = 0
    accepted: int = 0
    votes: int = 0
    guides: int = 0
    score: float = 0.0
    last_at: datetime | None = None

    def add(
        self, at: datetime, weight: float, now: datetime, half_life: float = HALF_LIFE_DAYS
    ) -> None:
        self.add_decayed(at, weight * decay(at, now, half_life))

    def add_decayed(self, at: datetime, value: float) -> None:
        self.score += value
        if self.last_at is None or at > self.last_at:
            self.last_at = at


# per (person, scope, tag or learned topic); per (person, scope)
TopicTallies = dict[tuple[int, int | None, int], Tally]
HelperTallies = dict[tuple[int, int | None], Tally]


def decay(at: datetime, now: datetime, half_life: float) -> float:
    age_days = max((now - at).total_seconds() / 86400, 0.0)
    return float(0.5 ** (age_days / half_life))


def answer_weight(accepted: bool, votes: int) -> float:
    return 1.0 + (ACCEPTED_BONUS if accepted else 0.0) + 0.5 * math.log1p(max(votes, 0))


def learned_tallies(rows: list[Any], topic_of: dict[int, int], now: datetime) -> TopicTallies:
    """Per (person, scope, learned topic): answers to the topic's questions, weighted and
    decayed as tag evidence is. `rows` as `answer_tallies` takes them, in id order."""
    tallies: TopicTallies = defaultdict(Tally)
    for author, community, question, votes, created, accepted_id, answer_id in rows:
        topic = topic_of.get(question)
        if topic is None:
            continue
        accepted = accepted_id == answer_id
        tally = tallies[(author, community, topic)]
        tally.answers += 1
        tally.accepted += int(accepted)
        tally.votes += votes
        tally.add(created, answer_weight(accepted, votes), now)
    return tallies


def answer_tallies(
    rows: list[Any], tags_of_question: dict[int, list[int]], now: datetime
) -> tuple[TopicTallies, HelperTallies]:
    """Per (person, scope, tag) topic tallies and per (person, scope) helper tallies, from
    the answer rows of `selectors.answer_rows`."""
    tallies: TopicTallies = defaultdict(Tally)
    helpers: HelperTallies = defaultdict(Tally)
    for author, community, question, votes, created, accepted_id, answer_id in rows:
        accepted = accepted_id == answer_id
        helper = helpers[(author, community)]
        helper.answers += 1
        helper.accepted += int(accepted)
        helper.add(created, 1.0, now, RECENT_HALF_LIFE_DAYS)
        tags = tags_of_question.get(question, ())
        if not tags:
            continue
        value = answer_weight(accepted, votes) * decay(created, now, HALF_LIFE_DAYS)
        for tag in tags:
            tally = tallies[(author, community, tag)]
            tally.answers += 1
            tally.accepted += int(accepted)
            tally.votes += votes
            tally.add_decayed(created, value)
    return tallies, helpers


def add_guides(
    tallies: TopicTallies,
    owned: list[tuple[Any, ...]],
    tags_of_resource: dict[int, list[int]],
    now: datetime,
) -> None:
    """Each owned guide (person, resource, community, verified at) counts on its tags."""
    for person, resource, community, verified_at in owned:
        for tag in tags_of_resource.get(resource, ()):
            tally = tallies[(person, community, tag)]
            tally.guides += 1
            tally.add(verified_at, GUIDE_WEIGHT, now)
