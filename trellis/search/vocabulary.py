"""How many documents contain each common word, as the lexical index itself stems it.

Ranking every match of a word that most documents contain costs time in proportion to the
corpus (a million documents: seconds per query) and buys little, because its IDF is low.
`lexical.plan` uses these counts to match a query's rarer words and leave the common ones out.
The counts come from the index (FTS5's vocabulary table, PostgreSQL's `ts_stat`), so they
follow its tokenizer; they are refreshed after bulk loads and once a day, and a stem that is
not stored is rarer than `TRACKED_FROM` documents.
"""

import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, transaction

from trellis.search.models import CommonTerm

TRACKED_FROM = 100  # documents: rarer stems are not stored, and a query always matches them
MAX_TERM_CHARS = 100  # CommonTerm.term's length; longer index terms are never common


def refresh() -> int:
    """Recount the common stems from the index; returns how many are stored. Seconds at a
    million documents: the whole vocabulary is read."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM search_document') "
                "WHERE ndoc >= %s AND length(word) <= %s",
                [TRACKED_FROM, MAX_TERM_CHARS],
            )
        else:
            cursor.execute(
                "SELECT term, doc FROM search_document_vocab "
                "WHERE doc >= %s AND length(term) <= %s",
                [TRACKED_FROM, MAX_TERM_CHARS],
            )
        rows = cursor.fetchall()
    with transaction.atomic():
        CommonTerm.objects.all().delete()
        CommonTerm.objects.bulk_create(
            [CommonTerm(term=term, documents=n) for term, n in rows], batch_size=2000
        )
    return len(rows)


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
        if start:
            cursor.execute(
                "SELECT coalesce(sum(documents), 0) FROM search_commonterm "
                "WHERE term >= %s AND term < %s",
                [start, start + "\U0010ffff"],
            )
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
