"""Lexical retrieval in the database: FTS5 with BM25 on SQLite, a weighted tsvector with
ts_rank on PostgreSQL. The viewer's scope and the filters are part of the same statement,
so private rows never become candidates, scores or counts. Words that most documents contain
are left out of the match when rarer ones are there (`plan`), so that a query ranks a bounded
number of matches at any corpus size."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from django.db import connection, transaction

from trellis.core.access import SearchScope
from trellis.search import vocabulary
from trellis.search.query import Terms

START, STOP = "\x02", "\x03"  # highlight markers no text contains (they are escaped after)
COUNT_CAP = 1000  # "1,000+ results": counting every match of a common word costs a scan
BM25_WEIGHTS = (10.0, 4.0, 1.0)  # FTS5 columns title, tags, body
# ts_rank over the A/B/D-weighted vector: on the link benchmark it ranks better than
# ts_rank_cd (cover density suits short phrase queries, not a question's many words).
PG_RANK = "ts_rank(d.search_vector, q)"


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    community_id: int | None = None
    tag: str = ""
    since: datetime | None = None
    until: datetime | None = None
    exclude_ids: tuple[int, ...] = ()  # document ids (the question being asked about itself)


def scope_sql(scope: SearchScope, filters: Filters, alias: str = "d") -> tuple[str, list[Any]]:
    """The WHERE conditions every retrieval shares, with their parameters."""
    if not scope.signed_in:
        return "1 = 0", []
    clauses: list[str] = []
    params: list[Any] = []
    if not scope.everything:
        if scope.community_ids:
            marks = ", ".join(["%s"] * len(scope.community_ids))
            clauses.append(f"({alias}.community_id IS NULL OR {alias}.community_id IN ({marks}))")
            params += sorted(scope.community_ids)
        else:
            clauses.append(f"{alias}.community_id IS NULL")
    if filters.kinds:
        clauses.append(f"{alias}.kind IN ({', '.join(['%s'] * len(filters.kinds))})")
        params += list(filters.kinds)
    if filters.community_id is not None:
        clauses.append(f"{alias}.community_id = %s")
        params.append(filters.community_id)
    if filters.tag:
        # Tags are stored space-separated; padding makes the match whole-word.
        clauses.append(f"(' ' || {alias}.tags || ' ') LIKE %s")
        params.append(f"% {filters.tag.replace('%', '').replace('_', '')} %")
    # Datetimes in the database's own form: SQLite compares them as text, and a bare
    # parameter would carry a "+00:00" that sorts after the stored value of the same instant.
    as_stored = connection.ops.adapt_datetimefield_value
    if filters.since is not None:
        clauses.append(f"{alias}.created_at >= %s")
        params.append(as_stored(filters.since))
    if filters.until is not None:
        clauses.append(f"{alias}.created_at < %s")
        params.append(as_stored(filters.until))
    if filters.exclude_ids:
        clauses.append(f"{alias}.id NOT IN ({', '.join(['%s'] * len(filters.exclude_ids))})")
        params += list(filters.exclude_ids)
    return (" AND ".join(clauses) or "1 = 1"), params


# Matches ranked per query, about. Words too rare to be counted (`vocabulary.TRACKED_FROM`)
# are always matched; counted words join them rarest first while their documents add up to
# no more than this, so the cost of ranking does not grow with the corpus. Measured per
# ranked match at 100k documents: FTS5 2-7 µs, ts_rank about 20 µs (each match's tsvector is
# read from the heap and its TOAST table).
CANDIDATE_BUDGET = {"sqlite": 3_000, "postgresql": 1_000}
# When every word is commoner than that: the newest documents with all of the few rarest
# words (all of many common words is a sparse intersection, slow to walk and often empty).
NEWEST_FIRST_WORDS = 3


@dataclass(frozen=True)
class Plan:
    """What one query matches and ranks."""

    terms: Terms  # the words matched (the query's rarest)
    left_out: tuple[str, ...] = ()  # common words not matched
    # Every word is commoner than the budget: ranking any of them would cost a scan of its
    # documents (FTS5's BM25 counts them for the IDF on every query), so the newest
    # documents with all of the rarest few words come first, then the newest with the
    # rarest word.
    newest_first: bool = False
    rarest: str = ""  # in that case, the word whose documents follow
    rarest_is_prefix: bool = False
    documents: tuple[int, ...] = ()  # in that case, each matched word's (public) documents
    rarest_documents: int = 0

    def __bool__(self) -> bool:
        return bool(self.terms)


def plan(terms: Terms) -> Plan:
    """Every word when the corpus is small; at scale, the rare words and as many common ones
    as the budget allows. An unfinished last word counts the documents of every common word
    it begins."""
    if not terms:
        return Plan(terms)
    last = len(terms.words) - 1
    prefix = terms.words[last] if terms.prefix_last else ""
    counts = vocabulary.frequencies(terms.words, prefix=prefix)
    counted = sorted(
        (counts[w], i) for i, w in enumerate(terms.words) if w in counts
    )  # the prefix is in `counts` whenever it is given
    kept = {i for i, w in enumerate(terms.words) if w not in counts}
    budget = CANDIDATE_BUDGET[connection.vendor]
    total = 0
    for n, i in counted:
        if kept and total + n > budget:
            break
        kept.add(i)
        total += n
    if total > budget:
        rarest = sorted(i for _, i in counted[:NEWEST_FIRST_WORDS])
        return Plan(
            Terms(
                tuple(terms.words[i] for i in rarest), prefix_last=bool(prefix) and last in rarest
            ),
            left_out=tuple(w for i, w in enumerate(terms.words) if i not in rarest),
            newest_first=True,
            rarest=terms.words[counted[0][1]],
            rarest_is_prefix=bool(prefix) and counted[0][1] == last,
            documents=tuple(n for n, i in sorted(counted[:NEWEST_FIRST_WORDS], key=lambda c: c[1])),
            rarest_documents=counted[0][0],
        )
    matched = Terms(
        tuple(terms.words[i] for i in sorted(kept)), prefix_last=bool(prefix) and last in kept
    )
    left_out = tuple(w for i, w in enumerate(terms.words) if i not in kept)
    return Plan(matched, left_out=left_out)


def search(
    terms: Terms,
    scope: SearchScope,
    filters: Filters,
    limit: int,
    chosen: Plan | None = None,
    total: list[int] | None = None,
) -> list[tuple[int, float]]:
    """(document id, score) best first; higher is better on both databases. `total`, when
    given, receives on PostgreSQL how many documents matched (every match is ranked anyway,
    so counting them in the same statement saves a round trip); otherwise use `count`."""
    chosen = chosen or plan(terms)
    if not chosen:
        return []
    if chosen.newest_first:
        return _newest_first(chosen, scope, filters, limit)
    where, params = scope_sql(scope, filters)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT d.id, {PG_RANK} AS score, count(*) OVER () "  # noqa: S608
            "FROM search_document d, to_tsquery('english', %s) q "
            f"WHERE d.search_vector @@ q AND {where} ORDER BY score DESC, d.id LIMIT %s"
        )
        with _through_the_index() as cursor:
            cursor.execute(sql, [chosen.terms.tsquery(), *params, limit])
            rows = cursor.fetchall()
    else:
        # bm25() is lower-is-better.
        weights = ", ".join(str(float(w)) for w in BM25_WEIGHTS)
        # (No count(*) OVER () here: FTS5 cannot run bm25() over a window's rows. The
        # separate count is a cheap index walk on SQLite.)
        sql = (
            f"SELECT d.id, -bm25(search_document_fts, {weights}) AS score "  # noqa: S608
            "FROM search_document_fts JOIN search_document d ON d.id = search_document_fts.rowid "
            f"WHERE search_document_fts MATCH %s AND {where} ORDER BY score DESC, d.id LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [chosen.terms.fts5(), *params, limit])
            return [(int(pk), float(score)) for pk, score in cursor.fetchall()]
    if total is not None:
        total.append(int(rows[0][2]) if rows else 0)
    return [(int(pk), float(score)) for pk, score, _ in rows]


@contextmanager
def _through_the_index() -> Iterator[Any]:
    """A PostgreSQL cursor whose planner reads the GIN index for a bounded match. With the
    default random_page_cost (4, for spinning disks) it prefers scanning every row's tsvector
    below about 50,000 documents: 40 ms at 10,000 instead of 4. Only this statement gets the
    SSD value; listing the newest documents of common words wants the default's plan."""
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        try:
            yield cursor
        finally:
            if nested:  # the transaction goes on: put the default back for what follows
                cursor.execute("SET LOCAL random_page_cost TO DEFAULT")


