"""The Stack Exchange reader on a built dump, on broken ones, and on the real dumps."""

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests import shared_data
from tests.imports import builders
from trellis.imports.records import SEPost
from trellis.imports.safety import ImportFileError
from trellis.imports.stackexchange_reader import StackExchangeDump, parse_tags

DAY = "2018-01-01T00:00:00"


@pytest.fixture
def dump(tmp_path: Path) -> StackExchangeDump:
    return StackExchangeDump(builders.write_se_dump(tmp_path / "quantumcomputing-2018"))


def test_users(dump: StackExchangeDump) -> None:
    users = {u.source_id: u for u in dump.users()}
    assert sorted(users) == [-1, 7, 8]
    jurgen = users[7]
    assert jurgen.display_name == "Jürgen 日本語"
    assert jurgen.created_at == datetime(2018, 1, 2, 10, 0, 0, 123000, tzinfo=UTC)
    assert (jurgen.reputation, jurgen.location, jurgen.website_url) == (
        101,
        "Köln",
        "https://example.org",
    )
    assert jurgen.account_id == 70
    assert users[-1].about_html == "<p>I am a bot</p>"
    assert (users[8].location, users[8].about_html, users[8].account_id) == ("", "", None)


def test_posts(dump: StackExchangeDump) -> None:
    posts = {p.source_id: p for p in dump.posts()}
    assert sorted(posts) == [1, 2, 3, 6]
    assert dump.skipped_post_types == {4: 1, 5: 1}
    q = posts[1]
    assert (q.kind, q.title, q.tags, q.accepted_answer_source_id) == (
        "question",
        "How do I 🚀?",
        ("python", "c++"),
        2,
    )
    assert q.body_html == '<p>Grüße? <code>a < b && "c"</code></p>\n'
    assert (q.score, q.view_count, q.owner_source_id) == (3, 40, 7)
    assert q.created_at == datetime(2018, 2, 1, 12, 0, 0, 500000, tzinfo=UTC)
    assert q.last_edited_at == datetime(2018, 2, 2, tzinfo=UTC)
    assert q.last_activity_at == datetime(2018, 2, 3, tzinfo=UTC)
    assert q.closed_at is None and q.community_owned_at is None
    a = posts[2]
    assert (a.kind, a.parent_source_id, a.title, a.tags, a.view_count) == ("answer", 1, "", (), 0)
    deleted = posts[3]
    assert (deleted.owner_source_id, deleted.owner_display_name) == (None, "deleted-user")
    dup = posts[6]
    assert dup.tags == ("python",)
    assert dup.closed_at == datetime(2018, 3, 2, tzinfo=UTC)
    assert dup.community_owned_at == datetime(2018, 3, 3, tzinfo=UTC)


def test_comments_votes_links_tags(dump: StackExchangeDump) -> None:
    comments = list(dump.comments())
    assert [(c.source_id, c.post_source_id, c.user_source_id) for c in comments] == [
        (10, 1, 8),
        (11, 2, None),
    ]
    assert comments[0].text == "Nice & clear"
    assert comments[1].user_display_name == "anon"
    votes = list(dump.votes())
    assert [(v.vote_type_id, v.user_source_id, v.bounty_amount) for v in votes] == [
        (2, None, None),
        (1, None, None),
        (8, 7, 50),
    ]
    assert votes[0].created_at == datetime(2018, 2, 1, tzinfo=UTC)
    [link] = dump.post_links()
    assert (link.post_source_id, link.related_post_source_id, link.link_type_id) == (6, 1, 3)
    assert [(t.name, t.count) for t in dump.tags()] == [("python", 2), ("c++", 1)]
    assert dump.count_rows("Votes.xml") == 3
    assert dump.count_rows("PostHistory.xml") == 0


def test_records_are_frozen(dump: StackExchangeDump) -> None:
    post = next(dump.posts())
    assert type(post) is SEPost
    assert post == SEPost(**{f.name: getattr(post, f.name) for f in fields(SEPost)})
    with pytest.raises(AttributeError):
        post.score = 99  # type: ignore[misc]  # the frozen dataclass refusing it is the point

    assert hash(post) == hash(next(dump.posts()))


