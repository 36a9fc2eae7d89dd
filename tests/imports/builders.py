"""Small exports in the documented formats, written into a test's tmp_path, plus hostile ones.

The builders write the formats independently of the readers (their own escaping, their own
zulip-archive file naming), so that a reader bug is not mirrored by its fixture.
"""

import json
import stat
import struct
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

# Stack Exchange ------------------------------------------------------------------------------


def xml_rows(rows: list[dict[str, Any]], root: str) -> bytes:
    """A dump file as Stack Exchange writes it: BOM, declaration, one <row .../> a line."""
    lines = ['\ufeff<?xml version="1.0" encoding="utf-8"?>', f"<{root}>"]
    for row in rows:
        attrs = " ".join(
            f'{k}="{escape(str(v), {'"': "&quot;", "\n": "&#xA;"})}"' for k, v in row.items()
        )
        lines.append(f"  <row {attrs} />")
    lines.append(f"</{root}>")
    return ("\n".join(lines) + "\n").encode("utf-8")


SE_USERS = [
    {"Id": -1, "Reputation": 1, "CreationDate": "2018-01-01T00:00:00.000",
     "DisplayName": "Community", "AboutMe": "<p>I am a bot</p>", "AccountId": -1},
    {"Id": 7, "Reputation": 101, "CreationDate": "2018-01-02T10:00:00.123",
     "DisplayName": "Jürgen 日本語", "Location": "Köln", "WebsiteUrl": "https://example.org",
     "AccountId": 70},
    {"Id": 8, "Reputation": 5, "CreationDate": "2018-01-03T10:00:00.000", "DisplayName": "Bo"},
]  # fmt: skip

SE_POSTS = [
    {"Id": 1, "PostTypeId": 1, "AcceptedAnswerId": 2, "CreationDate": "2018-02-01T12:00:00.500",
     "Score": 3, "ViewCount": 40, "Body": '<p>Grüße? <code>a < b && "c"</code></p>\n',
     "OwnerUserId": 7, "LastEditDate": "2018-02-02T00:00:00.000",
     "LastActivityDate": "2018-02-03T00:00:00.000", "Title": "How do I 🚀?",
     "Tags": "<python><c++>", "AnswerCount": 2},
    {"Id": 2, "PostTypeId": 2, "ParentId": 1, "CreationDate": "2018-02-01T13:00:00.000",
     "Score": 5, "Body": "<p>Like this.</p>", "OwnerUserId": 8},
    {"Id": 3, "PostTypeId": 2, "ParentId": 1, "CreationDate": "2018-02-01T14:00:00.000",
     "Score": -1, "Body": "<p>Gone.</p>", "OwnerDisplayName": "deleted-user"},
    {"Id": 4, "PostTypeId": 4, "CreationDate": "2018-02-01T14:00:00.000", "Score": 0,
     "Body": "excerpt"},
    {"Id": 5, "PostTypeId": 5, "CreationDate": "2018-02-01T14:00:00.000", "Score": 0,
     "Body": "wiki"},
    {"Id": 6, "PostTypeId": 1, "CreationDate": "2018-03-01T00:00:00.000", "Score": 0,
     "ViewCount": 1, "Body": "<p>Dup</p>", "OwnerUserId": 8, "Title": "Dup",
     "Tags": "|python|", "ClosedDate": "2018-03-02T00:00:00.000",
     "CommunityOwnedDate": "2018-03-03T00:00:00.000"},
]  # fmt: skip

SE_COMMENTS = [
    {"Id": 10, "PostId": 1, "Score": 1, "Text": "Nice & clear", "UserId": 8,
     "CreationDate": "2018-02-01T12:30:00.000"},
    {"Id": 11, "PostId": 2, "Score": 0, "Text": "old", "UserDisplayName": "anon",
     "CreationDate": "2018-02-01T12:31:00.000"},
]  # fmt: skip

SE_VOTES = [
    {"Id": 1, "PostId": 1, "VoteTypeId": 2, "CreationDate": "2018-02-01T00:00:00.000"},
    {"Id": 2, "PostId": 2, "VoteTypeId": 1, "CreationDate": "2018-02-01T00:00:00.000"},
    {"Id": 3, "PostId": 1, "VoteTypeId": 8, "UserId": 7, "BountyAmount": 50,
     "CreationDate": "2018-02-02T00:00:00.000"},
]  # fmt: skip