def _newest_first(
    chosen: Plan, scope: SearchScope, filters: Filters, limit: int
) -> list[tuple[int, float]]:
    """The newest documents the viewer may see with all the words, then with the rarest.
    FTS5 walks its lists newest first and stops at `limit`; PostgreSQL see `_pg_newest`."""
    where, params = scope_sql(scope, filters)
    found: list[int] = []
    with connection.cursor() as cursor:
        steps = ((chosen.terms, chosen.documents), (_rarest(chosen), (chosen.rarest_documents,)))
        for expression, documents in steps:
            if len(found) >= limit:
                break
            if connection.vendor == "postgresql":
                match = expression.tsquery_all()
                rows = _pg_newest(cursor, match, where, params, limit, documents)
            else:
                cursor.execute(
                    "SELECT d.id FROM search_document_fts "  # noqa: S608
                    "JOIN search_document d ON d.id = search_document_fts.rowid "
                    f"WHERE search_document_fts MATCH %s AND {where} "
                    "ORDER BY search_document_fts.rowid DESC LIMIT %s",
                    [expression.fts5_all(), *params, limit],
                )
                rows = [int(pk) for (pk,) in cursor.fetchall()]
            found += [pk for pk in rows if pk not in found]
    return [(pk, float(limit - rank)) for rank, pk in enumerate(found[:limit])]


