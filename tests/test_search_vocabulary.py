"""Common words at scale: the index counts them (over what everyone signed in may see), the
query side finds those counts under the index's own stemming, and retrieval leaves them out
(or lists the newest matches) without private documents deciding what an outsider gets."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from lxml import etree
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org, build_content
from tests.shared_data import stackexchange_dump
from tests.typing_helpers import ClientFor
from trellis.core import access
from trellis.search import lexical, selectors, vocabulary
from trellis.search.lexical import Filters
from trellis.search.models import CommonTerm, DocKind, Document
from trellis.search.query import Terms, parse


def _documents(titles: list[str], community_id: int | None = None, start: int = 1) -> None:
    now = timezone.now()
    Document.objects.bulk_create(
        Document(
            kind=DocKind.QUESTION, object_id=start + i, title=title, community_id=community_id,
            created_at=now - timedelta(minutes=len(titles) - i),
        )
        for i, title in enumerate(titles)
    )  # fmt: skip


def _stem(word: str) -> str:
    if connection.vendor != "postgresql":
        return vocabulary.fts5_stem(word)
    with connection.cursor() as cursor:
        cursor.execute("SELECT lexeme FROM unnest(to_tsvector('english', %s))", [word])
        row = cursor.fetchone()  # none for a stop word
        return str(row[0]) if row else word


def _common(**documents: int) -> None:
    """Say that these words' stems are in that many documents, as at a million documents."""
    CommonTerm.objects.all().delete()
    for word, n in documents.items():
        CommonTerm.objects.update_or_create(term=_stem(word), defaults={"documents": n})


@pytest.fixture
def content(org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Org:
    with django_capture_on_commit_callbacks(execute=True):
        build_content(org)
    return org


@pytest.mark.django_db
def test_refresh_counts_the_documents_of_each_common_stem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocabulary, "TRACKED_FROM", 2)
    _documents(["Rolling back a release", "Rolled back twice", "Roll back", "Quantum"])
    assert vocabulary.refresh() == 2  # "roll" and "back"; "quantum" and "twice" once each
    assert vocabulary.frequencies(["rolling", "back", "quantum"]) == {"rolling": 3, "back": 3}
    out = StringIO()
    call_command("search", "status", stdout=out)
    assert "2 common words" in out.getvalue()


@pytest.mark.django_db
def test_query_words_are_stemmed_as_the_index_stems_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """On real titles: a word's count must be found under the stem the index stored, or a
    common word would pass for a rare one (and be ranked at full cost)."""
    posts = stackexchange_dump("quantumcomputing-2018") / "Posts.xml"  # skips if missing
    titles = [
        row.get("Title") for _, row in etree.iterparse(str(posts), tag="row") if row.get("Title")
    ]
    assert len(titles) > 500
    _documents(titles)
    monkeypatch.setattr(vocabulary, "TRACKED_FROM", 1)
    vocabulary.refresh()
    words = sorted({w for title in titles for w in parse(title).words})
    found = vocabulary.frequencies(words)
    everything = access.SearchScope(True, True, frozenset())
    # Missed: the engine matches the word, yet its count was not found.
    missed = [
        w for w in words
        if w not in found and lexical.count(Terms((w,)), everything, Filters()) > 0
    ]  # fmt: skip
    assert len(words) > 1000
    assert len(missed) / len(words) < 0.005, missed[:20]


@pytest.mark.django_db
def test_the_plan_keeps_rare_words_and_as_many_common_ones_as_the_budget_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(lexical.CANDIDATE_BUDGET, connection.vendor, 3_000)
    _common(helm=2_000, release=2_500, cluster=90_000)
    chosen = lexical.plan(parse("helm release cluster checklist"))
    assert chosen.terms.words == ("helm", "checklist")  # rare always; then rarest first
    assert chosen.left_out == ("release", "cluster")
    assert not chosen.newest_first
    small = lexical.plan(parse("nothing common here"))
    assert small.terms.words == ("nothing", "common") and not small.left_out