def test_optional_files_may_be_missing(tmp_path: Path) -> None:
    dump = StackExchangeDump(builders.write_se_dump(tmp_path / "x", optional=False))
    assert (list(dump.votes()), list(dump.comments()), list(dump.post_links())) == ([], [], [])
    assert list(dump.tags()) == []
    assert dump.count_rows("Votes.xml") == 0
    assert len(list(dump.posts())) == 4


@pytest.mark.parametrize("missing", ["Posts.xml", "Users.xml"])
def test_required_files(tmp_path: Path, missing: str) -> None:
    root = builders.write_se_dump(tmp_path / "mydump")
    (root / missing).unlink()
    with pytest.raises(ImportFileError) as e:
        StackExchangeDump(root)
    assert e.value.path == missing
    assert "'mydump' is not a Stack Exchange dump" in str(e.value)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"Id": "x1", "PostTypeId": 1, "CreationDate": DAY}, "Id='x1' is not an integer"),
        ({"Id": 1, "PostTypeId": 1, "CreationDate": "today"}, "CreationDate='today' is not a date"),
        ({"Id": 1, "PostTypeId": 1}, "the row has no CreationDate attribute"),
        ({"Id": 1, "PostTypeId": "q", "CreationDate": DAY}, "PostTypeId='q' is not an integer"),
        ({"Id": 1, "PostTypeId": 7, "CreationDate": DAY}, None),
        ({"Id": 1, "PostTypeId": 2, "CreationDate": DAY, "Score": "1.5"}, "Score='1.5'"),
    ],
)  # fmt: skip
def test_bad_attributes_name_file_line_and_attribute(
    tmp_path: Path, row: dict[str, object], message: str | None
) -> None:
    root = builders.write_se_dump(tmp_path / "d")
    (root / "Posts.xml").write_bytes(builders.xml_rows([*builders.SE_POSTS[:2], row], "posts"))
    dump = StackExchangeDump(root)
    if message is None:
        assert len(list(dump.posts())) == 2
        assert dump.skipped_post_types == {7: 1}
        return
    with pytest.raises(ImportFileError) as e:
        list(dump.posts())
    assert (e.value.path, e.value.line) == ("Posts.xml", 5)
    assert message in e.value.reason


def test_bad_vote_and_user(tmp_path: Path) -> None:
    root = builders.write_se_dump(tmp_path / "d")
    (root / "Votes.xml").write_bytes(builders.xml_rows([{"Id": 1, "PostId": 2}], "votes"))
    (root / "Users.xml").write_bytes(
        builders.xml_rows([{"Id": 1, "CreationDate": "2018-13-45"}], "users")
    )
    dump = StackExchangeDump(root)
    with pytest.raises(ImportFileError, match=r"Votes.xml, line 3: the row has no VoteTypeId"):
        list(dump.votes())
    with pytest.raises(ImportFileError, match=r"Users.xml, line 3: CreationDate='2018-13-45'"):
        list(dump.users())


def test_hostile_posts_file(tmp_path: Path) -> None:
    root = builders.write_se_dump(tmp_path / "d")
    (root / "Posts.xml").write_bytes(builders.BILLION_LAUGHS)
    with pytest.raises(ImportFileError, match="entities"):
        list(StackExchangeDump(root).posts())
    (root / "Posts.xml").write_bytes(builders.truncated_posts())
    posts = StackExchangeDump(root).posts()
    assert next(posts).source_id == 1  # rows before the damage stream out first
    with pytest.raises(ImportFileError, match=r"truncated"):
        list(posts)


def test_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "dump.7z").write_bytes(b"7z")
    with pytest.raises(ImportFileError, match="is not a folder"):
        StackExchangeDump(tmp_path / "dump.7z")


def test_tag_forms() -> None:
    assert parse_tags("<python><c++>") == ("python", "c++")
    assert parse_tags("|python|c++|") == ("python", "c++")
    assert parse_tags("|python||c++|") == ("python", "c++")
    assert parse_tags("") == ()


