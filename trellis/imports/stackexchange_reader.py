"""Reading a Stack Exchange data dump (one folder of XML files, one per table) as records.

Each file is streamed row by row (see safety.iter_xml_rows), so a dump of any size reads in
constant memory; the importer decides what to keep. Only questions and answers are returned as
posts: tag wikis, moderator nominations and the like are counted in `skipped_post_types`.
Comments and votes in the dumps also point at those skipped posts, and at posts deleted before
the dump was taken, so callers should expect post ids they have not seen.
"""

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from trellis.imports.records import (
    SEComment,
    SEPost,
    SEPostLink,
    SETag,
    SEUser,
    SEVote,
    fast_builder,
)
from trellis.imports.safety import ImportFileError, count_xml_rows, iter_xml_rows

REQUIRED_FILES = ("Posts.xml", "Users.xml")
OPTIONAL_FILES = ("Votes.xml", "Comments.xml", "PostLinks.xml", "Tags.xml")
QUESTION, ANSWER = "1", "2"

# Sites that are not <name>.stackexchange.com.
_OWN_DOMAINS = {
    "stackoverflow": "stackoverflow.com",
    "serverfault": "serverfault.com",
    "superuser": "superuser.com",
    "askubuntu": "askubuntu.com",
    "mathoverflow": "mathoverflow.net",
    "stackapps": "stackapps.com",
}
# Millions of records are built: see records.fast_builder.
_SEUser = fast_builder(SEUser)
_SEPost = fast_builder(SEPost)
_SEComment = fast_builder(SEComment)
_SEVote = fast_builder(SEVote)
_SEPostLink = fast_builder(SEPostLink)
_SETag = fast_builder(SETag)
_DATE_SUFFIX = re.compile(r"[-_.]\d{4}(?:[-_.]\d{1,2}){0,2}$")
_HOST_SUFFIX = re.compile(r"\.(?:stackexchange\.com|com|net)$")

# How each attribute must parse, to name the culprit when a row does not.
_Kind = Literal["int", "int?", "date", "date?"]
_POST_SPEC: dict[str, _Kind] = {
    "Id": "int",
    "PostTypeId": "int",
    "CreationDate": "date",
    "ParentId": "int?",
    "AcceptedAnswerId": "int?",
    "OwnerUserId": "int?",
    "Score": "int?",
    "ViewCount": "int?",
    "LastEditDate": "date?",
    "LastActivityDate": "date?",
    "ClosedDate": "date?",
    "CommunityOwnedDate": "date?",
}
_USER_SPEC: dict[str, _Kind] = {
    "Id": "int",
    "CreationDate": "date",
    "Reputation": "int?",
    "AccountId": "int?",
}
_COMMENT_SPEC: dict[str, _Kind] = {
    "Id": "int",
    "PostId": "int",
    "CreationDate": "date",
    "UserId": "int?",
    "Score": "int?",
}
_VOTE_SPEC: dict[str, _Kind] = {
    "Id": "int",
    "PostId": "int",
    "VoteTypeId": "int",
    "CreationDate": "date",
    "UserId": "int?",
    "BountyAmount": "int?",
}
_LINK_SPEC: dict[str, _Kind] = {
    "Id": "int",
    "PostId": "int",
    "RelatedPostId": "int",
    "LinkTypeId": "int",
    "CreationDate": "date",
}
_TAG_SPEC: dict[str, _Kind] = {"Id": "int", "Count": "int?"}


def _dt(value: str) -> datetime:
    """Dump dates are UTC without an offset; appending one is 10x faster than .replace()."""
    try:
        parsed = datetime.fromisoformat(value + "+00:00")
        if parsed.tzinfo is not None:  # "2018-03-12+00:00" parses, as a naive midnight
            return parsed
    except ValueError:  # a value with an offset of its own, or not a date
        pass
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _opt_dt(value: str | None) -> datetime | None:
    return _dt(value) if value else None


def _opt_int(value: str | None) -> int | None:
    return int(value) if value else None


