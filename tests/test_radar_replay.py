"""The radar's Stack Exchange replay (benchmarks/radar_replay.py): each month's facts, read
from a tiny hand-made dump, checked against values worked out by hand (pure, no database)."""

import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from xml.sax.saxutils import quoteattr

import pytest

from trellis.insights.levels import Thresholds
from trellis.radar.signals import MIN_MONTHS, PITFALLS

MODULE = Path(__file__).resolve().parent.parent / "benchmarks" / "radar_replay.py"
# small thresholds, so a three-month dump has a core and people moving inward
SMALL = Thresholds(
    window_months=2, core_contributions=3, active_contributions=2, transactional_actions=3
)


@pytest.fixture(scope="module")
def replay_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("radar_replay", MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def write_table(folder: Path, name: str, rows: list[dict[str, object]]) -> None:
    body = "\n".join(
        "  <row " + " ".join(f"{k}={quoteattr(str(v))}" for k, v in row.items()) + " />"
        for row in rows
    )
    root = name.lower()
    (folder / f"{name}.xml").write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n{body}\n</{root}>\n', encoding="utf-8"
    )


def user(pk: int, created: str) -> dict[str, object]:
    return {"Id": pk, "Reputation": 1, "CreationDate": created, "DisplayName": f"user{pk}"}


def question(pk: int, owner: int, created: str, tags: str) -> dict[str, object]:
    return {
        "Id": pk,
        "PostTypeId": 1,
        "CreationDate": created,
        "OwnerUserId": owner,
        "Title": f"q{pk}",
        "Body": "<p>?</p>",
        "Tags": tags,
    }


def answer(pk: int, owner: int, parent: int, created: str) -> dict[str, object]:
    return {
        "Id": pk,
        "PostTypeId": 2,
        "ParentId": parent,
        "CreationDate": created,
        "OwnerUserId": owner,
        "Body": "<p>!</p>",
    }


def comment(pk: int, post: int, owner: int, created: str) -> dict[str, object]:
    return {"Id": pk, "PostId": post, "UserId": owner, "CreationDate": created, "Text": "hm"}


def vote(
    pk: int, post: int, kind: int, created: str, voter: int | None = None
) -> dict[str, object]:
    row: dict[str, object] = {"Id": pk, "PostId": post, "VoteTypeId": kind, "CreationDate": created}
    if voter is not None:
        row["UserId"] = voter
    return row


def revision(
    pk: int, kind: int, post: int, by: int, created: str, guid: str, voters: list[int] | None = None
) -> dict[str, object]:
    row: dict[str, object] = {
        "Id": pk,
        "PostHistoryTypeId": kind,
        "PostId": post,
        "RevisionGUID": guid,
        "CreationDate": created,
        "UserId": by,
    }
    if voters is not None:
        row["Text"] = json.dumps({"Voters": [{"Id": v, "DisplayName": f"u{v}"} for v in voters]})
    return row


