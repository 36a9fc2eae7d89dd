"""Background work through the real database queue: enqueue on commit, run by the worker."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from tests.personas import Org, build_org
from trellis.accounts import services as account_services
from trellis.accounts.models import AccountInvitation
from trellis.core.models import ScheduledJob
from trellis.core.scheduling import run_due_jobs
from trellis.ops.schedule import SCHEDULE
from trellis.search.models import Document

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_queue(settings: Settings) -> None:

    settings.TASKS = DB_QUEUE


def test_invitation_email_is_queued_on_commit_and_sent_by_the_worker(
    transactional_db: None, database_queue: None
) -> None:
    # Real commits: the worker closes stale connections between tasks, as in production.
    org = build_org()
    DBTaskResult.objects.all().delete()  # the personas' own invitation emails are not the point
    with transaction.atomic():
        person = account_services.person_add(
            actor=org.admin,
            email="new.hire@example.com",
            name="New Hire",
            send_invitation=True,
        )
        assert DBTaskResult.objects.count() == 0  # nothing enqueued before commit
    # The invitation email, and the new person's entry in the search index.
    assert sorted(
        DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    ) == [
        "trellis.accounts.tasks.send_account_invitation",
        "trellis.search.tasks.index_documents",
    ]
    assert mail.outbox == []

    call_command("worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)

    for result in DBTaskResult.objects.all():
        assert result.status == "SUCCESSFUL", result.traceback
    assert Document.objects.filter(kind="person", object_id=person.pk).exists()
    assert [m.to for m in mail.outbox] == [["new.hire@example.com"]]
    link = re.search(r"http://\S+/invite/(\S+)/", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    invitation = AccountInvitation.objects.get(person=person)
    assert link.group(1) not in invitation.token_hash  # only the hash is stored

    # The link lets the new hire choose a password and signs them in.
    client = Client()
    response = client.post(
        reverse("accept-invitation", args=[link.group(1)]),
        {"password": "a-long-unusual-passphrase"},
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    # ...once only.
    again = Client().get(reverse("accept-invitation", args=[link.group(1)]))
    assert again.status_code == 404

    # Running the task again does not send a second email.
    from trellis.accounts.tasks import send_account_invitation

    assert send_account_invitation.call(invitation.pk) is False
    assert len(mail.outbox) == 1


def test_scheduler_enqueues_each_job_once_per_interval(
    transactional_db: None, database_queue: None
) -> None:
    first = run_due_jobs(SCHEDULE)
    assert first == [
        "prune-task-results",
        "clean-stale-uploads",
        "send-due-digests",
        "remind-resource-owners",
        "refresh-search-vocabulary",
        "embed-missing-vectors",
        "rebuild-expertise-evidence",
        "escalate-routed-questions",
        "send-event-reminders",
        "refresh-report-figures",
        "refresh-insights",
        "refresh-radar",
        "refresh-discovery",
        "send-report-emails",
    ]
    assert run_due_jobs(SCHEDULE) == []  # a second scheduler, or the next tick, finds nothing due
    assert DBTaskResult.objects.count() == 14
    ScheduledJob.objects.filter(name="clean-stale-uploads").update(last_enqueued_at=None)
    assert run_due_jobs(SCHEDULE) == ["clean-stale-uploads"]
    call_command("worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_password_reset_sends_a_working_link(org: Org, settings: Settings) -> None:
    settings.SITE_URL = "https://trellis.example.org"
    client = Client()
    client.post(reverse("password_reset"), {"email": org.member.email})
    assert [m.to for m in mail.outbox] == [[org.member.email]]
    # The link is on the site's own address (TRELLIS_SITE_URL), never the request's Host.
    link = re.search(
        r"https://trellis\.example\.org(/password-reset/\S+/)", str(mail.outbox[0].body)
    )
    assert link, mail.outbox[0].body
    response = client.get(link.group(1), follow=True)
    assert b"Choose a new password" in response.content
    form_url = response.redirect_chain[-1][0]
    done = client.post(
        form_url,
        {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"},
    )
    assert done.status_code == 302
    assert Client().login(email=org.member.email, password="another-long-passphrase")