SE_LINKS = [
    {"Id": 1, "CreationDate": "2018-03-01T00:00:00.000", "PostId": 6, "RelatedPostId": 1,
     "LinkTypeId": 3},
]  # fmt: skip

SE_TAGS = [
    {"Id": 1, "TagName": "python", "Count": 2},
    {"Id": 2, "TagName": "c++", "Count": 1},
]


def write_se_dump(root: Path, *, optional: bool = True) -> Path:
    """A small complete dump; optional=False leaves out Votes, Comments, PostLinks and Tags."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Users.xml").write_bytes(xml_rows(SE_USERS, "users"))
    (root / "Posts.xml").write_bytes(xml_rows(SE_POSTS, "posts"))
    if optional:
        (root / "Comments.xml").write_bytes(xml_rows(SE_COMMENTS, "comments"))
        (root / "Votes.xml").write_bytes(xml_rows(SE_VOTES, "votes"))
        (root / "PostLinks.xml").write_bytes(xml_rows(SE_LINKS, "postlinks"))
        (root / "Tags.xml").write_bytes(xml_rows(SE_TAGS, "tags"))
        (root / "Badges.xml").write_bytes(xml_rows([{"Id": 1, "Name": "x"}], "badges"))
    return root


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE posts [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2018-01-01T00:00:00.000" Body="&lol9;" />
</posts>
"""

XXE = b"""\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>
<!-- a comment first, to get past naive checks -->
<!DOCTYPE posts [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2018-01-01T00:00:00.000" Body="&secret;" />
</posts>
"""


INJECTED = "INJECTED-BY-ENTITY"


def entity_posts(codec: str, encoding: str | None) -> bytes:
    """Posts.xml without a BOM in `codec`, its declaration naming `encoding` (None: none named,
    left to the parser's detection from the first bytes), with a DOCTYPE that declares an
    internal entity a post body uses. Raw bytes never show b"<!DOCTYPE" or b"<!ENTITY"."""
    declared = f' encoding="{encoding}"' if encoding else ""
    text = (
        f'<?xml version="1.0"{declared}?>\n'
        f'<!DOCTYPE posts [ <!ENTITY e "{INJECTED}"> ]>\n'
        "<posts>\n"
        '  <row Id="1" PostTypeId="1" CreationDate="2018-01-01T00:00:00.000" Score="0" '
        'Title="Hello" Body="&e;" />\n'
        "</posts>\n"
    )
    if codec == "utf-7":  # ASCII-looking bytes, "<" and "!" written as "+ADw-" and "+ACE-"
        return text.replace("<!", "+ADwAIQ-").encode("ascii")
    return text.encode(codec)


def truncated_posts() -> bytes:
    data = xml_rows(SE_POSTS, "posts")
    return data[: data.index(b'<row Id="3"') + 30]


def latin1_posts() -> bytes:
    """Posts.xml declared UTF-8 with a Latin-1 "ü" on line 4."""
    return xml_rows(SE_POSTS, "posts").replace("Grüße".encode(), "Grüße".encode("latin-1"))


# Slack ---------------------------------------------------------------------------------------

SLACK_USERS = [
    {"id": "U1", "name": "ann", "real_name": "Ann Åberg", "deleted": False, "is_bot": False,
     "profile": {"email": "ann@example.org", "real_name": "Ann Åberg", "display_name": "annie",
                 "title": "Engineer"}},
    {"id": "U2", "name": "bob", "deleted": True, "is_bot": False,
     "profile": {"real_name": "Bob 日本語", "display_name": "", "title": ""}},
    {"id": "B1", "name": "deploybot", "deleted": False, "is_bot": True,
     "profile": {"real_name": "Deploy Bot"}},
]  # fmt: skip

SLACK_CHANNELS = [
    {"id": "C1", "name": "general", "created": 1700000000, "creator": "U1",
     "is_archived": False, "is_general": True, "members": ["U1", "U2"],
     "topic": {"value": "Everything", "creator": "U1", "last_set": 0},
     "purpose": {"value": "Talk 😀", "creator": "U1", "last_set": 0}},
    {"id": "C2", "name": "old-stuff", "created": 1600000000, "creator": "U2",
     "is_archived": True, "members": [], "topic": {"value": ""}, "purpose": {"value": ""}},
]  # fmt: skip

