"""The Zulip reader on a zulip-archive folder, and zulip-archive's file naming."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imports import builders
from trellis.imports.records import ZulipStream, ZulipTopic
from trellis.imports.safety import ImportFileError
from trellis.imports.zulip_reader import (
    ZulipArchive,
    escape_topic,
    sanitize_stream,
    split_resolved,
    unescape_topic,
)


@pytest.fixture
def archive(tmp_path: Path) -> ZulipArchive:
    return ZulipArchive(builders.write_zulip_archive(tmp_path / "archive"))


@pytest.mark.parametrize(
    ("topic", "stem"),
    [
        ("lunch", "lunch"),
        ("a/b testing & more.v2", "a.2Fb.20testing.20.26.20more.2Ev2"),
        ("✔ deploy fails", ".E2.9C.94.20deploy.20fails"),
        ("日本語", ".E6.97.A5.E6.9C.AC.E8.AA.9E"),
        ("..", ".2E.2E"),
        ("it's (ok)!*~", "it's.20(ok)!*~"),
        ("100%", "100.25"),
    ],
)
def test_topic_escaping_matches_zulip_archive(topic: str, stem: str) -> None:
    assert escape_topic(topic) == stem == builders.archive_topic_stem(topic)
    assert unescape_topic(stem) == topic


@settings(database=None)  # no .hypothesis folder left in the repository
@given(st.text(min_size=1, max_size=60))
def test_topic_escaping_round_trips(topic: str) -> None:
    stem = escape_topic(topic)
    assert "/" not in stem and stem not in (".", "..")
    assert unescape_topic(stem) == topic


def test_stream_folder_names() -> None:
    assert sanitize_stream("general", 7) == "7-general"
    assert sanitize_stream("Équipe 日本", 9) == "9-quipe-"
    assert sanitize_stream("dev ops", 3) == builders.archive_stream_dir("dev ops", 3)


def test_resolved_mark() -> None:
    assert split_resolved("✔ deploy fails") == ("deploy fails", True)
    assert split_resolved("deploy ✔ fails") == ("deploy ✔ fails", False)


def test_streams_and_topics(archive: ZulipArchive) -> None:
    general, team = archive.streams()
    assert (general.source_id, general.name, team.source_id, team.name) == (
        7,
        "general",
        9,
        "Équipe 日本",
    )
    resolved, ab = general.topics
    assert resolved == ZulipTopic(
        name="deploy fails",
        resolved=True,
        size=2,
        latest_id=None,  # zulip-archive does not write one per topic
        latest_at=datetime.fromtimestamp(1700000300, UTC),
    )
    assert resolved.raw_name == "✔ deploy fails"
    assert (ab.name, ab.resolved, ab.size) == ("a/b testing & more.v2", False, 1)


def test_messages_sorted_by_id(archive: ZulipArchive) -> None:
    general, team = archive.streams()
    messages = archive.messages(general, general.topics[0])
    assert [m.source_id for m in messages] == [10, 12]
    first = messages[0]
    assert (first.sender_full_name, first.content_html, first.topic, first.stream_id) == (
        "Bob",
        "<p>Deploy fails on main?</p>",
        "deploy fails",
        7,
    )
    assert first.created_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    [slash] = archive.messages(general, general.topics[1])
    assert slash.content_html == "<p>Grüße 😀</p>"
    [japanese] = archive.messages(team, team.topics[0])
    assert (japanese.content_html, japanese.topic) == ("<p>こんにちは</p>", "日本語")
    assert archive.messages(general, "✔ deploy fails") == messages


def test_root_may_be_zulip_json_itself(tmp_path: Path) -> None:
    root = builders.write_zulip_archive(tmp_path / "a")
    archive = ZulipArchive(root / "zulip_json")
    assert [s.name for s in archive.streams()] == ["general", "Équipe 日本"]


def test_stream_folder_from_another_version_is_found_by_id(tmp_path: Path) -> None:
    root = builders.write_zulip_archive(tmp_path / "a")
    (root / "zulip_json" / "7-general").rename(root / "zulip_json" / "7-General-Chat")
    general = next(ZulipArchive(root).streams())
    assert len(ZulipArchive(root).messages(general, general.topics[1])) == 1


def test_missing_topic_file_is_named(archive: ZulipArchive, tmp_path: Path) -> None:
    general = next(archive.streams())
    stem = "a.2Fb.20testing.20.26.20more.2Ev2"
    (tmp_path / "archive" / "zulip_json" / "7-general" / f"{stem}.json").unlink()
    with pytest.raises(ImportFileError) as e:
        archive.messages(general, general.topics[1])
    assert e.value.path == f"7-general/{stem}.json"
    assert "stream_index.json" in e.value.reason


def test_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="not a zulip-archive folder"):
        ZulipArchive(tmp_path)


def test_broken_files(tmp_path: Path) -> None:
    root = builders.write_zulip_archive(tmp_path / "a")
    index = root / "zulip_json" / "stream_index.json"
    index.write_text('{"streams": {"general": {"id": "7"}}}')
    with pytest.raises(ImportFileError, match="stream 'general' has no id"):
        list(ZulipArchive(root).streams())
    index.write_text('{"streams": ')
    with pytest.raises(ImportFileError, match=r"^stream_index.json, line 1: the JSON is malformed"):
        list(ZulipArchive(root).streams())
    stream = ZulipStream(source_id=7, name="general", topics=())
    topic = root / "zulip_json" / "7-general" / "lunch.json"
    topic.write_text(json.dumps([{"id": 1, "timestamp": "yesterday"}]))
    with pytest.raises(ImportFileError, match=r"7-general/lunch.json: expected a timestamp"):
        ZulipArchive(root).messages(stream, "lunch")
    topic.write_text(json.dumps({"id": 1}))
    with pytest.raises(ImportFileError, match="expected a list of messages"):
        ZulipArchive(root).messages(stream, "lunch")


def test_stream_name_cannot_climb_out(tmp_path: Path) -> None:
    root = builders.write_zulip_archive(tmp_path / "a")
    stream = ZulipStream(source_id=99, name="../../../etc", topics=())
    with pytest.raises(ImportFileError, match=r"\.\."):
        ZulipArchive(root).messages(stream, "passwd")
