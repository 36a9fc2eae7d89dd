from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trellis.core.errors import ServiceError
from trellis.people.directory_import import people_import_csv
from trellis.people.models import Person


class Command(BaseCommand):
    help = (
        "Import a CSV people directory (name, email, department, title, manager_email, "
        "start_date). Idempotent by email; bad rows are reported and skipped. Exit status 1 "
        "when some rows had problems."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")
        parser.add_argument(
            "--as",
            dest="actor",
            default="",
            help="Email of the org admin doing the import (default: the first).",
        )

    def handle(self, *args: Any, file: Path, dry_run: bool, actor: str, **options: Any) -> None:
        admins = Person.objects.filter(is_org_admin=True, is_active=True).order_by("pk")
        admin = admins.filter(email=actor.lower()).first() if actor else admins.first()
        if admin is None:
            raise CommandError("No org admin to import as: run `trellis createadmin` first.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        try:
            report = people_import_csv(actor=admin, data=data, dry_run=dry_run)
        except ServiceError as error:
            raise CommandError(f"{file}: {error.message}") from error
        prefix = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{prefix} {report.rows} rows: {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} with problems."
        )
        for row in report.errors:
            self.stderr.write(f"  line {row.line}: {row.email or '-'}: {row.reason}")
        if report.errors:
            raise SystemExit(1)
