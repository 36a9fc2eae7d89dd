import contextlib
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection

from trellis.core.scheduling import run_due_jobs
from trellis.ops.schedule import SCHEDULE


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due (safe to run on several machines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between checks (default 30)."
        )
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("scheduler: started")
        while not stopping:
            try:
                for name in run_due_jobs(SCHEDULE):
                    self.stdout.write(f"scheduler: enqueued {name}")
            except DatabaseError as error:  # the database is away: try again next tick
                self.stderr.write(f"scheduler: database unavailable ({error}); will retry")
                with contextlib.suppress(DatabaseError):
                    connection.close()
            if once:
                break
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
        self.stdout.write("scheduler: stopped")