def _pg_newest(
    cursor: Any, match: str, where: str, params: list[Any], limit: int, documents: tuple[int, ...]
) -> list[int]:
    """PostgreSQL's GIN index returns matches in no order, so there are two ways to the newest
    ones: walk the primary key backwards testing each row (cheap while matches are dense), or
    read every match from the index and sort (cheap while they are few). Expected matches
    under independence decide; the two cost the same near sqrt(limit x documents)."""
    rows = _pg_row_estimate(cursor)
    expected = float(rows)
    for n in documents:
        expected *= min(n / rows, 1.0) if rows else 1.0
    dense = expected * expected >= limit * rows
    order = "d.id DESC" if dense else "d.id + 0 DESC"  # + 0: not by walking the key
    sql = (
        "SELECT d.id FROM search_document d "  # noqa: S608
        f"WHERE d.search_vector @@ to_tsquery('english', %s) AND {where} "
        f"ORDER BY {order} LIMIT %s"
    )
    if dense:
        cursor.execute(sql, [match, *params, limit])
        return [int(pk) for (pk,) in cursor.fetchall()]
    with _through_the_index() as indexed:
        indexed.execute(sql, [match, *params, limit])
        return [int(pk) for (pk,) in indexed.fetchall()]


def _pg_row_estimate(cursor: Any) -> int:
    """The planner's own row count of the index (free: no scan)."""
    cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'search_document'::regclass")
    row = cursor.fetchone()
    return max(int(row[0]) if row and row[0] and row[0] > 0 else 0, 1)


def _rarest(chosen: Plan) -> Terms:
    return Terms((chosen.rarest,), prefix_last=chosen.rarest_is_prefix)


def count(terms: Terms, scope: SearchScope, filters: Filters, chosen: Plan | None = None) -> int:
    """How many documents match the words ranked, up to COUNT_CAP (the page then says
    "1,000+")."""
    chosen = chosen or plan(terms)
    if not chosen:
        return 0
    bounded = not chosen.newest_first  # else a common word: the default plan stops early
    if chosen.newest_first and filters == Filters() and chosen.rarest_documents > COUNT_CAP:
        # The rarest word is in that many documents everyone signed in may see (vocabulary
        # counts no others), so this viewer sees more than the cap: no need to count them.
        return COUNT_CAP + 1
    if chosen.newest_first:  # what can follow: every document with the rarest word
        chosen = Plan(_rarest(chosen))
    where, params = scope_sql(scope, filters)
    if connection.vendor == "postgresql":
        inner = (
            "SELECT 1 FROM search_document d "  # noqa: S608
            f"WHERE d.search_vector @@ to_tsquery('english', %s) AND {where} LIMIT %s"
        )
        args = [chosen.terms.tsquery(), *params, COUNT_CAP + 1]
        if bounded:
            with _through_the_index() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM ({inner}) matched", args)  # noqa: S608
                return int(cursor.fetchone()[0])
    else:
        inner = (
            "SELECT 1 FROM search_document_fts JOIN search_document d "  # noqa: S608
            "ON d.id = search_document_fts.rowid "
            f"WHERE search_document_fts MATCH %s AND {where} LIMIT %s"
        )
        args = [chosen.terms.fts5(), *params, COUNT_CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({inner}) matched", args)  # noqa: S608
        return int(cursor.fetchone()[0])


def snippets(doc_ids: list[int], terms: Terms) -> dict[int, str]:
    """Safe HTML excerpts of the bodies with the matched words in <mark>."""
    if not doc_ids or not terms:
        return {}
    marks = ", ".join(["%s"] * len(doc_ids))
    if connection.vendor == "postgresql":
        options = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2"
        sql = (
            "SELECT d.id, ts_headline('english', d.body, to_tsquery('english', %s), %s) "  # noqa: S608
            f"FROM search_document d WHERE d.id IN ({marks})"
        )
        args: list[Any] = [terms.tsquery(), options, *doc_ids]
    else:
        sql = (
            "SELECT rowid, snippet(search_document_fts, 2, %s, %s, '…', 24) "  # noqa: S608
            f"FROM search_document_fts WHERE search_document_fts MATCH %s AND rowid IN ({marks})"
        )
        args = [START, STOP, terms.fts5(), *doc_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    return {int(pk): highlight(text or "") for pk, text in rows}


def highlight(marked: str) -> str:
    """Escape everything, then turn the engine's markers into <mark> elements."""
    return escape(marked).replace(START, "<mark>").replace(STOP, "</mark>")
