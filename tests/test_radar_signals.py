"""The pitfall radar's detector on hand-built histories: each pitfall raised with the evidence a
leader reads, and a healthy community (steady, dipping in August, changing its leader) quiet."""

from dataclasses import replace
from datetime import date

import pytest

from trellis.insights.counts import add_months
from trellis.radar.facts import MonthFacts, SponsorMonth
from trellis.radar.signals import (
    BURNOUT,
    MEETINGS,
    MIN_MONTHS,
    SPONSOR,
    STAGNATION,
    Signal,
    assess,
)

START = date(2025, 1, 1)
LEADER, CO_LEADER, SPONSOR_ID = 1, 2, 900
REGULARS = list(range(10, 40))


def healthy_month(index: int) -> MonthFacts:
    """A steady community of 120 members: 30 people answer, leaders a fifth of the load,
    4 events led by 3 facilitators, each leaving notes and follow-up questions."""
    answers = {person: 2 for person in REGULARS} | {LEADER: 4, CO_LEADER: 4}
    return MonthFacts(
        month=add_months(START, index),
        members=120,
        new_members=6,
        active=80,
        contributors=40,
        new_contributors=4,
        questions=40,
        unanswered=3,
        answers_by_person=answers,
        moderation_by_person={LEADER: 2, 10: 2, 11: 2},
        actions_by_leader={LEADER: 30, CO_LEADER: 25},
        leaders=frozenset({LEADER, CO_LEADER}),
        events=4,
        attendance=60,
        facilitations_by_person={LEADER: 1, 10: 1, 11: 1, 12: 1},
        event_outputs=12,
        agenda_items=8,
        agenda_items_from_members=5,
        core=frozenset({LEADER, CO_LEADER, 10, 11, 12, 13, 14}) - {10 + index % 3}
        | {20 + index % 5},
        moved_inward=4,
        guides=20,
        stale_guides=2,
        charter_fit=0.7,
        sponsors=(
            SponsorMonth(
                SPONSOR_ID,
                opened_report=True,
                attended=1 if index % 3 == 0 else 0,
                stories_told=1 if index % 2 == 0 else 0,
            ),
        ),
    )


def history(months: int = 20) -> list[MonthFacts]:
    return [healthy_month(i) for i in range(months)]


def signal(months: list[MonthFacts], pitfall: str) -> Signal:
    return next(s for s in assess(months) if s.pitfall == pitfall)


def raised(months: list[MonthFacts]) -> set[str]:
    return {s.pitfall for s in assess(months) if s.raised}


def test_a_healthy_community_raises_nothing() -> None:
    assert raised(history()) == set()


def test_too_short_a_history_gives_no_signal() -> None:
    assert assess(history(MIN_MONTHS - 1)) == []
    assert len(assess(history(MIN_MONTHS))) == 4


def test_an_august_dip_that_happened_last_year_too_is_not_stagnation() -> None:
    months = history(20)
    for i, month in enumerate(months):
        if month.month.month in (7, 8):
            months[i] = replace(
                month, new_members=1, new_contributors=1, active=40, events=1, attendance=15
            )
    assert months[-1].month == date(2026, 8, 1)
    assert STAGNATION not in raised(months)


def test_a_normal_change_of_leader_is_not_burnout() -> None:
    months = history(20)
    new_leader = 10
    for i in range(16, 20):
        month = months[i]
        answers = dict(month.answers_by_person)
        answers[LEADER], answers[new_leader] = 0, 4
        months[i] = replace(
            month,
            leaders=frozenset({new_leader, CO_LEADER}),
            answers_by_person=answers,
            actions_by_leader={new_leader: 30, CO_LEADER: 25},
        )
    assert BURNOUT not in raised(months)