@pytest.fixture
def tiny_dump(tmp_path: Path) -> Path:
    """January to March 2020 (April and May are dropped: their 30-day horizon is not over by
    the last record, a vote on 2 May). People 1 and 2 join in January, 3 in February, 4 in
    March; 2 locks a post in March, so the dump shows 2 as a moderator."""
    folder = tmp_path / "tiny-site-2020"
    folder.mkdir()
    write_table(
        folder,
        "Users",
        [
            user(-1, "2019-12-31T00:00:00.000"),  # the Community bot
            user(1, "2020-01-05T09:00:00.000"),
            user(2, "2020-01-10T09:00:00.000"),
            user(3, "2020-02-03T09:00:00.000"),
            user(4, "2020-03-15T09:00:00.000"),
        ],
    )
    write_table(
        folder,
        "Posts",
        [
            question(10, 1, "2020-01-06T10:00:00.000", "<alpha><beta>"),
            answer(11, 2, 10, "2020-01-07T10:00:00.000"),  # a day later: answered
            question(12, 2, "2020-01-20T10:00:00.000", "<gamma>"),
            question(14, 3, "2020-02-04T10:00:00.000", "<alpha>"),
            answer(13, 1, 12, "2020-03-01T10:00:00.000"),  # 41 days later: unanswered
            answer(16, 2, 14, "2020-03-10T10:00:00.000"),  # 35 days later: unanswered
            {  # a tag wiki excerpt: not a question or answer
                "Id": 20,
                "PostTypeId": 4,
                "CreationDate": "2020-02-15T10:00:00.000",
                "OwnerUserId": 1,
                "Body": "alpha things",
            },
        ],
    )
    write_table(
        folder,
        "Comments",
        [
            comment(100, 10, 3, "2020-02-03T12:00:00.000"),
            comment(101, 14, 2, "2020-02-20T12:00:00.000"),
            comment(102, 14, 2, "2020-03-11T12:00:00.000"),
            comment(103, 14, 4, "2020-03-16T12:00:00.000"),
        ],
    )
    write_table(
        folder,
        "Votes",
        [
            vote(1000, 11, 2, "2020-01-08T00:00:00.000"),  # an up-vote: names nobody
            vote(1001, 10, 5, "2020-02-12T00:00:00.000", voter=1),  # a favourite
            vote(1002, 10, 5, "2020-03-20T00:00:00.000", voter=4),
            vote(1003, 16, 2, "2020-05-02T00:00:00.000"),  # the dump's last record
        ],
    )
    write_table(
        folder,
        "PostHistory",
        [
            revision(1, 2, 10, 1, "2020-01-06T10:00:00.000", "g-create"),  # the post itself
            revision(2, 5, 10, 1, "2020-01-06T11:00:00.000", "g-own"),  # own edit
            revision(3, 4, 10, 2, "2020-02-10T10:00:00.000", "g-2"),  # one revision by 2 of
            revision(4, 5, 10, 2, "2020-02-10T10:00:00.000", "g-2"),  # 1's title and body
            revision(5, 10, 14, -1, "2020-03-05T10:00:00.000", "g-close", voters=[1, 2]),
            revision(6, 14, 14, 2, "2020-03-06T10:00:00.000", "g-lock"),  # moderator-only
            revision(7, 10, 12, 2, "2020-03-07T10:00:00.000", "g-own-close", voters=[2]),
        ],
    )
    return folder


def test_each_month_of_a_tiny_dump_matches_the_hand_count(
    replay_module: ModuleType, tiny_dump: Path
) -> None:
    months = replay_module.dump_history(tiny_dump, thresholds=SMALL)
    assert [m.month for m in months] == [date(2020, 1, 1), date(2020, 2, 1), date(2020, 3, 1)]
    january, february, march = months
    assert [m.members for m in months] == [2, 3, 4]  # the bot is not a member
    assert [m.new_members for m in months] == [2, 1, 1]
    # February: 1 only favourited (active, not a contributor); March: 3 did nothing
    assert [m.active for m in months] == [2, 3, 3]
    assert [m.contributors for m in months] == [2, 2, 3]
    assert [m.new_contributors for m in months] == [2, 1, 1]
    assert [m.questions for m in months] == [2, 1, 0]
    assert [m.unanswered for m in months] == [1, 1, 0]
    assert [dict(m.answers_by_person) for m in months] == [{2: 1}, {}, {1: 1, 2: 1}]
    # an edit of someone else's post once per revision; close votes per voter, not one's own
    # question; a lock always; one's own edit never
    assert [dict(m.moderation_by_person) for m in months] == [{}, {2: 1}, {1: 1, 2: 2}]
    assert all(m.leaders == {2} for m in months)
    # 2's posts, comments and revisions (the close row of 1's and 2's votes, the lock, the
    # close of their own question)
    assert [dict(m.actions_by_leader) for m in months] == [{2: 2}, {2: 2}, {2: 5}]
    # levels (window 2): January 1 transactional, 2 active; February 2 core (up), 3 active,
    # 1 still transactional; March 1 occasional (up), 4 transactional (new)
    assert [set(m.core) for m in months] == [set(), {2}, {2}]
    assert [m.moved_inward for m in months] == [0, 1, 1]
    assert [m.charter_fit for m in months] == [1.0, 1.0, None]  # three tags, all "top ten"
    assert january.events == february.events == march.events == 0
    assert march.guides == march.stale_guides == 0 and march.sponsors == ()


