"""Reading a zulip-archive JSON folder (github.com/zulip/zulip-archive) as records.

Layout, as zulip-archive's lib/populate.py writes it:

    zulip_json/stream_index.json
        {"streams": {name: {"id": 7, "latest_id": 123,
                            "topic_data": {topic: {"size": 3, "latest_date": 1700000000}}}},
         "time": 1700000000.0}
    zulip_json/<id>-<sanitized stream name>/<escaped topic>.json
        [{"content": "<p>html</p>", "id": 1, "sender_full_name": "Ann", "timestamp": 1700000000}]

zulip-archive has named the files in more than one way over its versions, and archives are
copied and re-zipped by other tools, so a topic's file is looked for under every spelling:

- later versions (lib/common.py, then lib/url.py): `sanitize_topic` percent-encodes the topic
  keeping "~()*!.'", then writes "." as ".2E" and "%" as "." (so "&" is ".26" and "(" stays
  "("); `sanitize_stream` keeps the ASCII of the name with spaces as "-" ("7-general").
- Zulip's own URL "dot-encoding" (hash_util_encode), which keeps nothing: "(" is ".28",
  ")" ".29", "'" ".27", "!" ".21", "*" ".2A".
- early versions (archive.py, then lib/common.py): five digits of the topic's Adler-32
  checksum then its ASCII letters and digits ("01234lunch"), in a folder named by the id and
  the stream's letters and digits ("7general").
- plain percent-encoding ("%26"), or the raw name, as copies made by other tools have it; and
  any of these in Unicode's decomposed form (folders zipped on a Mac).

In each stream folder the spelling that explains most of the folder's files is tried first,
so that one topic's encoded name cannot take the file that is another topic's raw name; a
file belongs to one topic only. A stream may have several folders (renamed, or written by two
versions of the tool): a topic's messages are gathered from all of them, once per message id.

zulip-archive only archives public streams. Topics whose name starts with "✔ " were resolved
in Zulip.
"""

import contextlib
import unicodedata
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from trellis.imports.records import ZulipMessage, ZulipStream, ZulipTopic
from trellis.imports.safety import (
    MAX_JSON_BYTES,
    FolderSource,
    ImportFileError,
    check_relative_name,
    epoch_to_datetime,
)

RESOLVED_PREFIX = "✔ "
INDEX = "stream_index.json"


class MissingTopicFile(ImportFileError):
    """A topic listed in stream_index.json has no file under any spelling: the import rejects
    that topic and goes on. `path` is the file looked for under the current spelling."""

    def __init__(self, path: str, *, stream: str, topic: str) -> None:
        super().__init__(
            path,
            f"the topic {topic!r} of stream {stream!r} is in stream_index.json but its file is "
            "missing (looked for it under every spelling zulip-archive has used)",
        )
        self.stream = stream
        self.topic = topic


def _dot_encode(quoted: str) -> str:
    return quoted.replace(".", "%2E").replace("%", ".")


def escape_topic(topic: str) -> str:
    """A topic's file name stem, exactly as zulip-archive's sanitize_topic makes it."""
    return _dot_encode(urllib.parse.quote(topic, safe="~()*!.'"))


def unescape_topic(stem: str) -> str:
    """The inverse of escape_topic: every "." in a stem stands for a "%"."""
    return urllib.parse.unquote(stem.replace(".", "%"), errors="strict")


def zulip_dot_topic(topic: str) -> str:
    """Zulip's own URL encoding of a topic, which keeps none of "()'!*": "(" is ".28"."""
    return _dot_encode(urllib.parse.quote(topic, safe=""))


def _ascii_alnum(text: str) -> str:
    return "".join(c for c in text.encode("ascii", "ignore").decode("ascii") if c.isalnum())


def adler32_topic(topic: str) -> str:
    """Early zulip-archive's sanitize_topic: an Adler-32 checksum's last five digits, then the
    topic's ASCII letters and digits."""
    return f"{zlib.adler32(topic.encode('utf-8')) % 100_000:05d}{_ascii_alnum(topic)}"


# Every spelling of a topic's file name stem, in the order they are tried when a folder's
# files do not say which one it uses.
TOPIC_SPELLINGS: tuple[Callable[[str], str], ...] = (
    escape_topic,
    zulip_dot_topic,
    adler32_topic,
    lambda topic: urllib.parse.quote(topic, safe="~()*!.'"),
    lambda topic: urllib.parse.quote(topic, safe=""),
    lambda topic: topic,
)