@pytest.mark.django_db
def test_an_unfinished_word_that_begins_common_words_is_left_out() -> None:
    _common(kubernetes=50_000, kubectl=40_000)
    typed = lexical.plan(parse("rollout stuck on kub", prefix_last=True))
    assert typed.terms.words == ("rollout", "stuck") and typed.left_out == ("kub",)
    rare = lexical.plan(parse("rollout stuck on gra", prefix_last=True))
    assert rare.terms == Terms(("rollout", "stuck", "gra"), prefix_last=True)


@pytest.mark.django_db
def test_common_words_left_out_still_find_the_rare_ones(content: Org) -> None:
    _common(helm=800_000, release=600_000)
    results = selectors.search(viewer=content.member, text="helm release checklist")
    assert [hit.document.title for hit in results.hits][:1] == ["Helm release checklist"]
    assert "<mark>" in results.hits[0].snippet


@pytest.mark.django_db
def test_only_common_words_bring_the_newest_matches_the_viewer_may_see(org: Org) -> None:
    """Newer private documents never push the outsider's results aside, nor change their
    count; documents with every word come before those with only the rarest."""
    _common(deploy=500_000, pipeline=400_000)
    _documents(["deploy pipeline one", "deploy only", "deploy pipeline two", "pipeline only"])
    _documents(["deploy pipeline secret"] * 3, community_id=org.private.pk, start=100)
    terms = parse("deploy pipeline")
    assert lexical.plan(terms).newest_first
    assert lexical.plan(terms).rarest == "pipeline"
    questions = Filters(kinds=(DocKind.QUESTION,))
    for viewer in (org.outsider, org.newcomer):
        results = selectors.search(viewer=viewer, text="deploy pipeline", mode="lexical")
        titles = [hit.document.title for hit in results.hits]
        assert titles == ["deploy pipeline two", "deploy pipeline one", "pipeline only"]
        # Unfiltered, the count is the rarest word's public documents ("1,000+"); filtered,
        # it is counted, and the private ones are not.
        assert results.total == lexical.COUNT_CAP + 1
        assert lexical.count(terms, access.search_scope(viewer), questions) == 3
    leader = selectors.search(viewer=org.leader, text="deploy pipeline", mode="lexical")
    assert [hit.document.title for hit in leader.hits][:3] == ["deploy pipeline secret"] * 3
    assert lexical.count(terms, access.search_scope(org.leader), questions) == 6


@pytest.mark.django_db
def test_hostile_queries_with_common_words_never_break(content: Org, client_for: ClientFor) -> None:
    _common(helm=800_000, release=600_000, a=900_000)
    client = client_for(content.member)
    for query in ['helm* "release', "helm:* & release", "a* OR helm", "helm " * 500, "kub*"]:
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200, query
        response = client.get("/search/similar/", {"title": query, "body": query})
        assert response.status_code == 200, query


@pytest.mark.django_db
def test_only_documents_everyone_may_see_are_counted(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word common only inside a private community is never left out for anyone: which
    words are matched must not tell an outsider what private documents hold."""
    monkeypatch.setattr(vocabulary, "TRACKED_FROM", 2)
    _documents(["falcon deploy", "deploy"])
    _documents(["falcon deploy secret"] * 3, community_id=org.private.pk, start=100)
    _documents(["falcon deploy notes"], community_id=org.public.pk, start=200)
    vocabulary.refresh()
    assert vocabulary.frequencies(["falcon", "deploy"]) == {"falcon": 2, "deploy": 3}


@pytest.mark.django_db
def test_an_unfinished_common_word_keeps_its_prefix_when_listing_the_newest() -> None:
    _common(deploy=500_000, pipeline=400_000)
    _documents(["deploy pipelines weekly", "deploy once"])
    chosen = lexical.plan(parse("deploy pipel", prefix_last=True))
    assert chosen.newest_first and chosen.terms == Terms(("deploy", "pipel"), prefix_last=True)
    everything = access.SearchScope(True, True, frozenset())
    found = lexical.search(parse("deploy pipel", prefix_last=True), everything, Filters(), 5)
    titles = list(
        Document.objects.filter(pk__in=[pk for pk, _ in found]).values_list("title", flat=True)
    )
    assert "deploy pipelines weekly" in titles
