"""Search over the API: the same retrieval as the search page, within what the token's
person may see."""

from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from trellis.api.auth import viewer
from trellis.api.errors import error_responses
from trellis.api.schemas import IsoDate as QueryDate
from trellis.api.schemas import Maybe, PageParams, QueryParams, SlugFilter, TagFilter
from trellis.communities import selectors as community_selectors
from trellis.core.pagination import MAX_PAGE_SIZE
from trellis.search import selectors
from trellis.search.lexical import Filters
from trellis.search.query import MAX_TERM_CHARS

router = Router(tags=["search"])
Kind = Literal["question", "answer", "resource", "person", "community"]
QueryText = Field(
    min_length=1,
    max_length=500,
    pattern=r"^[^\x00]*$",
    description="What to look for, in plain words (operators and quotes are read as words).",
)


class SearchParams(PageParams):
    q: str = QueryText
    kind: Maybe[Kind] = None
    community: SlugFilter = Field("", description="Only in this community (404 if hidden).")
    tag: TagFilter = Field("", description="Only items with this tag.")
    since: Maybe[QueryDate] = Field(None, description="Created on or after this day (UTC).")
    until: Maybe[QueryDate] = Field(None, description="Created on or before this day (UTC).")
    mode: Literal["hybrid", "lexical", "semantic"] = "hybrid"


class SimilarParams(QueryParams):
    title: str = Field(min_length=1, max_length=300, pattern=r"^[^\x00]*$")
    body: str = Field("", max_length=20_000, pattern=r"^[^\x00]*$")
    limit: int = Field(5, ge=1, le=20)


class HitOut(Schema):
    kind: Kind
    id: int = Field(description="The question's, answer's, resource's, person's or community's")
    question_id: int | None = Field(description="For an answer, its question.")
    community_id: int | None
    title: str
    url: str
    snippet_html: str = Field(description="Escaped text; the matched words in <mark>.")
    tags: list[str]
    created_at: datetime
    score: float


class SearchPage(Schema):
    items: list[HitOut]
    count: int = Field(description="Matches you may see (capped at 1,000; see count_capped).")
    count_capped: bool
    page: int
    page_size: int
    semantic: bool = Field(description="Whether semantic retrieval took part.")


def _hit(hit: selectors.Hit) -> dict[str, Any]:
    d = hit.document
    return {
        "kind": d.kind,
        "id": d.object_id,
        "question_id": d.parent_id,
        "community_id": d.community_id,
        "title": d.title,
        "url": hit.url,
        "snippet_html": hit.snippet,
        "tags": d.tags.split(),
        "created_at": d.created_at,
        "score": round(hit.score, 6),
    }


def _day(value: Any, extra_days: int = 0) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(value, time.min, tzinfo=UTC) + timedelta(days=extra_days)


@router.get(
    "/search",
    response={200: SearchPage, **error_responses()},
    summary="Search questions, answers, resources, people and communities",
    description="Hybrid retrieval (full text and, when a model is configured, meaning) over "
    "what you may see; private content is never searched for those outside it.",
)
def search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    actor = viewer(request)
    community = None
    if params.community:
        community = community_selectors.community_get(viewer=actor, slug=params.community)
    page_size = min(params.page_size, MAX_PAGE_SIZE)
    results = selectors.search(
        viewer=actor,
        text=params.q,
        filters=Filters(
            kinds=(params.kind,) if params.kind else (),
            community_id=community.pk if community else None,
            tag=params.tag.strip().lower()[:MAX_TERM_CHARS],
            since=_day(params.since),
            until=_day(params.until, 1),
        ),
        page=params.page,
        page_size=page_size,
        mode=params.mode,
    )
    return {
        "items": [_hit(h) for h in results.hits],
        "count": results.total,
        "count_capped": results.total_capped,
        "page": results.page,
        "page_size": page_size,
        "semantic": results.semantic_on and params.mode != "lexical",
    }


@router.get(
    "/search/similar",
    response={200: list[HitOut], **error_responses()},
    summary="Questions and resources like this draft (before asking)",
)
def similar(request: HttpRequest, params: Query[SimilarParams]) -> list[dict[str, Any]]:
    text = f"{params.title}\n{params.body[:1000]}"
    hits = selectors.similar(viewer=viewer(request), text=text, limit=params.limit)
    return [_hit(h) for h in hits]
