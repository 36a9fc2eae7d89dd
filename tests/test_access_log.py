"""No one-time secret and no search term in the logs: invitation, password-reset and
unsubscribe tokens sit in URL paths, search terms (and more) in query strings."""

import contextlib
import logging
import signal
import subprocess
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from tests.migrated import migrated_sqlite
from tests.test_cli import TRELLIS, _env, _free_port, _status, _wait_for
from trellis.core.access_log import (
    REDACTED,
    RedactingLogger,
    RedactSecretsFilter,
    redact_path,
    redact_query,
    redact_text,
    redact_uri,
)

SECRET = "s3cretT0ken-value"
WEB_ONLY = ["--web-workers", "1", "--no-worker", "--no-scheduler"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/invite/{SECRET}/", f"/invite/{REDACTED}/"),
        (f"/invite/{SECRET}", f"/invite/{REDACTED}"),  # before the slash is appended
        (f"/unsubscribe/{SECRET}/", f"/unsubscribe/{REDACTED}/"),
        (f"/password-reset/MQ/{SECRET}/", f"/password-reset/MQ/{REDACTED}/"),
        ("/password-reset/MQ/set-password/", "/password-reset/MQ/set-password/"),
        ("/password-reset/sent/", "/password-reset/sent/"),
        ("/password-reset/", "/password-reset/"),
        ("/c/helm/invite/", "/c/helm/invite/"),
        ("/questions/12/", "/questions/12/"),
    ],
)
def test_paths_lose_their_token_and_keep_their_shape(path: str, expected: str) -> None:
    assert redact_path(path) == expected


def test_every_url_with_a_token_in_it_is_redacted() -> None:
    """A new route with a <token> (a calendar feed, say) must join the redacted ones."""

    def routes(patterns: list[URLPattern | URLResolver], ns: str = "") -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
                found |= routes(pattern.url_patterns, inner)
            elif isinstance(pattern.pattern, RoutePattern) and pattern.name:
                params = set(pattern.pattern.converters)
                if params & {"token", "uidb64"}:
                    found[ns + pattern.name] = params
        return found

    found = routes(get_resolver().url_patterns)
    assert {"accept-invitation", "unsubscribe", "password_reset_confirm"} <= set(found)
    for name, params in found.items():
        values = {"token": SECRET, "uidb64": "MQ"}
        url = reverse(name, kwargs={k: v for k, v in values.items() if k in params})
        assert SECRET not in redact_uri(url), url


def test_query_values_are_redacted_and_their_names_kept() -> None:
    assert redact_query("q=secretterm&page=2") == f"q={REDACTED}&page={REDACTED}"
    assert redact_query("q=") == "q="
    assert redact_query("secretterm") == REDACTED
    assert redact_query("") == ""
    assert redact_uri("/search/?q=secret+term#frag") == f"/search/?q={REDACTED}#{REDACTED}"
    assert (
        redact_uri(f"https://trellis.example.com/invite/{SECRET}/?next=/x")
        == f"https://trellis.example.com/invite/{REDACTED}/?next={REDACTED}"
    )


def test_a_percent_encoded_path_is_redacted_too() -> None:
    # Django decodes %69 to "i" and serves the invitation page: the raw URI holds the token.
    assert SECRET not in redact_uri(f"/%69nvite/{SECRET}/")
    assert redact_uri("/questions/%31/") == "/questions/%31/"


def test_free_text_such_as_djangos_warnings_is_redacted() -> None:
    assert redact_text(f"Not Found: /invite/{SECRET}/") == f"Not Found: /invite/{REDACTED}/"
    assert (
        redact_text(f'"GET /unsubscribe/{SECRET}/?a=b HTTP/1.1" 400 12')
        == f'"GET /unsubscribe/{REDACTED}/?a={REDACTED} HTTP/1.1" 400 12'
    )
    assert redact_text("Internal Server Error: /questions/3/") == (
        "Internal Server Error: /questions/3/"
    )


def _not_found(path: str) -> logging.LogRecord:
    """The record django.request writes for a 404 answer."""
    return logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (path,), None
    )


