"""`trellis import stackexchange DIR`, `trellis import slack PATH`, `trellis import zulip DIR`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trellis.core.errors import ServiceError
from trellis.imports.safety import ImportFileError
from trellis.imports.summary import Summary


class Command(BaseCommand):
    help = (
        "Import an organisation's existing knowledge. Idempotent: running it again changes only "
        "what changed in the source. A broken file stops the import and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
        se = sub.add_parser("stackexchange", help="A Stack Exchange dump folder (Posts.xml, ...)")
        se.add_argument("path", type=Path)
        se.add_argument("--community", default=None, help="Slug of the community to import into")
        slack = sub.add_parser("slack", help="A Slack export (folder or .zip)")
        slack.add_argument("path", type=Path)
        zulip = sub.add_parser("zulip", help="A zulip-archive folder (with zulip_json/)")
        zulip.add_argument("path", type=Path)
        for p in (se, slack, zulip):
            p.add_argument("--quiet", action="store_true", help="No progress bar")
            p.add_argument("--json", action="store_true", help="The summary as one JSON line")

    def handle(
        self, *args: Any, kind: str, path: Path, quiet: bool, json: bool, **options: Any
    ) -> None:
        with Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=quiet,
            transient=False,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total or None)
                bar.update(tasks[stage], completed=done)

            try:
                summary = self._run(kind, path, progress, options)
            except ImportFileError as error:
                raise CommandError(f"{error} Nothing was imported.") from error
            except ServiceError as error:
                raise CommandError(f"{error.message} Nothing was imported.") from error
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps(summary.as_dict()))
            return
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(f"Done in {summary.seconds:.1f} s.")

    def _run(self, kind: str, path: Path, progress: Any, options: dict[str, Any]) -> Summary:
        if kind == "stackexchange":
            from trellis.imports.stackexchange import import_stackexchange

            return import_stackexchange(
                path, community_slug=options.get("community"), progress=progress
            )
        if kind == "slack":
            from trellis.imports.slack import import_slack

            return import_slack(path, progress=progress)
        from trellis.imports.zulip import import_zulip

        return import_zulip(path, progress=progress)