@pytest.mark.parametrize(
    ("folder", "name", "url"),
    [
        ("quantumcomputing-2018", "quantumcomputing", "https://quantumcomputing.stackexchange.com"),
        ("devops-meta-2017", "devops-meta", "https://devops.meta.stackexchange.com"),
        ("conlang.meta.stackexchange.com", "conlang-meta", "https://conlang.meta.stackexchange.com"),
        ("stackoverflow", "stackoverflow", "https://stackoverflow.com"),
        ("meta-superuser-2024-04", "meta-superuser", "https://meta.superuser.com"),
        ("ru-stackoverflow", "ru-stackoverflow", "https://ru.stackoverflow.com"),
        ("mathoverflow.net", "mathoverflow", "https://mathoverflow.net"),
        ("meta", "meta", "https://meta.stackexchange.com"),
    ],
)  # fmt: skip
def test_site_name_and_url(tmp_path: Path, folder: str, name: str, url: str) -> None:
    dump = StackExchangeDump(builders.write_se_dump(tmp_path / folder, optional=False))
    assert (dump.site_name(), dump.site_url()) == (name, url)


# The real dumps ------------------------------------------------------------------------------


def naive_rows(path: Path) -> list[dict[str, str]]:
    """An independent reading with the standard library, for the expectations."""
    if not path.exists():
        return []
    tree = ET.parse(path)  # noqa: S314 (the shared reference dumps, not an upload)
    return [dict(row.attrib) for row in tree.getroot().iter("row")]


@pytest.mark.parametrize("name", shared_data.dump_names())
def test_real_dump_matches_naive_parse(name: str) -> None:
    root = shared_data.stackexchange_dump(name)  # skips when missing (fails in CI)
    dump = StackExchangeDump(root)
    raw_posts = naive_rows(root / "Posts.xml")
    types = Counter(int(r["PostTypeId"]) for r in raw_posts)
    posts = list(dump.posts())
    assert Counter(p.kind for p in posts) == {"question": types[1], "answer": types[2]}
    assert dump.skipped_post_types == {t: n for t, n in types.items() if t not in (1, 2)}
    by_id = {r["Id"]: r for r in raw_posts}
    for post in posts:
        raw = by_id[str(post.source_id)]
        assert post.body_html == raw["Body"]
        assert post.title == raw.get("Title", "")
        assert post.owner_source_id == (int(raw["OwnerUserId"]) if "OwnerUserId" in raw else None)
        assert post.created_at.isoformat().startswith(raw["CreationDate"][:19])
        assert post.created_at.tzinfo is UTC
        tags = raw.get("Tags", "")
        assert post.tags == tuple(re.findall(r"<([^<>]+)>", tags) or filter(None, tags.split("|")))
    assert sum(1 for p in posts if p.accepted_answer_source_id) == sum(
        1 for r in raw_posts if "AcceptedAnswerId" in r
    )

    raw_users = naive_rows(root / "Users.xml")
    users = list(dump.users())
    assert [u.source_id for u in users] == [int(r["Id"]) for r in raw_users]
    assert -1 in {u.source_id for u in users}

    raw_votes = naive_rows(root / "Votes.xml")
    votes = list(dump.votes())
    assert len(votes) == len(raw_votes)
    assert Counter(v.vote_type_id for v in votes) == Counter(
        int(r["VoteTypeId"]) for r in raw_votes
    )
    assert sum(v.user_source_id is not None for v in votes) == sum("UserId" in r for r in raw_votes)

    assert len(list(dump.comments())) == len(naive_rows(root / "Comments.xml"))
    links = list(dump.post_links())
    raw_links = naive_rows(root / "PostLinks.xml")
    assert Counter(x.link_type_id for x in links) == Counter(
        int(r["LinkTypeId"]) for r in raw_links
    )
    assert [t.name for t in dump.tags()] == [r["TagName"] for r in naive_rows(root / "Tags.xml")]

    for name in ("Posts.xml", "Users.xml", "Votes.xml", "Comments.xml", "Badges.xml"):
        assert dump.count_rows(name) == len(naive_rows(root / name)), name
