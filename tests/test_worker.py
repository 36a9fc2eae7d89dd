"""The task worker: transient failures retried with backoff, tasks of dead workers taken over."""

import os
import socket
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from tests import worker_tasks
from trellis.core.models import WorkerHeartbeat
from trellis.core.transient import is_transient
from trellis.core.worker import ReliableWorker, on_give_up, reclaim_interrupted, retry_delay

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_tasks(settings: Settings, transactional_db: None) -> None:
    settings.TASKS = DB_TASKS
    cache.delete("flaky-calls")


def _worker(**overrides: Any) -> ReliableWorker:
    options: dict[str, Any] = {
        "queue_names": ["default"],
        "interval": 0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
        "max_attempts": 3,
        "retry_base": 5.0,
        "heartbeat_interval": 60.0,
        "stale_after": 60.0,
    }
    options.update(overrides)
    return ReliableWorker(**options)


def _row(result_id: str) -> DBTaskResult[Any, Any]:
    return DBTaskResult.objects.get(pk=result_id)


def _make_due(result_id: str) -> None:
    DBTaskResult.objects.filter(pk=result_id).update(run_after=timezone.now())


@pytest.mark.usefixtures("db_tasks")
def test_a_locked_database_is_retried_with_backoff_until_the_task_succeeds() -> None:
    result = worker_tasks.flaky.enqueue(2)
    worker = _worker()

    worker.run()  # first attempt fails: the task waits, it is not FAILED
    row = _row(result.id)
    assert row.status == TaskResultStatus.READY
    assert row.run_after > timezone.now() + timedelta(seconds=3)  # backoff from 5 s
    assert row.exception_class_path == "django.db.utils.OperationalError"

    _make_due(result.id)
    worker.run()  # second attempt fails too, waits longer
    row = _row(result.id)
    assert row.status == TaskResultStatus.READY
    assert row.run_after > timezone.now() + timedelta(seconds=7)

    _make_due(result.id)
    worker.run()
    row = _row(result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 3
    assert len(row.worker_ids) == 3


@pytest.mark.usefixtures("db_tasks")
def test_a_bug_fails_at_once_and_a_transient_failure_fails_after_the_last_attempt() -> None:
    bug = worker_tasks.broken.enqueue()
    _worker().run()
    assert _row(bug.id).status == TaskResultStatus.FAILED
    assert len(_row(bug.id).worker_ids) == 1

    seen: list[tuple[list[Any], dict[str, Any]]] = []
    on_give_up(worker_tasks.flaky.module_path, lambda args, kwargs: seen.append((args, kwargs)))
    stubborn = worker_tasks.flaky.enqueue(99)
    worker = _worker(max_attempts=2)
    worker.run()
    _make_due(stubborn.id)
    worker.run()
    row = _row(stubborn.id)
    assert row.status == TaskResultStatus.FAILED
    assert "database is locked" in row.traceback
    assert seen == [([99], {})]


def test_transient_failures_are_told_apart_from_bugs() -> None:
    import smtplib

    from django.db import InterfaceError, OperationalError

    assert is_transient(OperationalError("database is locked"))
    assert is_transient(InterfaceError("connection already closed"))
    assert is_transient(ConnectionRefusedError())
    assert is_transient(smtplib.SMTPServerDisconnected())
    assert is_transient(smtplib.SMTPResponseException(451, b"try later"))
    assert not is_transient(smtplib.SMTPResponseException(550, b"no such user"))
    assert not is_transient(ValueError("bug"))
    delays = [retry_delay(n, base=5) for n in (1, 2, 3, 20)]
    assert 4 <= delays[0] <= 6 and 8 <= delays[1] <= 12 and 16 <= delays[2] <= 24
    assert delays[3] <= 3600 * 1.2


def _running(worker_id: str, *, attempts: int = 1) -> str:
    result = worker_tasks.flaky.enqueue(0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=5),
        worker_ids=[f"earlier-{n}" for n in range(attempts - 1)] + [worker_id],
    )
    return str(result.id)


def _beat(worker_id: str, *, pid: int, host: str | None = None, age: float = 0) -> None:
    WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        hostname=host or socket.gethostname(),
        pid=pid,
        seen_at=timezone.now() - timedelta(seconds=age),
    )


@pytest.mark.usefixtures("db_tasks")
def test_tasks_of_a_dead_worker_are_taken_over_and_those_of_a_live_one_are_not() -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    _beat("killed", pid=dead.pid)
    _beat("alive-here", pid=os.getppid())
    _beat("silent-elsewhere", pid=1, host="other-machine", age=300)
    _beat("beating-elsewhere", pid=1, host="other-machine", age=2)
    killed = _running("killed")
    alive = _running("alive-here")
    silent = _running("silent-elsewhere")
    beating = _running("beating-elsewhere")
    never_beat = _running("no-heartbeat-row")
    worn_out = _running("killed", attempts=3)

    seen: list[tuple[list[Any], dict[str, Any]]] = []
    on_give_up(worker_tasks.flaky.module_path, lambda args, kwargs: seen.append((args, kwargs)))
    taken = reclaim_interrupted(current_worker="me", stale_after=60, max_attempts=3)

    assert taken == 4
    for result_id in (killed, silent, never_beat):
        assert _row(result_id).status == TaskResultStatus.READY, result_id
    for result_id in (alive, beating):
        assert _row(result_id).status == TaskResultStatus.RUNNING, result_id
    assert _row(worn_out).status == TaskResultStatus.FAILED
    assert "stopped 3 times" in _row(worn_out).traceback
    assert seen == [([0], {})]

    _worker().run()  # the taken-over tasks run to completion
    assert _row(killed).status == TaskResultStatus.SUCCESSFUL