DAY1 = [
    {"type": "message", "subtype": "channel_join", "user": "U2", "text": "<@U2> has joined",
     "ts": "1704153600.000100"},
    {"type": "message", "user": "U1", "text": "How do I *deploy* to <https://x.org|prod>?",
     "ts": "1704153700.000200", "thread_ts": "1704153700.000200", "reply_count": 2,
     "replies": [{"user": "U2", "ts": "1704153800.000300"}],
     "user_profile": {"real_name": "Ann Åberg", "display_name": "annie", "name": "ann"},
     "reactions": [{"name": "eyes", "users": ["U2", "U9"], "count": 2},
                   {"name": "+1", "users": ["U2"]}]},
    {"type": "message", "user": "U2", "text": "Grüße, use the button", "ts": "1704153800.000300",
     "thread_ts": "1704153700.000200", "parent_user_id": "U1",
     "edited": {"user": "U2", "ts": "1704153900.000000"}},
    {"type": "message", "subtype": "bot_message", "bot_id": "B1", "username": "deploybot",
     "text": "Deployed v1.2 :rocket:", "ts": "1704154000.000400"},
    {"type": "message", "user": "U404", "text": "日本語 from a stranger",
     "ts": "1704154100.000500", "user_profile": {"real_name": "Stranger", "name": "stranger"}},
]  # fmt: skip

DAY2 = [
    {"type": "message", "user": "U1", "text": "Thanks! also sent to channel",
     "subtype": "thread_broadcast", "ts": "1704240000.000100", "thread_ts": "1704153700.000200"},
    {"type": "message", "subtype": "tombstone", "user": "USLACKBOT",
     "text": "This message was deleted.", "ts": "1704240100.000000",
     "thread_ts": "1704240100.000000", "reply_count": 1},
    {"type": "message", "user": "U2", "text": "orphan reply", "ts": "1704240200.000000",
     "thread_ts": "1704240100.000000"},
    {"type": "message", "subtype": "channel_topic", "user": "U1", "text": "set the topic",
     "ts": "1704240300.000000"},
    {"type": "message", "subtype": "file_share", "user": "U1", "text": "",
     "files": [{"id": "F1", "name": "plan.pdf"}], "ts": "1704240400.000000"},
]  # fmt: skip


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def write_slack_export(root: Path) -> Path:
    """A workspace export folder: two public channels, one DM that must never be read."""
    _write_json(root / "users.json", SLACK_USERS)
    _write_json(root / "channels.json", SLACK_CHANNELS)
    _write_json(root / "general" / "2024-01-02.json", DAY1)
    _write_json(root / "general" / "2024-01-03.json", DAY2)
    _write_json(root / "dms.json", [{"id": "D1", "members": ["U1", "U2"]}])
    _write_json(root / "D1" / "2024-01-02.json", [{"type": "message", "text": "private"}])
    _write_json(root / "mpims.json", [])
    _write_json(root / "groups.json", [])
    (root / "general" / "notes.txt").write_text("not a day file")
    return root


