"""Importing a CSV people directory: idempotent by email, per-row errors, good rows kept.

Columns: name, email, department, title, manager_email, start_date (ISO date). Header names are
matched case-insensitively; `manager email` and `manager_email` both work. A department may be a
path such as `Engineering / Platform`, which builds the tree.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction

from trellis.core import access, hooks
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.core.text import clean_name
from trellis.people.emails import normalise_email
from trellis.people.models import Department, Person
from trellis.people.services import department_get_or_create

REQUIRED_COLUMNS = ("name", "email")
KNOWN_COLUMNS = ("name", "email", "department", "title", "manager_email", "start_date")
MAX_ROWS = 200_000


@dataclass
class RowError:
    line: int
    email: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    unchanged_emails: set[str] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ParsedRow:
    line: int
    name: str
    email: str
    department: str
    title: str
    manager_email: str
    start_date: date | None


def decode(data: bytes) -> str:
    if len(data) > settings.TRELLIS_MAX_UPLOAD_BYTES:
        raise Invalid(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is "
            f"{settings.TRELLIS_MAX_UPLOAD_BYTES / 1e6:.0f} MB. Split it and import the parts."
        )
    if b"\x00" in data[:4096]:
        raise Invalid(
            "This looks like a binary file (a spreadsheet?), not CSV text. "
            "Export it as 'CSV UTF-8' and try again."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(
            f"The file is not UTF-8 text (byte 0x{data[error.start]:02x} at position "
            f"{error.start}). Save it as 'CSV UTF-8' and try again."
        ) from error


def _header_key(raw: str) -> str:
    return "_".join(raw.strip().lower().replace("-", " ").split())


def parse(text: str) -> tuple[list[ParsedRow], list[RowError]]:
    """Split the file into good rows and row errors; line numbers count the header as 1."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid("The file is empty: it needs a header row and one row per person.") from None
    except csv.Error as error:
        raise Invalid(f"The header row is not valid CSV: {error}.") from error
    keys = [_header_key(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in keys]
    if missing:
        raise Invalid(
            f"Missing column(s): {', '.join(missing)}. Expected a header with "
            f"{', '.join(KNOWN_COLUMNS)}."
        )
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if len(rows) + len(errors) >= MAX_ROWS:
                raise Invalid(f"More than {MAX_ROWS:,} rows: split the file.")
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(keys):
                errors.append(
                    RowError(line, "", f"expected {len(keys)} columns, found {len(values)}")
                )
                continue
            record = {k: v.strip() for k, v in zip(keys, values, strict=True)}
            try:
                email = normalise_email(record.get("email", ""))
            except Invalid:
                errors.append(RowError(line, record.get("email", ""), "invalid email address"))
                continue
            try:
                name = clean_name(record.get("name", "")[:200])
            except Invalid:
                errors.append(RowError(line, email, "name is empty or only invisible characters"))
                continue
            if email in seen:
                errors.append(RowError(line, email, f"duplicate of line {seen[email]}"))
                continue
            start: date | None = None
            if record.get("start_date"):
                try:
                    start = date.fromisoformat(record["start_date"])
                except ValueError:
                    errors.append(
                        RowError(
                            line,
                            email,
                            f"start_date '{record['start_date']}' is not a date like 2024-03-01",
                        )
                    )
                    continue
            manager_raw = record.get("manager_email", "")
            manager_email = ""
            if manager_raw:
                try:
                    manager_email = normalise_email(manager_raw)
                except Invalid:
                    errors.append(
                        RowError(
                            line, email, f"manager email '{manager_raw}' is not an email address"
                        )
                    )
                    continue
            if manager_email == email:
                errors.append(RowError(line, email, "a person cannot be their own manager"))
                continue
            seen[email] = line
            rows.append(
                ParsedRow(
                    line,
                    name,
                    email,
                    record.get("department", "")[:300],
                    record.get("title", "")[:200],
                    manager_email,
                    start,
                )
            )
    except csv.Error as error:
        raise Invalid(
            f"Line {reader.line_num} is not valid CSV: {error}. Nothing was imported."
        ) from error
    return rows, errors


def _department(path: str, cache: dict[str, Department]) -> Department | None:
    if not path:
        return None
    if path not in cache:
        parent: Department | None = None
        for part in [p for p in path.split("/") if p.strip()]:
            parent = department_get_or_create(name=part, parent=parent)
        cache[path] = parent  # type: ignore[assignment]
    return cache[path]


def people_import_csv(*, actor: Person, data: bytes, dry_run: bool = False) -> ImportReport:
    """Import or preview. A dry run computes the same report and rolls everything back."""
    if not access.can_manage_people(actor):
        raise Forbidden("Only org admins import the people directory.")
    rows, errors = parse(decode(data))
    report = ImportReport(errors=errors, rows=len(rows) + len(errors))
    try:
        with transaction.atomic():
            _apply(actor, rows, report)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    report.errors.sort(key=lambda e: e.line)
    return report


class _Rollback(Exception):
    pass


def _apply(actor: Person, rows: list[ParsedRow], report: ImportReport) -> None:
    departments: dict[str, Department] = {}
    existing = {p.email: p for p in Person.objects.filter(email__in=[r.email for r in rows])}
    people: dict[str, Person] = {}
    searched: list[int] = []  # created or changed: search shows their name, title, department
    for row in rows:
        department = _department(row.department, departments)
        person = existing.get(row.email)
        if person is None:
            person = Person.objects.create_user(
                row.email,
                None,
                name=row.name,
                title=row.title,
                department=department,
                start_date=row.start_date,
            )
            report.created += 1
            searched.append(person.pk)
        else:
            changed = {
                "name": row.name,
                "title": row.title,
                "department_id": department.pk if department else None,
                "start_date": row.start_date,
            }
            diff = {k: v for k, v in changed.items() if getattr(person, k) != v}
            if diff:
                for key, value in diff.items():
                    setattr(person, key, value)
                person.save(update_fields=[k for k in diff])
                report.updated += 1
                searched.append(person.pk)
            else:
                report.unchanged += 1
                report.unchanged_emails.add(row.email)
        people[row.email] = person
    _link_managers(rows, people, report)
    hooks.content_changed(kind=hooks.ContentKind.PERSON, ids=searched)
    activity_record(actor=actor, verb="people.import", obj=None)


def _link_managers(rows: list[ParsedRow], people: dict[str, Person], report: ImportReport) -> None:
    """Second pass: a manager may appear after their reports, or already be in the directory.

    Reporting loops (A manages B manages A, within the file or with people already there) are
    refused row by row; the walk runs over one in-memory map of who reports to whom.
    """
    wanted = {r.manager_email for r in rows if r.manager_email} - set(people)
    known = {p.email: p for p in Person.objects.filter(email__in=wanted)}
    reports_to: dict[int, int | None] = dict(Person.objects.values_list("pk", "manager_id"))
    for row in rows:
        person = people[row.email]
        manager = people.get(row.manager_email) or known.get(row.manager_email)
        if row.manager_email and manager is None:
            report.errors.append(
                RowError(
                    row.line,
                    row.email,
                    f"manager {row.manager_email} is "
                    "not in the file or the directory (person kept "
                    "without a manager)",
                )
            )
            continue
        manager_id = manager.pk if manager else None
        if person.manager_id == manager_id:
            continue
        if manager_id is not None and _reaches(reports_to, manager_id, person.pk):
            report.errors.append(
                RowError(
                    row.line,
                    row.email,
                    f"manager {row.manager_email} "
                    "reports (indirectly) to this person: that would be a "
                    "reporting loop (manager left unchanged)",
                )
            )
            continue
        person.manager_id = manager_id
        person.save(update_fields=["manager"])
        reports_to[person.pk] = manager_id
        if row.email in report.unchanged_emails:
            report.unchanged_emails.discard(row.email)
            report.unchanged -= 1
            report.updated += 1


def _reaches(reports_to: dict[int, int | None], start: int, target: int) -> bool:
    seen: set[int] = set()
    current: int | None = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        current = reports_to.get(current)
    return False
