"""Keep one-time secrets and search terms out of the logs. Invitation, password-reset and
unsubscribe links carry their token in the path, and query strings carry search terms (and
more) on many pages; logs are read by more people, kept longer and copied further than the
database those tokens unlock. Used by gunicorn (`--logger-class`, as `trellis serve` passes it)
and, for Django's own lines ("Not Found: <path>"), as a filter on the LOGGING handlers."""

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# The path segment after these is a secret: web/accounts/urls.py (invite/<token>/,
# password-reset/<uidb64>/<token>/), web/notifications/urls.py (unsubscribe/<token>/) and
# web/events/urls.py (calendar/<token>.ics, a feed link that is its own credential).
# password-reset/<uidb64>/set-password/ is Django's next step, the token then in the session.
_SECRET_SEGMENT = re.compile(
    r"^(?P<keep>/(?:invite|unsubscribe|calendar)/|/password-reset/[^/]+/)"
    r"(?!set-password(?:/|$))[^/]+",
    re.IGNORECASE,
)
# An optional scheme://host, a path, an optional ?query and #fragment: always matches.
_URI = re.compile(
    r"(?P<origin>[a-z][a-z0-9+.-]*://[^/?#]*)?(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?(?P<fragment>#.*)?",
    re.IGNORECASE | re.DOTALL,
)
# Something that looks like a URL or a path inside free text such as a log message.
_URL_IN_TEXT = re.compile(r"""(?:[a-z][a-z0-9+.-]*://[^\s/?#"'<>]*)?/[^\s"'<>]*""", re.IGNORECASE)


def redact_path(path: str) -> str:
    """A decoded path (PATH_INFO) with its secret segment, if any, replaced."""
    return _SECRET_SEGMENT.sub(lambda match: match["keep"] + REDACTED, path, count=1)


def redact_query(query: str) -> str:
    """Every value replaced, the names kept: `q=[redacted]&page=[redacted]`."""
    if not query:
        return query
    items = []
    for item in query.split("&"):
        name, equals, value = item.partition("=")
        if not equals:  # a bare word may be the search term itself
            items.append(REDACTED if item else item)
        else:
            items.append(f"{name}={REDACTED}" if value else item)
    return "&".join(items)


def redact_uri(uri: str) -> str:
    """A raw request URI or a full URL (a Referer): secret path segment, query values and any
    fragment replaced. The path is matched decoded, as Django routes it (`/%69nvite/...`)."""
    match = _URI.fullmatch(uri)
    assert match is not None  # every part of the pattern is optional
    path = match["path"]
    decoded = unquote(path)
    redacted = redact_path(decoded)
    if redacted != decoded:
        path = quote(redacted, safe="/[]")
    query = "" if match["query"] is None else "?" + redact_query(match["query"])
    fragment = match["fragment"] or ""
    if len(fragment) > 1:
        fragment = "#" + REDACTED
    return (match["origin"] or "") + path + query + fragment


def redact_text(text: str) -> str:
    """Every URL or path inside free text redacted with redact_uri."""
    return _URL_IN_TEXT.sub(lambda match: redact_uri(match[0]), text)


class RedactSecretsFilter(logging.Filter):
    """A logging filter rewriting a record's message when it quotes a secret; Django logs the
    path of every 4xx/5xx answer ("Not Found: /invite/<token>/" for an unknown invitation)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself, unchanged
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_FILTER = RedactSecretsFilter()


def _everything(value: str) -> str:
    return REDACTED


# Access-log atoms that can carry a URL, a query string or a credential, and how to clean each
# (gunicorn's names: %(U)s path, %(q)s query, %(f)s referer, %({header}i)s, %({environ}e)s).
_ATOMS: dict[str, Callable[[str], str]] = {
    "U": redact_path,
    "q": redact_query,
    "f": redact_uri,
    "{referer}i": redact_uri,
    "{cookie}i": _everything,
    "{authorization}i": _everything,
    "{raw_uri}e": redact_uri,
    "{path_info}e": redact_path,
    "{query_string}e": redact_query,
    "{http_referer}e": redact_uri,
    "{http_cookie}e": _everything,
    "{http_authorization}e": _everything,
}


class RedactingLogger(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's logger with the access log's URL atoms redacted (%(r)s, %(U)s, %(q)s, the
    referer, ...), and its error log ("Error handling request <uri>") filtered too."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(_FILTER)  # the same filter object: a reload adds it once

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = " ".join(
            (
                environ["REQUEST_METHOD"],
                redact_uri(environ["RAW_URI"]),
                environ["SERVER_PROTOCOL"],
            )
        )
        for key, redact in _ATOMS.items():
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
