"""The API of notifications: your own only, only what you may still see, and email choices."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.personas import PRIVATE_QUESTION, Content, Org, build_content
from tests.test_api import Api, error, locs, ok
from trellis.communities import services as community_services
from trellis.notifications.models import Notification, Preference
from trellis.people.models import Person
from trellis.qa import services as qa_services


@pytest.fixture
def as_(org: Org) -> Any:
    clients: dict[int, Api] = {}

    def make(person: Person) -> Api:
        if person.pk not in clients:
            clients[person.pk] = Api(person)
        return clients[person.pk]

    return make


@pytest.fixture
def c(org: Org) -> Content:
    return build_content(org)


def test_answers_notify_the_asker(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    inbox = ok(member.get("/notifications"))
    # Both of the member's questions were answered (build_content).
    assert (inbox["count"], inbox["unread_count"]) == (2, 2)
    newest = inbox["items"][0]
    assert newest["kind"] == "answer"
    assert newest["title"] == PRIVATE_QUESTION
    assert newest["actor"]["id"] == org.leader.pk
    assert newest["community"]["slug"] == "security-council"
    assert (newest["target_type"], newest["target_id"]) == ("post", c.private_answer.pk)
    assert newest["url"].endswith(f"#answer-{c.private_answer.pk}")
    assert newest["read_at"] is None
    assert inbox["items"][1]["community"]["slug"] == "kubernetes"
    assert ok(as_(org.outsider).get("/notifications")) == {
        "items": [],
        "count": 0,
        "page": 1,
        "page_size": 25,
        "unread_count": 0,
    }


def test_the_api_flow_notifies(org: Org, as_: Any) -> None:
    newcomer, leader = as_(org.newcomer), as_(org.leader)
    question = ok(
        newcomer.post("/questions", {"title": "Who approves travel to conferences?"}), 201
    )
    answer = ok(leader.post(f"/questions/{question['id']}/answers", {"body": "Your manager."}), 201)
    kinds = [n["kind"] for n in ok(newcomer.get("/notifications"))["items"]]
    assert kinds == ["answer"]
    ok(newcomer.post(f"/answers/{answer['id']}/accept"))
    ok(newcomer.post(f"/posts/{answer['id']}/thanks"))
    ok(newcomer.post(f"/posts/{answer['id']}/comments", {"body": "Thanks @leader!"}), 201)
    inbox = ok(leader.get("/notifications"))
    assert [n["kind"] for n in inbox["items"]] == ["mention", "comment", "thanks", "accepted"]
    assert inbox["unread_count"] == 4
    assert all(n["community"] is None for n in inbox["items"])


def test_mark_read(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    items = ok(member.get("/notifications"))["items"]
    newest, oldest = items[0]["id"], items[1]["id"]
    others = Notification.objects.exclude(recipient=org.member)
    assert ok(member.post("/notifications/read", {"ids": [oldest]})) == {"unread_count": 1}
    unread = ok(member.get("/notifications", unread=True))
    assert [n["id"] for n in unread["items"]] == [newest]
    assert (unread["count"], unread["unread_count"]) == (1, 1)
    everything = ok(member.get("/notifications"))
    assert everything["count"] == 2 and everything["items"][1]["read_at"] is not None
    assert ok(member.post("/notifications/read", {})) == {"unread_count": 0}
    assert ok(member.get("/notifications", unread="true"))["count"] == 0
    # Someone else's ids are passed over.
    qa_services.answer_post(actor=org.leader, question=c.org_question, body="Intranet, HR.")
    theirs = Notification.objects.get(recipient=org.newcomer)
    assert ok(member.post("/notifications/read", {"ids": [theirs.pk, 999999]})) == {
        "unread_count": 0
    }
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert ok(as_(org.newcomer).post("/notifications/read", {"ids": None})) == {"unread_count": 0}
    assert others.filter(read_at__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"ids": "all"}, ("body", "ids")),
        ({"ids": [0]}, ("body", "ids", 0)),
        ({"ids": ["1"]}, ("body", "ids", 0)),
        ({"ids": [1.5]}, ("body", "ids", 0)),
        ({"ids": [2**63]}, ("body", "ids", 0)),
        ({"ids": list(range(1, 1002))}, ("body", "ids")),
        ({"all": True}, ("body", "all")),
    ],
)
def test_mark_read_validates(
    org: Org, as_: Any, body: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    assert locs(error(as_(org.member).post("/notifications/read", body), 422)) == {loc}


def test_notifications_about_a_community_you_left_disappear(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    assert ok(member.get("/notifications"))["unread_count"] == 2
    community_services.community_leave(actor=org.member, community=org.private)
    inbox = ok(member.get("/notifications"))
    assert (inbox["count"], inbox["unread_count"]) == (1, 1)
    assert PRIVATE_QUESTION not in json.dumps(inbox) and "Security Council" not in json.dumps(inbox)
    assert ok(member.post("/notifications/read", {"ids": None})) == {"unread_count": 0}


def test_preferences(org: Org, as_: Any) -> None:
    member = as_(org.member)
    assert ok(member.get("/notifications/preferences")) == {
        "digest": "weekly",
        "email_immediate": True,
    }
    assert not Preference.objects.filter(person=org.member).exists()  # defaults, not stored
    assert ok(member.patch("/notifications/preferences", {"digest": "daily"})) == {
        "digest": "daily",
        "email_immediate": True,
    }
    assert ok(member.patch("/notifications/preferences", {"email_immediate": False})) == {
        "digest": "daily",
        "email_immediate": False,
    }
    assert ok(member.get("/notifications/preferences"))["email_immediate"] is False
    assert ok(member.patch("/notifications/preferences", {}))["digest"] == "daily"
    assert ok(as_(org.leader).get("/notifications/preferences"))["digest"] == "weekly"
    for body, loc in [
        ({"digest": "hourly"}, ("body", "digest")),
        ({"digest": None}, ("body", "digest")),
        ({"email_immediate": "no"}, ("body", "email_immediate")),
        ({"email_immediate": None}, ("body", "email_immediate")),
        ({"sms": True}, ("body", "sms")),
    ]:
        assert locs(error(member.patch("/notifications/preferences", body), 422)) == {loc}
    assert locs(error(member.get("/notifications", page=0), 422)) == {("query", "page")}
    assert locs(error(member.get("/notifications", unread="maybe"), 422)) == {("query", "unread")}


def test_the_list_runs_a_constant_number_of_queries(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)

    def queries() -> int:
        ok(member.get("/notifications", page_size=100))
        with CaptureQueriesContext(connection) as captured:
            ok(member.get("/notifications", page_size=100))
        return len(captured)

    before = queries()
    for n in range(5):
        author = Person.objects.create_user(f"n{n}@example.com", None, name=f"N {n}")
        community_services.community_join(actor=author, community=org.public)
        qa_services.answer_post(actor=author, question=c.public_question, body=f"Answer {n}")
        qa_services.answer_post(actor=org.leader, question=c.private_question, body=f"More {n}")
    assert ok(member.get("/notifications"))["count"] == 12
    assert queries() == before
