"""User text to safe HTML, and HTML back to plain text.

Rendered HTML is stored at write time and output with ``|safe``, so everything that leaves
``render_markdown`` and ``sanitize_html`` must be safe on its own, whatever the input. Markdown
never passes raw HTML through (``html=False``), and its output still goes through the same nh3
allowlist as imported HTML: two independent layers, so one bug does not make an XSS.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token

from trellis.core.errors import Invalid

__all__ = [
    "NAME_PATTERN",
    "clean_name",
    "excerpt",
    "find_mentions",
    "html_to_text",
    "render_markdown",
    "sanitize_html",
]

# --- URL schemes -------------------------------------------------------------------------------

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})

# Browsers drop leading/trailing C0 controls and spaces and ignore tab/CR/LF anywhere before
# reading a scheme ("jav\tascript:" is "javascript:"). Removing every whitespace and control
# character, and decoding entities once more (in case something decodes the URL again), is
# stricter, so anything a browser could read as a bad scheme is seen as one here.
_NOT_IN_SCHEME_RE = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")
_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _scheme(url: str) -> str | None:
    """The lower-cased scheme of ``url`` (strictly read), or None for a relative URL."""
    m = _SCHEME_RE.match(_NOT_IN_SCHEME_RE.sub("", html_lib.unescape(url)))
    return m.group(1).lower() if m else None


# --- Sanitiser -----------------------------------------------------------------------------------

_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "b", "em", "i", "s", "del", "code", "pre", "kbd", "sup", "sub",
        "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tr", "th", "td", "a", "img",
    }
)  # fmt: skip
# Tags whose content is dropped with them: their text is code or a trap, never prose.
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "iframe", "noscript", "noembed", "noframes", "object", "template",
        "svg", "math", "title", "xmp", "frameset", "textarea", "select",
    }
)  # fmt: skip
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset(),  # no generic attributes (nh3 would otherwise keep lang and title)
    "a": frozenset({"href", "title", "class"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "code": frozenset({"class"}),
    "ol": frozenset({"start"}),
}
# Markdown table alignment arrives as ``align`` (see _post_process), never as ``style``.
_TAG_ATTRIBUTE_VALUES = {
    cell: {"align": frozenset({"left", "center", "right"})} for cell in ("th", "td")
}
_LANGUAGE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+\-]{1,40}")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """What the allowlist cannot say: which classes, no mailto: images, and a second, stricter
    scheme check after nh3's own (which reads URLs as a browser does, so it keeps odd ones like
    "javascript\u2028:x" as relative URLs; we drop them)."""
    if attr == "class":
        if tag == "a":
            return "mention" if "mention" in value.split() else None
        if tag == "code":
            for name in value.split():
                if _LANGUAGE_CLASS_RE.fullmatch(name):
                    return name
        return None
    if attr == "href" or attr == "src":
        scheme = _scheme(value)
        allowed = IMAGE_SCHEMES if tag == "img" else LINK_SCHEMES
        return value if scheme is None or scheme in allowed else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_CLEAN_CONTENT_TAGS,
    attributes=_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel="nofollow noopener noreferrer",
    tag_attribute_values=_TAG_ATTRIBUTE_VALUES,
    url_schemes=LINK_SCHEMES,
)


def sanitize_html(html: str) -> str:
    """HTML from elsewhere (imports, and our own Markdown output) cut down to the Q&A allowlist.

    Parsed and re-serialised by html5ever (nh3/ammonia), so the output is well-formed and means
    the same to every browser; unknown tags are dropped but their text kept.
    """
    return _CLEANER.clean(html)


# --- Markdown ------------------------------------------------------------------------------------


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it's name
        """Markdown links, images and autolinks: http(s), mailto or relative; anything else stays
        text (stricter than markdown-it's default, which lets some data: images through)."""
        scheme = _scheme(url)
        return scheme is None or scheme in LINK_SCHEMES


# An e-mail address as linkify-it reads one: a local-part character, "@", a host with a dot.
_EMAIL_HINT_RE = re.compile(r"[\w.+\-;:&=$,\"]@[^\s@]*\.")


class _GfmLinkify:
    """linkify-it limited to what GitHub autolinks: explicit http(s) URLs, ``www.`` hosts and
    e-mail addresses. Plain fuzzy hostnames would turn ``setup.py`` or ``index.md`` into links
    (.py and .md are country domains), which is wrong on a technical Q&A site.

    markdown-it links ``scheme://`` URLs while parsing inline (``match_at_start``); the core
    rule (``pretest``/``test``/``match``) is left with e-mail addresses and ``www.`` hosts.
    linkify-it's regexes cost 40-80 µs per call on a paragraph and markdown-it calls three of
    them per text, so ``pretest`` and ``test`` are a cheap sound check instead (no "www." and
    nothing like "x@host." means no link) and only ``match`` runs linkify-it.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @staticmethod
    def _may_link(text: str) -> bool:
        return "www." in text.lower() or _EMAIL_HINT_RE.search(text) is not None

    def pretest(self, text: str) -> bool:
        return self._may_link(text)

    def test(self, text: str) -> bool:
        return self._may_link(text)

    def match(self, text: str) -> list[Any]:
        return [
            m
            for m in self._inner.match(text) or []
            if m.schema in ("http:", "https:", "mailto:")
            or (not m.schema and m.text[:4].lower() == "www.")
        ]

    def match_at_start(self, text: str) -> Any:
        return self._inner.match_at_start(text)


# Not preceded by something that makes it part of an address, a path or a word (ana@example.com,
# example.org/@ana); a handle starts and ends with a letter or digit.
_MENTION_RE = re.compile(r"(?<![\w.%+\-/:@`])@([A-Za-z0-9](?:[A-Za-z0-9._+\-]*[A-Za-z0-9])?)")
_FENCE_LANG_RE = re.compile(r"[A-Za-z0-9_+\-]{0,40}")
_ALIGN_RE = re.compile(r"text-align:\s*(left|center|right)")
_ENV_MENTIONS = "trellis_mentions"
_ENV_FOUND = "trellis_found"


def _link_mentions(children: list[Token], mentions: Mapping[str, str], found: list[str]) -> None:
    """Replace ``@handle`` in text children (not in links) by mention links, in place."""
    out: list[Token] = []
    link_depth = 0
    changed = False
    for tok in children:
        if tok.type == "link_open":
            link_depth += 1
        elif tok.type == "link_close":
            link_depth -= 1
        elif tok.type == "text" and not link_depth and "@" in tok.content:
            pieces = _split_mentions(tok, mentions, found)
            if pieces is not None:
                out.extend(pieces)
                changed = True
                continue
        out.append(tok)
    if changed:
        children[:] = out


def _split_mentions(
    tok: Token, mentions: Mapping[str, str], found: list[str]
) -> list[Token] | None:
    """The text token split around linked mentions, or None when nothing was linked."""
    text = tok.content
    pieces: list[Token] = []
    last = 0
    for m in _MENTION_RE.finditer(text):
        handle = m.group(1).lower()
        found.append(handle)
        url = mentions.get(handle)
        if url is None:
            continue
        if m.start() > last:
            pieces.append(Token("text", "", 0, content=text[last : m.start()], level=tok.level))
        pieces.append(
            Token("link_open", "a", 1, attrs={"class": "mention", "href": url}, level=tok.level)
        )
        pieces.append(Token("text", "", 0, content=m.group(0), level=tok.level + 1))
        pieces.append(Token("link_close", "a", -1, level=tok.level))
        last = m.end()
    if not pieces:
        return None
    if last < len(text):
        pieces.append(Token("text", "", 0, content=text[last:], level=tok.level))
    return pieces


def _post_process(state: StateCore) -> None:
    """Last core rule: mentions, fence language names, table alignment without ``style``."""
    mentions: Mapping[str, str] = state.env.get(_ENV_MENTIONS) or {}
    found: list[str] = state.env.setdefault(_ENV_FOUND, [])
    for tok in state.tokens:
        if tok.type == "inline":
            if tok.children and "@" in tok.content:
                _link_mentions(tok.children, mentions, found)
        elif tok.type == "fence":
            # The leading run of safe characters: 'py"><x' gives "py", 'c++ {.x}' gives "c++".
            lang = _FENCE_LANG_RE.match(tok.info.strip())
            tok.info = lang.group(0) if lang else ""
        elif tok.type in ("th_open", "td_open") and "style" in tok.attrs:
            style = str(tok.attrs.pop("style"))
            if m := _ALIGN_RE.search(style):
                tok.attrs["align"] = m.group(1)


def _build_markdown() -> MarkdownIt:
    md = _Markdown("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.linkify = _GfmLinkify(md.linkify)
    md.core.ruler.push("trellis_post", _post_process)
    return md


_MD = _build_markdown()


def render_markdown(text: str, *, mentions: Mapping[str, str] | None = None) -> str:
    """Markdown (CommonMark + GFM tables, strikethrough, autolinks) as safe HTML.

    ``mentions`` maps lower-cased handles to profile URLs; ``@handle`` outside code, links and
    e-mail addresses becomes a mention link when its handle is in the mapping, else stays text.
    """
    env: dict[str, Any] = {_ENV_MENTIONS: mentions or {}}
    return sanitize_html(_MD.render(text, env))


def find_mentions(text: str) -> list[str]:
    """The distinct lower-cased handles that render_markdown would link, given a mapping that
    knows them, in order of first appearance (for notifying the people mentioned)."""
    env: dict[str, Any] = {}
    _MD.parse(text, env)
    return list(dict.fromkeys(env.get(_ENV_FOUND, [])))


# --- Plain text ----------------------------------------------------------------------------------

# Only the tags whose boundaries separate words survive the first pass, bare (no attributes),
# so afterwards every remaining "<...>" is one of them and any "<" in text is already "&lt;".
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_TEXT_CLEANER = nh3.Cleaner(
    tags=_BLOCK_TAGS,
    clean_content_tags=frozenset({"script", "style", "template", "noscript", "title"}),
    attributes={"*": frozenset()},
    strip_comments=True,
    link_rel=None,
)
_TAG_RE = re.compile(r"<[^>]*>")


def html_to_text(html: str) -> str:
    """Plain text of any HTML for search, notifications and digests.

    Block boundaries become spaces (so ``<p>a</p><p>b</p>`` is "a b"), script/style contents are
    dropped, entities decoded and whitespace collapsed. html5ever via nh3: the same parse a
    browser does, and several times faster than walking an lxml tree in Python.
    """
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    bare = _TAG_RE.sub(" ", _TEXT_CLEANER.clean(html))
    return " ".join(html_lib.unescape(bare).split())


_EXCERPT_TRIM = " \t\n,;:.!?-\u2013\u2014(["


def excerpt(html: str, length: int = 200) -> str:
    """At most ``length`` characters of the plain text, cut between words and ending in "…"
    when cut (a single over-long word is cut mid-word rather than dropped)."""
    text = html_to_text(html)
    if len(text) <= length:
        return text
    head = text[: max(length - 1, 0)]
    if not text[len(head)].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(_EXCERPT_TRIM) + "\u2026"


# --- Names ---------------------------------------------------------------------------------------

# Unicode's format characters (category Cf, Unicode 15): invisible, they steer how the text around
# them is shown (zero-width spaces and joiners, bidi controls, soft hyphen, tags...). Listed rather
# than looked up so that the API's pattern (checked by pydantic's Rust engine) and clean_name agree
# to the character; tests/test_accounts_names.py checks the list against Python's unicodedata.
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
FORMAT_CHARACTERS = frozenset(chr(c) for a, b in _FORMAT_RANGES for c in range(a, b + 1))
# Letters by category that still show nothing: the Hangul fillers and the blank braille cell.
_BLANK_LETTERS = ((0x115F, 0x1160), (0x2800, 0x2800), (0x3164, 0x3164), (0xFFA0, 0xFFA0))
# Zero-width non-joiner and joiner shape Persian and Indic names (and emoji), so they stay
# between two characters; every other format character is taken out of a name.
_JOINERS = "\u200c\u200d"
_STRAY_JOINERS_RE = re.compile(f"(?:^|(?<= ))[{_JOINERS}]+|[{_JOINERS}]+(?= |$)")


def _escape(code: int) -> str:
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges)


# A character that shows: not whitespace, not a control (C0, DEL, C1), not a format character,
# not a blank letter. Python's \s is str.isspace() and the Rust engine's is Unicode White_Space;
# they differ only in \x1c-\x1f, controls here anyway.
_VISIBLE = f"[^\\s\\x00-\\x1f\\x7f-\\x9f{_char_class(_FORMAT_RANGES)}{_char_class(_BLANK_LETTERS)}]"
_VISIBLE_RE = re.compile(_VISIBLE)
# The API's rule for a name: no NUL (PostgreSQL cannot store it) and at least one visible
# character; apart from NUL, clean_name refuses exactly the names this does not match.
NAME_PATTERN = f"^[^\\x00]*{_VISIBLE}[^\\x00]*$"


def _kept_in_name(char: str) -> bool:
    if char in FORMAT_CHARACTERS:
        return char in _JOINERS
    return char.isspace() or unicodedata.category(char) != "Cc"


def clean_name(raw: str, *, max_length: int = 200) -> str:
    """A person's name as stored: format characters (bidi controls, zero-width spaces, ...) and
    control characters taken out, whitespace collapsed, joiners kept only between characters.

    Refused with ``Invalid`` (a ``name`` field error) when nothing visible is left or when it is
    longer than ``max_length``: the one rule for every place that sets a name.
    """
    if _VISIBLE_RE.search(raw) is None:
        raise Invalid(
            "A name needs at least one visible character.",
            field_errors={
                "name": "Enter a name with visible letters: this one is empty or made only of "
                "invisible characters."
            },
        )
    name = " ".join("".join(c for c in raw if _kept_in_name(c)).split())
    name = " ".join(_STRAY_JOINERS_RE.sub("", name).split())
    if len(name) > max_length:
        raise Invalid(
            f"A name has at most {max_length} characters.",
            field_errors={"name": f"At most {max_length} characters."},
        )
    return name
