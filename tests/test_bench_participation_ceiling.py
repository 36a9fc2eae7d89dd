"""The participation benchmark's ceilings (benchmarks/bench_participation.py): the pure bounds,
pinned to hand-computed values, so a figure that says "out of reach" can be trusted."""

import importlib.util
import itertools
import math
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from trellis.insights.champions import HelpEdge, champions
from trellis.insights.levels import MonthCounts, Thresholds
from trellis.insights.propensity import (
    Member,
    MonthActivity,
    WaitingQuestions,
    readiness,
)

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_participation.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_participation", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_tied_groups_cap_matches_hand_values(bench: ModuleType) -> None:
    cap = bench.best_auc_of_tied_groups
    assert cap([(1, 1), (1, 0)]) == 1.0
    assert cap([(2, 1)]) == 0.5  # one pair, tied
    # groups (4 people, 1 positive) and (2, 1): the richer group first wins 3 + 0.5 and the
    # other 1.5 of the 2 x 4 pairs
    assert cap([(4, 1), (2, 1)]) == pytest.approx(5 / 8)
    assert cap([(3, 0)]) is None and cap([(2, 2)]) is None


def test_signup_tie_cap_is_the_closed_form(bench: ModuleType) -> None:
    # 3 positives and 5 negatives told apart, 10 sign-ups (2 positives) sharing one score:
    # only the 2 x 8 pairs inside the tie are lost, half each
    groups = [(1, 1)] * 3 + [(1, 0)] * 5 + [(10, 2)]
    assert bench.best_auc_of_tied_groups(groups) == pytest.approx(1 - 0.5 * 2 * 8 / (5 * 13))


def test_tied_groups_cap_is_the_best_order(bench: ModuleType) -> None:
    """Against every order of the groups, scored by the benchmark's own AUC."""
    rng = random.Random(7)
    for _ in range(20):
        groups = []
        for _ in range(4):
            people = rng.randint(1, 5)
            groups.append((people, rng.randint(0, people)))
        if not 0 < sum(p for _, p in groups) < sum(n for n, _ in groups):
            continue
        best = 0.0
        for order in itertools.permutations(range(len(groups))):
            scores, labels = [], []
            for rank, index in enumerate(order):
                n, p = groups[index]
                scores += [float(rank)] * n
                labels += [True] * p + [False] * (n - p)
            best = max(best, bench.auc(scores, labels))
        assert bench.best_auc_of_tied_groups(groups) == pytest.approx(best)


def test_logistic_ceiling_separates_what_can_be_separated(bench: ModuleType) -> None:
    features = [(0.0, 1.0), (1.0, 0.0), (2.0, 1.0), (3.0, 0.0), (4.0, 1.0), (5.0, 0.0)] * 2
    labels = [False, False, False, True, True, True] * 2
    people = list(range(len(labels)))
    figures = bench.logistic_aucs(features, labels, people, folds=3, repeats=1)
    assert figures["in_sample_auc"] == 1.0
    assert figures["parameters"] == 5  # intercept, two features and their log1p
    assert bench.logistic_aucs(features, [False] * len(labels), people)["in_sample_auc"] is None


def test_weighted_spearman_finds_a_monotone_sum(bench: ModuleType) -> None:
    rng = random.Random(3)
    rows = [[rng.random() for _ in range(8)] for _ in range(40)]
    target = [2 * r[0] + r[6] for r in rows]
    found = bench.best_weighted_spearman(rows, target)
    assert found["spearman"] == 1.0
    alone = [
        bench.spearman([r[i] for r in rows], target) for i in range(len(bench.CHAMPION_COMPONENTS))
    ]
    assert found["spearman"] >= max(alone)


def test_champion_terms_add_up_to_the_score(bench: ModuleType) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    edges = [
        HelpEdge(helper="a", helped="b", at=now, accepted=True),
        HelpEdge(helper="a", helped="c", at=now - timedelta(days=90), thanked=True),
        HelpEdge(helper="c", helped="b", at=now - timedelta(days=10), upvoted=True),
    ]
    ranked = champions(edges, now=now)
    terms = bench.champion_terms(edges, ranked, now)
    helped = math.log2(1 + 1 + 0.5)  # b today, c at one half-life
    assert terms["a"][:3] == pytest.approx((helped, 1.0, math.log2(1.5)))
    assert terms["a"][3] == 0.0 and terms["a"][5] == 2.0  # no departments; two months
    for champion in ranked:
        weighted = sum(
            w * t for w, t in zip(bench.CHAMPION_WEIGHTS, terms[champion.person], strict=True)
        )
        assert weighted == pytest.approx(champion.score, abs=1e-5)


def test_signups_differ_only_by_their_month(bench: ModuleType) -> None:
    thresholds = Thresholds()
    last_month = date(2026, 5, 1)
    waiting = WaitingQuestions(())

    def key(person: int, month: date) -> object:
        member = Member(
            person=person, months=[MonthActivity(month=month, counts=MonthCounts(reads=1))]
        )
        scored = readiness(member, waiting=waiting, thresholds=thresholds, last_month=last_month)
        return bench.readiness_inputs(member, scored, last_month, thresholds)[1]

    assert key(1, date(2026, 5, 1)) == key(2, date(2026, 5, 1))
    assert key(1, date(2026, 5, 1)) != key(2, date(2026, 3, 1))
