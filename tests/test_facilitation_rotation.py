"""The rotation's rule, as a pure function: who is available, the previous two, fewest
sessions, longest since the last one, the tie-break, and why."""

from datetime import date, timedelta

from trellis.facilitation.rotation import (
    Occurrence,
    Pick,
    Record,
    Volunteer,
    rotate,
    round_robin,
    week_of,
)

THU = date(2031, 1, 2)  # a Thursday


def weekly(n: int, start: date = THU) -> list[Occurrence]:
    return [Occurrence(i, start + timedelta(weeks=i)) for i in range(n)]


def people(*names: str) -> list[Volunteer]:
    return [Volunteer(i + 1, name) for i, name in enumerate(names)]


def chosen(picks: list[Pick]) -> list[int | None]:
    return [p.person_id for p in picks]


def test_everyone_takes_a_turn_before_anyone_has_a_second() -> None:
    picks = rotate(weekly(6), people("Ana", "Ben", "Cy"))
    assert chosen(picks) == [1, 2, 3, 1, 2, 3]
    assert picks[0].reason == "fewest sessions (0), none yet; tied with 2, first by name"


def test_someone_away_that_day_is_skipped_and_comes_up_when_back() -> None:
    ana, ben, cy = people("Ana", "Ben", "Cy")
    ana = Volunteer(1, "Ana", away=((THU, THU + timedelta(weeks=1)),))
    picks = rotate(weekly(4), [ana, ben, cy])
    assert chosen(picks)[:2] == [2, 3]
    assert chosen(picks)[2] == 1  # back, with the fewest sessions


def test_nobody_in_the_previous_two_when_anyone_else_is_available() -> None:
    # Dee has by far the fewest sessions, yet never runs two of three in a row.
    history = {1: Record(5, THU - timedelta(weeks=3)), 2: Record(5, THU - timedelta(weeks=2))}
    history[3] = Record(5, THU - timedelta(weeks=1))
    picks = rotate(weekly(6), people("Ana", "Ben", "Cy", "Dee"), history=history)
    ids = chosen(picks)
    for i in range(2, len(ids)):
        assert ids[i] not in ids[i - 2 : i]


def test_the_previous_two_are_read_from_before_the_plan() -> None:
    picks = rotate(weekly(1), people("Ana", "Ben", "Cy"), recent=[1, 2])
    assert chosen(picks) == [3]


def test_with_two_people_they_alternate_and_with_one_it_says_so() -> None:
    assert chosen(rotate(weekly(4), people("Ana", "Ben"))) == [1, 2, 1, 2]
    alone = rotate(weekly(2), people("Ana"))
    assert chosen(alone) == [1, 1]
    assert "the only one available" in alone[1].reason
    pair = rotate(weekly(3), people("Ana", "Ben"))
    assert "everyone else available facilitated one of the last two" in pair[2].reason


def test_fewest_sessions_first() -> None:
    history = {1: Record(4, THU - timedelta(days=60)), 2: Record(2, THU - timedelta(days=7))}
    history[3] = Record(3, THU - timedelta(days=90))
    picks = rotate(weekly(1), people("Ana", "Ben", "Cy"), history=history)
    assert chosen(picks) == [2]
    last = THU - timedelta(days=7)
    assert picks[0].reason == f"fewest sessions (2), last on {last.day} {last:%b}"


def test_then_longest_since_the_last_one() -> None:
    history = {
        1: Record(2, date(2030, 12, 1)),
        2: Record(2, date(2030, 10, 3)),
        3: Record(2, date(2030, 11, 1)),
    }
    picks = rotate(weekly(1), people("Ana", "Ben", "Cy"), history=history)
    assert chosen(picks) == [2]
    assert picks[0].reason == "fewest sessions (2), last on 3 Oct"


def test_ties_are_broken_by_name_then_id_whatever_the_input_order() -> None:
    volunteers = [Volunteer(7, "Zoe"), Volunteer(9, "amir"), Volunteer(3, "Amir")]
    first = chosen(rotate(weekly(3), volunteers))
    again = chosen(rotate(weekly(3), list(reversed(volunteers))))
    assert first == again == [3, 9, 7]


def test_the_weekly_load_counts_what_is_booked_elsewhere() -> None:
    ana, ben = people("Ana", "Ben")
    booked = {(1, week_of(THU)): 1}  # Ana runs another series that week
    assert chosen(rotate(weekly(1), [ana, ben], booked=booked)) == [2]
    twice = [Occurrence(1, THU), Occurrence(2, THU + timedelta(days=1))]
    assert chosen(rotate(twice, [Volunteer(1, "Ana", weekly_load=1)])) == [1, None]
    assert chosen(rotate(twice, [Volunteer(1, "Ana", weekly_load=2)])) == [1, 1]


def test_a_settled_occurrence_is_kept_and_counted() -> None:
    plan = [Occurrence(0, THU, fixed=2), *weekly(3, THU + timedelta(weeks=1))[0:2]]
    plan = [plan[0], Occurrence(1, plan[1].day), Occurrence(2, plan[2].day)]
    picks = rotate(plan, people("Ana", "Ben", "Cy"))
    assert picks[0].fixed and picks[0].person_id == 2 and picks[0].reason == "already confirmed"
    assert chosen(picks) == [2, 1, 3]


def test_nobody_available_leaves_it_open_and_says_why() -> None:
    ana = Volunteer(1, "Ana", away=((THU, THU),))
    picks = rotate(weekly(1), [ana])
    assert chosen(picks) == [None]
    assert picks[0].reason == "nobody available (1 away)"


def test_the_same_facts_give_the_same_plan() -> None:
    volunteers = people("Ana", "Ben", "Cy", "Dee", "Eve")
    assert chosen(rotate(weekly(20), volunteers)) == chosen(rotate(weekly(20), volunteers))


def test_round_robin_loses_the_turn_of_someone_away() -> None:
    ana = Volunteer(1, "Ana", away=((THU, THU),))
    assert chosen(round_robin(weekly(4), [ana, Volunteer(2, "Ben"), Volunteer(3, "Cy")])) == [
        2,
        3,
        1,
        2,
    ]
