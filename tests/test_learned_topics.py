"""Learned topics: questions about one subject share a topic named by its words; a person's
evidence on it shows on their profile, in "who knows" and the API, only to people who may see
it; an answer updates it as a relearn would; a failed relearn loses nothing."""

from typing import NoReturn

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org, build_content
from tests.test_search import WordHashEmbedder
from trellis.communities import services as community_services
from trellis.expertise import selectors
from trellis.expertise.models import LearnedTopic, LearnedTopicEvidence, QuestionTopic
from trellis.expertise.services import evidence, topics
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import Post, PostKind
from trellis.search import embeddings
from trellis.search.models import DocKind, Document

# Three subjects with words of their own; every question of a subject uses some of them.
SUBJECTS = {
    "helm": ["helm", "chart", "release", "rollback", "values", "tiller"],
    "pandas": ["pandas", "dataframe", "groupby", "merge", "column", "csv"],
    "kafka": ["kafka", "consumer", "partition", "offset", "broker", "topic"],
}
VAULT = ["vault", "unseal", "keyring", "rotation", "hsm", "breakglass"]  # the private subject


def _embedder() -> WordHashEmbedder:
    """Wide enough that no two subjects' words (nor a question's number) share a dimension: at
    64 "tiller" and "topic" collide with numbers, and a third of k-means seeds mixed subjects;
    at 256 none of 30 seeds does. Topics are then the model's doing, not the hash's."""
    return WordHashEmbedder(dim=256)


def _questions(
    org: Org, subject: list[str], n: int, community: str, answerer: Person
) -> list[Post]:
    asked = []
    for i in range(n):
        words = [subject[(i + j) % len(subject)] for j in range(4)]
        question = qa_services.question_ask(
            actor=org.newcomer if community == "public" else org.member,
            community=getattr(org, community),
            title=f"{words[0]} {words[1]} {words[2]} trouble number {i}",
            body=f"My {words[3]} and {words[1]} setup fails with {words[2]}.",
        )
        qa_services.answer_post(
            actor=answerer, question=question, body=f"Check the {words[0]} {words[3]} settings."
        )
        asked.append(question)
    return asked


Learned = tuple[Org, dict[str, list[Post]]]
"""The organisation, and the questions asked about each subject."""


