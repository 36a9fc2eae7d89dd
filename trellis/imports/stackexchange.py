"""Import a Stack Exchange data dump: the site becomes (or maps to) a community.

People become external identities, posts keep their ids, dates and scores, and every imported
post carries the attribution CC BY-SA asks for (a link to the original and the author's name).
The whole import is one transaction: a broken file anywhere leaves the database as it was,
and running it again changes nothing that has not changed in the dump.
"""

import html
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from trellis.communities.models import Community
from trellis.core.bulk import datetime_adapter, fast_insert
from trellis.core.errors import Invalid
from trellis.expertise.services.evidence import evidence_rebuild_after_commit
from trellis.imports.prefetch import prefetched, stackexchange_table
from trellis.imports.records import SEComment, SEPost, SEPostLink, SEUser, SEVote
from trellis.imports.stackexchange_reader import StackExchangeDump
from trellis.imports.summary import Progress, Summary, no_progress
from trellis.imports.targets import import_community
from trellis.imports.writing import (
    BATCH,
    Identity,
    Resolved,
    TagCache,
    identities_ensure,
    identity_map,
    imported,
    in_batches,
    source_map,
)
from trellis.insights.tasks import insights_rebuild_after_commit
from trellis.qa.models import BodyFormat, Comment, LinkKind, Post, PostKind, PostLink, PostTag, Vote
from trellis.search.services import documents_index_new_after_commit

EMAIL_DOMAIN = "stackexchange.invalid"
STAGING = "trellis_import_accepted"
PREFETCH_FROM_ROWS = 20_000
PEOPLE_CACHE_LIMIT = 200_000
BIG_IMPORT_ROWS = 100_000
FIRST_ANALYZE_ROWS = 10_000
BIG_CACHE_KIB = 128 * 1024
VOTE_VALUES = {2: 1, 3: -1}  # up, down; the others (favourites, bounties, close) are not votes
LINK_KINDS = {1: LinkKind.RELATED, 3: LinkKind.DUPLICATE}
CC_BY_SA_4_FROM = datetime(2018, 5, 2, tzinfo=UTC)
CC_BY_SA_3_FROM = datetime(2011, 4, 8, tzinfo=UTC)
# Imported posts keep their sanitised HTML only (the original is one click away at source_url):
# storing the raw HTML too would double what a million-post import writes.
POST_FIELDS = ("title", "body_html", "score", "view_count", "closed_at", "edited_at", "author_id")
POST_UPDATE_FIELDS = [*POST_FIELDS, "last_activity_at", "source_author"]
POST_COLUMNS = (
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
    "closed_at",
    "created_at",
    "edited_at",
    "last_activity_at",
    "source",
    "source_id",
    "source_url",
    "source_author",
    "license",
)
COMMENT_COLUMNS = (
    "post_id",
    "author_id",
    "body",
    "body_html",
    "created_at",
    "source",
    "source_id",
    "source_author",
)


def licence_for(created_at: datetime) -> str:
    """The licence Stack Exchange applies to a contribution by its date."""
    if created_at >= CC_BY_SA_4_FROM:
        return "CC BY-SA 4.0"
    return "CC BY-SA 3.0" if created_at >= CC_BY_SA_3_FROM else "CC BY-SA 2.5"


def site_community(dump: StackExchangeDump, slug: str | None) -> Community:
    """The community the site maps to: the one named; else the one this site was imported
    into before (found by the import's source, never by a slug); else a new one for the site,
    whose slug gets a suffix when a community already has the site's name."""
    explicit = None
    if slug:
        explicit = Community.objects.filter(slug=slug).first()
        if explicit is None:
            raise Invalid(f"There is no community “{slug}” to import into.")
    site = dump.site_name()
    source = f"stackexchange:{site}"
    return import_community(
        source=source,
        slug=site,
        explicit=explicit,
        defaults={
            "name": f"{site.replace('-', ' ').title()} (Stack Exchange)"[:120],
            "domain": f"Questions and answers imported from {dump.site_url()} "
            "(CC BY-SA; each post links to its original).",
        },
        previous=lambda: imported(Post, source).values_list("community_id", flat=True).first(),
    )


