"""The org admin's "Match newcomers to mentors" page (`/admin/mentoring/`) on the demo
organisation, at demo size and bigger, on SQLite and PostgreSQL. Prints ONE JSON line.

For each database and each size, in a child process on a scratch database (see scratch.py):
generate the demo organisation (`demo --size N`), sign in as its org admin and request the page
through django.test.Client in the same process (no HTTP server, no network): three warm-up
requests, then `--requests` timed ones, p50/p95/max, the queries of one request, and the ratio
to a trivial baseline page (the anonymous /login/ form) measured in the same process.

Target: p95 under 150 ms at demo size (300 people). Bigger sizes are reported, not held to it.

    .venv/bin/python benchmarks/bench_mentoring_admin.py                      # 300 and 50,000
    .venv/bin/python benchmarks/bench_mentoring_admin.py --sizes 300 --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import DEFAULT_POSTGRES, in_scratch_database, percentiles, setup_django_child

DEMO_SIZE = 300
TARGET_P95_MS = 150.0  # at demo size
CLIENT_NOTE = "django.test.Client, in-process (no HTTP server or network), DEBUG off"


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()

    from io import StringIO

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from trellis.mentoring import matching, selectors
    from trellis.people.models import Person

    started = time.perf_counter()
    call_command("demo", size=args.size, seed=args.seed, stdout=StringIO())
    generation_s = time.perf_counter() - started
    admin = Person.objects.filter(is_org_admin=True, is_active=True).order_by("pk").first()
    assert admin is not None, "the demo has no org admin"

    def measure(url: str, who: Client) -> dict[str, Any]:
        for _ in range(3):  # warm-up: imports, templates, caches
            who.get(url)
        statements: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):  # survives the request's reconnecting
            response = who.get(url)
        samples, statuses = [], set()
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = who.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            statuses.add(response.status_code)
        return {
            "url": url,
            "requests": args.requests,
            "ok": statuses == {200},
            "queries": len(statements),
            "bytes": len(response.content),
            **percentiles(samples),
        }

    host = {"SERVER_NAME": "localhost"}  # an allowed host: no test runner adds "testserver"
    baseline = measure(reverse("login"), Client(**host))
    client = Client(**host)
    client.force_login(admin)
    page = measure(reverse("mentoring-cohort"), client)
    plan = matching.cohort_plan(viewer=admin)
    page["p50_ratio_to_baseline"] = round(page["p50_ms"] / baseline["p50_ms"], 1)
    page["p95_ratio_to_baseline"] = round(page["p95_ms"] / baseline["p95_ms"], 1)
    held = args.size <= DEMO_SIZE
    page["meets_p95_target"] = (page["ok"] and page["p95_ms"] < TARGET_P95_MS) if held else None
    return {
        "engine": connection.vendor,
        "server": server,
        "size": args.size,
        "generation_s": round(generation_s, 1),
        "people": Person.objects.count(),
        "newcomers": selectors.newcomers().count(),
        "plan": {
            "shown": plan.newcomers,
            "pairs": len(plan.pairs),
            "without_mentor": plan.without_mentor,
            "pages": plan.pages,
        },
        "baseline": baseline,
        "page": page,
    }


def child_command(args: argparse.Namespace, database: str, size: int) -> list[str]:
    return [
        sys.executable, __file__, "--database", database, "--size", str(size),
        "--seed", str(args.seed), "--requests", str(args.requests),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=f"{DEMO_SIZE},50000", help="people, comma-separated")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per size")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                        help="server to create the scratch database on")  # fmt: skip
    parser.add_argument("--database", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.database:  # child
        print(json.dumps(run_child(args)))
        return

    import django

    started = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: dict[str, dict[str, Any]] = {}
    for db in (d for d in args.databases.split(",") if d):
        results[db] = {
            str(size): in_scratch_database(
                db, "mentoring", child_command(args, db, size), args.postgres_url
            )
            for size in sizes
        }
    held = [
        run["page"].get("meets_p95_target")
        for runs in results.values()
        for size, run in runs.items()
        if int(size) <= DEMO_SIZE
    ]
    failed = any("error" in run for runs in results.values() for run in runs.values())
    line = {
        "benchmark": "mentoring_admin",
        "page": "/admin/mentoring/ (mentoring-cohort), as the demo's org admin",
        "sizes": sizes,
        "seed": args.seed,
        "requests": args.requests,
        "client": CLIENT_NOTE,
        "targets": {"p95_ms_at_demo_size": TARGET_P95_MS, "demo_size": DEMO_SIZE},
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "databases": results,
        "meets_targets": bool(held) and all(held) and not failed,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
