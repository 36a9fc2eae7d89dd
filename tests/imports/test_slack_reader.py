"""The Slack reader on a built export, as a folder and as a zip, and its text helpers."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.imports import builders
from trellis.imports.safety import ImportFileError
from trellis.imports.slack_reader import (
    SlackExport,
    looks_like_question,
    message_to_markdown,
    ts_to_datetime,
)


@pytest.fixture(params=["folder", "zip", "zip-in-a-folder"])
def export(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SlackExport]:
    folder = builders.write_slack_export(tmp_path / "Acme Slack export")
    if request.param == "folder":
        path = folder
    elif request.param == "zip":
        path = builders.zip_folder(folder, tmp_path / "export.zip")
    else:
        path = builders.zip_folder(folder, tmp_path / "export.zip", prefix="Acme/")
    with SlackExport(path) as export:
        yield export


def test_users(export: SlackExport) -> None:
    users = {u.source_id: u for u in export.users()}
    ann = users["U1"]
    assert (ann.handle, ann.real_name, ann.display_name, ann.email, ann.title) == (
        "ann",
        "Ann Åberg",
        "annie",
        "ann@example.org",
        "Engineer",
    )
    assert not ann.is_bot and not ann.deleted
    bob = users["U2"]
    assert (bob.real_name, bob.email, bob.deleted) == ("Bob 日本語", None, True)
    assert users["B1"].is_bot


def test_channels(export: SlackExport) -> None:
    general, old = export.channels()
    assert (general.source_id, general.name, general.purpose, general.topic) == (
        "C1",
        "general",
        "Talk 😀",
        "Everything",
    )
    assert general.member_ids == ("U1", "U2")
    assert general.created_at == datetime.fromtimestamp(1700000000, UTC)
    assert old.is_archived and old.member_ids == ()
    assert list(export.threads(old)) == []  # a channel without a folder has no messages


def test_threads_group_across_day_files(export: SlackExport) -> None:
    threads = list(export.threads("general"))
    roots = [t.root.ts for t in threads]
    assert roots == [
        "1704153700.000200",  # question with replies on both days
        "1704154000.000400",  # bot message
        "1704154100.000500",  # stranger
        "1704240200.000000",  # orphan reply whose root is a tombstone
        "1704240400.000000",  # file share
    ]
    question = threads[0]
    assert question.root.text == "How do I *deploy* to <https://x.org|prod>?"
    assert question.root.reaction_count == 3
    assert question.root.user_id == "U1" and question.root.username == "annie"
    assert [r.ts for r in question.replies] == ["1704153800.000300", "1704240000.000100"]
    reply, broadcast = question.replies
    assert reply.text == "Grüße, use the button"
    assert reply.edited_at == datetime(2024, 1, 2, 0, 5, tzinfo=UTC)
    assert reply.created_at == datetime(2024, 1, 2, 0, 3, 20, 300, tzinfo=UTC)
    assert broadcast.subtype == "thread_broadcast"

    bot = threads[1].root
    assert (bot.is_bot, bot.bot_id, bot.username, bot.user_id) == (True, "B1", "deploybot", None)
    stranger = threads[2].root
    assert (stranger.user_id, stranger.username, stranger.text) == (
        "U404",
        "Stranger",
        "日本語 from a stranger",
    )
    orphan = threads[3]
    assert orphan.root.thread_ts == "1704240100.000000" != orphan.root.ts
    assert orphan.replies == ()
    assert threads[4].root.file_names == ("plan.pdf",)
    assert not any(t.root.is_system for t in threads)

    assert export.skipped == {"channel_join": 1, "tombstone": 1, "channel_topic": 1}
    assert export.rootless_threads == 1


def test_messages_include_system_ones(export: SlackExport) -> None:
    messages = list(export.messages("general"))
    assert len(messages) == 10
    join = messages[0]
    assert join.is_system and join.subtype == "channel_join"
    assert export.day_files("general") == ["general/2024-01-02.json", "general/2024-01-03.json"]


def test_direct_messages_are_never_read(tmp_path: Path) -> None:
    folder = builders.write_slack_export(tmp_path / "export")
    (folder / "dms.json").write_bytes(b"\xff not even json")
    (folder / "D1" / "2024-01-02.json").write_bytes(b"\xff broken")
    export = SlackExport(folder)
    assert [c.name for c in export.channels()] == ["general", "old-stuff"]
    assert len(list(export.threads("general"))) == 5


def test_broken_day_file_names_file_and_line(tmp_path: Path) -> None:
    folder = builders.write_slack_export(tmp_path / "export")
    (folder / "general" / "2024-01-03.json").write_text('[\n {"type": "message",\n ]')
    with pytest.raises(ImportFileError) as e:
        list(SlackExport(folder).threads("general"))
    assert (e.value.path, e.value.line) == ("general/2024-01-03.json", 3)


def test_invalid_utf8_names_file(tmp_path: Path) -> None:
    folder = builders.write_slack_export(tmp_path / "export")
    (folder / "users.json").write_bytes('[{"id": "U1", "name": "Grüße"}]'.encode("latin-1"))
    with pytest.raises(ImportFileError, match=r"^users.json, line 1: the file is not valid UTF-8"):
        list(SlackExport(folder).users())


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("users.json", b'{"id": "U1"}', "expected a list of user objects"),
        ("users.json", b'[{"name": "x"}]', "a user has no id"),
        ("channels.json", b"[[]]", "expected a list of channel objects"),
        ("general/2024-01-02.json", b'[{"type": "message", "ts": 5}]', "a message has no ts"),
        ("general/2024-01-02.json", b'[{"ts": "12.x"}]', "not a Slack timestamp"),
    ],
)
def test_unexpected_shapes(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    folder = builders.write_slack_export(tmp_path / "export")
    (folder / name).write_bytes(content)
    export = SlackExport(folder)
    with pytest.raises(ImportFileError, match=message) as e:
        list(export.users())
        list(export.channels())
        list(export.threads("general"))
    assert e.value.path == name


def test_not_a_slack_export(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    with pytest.raises(ImportFileError, match=r"channels.json: .*'x' is not a Slack export"):
        SlackExport(tmp_path / "x")


def test_hostile_zips_are_refused(tmp_path: Path) -> None:
    evil = builders.zip_with(tmp_path / "evil.zip", {"channels.json": b"[]", "../evil": b"x"})
    with pytest.raises(ImportFileError, match=r"\.\."):
        SlackExport(evil)
    with pytest.raises(ImportFileError, match="zip bomb"):
        SlackExport(builders.zip_bomb(tmp_path / "bomb.zip"))
    folder = builders.write_slack_export(tmp_path / "export")
    big = builders.zip_folder(folder, tmp_path / "export.zip")
    with pytest.raises(ImportFileError, match="limit"):
        SlackExport(big, max_total_bytes=1000)
    with pytest.raises(ImportFileError, match=r"general/2024-01-02.json: the file is larger"):
        list(SlackExport(big, max_json_bytes=1000).threads("general"))


def test_ts() -> None:
    assert ts_to_datetime("1700000000.000200") == datetime(
        2023, 11, 14, 22, 13, 20, 200, tzinfo=UTC
    )
    assert ts_to_datetime("1700000000") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a Slack timestamp"):
        ts_to_datetime("-1.5")


USERS = {"U1": "ann", "U2": "bob"}


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("hi <@U1> and <@U2|bobby>", "hi @ann and @bob"),
        ("ping <@U9>", "ping @U9"),
        ("ping <@U9|ghost>", "ping @ghost"),
        ("see <https://x.org/a_b*c|the *docs*>", "see [the *docs*](https://x.org/a_b*c)"),
        ("bare <https://x.org/a_b>", "bare <https://x.org/a_b>"),
        ("in <#C1|general> and <#C2>", "in #general and #C2"),
        ("<!here> <!channel> <!subteam^S1|@devs>", "@here @channel @devs"),
        ("*bold* and _it_ and ~gone~", "**bold** and _it_ and ~~gone~~"),
        ("a*b*c and 2 * 3 * 4", "a*b*c and 2 * 3 * 4"),
        ("*bold <https://x.org|link>*", "**bold [link](https://x.org)**"),
        ("x &lt; y &amp;&amp; y &gt; z &quot;", 'x < y && y > z &quot;'),
        ("`*not bold* &lt;b&gt;`", "`*not bold* <b>`"),
        ("```\n*keep* <@U1>\n```", "```\n*keep* <@U1>\n```"),
        ("Grüße 日本語 😀", "Grüße 日本語 😀"),
        ("<mailto:a@b.org|a@b.org>", "[a@b.org](mailto:a@b.org)"),
        ("<https://x.org/?a=1&amp;b=2|q [1]>", "[q \\[1\\]](https://x.org/?a=1&b=2)"),
    ],
)  # fmt: skip
def test_message_to_markdown(text: str, markdown: str) -> None:
    assert message_to_markdown(text, USERS) == markdown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I deploy to prod", True),
        ("<@U1> could you look at the build", True),
        ("anyone seen this error before", True),
        ("Any idea why CI is red", True),
        ("help: the VPN is down", True),
        ("Is staging down", True),
        ("the build is broken?", True),
        ("Deployed v1.2", False),
        ("See <https://x.org/?q=1|this> for details", False),
        ("https://x.org/search?q=1 is the link", False),
        ("Howdy all", False),
        ("", False),
    ],
)
def test_looks_like_question(text: str, expected: bool) -> None:
    assert looks_like_question(text) is expected