class StackExchangeImport:
    def __init__(
        self,
        dump: StackExchangeDump,
        community: Community,
        summary: Summary,
        progress: Progress,
    ) -> None:
        self.dump = dump
        self.community = community
        self.summary = summary
        self.progress = progress
        self.source = f"stackexchange:{dump.site_name()}"
        self.site_url = dump.site_url()
        self.tags = TagCache()
        self.when = datetime_adapter()
        self.people_cache: dict[str, Resolved] = {}
        self.analyze_at = FIRST_ANALYZE_ROWS
        # Nothing from this source yet: every row is new, no need to look for existing ones.
        self.first_import = not imported(Post, self.source).exists()

    # People ----------------------------------------------------------------------------------

    def users(self) -> None:
        total = self.dump.count_rows("Users.xml")
        done = 0
        for batch in in_batches(self.dump.users()):
            identities = [self._identity(u) for u in batch]
            _, created, updated, same = identities_ensure(self.source, identities, EMAIL_DOMAIN)
            self.summary.add("people", "created", created)
            self.summary.add("people", "updated", updated)
            self.summary.add("people", "unchanged", same)
            done += len(batch)
            self._keep_statistics_fresh(done)
            self.progress("Users.xml", done, total)

    def _identity(self, user: SEUser) -> Identity:
        return Identity(
            external_id=str(user.source_id),
            display_name=user.display_name[:200],
            profile_url=f"{self.site_url}/users/{user.source_id}",
        )

    # Posts -----------------------------------------------------------------------------------

    def _batches(self, file: str, table: str) -> Iterator[list[Any]]:
        """Batches of a file's records: from a second process for big files (parsing then
        overlaps with writing), in this one for small ones (a process start costs more)."""
        if self.dump.count_rows(file) >= PREFETCH_FROM_ROWS:
            return prefetched(table, self.dump.root, BATCH)
        return (list(b) for b in in_batches(stackexchange_table(table, self.dump.root)))

    def posts(self) -> None:
        total = self.dump.count_rows("Posts.xml")
        done = 0
        skipped: dict[int, int] = {}
        for items in self._batches("Posts.xml", "posts"):
            batch = [item for item in items if isinstance(item, tuple)]
            for item in items:
                if isinstance(item, dict):
                    skipped = item
            # Questions first: an answer's question may be in the same batch.
            self._post_batch([p for p in batch if p[0].kind == "question"])
            self._post_batch([p for p in batch if p[0].kind == "answer"])
            self._stage_accepted([post for post, _ in batch])
            done += len(batch)
            self._keep_statistics_fresh(done)
            self.progress("Posts.xml", done, total)
        for type_id, n in skipped.items():
            self.summary.skip(f"posts of type {type_id} (not a question or an answer)", n)
        began = time.perf_counter()
        self._count_answers()
        self.summary.stage_seconds["count_answers"] = time.perf_counter() - began
        began = time.perf_counter()
        self._accept_answers()
        self.summary.stage_seconds["accept_answers"] = time.perf_counter() - began

    def _keep_statistics_fresh(self, rows_done: int) -> None:
        """On PostgreSQL, ANALYZE the tables this import looks rows up in as they grow (at
        10,000 rows of a file, then each time the count triples).

        Statistics are not updated by inserts, so midway through a million-row import the
        planner still believes the tables hold a few thousand rows and answers each batch's
        lookup by source id with a sequential scan: the import turns quadratic. ANALYZE in
        the import's own transaction counts its own new rows.
        """
        if connection.vendor != "postgresql" or rows_done < self.analyze_at:
            return
        self.analyze_at = rows_done * 3
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE qa_post, qa_comment, qa_vote, qa_postlink, people_externalidentity"
            )

    def _people(self, source_ids: Iterable[int | None]) -> dict[str, Resolved]:
        """Authors by source id, through a bounded cache: a site's people post many times."""
        wanted = {str(i) for i in source_ids if i is not None}
        missing = [i for i in wanted if i not in self.people_cache]
        if missing:
            if len(self.people_cache) > PEOPLE_CACHE_LIMIT:
                self.people_cache.clear()
            self.people_cache.update(identity_map(self.source, missing))
        return self.people_cache

    def _existing(self, model: type[Post] | type[Comment], ids: list[str], *fields: str) -> Any:
        """Rows already imported, by source id; no query at all on a first import."""
        if self.first_import:
            return {}
        return {
            row[1]: row
            for row in imported(model, self.source)
            .filter(source_id__in=ids)
            .values_list("pk", "source_id", *fields)
        }

    def _post_batch(self, prepared: Sequence[tuple[SEPost, str]]) -> None:
        if not prepared:
            return
        people = self._people(post.owner_source_id for post, _ in prepared)
        parents = source_map(
            Post,
            self.source,
            (str(p.parent_source_id) for p, _ in prepared if p.parent_source_id is not None),
        )
        existing = self._existing(Post, [str(p.source_id) for p, _ in prepared], *POST_FIELDS)
        new: list[tuple[object, ...]] = []
        new_tags: dict[str, tuple[str, ...]] = {}
        changed: list[Post] = []
        for record, body_html in prepared:
            kind = "questions" if record.kind == "question" else "answers"
            question_id = None
            if record.kind == "answer":
                question_id = parents.get(str(record.parent_source_id))
                if question_id is None:
                    self.summary.reject(kind, "its question is not in the dump")
                    continue
            owner = people.get(str(record.owner_source_id))
            source_id = str(record.source_id)
            row = existing.get(source_id)
            if row is None:
                new.append(self._post_row(record, body_html, question_id, owner))
                if record.tags:
                    new_tags[source_id] = record.tags
                self.summary.add(kind, "created")
                continue
            fields = self._post_fields(record, body_html, owner)
            if tuple(row[2:]) != fields:
                values = dict(zip(POST_FIELDS, fields, strict=True))
                author = (owner.name if owner else record.owner_display_name)[:200]
                changed.append(
                    Post(
                        pk=row[0],
                        last_activity_at=record.last_activity_at or record.created_at,
                        source_author=author,
                        **values,
                    )
                )
                self.summary.add(kind, "updated")
            else:
                self.summary.add(kind, "unchanged")
        fast_insert(Post, POST_COLUMNS, new)
        if changed:
            Post.objects.bulk_update(changed, POST_UPDATE_FIELDS)
        if new_tags:
            post_ids = source_map(Post, self.source, new_tags)
            tag_ids = self.tags.resolve(t for tags in new_tags.values() for t in tags)
            fast_insert(
                PostTag,
                ("post_id", "tag_id"),
                [
                    (post_ids[sid], tag_ids[t[:50]])
                    for sid, tags in new_tags.items()
                    for t in dict.fromkeys(tags)
                ],
            )

    def _post_fields(
        self, record: SEPost, body_html: str, owner: Resolved | None
    ) -> tuple[object, ...]:
        """What a rerun compares with the stored post (POST_FIELDS, in order)."""
        return (
            record.title[:300],
            body_html,
            record.score,
            max(0, record.view_count),
            record.closed_at if record.kind == "question" else None,
            record.last_edited_at,
            owner.person_id if owner else None,
        )

    def _post_row(
        self, record: SEPost, body_html: str, question_id: int | None, owner: Resolved | None
    ) -> tuple[object, ...]:
        """A new post as a row of POST_COLUMNS, built directly: this runs a million times."""
        is_question = record.kind == "question"
        when = self.when
        return (
            PostKind.QUESTION if is_question else PostKind.ANSWER,
            self.community.pk,
            question_id,
            owner.person_id if owner else None,
            record.title[:300],
            "",
            BodyFormat.HTML,
            body_html,
            record.score,
            0,
            max(0, record.view_count),
            when(record.closed_at) if is_question else None,
            when(record.created_at),
            when(record.last_edited_at),
            when(record.last_activity_at or record.created_at),
            self.source,
            str(record.source_id),
            f"{self.site_url}/{'q' if is_question else 'a'}/{record.source_id}",
            (owner.name if owner else record.owner_display_name)[:200],
            licence_for(record.created_at),
        )

    def _count_answers(self) -> None:
        self.progress("Counting answers", 0, 0)
        answers = (
            Post.objects.filter(question=OuterRef("pk"))
            .order_by()
            .values("question")
            .annotate(n=Count("pk"))
            .values("n")
        )
        imported(Post, self.source).filter(kind=PostKind.QUESTION).update(
            answer_count=Coalesce(Subquery(answers), Value(0))
        )

    def _stage_accepted(self, batch: Sequence[SEPost]) -> None:
        pairs = [
            (str(q.source_id), str(q.accepted_answer_source_id))
            for q in batch
            if q.kind == "question" and q.accepted_answer_source_id is not None
        ]
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {STAGING} VALUES (%s, %s)", pairs)  # noqa: S608

    def _accept_answers(self) -> None:
        """Accepted answers come after their questions in the file: their pairs of source
        ids wait in a temporary table and are linked by one statement at the end."""
        self.progress("Accepted answers", 0, 0)
        pairs_sql = (
            f"SELECT q.id, a.id FROM {STAGING} t"  # noqa: S608
            " JOIN qa_post q ON q.source = %s AND NOT (q.source = '') AND q.source_id = t.question"
            " JOIN qa_post a ON a.source = %s AND NOT (a.source = '') AND a.source_id = t.answer"
            " WHERE q.accepted_answer_id IS NULL OR q.accepted_answer_id <> a.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(pairs_sql, [self.source, self.source])
            while changes := cursor.fetchmany(BATCH):
                with connection.cursor() as writer:
                    writer.executemany(
                        "UPDATE qa_post SET accepted_answer_id = %s WHERE id = %s",
                        [(answer, question) for question, answer in changes],
                    )
            cursor.execute(f"SELECT COUNT(*) FROM {STAGING}")  # noqa: S608
            staged = cursor.fetchone()[0]
        linked = imported(Post, self.source).filter(accepted_answer__isnull=False).count()
        self.summary.skip("accepted answers linked", linked)
        if staged > linked:
            self.summary.skip("accepted answers missing from the dump", staged - linked)

    # Comments, votes, links --------------------------------------------------------------------

    def comments(self) -> None:
        total = self.dump.count_rows("Comments.xml")
        done = 0
        for batch in self._batches("Comments.xml", "comments"):
            self._comment_batch(batch)
            done += len(batch)
            self._keep_statistics_fresh(done)
            self.progress("Comments.xml", done, total)

    def _comment_batch(self, batch: Sequence[SEComment]) -> None:
        posts = source_map(Post, self.source, (str(c.post_source_id) for c in batch))
        people = self._people(c.user_source_id for c in batch)
        existing = {
            sid: (row[2], row[3])
            for sid, row in self._existing(
                Comment, [str(c.source_id) for c in batch], "body", "author_id"
            ).items()
        }
        new: list[tuple[object, ...]] = []
        changed: list[tuple[str, str, int | None]] = []
        for record in batch:
            post_id = posts.get(str(record.post_source_id))
            if post_id is None:
                self.summary.reject("comments", "its post is not a question or answer of the dump")
                continue
            person = people.get(str(record.user_source_id))
            author_id = person.person_id if person else None
            source_id = str(record.source_id)
            before = existing.get(source_id)
            if before is None:
                new.append(
                    (
                        post_id,
                        author_id,
                        record.text,
                        # Short plain text in the dump: escaped, never interpreted.
                        html.escape(record.text),
                        self.when(record.created_at),
                        self.source,
                        source_id,
                        (person.name if person else record.user_display_name)[:200],
                    )
                )
                self.summary.add("comments", "created")
            elif before != (record.text, author_id):
                changed.append((source_id, record.text, author_id))
                self.summary.add("comments", "updated")
            else:
                self.summary.add("comments", "unchanged")
        fast_insert(Comment, COMMENT_COLUMNS, new)
        for source_id, text, author_id in changed:
            imported(Comment, self.source).filter(source_id=source_id).update(
                body=text, body_html=html.escape(text), author_id=author_id
            )

    def votes(self) -> None:
        total = self.dump.count_rows("Votes.xml")
        done = 0
        for batch in self._batches("Votes.xml", "votes"):
            self._vote_batch(batch)
            done += len(batch)
            self._keep_statistics_fresh(done)
            self.progress("Votes.xml", done, total)

    def _vote_batch(self, batch: Sequence[SEVote]) -> None:
        wanted = [v for v in batch if v.vote_type_id in VOTE_VALUES]
        for vote in batch:
            if vote.vote_type_id not in VOTE_VALUES:
                self.summary.skip(f"votes of type {vote.vote_type_id} (not up or down)")
        posts = source_map(Post, self.source, (str(v.post_source_id) for v in wanted))
        existing = (
            set()
            if self.first_import
            else set(
                imported(Vote, self.source)
                .filter(source_id__in=[str(v.source_id) for v in wanted])
                .values_list("source_id", flat=True)
            )
        )
        new: list[tuple[object, ...]] = []
        for record in wanted:
            post_id = posts.get(str(record.post_source_id))
            if post_id is None:
                self.summary.reject("votes", "its post is not a question or answer of the dump")
            elif str(record.source_id) in existing:
                self.summary.add("votes", "unchanged")  # a vote never changes
            else:
                new.append(
                    (
                        post_id,
                        VOTE_VALUES[record.vote_type_id],
                        self.when(record.created_at),
                        self.source,
                        str(record.source_id),
                    )
                )
                self.summary.add("votes", "created")
        fast_insert(Vote, ("post_id", "value", "created_at", "source", "source_id"), new)

    def links(self) -> None:
        total = self.dump.count_rows("PostLinks.xml")
        done = 0
        for batch in in_batches(self.dump.post_links()):
            self._link_batch(batch)
            done += len(batch)
            self._keep_statistics_fresh(done)
            self.progress("PostLinks.xml", done, total)

    def _link_batch(self, batch: Sequence[SEPostLink]) -> None:
        wanted = [link for link in batch if link.link_type_id in LINK_KINDS]
        for link in batch:
            if link.link_type_id not in LINK_KINDS:
                self.summary.skip(f"links of type {link.link_type_id}")
        posts = source_map(
            Post,
            self.source,
            [str(x.post_source_id) for x in wanted]
            + [str(x.related_post_source_id) for x in wanted],
        )
        existing = set(
            imported(PostLink, self.source)
            .filter(source_id__in=[str(x.source_id) for x in wanted])
            .values_list("source_id", flat=True)
        )
        new, duplicates = [], []
        for record in wanted:
            from_id = posts.get(str(record.post_source_id))
            to_id = posts.get(str(record.related_post_source_id))
            if from_id is None or to_id is None or from_id == to_id:
                self.summary.reject("links", "a linked post is not in the dump")
                continue
            kind = LINK_KINDS[record.link_type_id]
            if str(record.source_id) in existing:
                self.summary.add("links", "unchanged")
                continue
            new.append(
                PostLink(
                    from_post_id=from_id,
                    to_post_id=to_id,
                    kind=kind,
                    created_at=record.created_at,
                    source=self.source,
                    source_id=str(record.source_id),
                )
            )
            if kind == LinkKind.DUPLICATE:
                duplicates.append((from_id, to_id))
            self.summary.add("links", "created")
        # Two rows of the dump can link the same pair: the database keeps one.
        PostLink.objects.bulk_create(new, ignore_conflicts=True)
        for from_id, to_id in duplicates:
            Post.objects.filter(pk=from_id, kind=PostKind.QUESTION).update(duplicate_of_id=to_id)

    def tag_names(self) -> None:
        names = [t.name for t in self.dump.tags() if t.name]
        for batch in in_batches(names):
            self.tags.resolve(batch)


@contextmanager
def _staging_table() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (question varchar(64), answer varchar(64))"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")


