"""What domain discovery reads: the organisation's recent questions with their stored vectors,
askers, answerers and departments, as plain `DiscoveryQuestion`s."""

from collections import defaultdict
from datetime import datetime

import numpy as np

from trellis.people.models import Person
from trellis.qa.models import Post, PostKind, PostTag
from trellis.radar.discovery import DiscoveryQuestion
from trellis.search.embeddings import from_blob
from trellis.search.models import DocKind, Document

READ_CHUNK = 5000  # questions per round of answer and tag reads (an IN list the databases take)


def discovery_questions(*, model_name: str, since: datetime) -> list[DiscoveryQuestion]:
    """Every question asked since `since` that the embedder `model_name` has a vector of, in
    any community or none (the proposals are read by org admins; each page shows a viewer
    only what they may see). Answers by deleted people count as answered by nobody known."""
    documents = (
        Document.objects.filter(
            kind=DocKind.QUESTION,
            embedding_model=model_name,
            embedding__isnull=False,
            created_at__gte=since,
        )
        .order_by("object_id")
        .values_list("object_id", "embedding")
    )
    vectors = {pk: blob for pk, blob in documents.iterator(chunk_size=READ_CHUNK) if blob}
    asked = (
        Post.objects.filter(kind=PostKind.QUESTION, created_at__gte=since)
        .order_by("pk")
        .values_list("pk", "title", "author_id", "community_id", "created_at")
    )  # read by the window, not an IN list of every vector's id (150,000 at full size)
    rows = [row for row in asked.iterator(chunk_size=READ_CHUNK) if row[0] in vectors]
    ids = [row[0] for row in rows]
    answerers: dict[int, list[int]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), READ_CHUNK):
        chunk = ids[start : start + READ_CHUNK]
        answers = (
            Post.objects.filter(kind=PostKind.ANSWER, question_id__in=chunk, author__isnull=False)
            .order_by("question_id", "created_at", "pk")
            .values_list("question_id", "author_id")
        )
        for question_id, author_id in answers:
            if author_id not in answerers[question_id]:
                answerers[question_id].append(author_id)
        for question_id, name in PostTag.objects.filter(post_id__in=chunk).values_list(
            "post_id", "tag__name"
        ):
            tags[question_id].append(name)
    people = {a for row in rows for a in [row[2], *answerers[row[0]]] if a is not None}
    department = _departments(people)
    return [
        DiscoveryQuestion(
            id=pk,
            vector=np.asarray(from_blob(bytes(vectors[pk])), dtype=np.float32),
            title=title,
            tags=tuple(sorted(tags[pk])),
            asker_id=author_id,
            answerer_ids=tuple(answerers[pk]),
            asker_department=department.get(author_id) if author_id is not None else None,
            answerer_departments=tuple(department.get(p) for p in answerers[pk]),
            community_id=community_id,
            created=created_at.date(),
        )
        for pk, title, author_id, community_id, created_at in rows
    ]


def _departments(people: set[int]) -> dict[int, str | None]:
    """Each person's department (by id: discovery only counts distinct ones)."""
    found: dict[int, str | None] = {}
    listed = sorted(people)
    for start in range(0, len(listed), READ_CHUNK):
        chunk = listed[start : start + READ_CHUNK]
        for pk, department_id in Person.objects.filter(pk__in=chunk).values_list(
            "pk", "department_id"
        ):
            found[pk] = str(department_id) if department_id is not None else None
    return found
