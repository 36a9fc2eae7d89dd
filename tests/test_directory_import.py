"""CSV directory import: good rows kept, bad rows reported by line, re-runs change nothing."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pytest_django import Settings

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.core.errors import Invalid
from trellis.people.directory_import import people_import_csv
from trellis.people.models import Department, Person

GOOD_AND_BAD = (
    "name,email,department,title,manager_email,start_date\n"
    "Grace Hopper,grace@example.com,Engineering / Compilers,Rear admiral,,1944-07-01\n"
    "Alan Turing,alan@example.com,Engineering / Compilers,Researcher,grace@example.com,1945-01-01\n"
    "No Email,,Design,Designer,,\n"
    "Bad Date,bad.date@example.com,Design,Designer,,31/12/2020\n"
    "Ada Lovelace,ada@example.com,Engineering,Analyst,nobody@example.com,\n"
    "Short Row,short@example.com\n"
    "Alan Again,ALAN@example.com,Design,,,\n"
    "Katherine Johnson,katherine@example.com,Engineering,Mathematician,grace@example.com,"
    "1953-06-01\n"
)


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(org: Org) -> None:
    report = people_import_csv(actor=org.admin, data=GOOD_AND_BAD.encode())
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    reasons = {e.line: e.reason for e in report.errors}
    assert set(reasons) == {4, 5, 6, 7, 8}
    assert "invalid email" in reasons[4]
    assert "not a date" in reasons[5]
    assert "nobody@example.com is not in the file" in reasons[6]
    assert "expected 6 columns, found 2" in reasons[7]
    assert "duplicate of line 3" in reasons[8]
    alan = Person.objects.get(email="alan@example.com")
    assert alan.manager is not None and alan.manager.email == "grace@example.com"
    compilers = Department.objects.get(name="Compilers")
    assert compilers.parent is not None and compilers.parent.name == "Engineering"
    assert alan.department == compilers
    assert Person.objects.get(email="ada@example.com").manager is None  # kept, no manager


def test_reimport_changes_nothing(org: Org) -> None:
    people_import_csv(actor=org.admin, data=GOOD_AND_BAD.encode())
    before = list(Person.objects.order_by("pk").values())
    report = people_import_csv(actor=org.admin, data=GOOD_AND_BAD.encode())
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert list(Person.objects.order_by("pk").values()) == before


def test_changed_row_updates_the_person(org: Org) -> None:
    people_import_csv(actor=org.admin, data=GOOD_AND_BAD.encode())
    changed = GOOD_AND_BAD.replace("Rear admiral", "Commodore")
    report = people_import_csv(actor=org.admin, data=changed.encode())
    assert report.updated == 1
    assert Person.objects.get(email="grace@example.com").title == "Commodore"


def test_dry_run_writes_nothing(org: Org) -> None:
    count = Person.objects.count()
    report = people_import_csv(actor=org.admin, data=GOOD_AND_BAD.encode(), dry_run=True)
    assert report.created == 4
    assert Person.objects.count() == count


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"name,title\nA,B\n", "Missing column(s): email"),
        ("name,email\nJos\xe9,jose@example.com\n".encode("latin-1"), "not UTF-8"),
        (b"PK\x03\x04\x00\x00binary", "binary file"),
        (b'name,email\n"unterminated,a@example.com\n', "not valid CSV"),
    ],
)
def test_unreadable_files_are_refused_whole_with_a_reason(
    org: Org, data: bytes, message: str
) -> None:
    count = Person.objects.count()
    with pytest.raises(Invalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        people_import_csv(actor=org.admin, data=data)
    assert Person.objects.count() == count


def test_utf8_with_bom_and_header_variants(org: Org) -> None:
    data = "\ufeffName,E-mail,Manager Email\nJosé Núñez,jose@example.com,\n".replace(
        "E-mail", "Email"
    ).encode()
    report = people_import_csv(actor=org.admin, data=data)
    assert report.created == 1 and not report.errors
    assert Person.objects.get(email="jose@example.com").name == "José Núñez"


def test_only_org_admins_import(org: Org) -> None:
    from trellis.core.errors import Forbidden

    with pytest.raises(Forbidden):
        people_import_csv(actor=org.leader, data=GOOD_AND_BAD.encode())


def test_oversized_upload_is_refused_with_a_clear_message(
    org: Org, client_for: ClientFor, settings: Settings
) -> None:
    settings.TRELLIS_MAX_UPLOAD_BYTES = 1000
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("people.csv", b"name,email\n" + b"x,x@example.com\n" * 200)
    response = client_for(org.admin).post(reverse("admin-import"), {"file": big})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in page and "the limit is" in page


def test_web_preview_then_import(org: Org, client_for: ClientFor) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(org.admin)
    upload = SimpleUploadedFile("people.csv", GOOD_AND_BAD.encode())
    preview = client.post(reverse("admin-import"), {"file": upload}).content.decode()
    assert "Preview of people.csv" in preview and "<strong>4</strong> new" in preview
    assert not Person.objects.filter(email="grace@example.com").exists()
    upload_id = preview.split('name="upload_id" value="')[1].split('"')[0]
    done = client.post(reverse("admin-import"), {"upload_id": upload_id}).content.decode()
    assert "Import finished" in done
    assert Person.objects.filter(email="grace@example.com").exists()
    again = client.post(reverse("admin-import"), {"upload_id": upload_id}).content.decode()
    assert "upload has expired" in again


def test_cli_import_reports_rows_and_exits_non_zero_on_row_errors(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(GOOD_AND_BAD)
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_people", str(path))
    assert exit_info.value.code == 1
    out = capsys.readouterr()
    assert "4 new" in out.out and "line 5: bad.date@example.com" in out.err
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_people", str(tmp_path / "missing.csv"))


def test_reporting_loops_are_refused_and_manager_changes_count_as_updates(org: Org) -> None:
    header = "name,email,department,title,manager_email,start_date\n"
    first = header + "A,a@example.com,,,,\nB,b@example.com,,,a@example.com,\n"
    people_import_csv(actor=org.admin, data=first.encode())
    loop = header + "A,a@example.com,,,b@example.com,\nB,b@example.com,,,a@example.com,\n"
    report = people_import_csv(actor=org.admin, data=loop.encode())
    assert [e.line for e in report.errors] == [2] and "reporting loop" in report.errors[0].reason
    assert Person.objects.get(email="a@example.com").manager is None
    moved = header + "A,a@example.com,,,,\nB,b@example.com,,,grace@example.com,\n"
    Person.objects.create_user("grace@example.com", None, name="Grace")
    report = people_import_csv(actor=org.admin, data=moved.encode())
    assert (report.updated, report.unchanged) == (1, 1)


def test_invisible_names_are_reported_and_skipped_and_bidi_controls_stripped(org: Org) -> None:
    """Issue 13: a name of only zero-width or bidi-control characters is no name."""
    header = "name,email,department,title,manager_email,start_date\n"
    data = (
        header
        + "\u200b\u200d\u2060,zero.width@example.com,,,,\n"
        + "\u202e\u2066 \u2069\u200f,bidi@example.com,,,,\n"
        + "\ufeff\u061c\u200e,mixed@example.com,,,,\n"
        + "Rtl \u202eOverride\u202c,override@example.com,,,,\n"
        + "Grace Hopper,grace@example.com,,,,\n"
    )
    report = people_import_csv(actor=org.admin, data=data.encode())
    assert report.created == 2
    reasons = {e.line: (e.email, e.reason) for e in report.errors}
    assert set(reasons) == {2, 3, 4}
    assert reasons[2] == ("zero.width@example.com", "name is empty or only invisible characters")
    assert not Person.objects.filter(
        email__in=["zero.width@example.com", "bidi@example.com", "mixed@example.com"]
    ).exists()
    assert Person.objects.get(email="override@example.com").name == "Rtl Override"
    # Re-importing the same file changes nothing (the stored name is the cleaned one).
    again = people_import_csv(actor=org.admin, data=data.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