@contextmanager
def _bigger_page_cache(rows: int) -> Iterator[None]:
    """For big imports on SQLite, a 128 MiB page cache instead of the default 2 MiB: the
    indexes outgrow the small one and every insert goes back to the file (11% faster at
    300,000 posts, measured). Bounded, so memory stays flat; restored afterwards."""
    if connection.vendor != "sqlite" or rows < BIG_IMPORT_ROWS:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{BIG_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def import_stackexchange(
    root: Path,
    *,
    community_slug: str | None = None,
    progress: Progress = no_progress,
    steps: Iterable[str] = ("users", "tag_names", "posts", "comments", "votes", "links"),
) -> Summary:
    """Import a dump folder; raises ImportFileError (database untouched) on a broken file."""
    started = time.perf_counter()
    dump = StackExchangeDump(root)
    summary = Summary()
    rows = dump.count_rows("Posts.xml")
    with _bigger_page_cache(rows), transaction.atomic(), _staging_table():
        community = site_community(dump, community_slug)
        job = StackExchangeImport(dump, community, summary, progress)
        for step in steps:
            began = time.perf_counter()
            getattr(job, step)()
            summary.stage_seconds[step] = time.perf_counter() - began
        documents_index_new_after_commit()
        evidence_rebuild_after_commit()
        insights_rebuild_after_commit()
    summary.seconds = time.perf_counter() - started
    return summary
