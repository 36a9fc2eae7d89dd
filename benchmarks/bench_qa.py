"""Stack Exchange import throughput and peak memory, then question and list page latency on
the imported posts, on SQLite and PostgreSQL. Prints ONE JSON line.

Per database, in a child process of its own (settings read DATABASE_URL at import):
1. migrate a fresh database;
2. import each real dump in ../shared/data/stackexchange (or the folders given with --dumps),
   timing it and sampling the resident memory of the importing process tree (the importer and
   its reading child) every 50 ms; then import it again to check that nothing changes;
3. import the generated dump (`--generated DIR`, written by benchmarks/gen_se_dump.py; default
   a 1,000,000-post dump generated into a temporary folder first) the same way;
4. request, as a signed-in member, question pages (a seeded sample of the imported questions)
   and the community's question list (newest, active, votes, unanswered, a tag, later pages)
   through django.test.Client in process, and report p50/p95 with a baseline page's ratio.

Throughput is questions + answers divided by the whole import's wall time (people, tags,
posts, comments, votes and links, the commit included).

    .venv/bin/python benchmarks/bench_qa.py                         # both databases, 1M posts
    .venv/bin/python benchmarks/bench_qa.py --posts 100000 --databases sqlite
    .venv/bin/python benchmarks/bench_qa.py --generated /tmp/se1m   # reuse a generated dump
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import (
    DEFAULT_POSTGRES,
    ROOT,
    in_scratch_database,
    percentiles,
    setup_django_child,
)

REAL_DUMPS = ROOT.parent / "shared" / "data" / "stackexchange"
TARGET_POSTS_PER_S = 5000.0  # on SQLite
TARGET_PEAK_MB = 500.0
TARGET_P95_MS = 100.0


# --------------------------------------------------------------------------------------------
# Memory of a process tree, from /proc.
# --------------------------------------------------------------------------------------------


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_rss_kb(pid: int) -> int:
    return _rss_kb(pid) + sum(tree_rss_kb(child) for child in _children(pid))


class PeakMemory:
    """Samples the resident memory of a process and its children until stopped."""

    def __init__(self, pid: int, every_s: float = 0.05) -> None:
        self.pid = pid
        self.every_s = every_s
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            time.sleep(self.every_s)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------------------------
# Child: one database.
# --------------------------------------------------------------------------------------------


def import_once(path: Path) -> dict[str, Any]:
    """`trellis import stackexchange` in a process of its own, as an admin runs it; its
    memory (and its reading child's) is sampled from here."""
    command = [sys.executable, "-m", "trellis.cli", "import", "stackexchange", str(path),
               "--quiet", "--json"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakMemory(process.pid) as memory:
        out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"import of {path} failed: {err[-2000:]}")
    summary = json.loads(out.strip().splitlines()[-1])
    counts = summary["counts"]
    posts = sum(counts[k]["created"] + counts[k]["unchanged"] for k in ("questions", "answers"))
    rows = sum(sum(c.values()) for c in counts.values())
    changed = sum(c["created"] + c["updated"] for c in counts.values())
    return {
        "seconds": summary["seconds"],
        "posts": posts,
        "rows": rows,
        "posts_per_s": round(posts / summary["seconds"], 1),
        "rows_per_s": round(rows / summary["seconds"], 1),
        "peak_rss_mb": round(memory.peak_kb / 1024, 1),
        "changed": changed,
        "stage_seconds": summary["stage_seconds"],
        "counts": counts,
    }


def bench_import(path: Path) -> dict[str, Any]:
    first = import_once(path)
    again = import_once(path)
    return {
        "dump": path.name,
        **{k: v for k, v in first.items() if k != "changed"},
        "rerun": {"seconds": again["seconds"], "changed": again["changed"],
                  "peak_rss_mb": again["peak_rss_mb"]},
    }  # fmt: skip


def bench_pages(args: argparse.Namespace, site: str) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from trellis.communities.models import Community
    from trellis.core.models import Tag
    from trellis.people.models import Person
    from trellis.qa.models import Post, PostKind

    community = Community.objects.get(slug=site)
    reader = Person.objects.create_user("reader@example.com", "x", name="Reader")
    client = Client()
    client.force_login(reader)
    rand = random.Random(args.seed)
    questions = Post.objects.filter(community=community, kind=PostKind.QUESTION)
    top = questions.order_by("-pk").values_list("pk", flat=True)[:1]
    high = top[0] if top else 0
    sample: list[int] = []
    while len(sample) < args.requests:  # seeded random ids, kept only when they exist
        candidates = [rand.randint(1, high) for _ in range(args.requests * 4)]
        sample += list(questions.filter(pk__in=candidates).values_list("pk", flat=True))
    sample = sample[: args.requests]
    tag = (
        Tag.objects.filter(posttag__post__community=community)
        .annotate(n=Count("posttag"))
        .order_by("-n")
        .values_list("name", flat=True)
        .first()
    )
    base = reverse("community-questions", args=[site])
    lists = [f"{base}?sort={s}" for s in ("newest", "active", "votes", "unanswered")]
    lists += [f"{base}?tag={tag}", *(f"{base}?page={rand.randint(2, 40)}" for _ in range(3))]

    def measure(name: str, urls: list[str], who: Client) -> dict[str, Any]:
        for url in urls[:3]:
            who.get(url)
        # Django empties connection.queries when a request starts: count at the cursor.
        statements: list[str] = []
        with connection.execute_wrapper(
            lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)
        ):
            who.get(urls[0])
        samples, statuses = [], {}
        for k in range(args.requests):
            url = urls[k % len(urls)]
            t0 = time.perf_counter()
            response = who.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return {
            "page": name,
            "requests": args.requests,
            "statuses": {str(c): n for c, n in sorted(statuses.items())},
            "queries": len(statements),
            **percentiles(samples),
        }

    baseline = measure("baseline: anonymous GET /login/", [reverse("login")], Client())
    pages = {
        "question-detail": measure(
            "question page", [reverse("question-detail", args=[pk]) for pk in sample], client
        ),
        "community-questions": measure("community question list", lists, client),
    }
    for figures in pages.values():
        figures["p95_ratio_to_baseline"] = round(figures["p95_ms"] / baseline["p95_ms"], 2)
        figures["meets_p95_target"] = figures["p95_ms"] <= TARGET_P95_MS and set(
            figures["statuses"]
        ) == {"200"}
    return {
        "community": site,
        "questions_in_community": questions.count(),
        "posts_in_database": Post.objects.count(),
        "baseline": baseline,
        "pages": pages,
    }


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()
    from django.db import connection

    real = [bench_import(Path(p)) for p in args.dumps]
    generated = bench_import(Path(args.generated))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from trellis.imports.stackexchange_reader import StackExchangeDump

    site = StackExchangeDump(Path(args.generated)).site_name()
    return {
        "engine": connection.vendor,
        "server": server,
        "real_dumps": real,
        "generated": generated,
        "pages": bench_pages(args, site),
    }


