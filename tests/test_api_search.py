"""The search API: the page's retrieval, the same privacy, the one error shape."""

from urllib.parse import urlencode

import pytest

from tests.personas import PRIVATE_QUESTION, PRIVATE_RESOURCE, Org, build_content
from tests.test_api import Api, error, locs, ok
from tests.test_search import HOSTILE_QUERIES
from trellis.search.indexing import reindex_all


@pytest.fixture
def indexed(org: Org) -> Org:
    build_content(org)
    reindex_all()
    return org


def get(api: Api, path: str, **params: object) -> object:
    return api.call("get", f"{path}?{urlencode(params)}")


@pytest.mark.django_db
def test_search_finds_with_snippets_and_filters(indexed: Org) -> None:
    api = Api(indexed.member)
    page = ok(get(api, "/search", q="rolling back helm releases"))
    titles = [hit["title"] for hit in page["items"]]
    assert "How do I roll back a Helm release safely?" in titles
    assert page["count"] >= 2 and page["count_capped"] is False
    assert any("<mark>" in hit["snippet_html"] for hit in page["items"])
    only = ok(get(api, "/search", q="helm", kind="resource"))
    assert [hit["title"] for hit in only["items"]] == ["Helm release checklist"]
    answer = ok(get(api, "/search", q="helm history revision", kind="answer"))["items"][0]
    assert answer["question_id"] == indexed.c.public_question.pk
    assert answer["url"].endswith(f"#answer-{answer['id']}")


@pytest.mark.django_db
def test_outsider_sees_and_counts_nothing_private(indexed: Org) -> None:
    words = "breach drill vault keys runbook"
    leader = ok(get(Api(indexed.leader), "/search", q=words, mode="lexical"))
    assert {PRIVATE_QUESTION, PRIVATE_RESOURCE} <= {hit["title"] for hit in leader["items"]}
    outsider = Api(indexed.outsider)
    page = ok(get(outsider, "/search", q=words, mode="lexical"))
    assert page["items"] == [] and page["count"] == 0
    error(get(outsider, "/search", q="keys", community=indexed.private.slug), 404)
    similar = ok(get(outsider, "/search/similar", title=PRIVATE_QUESTION))
    assert PRIVATE_QUESTION not in {hit["title"] for hit in similar}


@pytest.mark.django_db
@pytest.mark.parametrize("query", [q for q in HOSTILE_QUERIES if len(q) <= 500])
def test_hostile_queries_answer_200(indexed: Org, query: str) -> None:
    ok(get(Api(indexed.member), "/search", q=query))


@pytest.mark.django_db
def test_bad_parameters_are_named(indexed: Org) -> None:
    api = Api(indexed.member)
    body = error(get(api, "/search", q="", since="2024-02-30", kind="secret"), 422)
    assert {("query", "q"), ("query", "since"), ("query", "kind")} <= locs(body)
    error(get(api, "/search", q="x" * 501), 422)
    error(get(api, "/search/similar", title="a", limit=99), 422)
    error(Api().call("get", "/search?q=helm"), 401)
