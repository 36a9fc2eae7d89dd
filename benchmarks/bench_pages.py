"""Page latency on a generated organisation, on SQLite and on PostgreSQL. Prints ONE JSON line.

For each database it generates the demo organisation (`--size`, default 50,000 people) into a
fresh database, timing the generation, then requests three pages as a logged-in ordinary demo
member through django.test.Client (in process: no HTTP server, no network) and reports p50/p95
latency per page, the queries one request makes, and the ratio to a trivial baseline page (the
anonymous /login/ form) measured in the same process.

Settings read DATABASE_URL at import, so each database runs in a child process of this script
(`--database sqlite|postgres`); the parent creates and drops the scratch databases and combines
the children's figures into one line.

    .venv/bin/python benchmarks/bench_pages.py                 # both databases, 50,000 people
    .venv/bin/python benchmarks/bench_pages.py --size 300 --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import DEFAULT_POSTGRES, ROOT, in_scratch_database, percentiles

TARGET_GENERATION_S = 60.0
TARGET_P95_MS = 100.0
CLIENT_NOTE = "django.test.Client, in-process (no HTTP server or network), DEBUG off"


# --------------------------------------------------------------------------------------------
# Child: one database.
# --------------------------------------------------------------------------------------------


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    import django

    django.setup()

    from io import StringIO

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from trellis.communities.models import Community, Role, Visibility
    from trellis.ops.demo import DEMO_PASSWORD
    from trellis.people.models import Person

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    started = time.perf_counter()
    call_command("demo", size=args.size, seed=args.seed, stdout=StringIO())
    generation_s = time.perf_counter() - started

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            import sqlite3

            server = f"SQLite {sqlite3.sqlite_version}"

    active = Q(memberships__left_at__isnull=True)
    leading = Person.objects.filter(
        memberships__left_at__isnull=True,
        memberships__role__in=[Role.LEADER, Role.FACILITATOR, Role.CORE],
    )
    viewer = (
        Person.objects.filter(is_org_admin=False, is_staff=False)
        .exclude(pk__in=leading.values("pk"))
        .annotate(n=Count("memberships", filter=active))
        .filter(n__gte=2)
        .order_by("pk")
        .first()
    )
    assert viewer is not None, "no ordinary member with two communities"
    client = Client()
    assert client.login(email=viewer.email, password=DEMO_PASSWORD), "demo login failed"

    biggest = (
        Community.objects.filter(visibility=Visibility.PUBLIC)
        .annotate(n=Count("memberships", filter=Q(memberships__left_at__isnull=True)))
        .order_by("-n", "pk")
        .first()
    )
    assert biggest is not None
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    ceo = Person.objects.get(manager__isnull=True).pk
    people = [ceo, *random.Random(args.seed).sample(ids, args.requests - 1)]

    def measure(name: str, urls: list[str], who: Client, expected: int = 200) -> dict[str, Any]:
        for url in urls[:3]:  # warm-up: first-request imports, template loading, caches
            who.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = who.get(urls[0])
        n_queries = len(queries.captured_queries)  # now: the next request clears the log
        samples = []
        statuses: dict[int, int] = {}
        for k in range(args.requests):
            url = urls[k % len(urls)]
            t0 = time.perf_counter()
            response = who.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return {
            "page": name,
            "url": urls[0] if len(urls) == 1 else f"{urls[0]} (+{len(set(urls)) - 1} others)",
            "requests": args.requests,
            "statuses": {str(code): n for code, n in sorted(statuses.items())},
            "ok": set(statuses) == {expected},
            "queries": n_queries,
            "bytes": len(response.content),
            **percentiles(samples),
        }

    baseline = measure("baseline: anonymous GET /login/", [reverse("login")], Client())
    pages: dict[str, Any] = {}
    targets: list[tuple[str, list[str]]] = []
    try:
        targets = [
            ("community-directory", [reverse("community-directory")]),
            ("community-detail", [reverse("community-detail", kwargs={"slug": biggest.slug})]),
            ("person-detail", [reverse("person-detail", kwargs={"pk": pk}) for pk in people]),
        ]
    except NoReverseMatch as error:
        pages["error"] = f"page URLs missing: {error}"
    for name, urls in targets:
        figures = measure(name, urls, client)
        figures["p50_ratio_to_baseline"] = round(figures["p50_ms"] / baseline["p50_ms"], 2)
        figures["p95_ratio_to_baseline"] = round(figures["p95_ms"] / baseline["p95_ms"], 2)
        figures["meets_p95_target"] = figures["ok"] and figures["p95_ms"] <= TARGET_P95_MS
        pages[name] = figures
    pages["community-detail"]["community"] = {"slug": biggest.slug, "members": biggest.n}
    return {
        "engine": connection.vendor,
        "server": server,
        "migrate_s": round(migrate_s, 2),
        "generation_s": round(generation_s, 2),
        "meets_generation_target": generation_s <= TARGET_GENERATION_S,
        "people": Person.objects.count(),
        "viewer": {"email": viewer.email, "communities": viewer.n},
        "baseline": baseline,
        "pages": pages,
    }


# --------------------------------------------------------------------------------------------
# Parent: scratch databases, children, one JSON line.
# --------------------------------------------------------------------------------------------


def child_command(args: argparse.Namespace, database: str) -> list[str]:
    return [
        sys.executable, __file__, "--database", database, "--size", str(args.size),
        "--seed", str(args.seed), "--requests", str(args.requests),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                        help="server to create the scratch database on")  # fmt: skip
    parser.add_argument("--database", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.database:  # child
        print(json.dumps(run_child(args)))
        return

    import django

    started = time.perf_counter()
    results = {
        db: in_scratch_database(db, "pages", child_command(args, db), args.postgres_url)
        for db in args.databases.split(",")
        if db
    }
    passes = all(
        r.get("meets_generation_target")
        and all(
            page.get("meets_p95_target")
            for key, page in r.get("pages", {}).items()
            if isinstance(page, dict)
        )
        and "error" not in r.get("pages", {"error": True})
        for r in results.values()
    )
    line = {
        "benchmark": "pages",
        "size": args.size,
        "seed": args.seed,
        "requests_per_page": args.requests,
        "client": CLIENT_NOTE,
        "viewer": "an ordinary demo member (no leading role) of 2+ communities",
        "targets": {"generation_s": TARGET_GENERATION_S, "p95_ms": TARGET_P95_MS},
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "databases": results,
        "meets_targets": passes,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
