"""The sponsor's impact report at scale: one community of 50,000 people with 1,000,000 posts
(250,000 questions, 750,000 answers) over two years, on SQLite and PostgreSQL. Prints ONE JSON
line with `meets_targets`.

Per database, in a child process on a scratch database (see scratch.py):

1. Generate with bulk SQL (`fast_insert`): 25 departments; the people, each in one; every one
   a member of the community (joined over the two years, 2% core team); the questions (their
   askers drawn from everyone) and answers (a Zipf law over half of the people: a few answer
   most), a first answer after an exponential wait of about a day; 1,000,000 activity-log rows
   (a fifth writes, the rest views); a weekly event with 40 replies and attendance; 5,000
   library resources in every state of freshness; one sponsor with the resources they provide.
2. Precompute: `reports.services.figures_refresh(community=...)`, the scheduled job's work for
   one community (the periods still moving and the months the charts show), timed.
3. As the sponsor, through django.test.Client in process: the report page for the last
   complete month, `--requests` times (p50/p95/max, queries per request), then the PDF
   `--pdfs` times (max), and a quarter's page once its figures are stored.

Targets (issue 16, acceptance 5): report page p95 <= 300 ms; PDF <= 3 s (its slowest).

    .venv/bin/python benchmarks/bench_report.py                       # 50k people, 1M posts
    .venv/bin/python benchmarks/bench_report.py --people 5000 --posts 100000 --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import DEFAULT_POSTGRES, in_scratch_database, percentiles, setup_django_child

TARGET_PAGE_P95_MS = 300.0
TARGET_PDF_S = 3.0
SPAN_DAYS = 730
DEPARTMENTS = 25
BATCH = 20_000


def log(message: str) -> None:
    print(f"[bench_report] {message}", file=sys.stderr, flush=True)


def generate(people: int, posts: int, now: datetime, seed: int) -> dict[str, Any]:
    import numpy as np
    from django.db import connection, transaction

    from trellis.communities.models import Community, Membership, Sponsorship
    from trellis.core.bulk import datetime_adapter, fast_insert
    from trellis.core.models import Activity
    from trellis.events.models import Event, Rsvp
    from trellis.library.models import Resource
    from trellis.people.models import Department, Person
    from trellis.qa.models import Post
    from trellis.reports.models import SponsorResources

    rng = np.random.default_rng(seed)
    when = datetime_adapter()
    start = now - timedelta(days=SPAN_DAYS)
    stages: dict[str, float] = {}

    def at(seconds: np.ndarray) -> list[object]:
        return [when(start + timedelta(seconds=float(s))) for s in seconds]

    began = time.perf_counter()
    with transaction.atomic():
        departments = [
            Department.objects.create(name=f"Department {d}", slug=f"department-{d}").pk
            for d in range(DEPARTMENTS)
        ]
        dept_of = rng.choice(departments, size=people)
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
        stamp = when(start - timedelta(days=30))
        rows = [
            (
                "!",
                False,
                f"person{i}@bench.example",
                f"Person {i}",
                "",
                "",
                "[]",
                "[]",
                "",
                True,
                False,
                False,
                stamp,
                int(dept_of[i]),
            )
            for i in range(people)
        ]
        for at_ in range(0, len(rows), BATCH):
            fast_insert(Person, columns, rows[at_ : at_ + BATCH])
    person_ids = np.array(Person.objects.order_by("pk").values_list("pk", flat=True))
    sponsor = Person.objects.get(pk=int(person_ids[0]))
    sponsor.set_password("bench-sponsor")
    sponsor.save(update_fields=["password"])
    community = Community.objects.create(
        name="Platform Engineering", slug="platform", domain="Running the platform"
    )
    Sponsorship.objects.create(community=community, person=sponsor)
    SponsorResources.objects.create(
        community=community,
        annual_budget=60_000,
        currency="GBP",
        hours_per_month=4,
        channels="#platform on Slack; the monthly all-hands slot",
    )
    joined = np.sort(rng.uniform(0, SPAN_DAYS * 86400, size=people))
    roles = np.where(rng.random(people) < 0.02, "core", "member")
    with transaction.atomic():
        fast_insert(
            Membership,
            ("community_id", "person_id", "role", "joined_at", "left_at"),
            [
                (community.pk, int(p), str(r), j, None)
                for p, r, j in zip(person_ids, roles, at(joined), strict=True)
            ],
        )
    Community.objects.filter(pk=community.pk).update(member_count=people)
    stages["people_s"] = time.perf_counter() - began

    # Posts: questions first (ids 1..q), then answers pointing at them.
    began = time.perf_counter()
    n_questions = posts // 4
    n_answers = posts - n_questions
    q_time = np.sort(rng.uniform(0, SPAN_DAYS * 86400, size=n_questions))
    askers = rng.choice(person_ids, size=n_questions)
    answerer_pool = person_ids[: people // 2]
    weights = 1.0 / (np.arange(1, len(answerer_pool) + 1) + 2.7) ** 1.1
    weights /= weights.sum()
    answered = rng.random(n_questions) < 0.8
    answer_q = rng.choice(np.flatnonzero(answered), size=n_answers)
    first_wait = rng.exponential(86400, size=n_questions)
    order = np.argsort(answer_q, kind="stable")
    answer_q = answer_q[order]
    a_time = q_time[answer_q] + first_wait[answer_q] + rng.exponential(3 * 86400, size=n_answers)
    a_time[np.r_[True, answer_q[1:] != answer_q[:-1]]] = (q_time[answer_q] + first_wait[answer_q])[
        np.r_[True, answer_q[1:] != answer_q[:-1]]
    ]
    a_time = np.minimum(a_time, SPAN_DAYS * 86400 - 60)
    answerers = rng.choice(answerer_pool, size=n_answers, p=weights)
    counts = np.bincount(answer_q, minlength=n_questions)
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
        "created_at",
        "last_activity_at",
    )
    q_stamps = at(q_time)
    with transaction.atomic():
        for lo in range(0, n_questions, BATCH):
            hi = min(lo + BATCH, n_questions)
            fast_insert(
                Post,
                post_columns,
                [
                    (
                        i + 1,
                        "question",
                        community.pk,
                        None,
                        int(askers[i]),
                        f"Question {i}",
                        "How do we do this?",
                        "markdown",
                        "<p>How do we do this?</p>",
                        0,
                        int(counts[i]),
                        0,
                        q_stamps[i],
                        q_stamps[i],
                    )
                    for i in range(lo, hi)
                ],
            )
        a_stamps = at(a_time)
        for lo in range(0, n_answers, BATCH):
            hi = min(lo + BATCH, n_answers)
            fast_insert(
                Post,
                post_columns,
                [
                    (
                        n_questions + j + 1,
                        "answer",
                        community.pk,
                        int(answer_q[j]) + 1,
                        int(answerers[j]),
                        "",
                        "Like this.",
                        "markdown",
                        "<p>Like this.</p>",
                        0,
                        0,
                        0,
                        a_stamps[j],
                        a_stamps[j],
                    )
                    for j in range(lo, hi)
                ],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('qa_post', 'id'), "
                "(SELECT MAX(id) FROM qa_post))"
            )
    stages["posts_s"] = time.perf_counter() - began

    began = time.perf_counter()
    n_activity = posts
    act_time = rng.uniform(0, SPAN_DAYS * 86400, size=n_activity)
    actors = rng.choice(person_ids, size=n_activity)
    writes = rng.random(n_activity) < 0.2
    with transaction.atomic():
        for lo in range(0, n_activity, BATCH):
            hi = min(lo + BATCH, n_activity)
            stamps = at(act_time[lo:hi])
            fast_insert(
                Activity,
                ("actor_id", "verb", "object_type", "object_id", "community_id", "created_at"),
                [
                    (
                        int(actors[k]),
                        "post.vote" if writes[k] else "post.view",
                        "post",
                        1,
                        community.pk,
                        stamps[k - lo],
                    )
                    for k in range(lo, hi)
                ],
            )
    stages["activity_s"] = time.perf_counter() - began

    began = time.perf_counter()
    with transaction.atomic():
        for week in range(SPAN_DAYS // 7):
            starts = start + timedelta(days=7 * week + 3, hours=12)
            if starts + timedelta(hours=1) > now:
                break
            event = Event.objects.create(
                community=community,
                kind="brown_bag",
                title=f"Brown-bag {week}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                time_zone="Europe/London",
            )
            fast_insert(
                Rsvp,
                ("event_id", "person_id", "reply", "attended", "updated_at"),
                [
                    (event.pk, int(p), "going", bool(rng.random() < 0.7), when(starts))
                    for p in rng.choice(person_ids, size=40, replace=False)
                ],
            )
        created = at(rng.uniform(0, SPAN_DAYS * 86400, size=5000))
        verify = at(
            rng.uniform(SPAN_DAYS * 86400 - 200 * 86400, SPAN_DAYS * 86400 + 120 * 86400, size=5000)
        )
        fast_insert(
            Resource,
            (
                "community_id",
                "kind",
                "title",
                "body",
                "body_html",
                "url",
                "version",
                "verified_at",
                "verify_by",
                "attribution",
                "created_at",
                "updated_at",
            ),
            [
                (
                    community.pk,
                    "guide",
                    f"Guide {i}",
                    "Steps.",
                    "<p>Steps.</p>",
                    "",
                    1,
                    created[i],
                    verify[i],
                    "[]",
                    created[i],
                    created[i],
                )
                for i in range(5000)
            ],
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    stages["events_library_s"] = time.perf_counter() - began
    return {
        "community": community,
        "sponsor": sponsor,
        "stages": stages,
        "sizes": {
            "people": people,
            "questions": n_questions,
            "answers": n_answers,
            "activity": n_activity,
            "events": Event.objects.count(),
            "resources": 5000,
        },
    }


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from trellis.reports.periods import last_complete_month, last_complete_quarter
    from trellis.reports.services import figures_refresh

    now = timezone.now()
    log(f"{server}: generating {args.people} people, {args.posts} posts")
    data = generate(args.people, args.posts, now, args.seed)
    community = data["community"]
    stages = data["stages"]
    began = time.perf_counter()
    stored = figures_refresh(community=community, now=now)
    stages["precompute_s"] = time.perf_counter() - began
    log(f"generated and precomputed {stored} periods: {stages}")

    client = Client(HTTP_HOST="localhost")  # an allowed host: settings add no "testserver"
    assert client.login(email=data["sponsor"].email, password="bench-sponsor")
    page_url = reverse("community-report", args=[community.slug])
    pdf_url = reverse("community-report-pdf", args=[community.slug])
    client.get(page_url)  # warm: templates and imports
    samples = []
    for _ in range(args.requests):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(page_url)
            samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    page = {**percentiles(samples), "queries": len(queries), "requests": args.requests}
    quarter = last_complete_quarter(now)
    began = time.perf_counter()
    response = client.get(page_url, {"period": quarter.key})
    quarter_ms = (time.perf_counter() - began) * 1000
    assert response.status_code == 200
    pdf_s = []
    size = 0
    for _ in range(args.pdfs):
        began = time.perf_counter()
        response = client.get(pdf_url)
        pdf_s.append(time.perf_counter() - began)
        size = len(response.content)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    return {
        "server": server,
        "sizes": data["sizes"],
        "period": last_complete_month(now).key,
        "stages": {k: round(v, 2) for k, v in stages.items()},
        "page": page,
        "quarter_page_ms": round(quarter_ms, 1),
        "pdf": {"max_s": round(max(pdf_s), 3), "min_s": round(min(pdf_s), 3), "bytes": size},
        "meets_targets": page["p95_ms"] <= TARGET_PAGE_P95_MS and max(pdf_s) <= TARGET_PDF_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--pdfs", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--database", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database:
        print(json.dumps(run_child(args)))
        return
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for db in filter(None, args.databases.split(",")):
        command = [
            sys.executable,
            __file__,
            "--database",
            db,
            "--people",
            str(args.people),
            "--posts",
            str(args.posts),
            "--requests",
            str(args.requests),
            "--pdfs",
            str(args.pdfs),
            "--seed",
            str(args.seed),
        ]
        results[db] = in_scratch_database(db, "report", command, args.postgres_url)
    print(
        json.dumps(
            {
                "benchmark": "report",
                "targets": {"page_p95_ms": TARGET_PAGE_P95_MS, "pdf_s": TARGET_PDF_S},
                "machine": platform.platform(),
                "results": results,
                "elapsed_s": round(time.perf_counter() - started, 1),
                "meets_targets": bool(results)
                and all(r.get("meets_targets") is True for r in results.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
