"""Load on a real server (`trellis serve`: web, worker, scheduler), on SQLite (default settings
and a `sqlite:` DATABASE_URL) and PostgreSQL, from the same machine. Prints ONE JSON line.

Per database configuration, in a scratch data folder (and a scratch PostgreSQL database):

1. `migrate`, `demo --size N` (and, with `--import-dump`, `import stackexchange DIR`); then a
   child of this script with Django set up picks `--people` demo people at random (seeded),
   makes each a personal API token, and lists what the clients will read and write: questions
   and answers everyone may see, public communities, tags, words from the titles.
2. `trellis serve --no-migrate --port P` (gunicorn web workers, `trellis worker`, `trellis
   scheduler`); the initial background tasks (indexing, digests...) drain first. Every chosen
   person signs in over the real form (GET /login/ for the CSRF cookie, POST the email and the
   demo password): pages are read with those sessions, the API with the tokens. Each person
   has keep-alive connections of their own (as a browser has: one shared pool would pin the
   traffic to whichever web worker accepted its few connections).
3. Open loop: each offered rate of `--rates` (requests/s, on a fixed schedule whatever the
   server does; latency counted from the scheduled time) for `--step-seconds`, with the mix
   below; per step the throughput (answers below 400 a second), p50/p95/p99 per kind and per
   operation, what came back (2xx, 3xx, 4xx, 429, 503 with or without Retry-After, 500,
   connection errors, timeouts), the task backlog (READY + RUNNING rows of the task table) at
   the end of the step and how long it took to drain (waited for at most `--step-drain-max`
   seconds before the next step). Stepping stops after two overloaded steps in a row (read
   p95 > 500 ms or more than 10% shed with 503).
4. Closed loop: `--closed-clients` users (each with its own session and token), each sending
   its next request as soon as the last was answered, for `--closed-seconds`; the same figures.
5. After the load: the time for the backlog to reach 0 (at most `--drain-max` s), FAILED
   tasks; every write a client saw succeed (question and answer ids from 201s, votes, accepted
   answers) looked up in the database, every created question and answer looked up in the
   search index (`search_document`), and a sample searched for over the API by a unique word
   it carries; the server's output scanned for tracebacks, 5xx access lines, "database is
   locked", worker timeouts and task retries.
6. With the server stopped, in one process through django.test.Client (as a web worker would
   serve them, without the queueing): every operation's service time (median of 5) and SQL
   statements; the slowest operation 20 more times under cProfile; then the task with the
   most worker time during the load, on fresh tasks those writes enqueued (no worker runs
   now), under cProfile: where the time goes by area (SQL execution, ORM, templates, Trellis
   code...) and the top functions. Along the way, the CPU each part used per step (web
   processes, worker, scheduler, this database's PostgreSQL backends, the client, and
   everything else on the machine, which other work on shared cores shows up in).

The mix: 70% page and search reads (home, question list, a question, a community, a person:
55%; the search page: 15%), 20% API reads (question list, a question, search, experts), 10%
writes over the API (ask 3%, answer 3.5%, vote 2.5%, accept 1%; an accept is sent by the
question's asker for an answer someone else wrote).

Targets on two cores: no 500 at any step (overload shed as 503 with Retry-After), no lost
write, no error up to the sustained rate (the highest step with read p95 <= 500 ms, no error
of any kind, 503 included, and at least 95% of the offered rate answered), a sustained rate of
at least 30 requests/s on PostgreSQL, and the backlog drained within 120 s of the load stopping.

    .venv/bin/python benchmarks/bench_load.py                             # all three configs
    .venv/bin/python benchmarks/bench_load.py --quick --databases sqlite  # a smoke test (~2 min)
    .venv/bin/python benchmarks/bench_load.py --databases postgres --rates 10,20,30,40,50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import resource
import secrets
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_client import Outcome, Pool, Response, closed_loop, form_body, open_loop, summarise
from scratch import DEFAULT_POSTGRES, ROOT

PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
TASK_TABLE = "django_tasks_database_dbtaskresult"
DEMO_PASSWORD = "trellis-demo"  # trellis.ops.demo.DEMO_PASSWORD (public, documented)

TARGET_READ_P95_MS = 500.0
TARGET_SUSTAINED_RPS_POSTGRES = 30.0
TARGET_DRAIN_S = 120.0
OVERLOAD_SHED_SHARE = 0.10

# kind, operation, weight (percent of all requests)
MIX: list[tuple[str, str, float]] = [
    ("page", "home", 10),
    ("page", "question-list", 10),
    ("page", "question", 15),
    ("page", "community", 10),
    ("page", "person", 10),
    ("search", "search-page", 15),
    ("api", "api-questions", 6),
    ("api", "api-question", 6),
    ("api", "api-search", 5),
    ("api", "api-experts", 3),
    ("write", "ask", 3),
    ("write", "answer", 3.5),
    ("write", "vote", 2.5),
    ("write", "accept", 1),
]
WRITE_OPS = {"ask", "answer", "vote", "accept"}


def log(message: str) -> None:
    print(f"[bench_load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Children with Django set up: setup (people, tokens, what to read), profiles.
# --------------------------------------------------------------------------------------------


def django_child() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    import django

    django.setup()


def child_setup(args: argparse.Namespace) -> dict[str, Any]:
    django_child()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Q

    from trellis.accounts.services import api_token_create
    from trellis.communities.models import Community, Status, Visibility
    from trellis.core.models import Tag
    from trellis.people.models import Person
    from trellis.qa.models import Post, PostKind

    rng = random.Random(args.seed)
    candidates = list(
        Person.objects.filter(is_active=True)
        .exclude(password="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = sorted(rng.sample(candidates, min(args.people, len(candidates))))
    people = []
    for person in Person.objects.filter(pk__in=chosen).order_by("pk"):
        _row, raw = api_token_create(actor=person, name="bench_load")
        people.append({"id": person.pk, "email": person.email, "token": raw})
    public = list(
        Community.objects.filter(visibility=Visibility.PUBLIC)
        .exclude(status=Status.ARCHIVED)
        .order_by("pk")
        .values_list("pk", "slug")
    )
    public_ids = [pk for pk, _slug in public]
    everyone = Q(community__isnull=True) | Q(community_id__in=public_ids)
    questions = list(
        Post.objects.filter(everyone, kind=PostKind.QUESTION, closed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "author_id")[:5000]
    )
    answers = list(
        Post.objects.filter(everyone, kind=PostKind.ANSWER, question__closed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "author_id")[:5000]
    )
    all_tags = list(
        Tag.objects.annotate(n=Count("posttag"))
        .filter(n__gt=0)
        .order_by("-n", "name")
        .values_list("name", flat=True)[:40]
    )
    # The API's tag rule (trellis/api/schemas.py TAG_PATTERN, qa/tags.py normalise_tags): tags the
    # demo holds that a client may not send are left out (and reported).
    tag_rule = re.compile(r"^[a-z0-9][a-z0-9+#.-]{0,34}$")
    tags = [t for t in all_tags if tag_rule.match(t)]
    stop = {
        "about",
        "after",
        "their",
        "there",
        "these",
        "which",
        "where",
        "what",
        "when",
        "should",
        "would",
        "could",
        "with",
        "from",
        "does",
        "into",
        "that",
        "this",
        "have",
        "your",
    }
    words: Counter[str] = Counter()
    for title in Post.objects.filter(everyone, kind=PostKind.QUESTION).values_list(
        "title", flat=True
    )[:5000]:
        words.update(w for w in re.findall(r"[a-z]{5,}", title.lower()) if w not in stop)
    person_ids = list(Person.objects.filter(is_active=True).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            server = f"SQLite {sqlite3.sqlite_version}"
    return {
        "server": server,
        "people": people,
        "communities": [slug for _pk, slug in public],
        "questions": questions,
        "answers": answers,
        "tags": tags,
        "tags_not_sendable": [t for t in all_tags if not tag_rule.match(t)],
        "words": [w for w, _n in words.most_common(200)],
        "person_ids": rng.sample(person_ids, min(500, len(person_ids))),
        "counts": {
            "people": len(person_ids),
            "questions": Post.objects.filter(kind=PostKind.QUESTION).count(),
            "answers": Post.objects.filter(kind=PostKind.ANSWER).count(),
        },
        "settings": {
            "shed_after_seconds": getattr(settings, "TRELLIS_SHED_AFTER_SECONDS", None),
            "task_max_attempts": getattr(settings, "TRELLIS_TASK_MAX_ATTEMPTS", None),
            "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
            "pool": {
                k: v
                if isinstance(v, int | float | str | bool)
                else getattr(v, "__qualname__", repr(v))
                for k, v in (
                    settings.DATABASES["default"].get("OPTIONS", {}).get("pool") or {}
                ).items()
            }
            or None,
        },
    }


def area_of(filename: str, name: str) -> str:
    text = f"{filename} {name}"
    if "sqlite3" in text or "psycopg" in text:
        return "database driver (SQL execution)"
    if "/django/db/" in filename:
        return "Django ORM (queries, models)"
    if "/django/template" in filename:
        return "Django templates"
    if any(lib in text for lib in ("numpy", "faiss", "onnxruntime", "tokenizers", "Stemmer")):
        return "search libraries (numpy, faiss, onnx, stemmer)"
    if "/ninja/" in filename or "pydantic" in text:
        return "API layer (ninja, pydantic)"
    if "/trellis/" in filename:
        return "Trellis code"
    if "/django/" in filename:
        return "Django other (middleware, sessions, auth...)"
    if any(lib in text for lib in ("markdown_it", "nh3", "lxml", "linkify", "mdit_py")):
        return "text rendering (markdown, sanitiser)"
    if filename == "~":
        return "Python builtins (getattr, isinstance...: called mostly by the ORM)"
    if "site-packages" not in filename:
        return "Python standard library"
    return "other libraries"


def profile_figures(profiler: Any, total_s: float, top: int = 8) -> dict[str, Any]:
    """Self time by area, and the functions with the most self and cumulative time."""
    import pstats

    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    areas: Counter[str] = Counter()
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        areas[area_of(filename, name)] += tottime
        short = filename.replace(str(ROOT) + "/", "")
        short = re.sub(r"^.*/site-packages/", "", short)
        label = f"{short}:{line}({name})" if filename != "~" else name
        rows.append((label, calls, tottime, cumtime, filename))
    profiled = sum(areas.values()) or 1.0

    def share(seconds: float) -> float:
        return round(seconds / profiled, 3)

    trellis_rows = [
        r
        for r in rows
        if "/trellis/" in r[4] and "bench_load" not in r[4] and not r[0].endswith("(__call__)")
    ]
    return {
        "profiled_s": round(profiled, 3),
        "wall_s": round(total_s, 3),
        "self_time_by_area": {k: share(v) for k, v in areas.most_common()},
        "top_cumulative_trellis": [
            {"function": r[0], "calls": r[1], "cumulative_s": round(r[3], 3), "share": share(r[3])}
            for r in sorted(trellis_rows, key=lambda r: -r[3])[:top]
        ],
        "top_self": [
            {"function": r[0], "calls": r[1], "self_s": round(r[2], 3), "share": share(r[2])}
            for r in sorted(rows, key=lambda r: -r[2])[:top]
        ],
    }


def child_profile(args: argparse.Namespace) -> dict[str, Any]:
    """With the server stopped, in one process as a web worker would be (django.test.Client,
    one handler): the service time of every operation of the mix; cProfile over the slowest;
    then the task with the most worker time during the load, on fresh work: the writes above
    enqueued tasks (no worker runs now), and the newest of that task are run under cProfile."""
    import cProfile
    import statistics
    from http.cookies import SimpleCookie

    spec = json.loads(Path(args.spec).read_text())
    django_child()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils.module_loading import import_string
    from django_tasks_db.models import DBTaskResult

    from trellis.people.models import Person

    client = Client(HTTP_HOST="127.0.0.1")
    jars: dict[int, SimpleCookie] = {}
    for requests in spec["ops"].values():
        for request in requests:
            if request["auth"] == "session" and request["person_id"] not in jars:
                client.cookies = SimpleCookie()
                client.force_login(Person.objects.get(pk=request["person_id"]))
                jars[request["person_id"]] = client.cookies

    def run(request: dict[str, Any]) -> int:
        extra = {}
        if request["auth"] == "token":
            client.cookies = SimpleCookie()
            extra["HTTP_AUTHORIZATION"] = f"Bearer {request['token']}"
        else:
            client.cookies = jars[request["person_id"]]
        response = client.generic(
            request["method"],
            request["path"],
            data=request.get("body", "").encode(),
            content_type="application/json",
            **extra,
        )
        return response.status_code

    timed_n = spec["timed"]
    for requests in spec["ops"].values():  # warm-up: imports, templates, caches
        for request in requests[:2]:
            run(request)
    service: dict[str, Any] = {}
    for op, requests in spec["ops"].items():
        samples, codes = [], Counter()
        for request in requests[2 : 2 + timed_n]:
            started = time.perf_counter()
            codes[run(request)] += 1
            samples.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            run(requests[2 + timed_n])
        n_queries = len(queries.captured_queries)  # now: the next request clears the log
        service[op] = {
            "median_ms": round(statistics.median(samples), 1),
            "max_ms": round(max(samples), 1),
            "queries": n_queries,
            "statuses": {str(k): v for k, v in sorted(codes.items())},
        }
    slowest = max(service, key=lambda op: service[op]["median_ms"])
    requests = spec["ops"][slowest][3 + timed_n :]
    codes = Counter()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for request in requests:
        codes[run(request)] += 1
    profiler.disable()
    total = time.perf_counter() - started
    out: dict[str, Any] = {
        "service_time_in_process": dict(
            sorted(service.items(), key=lambda item: -item[1]["median_ms"])
        ),
        "request": {
            "op": slowest,
            "example": requests[0]["path"] if requests else None,
            "requests": len(requests),
            "statuses": {str(k): v for k, v in sorted(codes.items())},
            "per_request_ms": round(total / max(1, len(requests)) * 1000, 1),
            "queries_per_request": service[slowest]["queries"],
            **profile_figures(profiler, total),
        },
    }

    path = spec.get("task_path")
    if path:
        task = import_string(path)
        func = getattr(task, "func", task)
        fresh = list(
            DBTaskResult.objects.filter(task_path=path, status="READY")
            .order_by("-enqueued_at")
            .values_list("args_kwargs", flat=True)[: spec["task_calls"]]
        )
        calls = fresh or spec["fallback_calls"]
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for call in calls:
            func(*call.get("args", []), **call.get("kwargs", {}))
        profiler.disable()
        total = time.perf_counter() - started
        out["task"] = {
            "task_path": path,
            "calls": len(calls),
            "on": "fresh tasks the writes above enqueued"
            if fresh
            else "its slowest calls of the load again (it may find its work done)",
            "per_call_ms": round(total / max(1, len(calls)) * 1000, 1),
            **profile_figures(profiler, total),
        }
    return out


# --------------------------------------------------------------------------------------------
# Parent: the database, seen directly (counts, verification).
# --------------------------------------------------------------------------------------------


class Db:
    """Plain connections to the configuration's database: the task backlog and the checks."""

    def __init__(self, engine: str, target: str) -> None:
        self.engine = engine
        self.target = target
        self.conn: Any = None

    def connect(self) -> None:
        if self.engine == "sqlite":
            self.conn = sqlite3.connect(self.target, timeout=30)  # reads only
        else:
            import psycopg

            self.conn = psycopg.connect(self.target, autocommit=True)

    def query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        if self.conn is None:
            self.connect()
        if self.engine == "sqlite":
            sql = sql.replace("%s", "?")
        cursor = self.conn.execute(sql, tuple(params))
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows

    def in_chunks(self, sql: str, ids: list[Any], size: int = 400) -> list[tuple[Any, ...]]:
        """`sql` with one {ids} placeholder list, run over `ids` in chunks."""
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            marks = ",".join(["%s"] * len(chunk))
            rows += self.query(sql.replace("{ids}", marks), chunk)
        return rows

    def backlog(self) -> dict[str, int]:
        rows = self.query(
            f"SELECT status, count(*) FROM {TASK_TABLE} "  # noqa: S608
            "WHERE status IN ('READY', 'RUNNING') GROUP BY status"
        )
        counts = {"READY": 0, "RUNNING": 0}
        counts.update({status: n for status, n in rows})
        return {
            "ready": counts["READY"],
            "running": counts["RUNNING"],
            "total": counts["READY"] + counts["RUNNING"],
        }

    def now_stamp(self) -> Any:
        """The task table's clock, to select tasks enqueued from now on."""
        if self.engine == "sqlite":  # Django stores UTC text there
            return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return datetime.now(UTC)

    def task_durations(self, since: Any) -> list[tuple[str, str, float, str]]:
        if self.engine == "sqlite":
            seconds = "(julianday(finished_at) - julianday(started_at)) * 86400.0"
        else:
            seconds = "extract(epoch from finished_at - started_at)"
        rows = self.query(
            f"SELECT task_path, status, {seconds}, args_kwargs FROM {TASK_TABLE} "  # noqa: S608
            "WHERE enqueued_at >= %s AND finished_at IS NOT NULL AND started_at IS NOT NULL",
            (since,),
        )
        return [(r[0], r[1], float(r[2] or 0.0), r[3]) for r in rows]

    def failed_tasks(self) -> dict[str, int]:
        rows = self.query(
            f"SELECT task_path, count(*) FROM {TASK_TABLE} "  # noqa: S608
            "WHERE status = 'FAILED' GROUP BY task_path"
        )
        return {path: n for path, n in rows}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --------------------------------------------------------------------------------------------
