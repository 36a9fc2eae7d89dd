"""Past answers about a text, as votes for their authors (Balog et al.'s document model: a
person is as relevant as the answers they wrote, each weighted by its rank; an accepted answer
counts double). Shared by "who knows" and routing."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from trellis.core.access import SearchScope
from trellis.qa.models import Post
from trellis.search.fusion import RRF_K
from trellis.search.lexical import Filters
from trellis.search.models import DocKind, Document
from trellis.search.selectors import ranked_ids

ANSWERS_CONSIDERED = 100  # retrieved answers aggregated per author


@dataclass(frozen=True)
class Found:
    """One retrieved answer of an author: its vote, whether it was accepted, when written."""

    vote: float
    accepted: bool
    created_at: datetime


@dataclass
class AnswerVotes:
    scores: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    accepted: dict[int, list[bool]] = field(default_factory=lambda: defaultdict(list))
    found: dict[int, list[Found]] = field(default_factory=lambda: defaultdict(list))
    questions: list[int] = field(default_factory=list)  # of the answers retrieved, best first


def answer_votes(
    text: str, scope: SearchScope, filters: Filters, *, mode: str = "hybrid"
) -> AnswerVotes:
    """Per author: the rank-weighted votes of their answers that search retrieves for the
    text within the scope, and whether each was accepted. `filters.kinds` is set to answers;
    `mode` is search's (hybrid, lexical or semantic)."""
    from dataclasses import replace

    votes = AnswerVotes()
    answers_only = replace(filters, kinds=(DocKind.ANSWER,))
    ranked, _ = ranked_ids(text, scope, answers_only, ANSWERS_CONSIDERED, mode=mode)
    posts = dict(
        Document.objects.filter(pk__in=[pk for pk, _ in ranked]).values_list("pk", "object_id")
    )
    authors = {
        pk: (author, accepted == pk, created_at, question)
        for pk, author, accepted, created_at, question in Post.objects.filter(
            pk__in=posts.values()
        ).values_list(
            "pk", "author_id", "question__accepted_answer_id", "created_at", "question_id"
        )
    }
    for position, (doc_id, _) in enumerate(ranked, start=1):
        found = authors.get(posts.get(doc_id, 0))
        if found is None:
            continue
        votes.questions.append(found[3])
        if found[0] is None:
            continue
        author, accepted, created_at, _question = found
        vote = (2.0 if accepted else 1.0) / (RRF_K + position)
        votes.scores[author] += vote
        votes.accepted[author].append(accepted)
        votes.found[author].append(Found(vote, accepted, created_at))
    return votes
