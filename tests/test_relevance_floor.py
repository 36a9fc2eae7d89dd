"""What search offers as already existing must be about the same thing: semantic hits below
the model's relevance floor are dropped, the ask form's panel says when nothing is close,
marks which existing questions are answered, and puts the chosen community's first. And
"who knows" counts what people declare and the core teams of the communities concerned."""

from collections.abc import Iterator

import numpy as np
import pytest
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org
from tests.test_search import WordHashEmbedder, content  # noqa: F401  (a fixture)
from tests.typing_helpers import ClientFor
from trellis.core import access
from trellis.expertise import selectors as expertise
from trellis.people import services as people_services
from trellis.qa import services as qa_services
from trellis.search import embeddings, selectors
from trellis.search.lexical import Filters
from trellis.search.semantic import CACHE

NONSENSE = "purple elephant teleport banana"


class FlooredEmbedder(WordHashEmbedder):
    """The word-hash stand-in with a calibrated floor, as LocalMiniLM has one; wide enough
    that unrelated words rarely share a dimension (at 64, "banana" meets "helm")."""

    relevance_floor = 0.3

    def __init__(self) -> None:
        super().__init__(dim=1024)


@pytest.fixture
def floored(content: Org) -> Iterator[FlooredEmbedder]:  # noqa: F811
    model = FlooredEmbedder()
    with embeddings.using(model):
        embeddings.embed_pending()
        CACHE.refresh(model.name, force=True)
        yield model
    CACHE.__init__()  # type: ignore[misc]  # mypy refuses calls to __init__: this empties it


def _semantic(org: Org, text: str) -> list[tuple[int, float]]:
    scope = access.search_scope(org.member)
    ranked, used = selectors.ranked_ids(text, scope, Filters(), 10, mode="semantic")
    assert used
    return ranked


@pytest.mark.django_db
def test_semantic_hits_below_the_floor_are_not_shown(
    content: Org,  # noqa: F811
    floored: FlooredEmbedder,
) -> None:
    assert _semantic(content, "roll back a helm release")  # close: shown
    assert _semantic(content, NONSENSE) == []
    # a far neighbour (one word in seven shared) is dropped at the floor, shown without one
    far = "kitchen helm banana sofa trumpet window curtain"
    assert _semantic(content, far) == []
    floored.relevance_floor = 0.0
    assert all(0 < score < 0.3 for _, score in _semantic(content, far))
    assert _semantic(content, far)


@pytest.mark.django_db
def test_one_shared_word_is_not_enough_for_the_ask_panel(
    content: Org,  # noqa: F811
    floored: FlooredEmbedder,
    client_for: ClientFor,
) -> None:
    text = "kitchen helm banana sofa trumpet window curtain"
    vector = embeddings.embed_query(text)
    assert vector is not None
    # the search page still finds the word...
    results = selectors.search(viewer=content.member, text=text)
    assert "Helm release checklist" in [h.document.title for h in results.hits]
    # ...but the ask form offers nothing: nothing is about this
    panel = client_for(content.member).get(reverse("search-similar"), {"title": text})
    body = panel.content.decode()
    assert 'data-testid="no-close-match"' in body and "Helm release checklist" not in body
    assert float(np.max(vector)) > 0  # a real query, not an empty one


@pytest.mark.django_db
def test_the_ask_panel_marks_answered_questions_and_favours_the_chosen_community(
    content: Org,  # noqa: F811
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    newcomer = client_for(content.newcomer)
    wanted = {"title": "roll back a helm release", "body": ""}
    body = newcomer.get(reverse("search-similar"), wanted).content.decode()
    assert "1 answer</span>" in body and "Accepted answer" not in body
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.answer_accept(actor=content.member, answer=content.c.public_answer)
        elsewhere = qa_services.question_ask(
            actor=content.member, community=None,
            title="How do I roll back a Helm release safely, org-wide?", body="", tags="helm",
        )  # fmt: skip
    body = newcomer.get(reverse("search-similar"), wanted).content.decode()
    assert "Accepted answer" in body and "No answer yet" in body
    chosen = newcomer.get(
        reverse("search-similar"), {**wanted, "community": content.public.slug}
    ).content.decode()
    assert chosen.index(content.c.public_question.title) < chosen.index(elsewhere.title)
    assert "in this community" in chosen
    # a private community's slug from someone outside it changes nothing and says nothing
    hidden = client_for(content.outsider).get(
        reverse("search-similar"), {**wanted, "community": content.private.slug}
    )
    assert hidden.status_code == 200 and "in this community" not in hidden.content.decode()


@pytest.mark.django_db
def test_the_ask_panel_says_when_nothing_is_close(
    content: Org,  # noqa: F811
    client_for: ClientFor,
) -> None:
    body = client_for(content.member).get(reverse("search-similar"), {"title": NONSENSE})
    text = body.content.decode()
    assert 'data-testid="no-close-match"' in text and "Already asked" not in text
    # too short to look for anything: no verdict either way
    short = client_for(content.member).get(reverse("search-similar"), {"title": "helm"})
    assert "no-close-match" not in short.content.decode()


@pytest.mark.django_db
def test_who_knows_counts_declared_skills_and_the_core_team(
    content: Org,  # noqa: F811
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        people_services.person_update(
            actor=content.admin, person=content.newcomer, skills=["Terraform", "Go"]
        )
        for n in range(3):
            question = qa_services.question_ask(
                actor=content.member, community=content.public,
                title=f"Terraform state lock stuck after a cancelled apply ({n})", body="", tags="",
            )  # fmt: skip
            qa_services.answer_post(
                actor=content.facilitator, question=question,
                body="Run `terraform force-unlock` with the lock id once nobody is applying.",
            )  # fmt: skip
    found = {
        e.person.pk: e
        for e in expertise.who_knows(viewer=content.member, text="terraform state lock")
    }
    assert "lists Terraform among their skills" in found[content.newcomer.pk].reasons
    leader = found[content.leader.pk]
    assert any(r.startswith(f"leads {content.public.name}") for r in leader.reasons)
    # what the viewer may not see gives no reason: the private community's team is not named
    assert not any(content.private.name in r for e in found.values() for r in e.reasons)