# The workload: who does what, and what the clients saw succeed.
# --------------------------------------------------------------------------------------------


@dataclass
class Identity:
    """A person using Trellis: a session, a token, and keep-alive connections of their own
    (as a browser has), so requests spread over the web workers as real users' would."""

    person_id: int
    email: str
    token: str
    pool: Pool
    cookies: dict[str, str] = field(default_factory=dict)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


@dataclass
class Request:
    kind: str
    op: str
    method: str
    path: str
    identity: Identity
    auth: str  # session or token
    body: str = ""
    expect: tuple[int, ...] = (200,)
    on_ok: Callable[[Response], None] | None = None


def marker(rng: random.Random) -> str:
    """A made-up word no document holds: the created post is then found by it alone."""
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(9))


class Workload:
    def __init__(self, setup: dict[str, Any], identities: list[Identity], seed: int) -> None:
        self.rng = random.Random(seed)
        self.identities = identities
        self.communities: list[str] = setup["communities"]
        self.tags: list[str] = setup["tags"] or ["general"]
        self.words: list[str] = setup["words"] or ["deploy", "python", "testing"]
        self.person_ids: list[int] = setup["person_ids"]
        self.questions: list[tuple[int, int | None]] = [tuple(q) for q in setup["questions"]]
        self.answers: list[tuple[int, int | None]] = [tuple(a) for a in setup["answers"]]
        # What the clients created and saw succeed.
        self.created_questions: dict[int, dict[str, Any]] = {}
        self.created_answers: dict[int, dict[str, Any]] = {}
        self.votes: dict[tuple[int, int], int] = {}  # (voter, post) -> value, 2xx seen
        self.accepts: dict[int, int] = {}  # question -> answer, 2xx seen
        self.vote_reserved: set[tuple[int, int]] = set()
        self.accept_reserved: set[int] = set()
        self.awaiting_accept: dict[int, list[int]] = defaultdict(list)  # question -> answers
        self.writes_sent: Counter[str] = Counter()
        self.writes_unknown: Counter[str] = Counter()  # no answer: may or may not have happened
        ops = [(kind, op) for kind, op, _w in MIX]
        self.ops = ops
        self.weights = [w for _k, _o, w in MIX]

    def pick(self) -> tuple[str, str]:
        return self.rng.choices(self.ops, weights=self.weights)[0]

    def build(self, op: str, identity: Identity | None = None) -> Request:
        rng = self.rng
        who = identity or rng.choice(self.identities)
        word = rng.choice(self.words)
        if op == "home":
            return Request("page", op, "GET", "/", who, "session")
        if op == "question-list":
            return Request("page", op, "GET", "/questions/", who, "session")
        if op == "question":
            qid = self._question_to_read()
            return Request("page", op, "GET", f"/questions/{qid}/", who, "session")
        if op == "community":
            slug = rng.choice(self.communities)
            return Request("page", op, "GET", f"/c/{slug}/", who, "session")
        if op == "person":
            return Request(
                "page", op, "GET", f"/people/{rng.choice(self.person_ids)}/", who, "session"
            )
        if op == "search-page":
            return Request("search", op, "GET", f"/search/?q={quote(word)}", who, "session")
        if op == "api-questions":
            sort = rng.choice(["newest", "active", "votes", "unanswered"])
            return Request(
                "api", op, "GET", f"/api/v1/questions?sort={sort}&page_size=20", who, "token"
            )
        if op == "api-question":
            qid = self._question_to_read()
            return Request("api", op, "GET", f"/api/v1/questions/{qid}", who, "token")
        if op == "api-search":
            return Request("api", op, "GET", f"/api/v1/search?q={quote(word)}", who, "token")
        if op == "api-experts":
            return Request("api", op, "GET", f"/api/v1/experts?q={quote(word)}", who, "token")
        if op == "accept":
            request = self._accept()
            if request is not None:
                return request
            op = "vote"  # nothing to accept yet
        if op == "vote":
            request = self._vote(who)
            if request is not None:
                return request
            op = "answer"
        if op == "answer":
            return self._answer(who)
        if op == "ask":
            return self._ask(who)
        raise ValueError(op)

    def _question_to_read(self) -> int:
        if self.created_questions and self.rng.random() < 0.3:
            return self.rng.choice(list(self.created_questions))
        return self.rng.choice(self.questions)[0]

    def _ask(self, who: Identity) -> Request:
        rng = self.rng
        mark = marker(rng)
        words = rng.sample(self.words, min(3, len(self.words)))
        title = f"How should we handle {' '.join(words)} ({mark})?"
        community = (
            rng.choice(self.communities) if self.communities and rng.random() < 0.6 else None
        )
        tags = rng.sample(self.tags, min(len(self.tags), rng.randint(1, 2)))
        body = (
            f"We keep running into trouble with {words[0]} when {rng.choice(self.words)} "
            f"changes. What has worked for you? {mark}"
        )
        payload = {"title": title, "body": body, "tags": tags, "community": community}

        def ok(response: Response) -> None:
            data = response.json()
            self.created_questions[int(data["id"])] = {
                "title": title,
                "marker": mark,
                "author": who.person_id,
                "token": who.token,
            }

        return Request(
            "write",
            "ask",
            "POST",
            "/api/v1/questions",
            who,
            "token",
            json.dumps(payload),
            (201,),
            ok,
        )

    def _answer(self, who: Identity) -> Request:
        rng = self.rng
        mine = [q for q, info in self.created_questions.items() if info["author"] != who.person_id]
        from_demo = not mine or rng.random() >= 0.7
        qid = rng.choice(self.questions)[0] if from_demo else rng.choice(mine)
        mark = marker(rng)
        body = (
            f"We solved a similar {rng.choice(self.words)} problem by pinning "
            f"{rng.choice(self.words)} first, then checking the logs. {mark}"
        )

        def ok(response: Response) -> None:
            data = response.json()
            aid = int(data["id"])
            self.created_answers[aid] = {
                "question": qid,
                "marker": mark,
                "author": who.person_id,
                "token": who.token,
            }
            if qid in self.created_questions:
                self.awaiting_accept[qid].append(aid)

        return Request(
            "write",
            "answer",
            "POST",
            f"/api/v1/questions/{qid}/answers",
            who,
            "token",
            json.dumps({"body": body}),
            (201,),
            ok,
        )

    def _vote(self, who: Identity) -> Request | None:
        rng = self.rng
        pools: list[list[tuple[int, int | None]]] = [self.answers, self.questions]
        created = [(a, i["author"]) for a, i in self.created_answers.items()]
        created += [(q, i["author"]) for q, i in self.created_questions.items()]
        if created:
            pools.append(created)
        for _attempt in range(20):
            post, author = rng.choice(rng.choice(pools))
            key = (who.person_id, post)
            if author == who.person_id or key in self.vote_reserved:
                continue
            self.vote_reserved.add(key)
            value = 1 if rng.random() < 0.85 else -1

            def ok(response: Response, key: tuple[int, int] = key, value: int = value) -> None:
                self.votes[key] = value

            return Request(
                "write",
                "vote",
                "PUT",
                f"/api/v1/posts/{post}/vote",
                who,
                "token",
                json.dumps({"value": value}),
                (200,),
                ok,
            )
        return None

    def _accept(self) -> Request | None:
        open_questions = [
            q
            for q, answers in self.awaiting_accept.items()
            if answers and q not in self.accept_reserved
        ]
        if not open_questions:
            return None
        qid = self.rng.choice(open_questions)
        info = self.created_questions[qid]
        candidates = [
            a
            for a in self.awaiting_accept[qid]
            if self.created_answers[a]["author"] != info["author"]
        ]
        if not candidates:
            return None
        aid = self.rng.choice(candidates)
        self.accept_reserved.add(qid)
        asker = next((i for i in self.identities if i.person_id == info["author"]), None)
        if asker is None:
            return None

        def ok(response: Response) -> None:
            self.accepts[qid] = aid

        return Request(
            "write",
            "accept",
            "POST",
            f"/api/v1/answers/{aid}/accept",
            asker,
            "token",
            "",
            (200,),
            ok,
        )


