"""A small HTTP/1.1 load client on the standard library alone, for bench_load.py.

asyncio with keep-alive connection pools (`asyncio.open_connection`, no third-party client):
one event loop sends hundreds of requests a second while spending little CPU, so the
client is not what saturates on a two-core machine. The open loop sends each request at its
scheduled time whatever the earlier ones are doing, and its latency is counted from that
scheduled time, not from when a connection became free (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


class StaleConnection(Exception):
    """The server had closed a kept-alive connection before our request reached it."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def cookies(self) -> dict[str, str]:
        found = {}
        for key, value in self.headers:
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                if "=" in pair:
                    name, val = pair.split("=", 1)
                    found[name.strip()] = val.strip()
        return found

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    last_used: float


class Pool:
    """Keep-alive connections to one host. gunicorn closes a connection idle for its keepalive
    (2 s by default): connections idle longer than `idle_limit` are dropped rather than
    reused, and a reused one that turns out closed before any byte of the answer is retried
    once on a fresh connection (the request never reached the application)."""

    def __init__(self, host: str, port: int, *, idle_limit: float = 1.0) -> None:
        self.host = host
        self.port = port
        self.idle_limit = idle_limit
        self.idle: list[_Conn] = []
        self.opened = 0
        self.stale_retries = 0

    def _take(self) -> _Conn | None:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if now - conn.last_used <= self.idle_limit and not conn.reader.at_eof():
                return conn
            conn.writer.close()
        return None

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        timeout: float = 30.0,
    ) -> Response:
        async with asyncio.timeout(timeout):
            for attempt in (0, 1):
                conn = self._take()
                reused = conn is not None
                if conn is None:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                    self.opened += 1
                    conn = _Conn(reader, writer, time.monotonic())
                try:
                    response, keep = await self._exchange(conn, method, path, headers, body)
                except (StaleConnection, ConnectionResetError, BrokenPipeError):
                    conn.writer.close()
                    if reused and attempt == 0:
                        self.stale_retries += 1
                        continue
                    raise
                except BaseException:
                    conn.writer.close()
                    raise
                if keep:
                    conn.last_used = time.monotonic()
                    self.idle.append(conn)
                else:
                    conn.writer.close()
                return response
        raise AssertionError("unreachable")

    async def _exchange(
        self,
        conn: _Conn,
        method: str,
        path: str,
        headers: dict[str, str] | None,
        body: bytes,
    ) -> tuple[Response, bool]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        if body or method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(body)}")
        conn.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await conn.writer.drain()
        status_line = await conn.reader.readline()
        if not status_line:
            raise StaleConnection()
        parts = status_line.decode("latin-1").split(" ", 2)
        status = int(parts[1])
        response_headers: list[tuple[str, str]] = []
        while True:
            line = await conn.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            response_headers.append((key.strip().lower(), value.strip()))
        response = Response(status, response_headers, b"")
        keep = (response.header("connection") or "").lower() != "close"
        length = response.header("content-length")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif length is not None:
            response.body = await conn.reader.readexactly(int(length))
        elif (response.header("transfer-encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await conn.reader.readline()).split(b";")[0].strip(), 16)
                if size == 0:
                    while (await conn.reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(await conn.reader.readexactly(size))
                await conn.reader.readline()
            response.body = b"".join(chunks)
        else:
            response.body = await conn.reader.read()
            keep = False
        return response, keep

    def close(self) -> None:
        for conn in self.idle:
            conn.writer.close()
        self.idle.clear()


def form_body(fields: dict[str, str]) -> bytes:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items()).encode()


# --------------------------------------------------------------------------------------------
# Outcomes and their figures.
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # page, search, api, write
    op: str  # home, search-page, api-experts, ask ...
    latency_ms: float  # from the scheduled send time (open loop) or the send (closed loop)
    status: int | None  # None: no answer (connection error or timeout)
    error: str = ""  # "timeout", "connection: ...", "unexpected 404" ...
    retry_after: bool = False  # a 503 that said when to come back
    lag_ms: float = 0.0  # how late the client sent it after its scheduled time
    detail: str = ""  # what an unexpected answer said (not for 503s)


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of an ascending list (q in 0..1)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_figures(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50_ms": round(quantile(ordered, 0.50), 1),
        "p95_ms": round(quantile(ordered, 0.95), 1),
        "p99_ms": round(quantile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
    }


def status_class(outcome: Outcome) -> str:
    if outcome.status is None:
        return "timeout" if outcome.error == "timeout" else "connection_error"
    if outcome.status in (429, 500, 503):
        return str(outcome.status)
    return f"{outcome.status // 100}xx"


def summarise(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    """Throughput, latency per kind and per operation, and what came back."""
    statuses = Counter(status_class(o) for o in outcomes)
    ok = [o for o in outcomes if not o.error and o.status is not None and o.status < 400]
    by_kind: dict[str, list[float]] = defaultdict(list)
    by_op: dict[str, list[float]] = defaultdict(list)
    errors_by_op: Counter[str] = Counter()
    for o in outcomes:
        # Latency of everything that was answered, as a user would feel it (a fast 503 too);
        # what failed is counted below.
        if o.status is not None:
            by_kind[o.kind].append(o.latency_ms)
            by_op[o.op].append(o.latency_ms)
        if o.error:
            errors_by_op[f"{o.op}: {o.error}"] += 1
    reads = [o.latency_ms for o in outcomes if o.kind != "write" and o.status is not None]
    shed = statuses.get("503", 0)
    server_errors = sum(1 for o in outcomes if o.status is not None and o.status >= 500) - shed
    errors = sum(1 for o in outcomes if o.error)
    lags = sorted(o.lag_ms for o in outcomes)
    return {
        "requests": len(outcomes),
        "throughput_rps": round(len(ok) / seconds, 2) if seconds else None,
        "read": latency_figures(reads),
        "kinds": {k: latency_figures(v) for k, v in sorted(by_kind.items())},
        "ops": {
            k: {
                "n": len(v),
                "p50_ms": round(quantile(sorted(v), 0.5), 1),
                "p95_ms": round(quantile(sorted(v), 0.95), 1),
            }
            for k, v in sorted(by_op.items())
        },
        "statuses": dict(sorted(statuses.items())),
        "errors": errors,
        "server_errors_5xx_not_503": server_errors,
        "shed_503": shed,
        "shed_503_without_retry_after": sum(
            1 for o in outcomes if o.status == 503 and not o.retry_after
        ),
        "error_kinds": dict(errors_by_op.most_common(12)),
        "error_examples": list(dict.fromkeys(o.detail for o in outcomes if o.detail))[:5],
        "client_send_lag_p99_ms": round(quantile(lags, 0.99), 1) if lags else None,
    }


# --------------------------------------------------------------------------------------------
# Open and closed loops.
# --------------------------------------------------------------------------------------------

Send = Callable[[float], Awaitable[Outcome]]  # given the reference time latency counts from


async def open_loop(
    make: Callable[[], Send], rate: float, seconds: float, *, drain_timeout: float
) -> tuple[list[Outcome], float]:
    """Send `rate` requests a second on a fixed schedule for `seconds`, each at its time
    whatever the others are doing; wait (at most `drain_timeout`) for the stragglers.
    Returns the outcomes and the wall time of the sending window."""
    loop = asyncio.get_running_loop()
    interval = 1.0 / rate
    total = max(1, round(rate * seconds))
    start = loop.time() + 0.05
    tasks: list[asyncio.Task[Outcome]] = []
    for k in range(total):
        due = start + k * interval
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        send = make()
        tasks.append(asyncio.ensure_future(send(due)))
    window = loop.time() - start
    done, pending = await asyncio.wait(tasks, timeout=drain_timeout)
    for task in pending:
        task.cancel()
    outcomes = [t.result() for t in done if not t.cancelled() and t.exception() is None]
    return outcomes, max(window, seconds)


async def closed_loop(
    makers: list[Callable[[], Send]], seconds: float
) -> tuple[list[Outcome], float]:
    """One user per maker, each sending its next request as soon as the last was answered."""
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []
    start = loop.time()
    stop_at = start + seconds

    async def user(make: Callable[[], Send]) -> None:
        while loop.time() < stop_at:
            send = make()
            outcome = await send(loop.time())
            outcomes.append(outcome)
            if outcome.status is None:
                await asyncio.sleep(0.1)  # a refused connection would spin otherwise

    await asyncio.gather(*(user(make) for make in makers))
    return outcomes, loop.time() - start