# --------------------------------------------------------------------------------------------
# Parent: scratch databases, the generated dump, children, one JSON line.
# --------------------------------------------------------------------------------------------


def bench_database(args: argparse.Namespace, database: str) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--database", database, "--generated", args.generated,
        "--requests", str(args.requests), "--seed", str(args.seed), "--dumps", *args.dumps,
    ]  # fmt: skip
    return in_scratch_database(database, "qa", command, args.postgres_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000, help="size of the generated dump")
    parser.add_argument("--generated", default="", help="an already generated dump folder")
    parser.add_argument("--dumps", nargs="*", default=None, help="real dump folders")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--database", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dumps is None:
        args.dumps = sorted(str(p) for p in REAL_DUMPS.iterdir() if p.is_dir())

    if args.database:  # child
        print(json.dumps(run_child(args)))
        return

    import django

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trellis-se-") as tmp:
        generation = None
        if not args.generated:
            args.generated = str(Path(tmp) / f"generated{args.posts}-2024")
            out = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "gen_se_dump.py"), args.generated,
                 "--posts", str(args.posts), "--seed", str(args.seed)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            generation = json.loads(out.stdout.strip().splitlines()[-1])
        results = {db: bench_database(args, db) for db in args.databases.split(",") if db}
    sqlite = results.get("sqlite", {})
    checks = {
        "sqlite_posts_per_s_generated": sqlite.get("generated", {}).get("posts_per_s"),
        "peak_rss_mb_max": max(
            (r.get("generated", {}).get("peak_rss_mb", 0) for r in results.values()), default=0
        ),
        "p95_ms": {
            db: {k: v["p95_ms"] for k, v in r.get("pages", {}).get("pages", {}).items()}
            for db, r in results.items()
        },
    }
    meets = (
        (checks["sqlite_posts_per_s_generated"] or 0) >= TARGET_POSTS_PER_S
        and checks["peak_rss_mb_max"] < TARGET_PEAK_MB
        and all(
            page.get("meets_p95_target")
            for r in results.values()
            for page in r.get("pages", {}).get("pages", {}).values()
        )
        and all("error" not in r for r in results.values())
    )
    print(
        json.dumps(
            {
                "benchmark": "qa-import-and-pages",
                "generated_dump": generation or args.generated,
                "targets": {
                    "sqlite_posts_per_s": TARGET_POSTS_PER_S,
                    "peak_rss_mb": TARGET_PEAK_MB,
                    "p95_ms": TARGET_P95_MS,
                },
                "summary": checks,
                "meets_targets": meets,
                "python": platform.python_version(),
                "django": django.get_version(),
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "databases": results,
                "wall_s": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