def sender_for(
    workload: Workload, timeout: float, request: Request
) -> Callable[[float], Awaitable[Outcome]]:
    """Sends `request` when awaited; latency counts from the reference time it is given."""

    async def send(reference: float) -> Outcome:
        loop = asyncio.get_running_loop()
        lag = (loop.time() - reference) * 1000
        headers = {"Accept": "application/json" if request.auth == "token" else "text/html"}
        if request.auth == "token":
            headers["Authorization"] = f"Bearer {request.identity.token}"
        else:
            headers["Cookie"] = request.identity.cookie_header()
        if request.body:
            headers["Content-Type"] = "application/json"
        try:
            response = await request.identity.pool.request(
                request.method,
                request.path,
                headers=headers,
                body=request.body.encode(),
                timeout=timeout,
            )
        except TimeoutError:
            if request.op in WRITE_OPS:
                workload.writes_unknown[request.op] += 1
            return Outcome(
                request.kind,
                request.op,
                (loop.time() - reference) * 1000,
                None,
                "timeout",
                lag_ms=lag,
            )
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            if request.op in WRITE_OPS:
                workload.writes_unknown[request.op] += 1
            return Outcome(
                request.kind,
                request.op,
                (loop.time() - reference) * 1000,
                None,
                f"connection: {type(error).__name__}",
                lag_ms=lag,
            )
        latency = (loop.time() - reference) * 1000
        error = ""
        detail = ""
        if response.status not in request.expect:
            error = f"status {response.status}"
            if response.status != 503:
                said = response.body[:300].decode(errors="replace")
                detail = f"{request.method} {request.path}: {said}"
        elif request.on_ok is not None:
            try:
                request.on_ok(response)
            except (ValueError, KeyError) as problem:
                error = f"unreadable answer: {problem}"
        return Outcome(
            request.kind,
            request.op,
            latency,
            response.status,
            error,
            retry_after=response.header("retry-after") is not None,
            lag_ms=lag,
            detail=detail,
        )

    return send