def test_leaders_carrying_more_without_rotation_is_burnout_with_its_evidence() -> None:
    months = history(20)
    for i in range(19, 20):
        month = months[i]
        answers = {person: 1 for person in REGULARS[:12]} | {LEADER: 30, CO_LEADER: 20}
        months[i] = replace(
            month,
            answers_by_person=answers,
            facilitations_by_person={LEADER: 4},
            moderation_by_person={LEADER: 6},
            leaders_at_cap=frozenset({LEADER}),
        )
    burnout = signal(months, BURNOUT)
    assert burnout.raised
    keys = [i.key for i in burnout.evidence]
    assert {"share", "rotation", "cap"} <= set(keys)
    share = next(i for i in burnout.evidence if i.key == "share")
    assert share.text.startswith("The leaders carried")
    # before: leaders' 8 answers + 1 facilitation + 2 moderation of 68 + 4 + 6 = 14%; in the
    # last month 50 + 4 + 6 of 62 + 4 + 6 = 83%
    assert share.text == (
        "The leaders carried 83% of the answers, facilitation and moderation in the last "
        "month, against 14% in the 6 before."
    )
    assert raised(months) == {BURNOUT}


def test_events_that_produce_nothing_are_meetings_without_practice() -> None:
    months = history(20)
    for i in range(18, 20):
        months[i] = replace(months[i], event_outputs=1, agenda_items_from_members=1, attendance=35)
    meetings = signal(months, MEETINGS)
    assert meetings.raised
    outputs = next(i for i in meetings.evidence if i.key == "outputs")
    assert "against 3.0 in the 6 months before" in outputs.text
    assert raised(months) == {MEETINGS}


def test_no_events_no_meetings_signal() -> None:
    months = [replace(m, events=0, attendance=0, event_outputs=0) for m in history(20)]
    assert signal(months, MEETINGS).score == 0


def test_a_sponsor_who_left_is_raised_at_once() -> None:
    months = history(20)
    months[-1] = replace(months[-1], sponsors=(SponsorMonth(SPONSOR_ID, left=True),))
    sponsor = signal(months, SPONSOR)
    assert sponsor.raised and sponsor.evidence[0].key == "left"
    assert "left in August 2026" in sponsor.evidence[0].text


def test_a_sponsor_gone_from_the_list_is_raised() -> None:
    months = history(20)
    months[-1] = replace(months[-1], sponsors=())
    assert SPONSOR in raised(months)


def test_a_sponsor_who_stopped_reading_and_coming_is_raised() -> None:
    months = history(20)
    for i in range(14, 20):
        months[i] = replace(months[i], sponsors=(SponsorMonth(SPONSOR_ID),))
    sponsor = signal(months, SPONSOR)
    assert sponsor.raised
    texts = " ".join(i.text for i in sponsor.evidence)
    assert "has not opened the impact report for 6 months" in texts


def test_one_unread_report_is_not_disengagement() -> None:
    months = history(20)
    months[-1] = replace(months[-1], sponsors=(SponsorMonth(SPONSOR_ID),))
    assert SPONSOR not in raised(months)


@pytest.mark.parametrize("months_quiet", [2])
def test_fewer_newcomers_the_same_core_and_more_unanswered_is_stagnation(
    months_quiet: int,
) -> None:
    months = history(20)
    frozen_core = frozenset({LEADER, CO_LEADER, 10, 11, 12, 13, 14})
    for i in range(20 - 8, 20):
        months[i] = replace(months[i], core=frozen_core)
    for i in range(20 - 3, 20):
        months[i] = replace(months[i], moved_inward=0)
    for i in range(20 - months_quiet, 20):
        months[i] = replace(
            months[i], new_members=1, new_contributors=0, unanswered=12, stale_guides=6
        )
    stagnation = signal(months, STAGNATION)
    assert stagnation.raised
    assert {"newcomers", "new_contributors", "core", "unanswered", "stale"} <= {
        i.key for i in stagnation.evidence
    }


def test_a_sponsor_who_never_took_part_is_raised_whatever_their_habit() -> None:
    months = [replace(m, sponsors=(SponsorMonth(SPONSOR_ID),)) for m in history(20)]
    sponsor = signal(months, SPONSOR)
    assert sponsor.raised
    assert sponsor.evidence[0].text == (
        "The sponsor has not opened the impact report, come to an event or been told a value "
        "story for 12 months."
    )
