"""The "ready to move inward" and champion scores, and brokerage, on tiny hand-made histories
(pure: no database). Every expected number is worked out by hand in the comments.

Readiness (trellis/insights/propensity.py): level 0.5 per rank, comments 1 point per doubling
(log2(1 + n)), asked / up-votes / accepted / waiting 0.5 per doubling, the latest month 1 point
when they contributed, 0.5 when they only read. Default thresholds: a 3-month window, active
from 4 contributions. Champions (champions.py): people helped 2 per doubling, accepted and
thanks 1 each, departments bridged 1, brokerage 10 x share, 0.5 per month with help.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from trellis.insights.champions import HelpEdge, champions
from trellis.insights.graph import brokerage
from trellis.insights.levels import MonthCounts, Thresholds
from trellis.insights.propensity import (
    Member,
    MonthActivity,
    TagEngagement,
    WaitingQuestion,
    WaitingQuestions,
    interests_from,
    readiness,
    ready_to_move_inward,
)

THRESHOLDS = Thresholds()
JUNE, JULY, AUGUST = date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1)


def _wrote(month: date, **counts: int) -> MonthActivity:
    """A month in which the person wrote: each question and comment is a contribution."""
    contributions = counts.get("asked", 0) + counts.get("commented", 0)
    return MonthActivity(month=month, counts=MonthCounts(contributions=contributions), **counts)


# Four helm questions wait: three asked by others, one by Ana (so three for her).
WAITING = WaitingQuestions(
    [
        WaitingQuestion(id=1, tags=("helm",), asker="zed"),
        WaitingQuestion(id=2, tags=("helm", "kubernetes"), asker="zed"),
        WaitingQuestion(id=3, tags=("helm",), asker="yan"),
        WaitingQuestion(id=4, tags=("helm",), asker="ana"),
        WaitingQuestion(id=5, tags=("terraform",), asker="zed"),
    ]
)

# Ana asked 4 helm questions in June and July and commented on 6 answers in August.
ANA = Member(
    person="ana",
    months=[
        _wrote(JUNE, asked=2),
        _wrote(JULY, asked=2),
        _wrote(AUGUST, commented=6, commented_on_answers=6),
    ],
    interests=[TagEngagement("helm", asked=4, commented=6)],
)
# Ben reads helm questions (5 pages in July) and never writes.
BEN = Member(
    person="ben",
    months=[MonthActivity(month=JULY, counts=MonthCounts(reads=5))],
    interests=[TagEngagement("helm", read=5)],
)
# Cleo came once, in August, to ask one helm question.
CLEO = Member(
    person="cleo",
    months=[_wrote(AUGUST, asked=1)],
    interests=[TagEngagement("helm", asked=1)],
)
# Dan answers already: he has moved inward and is no candidate.
DAN = Member(
    person="dan",
    months=[MonthActivity(month=AUGUST, counts=MonthCounts(contributions=9, answers=9), asked=0)],
    has_answered=True,
)
# Eve asked in January and has done nothing since.
EVE = Member(person="eve", months=[_wrote(date(2026, 1, 1), asked=1)])


def test_readiness_scores_add_up_to_the_hand_computed_points() -> None:
    ana = readiness(ANA, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    # active (10 contributions, < 15): 2.0; commented 6: log2 7 = 2.807355; asked 4:
    # 0.5 log2 5 = 1.160964; 3 helm questions waiting: 0.5 log2 4 = 1; wrote in August: 1
    assert ana.level == "active"
    assert ana.points == pytest.approx(
        {
            "level": 2.0,
            "commented": 2.807355,
            "asked": 1.160964,
            "votes_received": 0.0,
            "accepted": 0.0,
            "waiting": 1.0,
            "last_month": 1.0,
        },
        abs=1e-6,
    )
    assert ana.score == pytest.approx(7.968319, abs=1e-6)
    assert ana.waiting_tags == {"helm": 3}

    # peripheral (5 reads, so not a one-off): 1.0; 4 helm questions waiting:
    # 0.5 log2 5 = 1.160964; nothing in August: 0
    ben = readiness(BEN, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    assert ben.level == "peripheral"
    assert ben.score == pytest.approx(2.160964, abs=1e-6)

    # transactional (1 action, nothing before): 0.5; asked 1: 0.5; 4 waiting: 1.160964;
    # wrote in August: 1
    cleo = readiness(CLEO, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    assert cleo.level == "transactional"
    assert cleo.score == pytest.approx(3.160964, abs=1e-6)


def test_the_reasons_read_as_a_leader_would_say_them() -> None:
    ana = readiness(ANA, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    assert ana.reasons == (
        "Asked 4 questions about helm since June and commented on 6 answers; "
        "3 helm questions are waiting.",
        "Level: active.",
    )
    ben = readiness(BEN, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    assert ben.reasons == ("4 helm questions are waiting.", "Level: peripheral.")


def test_up_votes_accepted_answers_and_comments_on_questions_are_named() -> None:
    member = Member(
        person="fay",
        months=[
            MonthActivity(
                month=AUGUST,
                counts=MonthCounts(contributions=3),
                commented=3,
                commented_on_answers=1,
                accepted=1,
                votes_received=2,
            )
        ],
        actions_before=5,  # not a newcomer, so not transactional
    )
    result = readiness(member, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    assert result.reasons == (
        "Commented 3 times on other people's posts since August.",
        "Received 2 up-votes and accepted 1 answer to their questions.",
        "Level: occasional.",
    )
    # occasional 1.5 + log2 4 = 2 + up-votes 0.5 log2 3 = 0.792481 + accepted 0.5 + August 1
    assert result.score == pytest.approx(5.792481, abs=1e-6)


def test_the_list_orders_people_and_leaves_out_answerers_and_the_inactive() -> None:
    ranked = ready_to_move_inward(
        [BEN, EVE, DAN, CLEO, ANA], waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST
    )
    assert [r.person for r in ranked] == ["ana", "cleo", "ben"]
    assert [r.score for r in ranked] == pytest.approx([7.968319, 3.160964, 2.160964], abs=1e-6)
    first = ready_to_move_inward(
        [BEN, CLEO, ANA], waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST, limit=1
    )
    assert [r.person for r in first] == ["ana"]


def test_someone_quiet_for_the_whole_window_scores_nothing() -> None:
    eve = readiness(EVE, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    assert (eve.level, eve.score) == ("inactive", 0.0)
    assert eve.reasons == ("Level: inactive.",)


def test_only_reading_in_the_latest_month_counts_half() -> None:
    recent_reader = Member(
        person="gus", months=[MonthActivity(month=AUGUST, counts=MonthCounts(reads=1))]
    )
    result = readiness(recent_reader, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    # transactional (1 action, nothing before): 0.5 + read in August: 0.5
    assert (result.level, result.score) == ("transactional", 1.0)


def test_months_before_the_window_make_a_newcomer_no_longer_transactional() -> None:
    # one question in January, one in August: 1 action before the window
    returning = Member(
        person="hal", months=[_wrote(date(2026, 1, 1), asked=1), _wrote(AUGUST, asked=1)]
    )
    result = readiness(returning, waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST)
    assert result.level == "occasional"


def test_empty_inputs() -> None:
    nobody = Member(person="ivy", months=[])
    result = readiness(
        nobody, waiting=WaitingQuestions([]), thresholds=THRESHOLDS, last_month=AUGUST
    )
    assert (result.level, result.score, result.waiting_tags) == ("inactive", 0.0, {})
    assert ready_to_move_inward([], waiting=WAITING, thresholds=THRESHOLDS, last_month=AUGUST) == []
    assert len(WaitingQuestions([])) == 0


def test_a_waiting_question_counts_once_under_the_tag_engaged_most() -> None:
    assert len(WAITING) == 5
    assert WAITING.matching(["kubernetes", "helm"], asked_by_other_than="ana") == {
        "kubernetes": 1,
        "helm": 2,
    }
    assert WAITING.matching(["terraform"], asked_by_other_than="zed") == {}


def test_interests_are_counted_per_tag_and_kind() -> None:
    assert interests_from(
        [("helm", "asked"), ("helm", "read"), ("helm", "read"), ("aws", "commented")]
    ) == [TagEngagement("aws", commented=1), TagEngagement("helm", asked=1, read=2)]


# Champions -----------------------------------------------------------------------------------

NOW = datetime(2026, 9, 15, tzinfo=UTC)


def _help(helper: str, helped: str, days_ago: int = 0, **how: object) -> HelpEdge:
    departments = {"ana": "eng", "bo": "eng", "cy": "sales", "di": "ops", "ed": "eng"}
    return HelpEdge(
        helper=helper,
        helped=helped,
        at=NOW - timedelta(days=days_ago),
        helper_department=departments.get(helper),
        helped_department=departments.get(helped),
        **how,  # type: ignore[arg-type]
    )


# Ana helps Bo (accepted, thanked), Cy (up-voted) and Di (up-voted); Ed helps Bo (up-voted).
# Ties: ana-bo, ana-cy, ana-di, ed-bo. Of the 6 pairs of the others, 5 run through Ana
# (bo-cy, bo-di, cy-di, cy-ed, di-ed), 2 through Bo (cy-ed, di-ed).
HELP = [
    _help("ana", "bo", accepted=True, thanked=True),
    _help("ana", "cy", upvoted=True),
    _help("ana", "di", upvoted=True),
    _help("ed", "bo", upvoted=True),
]


def test_champion_scores_add_up_to_the_hand_computed_points() -> None:
    ranked = champions(HELP, now=NOW)
    assert [c.person for c in ranked] == ["ana", "ed"]
    ana, ed = ranked
    # 3 people: 2 log2 4 = 4; accepted 1 and thanked 1: 1 + 1; 2 other departments (sales,
    # ops): log2 3 = 1.584963; brokerage 5/6: 8.333333; helped this month: 0.5
    assert ana.score == pytest.approx(16.418296, abs=1e-6)
    assert (ana.people_helped, ana.accepted, ana.thanks) == (3, 1, 1)
    assert ana.departments_bridged == ("ops", "sales")
    assert ana.brokerage == pytest.approx(5 / 6)
    # 1 person: 2; no brokerage (a leaf); this month: 0.5
    assert ed.score == pytest.approx(2.5)
    assert ed.departments_bridged == ()


def test_champion_reasons_and_recognition() -> None:
    ana = champions(HELP, now=NOW)[0]
    assert ana.reasons == (
        "Helped 3 people in the last year (1 accepted answer, thanked 1 time).",
        "Helped people in 2 other departments: ops, sales.",
        "Connects people: on 83% of the shortest help paths between others.",
        "Helped in 1 of the last 6 months.",
        "Not yet recognised: holds no leading role.",
    )
    recognised = champions(HELP, now=NOW, recognised={"ana"})[0]
    assert recognised.recognised
    assert recognised.reasons[-1] == "Helped in 1 of the last 6 months."


def test_help_counts_half_after_a_half_life_and_old_or_future_help_not_at_all() -> None:
    ranked = champions(
        [
            _help("fay", "gil", days_ago=90, upvoted=True),
            _help("hal", "gil", days_ago=400, accepted=True),  # beyond the year
            _help("hal", "ivo", days_ago=-1, accepted=True),  # after now
            _help("jo", "jo", accepted=True),  # oneself
            _help("kim", "gil", upvoted=False),  # nothing says it worked
        ],
        now=NOW,
    )
    assert [c.person for c in ranked] == ["fay"]
    # 0.5 ** (90 / 90) = 0.5: 2 log2 1.5 = 1.169925; June is 3 months before September: 0.5.
    # The ties fay-gil and kim-gil make gil the broker, not fay.
    assert ranked[0].score == pytest.approx(1.669925, abs=1e-6)
    assert ranked[0].months_with_help == 1


def test_no_help_no_champions() -> None:
    assert champions([], now=NOW) == []


# Brokerage -----------------------------------------------------------------------------------


def test_the_bridge_between_two_groups_is_the_broker() -> None:
    # Two triangles a-b-c and d-e-f, joined by x between c and d. x lies on the 9 paths from
    # one side to the other, of the 15 pairs of the 6 others: 0.6; c on those from a and b
    # to x, d, e, f: 8 of 15.
    shares = brokerage(
        [
            ("a", "b"),
            ("b", "c"),
            ("a", "c"),
            ("d", "e"),
            ("e", "f"),
            ("d", "f"),
            ("c", "x"),
            ("x", "d"),
        ]
    )
    assert shares["x"] == pytest.approx(0.6)
    assert shares["c"] == pytest.approx(8 / 15)
    assert shares["d"] == pytest.approx(8 / 15)
    assert shares["a"] == shares["f"] == 0.0


def test_repeated_ties_and_self_ties_change_nothing() -> None:
    # a path a-b-c: b is on the one pair of the others
    assert brokerage([("a", "b"), ("b", "a"), ("b", "c"), ("c", "c")]) == {
        "a": 0.0,
        "b": 1.0,
        "c": 0.0,
    }


def test_sampled_brokerage_still_finds_the_hub() -> None:
    # a star of 20 people around a hub: exact share 1; from 10 sampled sources the estimate
    # is (leaf sources x 19 / 2) x 21 / 10 over 190, at least 0.945 whichever 10 are drawn
    star = [("hub", f"p{i}") for i in range(20)]
    shares = brokerage(star, sampled_sources=10, seed=3)
    assert shares["hub"] >= 0.94
    assert all(shares[f"p{i}"] == 0.0 for i in range(20))


def test_brokerage_of_tiny_graphs() -> None:
    assert brokerage([]) == {}
    assert brokerage([("solo", "solo")]) == {"solo": 0.0}
    assert brokerage([("a", "b")]) == {"a": 0.0, "b": 0.0}
