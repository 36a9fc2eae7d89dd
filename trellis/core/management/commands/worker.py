"""`trellis worker`: run background tasks, retrying transient failures and taking over the
tasks of workers that died (trellis/core/worker.py). Run as many as you like."""

from typing import Any

from django.conf import settings
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from trellis.core.worker import ReliableWorker


class Command(DBWorkerCommand):
    help = (
        "Run the task worker: emails, indexing, imports. Transient failures are retried with "
        "backoff; tasks of a worker that died are taken over. Safe to run on several machines."
    )

    def handle(self, *, verbosity: int, **options: Any) -> None:
        self.configure_logging(verbosity)
        exclude = options["exclude_queues"]
        worker = ReliableWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=exclude.split(",") if exclude else [],
            max_attempts=settings.TRELLIS_TASK_MAX_ATTEMPTS,
            retry_base=settings.TRELLIS_TASK_RETRY_SECONDS,
            heartbeat_interval=settings.TRELLIS_WORKER_HEARTBEAT_SECONDS,
            stale_after=settings.TRELLIS_WORKER_STALE_SECONDS,
        )
        worker.configure_signals()
        worker.run()
