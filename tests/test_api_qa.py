"""The API of Ask the Expert: asking, answering, accepting, voting, closing, and privacy."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.personas import PRIVATE_QUESTION, Content, Org, build_content
from tests.test_api import Api, error, locs, ok
from tests.xss_payloads import PAYLOADS, assert_inert
from trellis.communities import services as community_services
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import BodyFormat, Post, PostKind, Vote


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


def ask(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"community": "kubernetes", "title": "How should we size our node pools?"} | fields
    question: dict[str, Any] = ok(api.post("/questions", body), 201)
    return question


# -- the flow: ask, answer, accept ----------------------------------------------------------------


def test_ask_answer_accept(org: Org, as_: Any) -> None:
    member, facilitator = as_(org.member), as_(org.facilitator)
    question = ask(
        member,
        title="  How should we size our node pools?  ",
        body="We run **three** pools. Ask @leader?",
        tags=["Kubernetes", "capacity", "kubernetes"],
    )
    assert question["title"] == "How should we size our node pools?"
    assert question["kind"] == "question" and question["question_id"] is None
    assert question["community"]["slug"] == "kubernetes"
    assert question["author"] == {"id": org.member.pk, "name": "Mo Member", "title": ""}
    assert question["tags"] == ["capacity", "kubernetes"]
    assert question["body"] == "We run **three** pools. Ask @leader?"
    assert "<strong>three</strong>" in question["body_html"]
    assert 'class="mention"' in question["body_html"]
    assert (question["following"], question["answers"], question["revision_count"]) == (
        True,
        [],
        1,
    )
    assert (question["source_url"], question["source_author"], question["license"]) == ("", "", "")
    qid = question["id"]

    answer = ok(
        facilitator.post(f"/questions/{qid}/answers", {"body": "Start with `m5.large`."}), 201
    )
    assert answer["kind"] == "answer" and answer["question_id"] == qid
    assert answer["accepted"] is False and answer["comments"] == []
    assert "<code>m5.large</code>" in answer["body_html"]
    assert answer["title"] == "" and answer["tags"] == []

    # Only the asker (or the community's leader) accepts.
    error(facilitator.post(f"/answers/{answer['id']}/accept"), 403)
    error(as_(org.outsider).post(f"/answers/{answer['id']}/accept"), 403)
    accepted = ok(member.post(f"/answers/{answer['id']}/accept"))
    assert accepted["accepted_answer_id"] == answer["id"]
    assert accepted["answers"][0]["accepted"] is True and accepted["answer_count"] == 1
    assert ok(member.post(f"/answers/{answer['id']}/accept"))["accepted_answer_id"] == answer["id"]
    # Accepting is for answers; a question id is not an answer.
    error(member.post(f"/answers/{qid}/accept"), 404)

    second = ok(as_(org.leader).post(f"/questions/{qid}/answers", {"body": "Or autoscale."}), 201)
    moved = ok(as_(org.leader).post(f"/answers/{second['id']}/accept"))
    assert moved["accepted_answer_id"] == second["id"]
    assert [a["accepted"] for a in moved["answers"]] == [True, False]
    assert (
        ok(member.call("delete", f"/answers/{answer['id']}/accept"))["accepted_answer_id"]
        == (second["id"])
    )  # not the accepted one: nothing changes
    undone = ok(member.call("delete", f"/answers/{second['id']}/accept"))
    assert undone["accepted_answer_id"] is None

    listed = ok(member.get("/questions", community="kubernetes"))["items"][0]
    assert (listed["id"], listed["answer_count"], listed["accepted_answer_id"]) == (qid, 2, None)


def test_organisation_wide_questions(org: Org, as_: Any) -> None:
    question = ok(
        as_(org.outsider).post("/questions", {"title": "Where is the travel policy kept?"}), 201
    )
    assert question["community"] is None
    assert ok(as_(org.outsider).get(f"/questions/{question['id']}"))["id"] == question["id"]
    explicit = ok(
        as_(org.outsider).post(
            "/questions", {"title": "Where is the expense policy kept?", "community": None}
        ),
        201,
    )
    assert explicit["community"] is None


# -- votes ----------------------------------------------------------------------------------------


def test_votes_are_idempotent_and_make_the_score(org: Org, c: Content, as_: Any) -> None:
    path = f"/posts/{c.public_question.pk}/vote"
    leader, admin = as_(org.leader), as_(org.admin)
    assert ok(leader.put(path, {"value": 1})) == {
        "post_id": c.public_question.pk,
        "value": 1,
        "score": 1,
    }
    assert ok(leader.put(path, {"value": 1}))["score"] == 1  # again: nothing changes
    assert Vote.objects.filter(post=c.public_question).count() == 1
    assert ok(admin.put(path, {"value": 1.0}))["score"] == 2  # a JSON integer written 1.0
    assert ok(leader.put(path, {"value": -1}))["score"] == 0
    assert ok(leader.put(path, {"value": 0}))["score"] == 1
    assert ok(leader.put(path, {"value": 0}))["score"] == 1
    thread = ok(admin.get(f"/questions/{c.public_question.pk}"))
    assert (thread["score"], thread["viewer_vote"]) == (1, 1)
    assert ok(leader.get(f"/questions/{c.public_question.pk}"))["viewer_vote"] == 0
    # Nobody votes on their own post.
    error(as_(org.member).put(path, {"value": 1}), 403)
    for bad in (2, -2, "1", True, None, 0.5):
        assert locs(error(leader.put(path, {"value": bad}), 422)) == {("body", "value")}
    assert locs(error(leader.put(path, {}), 422)) == {("body", "value")}
    votes = ok(admin.get("/questions", sort="votes"))["items"]
    assert votes[0]["id"] == c.public_question.pk and votes[0]["score"] == 1


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"title": "Too short"}, ("body", "title")),
        ({"title": "   short   \n\t  "}, ("body", "title")),
        ({"title": "x" * 201}, ("body", "title")),
        ({"title": 12345678901}, ("body", "title")),
        ({"title": "A reasonable question?", "body": "a\x00b"}, ("body", "body")),
        ({"title": "A reasonable question?", "body": "x" * 30_001}, ("body", "body")),
        (
            {"title": "A reasonable question?", "tags": ["a", "b", "c", "d", "e", "f"]},
            ("body", "tags"),
        ),
        ({"title": "A reasonable question?", "tags": ["no spaces"]}, ("body", "tags", 0)),
        ({"title": "A reasonable question?", "tags": ["-dash-first"]}, ("body", "tags", 0)),
        ({"title": "A reasonable question?", "tags": ["x" * 36]}, ("body", "tags", 0)),
        ({"title": "A reasonable question?", "tags": "helm"}, ("body", "tags")),
        ({"title": "A reasonable question?", "community": "Not a slug!"}, ("body", "community")),
        ({"title": "A reasonable question?", "zzz": 1}, ("body", "zzz")),
        ({}, ("body", "title")),
    ],
)
def test_asking_validates_every_field(
    org: Org, as_: Any, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    assert locs(error(as_(org.member).post("/questions", body), 422)) == {loc}


def test_requests_the_services_refuse_name_the_field(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    missing = error(
        member.post("/questions", {"title": "A reasonable question?", "community": "nowhere"}),
        404,
    )
    assert locs(missing) == {("body", "community")}
    # The outsider is told exactly what a missing community gets.
    hidden = error(
        as_(org.outsider).post(
            "/questions", {"title": "A reasonable question?", "community": "security-council"}
        ),
        404,
    )
    assert hidden == missing
    answer = f"/questions/{c.public_question.pk}/answers"
    assert locs(error(member.post(answer, {"body": "  \n "}), 422)) == {("body", "body")}
    assert locs(error(member.post(answer, {}), 422)) == {("body", "body")}
    comment = f"/posts/{c.public_answer.pk}/comments"
    assert locs(error(member.post(comment, {"body": " x "}), 422)) == {("body", "body")}
    assert locs(error(member.post(comment, {"body": "x" * 601}), 422)) == {("body", "body")}
    body = error(member.post("/questions", "{not json"), 400)
    assert [item["type"] for item in body["errors"]] == ["json_invalid"]
    # Answers have no title or tags, and no blank text: 409, the request is fine for a question.
    facilitator = as_(org.facilitator)
    edit = f"/posts/{c.public_answer.pk}"
    assert locs(error(facilitator.patch(edit, {"title": "A title for an answer"}), 409)) == {
        ("body", "title")
    }
    assert locs(error(facilitator.patch(edit, {"tags": ["helm"]}), 409)) == {("body", "tags")}
    assert locs(error(facilitator.patch(edit, {"body": "   "}), 409)) == {("body", "body")}
    assert locs(error(facilitator.patch(edit, {"body": None}), 422)) == {("body", "body")}
    # Someone who may not edit hears 403, not what would be wrong with the edit.
    error(as_(org.outsider).patch(edit, {"title": "A title for an answer"}), 403)


def test_query_parameters_are_validated(org: Org, as_: Any) -> None:
    member = as_(org.member)
    assert locs(error(member.get("/questions", sort="hot"), 422)) == {("query", "sort")}
    assert locs(error(member.get("/questions", tag="a\x00"), 422)) == {("query", "tag")}
    assert locs(error(member.get("/questions", page_size=101), 422)) == {("query", "page_size")}
    assert locs(error(member.get("/questions/abc"), 422)) == {("path", "question_id")}
    assert locs(error(member.get(f"/questions/{2**63}"), 422)) == {("path", "question_id")}
    error(member.get("/questions", community="nowhere"), 404)


# -- lists ----------------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    titles = [f"Question number {n} about ingress" for n in range(4)]
    made = [
        ask(member, title=t, tags=["ingress"] if n % 2 else ["dns"]) for n, t in enumerate(titles)
    ]
    everything = ok(member.get("/questions"))
    # The member sees both communities and the organisation-wide question.
    assert everything["count"] == 4 + 3
    assert everything["items"][0]["id"] == made[-1]["id"]  # newest first
    kube = ok(member.get("/questions", community="kubernetes"))
    assert kube["count"] == 5
    assert {q["community"]["slug"] for q in kube["items"]} == {"kubernetes"}
    assert ok(member.get("/questions", community="security-council"))["count"] == 1
    ingress = ok(member.get("/questions", tag="Ingress"))
    assert [q["id"] for q in ingress["items"]] == [made[3]["id"], made[1]["id"]]
    assert ingress["items"][0]["tags"] == ["ingress"]
    unanswered = ok(member.get("/questions", community="kubernetes", sort="unanswered"))
    assert c.public_question.pk not in {q["id"] for q in unanswered["items"]}
    assert unanswered["count"] == 4
    ok(as_(org.leader).put(f"/posts/{made[0]['id']}/vote", {"value": 1}))
    assert ok(member.get("/questions", sort="votes"))["items"][0]["id"] == made[0]["id"]
    ok(as_(org.leader).post(f"/posts/{made[1]['id']}/comments", {"body": "Which controller?"}), 201)
    assert ok(member.get("/questions", sort="active"))["items"][0]["id"] == made[1]["id"]

    first = ok(member.get("/questions", page_size=3))
    assert (first["count"], first["page"], first["page_size"], len(first["items"])) == (7, 1, 3, 3)
    last = ok(member.get("/questions", page_size=3, page=3))
    assert len(last["items"]) == 1
    assert ok(member.get("/questions", page_size=3, page=99))["page"] == 3
    seen = {
        q["id"]
        for p in (1, 2, 3)
        for q in ok(member.get("/questions", page_size=3, page=p))["items"]
    }
    assert len(seen) == 7
    item = first["items"][0]
    assert set(item) >= {"excerpt", "score", "answer_count", "view_count", "last_activity_at"}
    assert "body" not in item and "body_html" not in item


# -- privacy --------------------------------------------------------------------------------------


def test_outsider_never_sees_the_private_community(org: Org, c: Content, as_: Any) -> None:
    outsider = as_(org.outsider)
    listing = ok(outsider.get("/questions"))
    assert listing["count"] == 2  # the public question and the organisation-wide one
    assert c.private_question.pk not in {q["id"] for q in listing["items"]}
    assert ok(outsider.get("/questions", tag="incident-response"))["count"] == 0
    for sort in ("newest", "active", "votes", "unanswered"):
        text = json.dumps(ok(outsider.get("/questions", sort=sort, page_size=100)))
        assert PRIVATE_QUESTION not in text and "Security Council" not in text
    nothing = error(outsider.get("/questions", community="no-such-community"), 404)
    assert error(outsider.get("/questions", community="security-council"), 404) == nothing

    public = c.public_question.pk
    for method, path, body in [
        ("get", "/questions/{q}", None),
        ("patch", "/posts/{q}", {"body": "Mine now"}),
        ("post", "/questions/{q}/answers", {"body": "Guess"}),
        ("post", "/posts/{a}/comments", {"body": "Hello there"}),
        ("put", "/posts/{a}/vote", {"value": -1}),
        ("post", "/posts/{a}/thanks", None),
        ("get", "/posts/{q}/revisions", None),
        ("post", "/answers/{a}/accept", None),
        ("delete", "/answers/{a}/accept", None),
        ("post", "/questions/{q}/close", {"duplicate_of": public}),
        ("delete", "/questions/{q}/close", None),
        ("put", "/questions/{q}/follow", None),
        ("delete", "/questions/{q}/follow", None),
    ]:
        private = path.format(q=c.private_question.pk, a=c.private_answer.pk)
        absent = path.format(q=999999, a=999999)
        # Exactly what a post that does not exist gets: nothing to tell them apart.
        hidden = error(outsider.call(method, private, body), 404)
        assert hidden == error(outsider.call(method, absent, body), 404), (method, path)
    # Pointing a question of their own at a private one tells nothing either.
    mine = ok(outsider.post("/questions", {"title": "Who holds the drill keys these days?"}), 201)
    close = f"/questions/{mine['id']}/close"
    hidden = error(outsider.post(close, {"duplicate_of": c.private_question.pk}), 404)
    assert locs(hidden) == {("body", "duplicate_of")}
    assert error(outsider.post(close, {"duplicate_of": 999999}), 404) == hidden
    # Someone who may not close the question hears so before any lookup.
    error(outsider.post(f"/questions/{c.org_question.pk}/close", {"duplicate_of": 999999}), 403)


def test_members_sponsors_and_admins_see_private_questions(org: Org, c: Content, as_: Any) -> None:
    for person in (org.member, org.sponsor, org.leader, org.admin):
        thread = ok(as_(person).get(f"/questions/{c.private_question.pk}"))
        assert thread["title"] == PRIVATE_QUESTION
        assert thread["community"]["slug"] == "security-council"
        assert ok(as_(person).get("/questions"))["count"] == 3


def test_a_question_closed_as_a_duplicate_of_a_private_one_does_not_name_it(
    org: Org, c: Content, as_: Any
) -> None:
    # The service refuses such a link now; one made before that rule must still not leak.
    Post.objects.filter(pk=c.public_question.pk).update(
        duplicate_of=c.private_question, closed_at=timezone.now()
    )
    seen = ok(as_(org.outsider).get(f"/questions/{c.public_question.pk}"))
    assert seen["closed_at"] is not None and seen["duplicate_of"] is None
    assert PRIVATE_QUESTION not in json.dumps(seen)
    member = ok(as_(org.member).get(f"/questions/{c.public_question.pk}"))
    assert member["duplicate_of"]["title"] == PRIVATE_QUESTION


def test_losing_access_hides_the_questions(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    ok(member.get(f"/questions/{c.private_question.pk}"))
    community_services.community_leave(actor=org.member, community=org.private)
    error(member.get(f"/questions/{c.private_question.pk}"), 404)
    assert ok(member.get("/questions"))["count"] == 2


# -- close, reopen, edit, comments, thanks, follow ------------------------------------------------


def test_close_as_duplicate_and_reopen(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    copy = ask(member, title="How to undo a Helm upgrade that failed?")
    path = f"/questions/{copy['id']}/close"
    error(as_(org.outsider).post(path, {"duplicate_of": c.public_question.pk}), 403)
    closed = ok(member.post(path, {"duplicate_of": c.public_question.pk}))  # the asker may
    assert closed["closed_at"] is not None
    assert closed["duplicate_of"]["id"] == c.public_question.pk
    original = ok(member.get(f"/questions/{c.public_question.pk}"))
    assert [d["id"] for d in original["duplicates"]] == [copy["id"]]
    # Answers go to the original.
    error(as_(org.leader).post(f"/questions/{copy['id']}/answers", {"body": "Rollback."}), 403)
    # A question cannot duplicate itself or its own duplicate.
    assert locs(error(member.post(path, {"duplicate_of": copy["id"]}), 409)) == {
        ("body", "duplicate_of")
    }
    error(
        as_(org.leader).post(
            f"/questions/{c.public_question.pk}/close", {"duplicate_of": copy["id"]}
        ),
        409,
    )
    # Answers are not questions.
    assert locs(error(member.post(path, {"duplicate_of": c.public_answer.pk}), 404)) == {
        ("body", "duplicate_of")
    }
    listed = ok(member.get("/questions", sort="unanswered", community="kubernetes"))
    assert copy["id"] not in {q["id"] for q in listed["items"]}

    error(member.call("delete", path), 403)  # reopening is for the core team
    reopened = ok(as_(org.facilitator).call("delete", path))
    assert (reopened["closed_at"], reopened["duplicate_of"]) == (None, None)
    assert ok(member.get(f"/questions/{c.public_question.pk}"))["duplicates"] == []
    ok(as_(org.leader).call("delete", path))  # reopening an open question changes nothing


def test_editing_keeps_revisions(org: Org, c: Content, as_: Any) -> None:
    member = as_(org.member)
    path = f"/posts/{c.public_question.pk}"
    edited = ok(
        member.patch(
            path,
            {
                "title": "How do I roll back a failed Helm release?",
                "tags": ["Helm"],
                "note": "Clearer",
            },
        )
    )
    assert edited["title"] == "How do I roll back a failed Helm release?"
    assert edited["tags"] == ["helm"]
    assert edited["body"] == c.public_question.body  # not sent: unchanged
    assert edited["edited_at"] is not None
    ok(member.patch(path, {"body": "Now with *more* detail."}))
    history = ok(member.get(f"{path}/revisions"))
    assert [r["number"] for r in history["items"]] == [3, 2, 1]
    assert history["items"][0]["body"] == "Now with *more* detail."
    assert history["items"][1]["note"] == "Clearer"
    assert history["items"][1]["tags"] == ["helm"]
    assert history["items"][2]["tags"] == ["helm", "kubernetes"]
    assert history["items"][0]["editor"]["id"] == org.member.pk
    assert ok(member.get(f"{path}/revisions", page_size=1, page=3))["items"][0]["number"] == 1
    # The core team edits anything in its community; others may not.
    ok(as_(org.facilitator).patch(path, {"body": "Tidied."}))
    error(as_(org.newcomer).patch(path, {"body": "Vandalised."}), 403)
    error(as_(org.member).patch("/posts/999999", {"body": "x"}), 404)
    answer = ok(as_(org.facilitator).patch(f"/posts/{c.public_answer.pk}", {"body": "Better."}))
    assert (answer["kind"], answer["body"], answer["tags"]) == ("answer", "Better.", [])
    thread = ok(member.get(f"/questions/{c.public_question.pk}"))
    assert thread["revision_count"] == 4 and thread["answers"][0]["revision_count"] == 2


def test_comments_thanks_and_follows(org: Org, c: Content, as_: Any) -> None:
    leader = as_(org.leader)
    comment = ok(
        leader.post(f"/posts/{c.public_answer.pk}/comments", {"body": "  Also `helm diff`.  "}),
        201,
    )
    assert comment["body"] == "Also `helm diff`."
    assert "<code>helm diff</code>" in comment["body_html"]
    assert (comment["post_id"], comment["author"]["id"]) == (c.public_answer.pk, org.leader.pk)
    thread = ok(leader.get(f"/questions/{c.public_question.pk}"))
    assert [x["id"] for x in thread["answers"][0]["comments"]] == [comment["id"]]

    thanks = f"/posts/{c.public_answer.pk}/thanks"
    assert ok(leader.post(thanks)) == {
        "post_id": c.public_answer.pk,
        "new": True,
        "thanks_count": 1,
    }
    assert ok(leader.post(thanks))["new"] is False
    assert ok(as_(org.member).post(thanks))["thanks_count"] == 2
    error(as_(org.facilitator).post(thanks), 403)  # their own answer
    answer = ok(leader.get(f"/questions/{c.public_question.pk}"))["answers"][0]
    assert (answer["thanks_count"], answer["viewer_thanked"]) == (2, True)

    follow = f"/questions/{c.public_question.pk}/follow"
    outsider = as_(org.outsider)
    assert ok(outsider.put(follow)) == {"question_id": c.public_question.pk, "following": True}
    assert ok(outsider.put(follow))["following"] is True
    assert ok(outsider.get(f"/questions/{c.public_question.pk}"))["following"] is True
    assert ok(outsider.call("delete", follow))["following"] is False
    assert ok(outsider.call("delete", follow))["following"] is False
    assert ok(outsider.get(f"/questions/{c.public_question.pk}"))["following"] is False
    error(outsider.put(f"/questions/{c.public_answer.pk}/follow"), 404)  # not a question


def test_archived_communities_take_no_new_posts(org: Org, c: Content, as_: Any) -> None:
    ok(as_(org.leader).patch("/communities/kubernetes", {"status": "archived"}))
    error(
        as_(org.member).post(
            "/questions", {"community": "kubernetes", "title": "Still open for questions?"}
        ),
        403,
    )
    error(as_(org.leader).post(f"/questions/{c.public_question.pk}/answers", {"body": "Late"}), 403)
    ok(as_(org.member).get(f"/questions/{c.public_question.pk}"))


# -- rendering and attribution --------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS[:40])
def test_bodies_go_out_sanitised(org: Org, as_: Any, payload: str) -> None:
    member = as_(org.member)
    question = ask(member, body=payload)
    assert question["body"] == payload.strip()
    assert_inert(question["body_html"])
    answer = ok(member.post(f"/questions/{question['id']}/answers", {"body": payload + " ok"}), 201)
    assert_inert(answer["body_html"])
    comment = ok(member.post(f"/posts/{question['id']}/comments", {"body": payload + " ok"}), 201)
    assert_inert(comment["body_html"])


def test_imported_posts_carry_their_attribution(org: Org, as_: Any) -> None:
    raw = "<p>Use <code>kubectl</code><script>alert(1)</script></p>"
    question = Post.objects.create(
        kind=PostKind.QUESTION,
        community=org.public,
        title="Imported: how do I drain a node?",
        body=raw,
        body_format=BodyFormat.HTML,
        body_html="<p>Use <code>kubectl</code></p>",
        source="devops.stackexchange",
        source_id="42",
        source_url="https://devops.stackexchange.com/q/42",
        source_author="Jane Doe",
        license="CC BY-SA 4.0",
    )
    thread = ok(as_(org.outsider).get(f"/questions/{question.pk}"))
    assert thread["author"] is None
    assert (thread["source_url"], thread["source_author"], thread["license"]) == (
        "https://devops.stackexchange.com/q/42",
        "Jane Doe",
        "CC BY-SA 4.0",
    )
    assert thread["body_format"] == "html" and thread["body"] == raw
    assert_inert(thread["body_html"])
    listed = ok(as_(org.outsider).get("/questions", community="kubernetes"))["items"][0]
    assert (listed["id"], listed["source_author"], listed["license"]) == (
        question.pk,
        "Jane Doe",
        "CC BY-SA 4.0",
    )
    assert listed["excerpt"] == "Use kubectl"


# -- constant queries -----------------------------------------------------------------------------


def queries(api: Api, path: str, **params: Any) -> int:
    ok(api.get(path, **params))
    with CaptureQueriesContext(connection) as captured:
        ok(api.get(path, **params))
    return len(captured)


@pytest.mark.parametrize(
    "path", ["/questions", "/questions/{question}", "/posts/{question}/revisions"]
)
def test_reads_run_a_constant_number_of_queries(org: Org, c: Content, as_: Any, path: str) -> None:
    admin = as_(org.admin)
    path = path.replace("{question}", str(c.public_question.pk))
    before = queries(admin, path)
    for n in range(6):
        author = Person.objects.create_user(f"q{n}@example.com", None, name=f"Q {n}")
        community_services.community_join(actor=author, community=org.public)
        question = qa_services.question_ask(
            actor=author,
            community=org.public,
            title=f"Question {n} about ingress",
            body="",
            tags=f"t{n} x",
        )
        answer = qa_services.answer_post(actor=author, question=c.public_question, body=f"A {n}")
        qa_services.comment_add(actor=author, post=answer, body=f"Comment {n}")
        qa_services.comment_add(actor=author, post=c.public_question, body=f"Comment {n}")
        qa_services.post_vote(actor=author, post=c.public_answer, value=1)
        qa_services.post_edit(actor=org.member, post=c.public_question, body=f"Edit {n}")
        assert question.pk
    after = queries(admin, path, page_size=100)
    assert after == before, (path, before, after)