def parse_tags(value: str) -> tuple[str, ...]:
    """Tags as dumps write them: `<a><b>` (older) or `|a|b|` (2023 on)."""
    if len(value) > 2 and value[0] == "|" and value[-1] == "|":
        return tuple(filter(None, value[1:-1].split("|")))
    if len(value) > 2 and value[0] == "<" and value[-1] == ">":
        return tuple(filter(None, value[1:-1].split("><")))
    return tuple(value.replace("|", " ").replace("<", " ").replace(">", " ").split())


class StackExchangeDump:
    """One site's dump folder, e.g. `quantumcomputing-2018/` holding Posts.xml, Users.xml..."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not root.is_dir():
            raise ImportFileError(root.name, "is not a folder; a Stack Exchange dump is a folder")
        # match file names case-insensitively: some repackaged dumps lowercase them
        self._files = {p.name.lower(): p for p in root.iterdir()}
        for name in REQUIRED_FILES:
            if name.lower() not in self._files:
                raise ImportFileError(
                    name,
                    f"the file is missing, so {root.name!r} is not a Stack Exchange dump",
                )
        self.skipped_post_types: dict[int, int] = {}

    # Site ------------------------------------------------------------------------------------

    def site_name(self) -> str:
        """The site's short name from the folder: "devops-meta-2017" -> "devops-meta"."""
        name = _HOST_SUFFIX.sub("", self.root.resolve().name.lower())
        return _DATE_SUFFIX.sub("", name).replace(".", "-")

    def site_url(self) -> str:
        """Best effort: "devops-meta" -> "https://devops.meta.stackexchange.com"."""
        parts = self.site_name().split("-")
        meta = "meta" in parts
        rest = [p for p in parts if p != "meta"]
        if rest and rest[-1] in _OWN_DOMAINS:  # stackoverflow, ru-stackoverflow, meta-superuser
            host = ".".join([*rest[:-1], *(["meta"] if meta else []), _OWN_DOMAINS[rest[-1]]])
        elif not rest:
            host = "meta.stackexchange.com"
        else:
            host = ".".join(["-".join(rest), *(["meta"] if meta else []), "stackexchange.com"])
        return f"https://{host}"

    # Files -----------------------------------------------------------------------------------

    def _path(self, name: str) -> Path | None:
        path = self._files.get(name.lower())
        if path is None:
            return None
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ImportFileError(name, "the file leads outside the dump folder; refused")
        return path

    def count_rows(self, name: str) -> int:
        """Rows in one file (0 when it is absent), by a fast byte scan: for progress bars."""
        path = self._path(name)
        return 0 if path is None else count_xml_rows(path, name)

    def _rows(self, name: str) -> Iterator[tuple[int, dict[str, str]]]:
        path = self._path(name)
        return iter(()) if path is None else iter_xml_rows(path, name)

    # Tables ----------------------------------------------------------------------------------

    def users(self) -> Iterator[SEUser]:
        for line, a in self._rows("Users.xml"):
            get = a.get
            try:
                yield _SEUser(
                    source_id=int(a["Id"]),
                    display_name=get("DisplayName") or "",
                    created_at=_dt(a["CreationDate"]),
                    reputation=int(get("Reputation") or 1),
                    location=get("Location") or "",
                    website_url=get("WebsiteUrl") or "",
                    about_html=get("AboutMe") or "",
                    account_id=_opt_int(get("AccountId")),
                )
            except (KeyError, ValueError):
                raise _explain("Users.xml", line, a, _USER_SPEC) from None

    def posts(self) -> Iterator[SEPost]:
        """Questions and answers; other post types are counted in `skipped_post_types`."""
        skipped = self.skipped_post_types = {}
        for line, a in self._rows("Posts.xml"):
            get = a.get
            try:
                post_type = get("PostTypeId")
                if post_type != QUESTION and post_type != ANSWER:
                    type_id = int(a["PostTypeId"])
                    skipped[type_id] = skipped.get(type_id, 0) + 1
                    continue
                # positional (the fields' order in SEPost): keywords cost 5% of the run here
                yield _SEPost(
                    int(a["Id"]),
                    "question" if post_type == QUESTION else "answer",
                    int(v) if (v := get("ParentId")) else None,
                    int(v) if (v := get("AcceptedAnswerId")) else None,
                    int(v) if (v := get("OwnerUserId")) else None,
                    get("OwnerDisplayName") or "",
                    get("Title") or "",
                    get("Body") or "",
                    parse_tags(v) if (v := get("Tags")) else (),
                    int(get("Score") or 0),
                    int(get("ViewCount") or 0),
                    _dt(a["CreationDate"]),
                    _dt(v) if (v := get("LastEditDate")) else None,
                    _dt(v) if (v := get("LastActivityDate")) else None,
                    _dt(v) if (v := get("ClosedDate")) else None,
                    _dt(v) if (v := get("CommunityOwnedDate")) else None,
                )
            except (KeyError, ValueError):
                raise _explain("Posts.xml", line, a, _POST_SPEC) from None

    def comments(self) -> Iterator[SEComment]:
        for line, a in self._rows("Comments.xml"):
            get = a.get
            try:
                yield _SEComment(
                    source_id=int(a["Id"]),
                    post_source_id=int(a["PostId"]),
                    user_source_id=_opt_int(get("UserId")),
                    user_display_name=get("UserDisplayName") or "",
                    text=get("Text") or "",
                    score=int(get("Score") or 0),
                    created_at=_dt(a["CreationDate"]),
                )
            except (KeyError, ValueError):
                raise _explain("Comments.xml", line, a, _COMMENT_SPEC) from None

    def votes(self) -> Iterator[SEVote]:
        for line, a in self._rows("Votes.xml"):
            get = a.get
            try:
                yield _SEVote(
                    source_id=int(a["Id"]),
                    post_source_id=int(a["PostId"]),
                    vote_type_id=int(a["VoteTypeId"]),
                    user_source_id=_opt_int(get("UserId")),
                    created_at=_dt(a["CreationDate"]),
                    bounty_amount=_opt_int(get("BountyAmount")),
                )
            except (KeyError, ValueError):
                raise _explain("Votes.xml", line, a, _VOTE_SPEC) from None

    def post_links(self) -> Iterator[SEPostLink]:
        for line, a in self._rows("PostLinks.xml"):
            try:
                yield _SEPostLink(
                    source_id=int(a["Id"]),
                    post_source_id=int(a["PostId"]),
                    related_post_source_id=int(a["RelatedPostId"]),
                    link_type_id=int(a["LinkTypeId"]),
                    created_at=_dt(a["CreationDate"]),
                )
            except (KeyError, ValueError):
                raise _explain("PostLinks.xml", line, a, _LINK_SPEC) from None

    def tags(self) -> Iterator[SETag]:
        for line, a in self._rows("Tags.xml"):
            get = a.get
            try:
                yield _SETag(
                    source_id=int(a["Id"]),
                    name=get("TagName") or "",
                    count=int(get("Count") or 0),
                )
            except (KeyError, ValueError):
                raise _explain("Tags.xml", line, a, _TAG_SPEC) from None


def _explain(
    name: str, line: int, attrib: Mapping[str, str], spec: Mapping[str, _Kind]
) -> ImportFileError:
    """Find the attribute that made a row fail, for a message a person can act on."""
    for attr, kind in spec.items():
        value = attrib.get(attr)
        if value is None:
            if not kind.endswith("?"):
                return ImportFileError(name, f"the row has no {attr} attribute", line)
            continue
        try:
            _dt(value) if kind.startswith("date") else int(value)
        except ValueError:
            what = "a date" if kind.startswith("date") else "an integer"
            return ImportFileError(name, f"{attr}={value!r} is not {what}", line)
    return ImportFileError(name, "the row cannot be read", line)
