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


def _queued_run(org: Org, data: bytes) -> ImportRun:
    """A run as the upload page leaves it, without running its task."""
    from trellis.imports import paths

    run = ImportRun.objects.create(kind="stackexchange", label="dump.zip", started_by=org.admin)
    path = paths.upload_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    ImportRun.objects.filter(pk=run.pk).update(path=str(path))
    return run


def test_an_import_interrupted_mid_run_starts_again_from_the_upload(
    org: Org, client_for: ClientFor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run left "running" (its worker was killed) is imported whole when the task comes
    back, and the half-unpacked folder of the dead attempt is not kept."""
    from trellis.imports import paths
    from trellis.imports.tasks import run_import

    run = _queued_run(org, zipped(builders.write_se_dump(tmp_path / "site-2018"), "site-2018/"))
    ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)  # as a dead worker left it
    leftover = paths.unpacked_path(run)
    (leftover / "half").mkdir(parents=True)
    (leftover / "half" / "Posts.xml").write_text("<posts><row Id=")

    assert run_import.call(run.pk) == "done"
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert Post.objects.filter(source="stackexchange:site").count() == 4
    assert not list(paths.imports_folder().glob(f"run-{run.pk}*"))
    assert run_import.call(run.pk) == "not queued"  # a finished run never runs again


def test_a_passing_failure_keeps_the_upload_for_the_next_attempt_and_giving_up_cleans_it(
    org: Org, client_for: ClientFor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from trellis.core.worker import _give_up_handlers
    from trellis.imports import paths
    from trellis.imports.tasks import run_import

    run = _queued_run(org, zipped(builders.write_se_dump(tmp_path / "site-2018"), "site-2018/"))

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr("trellis.imports.tasks._run", locked)
    with pytest.raises(OperationalError):
        run_import.call(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # not failed: the worker tries again
    assert paths.upload_path(run).exists()
    assert not paths.unpacked_path(run).exists()

    _give_up_handlers[run_import.module_path]([run.pk], {})
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "interrupted too many times" in run.error
    assert not list(paths.imports_folder().glob(f"run-{run.pk}*"))
