"""Reading a zulip-archive JSON folder (github.com/zulip/zulip-archive) as records.

Layout, as zulip-archive's lib/populate.py writes it:

    zulip_json/stream_index.json
        {"streams": {name: {"id": 7, "latest_id": 123,
                            "topic_data": {topic: {"size": 3, "latest_date": 1700000000}}}},
         "time": 1700000000.0}
    zulip_json/<id>-<sanitized stream name>/<escaped topic>.json
        [{"content": "<p>html</p>", "id": 1, "sender_full_name": "Ann", "timestamp": 1700000000}]

File names follow zulip-archive's lib/url.py: `sanitize_stream` keeps the ASCII of the name with
spaces as "-"; `sanitize_topic` percent-encodes the topic and then writes "%" as "." (a literal
"." is encoded first, so the mapping can be reversed). zulip-archive only archives public
streams. Topics whose name starts with "✔ " were resolved in Zulip.
"""

import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from trellis.imports.records import ZulipMessage, ZulipStream, ZulipTopic
from trellis.imports.safety import (
    MAX_JSON_BYTES,
    FolderSource,
    ImportFileError,
    epoch_to_datetime,
)

RESOLVED_PREFIX = "✔ "
INDEX = "stream_index.json"


def escape_topic(topic: str) -> str:
    """A topic's file name stem, exactly as zulip-archive's sanitize_topic makes it."""
    quoted = urllib.parse.quote(topic, safe="~()*!.'")
    return quoted.replace(".", "%2E").replace("%", ".")


def unescape_topic(stem: str) -> str:
    """The inverse of escape_topic: every "." in a stem stands for a "%"."""
    return urllib.parse.unquote(stem.replace(".", "%"), errors="strict")


def sanitize_stream(name: str, stream_id: int) -> str:
    """A stream's folder name, as zulip-archive's sanitize_stream makes it: "7-general".

    zulip-archive's filter calls `x.isalnum` without parentheses (always true), so in effect
    it keeps every ASCII character; we reproduce that, and fall back on the "<id>-" prefix.
    """
    return f"{stream_id}-" + name.encode("ascii", "ignore").decode("ascii").replace(" ", "-")


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

    def topic_file(self, stream: ZulipStream, topic: ZulipTopic | str) -> str:
        """The topic's file, relative to zulip_json/."""
        raw = topic.raw_name if isinstance(topic, ZulipTopic) else topic
        folder = sanitize_stream(stream.name, stream.source_id)
        if not (self.source.root / folder).is_dir():  # an archive from another version
            prefix = f"{stream.source_id}-"
            candidates = [
                p.name
                for p in self.source.root.iterdir()
                if p.is_dir() and p.name.startswith(prefix)
            ]
            folder = candidates[0] if len(candidates) == 1 else folder
        return f"{folder}/{escape_topic(raw)}.json"

    def messages(self, stream: ZulipStream, topic: ZulipTopic | str) -> list[ZulipMessage]:
        """A topic's messages, sorted by id."""
        name = self.topic_file(stream, topic)
        if not self.source.exists(name):
            raise ImportFileError(name, "the topic is in stream_index.json but its file is missing")
        data = self.source.read_json(name)
        if not isinstance(data, list):
            raise ImportFileError(name, "expected a list of messages")
        raw_topic = topic.raw_name if isinstance(topic, ZulipTopic) else topic
        topic_name = split_resolved(raw_topic)[0]
        messages = []
        for raw in data:
            message_id = _int(raw.get("id")) if isinstance(raw, dict) else None
            if message_id is None:
                raise ImportFileError(name, "a message has no id")
            content = raw.get("content")
            sender = raw.get("sender_full_name")
            messages.append(
                ZulipMessage(
                    source_id=message_id,
                    sender_full_name=sender if isinstance(sender, str) else "",
                    created_at=epoch_to_datetime(raw.get("timestamp"), name),
                    content_html=content if isinstance(content, str) else "",
                    topic=topic_name,
                    stream_id=stream.source_id,
                )
            )
        messages.sort(key=lambda m: m.source_id)
        return messages