def _decodings(stem: str) -> set[str]:
    """The topic names a file stem can stand for (dot-encoded, percent-encoded, raw)."""
    names = {stem}
    for quoted in (stem.replace(".", "%"), stem):
        with contextlib.suppress(UnicodeDecodeError):  # not an encoding of UTF-8 text
            names.add(urllib.parse.unquote(quoted, errors="strict"))
    return {unicodedata.normalize("NFC", name) for name in names}


def assign_files(stems: Mapping[str, str], topics: Iterable[str]) -> dict[str, str]:
    """Which file of one folder ({stem: file name}) holds which topic; a file goes to one
    topic only, and the spelling that explains most of the folder's files is tried first
    (in a raw-named folder, topic "a b" percent-encoded is "a%20b", another topic's raw name).
    """
    topics = list(topics)
    found: dict[str, str] = {}
    claimed: set[str] = set()

    def take(topic: str, stem: str) -> None:
        name = stems.get(stem)
        if topic not in found and name is not None and name not in claimed:
            claimed.add(name)
            found[topic] = name

    if not stems:
        return found
    ranked = sorted(TOPIC_SPELLINGS, key=lambda spell: -sum(spell(t) in stems for t in topics))
    for spell in ranked:
        for topic in topics:
            take(topic, spell(topic))
    # Whatever else decodes to a topic's name (other kept characters, decomposed Unicode).
    wanted = {unicodedata.normalize("NFC", topic): topic for topic in topics}
    for stem in stems:
        for decoded in sorted(_decodings(stem)):
            if decoded in wanted:
                take(wanted[decoded], stem)
    return found


def sanitize_stream(name: str, stream_id: int) -> str:
    """A stream's folder name, as zulip-archive's sanitize_stream makes it: "7-general".

    zulip-archive's filter calls `x.isalnum` without parentheses (always true), so in effect
    it keeps every ASCII character; we reproduce that, and fall back on the "<id>-" prefix.
    """
    return f"{stream_id}-" + name.encode("ascii", "ignore").decode("ascii").replace(" ", "-")


def adler32_stream(name: str, stream_id: int) -> str:
    """A stream's folder name as early zulip-archive made it: "7general"."""
    return f"{stream_id}{_ascii_alnum(name)}"


