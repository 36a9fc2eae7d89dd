"""`trellis serve`: the web server, a task worker and the scheduler on one machine, kept running
by trellis/core/supervisor.py (on several machines, run each under systemd: docs/OPERATIONS.md)."""

import signal
import sys
from datetime import datetime
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trellis.core.startup import require_secret_key
from trellis.core.supervisor import Supervisor


class Command(BaseCommand):
    help = (
        "Run Trellis: the web server, a task worker and the scheduler as child processes. "
        "One that dies is restarted (after 1 s, doubling to 60 s while it keeps dying); "
        "Ctrl-C or SIGTERM stops them all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.TRELLIS_HOST)
        parser.add_argument("--port", type=int, default=settings.TRELLIS_PORT)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-worker", action="store_true", help="Run no task worker.")
        parser.add_argument("--no-scheduler", action="store_true", help="Run no scheduler.")
        parser.add_argument(
            "--no-migrate", action="store_true", help="Skip applying database migrations first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Fail here with the reason, not in a web server that cannot boot and is restarted forever.
        try:
            require_secret_key()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        supervisor = Supervisor(self.commands(options), log=self.log)
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        supervisor.start()
        self.stdout.write(
            f"Trellis is running at http://{options['host']}:{options['port']}/ "
            f"({', '.join(c.name for c in supervisor.children)}). Press Ctrl-C to stop."
        )
        supervisor.run(lambda: stopping)
        self.stdout.write("Trellis stopped.")

    def commands(self, options: dict[str, Any]) -> dict[str, list[str]]:
        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "trellis.wsgi:application",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                str(options["web_workers"]),
                "--threads",
                "4",
                # Notes how long each request waited for a thread (core/overload.py).
                "--worker-class",
                "trellis.core.overload.QueueTimedThreadWorker",
                "--access-logfile",
                "-",
                # No invitation, reset or unsubscribe token and no query value in that log.
                "--logger-class",
                "trellis.core.access_log.RedactingLogger",
                "--graceful-timeout",
                "10",
            ],
        }
        if not options["no_worker"]:
            commands["worker"] = [
                python,
                "-m",
                "trellis.cli",
                "worker",
                "--no-reload",
                "--interval",
                "1",
            ]
        if not options["no_scheduler"]:
            commands["scheduler"] = [python, "-m", "trellis.cli", "scheduler"]
        return commands

    def log(self, message: str) -> None:
        """Supervisor news on stderr, stamped like gunicorn's own lines."""
        now = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
        self.stderr.write(f"[{now}] [serve] {message}")
