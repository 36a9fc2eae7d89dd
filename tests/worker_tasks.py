"""Tasks the worker tests enqueue: importable by path, as the worker needs them."""

from django.core.cache import cache
from django.db import OperationalError
from django.tasks import task


@task()
def flaky(times: int) -> int:
    """Fails with a locked database the first `times` calls, then succeeds."""
    calls = int(cache.get_or_set("flaky-calls", 0) or 0)
    cache.set("flaky-calls", calls + 1)
    if calls < times:
        raise OperationalError("database is locked")
    return calls + 1


@task()
def broken() -> None:
    raise ValueError("a bug, not a passing failure")