def split_resolved(topic: str) -> tuple[str, bool]:
    if topic.startswith(RESOLVED_PREFIX):
        return topic.removeprefix(RESOLVED_PREFIX), True
    return topic, False


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ZulipArchive:
    """A zulip-archive JSON folder: give the folder holding zulip_json/, or zulip_json itself."""

    def __init__(self, root: Path, *, max_json_bytes: int = MAX_JSON_BYTES) -> None:
        json_root = root / "zulip_json" if (root / "zulip_json" / INDEX).is_file() else root
        if not (json_root / INDEX).is_file():
            raise ImportFileError(
                f"zulip_json/{INDEX}",
                f"the file is missing, so {root.name!r} is not a zulip-archive folder",
            )
        self.source = FolderSource(json_root, max_file_bytes=max_json_bytes)
        self._folders: dict[str, dict[str, str]] | None = None
        self._assigned: dict[tuple[int, str, tuple[str, ...]], dict[str, list[str]]] = {}

    def _index(self) -> Mapping[str, Any]:
        index = self.source.read_json(INDEX)
        if not isinstance(index, dict) or not isinstance(index.get("streams"), dict):
            raise ImportFileError(INDEX, 'expected an object with "streams"')
        return index

    def streams(self) -> Iterator[ZulipStream]:
        """Streams and their topics, in the index's order."""
        for name, data in self._index()["streams"].items():
            stream_id = _int(data.get("id")) if isinstance(data, dict) else None
            topic_data = data.get("topic_data") if isinstance(data, dict) else None
            if stream_id is None or not isinstance(topic_data, dict):
                raise ImportFileError(INDEX, f"stream {name!r} has no id or topic_data")
            topics = []
            for raw_topic, info in topic_data.items():
                info = info if isinstance(info, dict) else {}
                topic, resolved = split_resolved(raw_topic)
                latest = info.get("latest_date")
                topics.append(
                    ZulipTopic(
                        name=topic,
                        resolved=resolved,
                        size=_int(info.get("size")) or 0,
                        latest_id=_int(info.get("latest_id")),
                        latest_at=None if latest is None else epoch_to_datetime(latest, INDEX),
                    )
                )
            yield ZulipStream(source_id=stream_id, name=name, topics=tuple(topics))

    # Finding a topic's files ---------------------------------------------------------------

    def _json_files(self) -> dict[str, dict[str, str]]:
        """The .json files below each top-level folder: {folder: {path inside, without
        ".json": name relative to zulip_json/}}."""
        if self._folders is None:
            self._folders = {}
            for name in self.source.names():
                folder, sep, rest = name.partition("/")
                if sep and rest.endswith(".json"):
                    self._folders.setdefault(folder, {})[rest.removesuffix(".json")] = name
        return self._folders

    def stream_folders(self, stream: ZulipStream) -> list[str]:
        """The folders that hold the stream's topics: named as each version names them, or
        (renamed streams, other versions) any top-level folder starting with its id."""
        exact = [
            check_relative_name(sanitize_stream(stream.name, stream.source_id)),
            check_relative_name(adler32_stream(stream.name, stream.source_id)),
        ]
        prefix = str(stream.source_id)
        by_id = sorted(
            folder
            for folder in self._json_files()
            if folder.startswith(prefix) and not folder[len(prefix) :][:1].isdigit()
        )
        return list(dict.fromkeys([*exact, *by_id]))

    def _stems(self, folder: str) -> dict[str, str]:
        """A folder's topic files by stem (a folder may be nested: "7-a/b" from stream "a/b")."""
        top, _, inner = folder.partition("/")
        files = self._json_files().get(top, {})
        if not inner:
            return files
        inner += "/"
        return {stem.removeprefix(inner): n for stem, n in files.items() if stem.startswith(inner)}

    def _assign(self, stream: ZulipStream, topics: tuple[str, ...]) -> dict[str, list[str]]:
        """Each topic's files, at most one per folder of the stream."""
        key = (stream.source_id, stream.name, topics)
        if key not in self._assigned:
            found: dict[str, list[str]] = {topic: [] for topic in topics}
            for folder in self.stream_folders(stream):
                for topic, name in assign_files(self._stems(folder), topics).items():
                    found[topic].append(name)
            self._assigned = {key: found}  # the streams are read one after the other
        return self._assigned[key]

    def topic_file(self, stream: ZulipStream, topic: ZulipTopic | str) -> str:
        """The topic's file as the current zulip-archive names it, relative to zulip_json/."""
        raw = topic.raw_name if isinstance(topic, ZulipTopic) else topic
        folders = [f for f in self.stream_folders(stream) if self._stems(f)]
        folder = folders[0] if len(folders) == 1 else sanitize_stream(stream.name, stream.source_id)
        return check_relative_name(f"{folder}/{escape_topic(raw)}.json")

    def topic_files(self, stream: ZulipStream, topic: ZulipTopic | str) -> list[str]:
        """Every file that holds the topic's messages; raises MissingTopicFile if none does."""
        raw = topic.raw_name if isinstance(topic, ZulipTopic) else topic
        topics = tuple(dict.fromkeys([*(t.raw_name for t in stream.topics), raw]))
        names = self._assign(stream, topics)[raw]
        if not names:
            raise MissingTopicFile(self.topic_file(stream, raw), stream=stream.name, topic=raw)
        return names

    def messages(self, stream: ZulipStream, topic: ZulipTopic | str) -> list[ZulipMessage]:
        """A topic's messages, sorted by id (once each, whichever files hold them)."""
        raw_topic = topic.raw_name if isinstance(topic, ZulipTopic) else topic
        topic_name = split_resolved(raw_topic)[0]
        messages: dict[int, ZulipMessage] = {}
        for name in self.topic_files(stream, topic):
            data = self.source.read_json(name)
            if not isinstance(data, list):
                raise ImportFileError(name, "expected a list of messages")
            for raw in data:
                message_id = _int(raw.get("id")) if isinstance(raw, dict) else None
                if message_id is None:
                    raise ImportFileError(name, "a message has no id")
                content = raw.get("content")
                sender = raw.get("sender_full_name")
                messages[message_id] = ZulipMessage(
                    source_id=message_id,
                    sender_full_name=sender if isinstance(sender, str) else "",
                    created_at=epoch_to_datetime(raw.get("timestamp"), name),
                    content_html=content if isinstance(content, str) else "",
                    topic=topic_name,
                    stream_id=stream.source_id,
                )
        return [messages[i] for i in sorted(messages)]
