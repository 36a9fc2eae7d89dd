"""The task worker: django-tasks-db's worker plus what production needs from it.

django-tasks-db runs each task once: a task that fails on a locked database or an SMTP server
that is down stays FAILED, and a task whose worker was killed stays RUNNING for ever. Here:
- a transient failure (core/transient.py) puts the task back with exponential backoff, until
  `TRELLIS_TASK_MAX_ATTEMPTS` attempts (an attempt is a claim: `worker_ids` lists them);
- each worker writes a heartbeat; a task RUNNING under a worker that is gone (its process is
  dead on this machine, or it has not beaten for `stale_after` elsewhere) is put back, or
  failed for good after as many attempts, and its give-up handler runs (an import run is then
  marked failed and its files removed);
- the database going away never kills the worker: it waits and carries on.
Tasks are idempotent (the house rule), so running one again after an interruption is safe.
"""

import contextlib
import logging
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from trellis.core.models import WorkerHeartbeat
from trellis.core.transient import is_transient

log = logging.getLogger("trellis.worker")

GiveUpHandler = Callable[[list[Any], dict[str, Any]], None]
_give_up_handlers: dict[str, GiveUpHandler] = {}


def on_give_up(task_path: str, handler: GiveUpHandler) -> None:
    """Register what to do when a task fails for good (called with its args and kwargs)."""
    _give_up_handlers[task_path] = handler


def retry_delay(attempt: int, *, base: float, cap: float = 3600.0) -> float:
    """Exponential backoff with jitter: base, 2·base, 4·base … at most `cap` seconds."""
    delay: float = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.2)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _give_up(task: DBTaskResult[Any, Any], reason: BaseException) -> None:
    """Mark a task failed for good and let its owner clean up after it."""
    task.set_failed(reason)
    handler = _give_up_handlers.get(task.task_path)
    if handler is not None:
        try:
            handler(task.args_kwargs.get("args", []), task.args_kwargs.get("kwargs", {}))
        except Exception:
            log.exception("give-up handler of %s failed", task.task_path)


