"""Routing speed on a generated organisation (50,000 people, 1,000,000 answers), on SQLite and
PostgreSQL: routing a new question, and keeping expertise profiles current after a new
accepted answer. Prints ONE JSON line.

Per database, in a child process on a scratch database (see scratch.py):

1. Generate the organisation with bulk SQL (`fast_insert`, as the importers and
   bench_search_speed write): people; 12 communities, one of them private; 2,000 tags whose use
   follows a Zipf law; questions (0.3 per answer) with 1-4 tags; answers whose authors follow a
   Zipf-Mandelbrot law over half of the people (a few people answer most: the top 1% of
   answerers write about 40%, as on Stack Exchange sites) and who mostly answer questions on
   their own specialties; accepted answers, and anonymous votes that make up each post's score.
   Words come from bench_search_speed's `Corpus` (a Zipf law over a 20,000-word vocabulary),
   mixed with each tag's own topic words, so text retrieval finds topical answerers.
2. Index for search: every question and answer gets its `Document` with the full-text index
   (FTS5 triggers; PostgreSQL's generated tsvector and GIN index) and a static vector, as
   bench_search_speed does for its million-document run (the normalised sum of fixed random
   word vectors; queries still pay for the real model, see `QueryTimedStatic`). Then the
   common words are recounted and the vector cache is loaded, as after a bulk load.
3. Build the expertise evidence: `evidence.evidence_rebuild()` over everyone.
4. Route `--questions` new questions (generated like the corpus's, with tags, half of them in a
   community) with `routing.rank(draft, access.search_scope(member), limit=10)` for an ordinary
   member who cannot see the private community: p50/p95/max, a breakdown (the model call, the
   text retrieval `answers.answer_votes` and the rest: topic and activity), the SQL each stage
   runs with its time, and two baselines measured in the same process (a primary-key lookup and
   the search page's retrieval for the same text).
5. Keep profiles current: people at the top, the 99th and 50th percentile of answer counts and
   a newcomer each post an answer (`qa.services.answer_post`) that the asker accepts
   (`answer_accept`); the evidence refresh those services enqueue
   (`evidence.evidence_rebuild(person_ids=[author])`)
   is timed after each, then against a full `evidence.evidence_rebuild()` in the same run, and the
   person's rows after the incremental update must equal the full rebuild's (same `now`).

Targets: routing p95 <= 100 ms; an incremental update at least 10x cheaper than a full rebuild
for the busiest answerer, and equal to it.

    .venv/bin/python benchmarks/bench_routing_speed.py                  # 50k people, 1M answers
    .venv/bin/python benchmarks/bench_routing_speed.py --people 5000 --answers 100000 \\
        --databases sqlite --no-model
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search_speed import VOCABULARY, Corpus, QueryTimedStatic
from scratch import DEFAULT_POSTGRES, in_scratch_database, percentiles, setup_django_child

TARGET_P95_MS = 100.0
TARGET_INCREMENTAL_RATIO = 10.0  # full rebuild / incremental update of the busiest answerer
TAGS = 2_000
COMMUNITIES = 12  # the last one is private
QUESTIONS_PER_ANSWER = 0.3
ANSWERER_SHARE = 0.5  # of people who ever answer
MANDELBROT = 10.0  # activity of the r-th answerer ~ 1 / (r + MANDELBROT)
TOPIC_WORDS = 40  # per tag
SPAN_DAYS = 3 * 365
CHUNK_QUESTIONS = 5_000  # with their answers, one transaction
POST_COLUMNS = (
    "id",
    "kind",
    "community_id",
    "question_id",
    "author_id",
    "title",
    "body",
    "body_format",
    "body_html",
    "score",
    "answer_count",
    "view_count",
    "accepted_answer_id",
    "created_at",
    "last_activity_at",
    "source",
    "source_id",
    "source_url",
    "source_author",
    "license",
)
DOC_COLUMNS = (
    "kind",
    "object_id",
    "community_id",
    "parent_id",
    "title",
    "body",
    "tags",
    "created_at",
    "updated_at",
    "quality",
    "content_hash",
    "embedding",
    "embedding_model",
    "embedded_at",
)
VOTE_COLUMNS = ("post_id", "voter_id", "value", "created_at", "source", "source_id")

_log_path: str | None = None


def log(message: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {message}"
    print(line, file=sys.stderr, flush=True)
    if _log_path:
        with open(_log_path, "a") as out:
            out.write(line + "\n")


class Org:
    """The generated organisation as numpy arrays (indices, not database ids)."""

    def __init__(self, corpus: Corpus, people: int, answers: int) -> None:
        rng = corpus.rng
        self.corpus = corpus
        self.n_people, self.n_answers = people, answers
        self.n_questions = max(1, round(answers * QUESTIONS_PER_ANSWER))
        # Tags: names are vocabulary words of middling frequency; use follows a Zipf law.
        picked = rng.choice(np.arange(300, VOCABULARY), size=TAGS, replace=False)
        self.tag_words = picked
        self.tag_names = [corpus.words[i] for i in picked]
        ranks = np.arange(1, TAGS + 1)
        self.tag_p = (1 / ranks) / (1 / ranks).sum()
        self.topics = rng.integers(200, VOCABULARY, size=(TAGS, TOPIC_WORDS))
        self.topics[:, 0] = picked  # a tag's own name is one of its words
        # Communities: each tag has a home; the private one (last) gets a smaller share.
        weights = np.ones(COMMUNITIES)
        weights[-1] = 0.5
        self.community_p = weights / weights.sum()
        self.tag_home = rng.choice(COMMUNITIES, size=TAGS, p=self.community_p)
        # Answerers: a Zipf-Mandelbrot law over a random half of the people.
        n_answerers = max(1, int(people * ANSWERER_SHARE))
        self.answerers = rng.permutation(people)[:n_answerers]
        activity = 1 / (np.arange(1, n_answerers + 1) + MANDELBROT)
        self.activity_p = activity / activity.sum()
        expected = self.activity_p * answers
        self.n_specialties = (2 + np.minimum(20, expected // 300)).astype(np.int64)
        self.specialties = rng.choice(TAGS, size=(n_answerers, 22), p=self.tag_p)

    def questions(self, n: int) -> dict[str, np.ndarray]:
        """n questions' tags and community (-1: organisation-wide)."""
        rng = self.corpus.rng
        primary = rng.choice(TAGS, size=n, p=self.tag_p)
        extra = rng.choice(TAGS, size=(n, 3), p=self.tag_p)
        n_extra = rng.choice(4, size=n, p=[0.3, 0.35, 0.25, 0.1])
        community = np.where(
            rng.random(n) < 0.85,
            self.tag_home[primary],
            rng.choice(COMMUNITIES, size=n, p=self.community_p),
        )
        community = np.where(rng.random(n) < 0.2, -1, community)
        return {"primary": primary, "extra": extra, "n_extra": n_extra, "community": community}

    def tags_of(self, qs: dict[str, np.ndarray], i: int) -> list[int]:
        tags = [int(qs["primary"][i])]
        for t in qs["extra"][i][: qs["n_extra"][i]]:
            if int(t) not in tags:
                tags.append(int(t))
        return tags

    def text(
        self, topic_of: np.ndarray, low: int, high: int, topical: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Word ids and offsets of len(topic_of) texts of low..high-1 words, `topical` of them
        from the topic words of each text's tag, the rest from the Zipf law."""
        rng = self.corpus.rng
        lengths = rng.integers(low, high, len(topic_of))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        ids = rng.choice(VOCABULARY, size=int(offsets[-1]), p=self.corpus.p)
        use = rng.random(len(ids)) < topical
        doc = np.repeat(np.arange(len(topic_of)), lengths)[use]
        ids[use] = self.topics[topic_of[doc], rng.integers(0, TOPIC_WORDS, int(use.sum()))]
        return ids, offsets

    def strings(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        words = [self.corpus.words[i] for i in ids.tolist()]
        return [" ".join(words[a:b]) for a, b in itertools.pairwise(offsets.tolist())]

    def vectors(self, parts: list[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
        """Static vectors: the weighted sum of each text's word vectors, normalised."""
        from scipy.sparse import csr_matrix

        total = None
        for ids, offsets, weight in parts:
            data = np.full(len(ids), weight, dtype=np.float32)
            m = csr_matrix((data, ids, offsets), shape=(len(offsets) - 1, VOCABULARY))
            product = m @ self.corpus.table
            total = product if total is None else total + product
        assert total is not None
        norms = np.linalg.norm(total, axis=1, keepdims=True)
        return np.asarray(total / np.where(norms == 0, 1.0, norms), dtype=np.float32)


def generate(org: Org, now: datetime) -> dict[str, Any]:
    """Write the organisation; returns stage times, sizes and what the later stages need."""
    from django.db import connection, transaction

    from trellis.communities.models import Community, Membership
    from trellis.core.bulk import datetime_adapter, fast_insert
    from trellis.core.models import Tag
    from trellis.imports.writing import PERSON_COLUMNS
    from trellis.people.models import Person
    from trellis.qa.models import Post, PostTag, Vote
    from trellis.search.embeddings import to_blob
    from trellis.search.models import Document

    rng = org.corpus.rng
    when = datetime_adapter()
    stages: dict[str, float] = {}
    began = time.perf_counter()
    stamp = when(now - timedelta(days=SPAN_DAYS + 30))
    with transaction.atomic():
        rows = [
            (
                "!",
                False,
                f"person{i}@bench.example",
                f"Person {i}",
                "",
                "",
                "[]",
                "[]",
                "",
                True,
                False,
                False,
                stamp,
            )
            for i in range(org.n_people)
        ]
        for at in range(0, len(rows), 10_000):
            fast_insert(Person, PERSON_COLUMNS, rows[at : at + 10_000])
    person_ids = np.array(Person.objects.order_by("pk").values_list("pk", flat=True))
    communities = []
    for c in range(COMMUNITIES):
        private = c == COMMUNITIES - 1
        communities.append(
            Community.objects.create(
                name=f"{'Hidden' if private else 'Community'} {c}",
                slug=f"c{c}",
                domain="bench",
                visibility="private" if private else "public",
                status="thriving",
            )
        )
    community_ids = np.array([c.pk for c in communities])
    with transaction.atomic():  # (on PostgreSQL the COPY's staging table lives in one)
        fast_insert(Tag, ("name", "created_at"), [(n, stamp) for n in org.tag_names])
    by_name = dict(Tag.objects.values_list("name", "pk"))
    tag_ids = np.array([by_name[n] for n in org.tag_names])
    stages["people_communities_tags_s"] = time.perf_counter() - began

    # Questions, then answers: author by activity, tag by the author's specialties (mostly),
    # question among those whose first tag it is.
    began = time.perf_counter()
    nq, na = org.n_questions, org.n_answers
    qs = org.questions(nq)
    q_created = now - timedelta(days=SPAN_DAYS)
    q_offsets = np.sort(rng.random(nq)) * (SPAN_DAYS - 1) * 86400  # seconds from q_created
    q_author = rng.integers(0, org.n_people, nq)
    a_answerer = rng.choice(len(org.answerers), size=na, p=org.activity_p)
    own = rng.random(na) < 0.75
    pick = (rng.random(na) * org.n_specialties[a_answerer]).astype(np.int64)
    a_tag = np.where(own, org.specialties[a_answerer, pick], rng.choice(TAGS, size=na, p=org.tag_p))
    by_tag = np.argsort(qs["primary"], kind="stable")
    starts = np.searchsorted(qs["primary"][by_tag], np.arange(TAGS))
    counts = np.bincount(qs["primary"], minlength=TAGS)
    has = counts[a_tag] > 0
    a_question = np.where(
        has,
        by_tag[
            np.minimum(starts[a_tag] + (rng.random(na) * counts[a_tag]).astype(np.int64), nq - 1)
        ],
        rng.integers(0, nq, na),
    )
    a_author = org.answerers[a_answerer]
    a_delay = np.minimum(rng.exponential(2 * 86400, na), SPAN_DAYS * 86400 - q_offsets[a_question])
    a_offsets = q_offsets[a_question] + np.maximum(a_delay, 60)
    order = np.lexsort((a_offsets, a_question))
    a_question, a_author, a_offsets = a_question[order], a_author[order], a_offsets[order]
    a_tag = a_tag[order]
    per_question = np.bincount(a_question, minlength=nq)
    first_answer = np.concatenate([[0], np.cumsum(per_question)])
    # Accepted: 55% of answered questions, a random one of their answers (an index into answers).
    accepted = np.full(nq, -1, dtype=np.int64)
    answered = np.nonzero(per_question)[0]
    chosen = answered[rng.random(len(answered)) < 0.55]
    accepted[chosen] = first_answer[chosen] + (
        rng.random(len(chosen)) * per_question[chosen]
    ).astype(np.int64)
    is_accepted = np.zeros(na, dtype=bool)
    is_accepted[accepted[accepted >= 0]] = True
    q_up, q_down = rng.poisson(1.0, nq), rng.poisson(0.1, nq)
    a_up = rng.poisson(1.2, na) + 2 * is_accepted
    a_down = rng.poisson(0.15, na)
    q_last = q_offsets.copy()
    has_answers = per_question > 0
    q_last[has_answers] = a_offsets[first_answer[1:][has_answers] - 1]
    # Ids: questions 1..nq in time order, then answers (by question, then time).
    first_post = int(Post.objects.count()) + 1
    q_pk = np.arange(first_post, first_post + nq)
    a_pk = np.arange(first_post + nq, first_post + nq + na)
    stages["plan_s"] = time.perf_counter() - began

    base = q_created
    writing = indexing = 0.0
    public_model = QueryTimedStatic.name
    for cq in range(0, nq, CHUNK_QUESTIONS):
        t0 = time.perf_counter()
        qi = np.arange(cq, min(nq, cq + CHUNK_QUESTIONS))
        ai = np.arange(first_answer[qi[0]], first_answer[qi[-1] + 1])
        title_ids, title_off = org.text(qs["primary"][qi], 6, 13, 0.5)
        qbody_ids, qbody_off = org.text(qs["primary"][qi], 20, 60, 0.3)
        abody_ids, abody_off = org.text(qs["primary"][a_question[ai]], 20, 70, 0.35)
        titles, qbodies = org.strings(title_ids, title_off), org.strings(qbody_ids, qbody_off)
        abodies = org.strings(abody_ids, abody_off)
        q_tags = [org.tags_of(qs, int(i)) for i in qi]
        q_tag_text = [" ".join(sorted(org.tag_names[t] for t in tags)) for tags in q_tags]
        post_rows: list[tuple[Any, ...]] = []
        vote_rows: list[tuple[Any, ...]] = []
        doc_rows: list[tuple[Any, ...]] = []
        posttag_rows = [
            (int(q_pk[i]), int(tag_ids[t]))
            for i, tags in zip(qi, q_tags, strict=True)
            for t in tags
        ]
        q_vectors = org.vectors([(title_ids, title_off, 2.0), (qbody_ids, qbody_off, 1.0)])
        # An answer's document has its question's title: the vector weighs it twice, as the
        # title of every document.
        lengths = np.diff(title_off)
        local_q = a_question[ai] - qi[0]
        a_title_ids = (
            np.concatenate([title_ids[title_off[j] : title_off[j + 1]] for j in local_q.tolist()])
            if len(ai)
            else np.zeros(0, dtype=np.int64)
        )
        a_title_off = np.concatenate([[0], np.cumsum(lengths[local_q])])
        a_vectors = org.vectors([(a_title_ids, a_title_off, 2.0), (abody_ids, abody_off, 1.0)])
        stamp_now = when(now)
        for j, i in enumerate(qi.tolist()):
            created = when(base + timedelta(seconds=float(q_offsets[i])))
            community = int(community_ids[qs["community"][i]]) if qs["community"][i] >= 0 else None
            score = int(q_up[i] - q_down[i])
            acc = int(a_pk[accepted[i]]) if accepted[i] >= 0 else None
            post_rows.append(
                (
                    int(q_pk[i]),
                    "question",
                    community,
                    None,
                    int(person_ids[q_author[i]]),
                    titles[j],
                    qbodies[j],
                    "markdown",
                    f"<p>{qbodies[j]}</p>",
                    score,
                    int(per_question[i]),
                    int(q_up[i]) * 7,
                    acc,
                    created,
                    when(base + timedelta(seconds=float(q_last[i]))),
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            )
            vote_rows += [(int(q_pk[i]), None, 1, created, "", "")] * int(q_up[i])
            vote_rows += [(int(q_pk[i]), None, -1, created, "", "")] * int(q_down[i])
            quality = float(np.copysign(np.log1p(abs(score)), score)) + (0.5 if acc else 0.0)
            doc_rows.append(
                (
                    "question",
                    int(q_pk[i]),
                    community,
                    None,
                    titles[j],
                    qbodies[j],
                    q_tag_text[j],
                    created,
                    created,
                    quality,
                    "",
                    to_blob(q_vectors[j]),
                    public_model,
                    stamp_now,
                )
            )
        for j, a in enumerate(ai.tolist()):
            q = int(a_question[a])
            created = when(base + timedelta(seconds=float(a_offsets[a])))
            community = int(community_ids[qs["community"][q]]) if qs["community"][q] >= 0 else None
            score = int(a_up[a] - a_down[a])
            post_rows.append(
                (
                    int(a_pk[a]),
                    "answer",
                    community,
                    int(q_pk[q]),
                    int(person_ids[a_author[a]]),
                    "",
                    abodies[j],
                    "markdown",
                    f"<p>{abodies[j]}</p>",
                    score,
                    0,
                    0,
                    None,
                    created,
                    created,
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            )
            vote_rows += [(int(a_pk[a]), None, 1, created, "", "")] * int(a_up[a])
            vote_rows += [(int(a_pk[a]), None, -1, created, "", "")] * int(a_down[a])
            quality = float(np.copysign(np.log1p(abs(score)), score)) + (
                1.0 if is_accepted[a] else 0.0
            )
            doc_rows.append(
                (
                    "answer",
                    int(a_pk[a]),
                    community,
                    int(q_pk[q]),
                    titles[q - qi[0]],
                    abodies[j],
                    q_tag_text[q - qi[0]],
                    created,
                    created,
                    quality,
                    "",
                    to_blob(a_vectors[j]),
                    public_model,
                    stamp_now,
                )
            )
        t1 = time.perf_counter()
        with transaction.atomic():
            fast_insert(Post, POST_COLUMNS, post_rows)
            fast_insert(PostTag, ("post_id", "tag_id"), posttag_rows)
            fast_insert(Vote, VOTE_COLUMNS, vote_rows)
        t2 = time.perf_counter()
        with transaction.atomic():
            fast_insert(Document, DOC_COLUMNS, doc_rows)
        t3 = time.perf_counter()
        writing += t2 - t0
        indexing += t3 - t2
        stages.setdefault("generate_text_s", 0.0)
        stages["generate_text_s"] += t1 - t0
        if (cq // CHUNK_QUESTIONS) % 10 == 0:
            log(f"questions {cq + len(qi)}/{nq}: write {writing:.0f}s, index {indexing:.0f}s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('qa_post', 'id'), "
                "(SELECT max(id) FROM qa_post))"
            )
    stages["write_posts_s"] = writing  # generation of the text included
    stages["index_documents_s"] = indexing

    # Memberships: 1-3 public communities each; the private one's members are whoever posted
    # there, and a few more.
    began = time.perf_counter()
    private = COMMUNITIES - 1
    joined: set[tuple[int, int]] = set()
    n_joined = rng.integers(1, 4, org.n_people)
    public_p = org.community_p[:-1] / org.community_p[:-1].sum()
    choices = rng.choice(COMMUNITIES - 1, size=(org.n_people, 3), p=public_p)
    for p in range(org.n_people):
        for c in choices[p][: n_joined[p]]:
            joined.add((int(c), p))
    in_private_q = np.nonzero(qs["community"] == private)[0]
    posters = set(q_author[in_private_q].tolist())
    posters |= set(a_author[np.isin(a_question, in_private_q)].tolist())
    posters |= set(rng.integers(0, org.n_people, 200).tolist())
    joined |= {(private, p) for p in posters}
    member_rows = [
        (int(community_ids[c]), int(person_ids[p]), "member", stamp) for c, p in sorted(joined)
    ]
    with transaction.atomic():
        for at in range(0, len(member_rows), 20_000):
            fast_insert(
                Membership,
                ("community_id", "person_id", "role", "joined_at"),
                member_rows[at : at + 20_000],
            )
    for c in communities:
        Community.objects.filter(pk=c.pk).update(member_count=c.memberships.count())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    stages["memberships_analyze_s"] = time.perf_counter() - began

    answers_of = np.bincount(a_author, minlength=org.n_people)
    ranked = np.sort(answers_of[answers_of > 0])[::-1]
    top1 = max(1, len(ranked) // 100)
    sizes = {
        "people": org.n_people,
        "questions": nq,
        "answers": na,
        "accepted_answers": int((accepted >= 0).sum()),
        "tags": TAGS,
        "communities": COMMUNITIES,
        "private_community_questions": len(in_private_q),
        "org_wide_questions": int((qs["community"] < 0).sum()),
        "votes": int(q_up.sum() + q_down.sum() + a_up.sum() + a_down.sum()),
        "memberships": len(member_rows),
        "documents": int(Document.objects.count()),
        "answerers": len(ranked),
        "top_answerer_answers": int(ranked[0]),
        "top_1pct_answerers_share": round(float(ranked[:top1].sum() / na), 3),
        "top_10pct_answerers_share": round(
            float(ranked[: max(1, len(ranked) // 10)].sum() / na), 3
        ),
        "median_answerer_answers": int(np.median(ranked)),
        "most_used_tag_questions": int(counts.max()),
    }
    return {
        "stages": stages,
        "sizes": sizes,
        "person_ids": person_ids,
        "community_ids": community_ids,
        "joined": joined,
        "answers_of": answers_of,
        "qs": qs,
        "q_pk": q_pk,
        "q_author": q_author,
        "accepted": accepted,
    }


def new_drafts(org: Org, n: int, community_ids: np.ndarray, asker: int) -> list[Any]:
    """New questions like the corpus's: tags, a title and a body; half in a community the
    asker can see (the rest organisation-wide)."""
    from trellis.expertise.routing import Draft

    qs = org.questions(n)
    titles = org.strings(*org.text(qs["primary"], 6, 13, 0.5))
    bodies = org.strings(*org.text(qs["primary"], 20, 60, 0.3))
    drafts = []
    for i in range(n):
        c = int(qs["community"][i])
        in_community = i % 2 == 0 and c >= 0 and c != COMMUNITIES - 1
        drafts.append(
            Draft(
                title=titles[i],
                body=bodies[i],
                tags=tuple(org.tag_names[t] for t in org.tags_of(qs, i)),
                community_id=int(community_ids[c]) if in_community else None,
                asker_id=asker,
            )
        )
    return drafts


def _shape(sql: str) -> str:
    """A statement's shape: literals and parameter lists folded, for grouping."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\(\s*\?(\s*,\s*\?)*\s*\)", "(…)", sql)
    return " ".join(sql.split())[:160]


def route(
    org: Org, data: dict[str, Any], args: argparse.Namespace, embedder: QueryTimedStatic
) -> dict[str, Any]:
    from django.db import connection

    from trellis.core import access
    from trellis.expertise import routing
    from trellis.expertise.answers import answer_votes
    from trellis.people.models import Person
    from trellis.search import selectors
    from trellis.search.lexical import Filters

    # An ordinary member: two or more public communities, not the private one, few answers.
    private = COMMUNITIES - 1
    memberships: dict[int, set[int]] = defaultdict(set)
    for c, p in data["joined"]:
        memberships[p].add(c)
    reader_index = next(
        p
        for p in range(org.n_people)
        if len(memberships[p]) >= 2 and private not in memberships[p] and data["answers_of"][p] < 5
    )
    reader = Person.objects.get(pk=int(data["person_ids"][reader_index]))
    scope = access.search_scope(reader)
    warm = 5
    drafts = new_drafts(org, args.questions + warm, data["community_ids"], reader.pk)
    texts = [f"{d.title}\n{d.body[:1000]}" for d in drafts]

    def timed(fn: Any, *a: Any, **k: Any) -> tuple[float, Any]:
        began = time.perf_counter()
        value = fn(*a, **k)
        return (time.perf_counter() - began) * 1000, value

    rank_ms, text_ms, model_ms, pk_ms, search_ms = [], [], [], [], []
    candidates, first_candidates = [], []
    for i, draft in enumerate(drafts):
        ms_rank, found = timed(routing.rank, draft, scope, limit=10)
        # routing's own retrieval again (words alone, or with meaning: then its query vector
        # is cached now, so this is without the model, which is timed on its own)
        filters = Filters(community_id=draft.community_id)
        ms_text, _ = timed(answer_votes, texts[i], scope, filters, mode=routing.RETRIEVAL)
        with_model = embedder.model is not None and routing.RETRIEVAL != "lexical"
        ms_model = timed(embedder.model.embed, [texts[i]])[0] if with_model else 0.0
        ms_pk, _ = timed(
            lambda pk: Person.objects.filter(pk=pk).values_list("pk").first(), reader.pk
        )
        ms_search, _ = timed(selectors.search, viewer=reader, text=draft.title + " search")
        if i >= warm:
            rank_ms.append(ms_rank)
            text_ms.append(ms_text)
            model_ms.append(ms_model)
            pk_ms.append(ms_pk)
            search_ms.append(ms_search)
            candidates.append(len(found))
            if found:
                first_candidates.append(found[0].person_id)
    rest_ms = [max(r - t - m, 0.0) for r, t, m in zip(rank_ms, text_ms, model_ms, strict=True)]
    # Where the time goes: every statement of a routing call with its duration (fetching the
    # rows included), over a sample of fresh drafts.
    per_shape: dict[str, list[float]] = defaultdict(list)
    statements = []
    sample = new_drafts(org, 40, data["community_ids"], reader.pk)
    for draft in sample:
        seen: list[tuple[str, float]] = []

        def clock(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seen.append((sql, (time.perf_counter() - began) * 1000))  # noqa: B023

        with connection.execute_wrapper(clock):
            routing.rank(draft, scope, limit=10)
        statements.append(len(seen))
        for sql, ms in seen:
            per_shape[_shape(sql)].append(ms)
    by_time = sorted(per_shape.items(), key=lambda kv: -sum(kv[1]))[:8]
    p50 = statistics.median
    result = {
        "reader": {
            "person_id": reader.pk,
            "communities_visible": len(scope.community_ids),
            "member_of": len(memberships[reader_index]),
        },
        "questions": len(rank_ms),
        "rank": percentiles(rank_ms),
        "text_retrieval_without_model": percentiles(text_ms),
        "retrieval": routing.RETRIEVAL,
        "model_embed": percentiles(model_ms) if any(model_ms) else None,
        "topic_and_activity": percentiles(rest_ms),
        "in_community_rank": percentiles(
            [ms for ms, d in zip(rank_ms, drafts[warm:], strict=True) if d.community_id is not None]
        ),
        "org_wide_rank": percentiles(
            [ms for ms, d in zip(rank_ms, drafts[warm:], strict=True) if d.community_id is None]
        ),
        "baseline_pk_lookup": percentiles(pk_ms),
        "baseline_search_page": percentiles(search_ms),
        "rank_p50_ratio_to_pk_lookup": round(p50(rank_ms) / p50(pk_ms), 1),
        "rank_p50_ratio_to_search_page": round(p50(rank_ms) / p50(search_ms), 2),
        "candidates_returned_p50": p50(candidates),
        "distinct_first_candidates": len(set(first_candidates)),
        "statements_per_rank": p50(statements),
        "slowest_statements": [
            {
                "sql": shape,
                "calls": len(times),
                "p50_ms": round(p50(times), 2),
                "max_ms": round(max(times), 2),
                "total_ms": round(sum(times), 1),
            }
            for shape, times in by_time
        ],
        "meets_p95_target": percentiles(rank_ms)["p95_ms"] <= TARGET_P95_MS,
    }
    return result


def _snapshot(person_id: int) -> dict[str, Any]:
    from trellis.expertise.models import HelperStats, TopicEvidence

    topics = sorted(
        TopicEvidence.objects.filter(person_id=person_id).values_list(
            "community_id", "tag_id", "answers", "accepted", "votes", "guides", "score", "last_at"
        ),
        key=lambda r: (r[0] or 0, r[1]),
    )
    helpers = sorted(
        HelperStats.objects.filter(person_id=person_id).values_list(
            "community_id", "answers", "accepted", "recent", "last_answer_at"
        ),
        key=lambda r: r[0] or 0,
    )
    return {"topics": topics, "helpers": helpers}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def close(x: Any, y: Any) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
        return bool(x == y)

    for key in ("topics", "helpers"):
        if len(a[key]) != len(b[key]):
            return False
        for ra, rb in zip(a[key], b[key], strict=True):
            if not all(close(x, y) for x, y in zip(ra, rb, strict=True)):
                return False
    return True


def update(org: Org, data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """A new answer, accepted: the incremental refresh of its author against a full rebuild."""
    from django.utils import timezone

    from trellis.expertise.models import TopicEvidence
    from trellis.expertise.services import evidence
    from trellis.people.models import Person
    from trellis.qa.models import Post
    from trellis.qa.services import answer_accept, answer_post

    rng = org.corpus.rng
    answers_of = data["answers_of"]
    order = np.argsort(-answers_of, kind="stable")
    active = int((answers_of > 0).sum())
    who = {
        "top": int(order[0]),
        "p99": int(order[max(0, active // 100)]),
        "median": int(order[active // 2]),
        "newcomer": int(order[-1]),
    }
    private = COMMUNITIES - 1
    qs = data["qs"]
    open_questions = np.nonzero((data["accepted"] < 0) & (qs["community"] != private))[0]
    people: dict[str, Any] = {}
    for label, index in who.items():
        person = Person.objects.get(pk=int(data["person_ids"][index]))
        while True:
            q = int(open_questions[int(rng.integers(0, len(open_questions)))])
            if int(data["q_author"][q]) != index:
                break
        question = Post.objects.get(pk=int(data["q_pk"][q]))
        asker = Person.objects.get(pk=question.author_id)
        body = " ".join(org.corpus.text(40))
        before = TopicEvidence.objects.filter(person_id=person.pk).count()
        began = time.perf_counter()
        answer = answer_post(actor=person, question=question, body=body)
        post_ms = (time.perf_counter() - began) * 1000
        refresh_after_post_ms = _ms(evidence.evidence_rebuild, person_ids=[person.pk])
        began = time.perf_counter()
        answer_accept(actor=asker, answer=answer)
        accept_ms = (time.perf_counter() - began) * 1000
        refresh_ms = [
            _ms(evidence.evidence_rebuild, person_ids=[person.pk]) for _ in range(args.repeats)
        ]
        people[label] = {
            "person_id": person.pk,
            "answers_before": int(answers_of[index]),
            "topic_rows_before": before,
            "topic_rows_after": TopicEvidence.objects.filter(person_id=person.pk).count(),
            "answer_post_ms": round(post_ms, 1),
            "answer_accept_ms": round(accept_ms, 1),
            "refresh_after_post_ms": round(refresh_after_post_ms, 1),
            "refresh_after_accept": percentiles(refresh_ms) if len(refresh_ms) > 1 else None,
            "refresh_after_accept_p50_ms": round(statistics.median(refresh_ms), 1),
            "_tags": list(question.tags.values_list("pk", flat=True)),
        }
        log(f"incremental {label}: {people[label]['refresh_after_accept_p50_ms']} ms")
    # Correctness: each person's rows from the incremental update equal a full rebuild's, as of
    # the same instant; and the accepted answer is counted on its question's tags.
    now = timezone.now()
    incremental = {}
    for label, figures in people.items():
        figures["incremental_at_same_now_ms"] = round(
            _ms(evidence.evidence_rebuild, person_ids=[figures["person_id"]], now=now), 1
        )
        incremental[label] = _snapshot(figures["person_id"])
    began = time.perf_counter()
    rows = evidence.evidence_rebuild(now=now)
    full_s = time.perf_counter() - began
    log(f"full rebuild {full_s:.1f}s")
    checks = {}
    for label, figures in people.items():
        full = _snapshot(figures["person_id"])
        tags = set(figures.pop("_tags"))
        counted = all(any(r[1] == t and r[3] >= 1 for r in full["topics"]) for t in tags)
        checks[label] = {
            "equal_to_full_rebuild": _same(incremental[label], full),
            "accepted_answer_counted": counted,
        }
        figures["full_to_incremental_ratio"] = round(
            full_s * 1000 / max(figures["refresh_after_accept_p50_ms"], 0.01), 1
        )
    return {
        "people": people,
        "full_rebuild_s": round(full_s, 2),
        "full_rebuild_topic_rows": rows,
        "checks": checks,
        "correct": all(all(c.values()) for c in checks.values()),
        "busiest_ratio": people["top"]["full_to_incremental_ratio"],
        "meets_ratio_target": people["top"]["full_to_incremental_ratio"]
        >= TARGET_INCREMENTAL_RATIO,
    }


def code_versions() -> dict[str, Any]:
    """What was measured: the commit, and each expertise module's digest and whether it has
    uncommitted changes (the ranking is being worked on while benchmarks run)."""
    import hashlib
    import subprocess

    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    changed = set(git("status", "--porcelain", "--", "trellis/expertise").split("\n"))
    files = {}
    for name in ("routing.py", "answers.py", "services/evidence.py", "tallies.py", "selectors.py"):
        path = root / "trellis" / "expertise" / name
        files[name] = {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:12],
            "uncommitted": any(line.endswith(f"trellis/expertise/{name}") for line in changed),
        }
    return {"commit": git("rev-parse", "--short", "HEAD"), "files": files}


def _ms(fn: Any, *a: Any, **k: Any) -> float:
    began = time.perf_counter()
    fn(*a, **k)
    return (time.perf_counter() - began) * 1000


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    global _log_path
    _log_path = args.log
    server = setup_django_child()
    # Everything measured is imported now, URLs included (the search page reverses them): a
    # run lasts long, and a module first imported an hour in is whatever the tree holds then.
    from django.db import connection
    from django.urls import get_resolver
    from django.utils import timezone

    import trellis.expertise.answers
    import trellis.expertise.routing
    import trellis.qa.services
    import trellis.search.selectors  # noqa: F401

    get_resolver().url_patterns  # noqa: B018

    from trellis.expertise.models import HelperStats, TopicEvidence
    from trellis.expertise.services import evidence
    from trellis.search import embeddings, semantic, vocabulary

    log(f"{server}: generating {args.people} people, {args.answers} answers")
    corpus = Corpus(args.seed)
    org = Org(corpus, args.people, args.answers)
    now = timezone.now()
    began = time.perf_counter()
    data = generate(org, now)
    stages = data["stages"]
    stages["generate_total_s"] = time.perf_counter() - began
    model = None
    if not args.no_model:
        from trellis.search.embeddings.local import LocalMiniLM

        model = LocalMiniLM()
    embedder = QueryTimedStatic(corpus, model)
    results: dict[str, Any] = {"server": server, "sizes": data["sizes"]}
    with embeddings.using(embedder):
        began = time.perf_counter()
        results["common_words"] = vocabulary.refresh()
        stages["vocabulary_refresh_s"] = time.perf_counter() - began
        began = time.perf_counter()
        semantic.CACHE.refresh(embedder.name, force=True)
        stages["vector_cache_load_s"] = time.perf_counter() - began
        log(f"indexed; building evidence ({stages})")
        began = time.perf_counter()
        results["topic_rows"] = evidence.evidence_rebuild()
        stages["evidence_rebuild_s"] = time.perf_counter() - began
        with connection.cursor() as cursor:  # as autovacuum would: the evidence is new
            cursor.execute("ANALYZE")
        results["helper_rows"] = HelperStats.objects.count()
        results["topic_rows_in_table"] = TopicEvidence.objects.count()
        log(f"evidence {stages['evidence_rebuild_s']:.1f}s; routing")
        results["code"] = code_versions()  # as imported now: routing is imported on first use
        results["routing"] = route(org, data, args, embedder)
        log(f"routing {results['routing']['rank']}")
        results["incremental"] = update(org, data, args)
    results["stages"] = {k: round(v, 2) for k, v in stages.items()}
    results["approximate_index"] = any(
        p.ann is not None for p in semantic.CACHE.partitions.values()
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--questions", type=int, default=200, help="routed, timed")
    parser.add_argument("--repeats", type=int, default=5, help="of each incremental update")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-model", action="store_true", help="queries skip the model call")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--log", help="append progress lines to this file")
    parser.add_argument("--database", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database:
        print(json.dumps(run_child(args)))
        return
    started = time.perf_counter()
    results = {}
    for db in filter(None, args.databases.split(",")):
        command = [
            sys.executable,
            __file__,
            "--database",
            db,
            "--people",
            str(args.people),
            "--answers",
            str(args.answers),
            "--questions",
            str(args.questions),
            "--repeats",
            str(args.repeats),
            "--seed",
            str(args.seed),
        ]
        if args.no_model:
            command.append("--no-model")
        if args.log:
            command += ["--log", args.log]
        results[db] = in_scratch_database(db, "routing", command, args.postgres_url)
    checks: dict[str, Any] = {}
    meets = all("error" not in r for r in results.values())
    for db, result in results.items():
        if "error" in result:
            continue
        p95 = result["routing"]["rank"]["p95_ms"]
        ratio = result["incremental"]["busiest_ratio"]
        checks[f"{db} routing p95"] = {
            "p95_ms": p95,
            "target": TARGET_P95_MS,
            "ok": p95 <= TARGET_P95_MS,
        }
        checks[f"{db} incremental"] = {
            "full_to_incremental_ratio_busiest": ratio,
            "target": TARGET_INCREMENTAL_RATIO,
            "equal_to_full_rebuild": result["incremental"]["correct"],
            "ok": ratio >= TARGET_INCREMENTAL_RATIO and result["incremental"]["correct"],
        }
        meets = meets and all(c["ok"] for k, c in checks.items() if k.startswith(db))
    import django
    import faiss

    print(
        json.dumps(
            {
                "benchmark": "routing-speed",
                "people": args.people,
                "answers": args.answers,
                "seed": args.seed,
                "query_embeddings": "real model per query (int8 MiniLM), static corpus vectors"
                if not args.no_model
                else "static vectors, no model call",
                "checks": checks,
                "meets_targets": meets,
                "python": platform.python_version(),
                "django": django.__version__,
                "numpy": np.__version__,
                "faiss": faiss.__version__,
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "databases": results,
                "wall_s": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