def test_the_logging_filter_rewrites_a_django_request_warning() -> None:
    record = _not_found(f"/invite/{SECRET}/")
    assert RedactSecretsFilter().filter(record)
    assert record.getMessage() == f"Not Found: /invite/{REDACTED}/"


def test_every_handler_a_django_request_warning_reaches_redacts_it() -> None:
    """django.request logs 'Not Found: <path>' for an unknown invitation token (a 404)."""
    logger: logging.Logger | None = logging.getLogger("django.request")
    handlers = []
    while logger is not None:
        handlers += logger.handlers
        logger = logger.parent if logger.propagate else None
    handlers = [h for h in handlers if not type(h).__module__.startswith("_pytest")]
    assert handlers
    for handler in handlers:
        record = _not_found(f"/invite/{SECRET}/")
        if record.levelno >= handler.level and handler.filter(record):  # it would write it
            assert SECRET not in record.getMessage(), handler


def test_the_gunicorn_logger_redacts_every_atom_that_carries_a_url() -> None:
    from gunicorn.config import Config

    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/invite/{SECRET}/?q=secretterm",
        "PATH_INFO": f"/invite/{SECRET}/",
        "QUERY_STRING": "q=secretterm",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"http://h/unsubscribe/{SECRET}/",
    }
    request = SimpleNamespace(headers=[("REFERER", f"http://h/unsubscribe/{SECRET}/")])
    response = SimpleNamespace(status="404 Not Found", sent=10, headers=[])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    leaked = {k: v for k, v in atoms.items() if SECRET in str(v) or "secretterm" in str(v)}
    assert not leaked
    assert atoms["r"] == f"GET /invite/{REDACTED}/?q={REDACTED} HTTP/1.1"
    assert atoms["U"] == f"/invite/{REDACTED}/"
    assert atoms["q"] == f"q={REDACTED}"
    assert atoms["f"] == f"http://h/unsubscribe/{REDACTED}/"
    assert atoms["s"] == "404"
    # gunicorn's own lines ("Error handling request <uri>") pass the same filter.
    assert any(isinstance(f, RedactSecretsFilter) for f in logger.error_log.filters)


def _get(port: int, path: str, **headers: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with contextlib.suppress(urllib.error.HTTPError):  # 404s and 400s are expected
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310  (http://127.0.0.1)


def test_the_access_log_of_trellis_serve_holds_no_token_and_no_search_term(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path) | {"TRELLIS_SECRET_KEY": "k" * 60}
    migrated_sqlite(tmp_path)  # serve still migrates, with nothing left to do
    port = _free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        serve = subprocess.Popen(
            [*TRELLIS, "serve", "--port", str(port), *WEB_ONLY],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        assert _wait_for(lambda: _status(port) == 200), err.read_text()
        _get(port, "/invite/invitationtokenSECRET/")
        _get(port, "/password-reset/MQ/resettokenSECRET/")
        _get(port, "/unsubscribe/unsubscribetokenSECRET/")
        _get(port, "/search/?q=secretterm")  # redirected to /login/?next=/search/%3Fq%3D...
        _get(
            port,
            "/static/trellis/trellis.css",
            Referer=f"http://127.0.0.1:{port}/invite/refSECRET/",
        )
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)
    log = out.read_text()
    assert "SECRET" not in log and "secretterm" not in log, log
    assert f'"GET /invite/{REDACTED}/ HTTP/1.1" 404' in log, log
    assert f'"GET /password-reset/MQ/{REDACTED}/ HTTP/1.1" 200' in log, log
    assert f'"GET /unsubscribe/{REDACTED}/ HTTP/1.1" 400' in log, log
    assert f'"GET /search/?q={REDACTED} HTTP/1.1" 302' in log, log
    assert '"GET /static/trellis/trellis.css HTTP/1.1" 200' in log, log  # served in production
    assert f'"GET /login/?next={REDACTED} HTTP/1.1" 200' in log, log
    assert f'"http://127.0.0.1:{port}/invite/{REDACTED}/"' in log, log