def test_default_thresholds_find_no_core_in_a_tiny_dump(
    replay_module: ModuleType, tiny_dump: Path
) -> None:
    months = replay_module.dump_history(tiny_dump)
    assert all(not m.core for m in months)


def test_charter_fit_reads_the_first_year_s_most_used_tags(
    replay_module: ModuleType, tiny_dump: Path
) -> None:
    months = replay_module.dump_history(tiny_dump, charter_count=1)  # "alpha" (used twice)
    assert [m.charter_fit for m in months] == [0.5, 1.0, None]


def test_a_dump_without_post_history_has_no_moderation_and_no_leaders(
    replay_module: ModuleType, tiny_dump: Path
) -> None:
    (tiny_dump / "PostHistory.xml").unlink()
    months = replay_module.dump_history(tiny_dump, thresholds=SMALL)
    assert all(not m.moderation_by_person and not m.leaders for m in months)
    assert [m.active for m in months] == [2, 3, 3]  # nobody was active only through edits
    available = replay_module.replay(tiny_dump)["facts_available"]
    assert available["moderation_by_person"] == available["leaders"] == "not recorded"


def test_replay_of_a_short_dump_reports_its_months_and_no_signal(
    replay_module: ModuleType, tiny_dump: Path
) -> None:
    out = replay_module.replay(tiny_dump)
    json.dumps(out)  # JSON-ready
    assert out["dump"] == "tiny-site-2020"
    assert [m["month"] for m in out["months"]] == ["2020-01", "2020-02", "2020-03"]
    assert out["dropped_months"] == ["2020-04", "2020-05"]
    assert out["signals"] == {pitfall: [] for pitfall in PITFALLS}
    assert out["raised_months"] == {pitfall: [] for pitfall in PITFALLS}
    assert out["facts_available"]["leaders"] == "partial"
    assert out["facts_available"]["events"] == "not recorded"
    assert out["facts_available"]["charter_fit"] == "proxy"


def test_replay_scores_every_pitfall_from_the_eighth_month_on(
    replay_module: ModuleType, tmp_path: Path
) -> None:
    """Nine months of one question a month, answered the next day."""
    folder = tmp_path / "steady-2021"
    folder.mkdir()
    write_table(
        folder, "Users", [user(1, "2021-01-01T00:00:00.000"), user(2, "2021-01-01T00:00:00.000")]
    )
    posts = []
    for month in range(1, 10):
        posts.append(question(10 * month, 1, f"2021-{month:02}-05T10:00:00.000", "<alpha>"))
        posts.append(answer(10 * month + 1, 2, 10 * month, f"2021-{month:02}-06T10:00:00.000"))
    write_table(folder, "Posts", posts)
    write_table(folder, "Votes", [vote(1, 11, 2, "2021-11-15T00:00:00.000")])
    out = replay_module.replay(folder)
    assert len(out["months"]) == 9 and out["dropped_months"] == ["2021-10", "2021-11"]
    assert MIN_MONTHS == 8
    for pitfall in PITFALLS:
        assert [s["month"] for s in out["signals"][pitfall]] == ["2021-08", "2021-09"]
        for reading in out["signals"][pitfall]:
            assert set(reading) == {"month", "score", "raised", "evidence"}
            assert 0.0 <= reading["score"] <= 1.0
    assert out["raised_months"]["meetings_without_practice"] == []
    assert out["raised_months"]["sponsor_disengagement"] == []
