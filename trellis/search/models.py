"""The search index: one row per searchable thing, denormalised for retrieval.

Questions, answers, resources, people and communities each get a `Document` with the text to
match, the community that decides who may see it (null: everyone signed in), and its
embedding. Retrieval filters on `community` inside the query, so private content never enters
an outsider's candidates, scores or counts. The lexical index is the database's own: an FTS5
table on SQLite and a weighted tsvector with a GIN index on PostgreSQL (see migration 0001).
"""

from django.db import models
from django.utils import timezone

from trellis.core.hooks import ContentKind


class DocKind(models.TextChoices):
    """What the services announce in `hooks.content_changed`, as stored choices."""

    QUESTION = ContentKind.QUESTION.value, "Question"
    ANSWER = ContentKind.ANSWER.value, "Answer"
    RESOURCE = ContentKind.RESOURCE.value, "Resource"
    PERSON = ContentKind.PERSON.value, "Person"
    COMMUNITY = ContentKind.COMMUNITY.value, "Community"


class Document(models.Model):
    kind = models.CharField(max_length=10, choices=DocKind.choices)
    object_id = models.BigIntegerField()
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # For answers, the question (results link to the thread; suggestions group by it).
    parent_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    tags = models.CharField(max_length=600, blank=True)  # space-separated tag names
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # A small prior for ranking: votes, an accepted answer, a verified guide.
    quality = models.FloatField(default=0.0)
    # Of the embedded text: the vector is recomputed only when the text changed.
    content_hash = models.CharField(max_length=16, blank=True)
    embedding = models.BinaryField(null=True, blank=True)  # float16 unit vector
    embedding_model = models.CharField(max_length=60, blank=True)
    # MinHash of the text's word shingles (questions and resources): finds edited copies.
    minhash = models.BinaryField(null=True, blank=True)
    # When the vector was written: in-process vector caches fetch what changed since.
    embedded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_doc_unique")
        ]
        indexes = [
            models.Index(fields=["community", "kind"], name="search_doc_scope"),
            models.Index(fields=["embedding_model"], name="search_doc_model"),
            # With the id: a bulk load stamps a million vectors alike, and the cache's keyset
            # (embedded_at, id) > (t, n) must not scan them all on PostgreSQL.
            models.Index(fields=["embedded_at", "id"], name="search_doc_embedded_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title[:60]}"


class PairStatus(models.TextChoices):
    OPEN = "open", "Waiting for a curator"
    DISMISSED = "dismissed", "Not duplicates"
    MERGED = "merged", "Merged"


class DuplicatePair(models.Model):
    """Two documents (questions or resources) of one scope that look like the same knowledge.

    Found by MinHash (an edited copy: the same wording) or by embeddings (a rewrite: the same
    meaning in other words). A curator merges or dismisses them; a dismissed pair is never
    proposed again. Clusters in the curation queue are the connected open pairs.
    """

    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    first = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    wording = models.FloatField(null=True, blank=True)  # estimated Jaccard of shingles
    meaning = models.FloatField(null=True, blank=True)  # cosine of the embeddings
    status = models.CharField(max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN)
    found_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="search_pair_unique"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")),
                                   name="search_pair_ordered"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["community", "status"], name="search_pair_queue")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.status})"


class CommonTerm(models.Model):
    """A word stem that many documents contain, as the lexical index stems it.

    Ranking every match of such a word costs time in proportion to the corpus and buys
    little (its IDF is low), so retrieval leaves these out when the query has rarer words
    (see `lexical.plan`). Refreshed from the index itself (`vocabulary.refresh`) after bulk
    loads and daily; a stem missing here is rarer than `vocabulary.TRACKED_FROM` documents.
    """

    term = models.CharField(max_length=100, primary_key=True)
    documents = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.term}: {self.documents}"


class MergeRecord(models.Model):
    """What one merge of the curation queue changed, so that "Undo" restores exactly that.

    `changes` holds, per item touched, its state before and after (see
    `services.cluster_merge`): undo checks that each is still as the merge left it, so an edit
    made since is never silently overwritten, and a second undo finds `undone_at` set.
    """

    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    merged_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=500)  # what the success message said
    changes = models.JSONField(default=dict)
    pairs = models.ManyToManyField(DuplicatePair, related_name="+", blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"merge {self.pk}: {self.summary[:60]}"