def zip_folder(folder: Path, target: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def zip_with(target: Path, members: dict[str, bytes], *, symlinks: tuple[str, ...] = ()) -> Path:
    """A zip with the given raw member names (unchecked), some of them marked as symlinks."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return target


def zip_bomb(target: Path, *, megabytes: int = 20) -> Path:
    """One member of zeros: ~20 MB that deflates to ~20 KB (about 1000:1)."""
    return zip_with(
        target,
        {
            "channels.json": b"[]",
            "users.json": b"[]",
            "general/2024-01-01.json": bytes(megabytes << 20),
        },
    )


def zip_lying_about_size(target: Path) -> Path:
    """A member whose headers claim 2 bytes but which inflates to 100 KB."""
    zip_with(target, {"channels.json": b"[" + b" " * 100_000 + b"]", "users.json": b"[]"})
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as zf:
        info = zf.getinfo("channels.json")
    # local header: uncompressed size at offset 22; central directory entry: at offset 24
    struct.pack_into("<I", data, info.header_offset + 22, 2)
    central = data.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == b"channels.json":
            struct.pack_into("<I", data, central + 24, 2)
            break
        central = data.index(b"PK\x01\x02", central + 46)
    target.write_bytes(bytes(data))
    return target


# Zulip ---------------------------------------------------------------------------------------


def archive_topic_stem(topic: str) -> str:
    """zulip-archive's lib/url.py sanitize_topic, written out again here on purpose."""
    return urllib.parse.quote(topic, safe="~()*!.'").replace(".", "%2E").replace("%", ".")


def archive_stream_dir(name: str, stream_id: int) -> str:
    ascii_name = name.encode("ascii", "ignore").decode("utf-8")
    return f"{stream_id}-" + ascii_name.replace(" ", "-")


def _ascii_alnum(text: str) -> str:
    return "".join(c for c in text.encode("ascii", "ignore").decode("ascii") if c.isalnum())


def zulip_dot_stem(topic: str) -> str:
    """Zulip's own URL "dot-encoding" (hash_util_encode): nothing is kept, so "(" is ".28",
    ")" ".29", "'" ".27", "&" ".26", "!" ".21" and "*" ".2A"."""
    return urllib.parse.quote(topic, safe="").replace(".", "%2E").replace("%", ".")


def percent_stem(topic: str) -> str:
    """Plain percent-encoding ("&" as "%26"), as a copy made with urllib.parse.quote has it."""
    return urllib.parse.quote(topic, safe="")


def raw_stem(topic: str) -> str:
    """The topic as it is ("/" makes a sub-folder, as a plain open() would)."""
    return topic


def adler32_stem(topic: str) -> str:
    """Early zulip-archive (archive.py, lib/common.py): five digits of the name's Adler-32
    checksum, then its ASCII letters and digits."""
    return str(zlib.adler32(topic.encode("utf-8")) % (10**5)).zfill(5) + _ascii_alnum(topic)


def adler32_stream_dir(name: str, stream_id: int) -> str:
    return f"{stream_id}" + _ascii_alnum(name)


# How each version of zulip-archive (or a copy of its output) names topic files and stream
# folders: (topic file stem, stream folder).
ZULIP_NAMINGS: dict[str, tuple[Callable[[str], str], Callable[[str, int], str]]] = {
    "zulip-archive": (archive_topic_stem, archive_stream_dir),  # lib/url.py, the current one
    "zulip-dot": (zulip_dot_stem, archive_stream_dir),
    "percent": (percent_stem, archive_stream_dir),
    "raw": (raw_stem, archive_stream_dir),
    "adler32": (adler32_stem, adler32_stream_dir),
}


ZULIP_STREAMS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "general": {
        "✔ deploy fails": [
            {"content": "<p>Fixed, see <code>ci.yml</code></p>", "id": 12,
             "sender_full_name": "Ann Åberg", "timestamp": 1700000300, "avatar_url": None},
            {"content": "<p>Deploy fails on main?</p>", "id": 10,
             "sender_full_name": "Bob", "timestamp": 1700000000},
        ],
        "a/b testing & more.v2": [
            {"content": "<p>Grüße 😀</p>", "id": 20, "sender_full_name": "Ann Åberg",
             "timestamp": 1700001000},
        ],
    },
    "Équipe 日本": {
        "日本語": [
            {"content": "<p>こんにちは</p>", "id": 30, "sender_full_name": "Kenji",
             "timestamp": 1700002000},
        ],
        "Q&A: it's (really) 100% done!*~": [
            {"content": "<p>Merci à tous.</p>", "id": 40, "sender_full_name": "Kenji",
             "timestamp": 1700003000},
        ],
    },
}  # fmt: skip
ZULIP_IDS = {"general": 7, "Équipe 日本": 9}


def write_zulip_archive(root: Path, *, naming: str = "zulip-archive") -> Path:
    """root/zulip_json/... as zulip-archive writes it, files named as in ZULIP_NAMINGS[naming];
    returns root."""
    json_root = root / "zulip_json"
    topic_stem, stream_dir = ZULIP_NAMINGS[naming]
    streams = {}
    for stream, topics in ZULIP_STREAMS.items():
        stream_id = ZULIP_IDS[stream]
        topic_data = {}
        for topic, messages in topics.items():
            folder = json_root / stream_dir(stream, stream_id)
            _write_json(folder / f"{topic_stem(topic)}.json", messages)
            last = max(messages, key=lambda m: m["id"])
            topic_data[topic] = {"size": len(messages), "latest_date": last["timestamp"]}
        latest = max(m["id"] for ms in topics.values() for m in ms)
        streams[stream] = {"id": stream_id, "latest_id": latest, "topic_data": topic_data}
    _write_json(json_root / "stream_index.json", {"streams": streams, "time": 1700009999.5})
    return root
