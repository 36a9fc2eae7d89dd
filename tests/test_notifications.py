"""Notifications and digests: the right people hear, nobody hears about what they cannot see."""

import re
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import PRIVATE_QUESTION, PRIVATE_RESOURCE, Org, build_content
from tests.typing_helpers import ClientFor
from trellis.communities import services as community_services
from trellis.digests.tasks import send_digest, send_due_digests
from trellis.notifications.models import Digest, Notification, Preference
from trellis.notifications.selectors import unread_count
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import Post


def test_answer_to_your_question_is_emailed_at_once_with_one_click_unsubscribe(
    org: Org,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    mail.outbox.clear()
    question = qa_services.question_ask(
        actor=org.member, community=org.public, title="Which ingress controller do we use?", body=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.answer_post(actor=org.leader, question=question, body="ingress-nginx")
    sent = [m for m in mail.outbox if m.to == [org.member.email]]
    assert len(sent) == 1
    message = sent[0]
    assert "Which ingress controller" in message.subject
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = re.sub(r"^https?://[^/]+", "", url)
    response = Client().post(path)  # no session, no CSRF token: as a mail provider does it
    assert response.status_code == 200
    assert not Preference.objects.get(person=org.member).email_immediate

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.answer_post(actor=org.facilitator, question=question, body="Traefik on edge")
    assert [m for m in mail.outbox if m.to == [org.member.email]] == []
    assert Notification.objects.filter(recipient=org.member, kind="answer").count() == 2


def test_a_forged_unsubscribe_link_is_refused(db: None) -> None:
    response = Client().get("/unsubscribe/not-a-real-token/")
    assert response.status_code == 400


def test_the_bell_counts_only_what_you_may_still_see(org: Org, client_for: ClientFor) -> None:
    build_content(org)
    assert unread_count(org.member) == 2  # answers to both of the member's questions
    bell = client_for(org.member).get("/notifications/bell/", HTTP_HX_REQUEST="true")
    assert 'class="bell__count">2<' in bell.content.decode()
    community_services.community_leave(actor=org.member, community=org.private)
    assert unread_count(org.member) == 1
    page = client_for(org.member).get("/notifications/").content.decode()
    assert PRIVATE_QUESTION not in page


def test_opening_a_notification_marks_it_read(org: Org, client_for: ClientFor) -> None:
    content = build_content(org)
    client = client_for(org.member)
    notification = Notification.objects.filter(recipient=org.member).first()
    assert notification is not None
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == notification.url
    assert unread_count(org.member) == 1
    client.post("/notifications/read-all/")
    assert unread_count(org.member) == 0
    assert content.public_question.pk


def _digest_for(person: Person) -> str:
    mail.outbox.clear()
    send_digest.call(person.pk)
    sent = [m for m in mail.outbox if m.to == [person.email]]
    return str(sent[0].body) if sent else ""


def test_digests_tell_members_about_their_communities_and_nobody_else(org: Org) -> None:
    build_content(org)
    community_services.community_join(actor=org.outsider, community=org.public)
    member_digest = _digest_for(org.member)
    assert "Helm" in member_digest and PRIVATE_QUESTION in member_digest
    assert "Security Council" in member_digest
    outsider_digest = _digest_for(org.outsider)
    assert "Helm" in outsider_digest
    for secret in (PRIVATE_QUESTION, PRIVATE_RESOURCE, "Security Council", "security-council"):
        assert secret not in outsider_digest
    # The sponsor may open the private community but does not belong to it: no digest of it.
    assert PRIVATE_QUESTION not in _digest_for(org.sponsor)


def test_digests_go_out_once_per_period_and_respect_the_choice(org: Org) -> None:
    build_content(org)
    mail.outbox.clear()
    # a fresh installation emails nobody at its first hour: the clocks start instead
    send_due_digests.call()
    assert mail.outbox == []
    assert not Preference.objects.filter(last_digest_at__isnull=True).exists()
    Preference.objects.update(last_digest_at=timezone.now() - timedelta(days=7, minutes=1))
    send_due_digests.call()
    first = len(mail.outbox)
    assert first >= 2
    send_due_digests.call()
    assert len(mail.outbox) == first  # not due again for a week
    Preference.objects.filter(person=org.member).update(
        digest=Digest.DAILY, last_digest_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    Preference.objects.filter(person=org.leader).update(digest=Digest.OFF)
    qa_services.question_ask(
        actor=org.facilitator,
        community=org.public,
        title="Do we run Helm 3 everywhere now?",
        body="",
    )
    mail.outbox.clear()
    send_due_digests.call()
    assert [m.to for m in mail.outbox] == [[org.member.email]]
    assert "List-Unsubscribe" in mail.outbox[0].extra_headers


def test_a_digest_lists_each_question_once(org: Org) -> None:
    build_content(org)
    waiting = qa_services.question_ask(
        actor=org.facilitator, community=org.public, title="Who owns the staging cluster?",
        body="",
    )  # fmt: skip
    body = _digest_for(org.member)
    # new and still unanswered: under "New questions", not again under "Waiting"
    assert body.count(waiting.title) == 1
    Post.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(days=10))
    Preference.objects.filter(person=org.member).update(
        last_digest_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    mail.outbox.clear()
    later = _digest_for(org.member)
    # older than the period and still waiting: once, under "Waiting for an answer"
    assert later.count(waiting.title) == 1
    assert later.index("Waiting for an answer") < later.index(waiting.title)