@pytest.fixture
def learned(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Learned:
    with django_capture_on_commit_callbacks(execute=True):
        build_content(org)
        asked = {
            "helm": _questions(org, SUBJECTS["helm"], 10, "public", org.facilitator),
            "pandas": _questions(org, SUBJECTS["pandas"], 10, "public", org.leader),
            "kafka": _questions(org, SUBJECTS["kafka"], 10, "public", org.admin),
            "vault": _questions(org, VAULT, 22, "private", org.leader),
        }
    with embeddings.using(_embedder()):
        embeddings.embed_pending()
        assert topics.topics_learn() > 0
    return org, asked


def _topic_of(questions: list[Post]) -> set[int]:
    return set(
        QuestionTopic.objects.filter(question__in=questions).values_list("topic_id", flat=True)
    )


@pytest.mark.django_db
def test_questions_about_one_subject_share_a_topic_named_by_its_words(learned: Learned) -> None:
    org, asked = learned
    for name, questions in asked.items():
        found = _topic_of(questions)
        assert found, f"{name}: no topic"
        for topic in LearnedTopic.objects.filter(pk__in=found):
            # every topic a subject's questions fall in is about that subject alone
            others = [q for other, qs in asked.items() if other != name for q in qs]
            assert not _topic_of(others) & {topic.pk}, f"{topic.label} mixes {name} with others"
            words = SUBJECTS.get(name, VAULT)
            assert any(word in topic.terms[:3] for word in words), topic.label
    # the private community's questions have a model of their own
    assert {
        t.community_id for t in LearnedTopic.objects.filter(pk__in=_topic_of(asked["vault"]))
    } == {org.private.pk}


@pytest.mark.django_db
def test_a_profile_shows_learned_topics_with_their_evidence(
    learned: Learned, client: Client
) -> None:
    org, _asked = learned
    lines = selectors.person_learned_topics(viewer=org.member, person=org.facilitator)
    helm = [line for line in lines if any(w in line.label for w in SUBJECTS["helm"])]
    # every answer of theirs to a question in those topics: the ten helm ones at least (a
    # persona question of theirs may cluster with them)
    answered = Post.objects.filter(
        kind=PostKind.ANSWER,
        author=org.facilitator,
        question_id__in=QuestionTopic.objects.filter(
            topic_id__in=[line.topic_id for line in helm]
        ).values("question_id"),
    ).count()
    assert helm and sum(line.answers for line in helm) == answered >= 10
    client.force_login(org.member)
    page = client.get(reverse("person-detail", args=[org.facilitator.pk])).content.decode()
    assert "Learned from the questions they answered" in page and helm[0].label in page
    api = client.get(f"/api/v1/people/{org.facilitator.pk}/expertise").json()
    assert any(t["label"] == helm[0].label and t["answers"] >= 1 for t in api["learned"])


@pytest.mark.django_db
def test_a_private_communitys_topics_and_their_words_never_reach_outsiders(
    learned: Learned, client: Client
) -> None:
    org, _asked = learned
    private_labels = set(
        LearnedTopic.objects.filter(community=org.private).values_list("label", flat=True)
    )
    assert private_labels
    # no topic of the open model carries the private community's words
    for terms in LearnedTopic.objects.filter(community__isnull=True).values_list(
        "terms", flat=True
    ):
        assert not set(terms) & set(VAULT)
    member_sees = {
        t.label for t in selectors.person_learned_topics(viewer=org.member, person=org.leader)
    }
    assert member_sees & private_labels
    for outsider in (org.outsider, org.newcomer):
        sees = {
            t.label for t in selectors.person_learned_topics(viewer=outsider, person=org.leader)
        }
        assert not sees & private_labels
        client.force_login(outsider)
        page = client.get(reverse("person-detail", args=[org.leader.pk])).content.decode()
        api = client.get(f"/api/v1/people/{org.leader.pk}/expertise").json()
        for label in private_labels:
            assert label not in page
            assert label not in {t["label"] for t in api["learned"]}
        for word in VAULT:
            assert word not in page
        experts = selectors.who_knows(viewer=outsider, text="vault unseal keyring rotation")
        assert not any(t.kind == "learned" for e in experts for t in e.topics)
    experts = selectors.who_knows(viewer=org.member, text="vault unseal keyring rotation hsm")
    leader = next(e for e in experts if e.person.pk == org.leader.pk)
    assert any("questions about" in reason for reason in leader.reasons)


@pytest.mark.django_db
def test_who_knows_names_the_learned_topic_in_its_reasons(learned: Learned) -> None:
    org, _asked = learned
    with embeddings.using(_embedder()):
        experts = selectors.who_knows(viewer=org.member, text="pandas dataframe groupby merge")
    first = experts[0]
    assert first.person.pk == org.leader.pk
    about = [r for r in first.reasons if r.startswith("on questions about")]
    assert about and any(word in about[0] for word in SUBJECTS["pandas"]), first.reasons


@pytest.mark.django_db
def test_an_answer_updates_learned_evidence_as_a_relearn_would(
    learned: Learned, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    org, asked = learned
    # A kafka question the relearn put in a topic (a cluster under MIN_TOPIC_QUESTIONS is
    # none, and which question lands in one depends on the order k-means sees them).
    question = next(q for q in asked["kafka"] if QuestionTopic.objects.filter(question=q).exists())
    with django_capture_on_commit_callbacks(execute=True):
        answer = qa_services.answer_post(
            actor=org.member, question=question, body="Reset the consumer offset first."
        )
        qa_services.answer_accept(actor=org.newcomer, answer=answer)
    now = timezone.now()
    evidence.evidence_rebuild(person_ids=[org.member.pk], now=now)  # as the refresh task does

    def rows() -> set[tuple[str, int | None, int, int, float]]:
        found = LearnedTopicEvidence.objects.filter(person=org.member).select_related("topic")
        return {
            (e.topic.label, e.community_id, e.answers, e.accepted, round(e.score, 9)) for e in found
        }

    incremental = rows()
    assert any(accepted == 1 for *_, accepted, _ in incremental)
    with embeddings.using(_embedder()):
        topics.topics_learn(now=now)
    assert rows() == incremental


@pytest.mark.django_db
def test_a_failed_relearn_leaves_the_previous_topics(
    learned: Learned, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sorted(LearnedTopic.objects.values_list("pk", "label"))
    evidence_before = LearnedTopicEvidence.objects.count()

    def broken(*args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("disk full")

    monkeypatch.setattr(topics, "fast_insert", broken)
    with embeddings.using(_embedder()), pytest.raises(RuntimeError):
        topics.topics_learn()
    assert sorted(LearnedTopic.objects.values_list("pk", "label")) == before
    assert LearnedTopicEvidence.objects.count() == evidence_before
    # and with no embedder at all nothing is learned, nothing is lost
    assert topics.topics_learn() == 0
    assert sorted(LearnedTopic.objects.values_list("pk", "label")) == before


@pytest.mark.django_db
def test_a_community_turning_private_takes_its_words_out_of_everyones_topics_at_once(
    learned: Learned, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    org, asked = learned
    helm = _topic_of(asked["helm"])
    assert selectors.person_learned_topics(viewer=org.outsider, person=org.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        community_services.community_update(
            actor=org.leader, community=org.public, visibility="private"
        )
    assert not LearnedTopic.objects.filter(pk__in=helm).exists()
    assert not selectors.person_learned_topics(viewer=org.outsider, person=org.facilitator)
    assert LearnedTopic.objects.filter(community=org.private).exists()  # others stay


@pytest.mark.django_db
def test_a_question_deleted_since_it_was_indexed_does_not_stop_learning(learned: Learned) -> None:
    _org, asked = learned
    gone = asked["helm"][0]
    Post.objects.filter(pk=gone.pk).delete()  # its search document is left behind, stale
    assert Document.objects.filter(kind=DocKind.QUESTION, object_id=gone.pk).exists()
    with embeddings.using(_embedder()):
        assert topics.topics_learn() > 0
    assert not QuestionTopic.objects.filter(question_id=gone.pk).exists()
    assert _topic_of(asked["helm"][1:])
