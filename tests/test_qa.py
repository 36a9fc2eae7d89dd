"""Ask the Expert: the loop a user relies on, and what each persona may see of it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.personas import PRIVATE_QUESTION, Org, build_content
from tests.typing_helpers import ClientFor
from trellis.core.errors import Forbidden, Invalid
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Person
from trellis.qa import selectors, services
from trellis.qa.models import LinkKind, Post, PostLink, Revision


def kinds_for(person: Person) -> list[str]:
    return list(
        Notification.objects.filter(recipient=person).order_by("pk").values_list("kind", flat=True)
    )


def test_ask_answer_accept_notifies_the_right_people(org: Org) -> None:
    question = services.question_ask(
        actor=org.member,
        community=org.public,
        title="How do we pin Helm chart versions?",
        body="Asking @leader, who set up the charts.",
        tags=["Helm", "kubernetes"],
    )
    assert sorted(question.tags.values_list("name", flat=True)) == ["helm", "kubernetes"]
    assert kinds_for(org.leader) == [Kind.MENTION]
    assert 'class="mention"' in question.body_html

    services.question_follow(actor=org.sponsor, question=question)
    answer = services.answer_post(
        actor=org.facilitator, question=question, body="Pin in Chart.lock"
    )
    assert kinds_for(org.member) == [Kind.ANSWER]
    assert kinds_for(org.sponsor) == [Kind.FOLLOWED]

    services.answer_accept(actor=org.member, answer=answer)
    question.refresh_from_db()
    assert question.accepted_answer_id == answer.pk
    assert question.answer_count == 1
    assert kinds_for(org.facilitator) == [Kind.ACCEPTED]

    with pytest.raises(Forbidden):
        services.answer_accept(actor=org.sponsor, answer=answer, accept=False)
    services.answer_accept(actor=org.leader, answer=answer, accept=False)  # a leader may
    question.refresh_from_db()
    assert question.accepted_answer_id is None


def test_mentions_never_reach_people_who_cannot_see_the_post(org: Org) -> None:
    services.question_ask(
        actor=org.member,
        community=org.private,
        title="Who holds the spare vault key?",
        body="@outsider might know, or @leader",
    )
    assert kinds_for(org.leader) == [Kind.MENTION]
    assert kinds_for(org.outsider) == []


def test_votes_are_one_per_person_and_can_be_taken_back(org: Org) -> None:
    content = build_content(org)
    answer = content.public_answer
    for _ in range(2):
        answer = services.post_vote(actor=org.member, post=answer, value=1)
    assert answer.score == 1
    answer = services.post_vote(actor=org.leader, post=answer, value=-1)
    assert answer.score == 0
    answer = services.post_vote(actor=org.member, post=answer, value=0)
    assert answer.score == -1
    with pytest.raises(Forbidden):
        services.post_vote(actor=org.facilitator, post=answer, value=1)  # own answer
    with pytest.raises(Invalid):
        services.post_vote(actor=org.member, post=answer, value=5)


def test_edits_keep_every_revision(org: Org, client_for: ClientFor) -> None:
    content = build_content(org)
    question = content.public_question
    services.post_edit(
        actor=org.member,
        post=question,
        title="How do I roll back a failed Helm upgrade?",
        body="Updated: the upgrade failed halfway.",
        tags="helm",
        note="sharper title",
    )
    assert list(Revision.objects.filter(post=question).values_list("number", flat=True)) == [1, 2]
    page = client_for(org.member).get(f"/posts/{question.pk}/revisions/").content.decode()
    assert "sharper title" in page and "fresh install?" in page  # the old body is kept
    with pytest.raises(Forbidden):
        services.post_edit(actor=org.outsider, post=question, body="vandalism")


def test_closing_as_duplicate_links_both_ways_without_leaking(
    org: Org, client_for: ClientFor
) -> None:
    content = build_content(org)
    original = content.public_question
    services.question_close_duplicate(
        actor=org.leader, question=content.private_question, original=original
    )
    dup = services.question_ask(
        actor=org.newcomer, community=org.public, title="Helm rollback: how do I do it?", body=""
    )
    services.question_close_duplicate(actor=org.newcomer, question=dup, original=original)
    assert PostLink.objects.filter(
        from_post=dup, to_post=original, kind=LinkKind.DUPLICATE
    ).exists()

    member_page = client_for(org.member).get(f"/questions/{original.pk}/").content.decode()
    assert dup.title in member_page and PRIVATE_QUESTION in member_page
    outsider_page = client_for(org.outsider).get(f"/questions/{original.pk}/").content.decode()
    assert dup.title in outsider_page and PRIVATE_QUESTION not in outsider_page
    dup_page = client_for(org.outsider).get(f"/questions/{dup.pk}/").content.decode()
    assert "closed as a duplicate" in dup_page and original.title in dup_page
    with pytest.raises(Forbidden):
        services.answer_post(actor=org.member, question=Post.objects.get(pk=dup.pk), body="x")


def test_lists_sort_filter_and_hide_private_questions(org: Org) -> None:
    content = build_content(org)
    services.post_vote(actor=org.leader, post=content.public_question, value=1)
    unanswered = services.question_ask(
        actor=org.member, community=org.public, title="Anyone using Kustomize overlays?", body=""
    )
    page = selectors.question_list(viewer=org.member, community=org.public, sort="unanswered")
    assert [q.pk for q in page.items] == [unanswered.pk]
    page = selectors.question_list(viewer=org.member, community=org.public, sort="votes")
    assert page.items[0].pk == content.public_question.pk
    page = selectors.question_list(viewer=org.member, tag="helm")
    assert [q.pk for q in page.items] == [content.public_question.pk]

    everything = selectors.question_list(viewer=org.outsider)
    titles = {q.title for q in everything.items}
    assert PRIVATE_QUESTION not in titles
    assert content.org_question.title in titles
    assert everything.count == 3  # public two + organisation-wide; the private one not counted
    assert selectors.question_list(viewer=org.member).count == 4


@pytest.mark.parametrize(
    ("title", "tags", "field"),
    [
        ("Short", "", "title"),
        ("A question with a NUL \x00 inside it", "", "title"),
        ("A perfectly fine question title", "a b c d e f", "tags"),
        ("A perfectly fine question title", "no/slashes", "tags"),
    ],
)
def test_bad_questions_get_a_message_naming_the_field(
    org: Org,
    client_for: ClientFor,
    title: str,
    tags: str,
    field: str,
) -> None:
    with pytest.raises(Invalid) as error:
        services.question_ask(
            actor=org.member, community=org.public, title=title, body="", tags=tags
        )
    assert field in error.value.field_errors
    response = client_for(org.member).post(
        "/questions/ask/", {"community": "kubernetes", "title": title, "body": "", "tags": tags}
    )
    assert response.status_code == 200
    assert Post.objects.count() == 0


def test_reading_counts_once_per_person_per_day(org: Org, client_for: ClientFor) -> None:
    content = build_content(org)
    url = f"/questions/{content.public_question.pk}/"
    member, leader = client_for(org.member), client_for(org.leader)
    for client in (member, member, leader):
        assert client.get(url).status_code == 200
    question = Post.objects.get(pk=content.public_question.pk)
    assert question.view_count == 2
    from trellis.core.models import Activity

    views = Activity.objects.filter(verb="post.view", object_id=question.pk)
    assert views.count() == 2
    views.update(created_at=timezone.now() - timedelta(days=1))
    from trellis.core.models import ViewMark

    ViewMark.objects.update(day=timezone.localdate() - timedelta(days=1))
    member.get(url)
    assert Post.objects.get(pk=question.pk).view_count == 3


def test_the_question_page_works_for_reading_without_javascript(org: Org) -> None:
    content = build_content(org)
    client = Client()
    assert client.login(email=org.member.email, password="correct-horse-battery-staple")
    page = client.get(f"/questions/{content.public_question.pk}/").content.decode()
    assert "<code>helm rollback &lt;release&gt; &lt;revision&gt;</code>" in page
    assert 'name="value" value="1"' in page  # the vote buttons are plain forms


def test_a_public_question_cannot_point_at_a_private_original(
    org: Org, client_for: ClientFor
) -> None:
    content = build_content(org)
    with pytest.raises(Invalid) as error:
        services.question_close_duplicate(
            actor=org.leader, question=content.public_question, original=content.private_question
        )
    assert "duplicate_of" in error.value.field_errors
    # Even if such a link exists (made before the rule), the page does not name the original.
    Post.objects.filter(pk=content.public_question.pk).update(
        duplicate_of=content.private_question, closed_at=timezone.now()
    )
    page = client_for(org.outsider).get(f"/questions/{content.public_question.pk}/")
    assert PRIVATE_QUESTION not in page.content.decode()


def test_editing_only_the_title_of_an_imported_post_keeps_its_html(org: Org) -> None:
    question = Post.objects.create(
        kind="question",
        community=org.public,
        title="An imported question title",
        body="<p>Imported <b>bold</b></p>",
        body_format="html",
        body_html="<p>Imported <b>bold</b></p>",
        source="stackexchange:test",
        source_id="1",
    )
    services.post_edit(
        actor=org.leader, post=question, title="A clearer imported title", body=question.body
    )
    question.refresh_from_db()
    assert question.body_html == "<p>Imported <b>bold</b></p>"
    assert question.title == "A clearer imported title"


def test_home_asks_members_to_help_with_waiting_questions(org: Org, client_for: ClientFor) -> None:
    build_content(org)
    waiting = services.question_ask(
        actor=org.leader, community=org.private, title="Who can review the drill plan?", body=""
    )
    page = client_for(org.member).get("/").content.decode()
    assert "Can you help?" in page and waiting.title in page
    assert waiting.title not in client_for(org.outsider).get("/").content.decode()
