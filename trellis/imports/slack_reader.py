"""Reading a Slack workspace export (a folder or the .zip Slack hands out) as records.

Layout: `users.json`, `channels.json`, and per public channel a folder `<channel name>/` of
`YYYY-MM-DD.json` day files, each a list of message objects. Only public channels are read:
`groups.json` (private channels), `mpims.json` and `dms.json` (direct messages) may be present
but private conversations are never imported, so their files are not even opened.

Messages are grouped into threads one channel at a time: `threads()` holds a single channel's
messages in memory (all its day files), never the whole workspace.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trellis.imports.records import SlackChannel, SlackMessage, SlackThread, SlackUser
from trellis.imports.safety import (
    MAX_JSON_BYTES,
    MAX_MEMBERS,
    MAX_TOTAL_BYTES,
    ExportSource,
    ImportFileError,
    epoch_to_datetime,
    open_export,
)

# Messages Slack writes about the channel rather than by people in it.
SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "channel_posting_permissions",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "reminder_add",
        "sh_room_created",
        "app_conversation_join",
    }
)
# Not messages any more: a deleted thread root leaves a tombstone behind.
DROPPED_SUBTYPES = frozenset({"tombstone", "message_deleted", "message_changed"})
_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")


def ts_to_datetime(ts: str) -> datetime:
    """Slack's "1700000000.000200" (seconds.microseconds, as a string) to UTC, exactly."""
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or not (fraction.isdigit() or fraction == ""):
        raise ValueError(f"not a Slack timestamp: {ts!r}")
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=micro)


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def _dict(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _list_of_objects(data: Any, name: str, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ImportFileError(name, f"expected a list of {what} objects")
    return data


class SlackExport:
    """A Slack export, from a folder or a zip, read without extracting anything to disk."""

    def __init__(
        self,
        path: Path,
        *,
        max_json_bytes: int = MAX_JSON_BYTES,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        max_members: int = MAX_MEMBERS,
    ) -> None:
        self.source: ExportSource = open_export(
            path,
            max_file_bytes=max_json_bytes,
            max_total_bytes=max_total_bytes,
            max_members=max_members,
        )
        self.skipped: Counter[str] = Counter()  # messages left out of threads, by subtype
        self.rootless_threads = 0  # replies whose root is not in the export
        try:
            self._prefix = self._find_prefix(path.name)
        except BaseException:
            self.source.close()
            raise

    def _find_prefix(self, label: str) -> str:
        """Exports re-zipped by hand often sit in one top folder: accept that too."""
        names = self.source.names()
        if "channels.json" in names:
            return ""
        nested = [n for n in names if n.count("/") == 1 and n.endswith("/channels.json")]
        if len(nested) == 1:
            return nested[0].removesuffix("channels.json")
        raise ImportFileError(
            "channels.json", f"the file is missing, so {label!r} is not a Slack export"
        )

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> "SlackExport":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _json(self, name: str) -> Any:
        return self.source.read_json(self._prefix + name)

    # Users and channels ----------------------------------------------------------------------

    def users(self) -> Iterator[SlackUser]:
        if not self.source.exists(self._prefix + "users.json"):
            raise ImportFileError("users.json", "the file is missing from the Slack export")
        for user in _list_of_objects(self._json("users.json"), "users.json", "user"):
            if not isinstance(user.get("id"), str):
                raise ImportFileError("users.json", "a user has no id")
            profile = _dict(user, "profile")
            yield SlackUser(
                source_id=user["id"],
                handle=_str(user, "name"),
                real_name=_str(user, "real_name") or _str(profile, "real_name"),
                display_name=_str(profile, "display_name"),
                email=_opt_str(profile, "email"),
                title=_str(profile, "title"),
                is_bot=bool(user.get("is_bot")) or user["id"] == "USLACKBOT",
                deleted=bool(user.get("deleted")),
            )

    def channels(self) -> Iterator[SlackChannel]:
        """Public channels only (channels.json); see the module docstring."""
        for channel in _list_of_objects(self._json("channels.json"), "channels.json", "channel"):
            if not isinstance(channel.get("id"), str) or not isinstance(channel.get("name"), str):
                raise ImportFileError("channels.json", "a channel has no id or name")
            members = channel.get("members")
            yield SlackChannel(
                source_id=channel["id"],
                name=channel["name"],
                purpose=_str(_dict(channel, "purpose"), "value"),
                topic=_str(_dict(channel, "topic"), "value"),
                created_at=epoch_to_datetime(channel.get("created", 0), "channels.json"),
                is_archived=bool(channel.get("is_archived")),
                member_ids=tuple(m for m in members if isinstance(m, str))
                if isinstance(members, list)
                else (),
            )

    # Messages --------------------------------------------------------------------------------

    def day_files(self, channel: SlackChannel | str) -> list[str]:
        """A channel's day files, oldest first, relative to the export's root."""
        name = channel.name if isinstance(channel, SlackChannel) else channel
        folder = f"{self._prefix}{name}/"
        return sorted(
            n.removeprefix(self._prefix)
            for n in self.source.names()
            if n.startswith(folder) and _DAY_FILE.fullmatch(n[len(folder) :])
        )

    def messages(self, channel: SlackChannel | str) -> Iterator[SlackMessage]:
        """Every message of a channel as exported, system ones included, in file order."""
        for day in self.day_files(channel):
            for raw in _list_of_objects(self._json(day), day, "message"):
                message = parse_message(raw, day)
                if message is not None:
                    yield message

    def threads(self, channel: SlackChannel | str) -> Iterator[SlackThread]:
        """The channel's conversations: each root with its replies, oldest thread first.

        A thread is keyed by thread_ts (ts for a message outside any thread). System messages
        and tombstones are left out and counted in `skipped`. When a thread's root is missing
        (deleted, or older than the export), its earliest reply stands as root: then
        root.thread_ts != root.ts, and `rootless_threads` counts it.
        """
        groups: dict[str, dict[str, SlackMessage]] = defaultdict(dict)
        for message in self.messages(channel):
            if message.is_system or message.subtype in DROPPED_SUBTYPES:
                self.skipped[message.subtype or "system"] += 1
                continue
            key = message.thread_ts or message.ts
            if message.ts in groups[key]:
                self.skipped["duplicate"] += 1
                continue
            groups[key][message.ts] = message
        threads = []
        for key, by_ts in groups.items():
            ordered = sorted(by_ts.values(), key=lambda m: (m.created_at, m.ts))
            root = by_ts.get(key)
            if root is None:
                self.rootless_threads += 1
                root = ordered[0]
            replies = tuple(m for m in ordered if m is not root)
            threads.append(SlackThread(root=root, replies=replies))
        threads.sort(key=lambda t: (t.root.created_at, t.root.ts))
        yield from threads


def parse_message(raw: Mapping[str, Any], name: str = "") -> SlackMessage | None:
    """One exported message object, or None when it is not a message (type != "message")."""
    if raw.get("type", "message") != "message":
        return None
    ts = raw.get("ts")
    if not isinstance(ts, str):
        raise ImportFileError(name, "a message has no ts")
    try:
        created_at = ts_to_datetime(ts)
        edited_ts = _dict(raw, "edited").get("ts")
        edited_at = ts_to_datetime(edited_ts) if isinstance(edited_ts, str) else None
    except ValueError as e:
        raise ImportFileError(name, str(e)) from None
    subtype = _opt_str(raw, "subtype")
    bot_id = _opt_str(raw, "bot_id")
    profile = _dict(raw, "user_profile")
    reactions = raw.get("reactions")
    files = raw.get("files")
    return SlackMessage(
        ts=ts,
        thread_ts=_opt_str(raw, "thread_ts"),
        user_id=_opt_str(raw, "user"),
        bot_id=bot_id,
        username=_str(raw, "username")
        or _str(profile, "display_name")
        or _str(profile, "real_name")
        or _str(profile, "name"),
        subtype=subtype,
        text=_str(raw, "text"),
        created_at=created_at,
        edited_at=edited_at,
        reaction_count=sum(_reaction_count(r) for r in reactions)
        if isinstance(reactions, list)
        else 0,
        is_bot=subtype == "bot_message" or bot_id is not None,
        is_system=subtype in SYSTEM_SUBTYPES,
        file_names=tuple(_str(f, "name") for f in files if isinstance(f, dict))
        if isinstance(files, list)
        else (),
    )


def _reaction_count(reaction: Any) -> int:
    if not isinstance(reaction, dict):
        return 0
    count = reaction.get("count")
    if isinstance(count, int):
        return count
    users = reaction.get("users")
    return len(users) if isinstance(users, list) else 0


# Text ----------------------------------------------------------------------------------------

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_ANGLE = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


def _unescape(text: str) -> str:
    """Slack escapes exactly these three; anything else with & is the author's own text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _angle_to_markdown(inner: str, users_by_id: Mapping[str, str]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user_id = target[1:]
        return "@" + (users_by_id.get(user_id) or label.lstrip("@") or user_id)
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!channel>, <!subteam^S1|@team>, <!date^...|text>
        special = target[1:].split("^", 1)[0]
        if label:
            return label if special != "subteam" else "@" + label.lstrip("@")
        return "@" + special
    url = _unescape(target).replace(" ", "%20").replace(")", "%29")
    if not label:
        return f"<{url}>"
    label = _unescape(label).replace("[", "\\[").replace("]", "\\]")
    return f"[{label}]({url})"


def message_to_markdown(text: str, users_by_id: Mapping[str, str]) -> str:
    """Slack mrkdwn to Markdown: mentions, links, *bold*, ~strike~; `_it_` is already Markdown.

    `users_by_id` maps Slack user ids to handles. Code spans and blocks are kept as they are
    (apart from Slack's &lt; &gt; &amp; escapes), and formatting is not applied inside them.
    """
    out: list[str] = []
    last = 0
    for code in _CODE.finditer(text):
        out.append(_inline_to_markdown(text[last : code.start()], users_by_id))
        out.append(_unescape(code.group()))
        last = code.end()
    out.append(_inline_to_markdown(text[last:], users_by_id))
    return "".join(out)


def _inline_to_markdown(text: str, users_by_id: Mapping[str, str]) -> str:
    tokens: list[str] = []

    def hold(match: re.Match[str]) -> str:
        tokens.append(_angle_to_markdown(match.group(1), users_by_id))
        return f"\ue000{len(tokens) - 1}\ue001"

    text = _ANGLE.sub(hold, text)
    text = _BOLD.sub(r"**\1**", text)
    text = _STRIKE.sub(r"~~\1~~", text)
    text = _unescape(text)
    return _PLACEHOLDER.sub(lambda m: tokens[int(m.group(1))], text)


_QUESTION_STARTS = (
    "how",
    "what",
    "why",
    "where",
    "when",
    "who",
    "which",
    "can",
    "could",
    "does",
    "do",
    "is",
    "are",
    "should",
    "anyone",
    "anybody",
    "help",
    "any idea",
    "any ideas",
)
_LEADING_NOISE = re.compile(r"^(?:\s|<[^>]*>|@\S+|[,:;!.-])+")
_STARTS = re.compile("(?:" + "|".join(re.escape(s) for s in _QUESTION_STARTS) + r")\b")


def looks_like_question(text: str) -> bool:
    """Heuristic, English only: does this thread root ask for help?

    True when the text has a "?" outside links and mentions, or starts (after mentions and
    punctuation) with a question word or a plea: how, what, why, where, when, who, which, can,
    could, does, do, is, are, should, anyone, anybody, help, any idea. Good enough to pick
    which Slack threads become questions; the importer lets people correct it.
    """
    plain = _ANGLE.sub(" ", text)
    if "?" in re.sub(r"https?://\S+", " ", plain):
        return True
    start = _LEADING_NOISE.sub("", text).lower()
    return _STARTS.match(start) is not None
