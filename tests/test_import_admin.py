"""Imports from the org admin pages: upload, background run, summary; hostile archives fail
with a message and change nothing."""

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks as CaptureOnCommit

from tests.imports import builders
from tests.personas import Org
from tests.test_import_stackexchange import dump, snapshot
from trellis.imports.models import ImportRun, RunStatus
from trellis.people.models import Person
from trellis.qa.models import Post

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

ClientFor = Callable[[Person], Client]


def zipped(folder: Path, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return buffer.getvalue()


def upload(
    client: Client, data: bytes, name: str = "dump.zip", kind: str = "stackexchange"
) -> "_MonkeyPatchedWSGIResponse":
    file = io.BytesIO(data)
    file.name = name
    return client.post("/admin/imports/", {"kind": kind, "file": file, "community": ""})


def test_an_admin_imports_a_zipped_dump_in_the_background(
    org: Org, client_for: ClientFor, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    admin = client_for(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin, zipped(dump("conlang-meta-2020"), "conlang-meta-2020/"))
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.status == RunStatus.DONE, run.error
    assert run.summary["counts"]["questions"]["created"] == 54
    assert Post.objects.filter(source="stackexchange:conlang-meta").exists()
    page = admin.get(response["Location"]).content.decode()
    assert "Done" in page and "questions" in page
    assert not list(Path(run.path).parent.glob(f"run-{run.pk}*"))  # the upload is cleaned up


def test_an_upload_without_a_chosen_community_never_lands_in_a_private_one(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    tmp_path: Path,
) -> None:
    folder = builders.write_se_dump(tmp_path / f"{org.private.slug}-2018")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(org.admin), zipped(folder, f"{folder.name}/"))
    run = ImportRun.objects.get()
    assert run.status == RunStatus.DONE, run.error
    posts = Post.objects.filter(source=f"stackexchange:{org.private.slug}")
    assert posts.count() == 4
    assert not Post.objects.filter(community=org.private).exists()
    assert {p.community.slug for p in posts if p.community} == {f"{org.private.slug}-2"}


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Posts.xml", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


def _escaping() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil/Posts.xml", b"<posts/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("make", "message"), [(_bomb, "zip bomb"), (_escaping, "..")])
def test_hostile_archives_fail_with_a_message_and_change_nothing(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    make: Callable[[], bytes],
    message: str,
) -> None:
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(org.admin), make())
    run = ImportRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert message in run.error and "Nothing was imported" in run.error
    assert snapshot() == before


def test_not_a_zip_is_refused_at_once(org: Org, client_for: ClientFor) -> None:
    response = upload(client_for(org.admin), b"<posts></posts>", name="Posts.xml")
    assert response.status_code == 200
    assert "not a zip archive" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_only_org_admins_import(org: Org, client_for: ClientFor) -> None:
    response = upload(client_for(org.leader), zipped(dump("conlang-meta-2020")))
    assert response.status_code == 404
    assert not ImportRun.objects.exists()