def make_sender(
    workload: Workload, timeout: float, identity: Identity | None = None
) -> Callable[[], Callable[[float], Awaitable[Outcome]]]:
    """A factory of one request each: the operation is chosen when the request is due."""

    def make() -> Callable[[float], Awaitable[Outcome]]:
        _kind, op = workload.pick()
        request = workload.build(op, identity)
        if request.op in WRITE_OPS:
            workload.writes_sent[request.op] += 1
        return sender_for(workload, timeout, request)

    return make


async def sign_in(identity: Identity) -> str | None:
    """The real sign-in form. Returns what went wrong, or None."""
    pool = identity.pool
    page = await pool.request("GET", "/login/", timeout=60)
    cookies = page.cookies()
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or not found or "csrftoken" not in cookies:
        return f"login form: {page.status}"
    body = form_body(
        {
            "csrfmiddlewaretoken": found.group(1).decode(),
            "username": identity.email,
            "password": DEMO_PASSWORD,
            "next": "/",
        }
    )
    answer = await pool.request(
        "POST",
        "/login/",
        body=body,
        timeout=60,
        headers={
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    session = answer.cookies()
    if answer.status != 302 or "sessionid" not in session:
        return f"sign-in answered {answer.status}"
    identity.cookies = {
        "csrftoken": session.get("csrftoken", cookies["csrftoken"]),
        "sessionid": session["sessionid"],
    }
    return None


# --------------------------------------------------------------------------------------------
# One database configuration.
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_cli(env: dict[str, str], *args: str, timeout: float = 1800) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "trellis.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"trellis {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def run_child(env: dict[str, str], *args: str, timeout: float = 1800) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, __file__, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": f"child exited {done.returncode}", "stderr": done.stderr[-3000:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@contextlib.contextmanager
def scratch(database: str, args: argparse.Namespace) -> Iterator[tuple[dict[str, str], Db, Path]]:
    with tempfile.TemporaryDirectory(prefix="trellis-bench-load-") as tmp:
        env = {
            k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TRELLIS_SQLITE_PATH"}
        }
        env["TRELLIS_DATA_DIR"] = tmp
        env["TRELLIS_SECRET_KEY"] = secrets.token_urlsafe(48)
        env["PYTHONUNBUFFERED"] = "1"
        if args.embeddings == "off":
            env["TRELLIS_EMBEDDINGS"] = "off"
        if database == "sqlite":
            yield env, Db("sqlite", str(Path(tmp) / "trellis.sqlite3")), Path(tmp)
            return
        if database == "sqlite-url":
            path = Path(tmp) / "url.sqlite3"
            env["DATABASE_URL"] = f"sqlite:///{path}"
            yield env, Db("sqlite", str(path)), Path(tmp)
            return
        import psycopg

        parts = urlsplit(args.postgres_url)
        admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
        name = "trellis_bench_load"
        url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            env["DATABASE_URL"] = url
            yield env, Db("postgres", url), Path(tmp)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """`trellis serve` in a process group of its own, its output in a file."""

    def __init__(self, env: dict[str, str], folder: Path, web_workers: int) -> None:
        self.port = free_port()
        self.log_path = folder / "serve.log"
        self.log_file = self.log_path.open("w")
        command = [
            PYTHON,
            "-m",
            "trellis.cli",
            "serve",
            "--no-migrate",
            "--port",
            str(self.port),
            "--web-workers",
            str(web_workers),
        ]
        self.proc = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    async def wait_ready(self, timeout: float = 120) -> None:
        pool = Pool("127.0.0.1", self.port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.tail()}")
            try:
                response = await pool.request("GET", "/login/", timeout=10)
                if response.status == 200:
                    pool.close()
                    return
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                pass
            await asyncio.sleep(0.5)
        raise RuntimeError(f"serve did not answer /login/ in {timeout} s: {self.tail()}")

    def tail(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # The children (gunicorn, worker, scheduler) share the group: make sure none is left.
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log_file.close()


def scan_server_log(text: str) -> dict[str, Any]:
    """What the server's output says went wrong."""
    access = Counter(re.findall(r'" (\d{3}) \d+ "', text))
    tracebacks = []
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = k + 1
            while end < len(lines) and (lines[end].startswith(" ") or lines[end] == ""):
                end += 1
            last = lines[end] if end < len(lines) else ""
            context = lines[max(0, k - 2) : k]
            frames = [x.strip() for x in lines[k + 1 : end] if x.startswith("  File")]
            tracebacks.append({"error": last[:300], "before": context, "frames": frames[-4:]})
    distinct: dict[str, dict[str, Any]] = {}
    for tb in tracebacks:
        distinct.setdefault(tb["error"], {**tb, "count": 0})["count"] += 1
    return {
        "access_5xx": {code: n for code, n in sorted(access.items()) if code.startswith("5")},
        "server_500s": access.get("500", 0),
        "tracebacks": len(tracebacks),
        "traceback_kinds": list(distinct.values())[:6],
        "database_is_locked": text.count("database is locked"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "task_retries": len(re.findall(r"failed \(attempt \d+ of \d+", text)),
        "tasks_failed_for_good": text.count("failed for good"),
        "database_unavailable": text.count("database unavailable"),
        "children_restarted": len(re.findall(r"\[serve\].*(exited|restart)", text)),
    }


def cpu_snapshot(group: int) -> dict[str, float]:
    """CPU seconds so far of the server's processes by role, PostgreSQL's and this client's."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds: Counter[str] = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm_end = stat.rindex(")")
        comm = stat[stat.index("(") + 1 : comm_end]
        fields = stat[comm_end + 2 :].split()
        pgid, used = int(fields[2]), (int(fields[11]) + int(fields[12])) / tick
        if pgid == group:
            if "gunicorn" in cmdline:
                role = f"web:{entry.name}"
            elif " worker" in cmdline:
                role = "worker"
            elif " scheduler" in cmdline:
                role = "scheduler"
            else:
                role = "supervisor"
        elif comm == "postgres" and "trellis_bench_load" in cmdline:
            role = "postgres"
        elif int(entry.name) == os.getpid():
            role = "client"
        else:
            continue
        seconds[role] += used
    with open("/proc/stat") as stat_file:
        cpu = [int(x) for x in stat_file.readline().split()[1:]]
    seconds["machine"] = (sum(cpu) - cpu[3] - cpu[4]) / tick  # all but idle and iowait
    return dict(seconds)


def cpu_used(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, Any]:
    """Cores used on average over `wall` seconds, by role (a process that exited in between
    takes its time with it, so these are lower bounds), and by everything else running."""
    used: Counter[str] = Counter()
    web = []
    for key in sorted(after):
        cores = max(0.0, after[key] - before.get(key, 0.0)) / wall
        role = key.split(":")[0]
        used[role] += cores
        if role == "web" and cores >= 0.01:  # the arbiter does nothing
            web.append(round(cores, 2))
    ours = sum(v for k, v in used.items() if k != "machine")
    figures: dict[str, Any] = {k: round(v, 2) for k, v in sorted(used.items())}
    figures["web_per_process"] = sorted(web, reverse=True)
    figures["others_on_the_machine"] = round(max(0.0, used["machine"] - ours), 2)
    return figures


async def wait_drained(db: Db, limit: float) -> tuple[float | None, dict[str, int]]:
    """Seconds until no task is READY or RUNNING (None if not within `limit`)."""
    started = time.monotonic()
    while True:
        backlog = db.backlog()
        if backlog["total"] == 0:
            return round(time.monotonic() - started, 1), backlog
        if time.monotonic() - started > limit:
            return None, backlog
        await asyncio.sleep(1.0)


def step_verdict(summary: dict[str, Any], offered: float) -> dict[str, Any]:
    read_p95 = summary["read"].get("p95_ms", float("inf"))
    shed_share = summary["shed_503"] / max(1, summary["requests"])
    achieved = summary["throughput_rps"] or 0.0
    return {
        "sustained": read_p95 <= TARGET_READ_P95_MS
        and summary["errors"] == 0
        and achieved >= 0.95 * offered,
        "overloaded": read_p95 > TARGET_READ_P95_MS or shed_share > OVERLOAD_SHED_SHARE,
        "shed_share": round(shed_share, 3),
    }


async def load_phase(
    args: argparse.Namespace, server: Server, db: Db, setup: dict[str, Any]
) -> dict[str, Any]:
    pool = Pool("127.0.0.1", server.port)
    identities = [
        Identity(p["id"], p["email"], p["token"], Pool("127.0.0.1", server.port))
        for p in setup["people"]
    ]
    started = time.monotonic()
    semaphore = asyncio.Semaphore(2)

    async def one(identity: Identity) -> str | None:
        async with semaphore:
            return await sign_in(identity)

    problems = [p for p in await asyncio.gather(*(one(i) for i in identities)) if p]
    signin_s = time.monotonic() - started
    if problems:
        raise RuntimeError(f"sign-in failed for {len(problems)}: {problems[:3]}")
    log(f"  {len(identities)} people signed in over the form in {signin_s:.1f} s")
    workload = Workload(setup, identities, args.seed)

    # Warm-up (not measured): every operation a few times, both web workers.
    make = make_sender(workload, args.timeout)
    warm = []
    for op in [op for _k, op, _w in MIX] * 3:
        request = workload.build(op)
        if request.op in WRITE_OPS:
            workload.writes_sent[request.op] += 1
        send = sender_for(workload, args.timeout, request)
        warm.append(await send(asyncio.get_running_loop().time()))
    warm_errors = Counter(f"{o.op}: {o.error}" for o in warm if o.error)
    log(f"  warm-up: {len(warm)} requests, errors {dict(warm_errors) or 0}")
    await wait_drained(db, args.step_drain_max)

    load_started_at = db.now_stamp()
    rusage_before = resource.getrusage(resource.RUSAGE_SELF)
    steps: list[dict[str, Any]] = []
    overloaded_in_a_row = 0
    rates = [float(r) for r in args.rates.split(",") if r]
    for k, rate in enumerate(rates):
        log(f"  open loop: {rate:g} req/s for {args.step_seconds:g} s")
        cpu_before, cpu_t0 = cpu_snapshot(server.proc.pid), time.monotonic()
        outcomes, window = await open_loop(
            make, rate, args.step_seconds, drain_timeout=args.timeout + 5
        )
        summary = summarise(outcomes, window)
        cpu = cpu_used(cpu_before, cpu_snapshot(server.proc.pid), time.monotonic() - cpu_t0)
        backlog = db.backlog()
        last = k == len(rates) - 1
        verdict = step_verdict(summary, rate)
        overloaded_in_a_row = overloaded_in_a_row + 1 if verdict["overloaded"] else 0
        stopping = overloaded_in_a_row >= 2
        limit = args.drain_max if (last or stopping) else args.step_drain_max
        drain_s, left = await wait_drained(db, limit)
        steps.append(
            {
                "offered_rps": rate,
                **summary,
                **verdict,
                "cores_used": cpu,
                "backlog_after_step": backlog,
                "drain_s": drain_s,
                "backlog_left": left["total"],
            }
        )
        log(
            f"    -> {summary['throughput_rps']} ok/s, read p95 {summary['read'].get('p95_ms')} "
            f"ms, statuses {summary['statuses']}, backlog {backlog['total']}, drained in "
            f"{drain_s} s"
        )
        if stopping:
            log("    two overloaded steps in a row: stepping stops")
            break
    open_drain = steps[-1]["drain_s"] if steps else None

    closed: dict[str, Any] = {}
    if args.closed_clients > 0 and args.closed_seconds > 0:
        log(f"  closed loop: {args.closed_clients} clients for {args.closed_seconds:g} s")
        makers = [
            make_sender(workload, args.timeout, identities[i % len(identities)])
            for i in range(args.closed_clients)
        ]
        cpu_before, cpu_t0 = cpu_snapshot(server.proc.pid), time.monotonic()
        outcomes, window = await closed_loop(makers, args.closed_seconds)
        summary = summarise(outcomes, window)
        cpu = cpu_used(cpu_before, cpu_snapshot(server.proc.pid), time.monotonic() - cpu_t0)
        backlog = db.backlog()
        drain_s, left = await wait_drained(db, args.drain_max)
        closed = {
            "clients": args.closed_clients,
            "seconds": round(window, 1),
            **summary,
            "cores_used": cpu,
            "backlog_after": backlog,
            "drain_s": drain_s,
            "backlog_left": left["total"],
        }
        log(
            f"    -> {summary['throughput_rps']} ok/s, read p95 {summary['read'].get('p95_ms')} "
            f"ms, statuses {summary['statuses']}, backlog {backlog['total']}, drained in "
            f"{drain_s} s"
        )
    rusage_after = resource.getrusage(resource.RUSAGE_SELF)

    # Every write the clients saw succeed: in the database, and in search.
    checks = verify_writes(db, workload)
    checks["search_api_sample"] = await search_sample(pool, workload, args.seed)
    pool.close()
    for identity in identities:
        identity.pool.close()
    durations = db.task_durations(load_started_at)
    return {
        "signin_s": round(signin_s, 1),
        "steps": steps,
        "closed_loop": closed,
        "open_loop_drain_s": open_drain,
        "workload": workload,
        "checks": checks,
        "task_durations": durations,
        "client_cpu_s": round(
            (rusage_after.ru_utime + rusage_after.ru_stime)
            - (rusage_before.ru_utime + rusage_before.ru_stime),
            1,
        ),
        "stale_connection_retries": sum(i.pool.stale_retries for i in identities),
        "connections_opened": sum(i.pool.opened for i in identities),
    }


def verify_writes(db: Db, workload: Workload) -> dict[str, Any]:
    qids = sorted(workload.created_questions)
    aids = sorted(workload.created_answers)

    def pairs(sql: str, ids: list[Any]) -> dict[Any, Any]:
        return {tuple(r[:-1]) if len(r) > 2 else r[0]: r[-1] for r in db.in_chunks(sql, ids)}

    found_q = pairs("SELECT id, title FROM qa_post WHERE kind = 'question' AND id IN ({ids})", qids)
    lost_q = [q for q in qids if found_q.get(q) != workload.created_questions[q]["title"]]
    found_a = pairs(
        "SELECT id, question_id FROM qa_post WHERE kind = 'answer' AND id IN ({ids})", aids
    )
    lost_a = [a for a in aids if found_a.get(a) != workload.created_answers[a]["question"]]
    voters = sorted({voter for voter, _post in workload.votes})
    found_v = pairs(
        "SELECT voter_id, post_id, value FROM qa_vote WHERE voter_id IN ({ids})", voters
    )
    lost_v = [k for k, v in workload.votes.items() if found_v.get(k) != v]
    accepted = sorted(workload.accepts)
    found_acc = pairs("SELECT id, accepted_answer_id FROM qa_post WHERE id IN ({ids})", accepted)
    lost_acc = [q for q in accepted if found_acc.get(q) != workload.accepts[q]]
    in_index = "SELECT object_id, 1 FROM search_document WHERE kind = %s AND object_id IN ({ids})"
    docs_q = pairs(in_index.replace("%s", "'question'"), qids)
    docs_a = pairs(in_index.replace("%s", "'answer'"), aids)
    missing_q = [q for q in qids if q not in docs_q]
    missing_a = [a for a in aids if a not in docs_a]
    lost = len(lost_q) + len(lost_a) + len(lost_v) + len(lost_acc)
    return {
        "writes_sent": dict(workload.writes_sent),
        "writes_seen_ok": {
            "ask": len(qids),
            "answer": len(aids),
            "vote": len(workload.votes),
            "accept": len(accepted),
        },
        "writes_without_answer": dict(workload.writes_unknown),
        "lost_writes": lost,
        "lost": {
            "questions": lost_q[:20],
            "answers": lost_a[:20],
            "votes": [list(k) for k in lost_v[:20]],
            "accepts": lost_acc[:20],
        },
        "missing_from_search": len(missing_q) + len(missing_a),
        "missing": {"questions": missing_q[:20], "answers": missing_a[:20]},
    }


async def search_sample(pool: Pool, workload: Workload, seed: int, n: int = 25) -> dict[str, Any]:
    """A sample of the created posts, searched for over the API by their unique word."""
    rng = random.Random(seed)
    qs = rng.sample(sorted(workload.created_questions), min(n, len(workload.created_questions)))
    ans = rng.sample(sorted(workload.created_answers), min(n, len(workload.created_answers)))
    checked = 0
    not_found: list[str] = []
    for kind, ids, info in (
        ("question", qs, workload.created_questions),
        ("answer", ans, workload.created_answers),
    ):
        for pk in ids:
            path = f"/api/v1/search?q={info[pk]['marker']}&kind={kind}&mode=lexical&page_size=5"
            response = await pool.request(
                "GET", path, headers={"Authorization": f"Bearer {info[pk]['token']}"}, timeout=30
            )
            checked += 1
            items = response.json().get("items", []) if response.status == 200 else []
            if not any(item.get("id") == pk for item in items):
                not_found.append(f"{kind} {pk} ({response.status})")
    return {"checked": checked, "not_found": len(not_found), "examples": not_found[:10]}


def task_stats(durations: list[tuple[str, str, float, str]]) -> dict[str, Any]:
    by_path: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    for path, status, seconds, _args in durations:
        by_path[path].append(seconds)
        statuses[status] += 1
    rows = []
    for path, values in by_path.items():
        values.sort()
        rows.append(
            {
                "task": path.replace("trellis.", "", 1),
                "runs": len(values),
                "total_s": round(sum(values), 2),
                "mean_ms": round(sum(values) / len(values) * 1000, 1),
                "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))] * 1000, 1),
                "max_ms": round(values[-1] * 1000, 1),
            }
        )
    rows.sort(key=lambda r: -r["total_s"])
    return {"statuses": dict(statuses), "by_task": rows[:10]}


def profiles(
    args: argparse.Namespace,
    env: dict[str, str],
    folder: Path,
    workload: Workload,
    durations: list[tuple[str, str, float, str]],
) -> dict[str, Any]:
    """The most expensive request kind (by service time, measured in process with the server
    stopped, not by latency under load, which is mostly queueing) and the task with the most
    worker time during the load, each under cProfile."""
    timed = 5
    ops: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _kind, op, _weight in MIX:
        for _ in range(3 + timed + args.profile_requests):
            request = workload.build(op)  # an accept with nothing to accept becomes a vote
            ops[request.op].append(
                {
                    "method": request.method,
                    "path": request.path,
                    "body": request.body,
                    "auth": request.auth,
                    "person_id": request.identity.person_id,
                    "token": request.identity.token,
                }
            )
    ops = {op: requests for op, requests in ops.items() if len(requests) >= 3 + timed}
    by_path: dict[str, list[tuple[float, Any]]] = defaultdict(list)
    for path, status, seconds, args_kwargs in durations:
        if status == "SUCCESSFUL":
            by_path[path].append((seconds, args_kwargs))
    task_path = max(by_path, key=lambda p: sum(s for s, _a in by_path[p])) if by_path else None
    fallback = []
    if task_path:
        slowest = sorted(by_path[task_path], key=lambda r: -r[0])[: args.profile_tasks]
        fallback = [json.loads(a) if isinstance(a, str) else a for _s, a in slowest]
    spec = folder / "profile.json"
    spec.write_text(
        json.dumps(
            {
                "ops": ops,
                "timed": timed,
                "task_path": task_path,
                "task_calls": args.profile_tasks,
                "fallback_calls": fallback,
            }
        )
    )
    log(f"  profiling: every operation in process, the slowest, and {task_path}")
    out = run_child(env, "--child", "profile", "--spec", str(spec))
    if task_path and "task" in out:
        values = [s for s, _a in by_path[task_path]]
        out["task"]["during_the_load"] = {
            "runs": len(values),
            "worker_s": round(sum(values), 1),
            "mean_ms": round(sum(values) / len(values) * 1000, 1),
        }
    return out


def run_config(database: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    result: dict[str, Any] = {}
    with scratch(database, args) as (env, db, folder):
        result["database_url"] = (
            "unset (default SQLite file in TRELLIS_DATA_DIR)"
            if "DATABASE_URL" not in env
            else env["DATABASE_URL"].replace(str(folder), "<tmp>")
        )
        migrate_s, _out = run_cli(env, "migrate", "--no-input")
        demo_s, _demo_out = run_cli(env, "demo", "--size", str(args.size), "--seed", str(args.seed))
        log(f"{database}: migrate {migrate_s:.1f} s, demo --size {args.size} {demo_s:.1f} s")
        result["migrate_s"] = round(migrate_s, 1)
        result["demo_s"] = round(demo_s, 1)
        if args.import_dump:
            import_s, _import_out = run_cli(
                env, "import", "stackexchange", args.import_dump, "--quiet", "--json"
            )
            result["import"] = {"dump": args.import_dump, "seconds": round(import_s, 1)}
            log(f"  imported {args.import_dump} in {import_s:.1f} s")
        setup = run_child(
            env, "--child", "setup", "--people", str(args.people), "--seed", str(args.seed)
        )
        if "error" in setup:
            raise RuntimeError(f"setup child: {setup}")
        result["server"] = setup["server"]
        result["organisation"] = setup["counts"]
        result["product_settings"] = setup["settings"]
        result["demo_tags_the_api_refuses"] = setup["tags_not_sendable"]
        server = Server(env, folder, args.web_workers)
        try:
            loaded = asyncio.run(serve_and_load(args, server, db, setup, result))
        finally:
            server.stop()
            serve_log = server.log_path.read_text(errors="replace")
            db_extra = {"failed_tasks": db.failed_tasks()}
        result.update(loaded["figures"])
        result["server_log"] = scan_server_log(serve_log)
        result["server_500s"] = result["server_log"]["server_500s"]
        result["failed_tasks"] = sum(db_extra["failed_tasks"].values())
        result["failed_task_kinds"] = db_extra["failed_tasks"]
        result["tasks_during_load"] = task_stats(loaded["durations"])
        db.close()
        if args.profile:
            result["profile"] = profiles(args, env, folder, loaded["workload"], loaded["durations"])
        if args.keep_logs:
            kept = Path(args.keep_logs) / f"serve-{database}.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(serve_log)
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


async def serve_and_load(
    args: argparse.Namespace,
    server: Server,
    db: Db,
    setup: dict[str, Any],
    result: dict[str, Any],
) -> dict[str, Any]:
    await server.wait_ready()
    log(f"  serving on port {server.port}; waiting for the initial tasks")
    initial_s, left = await wait_drained(db, args.drain_max * 2)
    result["initial_tasks_drain_s"] = initial_s
    result["organisation"]["search_documents"] = db.query("SELECT count(*) FROM search_document")[
        0
    ][0]
    if initial_s is None:
        log(f"  initial tasks not drained ({left}); loading anyway")
    loaded = await load_phase(args, server, db, setup)
    steps = loaded["steps"]
    sustained = [s["offered_rps"] for s in steps if s["sustained"]]
    sustained_rps = max(sustained) if sustained else 0.0
    errors_up_to = sum(s["errors"] for s in steps if s["offered_rps"] <= sustained_rps)
    closed = loaded["closed_loop"]
    drains = [loaded["open_loop_drain_s"], closed.get("drain_s") if closed else None]
    parts = [*steps, closed] if closed else steps
    figures = {
        "signin_s": loaded["signin_s"],
        "steps": steps,
        "closed_loop": closed,
        "sustained_rps": sustained_rps,
        "errors_up_to_sustained": errors_up_to,
        "responses_500": sum(s["statuses"].get("500", 0) for s in parts),
        "responses_5xx_not_503": sum(s["server_errors_5xx_not_503"] for s in parts),
        "responses_503": sum(s["shed_503"] for s in parts),
        "responses_503_without_retry_after": sum(s["shed_503_without_retry_after"] for s in parts),
        "drain_seconds": None if None in drains else max(d for d in drains if d is not None),
        "drain_after_open_loop_s": loaded["open_loop_drain_s"],
        "drain_after_closed_loop_s": closed.get("drain_s") if closed else None,
        "lost_writes": loaded["checks"]["lost_writes"],
        "missing_from_search": loaded["checks"]["missing_from_search"],
        "writes": loaded["checks"],
        "client": {
            "cpu_s": loaded["client_cpu_s"],
            "connections_opened": loaded["connections_opened"],
            "stale_keepalive_retries": loaded["stale_connection_retries"],
        },
    }
    return {
        "figures": figures,
        "workload": loaded["workload"],
        "durations": loaded["task_durations"],
    }


def config_targets(database: str, r: dict[str, Any]) -> dict[str, bool]:
    if "error" in r:
        return {"ran": False}
    checks = {
        "no_500": r["responses_5xx_not_503"] == 0 and r["server_500s"] == 0,
        "every_503_has_retry_after": r["responses_503_without_retry_after"] == 0,
        "no_lost_writes": r["lost_writes"] == 0,
        "everything_in_search": r["missing_from_search"] == 0
        and r["writes"]["search_api_sample"]["not_found"] == 0,
        "no_errors_up_to_sustained": r["errors_up_to_sustained"] == 0 and r["sustained_rps"] > 0,
        "drains_within_120s": r["drain_seconds"] is not None
        and r["drain_seconds"] <= TARGET_DRAIN_S,
        "no_failed_tasks": r["failed_tasks"] == 0,
    }
    if database == "postgres":
        checks["sustained_30rps"] = r["sustained_rps"] >= TARGET_SUSTAINED_RPS_POSTGRES
    return checks


def code_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    changed = [line for line in git("status", "--porcelain", "--", "trellis").splitlines() if line]
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "trellis_uncommitted_files": len(changed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--databases",
        default="sqlite,sqlite-url,postgres",
        help="any of sqlite (default settings), sqlite-url, postgres",
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES,
        help="server on which trellis_bench_load is created and dropped",
    )
    parser.add_argument("--rates", default="5,10,20,30,40,60,80", help="open-loop steps, req/s")
    parser.add_argument("--step-seconds", type=float, default=20.0)
    parser.add_argument(
        "--step-drain-max",
        type=float,
        default=30.0,
        help="wait at most this long for the backlog between steps",
    )
    parser.add_argument(
        "--drain-max",
        type=float,
        default=300.0,
        help="wait at most this long for the backlog after the load",
    )
    parser.add_argument("--closed-clients", type=int, default=50)
    parser.add_argument("--closed-seconds", type=float, default=60.0)
    parser.add_argument("--people", type=int, default=50, help="demo people signed in")
    parser.add_argument("--size", type=int, default=300, help="demo organisation (people)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--embeddings",
        choices=["on", "off"],
        default="off",
        help="off: TRELLIS_EMBEDDINGS=off (lexical search only)",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="serve --web-workers")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument(
        "--import-dump", default=None, help="a Stack Exchange dump folder to import before the load"
    )
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--profile-requests", type=int, default=20)
    parser.add_argument("--profile-tasks", type=int, default=5)
    parser.add_argument("--keep-logs", default=None, help="copy the server output here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: 2 short steps, 10 closed clients for 10 s",
    )
    parser.add_argument("--child", choices=["setup", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "setup":
        print(json.dumps(child_setup(args), default=repr))
        return
    if args.child == "profile":
        print(json.dumps(child_profile(args)))
        return
    if args.quick:
        args.rates, args.step_seconds, args.step_drain_max = "5,15", 8.0, 20.0
        args.closed_clients, args.closed_seconds = 10, 10.0
        args.people, args.profile_requests, args.drain_max = 10, 5, 120.0

    import django

    started = time.monotonic()
    results: dict[str, Any] = {}
    for database in [d for d in args.databases.split(",") if d]:
        try:
            results[database] = run_config(database, args)
        except Exception as error:  # one configuration failing still reports the others
            log(f"{database}: {type(error).__name__}: {error}")
            results[database] = {"error": f"{type(error).__name__}: {error}"[:3000]}
    targets = {db: config_targets(db, r) for db, r in results.items()}
    line = {
        "benchmark": "load",
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": _version("gunicorn"),
        "code": code_state(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "options": {
            "rates": args.rates,
            "step_seconds": args.step_seconds,
            "closed_clients": args.closed_clients,
            "closed_seconds": args.closed_seconds,
            "people_signed_in": args.people,
            "size": args.size,
            "seed": args.seed,
            "embeddings": args.embeddings,
            "web_workers": args.web_workers,
            "timeout_s": args.timeout,
            "import_dump": args.import_dump,
            "quick": args.quick,
        },
        "mix_percent": {
            kind: {op: w for k, op, w in MIX if k == kind}
            for kind in dict.fromkeys(k for k, _o, _w in MIX)
        },
        "client": "asyncio HTTP/1.1, keep-alive connections per person, same machine "
        "(loopback); open-loop latency from the scheduled send time",
        "targets": {
            "read_p95_ms": TARGET_READ_P95_MS,
            "sustained_rps_postgres": TARGET_SUSTAINED_RPS_POSTGRES,
            "drain_s": TARGET_DRAIN_S,
            "500s": 0,
            "lost_writes": 0,
            "errors_up_to_sustained": 0,
        },
        "databases": results,
        "profile": {db: r.get("profile") for db, r in results.items() if r.get("profile")},
        "checks": targets,
        "meets_targets": bool(targets) and all(all(t.values()) for t in targets.values()),
        "wall_s": round(time.monotonic() - started, 1),
    }
    for r in results.values():
        r.pop("profile", None)  # reported once, under "profile"
    print(json.dumps(line))


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
