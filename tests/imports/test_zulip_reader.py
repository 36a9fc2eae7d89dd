"""The Zulip reader on a zulip-archive folder, and zulip-archive's file naming."""

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imports import builders
from trellis.imports.records import ZulipStream, ZulipTopic
from trellis.imports.safety import ImportFileError
from trellis.imports.zulip_reader import (
    MissingTopicFile,
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
    with pytest.raises(MissingTopicFile) as e:
        archive.messages(general, general.topics[1])
    assert isinstance(e.value, ImportFileError)
    assert e.value.path == f"7-general/{stem}.json"
    assert "stream_index.json" in e.value.reason
    assert e.value.topic == "a/b testing & more.v2" and e.value.stream == "general"


def _expected_messages() -> dict[tuple[str, str], list[int]]:
    return {
        (stream, topic): sorted(m["id"] for m in messages)
        for stream, topics in builders.ZULIP_STREAMS.items()
        for topic, messages in topics.items()
    }


@pytest.mark.parametrize("naming", list(builders.ZULIP_NAMINGS))
def test_every_file_naming_zulip_archive_has_used_is_read(tmp_path: Path, naming: str) -> None:
    """zulip-archive has named topic files in several ways: Adler-32 checksums (early versions),
    URL quoting with "(", ")", "'" kept (later ones), Zulip's own dot-encoding (".28", ".29",
    ".27", ".26"), plain percent-encoding, the raw name."""
    archive = ZulipArchive(builders.write_zulip_archive(tmp_path / "a", naming=naming))
    found = {
        (stream.name, topic.raw_name): [m.source_id for m in archive.messages(stream, topic)]
        for stream in archive.streams()
        for topic in stream.topics
    }
    assert found == _expected_messages()


def test_a_topic_split_across_archive_versions_is_read_whole(tmp_path: Path) -> None:
    """An archive updated by a newer zulip-archive keeps the old files (an older folder and
    naming) and writes new messages under the new names: the topic is both."""
    root = builders.write_zulip_archive(tmp_path / "a")
    json_root = root / "zulip_json"
    old = json_root / builders.adler32_stream_dir("general", 7)
    old.mkdir()
    topic = "a/b testing & more.v2"
    older = [{"content": "<p>first</p>", "id": 15, "sender_full_name": "Bob",
              "timestamp": 1700000500}]  # fmt: skip
    (old / f"{builders.adler32_stem(topic)}.json").write_text(json.dumps(older))
    general = next(ZulipArchive(root).streams())
    assert [m.source_id for m in ZulipArchive(root).messages(general, general.topics[1])] == [
        15,
        20,
    ]


def test_a_raw_name_from_macos_in_decomposed_form_is_found(tmp_path: Path) -> None:
    root = builders.write_zulip_archive(tmp_path / "a", naming="raw")
    team = root / "zulip_json" / "9-quipe-"
    stem = "Q&A: it's (really) 100% done!*~"
    (team / f"{stem}.json").rename(team / f"{unicodedata.normalize('NFD', 'Équipe ' + stem)}.json")
    stream = ZulipStream(source_id=9, name="Équipe 日本", topics=())
    messages = ZulipArchive(root).messages(stream, "Équipe " + stem)
    assert [m.source_id for m in messages] == [40]


def test_one_spelling_that_is_another_topics_name_goes_to_that_topic(tmp_path: Path) -> None:
    """In a raw-named archive, topic "a b" percent-encoded is "a%20b", which is also the raw
    name of topic "a%20b": each file goes to its own topic."""
    json_root = tmp_path / "a" / "zulip_json"
    folder = json_root / "7-general"
    folder.mkdir(parents=True)
    (folder / "a b.json").write_text(json.dumps([{"id": 1, "timestamp": 1700000000}]))
    (folder / "a%20b.json").write_text(json.dumps([{"id": 2, "timestamp": 1700000000}]))
    index = {"general": {"id": 7, "topic_data": {"a b": {"size": 1}, "a%20b": {"size": 1}}}}
    (json_root / "stream_index.json").write_text(json.dumps({"streams": index}))
    archive = ZulipArchive(tmp_path / "a")
    general = next(archive.streams())
    assert [[m.source_id for m in archive.messages(general, t)] for t in general.topics] == [
        [1],
        [2],
    ]


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