def is_queued_or_running(task_path: str) -> bool:
    """Whether a task of this kind waits or runs (with the database backend; else False)."""
    return DBTaskResult.objects.filter(
        task_path=task_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()


class WorkerDied(Exception):
    pass


def reclaim_interrupted(*, current_worker: str, stale_after: float, max_attempts: int) -> int:
    """Put back (or fail for good) RUNNING tasks whose worker is gone. Returns how many."""
    now = timezone.now()
    host = socket.gethostname()
    beats = {beat.worker_id: beat for beat in WorkerHeartbeat.objects.all()}

    def gone(worker_id: str | None) -> bool:
        if worker_id is None:
            return True
        if worker_id == current_worker:
            return True  # we run one task at a time and are between tasks: it is an orphan
        beat = beats.get(worker_id)
        if beat is None:
            return True
        if beat.hostname == host:
            if beat.pid == os.getpid():
                return True  # its pid is ours now: that process is long gone
            return not _pid_alive(beat.pid)
        return beat.seen_at < now - timedelta(seconds=stale_after)

    reclaimed = 0
    for task in DBTaskResult.objects.running():
        owner = task.worker_ids[-1] if task.worker_ids else None
        if not gone(owner):
            continue
        attempts = len(task.worker_ids)
        if attempts >= max_attempts:
            log.error(
                "task %s (%s): its worker stopped %d times; failed",
                task.pk,
                task.task_path,
                attempts,
            )
            _give_up(task, WorkerDied(f"Its worker stopped {attempts} times while running it."))
        else:
            moved = DBTaskResult.objects.filter(
                pk=task.pk, status=TaskResultStatus.RUNNING, worker_ids=task.worker_ids
            ).update(status=TaskResultStatus.READY, run_after=now)
            if not moved:
                continue
            log.warning(
                "task %s (%s): its worker %s stopped mid-task; queued again",
                task.pk,
                task.task_path,
                owner,
            )
        reclaimed += 1
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return reclaimed


class Heartbeat:
    """Writes this worker's heartbeat row every `interval` seconds from a thread of its own, so
    a long task does not look like a dead worker."""

    def __init__(self, worker_id: str, interval: float) -> None:
        self.worker_id = worker_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        now = timezone.now()
        updated = WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(seen_at=now)
        if not updated:
            WorkerHeartbeat.objects.create(
                worker_id=self.worker_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                started_at=now,
                seen_at=now,
            )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except DatabaseError as error:
                log.warning("heartbeat not written (%s)", error)
                connection.close()
        connection.close()

    def start(self) -> None:
        self.beat()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        # If this fails it goes stale; the next worker on this machine sees the pid is gone.
        with contextlib.suppress(DatabaseError):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()


class ReliableWorker(Worker):
    def __init__(
        self,
        *,
        max_attempts: int,
        retry_base: float,
        heartbeat_interval: float,
        stale_after: float,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.heartbeat = Heartbeat(self.worker_id, heartbeat_interval)
        self.stale_after = stale_after
        self.reclaim_every = max(1.0, heartbeat_interval)
        self._next_reclaim = 0.0

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        log.info("worker %s started (pid %d)", self.worker_id, os.getpid())
        self._until_database_answers(self.heartbeat.start)
        try:
            self._loop()
        finally:
            self.heartbeat.stop()

    def _loop(self) -> None:
        outage = 0
        while self.running:
            close_old_connections()
            try:
                if time.monotonic() >= self._next_reclaim:
                    reclaim_interrupted(
                        current_worker=self.worker_id,
                        stale_after=self.stale_after,
                        max_attempts=self.max_attempts,
                    )
                    self._next_reclaim = time.monotonic() + self.reclaim_every
                task_result = self._claim_next()
            except DatabaseError as error:
                outage += 1
                self._wait_out(error, outage)
                continue
            outage = 0
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def _claim_next(self) -> DBTaskResult[Any, Any] | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return task_result
        except DatabaseError as error:
            if is_locked_database_exception(error):  # type: ignore[arg-type]
                return None
            raise

    def _wait_out(self, error: BaseException, outage: int) -> None:
        delay = min(30.0, 0.5 * 2 ** min(outage, 6))
        log.warning("database unavailable (%s); trying again in %.1f s", error, delay)
        with contextlib.suppress(DatabaseError):
            connection.close()
        deadline = time.monotonic() + delay
        while self.running and time.monotonic() < deadline:
            time.sleep(0.2)

    def _until_database_answers(self, write: Callable[[], object]) -> None:
        """Record an outcome: the database may be away for a while; the task's result is not
        thrown away meanwhile (and is not run twice unless this worker dies waiting)."""
        outage = 0
        while True:
            try:
                write()
                return
            except DatabaseError as error:
                outage += 1
                if not self.running and outage > 3:
                    raise
                self._wait_out(error, outage)

    # -- one task ---------------------------------------------------------------------------

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        started = time.monotonic()
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            if task.takes_context:
                from django.tasks import TaskContext

                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            self._until_database_answers(lambda: db_task_result.set_successful(value))
            log.info(
                "task %s %s done in %.2f s",
                db_task_result.pk,
                db_task_result.task_path,
                time.monotonic() - started,
            )
        except (KeyboardInterrupt, SystemExit):
            # Stopped mid-task (Ctrl-C twice, SIGTERM twice): hand the task back, then stop.
            self._until_database_answers(lambda: self._put_back(db_task_result, None, 0.0))
            raise
        except Exception as error:
            close_old_connections()
            attempts = len(db_task_result.worker_ids)
            if is_transient(error) and attempts < self.max_attempts:
                delay = retry_delay(attempts, base=self.retry_base)
                log.warning(
                    "task %s %s failed (attempt %d of %d: %s); retrying in %.0f s",
                    db_task_result.pk,
                    db_task_result.task_path,
                    attempts,
                    self.max_attempts,
                    error,
                    delay,
                )
                failure: BaseException = error
                self._until_database_answers(lambda: self._put_back(db_task_result, failure, delay))
            else:
                log.error(
                    "task %s %s failed for good after %d attempt(s): %s",
                    db_task_result.pk,
                    db_task_result.task_path,
                    attempts,
                    error,
                )
                final: BaseException = error
                self._until_database_answers(lambda: _give_up(db_task_result, final))
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _put_back(
        self, task: DBTaskResult[Any, Any], error: BaseException | None, delay: float
    ) -> None:
        fields: dict[str, Any] = {
            "status": TaskResultStatus.READY,
            "run_after": timezone.now() + timedelta(seconds=delay),
        }
        if error is not None:
            fields["exception_class_path"] = f"{type(error).__module__}.{type(error).__qualname__}"
            fields["traceback"] = "".join(traceback.format_exception(error))
        DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(**fields)
