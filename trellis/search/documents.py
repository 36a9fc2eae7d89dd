"""What each searchable thing contributes to the index: its text, its scope and a prior.

Builders take rows loaded in bulk (see indexing.py) and return field values for `Document`;
`None` means "not searchable" (an answer whose question is gone, a resource folded into its
canonical one, a person who has left), and the indexer removes any document it had.
"""

import math
from collections.abc import Iterable
from typing import Any

from trellis.core.text import html_to_text

BODY_CHARS = 8_000  # enough for ranking; keeps the FTS index and tsvector small


def _text(html: str, plain: str = "") -> str:
    return (html_to_text(html) if html else " ".join(plain.split()))[:BODY_CHARS]


def _tags(names: Iterable[str]) -> str:
    return " ".join(sorted(names))[:600]


def _votes_prior(score: int) -> float:
    """log-damped votes: 10 votes is not ten times as good as one."""
    return math.copysign(math.log1p(abs(score)), score)


def question_fields(post: Any, tag_names: list[str]) -> dict[str, Any]:
    return {
        "community_id": post.community_id,
        "parent_id": None,
        "title": post.title[:300],
        "body": _text(post.body_html, post.body),
        "tags": _tags(tag_names),
        "created_at": post.created_at,
        "updated_at": post.last_activity_at,
        "quality": _votes_prior(post.score) + (0.5 if post.accepted_answer_id else 0.0),
    }


def answer_fields(post: Any, question: Any, tag_names: list[str]) -> dict[str, Any]:
    return {
        "community_id": question.community_id,
        "parent_id": question.pk,
        "title": question.title[:300],
        "body": _text(post.body_html, post.body),
        "tags": _tags(tag_names),
        "created_at": post.created_at,
        "updated_at": post.edited_at or post.created_at,
        "quality": _votes_prior(post.score)
        + (1.0 if question.accepted_answer_id == post.pk else 0),
    }


def resource_fields(resource: Any, tag_names: list[str]) -> dict[str, Any] | None:
    if resource.canonical_id is not None:
        return None  # its address redirects to the canonical one, which is what to find
    return {
        "community_id": resource.community_id,
        "parent_id": None,
        "title": resource.title[:300],
        "body": _text(resource.body_html, resource.body or resource.url),
        "tags": _tags(tag_names),
        "created_at": resource.created_at,
        "updated_at": resource.updated_at,
        "quality": -2.0 if resource.obsolete_at else 1.0,
    }


def person_fields(person: Any, department: str) -> dict[str, Any] | None:
    if not person.is_active:
        return None
    about = [person.title, department, person.location, person.bio]
    return {
        "community_id": None,
        "parent_id": None,
        "title": person.name[:300],
        "body": " ".join(x for x in about if x)[:BODY_CHARS],
        "tags": _tags([*person.skills, *person.interests]),
        "created_at": person.created_at,
        "updated_at": person.created_at,
        "quality": 0.0,
    }


def community_fields(community: Any) -> dict[str, Any]:
    return {
        # A community is seen by whoever may see the community: the same scope rule.
        "community_id": community.pk,
        "parent_id": None,
        "title": community.name[:300],
        "body": " ".join(x for x in (community.domain, community.charter) if x)[:BODY_CHARS],
        "tags": "",
        "created_at": community.created_at,
        "updated_at": community.created_at,
        "quality": 0.5,
    }
