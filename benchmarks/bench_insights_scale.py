"""Insights at scale (issue 17, point 3): levels, health, champions and the silo map for
50,000 people, 1M posts and 10M activity rows, on one database. Prints ONE JSON line with
`meets_targets`.

1. Generate with bulk SQL (`core.bulk.fast_insert`: COPY on PostgreSQL, multi-row INSERTs in
   big transactions on SQLite) an organisation over 24 months up to a day ago: people in 40
   departments, 50 communities (5 private) joined by popularity, questions, answers (a few
   people answer most), comments, votes, accepted answers, and activity rows: a write row for
   each of those, the rest question views.
2. Full rebuild, as after an import: `levels_rebuild`, `health_refresh`, `silos_refresh`,
   `champions_refresh` (each timed), as of a day ago.
3. The daily run: one more day of posts and activity (1/365 of each), then `levels_refresh`,
   `health_refresh` and `silos_refresh` as the nightly job runs them (target <= 60 s for the
   three), and `champions_refresh` reported apart.
4. Pages through django.test.Client in process: community participation, health and
   champions (the biggest community, as its leader), the organisation's silo map (as an org
   admin) and a member's home page: p95 <= 150 ms each.
   The radar (issue 18, reported apart): its first and daily runs, its page, and domain
   discovery on the last year's questions, whose stored vectors (drawn around per-topic
   centres: the generated titles carry no meaning) are written first, untimed; the daily run
   plus discovery <= 300 s.
5. Brokerage (`insights.graph.brokerage`) on bench_participation's generated help graph of
   100,000 people (scaled with --scale): <= 60 s.

    .venv/bin/python benchmarks/bench_insights_scale.py --scale 0.02              # ~1 min
    .venv/bin/python benchmarks/bench_insights_scale.py --database postgresql     # full size
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scratch import ROOT, percentiles  # noqa: E402

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/trellis_scale"
TARGET_DAILY_S = 60.0
TARGET_PAGE_P95_MS = 150.0
TARGET_BROKERAGE_S = 60.0
TARGET_RADAR_DAILY_S = 300.0  # issue 18: the radar and discovery together
FULL = {
    "people": 50_000,
    "questions": 300_000,  # questions + answers = 1M posts
    "answers": 700_000,
    "comments": 300_000,
    "votes": 1_000_000,
    "activity": 10_000_000,  # write rows for the above, the rest question views
    "brokerage_people": 100_000,
}
DEPARTMENTS = 40
COMMUNITIES = 50
PRIVATE = 5
SPAN_DAYS = 730
CHUNK = 100_000
PASSWORD = "bench-insights-scale"
# Domain discovery's input: the generated titles say nothing ("Question 17"), so the last
# year's questions get a topic each (their community's, or one of a few org-wide ones asked
# everywhere), a sub-topic (one of them emerging: asked more and more over the year), titles
# and tags from made-up words of those, and vectors drawn around the topics' centres.
VECTOR_MODEL = "bench-topic-centres"
VECTOR_DIM = 384  # as all-MiniLM-L6-v2's
ORG_TOPICS = 8
ORG_TOPIC_SHARE = 0.15  # of the questions: asked in any community, no community's subject
SUB_TOPICS = 4  # per topic; the last one emerging
GENERIC_TAGS = 500  # tags any topic may carry ("performance", "setup"), Zipf-used
COMMON_WEIGHT, TOPIC_WEIGHT, SUB_WEIGHT, NOISE_WEIGHT = 0.5, 1.0, 0.6, 1.1


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[bench_insights_scale {stamp}] {message}", file=sys.stderr, flush=True)


# -- the database --------------------------------------------------------------------------


@contextmanager
def fresh_database(args: argparse.Namespace) -> Iterator[str]:
    """Point the settings at a fresh database (settings read the environment at import) and
    remove it afterwards unless --keep; yields where it is."""
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="scale-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TRELLIS_DATA_DIR"] = str(data_dir)
    if args.database == "sqlite":
        path = data_dir / "bench_insights_scale.sqlite3"
        for leftover in data_dir.glob("bench_insights_scale.sqlite3*"):
            leftover.unlink()
        os.environ.pop("DATABASE_URL", None)
        os.environ["TRELLIS_SQLITE_PATH"] = str(path)
        try:
            yield str(path)
        finally:
            if not args.keep:
                for leftover in data_dir.glob("bench_insights_scale.sqlite3*"):
                    leftover.unlink()
                if not args.data_dir:
                    shutil.rmtree(data_dir, ignore_errors=True)
        return
    import psycopg

    url = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES_URL
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    try:
        yield urlunsplit((parts.scheme, parts.hostname or "", f"/{name}", "", ""))
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def setup_django() -> str:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


# -- generation ----------------------------------------------------------------------------


class Stamps:
    """Seconds since `origin` to the database's text form of a datetime, a whole array at
    once (a datetime object per row would be most of the load's time at 10M rows)."""

    def __init__(self, origin: datetime, vendor: str) -> None:
        self.origin = np.datetime64(origin.replace(tzinfo=None), "us")
        self.suffix = "+00" if vendor == "postgresql" else ""

    def __call__(self, seconds: np.ndarray) -> list[str]:
        moments = self.origin + (seconds * 1e6).astype("timedelta64[us]")
        text = np.char.replace(np.datetime_as_string(moments, unit="us"), "T", " ")
        if self.suffix:
            text = np.char.add(text, self.suffix)
        values: list[str] = text.tolist()
        return values


@dataclass
class Org:
    """What later steps need of the generated organisation (numpy arrays of ids)."""

    people: np.ndarray
    communities: np.ndarray  # community ids, biggest first
    member_community: np.ndarray  # membership rows: community index
    member_person: np.ndarray  # membership rows: person id
    reader_weight: np.ndarray  # per membership row: how much its person reads
    answer_weight: np.ndarray  # per membership row: how much its person answers
    admin_email: str
    leader_email: str
    member_email: str


def ints(values: np.ndarray) -> list[int]:
    return [int(v) for v in values.tolist()]


def generate_org(sizes: dict[str, int], start: datetime, rng: np.random.Generator) -> Org:
    from django.db import transaction

    from trellis.communities.models import Community, Membership, Role, Visibility
    from trellis.core.bulk import datetime_adapter, fast_insert
    from trellis.people.models import Department, Person

    when = datetime_adapter()
    people = sizes["people"]
    with transaction.atomic():
        departments = [
            Department.objects.create(name=f"Department {d}", slug=f"department-{d}").pk
            for d in range(DEPARTMENTS)
        ]
        dept_of = rng.choice(departments, size=people)
        stamp = when(start - timedelta(days=30))
        columns = (
            "password",
            "is_superuser",
            "email",
            "name",
            "title",
            "location",
            "skills",
            "interests",
            "bio",
            "is_active",
            "is_staff",
            "is_org_admin",
            "created_at",
            "department_id",
        )
        rows = (
            (
                "!",
                False,
                f"person{i}@scale.example",
                f"Person {i}",
                "",
                "",
                "[]",
                "[]",
                "",
                True,
                False,
                i == 0,  # the first person is an org admin
                stamp,
                int(dept_of[i]),
            )
            for i in range(people)
        )
        fast_insert(Person, columns, rows, skip_clashes=False)
        communities = []
        for c in range(COMMUNITIES):
            community = Community.objects.create(
                name=f"Community {c}",
                slug=f"community-{c}",
                domain=f"The practice of subject {c}",
                visibility=Visibility.PRIVATE if c % 10 == 9 else Visibility.PUBLIC,
            )
            Community.objects.filter(pk=community.pk).update(created_at=start)
            communities.append(community.pk)
    person_ids = np.array(Person.objects.order_by("pk").values_list("pk", flat=True))

    # Each person in 1 to 5 communities, chosen by popularity (Zipf over the 50).
    popularity = 1.0 / np.arange(1, COMMUNITIES + 1) ** 0.9
    popularity /= popularity.sum()
    per_person = np.minimum(1 + rng.poisson(1.3, size=people), 5)
    owner = np.repeat(np.arange(people), per_person)
    picked = rng.choice(COMMUNITIES, size=len(owner), p=popularity)
    pairs = np.unique(owner * COMMUNITIES + picked)
    member_person_ix, member_community = pairs // COMMUNITIES, pairs % COMMUNITIES
    member_person = person_ids[member_person_ix]
    joined = rng.uniform(-200 * 86400, SPAN_DAYS * 86400 * 0.8, size=len(pairs))
    roles = np.where(rng.random(len(pairs)) < 0.02, Role.CORE.value, Role.MEMBER.value)
    # The first member of each community (in row order) leads it.
    first_rows = np.unique(member_community, return_index=True)[1]
    roles[first_rows] = Role.LEADER.value
    joined[first_rows] = -300 * 86400
    stamps = Stamps(start, _vendor())
    with transaction.atomic():
        fast_insert(
            Membership,
            ("community_id", "person_id", "role", "joined_at", "left_at"),
            zip(
                [communities[c] for c in member_community.tolist()],
                ints(member_person),
                roles.tolist(),
                stamps(joined),
                [None] * len(pairs),
                strict=True,
            ),
            skip_clashes=False,
        )
        for c, size in enumerate(np.bincount(member_community, minlength=COMMUNITIES)):
            Community.objects.filter(pk=communities[c]).update(member_count=int(size))
    # Readers read lognormally; a few people write most answers (Zipf over the people).
    reader = rng.lognormal(0.0, 1.0, size=people)
    answerer = 1.0 / (rng.permutation(people) + 3.0) ** 1.1
    leader_row = int(first_rows[0])  # community 0 is the most popular
    leading = set(member_person[roles != Role.MEMBER.value].tolist())
    member_row = next(
        int(row)
        for row in np.flatnonzero(roles == Role.MEMBER.value)
        if int(member_person[row]) not in leading
    )
    accounts = {
        "admin": int(person_ids[0]),
        "leader": int(member_person[leader_row]),
        "member": int(member_person[member_row]),
    }
    for pk in set(accounts.values()):
        person = Person.objects.get(pk=pk)
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    emails = dict(Person.objects.filter(pk__in=accounts.values()).values_list("pk", "email"))
    return Org(
        people=person_ids,
        communities=np.array(communities),
        member_community=member_community,
        member_person=member_person,
        reader_weight=reader[member_person_ix],
        answer_weight=answerer[member_person_ix],
        admin_email=emails[accounts["admin"]],
        leader_email=emails[accounts["leader"]],
        member_email=emails[accounts["member"]],
    )


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


def _members_by_community(org: Org, weights: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per community index: its members' person ids and their normalised weights."""
    out = []
    for c in range(COMMUNITIES):
        rows = np.flatnonzero(org.member_community == c)
        w = weights[rows]
        out.append((org.member_person[rows], w / w.sum()))
    return out


def _pick_in_community(
    community: np.ndarray,
    pools: list[tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
) -> np.ndarray:
    """A person for each entry of `community` (community indexes), by the pool's weights."""
    out = np.empty(len(community), dtype=np.int64)
    for c in range(COMMUNITIES):
        where = np.flatnonzero(community == c)
        if len(where):
            people, weights = pools[c]
            out[where] = rng.choice(people, size=len(where), p=weights)
    return out


def generate_content(
    org: Org,
    counts: dict[str, int],
    *,
    origin: datetime,
    window: tuple[float, float],
    first_post_id: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Questions, answers, comments, votes and activity rows dated in `window` (seconds after
    `origin`), in bulk; returns the seconds each table took."""
    from django.db import connection, transaction

    from trellis.core.bulk import fast_insert
    from trellis.qa.models import Comment, Post, Vote

    lo, hi = window
    stamps = Stamps(origin, connection.vendor)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    n_q, n_a = counts["questions"], counts["answers"]
    # Questions: a membership row drawn uniformly gives a community by its size and an asker.
    asked_row = rng.integers(0, len(org.member_community), size=n_q)
    q_comm = org.member_community[asked_row]
    q_author = org.member_person[asked_row]
    q_time = np.sort(rng.uniform(lo, hi, size=n_q))
    # Answers: 85% of questions get some, a first after ~a day, later ones spread out.
    answered = np.flatnonzero(rng.random(n_q) < 0.85)
    a_q = np.sort(rng.choice(answered, size=n_a))
    first = np.r_[True, a_q[1:] != a_q[:-1]]
    delay = np.where(first, rng.exponential(86400, n_a), rng.exponential(4 * 86400, n_a))
    a_time = np.minimum(q_time[a_q] + delay, hi - 1)
    a_author = _pick_in_community(q_comm[a_q], _members_by_community(org, org.answer_weight), rng)
    a_ids = first_post_id + n_q + np.arange(n_a)
    answer_count = np.bincount(a_q, minlength=n_q)
    # Accepted: the first answer of about half the answered questions.
    first_answer = np.full(n_q, -1)
    first_answer[a_q[first]] = np.flatnonzero(first)
    accepted = (first_answer >= 0) & (rng.random(n_q) < 0.5)
    accepted_id = np.where(accepted, first_post_id + n_q + first_answer, -1)
    # Votes on answers by other members of the community, one per person and answer.
    v_on = rng.integers(0, n_a, size=counts["votes"])
    readers = _members_by_community(org, org.reader_weight)
    v_voter = _pick_in_community(q_comm[a_q[v_on]], readers, rng)
    keep = np.unique(v_on * (int(org.people.max()) + 1) + v_voter, return_index=True)[1]
    keep = keep[v_voter[keep] != a_author[v_on[keep]]]
    v_on, v_voter = v_on[keep], v_voter[keep]
    v_time = np.minimum(a_time[v_on] + rng.exponential(3 * 86400, len(v_on)), hi - 1)
    score = np.bincount(v_on, minlength=n_a)
    # Comments on answers, a third by the asker (some saying thanks).
    c_on = rng.integers(0, n_a, size=counts["comments"])
    by_asker = rng.random(len(c_on)) < 0.35
    c_author = np.where(
        by_asker,
        q_author[a_q[c_on]],
        _pick_in_community(q_comm[a_q[c_on]], readers, rng),
    )
    c_time = np.minimum(a_time[c_on] + rng.exponential(86400, len(c_on)), hi - 1)
    thanks = by_asker & (rng.random(len(c_on)) < 0.5)
    timings["plan_s"] = time.perf_counter() - began

    community_ids = org.communities
    post_columns = (
        "id",
        "kind",
        "community_id",
        "question_id",
        "author_id",
        "title",
        "body",
        "body_format",
        "body_html",
        "score",
        "answer_count",
        "view_count",
        "accepted_answer_id",
        "created_at",
        "last_activity_at",
    )
    began = time.perf_counter()
    with transaction.atomic():
        for s in range(0, n_q, CHUNK):
            e = min(s + CHUNK, n_q)
            when = stamps(q_time[s:e])
            fast_insert(
                Post,
                post_columns,
                (
                    (
                        first_post_id + i,
                        "question",
                        int(community_ids[q_comm[i]]),
                        None,
                        int(q_author[i]),
                        f"Question {first_post_id + i}",
                        "How?",
                        "markdown",
                        "<p>How?</p>",
                        0,
                        int(answer_count[i]),
                        0,
                        int(accepted_id[i]) if accepted_id[i] >= 0 else None,
                        t,
                        t,
                    )
                    for i, t in zip(range(s, e), when, strict=True)
                ),
                skip_clashes=False,
            )
        for s in range(0, n_a, CHUNK):
            e = min(s + CHUNK, n_a)
            when = stamps(a_time[s:e])
            fast_insert(
                Post,
                post_columns,
                (
                    (
                        int(a_ids[j]),
                        "answer",
                        int(community_ids[q_comm[a_q[j]]]),
                        first_post_id + int(a_q[j]),
                        int(a_author[j]),
                        "",
                        "Like this.",
                        "markdown",
                        "<p>Like this.</p>",
                        int(score[j]),
                        0,
                        0,
                        None,
                        t,
                        t,
                    )
                    for j, t in zip(range(s, e), when, strict=True)
                ),
                skip_clashes=False,
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('qa_post', 'id'), "
                    "(SELECT MAX(id) FROM qa_post))"
                )
    timings["posts_s"] = time.perf_counter() - began

    began = time.perf_counter()
    with transaction.atomic():
        for s in range(0, len(v_on), CHUNK):
            e = min(s + CHUNK, len(v_on))
            fast_insert(
                Vote,
                ("post_id", "voter_id", "value", "created_at"),
                zip(
                    ints(a_ids[v_on[s:e]]),
                    ints(v_voter[s:e]),
                    [1] * (e - s),
                    stamps(v_time[s:e]),
                    strict=True,
                ),
                skip_clashes=False,
            )
        for s in range(0, len(c_on), CHUNK):
            e = min(s + CHUNK, len(c_on))
            text = np.where(thanks[s:e], "Thanks, that worked.", "Could you say more?")
            fast_insert(
                Comment,
                ("post_id", "author_id", "body", "body_html", "created_at"),
                zip(
                    ints(a_ids[c_on[s:e]]),
                    ints(c_author[s:e]),
                    text.tolist(),
                    text.tolist(),
                    stamps(c_time[s:e]),
                    strict=True,
                ),
                skip_clashes=False,
            )
    timings["votes_comments_s"] = time.perf_counter() - began

    # The activity log: a write row for each post, vote, comment and acceptance, the rest
    # question views by members of the question's community after it was asked.
    began = time.perf_counter()
    acc = np.flatnonzero(accepted)
    acc_answer = first_answer[acc]
    writes: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = [
        ("question.ask", q_author, np.arange(n_q) + first_post_id, q_comm, q_time),
        ("answer.post", a_author, a_ids, q_comm[a_q], a_time),
        ("post.vote", v_voter, a_ids[v_on], q_comm[a_q[v_on]], v_time),
        ("comment.add", c_author, a_ids[c_on], q_comm[a_q[c_on]], c_time),
        (
            "answer.accept",
            q_author[acc],
            a_ids[acc_answer],
            q_comm[acc],
            np.minimum(a_time[acc_answer] + 3600, hi - 1),
        ),
    ]
    views = max(0, counts["activity"] - sum(len(w[1]) for w in writes))
    # Views: a member of a community (by how much they read) views one of its questions, at
    # some moment after it was asked.
    q_order = np.argsort(q_comm, kind="stable")
    bounds = np.searchsorted(q_comm[q_order], np.arange(COMMUNITIES + 1))
    view_comm = org.member_community[rng.integers(0, len(org.member_community), size=views)]
    view_comm = view_comm[bounds[view_comm + 1] > bounds[view_comm]]
    span = bounds[view_comm + 1] - bounds[view_comm]
    viewed = q_order[bounds[view_comm] + (rng.random(len(view_comm)) * span).astype(np.int64)]
    viewed_at = q_time[viewed] + rng.random(len(viewed)) * (hi - q_time[viewed])
    writes.append(
        (
            "post.view",
            _pick_in_community(view_comm, readers, rng),
            viewed + first_post_id,
            view_comm,
            viewed_at,
        )
    )
    # All of it in the order it happened, as the log is written (the indexes grow at the end).
    verbs = [verb for verb, *_ in writes]
    verb = np.concatenate([np.full(len(w[1]), k, dtype=np.int8) for k, w in enumerate(writes)])
    actor, obj, comm, at = (np.concatenate([w[k] for w in writes]) for k in range(1, 5))
    order = np.argsort(at, kind="stable")
    verb, actor, obj, comm, at = verb[order], actor[order], obj[order], comm[order], at[order]
    timings["activity_plan_s"] = time.perf_counter() - began
    with transaction.atomic():
        for s in range(0, len(order), CHUNK):
            e = min(s + CHUNK, len(order))
            _activity_rows(
                [verbs[k] for k in verb[s:e].tolist()],
                actor[s:e],
                obj[s:e],
                comm[s:e],
                at[s:e],
                org,
                stamps,
            )
    written = len(order)
    timings["activity_s"] = time.perf_counter() - began
    timings["activity_rows"] = written
    timings["votes"] = len(v_on)
    return timings


def _activity_rows(
    verbs: list[str],
    actor: np.ndarray,
    obj: np.ndarray,
    comm: np.ndarray,
    at: np.ndarray,
    org: Org,
    stamps: Stamps,
) -> None:
    from trellis.core.bulk import fast_insert
    from trellis.core.models import Activity

    n = len(actor)
    fast_insert(
        Activity,
        ("actor_id", "verb", "object_type", "object_id", "community_id", "created_at"),
        zip(
            ints(actor),
            verbs,
            ["post"] * n,
            ints(obj),
            ints(org.communities[comm]),
            stamps(at),
            strict=True,
        ),
        skip_clashes=False,
    )


def generation_cache(big: bool) -> None:
    """While generating: SQLite gets a 1 GB page cache (the default 2 MB makes inserting 10M
    rows into the log's indexes a read per row); PostgreSQL skips the foreign-key triggers
    (the rows are consistent by construction; checked at COMMIT, 10M activity rows took
    longer than their COPY). Back to normal for what is measured."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA cache_size = {-1_000_000 if big else -2000}")
        else:
            cursor.execute(f"SET session_replication_role = {'replica' if big else 'DEFAULT'}")


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# -- timing ----------------------------------------------------------------------------------


def timed(
    name: str, work: Callable[[], Any], figures: dict[str, Any], profile_dir: Path | None
) -> Any:
    log(f"{name} ...")
    profiler = cProfile.Profile() if profile_dir else None
    began, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = work()
    if profiler:
        profiler.disable()
    figures[name] = round(time.perf_counter() - began, 2)
    # This process's CPU seconds: the machine is shared, so wall time also holds the waits for
    # a core (on SQLite nearly all the work is in process; on PostgreSQL the server's is not).
    figures.setdefault("cpu_s", {})[name] = round(time.process_time() - cpu, 2)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    log(f"{name}: {figures[name]} s, {figures['cpu_s'][name]} s CPU ({result}; load {load})")
    if profiler and profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(profile_dir / f"{name}.prof"))
        text = StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        (profile_dir / f"{name}.txt").write_text(text.getvalue())
    return result


def time_pages(
    org: Org, requests: int, plan: list[tuple[str, str, str]] | None = None
) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from trellis.communities.models import Community

    biggest = Community.objects.get(pk=int(org.communities[0]))
    plan = plan or [
        ("community-participation", org.leader_email, "biggest"),
        ("community-health", org.leader_email, "biggest"),
        ("community-champions", org.leader_email, "biggest"),
        ("org-silos", org.admin_email, ""),
        ("home", org.member_email, ""),
    ]
    clients: dict[str, Any] = {}
    pages: dict[str, Any] = {}
    for name, email, scope in plan:
        url_args = [biggest.slug] if scope == "biggest" else []
        if email not in clients:
            clients[email] = Client(HTTP_HOST="localhost")
            assert clients[email].login(email=email, password=PASSWORD), email
        client = clients[email]
        url = reverse(name, args=url_args)
        for _ in range(3):
            client.get(url)
        samples, statuses = [], set()
        for _ in range(requests):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - began) * 1000)
            statuses.add(response.status_code)
        figures = percentiles(samples)
        pages[name] = {
            **figures,
            "queries": len(queries),
            "bytes": len(response.content),
            "statuses": "ok" if statuses == {200} else sorted(statuses),
            "viewer": "leader"
            if email == org.leader_email
            else ("org admin" if email == org.admin_email else "member"),
            "meets_p95_target": figures["p95_ms"] <= TARGET_PAGE_P95_MS and statuses == {200},
        }
        log(f"page {name}: {pages[name]}")
    return pages


class TopicVectors:
    """Stands for the model the stored vectors are from: discovery reads only its name."""

    name = VECTOR_MODEL
    dim = VECTOR_DIM

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        from trellis.search.embeddings.base import EmbeddingUnavailable

        raise EmbeddingUnavailable("the benchmark's vectors were drawn, not embedded")


def _made_up_words(count: int, rng: np.random.Generator) -> list[str]:
    """Distinct pronounceable words ("kalimo"), so that labels have words to pick."""
    onsets, vowels = list("bdfgklmnprstvz"), list("aeiou")
    found: dict[str, None] = {}
    while len(found) < count:
        syllables = rng.integers(2, 4)
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
        found.setdefault(word, None)
    return list(found)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return np.asarray(matrix / np.linalg.norm(matrix, axis=1, keepdims=True))


def give_vectors(org: Org, *, now: datetime, seed: int) -> dict[str, Any]:
    """Set-up, not timed: what indexing would have stored for the last year's questions by
    the daily run (a vector per question in `search.Document`, its title and tags), drawn
    around per-topic centres. Titles are rewritten and tags added in place (neither the radar
    nor the insights read them)."""
    from django.db import connection, transaction

    from trellis.core.bulk import datetime_adapter, fast_insert
    from trellis.core.models import Tag
    from trellis.qa.models import Post, PostKind, PostTag
    from trellis.radar.discovery_services import DEMAND_WINDOW
    from trellis.search.embeddings import to_blob
    from trellis.search.models import DocKind, Document

    began = time.perf_counter()
    rng = np.random.default_rng(seed + 1)  # its own stream: the rest of the run draws as before
    since = now - DEMAND_WINDOW
    rows = list(
        Post.objects.filter(kind=PostKind.QUESTION, created_at__gte=since)
        .order_by("pk")
        .values_list("pk", "community_id", "created_at")
    )
    n = len(rows)
    index_of = {int(c): i for i, c in enumerate(org.communities.tolist())}
    community = np.array([index_of[c] for _, c, _ in rows])
    age = np.array([(created - since).total_seconds() for *_, created in rows])
    progress = np.clip(age / DEMAND_WINDOW.total_seconds(), 0.0, 1.0)
    # Topics: the community's own, or (ORG_TOPIC_SHARE) an org-wide one, Zipf-popular.
    topics = COMMUNITIES + ORG_TOPICS
    popular = 1.0 / np.arange(1, ORG_TOPICS + 1)
    org_wide = rng.random(n) < ORG_TOPIC_SHARE
    topic = np.where(
        org_wide, COMMUNITIES + rng.choice(ORG_TOPICS, size=n, p=popular / popular.sum()),
        community,
    )  # fmt: skip
    # Sub-topics: the last grows from 2% of its topic's questions to a fifth over the year.
    weights = np.tile(np.array([0.5, 0.3, 0.15, 0.0]), (n, 1))
    weights[:, -1] = 0.02 + 0.25 * progress**3
    weights /= weights.sum(axis=1, keepdims=True)
    sub = (rng.random((n, 1)) > np.cumsum(weights, axis=1)).sum(axis=1)
    sub = np.minimum(sub, SUB_TOPICS - 1)
    # Vectors: a part all texts share (real models' vectors are all alike), the topic's
    # centre, the sub-topic's, and noise; unit length, float16, as indexing stores them.
    common = _unit_rows(rng.standard_normal((1, VECTOR_DIM)))
    centres = _unit_rows(rng.standard_normal((topics, VECTOR_DIM)))
    subs = _unit_rows(rng.standard_normal((topics * SUB_TOPICS, VECTOR_DIM)))
    vectors = np.empty((n, VECTOR_DIM), dtype=np.float32)
    for s in range(0, n, CHUNK):
        e = min(s + CHUNK, n)
        noise = _unit_rows(rng.standard_normal((e - s, VECTOR_DIM)))
        mixed = (
            COMMON_WEIGHT * common
            + TOPIC_WEIGHT * centres[topic[s:e]]
            + SUB_WEIGHT * subs[topic[s:e] * SUB_TOPICS + sub[s:e]]
            + NOISE_WEIGHT * noise
        )
        vectors[s:e] = _unit_rows(mixed)
    # Words: 5 per topic, 3 per sub-topic; a title has two of its topic's, one or two of its
    # sub-topic's and a generic one; tags: the topic's, the sub-topic's, maybe a generic one.
    words = _made_up_words(topics * 5 + topics * SUB_TOPICS * 3 + GENERIC_TAGS, rng)
    topic_words = np.array(words[: topics * 5]).reshape(topics, 5)
    sub_words = np.array(words[topics * 5 : topics * 5 + topics * SUB_TOPICS * 3]).reshape(
        topics * SUB_TOPICS, 3
    )
    generic = words[topics * 5 + topics * SUB_TOPICS * 3 :]
    generic_use = 1.0 / np.arange(1, GENERIC_TAGS + 1)
    generic_pick = rng.choice(GENERIC_TAGS, size=n, p=generic_use / generic_use.sum())
    has_generic = rng.random(n) < 0.5
    pick2 = rng.permuted(np.tile(np.arange(5), (n, 1)), axis=1)[:, :2]
    sub_pick = rng.integers(0, 3, size=(n, 2))
    openings = ["How do I", "Why does", "What is the best way to set up", "Can we"]
    opening = rng.integers(0, len(openings), size=n)
    titles, tag_lists = [], []
    for i in range(n):
        t, st = int(topic[i]), int(topic[i]) * SUB_TOPICS + int(sub[i])
        a, b = topic_words[t, pick2[i, 0]], topic_words[t, pick2[i, 1]]
        c, d = sub_words[st, sub_pick[i, 0]], sub_words[st, sub_pick[i, 1]]
        g = generic[int(generic_pick[i])]
        middle = c if c == d else f"{c} {d}"
        titles.append(f"{openings[int(opening[i])]} {a} {middle} with {b} and {g}?")
        tags = [topic_words[t, 0], f"{topic_words[t, 0]}-{sub_words[st, 0]}"]
        if has_generic[i]:
            tags.append(g)
        tag_lists.append(tags)
    when = datetime_adapter()
    stamp = when(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE qa_post SET title = %s WHERE id = %s",
                [(title, pk) for title, (pk, _, _) in zip(titles, rows, strict=True)],
            )
        names = sorted({t for tags in tag_lists for t in tags})
        fast_insert(Tag, ("name", "created_at"), ((name, stamp) for name in names))
        tag_id = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        fast_insert(
            PostTag,
            ("post_id", "tag_id"),
            ((pk, tag_id[t]) for (pk, _, _), tags in zip(rows, tag_lists, strict=True)
             for t in tags),
            skip_clashes=False,
        )  # fmt: skip
        for s in range(0, n, CHUNK):
            e = min(s + CHUNK, n)
            fast_insert(
                Document,
                ("kind", "object_id", "community_id", "title", "body", "tags", "created_at",
                 "updated_at", "quality", "content_hash", "embedding", "embedding_model",
                 "embedded_at"),
                (
                    (DocKind.QUESTION.value, pk, c, titles[i], "", " ".join(tag_lists[i]),
                     when(created), when(created), 0.0, f"{pk:016x}"[-16:],
                     to_blob(vectors[i]), VECTOR_MODEL, stamp)
                    for i, (pk, c, created) in zip(range(s, e), rows[s:e], strict=True)
                ),
                skip_clashes=False,
            )  # fmt: skip
    analyze()
    return {
        "questions": n,
        "vectors": "drawn around per-topic centres (the generated titles carry no meaning)",
        "topics": f"{COMMUNITIES} community topics + {ORG_TOPICS} org-wide "
        f"({ORG_TOPIC_SHARE:.0%} of questions), {SUB_TOPICS} sub-topics each (one emerging)",
        "org_wide_questions": int(org_wide.sum()),
        "tags": len(names),
        "post_tags": sum(len(tags) for tags in tag_lists),
        "setup_s": round(time.perf_counter() - began, 2),
    }


def _reset_peak_rss() -> bool:
    """Linux: forget the peak resident size so far (generation's), so the next reading is the
    step's own peak; False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def time_radar(
    org: Org,
    requests: int,
    *,
    yesterday: datetime,
    now: datetime,
    seed: int,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Issue 18, point 6: the radar's first run (the last whole month and the 11 before, for
    the chart) as of yesterday, the daily run as of now (the last whole month again), the
    radar page of the biggest community for its leader, and domain discovery as of now on the
    last year's questions (their vectors stored first, not timed). Its own target (daily run
    plus discovery <= 300 s, page p95 <= 150 ms) is not part of this benchmark's
    `meets_targets`."""
    from trellis.radar.discovery_services import discovery_refresh
    from trellis.radar.models import DomainProposal
    from trellis.radar.services import radar_refresh
    from trellis.search import embeddings

    figures: dict[str, Any] = {}
    timed("first_run", lambda: radar_refresh(now=yesterday), figures, None)
    timed("daily", lambda: radar_refresh(now=now), figures, None)
    page = time_pages(org, requests, plan=[("community-radar", org.leader_email, "biggest")])
    figures["page"] = page["community-radar"]
    log("discovery set-up: stored vectors for the last year's questions ...")
    setup = give_vectors(org, now=now, seed=seed)
    log(f"discovery set-up: {setup}")
    rss_before = _rss_mb("VmRSS")
    peak_reset = _reset_peak_rss()
    with embeddings.using(TopicVectors()):
        opened = timed("discovery", lambda: discovery_refresh(now=now), figures, profile_dir)
    kinds = dict(Counter(DomainProposal.objects.values_list("kind", flat=True)))
    figures["discovery_figures"] = {
        **setup,
        "questions_read": setup["questions"],
        "proposals_open": opened,
        "proposals_by_kind": kinds,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _rss_mb("VmHWM") if peak_reset else None,
        "peak_rss_mb_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),  # the machine is shared
    }
    figures["daily_with_discovery_s"] = round(figures["daily"] + figures["discovery"], 2)
    figures["meets_target"] = (
        figures["daily_with_discovery_s"] <= TARGET_RADAR_DAILY_S
        and page["community-radar"]["meets_p95_target"]
    )
    log(f"radar: {figures}")
    return figures


def time_brokerage(people: int, seed: int) -> dict[str, Any]:
    from bench_participation import generated_help

    from trellis.insights.graph import SAMPLED_SOURCES, brokerage

    began = time.perf_counter()
    edges = generated_help(people, seed)
    generate_s = time.perf_counter() - began
    ties = [(e.helper, e.helped) for e in edges]
    began, cpu = time.perf_counter(), time.process_time()
    shares = brokerage(ties)
    brokerage_s = time.perf_counter() - began
    cpu_s = time.process_time() - cpu
    return {
        "people": people,
        "in_graph": len(shares),
        "help_edges": len(edges),
        "sampled_sources": SAMPLED_SOURCES,
        "generate_s": round(generate_s, 2),
        "brokerage_s": round(brokerage_s, 2),
        "brokerage_cpu_s": round(cpu_s, 2),
        "meets_target": brokerage_s <= TARGET_BROKERAGE_S,
    }


# -- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace, where: str) -> dict[str, Any]:
    server = setup_django()
    from django.db.models import Max
    from django.utils import timezone

    from trellis.insights.services import champions, health, levels, silos
    from trellis.qa.models import Post

    sizes = {k: max(1, round(v * args.scale)) for k, v in FULL.items()}
    sizes["people"] = max(sizes["people"], 200)
    rng = np.random.default_rng(args.seed)
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    start = yesterday - timedelta(days=SPAN_DAYS)
    profile_dir = Path(args.profile_dir) if args.profile_dir else None
    log(f"{server} at {where}: generating {sizes}")

    generation: dict[str, Any] = {}
    generation_cache(True)
    began = time.perf_counter()
    org = generate_org(sizes, start, rng)
    generation["people_s"] = round(time.perf_counter() - began, 2)
    content = generate_content(
        org, sizes, origin=start, window=(0.0, SPAN_DAYS * 86400.0), first_post_id=1, rng=rng
    )
    generation.update({k: round(v, 2) for k, v in content.items()})
    began = time.perf_counter()
    analyze()
    generation_cache(False)
    generation["analyze_s"] = round(time.perf_counter() - began, 2)
    generation["total_s"] = round(sum(v for k, v in generation.items() if k.endswith("_s")), 2)
    log(f"generated: {generation}")

    rebuild: dict[str, Any] = {}
    profiled = profile_dir if args.profile == "rebuild" else None
    timed("levels_rebuild", lambda: levels.levels_rebuild(now=yesterday), rebuild, profiled)
    timed("health_refresh", lambda: health.health_refresh(now=yesterday), rebuild, profiled)
    timed("silos_refresh", lambda: silos.silos_refresh(now=yesterday), rebuild, profiled)
    timed(
        "champions_refresh", lambda: champions.champions_refresh(now=yesterday), rebuild, profiled
    )
    rebuild["total_s"] = round(sum(v for k, v in rebuild.items() if k != "cpu_s"), 2)

    day = {k: max(1, round(sizes[k] / 365)) for k in ("questions", "answers", "comments")}
    day["votes"] = max(1, round(sizes["votes"] / 365))
    day["activity"] = max(1, round(sizes["activity"] / 365))
    next_id = (Post.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    began = time.perf_counter()
    added = generate_content(
        org,
        day,
        origin=yesterday,
        window=(0.0, (now - yesterday).total_seconds()),
        first_post_id=next_id,
        rng=rng,
    )
    day_s = round(time.perf_counter() - began, 2)
    log(f"one more day: {day} ({added['activity_rows']} activity rows) in {day_s} s")

    daily: dict[str, Any] = {}
    profiled = profile_dir if args.profile == "daily" else None
    timed("levels_refresh", lambda: levels.levels_refresh(now=now), daily, profiled)
    timed("health_refresh", lambda: health.health_refresh(now=now), daily, profiled)
    timed("silos_refresh", lambda: silos.silos_refresh(now=now), daily, profiled)
    daily["total_s"] = round(sum(v for k, v in daily.items() if k != "cpu_s"), 2)
    timed("champions_refresh", lambda: champions.champions_refresh(now=now), daily, profiled)
    daily["meets_target"] = daily["total_s"] <= TARGET_DAILY_S
    daily["load_average_1m"] = round(os.getloadavg()[0], 1)  # 2 cores: others share them

    pages = time_pages(org, args.requests)
    profiled = profile_dir if args.profile == "discovery" else None
    radar = time_radar(
        org, args.requests, yesterday=yesterday, now=now, seed=args.seed, profile_dir=profiled
    )
    broker = time_brokerage(max(1000, round(FULL["brokerage_people"] * args.scale)), args.seed)
    log(f"brokerage: {broker}")
    return {
        "server": server,
        "sizes": {**sizes, "memberships": len(org.member_person), "day": day},
        "generation": generation,
        "full_rebuild": rebuild,
        "daily": {"add_day_s": day_s, **daily},
        "pages": pages,
        "brokerage": broker,
        "radar": radar,
        "meets_targets": daily["meets_target"]
        and all(p["meets_p95_target"] for p in pages.values())
        and broker["meets_target"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--data-dir", help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile", choices=["rebuild", "daily", "discovery"], help="cProfile these steps"
    )
    parser.add_argument("--profile-dir", help="where the profiles go (default: a temp dir)")
    args = parser.parse_args()
    if not args.profile:
        args.profile_dir = None
    elif not args.profile_dir:
        args.profile_dir = tempfile.mkdtemp(prefix="bench-insights-profile-")
        log(f"profiles in {args.profile_dir}")
    began = time.perf_counter()
    with fresh_database(args) as where:
        result = run(args, where)
    print(
        json.dumps(
            {
                "benchmark": "insights_scale",
                "database": args.database,
                "scale": args.scale,
                "seed": args.seed,
                "targets": {
                    "daily_s": TARGET_DAILY_S,
                    "page_p95_ms": TARGET_PAGE_P95_MS,
                    "brokerage_s": TARGET_BROKERAGE_S,
                    "radar_daily_with_discovery_s": TARGET_RADAR_DAILY_S,
                },
                "profiled": args.profile,
                "client": "django.test.Client, in process (no HTTP server or network)",
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "python": platform.python_version(),
                **result,
                "wall_s": round(time.perf_counter() - began, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
