"""The index follows the content through one explicit call (search.services), never a model
signal: a sign-in indexes nothing, a bulk import and a single answer go through the same
door, a question's answers follow its edits, and a rolled-back change reaches nothing."""

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from tests.imports.builders import write_slack_export
from tests.personas import PASSWORD, Org, build_org
from trellis.imports.slack import import_slack
from trellis.people import services as people_services
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import Post, PostKind
from trellis.search import selectors
from trellis.search import services as search_services
from trellis.search.models import DocKind, Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings: Settings) -> Callable[..., int]:
    """Tasks go to the database queue (as in production) instead of running at once, so a
    test can count what was enqueued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def count(prefix: str = "trellis.search.") -> int:
        return DBTaskResult.objects.filter(task_path__startswith=prefix).count()

    return count


def test_signing_in_enqueues_nothing(
    org: Org,
    queued: Callable[..., int],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Signing in saves `last_login` on the person; the post_save signal indexed them again
    on every sign-in. Nothing searchable changed, so nothing is queued."""
    member = org.member
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().login(email=member.email, password=PASSWORD)
        response = Client().post(reverse("login"), {"username": member.email, "password": PASSWORD})
    assert response.status_code == 302  # signed in
    member.refresh_from_db()
    assert member.last_login is not None  # the save the signal reacted to did happen
    assert queued() == 0

    # The count sees an index task when there is one: a profile edit is indexed.
    with django_capture_on_commit_callbacks(execute=True):
        people_services.person_update(actor=member, person=member, bio="Terraform and Helm")
    index_tasks = DBTaskResult.objects.filter(task_path="trellis.search.tasks.index_documents")
    people = [r.args_kwargs["args"][1] for r in index_tasks if r.args_kwargs["args"][0] == "person"]
    assert any(member.pk in ids for ids in people)


def test_a_bulk_import_and_a_single_answer_reach_search_through_the_same_call(
    org: Org,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    real = search_services.documents_index_after_commit
    calls: list[tuple[str | None, list[int]]] = []

    def spy(*, kind: str | None = None, ids: Iterable[int] = (), rebuild: bool = False) -> None:
        ids = list(ids)
        calls.append((kind, ids))
        real(kind=kind, ids=ids, rebuild=rebuild)

    # Patched where it is looked up: by the bulk writers' helper and by the handler of
    # `hooks.content_changed`, which qa's services call, both in search.services.
    monkeypatch.setattr(search_services, "documents_index_after_commit", spy)

    with django_capture_on_commit_callbacks(execute=True):
        import_slack(write_slack_export(tmp_path / "export"))
    assert (None, []) in calls  # the import: everything it wrote without a document
    imported = Post.objects.get(kind=PostKind.QUESTION, source="slack")

    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question = qa_services.question_ask(
            actor=org.member,
            community=org.public,
            title="Where do the zebra credentials live?",
            body="",
            tags="",
        )
        answer = qa_services.answer_post(
            actor=org.facilitator, question=question, body="Rotated nightly in the zebra vault."
        )
    assert (DocKind.ANSWER, [answer.pk]) in calls

    found = selectors.search(viewer=org.member, text="deploy prod").hits
    assert (DocKind.QUESTION, imported.pk) in {
        (h.document.kind, h.document.object_id) for h in found
    }
    found = selectors.search(viewer=org.member, text="rotated nightly vault").hits
    assert (DocKind.ANSWER, answer.pk) in {(h.document.kind, h.document.object_id) for h in found}


def test_editing_a_question_reindexes_its_answers(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        question = qa_services.question_ask(
            actor=org.member,
            community=org.public,
            title="How do I pin a Helm chart version?",
            body="",
            tags="helm",
        )
        answer = qa_services.answer_post(
            actor=org.facilitator, question=question, body="Use --version on install."
        )
    answer_doc = Document.objects.get(kind=DocKind.ANSWER, object_id=answer.pk)
    assert (answer_doc.title, answer_doc.tags) == ("How do I pin a Helm chart version?", "helm")

    with django_capture_on_commit_callbacks(execute=True):
        qa_services.post_edit(
            actor=org.member,
            post=question,
            title="How do I pin an Argo CD chart version?",
            body="",
            tags="argocd gitops",
        )
    answer_doc.refresh_from_db()
    assert (answer_doc.title, answer_doc.tags) == (
        "How do I pin an Argo CD chart version?",
        "argocd gitops",
    )

    quality = answer_doc.quality
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.answer_accept(actor=org.member, answer=answer)
    answer_doc.refresh_from_db()
    assert answer_doc.quality == quality + 1.0  # accepted answers rank first


def test_a_rolled_back_transaction_indexes_nothing(
    org: Org,
    queued: Callable[..., int],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        qa_services.question_ask(
            actor=org.member,
            community=org.public,
            title="A question nobody will ever see",
            body="",
            tags="",
        )
        people_services.person_update(actor=org.member, person=org.member, bio="Never saved")
        raise RuntimeError("abort")
    assert callbacks == []
    assert queued() == 0
    assert not Document.objects.filter(title="A question nobody will ever see").exists()
    assert Person.objects.get(pk=org.member.pk).bio != "Never saved"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_import_does_not_ride_along_with_the_next_commit(
    tmp_path: Path, queued: Callable[..., int]
) -> None:
    """The batch lives in the thread: one whose transaction rolled back is dropped, not
    flushed by the thread's next commit (which would rebuild every missing document and look
    for duplicates everywhere). Real commits here: the test is not one transaction."""
    org = build_org()  # each service commits, and its flush runs
    with pytest.raises(RuntimeError), transaction.atomic():
        import_slack(write_slack_export(tmp_path / "export"))
        raise RuntimeError("the admin cancelled")
    question = qa_services.question_ask(
        actor=org.member,
        community=org.public,
        title="Which registry mirrors the base images?",
        body="",
        tags="",
    )
    assert queued("trellis.search.tasks.index_new_objects") == 0
    assert ["question", [question.pk]] in [
        r.args_kwargs["args"]
        for r in DBTaskResult.objects.filter(task_path="trellis.search.tasks.index_documents")
    ]
