"""Calendar feeds (`/calendar/<token>.ics`) at the scale of a big organisation, on SQLite and
PostgreSQL. Prints ONE JSON line.

For each database, in a child process on a scratch database (see scratch.py): generate the demo
organisation (`demo --size N`, default 50,000 people), then give every community a year of
weekly sessions (26 weeks past, 26 to come; `--weeks`) with replies from its members, written in
bulk. Then read, through django.test.Client in the same process (no HTTP server, no network),
as a calendar app would (no session, the secret token in the address):

- the personal feed of the member who belongs to the most communities (the heaviest feed);
- one community's feed (the biggest community);
- the personal feed of someone outside the private communities, checked to hold none of them.

Each: three warm-up requests, then `--requests` timed ones, p50/p95/max, the queries of one
request, the events it holds, and the ratio to a trivial baseline page (the anonymous /login/
form) measured in the same process. Target (issue 16): p95 <= 100 ms for every feed.

    .venv/bin/python benchmarks/bench_calendar_feed.py                    # 50,000 people
    .venv/bin/python benchmarks/bench_calendar_feed.py --size 300 --databases sqlite
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
from scratch import DEFAULT_POSTGRES, in_scratch_database, percentiles, setup_django_child

TARGET_P95_MS = 100.0
REPLIES_PER_SESSION = 12
CLIENT_NOTE = "django.test.Client, in-process (no HTTP server or network), DEBUG off"


def _sessions(weeks: int, seed: int) -> int:
    """A weekly circle for every community, half of it past; replies from members. Bulk
    writes: this is the benchmark's data, not a path users take."""
    from datetime import timedelta

    from django.utils import timezone

    from trellis.communities.models import Community, Membership
    from trellis.events.models import Event, EventSeries, Reply, Rsvp

    rand = random.Random(seed)
    now = timezone.now().replace(microsecond=0, second=0, minute=0)
    first = now - timedelta(weeks=weeks // 2)
    members: dict[int, list[int]] = {}
    for community_id, person_id in Membership.objects.filter(left_at__isnull=True).values_list(
        "community_id", "person_id"
    ):
        members.setdefault(community_id, []).append(person_id)
    made = 0
    for community in Community.objects.order_by("pk"):
        series = EventSeries.objects.create(
            community=community,
            rrule=f"FREQ=WEEKLY;COUNT={weeks}",
            time_zone="Europe/London",
            first_starts_at=first,
            duration=timedelta(hours=1),
        )
        events = Event.objects.bulk_create(
            Event(
                community=community,
                kind="circle",
                title=f"{community.name} circle",
                description="Bring a problem you are stuck on.",
                description_html="<p>Bring a problem you are stuck on.</p>",
                starts_at=first + timedelta(weeks=week),
                ends_at=first + timedelta(weeks=week, hours=1),
                time_zone="Europe/London",
                place="Room 3 and online",
                series=series,
                occurrence_start=first + timedelta(weeks=week),
            )
            for week in range(weeks)
        )
        people = members.get(community.pk, [])
        Rsvp.objects.bulk_create(
            Rsvp(event=event, person_id=person, reply=Reply.GOING)
            for event in events
            for person in rand.sample(people, min(REPLIES_PER_SESSION, len(people)))
        )
        made += len(events)
    return made


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()

    from io import StringIO

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.urls import reverse

    from trellis.communities.models import Community, Visibility
    from trellis.events.models import Event
    from trellis.events.services import calendar_feed_create
    from trellis.people.models import Person

    started = time.perf_counter()
    call_command("demo", size=args.size, seed=args.seed, stdout=StringIO())
    generation_s = time.perf_counter() - started
    started = time.perf_counter()
    sessions = _sessions(args.weeks, args.seed)
    sessions_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    active = Q(memberships__left_at__isnull=True)
    busiest = (
        Person.objects.filter(is_active=True)
        .annotate(n=Count("memberships", filter=active))
        .order_by("-n", "pk")
        .first()
    )
    private_ids = list(
        Community.objects.filter(visibility=Visibility.PRIVATE).values_list("pk", flat=True)
    )
    outsider = (
        Person.objects.filter(is_active=True, is_org_admin=False)
        .exclude(memberships__community_id__in=private_ids)
        .annotate(n=Count("memberships", filter=active))
        .order_by("-n", "pk")
        .first()
    )
    biggest = Community.objects.order_by("-member_count", "pk").first()
    assert busiest and outsider and biggest, "the demo has no people or communities"
    big_member = (
        Person.objects.filter(memberships__community=biggest, memberships__left_at__isnull=True)
        .order_by("pk")
        .first()
    )
    assert big_member is not None

    def measure(url: str) -> dict[str, Any]:
        who = Client(SERVER_NAME="localhost")  # an allowed host; no session, as a calendar app
        for _ in range(3):  # warm-up: imports, templates, caches
            who.get(url)
        statements: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = who.get(url)
        samples, statuses = [], set()
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = who.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            statuses.add(response.status_code)
        body = response.content.decode()
        return {
            "requests": args.requests,
            "ok": statuses == {200},
            "queries": len(statements),
            "bytes": len(response.content),
            "events": body.count("BEGIN:VEVENT"),
            "_body": body,
            **percentiles(samples),
        }

    baseline = measure(reverse("login"))
    baseline.pop("_body")
    feeds: dict[str, dict[str, Any]] = {}
    for label, person, community in (
        ("personal, busiest member", busiest, None),
        ("community, biggest", big_member, biggest),
        ("personal, outside the private communities", outsider, None),
    ):
        _feed, raw = calendar_feed_create(actor=person, community=community)
        figures = measure(reverse("calendar-feed", args=[raw]))
        body = figures.pop("_body")
        figures["p95_ratio_to_baseline"] = round(figures["p95_ms"] / baseline["p95_ms"], 1)
        figures["meets_p95_target"] = figures["ok"] and figures["p95_ms"] <= TARGET_P95_MS
        if label.startswith("personal, outside"):
            leaked = [
                pk
                for pk in Event.objects.filter(community_id__in=private_ids).values_list(
                    "pk", flat=True
                )[:5000]
                if f"UID:event-{pk}@" in body
            ]
            figures["private_events_in_feed"] = len(leaked)
        feeds[label] = figures
    return {
        "engine": connection.vendor,
        "server": server,
        "size": args.size,
        "generation_s": round(generation_s, 1),
        "sessions_s": round(sessions_s, 1),
        "people": Person.objects.count(),
        "communities": Community.objects.count(),
        "events": Event.objects.count(),
        "sessions_written": sessions,
        "busiest_member_communities": busiest.n,  # type: ignore[attr-defined]
        "baseline": baseline,
        "feeds": feeds,
    }


def child_command(args: argparse.Namespace, database: str) -> list[str]:
    return [
        sys.executable, __file__, "--database", database, "--size", str(args.size),
        "--seed", str(args.seed), "--requests", str(args.requests), "--weeks", str(args.weeks),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000, help="people in the demo")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--weeks", type=int, default=52, help="weekly sessions per community")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per feed")
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
    results: dict[str, dict[str, Any]] = {}
    for db in (d for d in args.databases.split(",") if d):
        results[db] = in_scratch_database(db, "feeds", child_command(args, db), args.postgres_url)
    runs = list(results.values())
    held = [
        feed["meets_p95_target"] and feed.get("private_events_in_feed", 0) == 0
        for run in runs
        for feed in run.get("feeds", {}).values()
    ]
    line = {
        "benchmark": "calendar_feed",
        "feeds": "/calendar/<token>.ics read without a session, as a calendar app does",
        "size": args.size,
        "weeks": args.weeks,
        "seed": args.seed,
        "requests": args.requests,
        "client": CLIENT_NOTE,
        "targets": {"p95_ms": TARGET_P95_MS, "private_events_in_outsiders_feed": 0},
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "databases": results,
        "meets_targets": bool(held) and all(held) and not any("error" in r for r in runs),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
