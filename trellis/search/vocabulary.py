"""How many documents contain each common word, as the lexical index itself stems it.

Ranking every match of a word that most documents contain costs time in proportion to the
corpus (a million documents: seconds per query) and buys little, because its IDF is low.
`lexical.plan` uses these counts to match a query's rarer words and leave the common ones out.
The counts come from the index (FTS5's vocabulary table, PostgreSQL's `ts_stat`), so they
follow its tokenizer; they are refreshed after bulk loads and once a day, and a stem that is
not stored is rarer than `TRACKED_FROM` documents.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from trellis.core import access
from trellis.search.models import CommonTerm

TRACKED_FROM = 100  # documents: rarer stems are not stored, and a query always matches them
MAX_TERM_CHARS = 100  # CommonTerm.term's length; longer index terms are never common
_TOKEN = re.compile(r"[^\W_]+")  # unicode61's tokens: letters and digits


def refresh() -> int:
    """Recount the common stems from the index; returns how many are stored. Seconds at a
    million documents: the whole vocabulary is read.

    Only documents every signed-in person may see are counted (`access.everyone_filter`:
    org-wide ones and those of public communities), so which words a search leaves out never
    depends on private content. A word common only inside a private community is then ranked
    in full for its members: slower, never wrong."""
    hidden = _hidden_document_frequencies() if connection.vendor != "postgresql" else None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat(%s) WHERE ndoc >= %s AND length(word) <= %s",
                [_everyones_vectors_sql(), TRACKED_FROM, MAX_TERM_CHARS],
            )
        else:
            cursor.execute(
                "SELECT term, doc FROM search_document_vocab "
                "WHERE doc >= %s AND length(term) <= %s",
                [TRACKED_FROM, MAX_TERM_CHARS],
            )
        rows = cursor.fetchall()
    if hidden is not None:  # FTS5 counts every document: take the hidden ones off again
        rows = [(term, n - hidden.get(term, 0)) for term, n in rows]
        rows = [(term, n) for term, n in rows if n >= TRACKED_FROM]
    with transaction.atomic():
        CommonTerm.objects.all().delete()
        CommonTerm.objects.bulk_create(
            [CommonTerm(term=term, documents=n) for term, n in rows], batch_size=2000
        )
    return len(rows)


def _everyones_vectors_sql() -> str:
    """The query, as one SQL string for `ts_stat`, of the text search vectors of the documents
    every signed-in person may see: built from `access.everyone_filter`, the one definition."""
    from trellis.search.models import Document

    # search_vector is PostgreSQL's generated column, unknown to the model.
    vectors = (
        Document.objects.filter(access.everyone_filter())
        .annotate(vector=RawSQL("search_vector", []))
        .values("vector")
    )
    sql, params = vectors.query.sql_with_params()
    return str(connection.ops.compose_sql(sql, params))  # type: ignore[attr-defined]  # PostgreSQL only


def _hidden_document_frequencies() -> Counter[str]:
    """Documents that not everyone may see (`access.everyone_filter`'s complement: those of
    private communities) per stem, tokenised as FTS5 does (unicode61 with diacritics
    removed, then porter)."""
    from trellis.search.models import Document

    counts: Counter[str] = Counter()
    texts = Document.objects.exclude(access.everyone_filter()).values_list("title", "tags", "body")
    for title, tags, body in texts.iterator(chunk_size=2000):
        words = _TOKEN.findall(fold(f"{title} {tags} {body}"))
        counts.update({fts5_stem(word) for word in words})
    return counts


def frequencies(words: Sequence[str], prefix: str = "") -> dict[str, int]:
    """Documents containing each word, for the words whose stem is common. `prefix`, an
    unfinished word typed last, maps to the documents of every common stem that begins with
    its stem (the engines stem a prefix query's word too)."""
    found: dict[str, int] = {}
    if not words and not prefix:
        return found
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The index's own text search configuration stems the words.
            if words:
                cursor.execute(
                    "SELECT w, max(c.documents) FROM unnest(%s::text[]) AS w "
                    "CROSS JOIN LATERAL unnest(to_tsvector('english', w)) AS l "
                    "JOIN search_commonterm c ON c.term = l.lexeme GROUP BY w",
                    [list(words)],
                )
                found.update({w: int(n) for w, n in cursor.fetchall()})
            start = _pg_prefix_stem(cursor, prefix) if prefix else ""
        else:
            stems = {word: fts5_stem(word) for word in words}
            if stems:
                marks = ", ".join(["%s"] * len(set(stems.values())))
                cursor.execute(
                    f"SELECT term, documents FROM search_commonterm WHERE term IN ({marks})",  # noqa: S608
                    sorted(set(stems.values())),
                )
                by_stem = dict(cursor.fetchall())
                found.update({w: int(by_stem[s]) for w, s in stems.items() if s in by_stem})
            start = fts5_stem(prefix) if prefix else ""
        if start and connection.vendor == "postgresql":  # not the collation's order
            cursor.execute(
                "SELECT coalesce(sum(documents), 0) FROM search_commonterm "
                "WHERE starts_with(term, %s)",
                [start],
            )
        elif start:  # SQLite compares bytes, so the range is the prefix's (and indexed)
            cursor.execute(
                "SELECT coalesce(sum(documents), 0) FROM search_commonterm "
                "WHERE term >= %s AND term < %s",
                [start, start + "\U0010ffff"],
            )
        if start:
            begun = int(cursor.fetchone()[0])
            if begun:
                found[prefix] = max(begun, found.get(prefix, 0))
    return found


def _pg_prefix_stem(cursor: Any, prefix: str) -> str:
    cursor.execute("SELECT (ts_lexize('english_stem', %s))[1]", [prefix])
    row = cursor.fetchone()
    return str(row[0]) if row and row[0] else prefix


def fold(word: str) -> str:
    """What FTS5's unicode61 tokenizer (remove_diacritics 2) makes of a word's letters."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fts5_stem(word: str) -> str:
    """The term FTS5's porter tokenizer stores for a word. It leaves tokens shorter than three
    bytes (or longer than 64) alone; otherwise it is Porter's original algorithm, which the
    Snowball "porter" stemmer implements (they differ on a few words such as "-ibly", which
    only means such a word is treated as rare)."""
    folded = fold(word)
    size = len(folded.encode())
    if size < 3 or size > 64:
        return folded
    return str(_porter().stemWord(folded))


@cache
def _porter() -> Any:
    import Stemmer

    return Stemmer.Stemmer("porter")
