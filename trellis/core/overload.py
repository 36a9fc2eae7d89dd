"""Shedding load instead of queueing it: past capacity, a request that waited too long in the
web server's queue is answered at once with 503 and Retry-After, so the requests that are served
stay fast and nothing piles up until clients time out (or gunicorn kills a worker).

gunicorn's threaded worker queues connections for its thread pool without bound; the worker
class here stamps each connection when it joins that queue, and the middleware (first in the
chain, before sessions touch the database) reads how long the request waited.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from gunicorn.workers.gthread import ThreadWorker

_waited = threading.local()


def queue_wait_seconds() -> float:
    """How long the request this thread serves waited for a thread (0 outside gunicorn)."""
    return float(getattr(_waited, "seconds", 0.0))


class QueueTimedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, noting when each connection was queued for a thread."""

    def enqueue_req(self, conn: Any) -> None:
        conn.trellis_queued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        queued_at = getattr(conn, "trellis_queued_at", None)
        _waited.seconds = time.monotonic() - queued_at if queued_at is not None else 0.0
        try:
            return super().handle(conn)
        finally:
            _waited.seconds = 0.0


def unavailable(request: HttpRequest, *, detail: str, retry_after: int) -> HttpResponse:
    """A 503 that touches no database: the API's error shape for the API, plain HTML else."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": detail, "errors": []}, status=503)
    else:
        response = HttpResponse(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Trellis is busy</title></head><body><h1>Trellis is busy</h1>"
            f"<p>{detail}</p></body></html>",
            status=503,
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class ShedOverloadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.TRELLIS_SHED_AFTER_SECONDS
        if limit and queue_wait_seconds() > limit:
            return unavailable(
                request,
                detail="Trellis has more requests than it can answer right now; "
                "try again in a moment.",
                retry_after=2,
            )
        return self.get_response(request)
