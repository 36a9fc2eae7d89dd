"""Ask the Expert: questions and answers (one table, as Stack Exchange keeps them), comments,
votes, revisions, links between questions, follows and thanks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PostKind(models.TextChoices):
    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    HTML = "html", "HTML (imported)"


class Post(models.Model):
    """A question or an answer.

    One table keeps comments, votes and revisions pointing at one place, and imports from Stack
    Exchange map one to one. `body_html` is rendered and sanitised when the post is written.
    Imported posts keep their source id (idempotent re-imports) and the attribution their
    licence requires.
    """

    kind = models.CharField(max_length=10, choices=PostKind.choices)
    # Null community: an organisation-wide question, visible to everyone signed in.
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="posts",
    )
    # Foreign keys whose lookups an index below already serves get no index of their own:
    # every index costs each imported row a B-tree insert.
    question = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="answers",
        db_index=False,  # answer_by_question
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
        db_index=False,  # post_by_author
    )
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    body_format = models.CharField(
        max_length=10, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN
    )
    body_html = models.TextField(blank=True)
    tags = models.ManyToManyField("core.Tag", through="PostTag", related_name="posts")
    score = models.IntegerField(default=0)
    answer_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    accepted_answer = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # post_accepted, partial
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        db_index=False,  # post_duplicate_of, partial
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    source_url = models.URLField(max_length=300, blank=True)
    source_author = models.CharField(max_length=200, blank=True)
    license = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PostKind.values), name="post_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=PostKind.ANSWER, question__isnull=False)
                | Q(kind=PostKind.QUESTION, question__isnull=True),
                name="post_answers_have_a_question",
            ),
            models.CheckConstraint(
                condition=Q(body_format__in=BodyFormat.values), name="post_body_format_valid"
            ),
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="post_source_unique",
            ),
        ]
        indexes = [
            # The community lists: newest, active, votes, unanswered. Each index repeats the
            # columns its condition tests: SQLite does not infer them from the condition and
            # would otherwise read every row to check them (a count of a big community's
            # questions then reads the whole table).
            models.Index(
                fields=["community", "kind", "-created_at"],
                condition=Q(kind="question"),
                name="question_newest",
            ),
            models.Index(
                fields=["community", "kind", "-last_activity_at"],
                condition=Q(kind="question"),
                name="question_active",
            ),
            models.Index(
                fields=["community", "kind", "-score", "-created_at"],
                condition=Q(kind="question"),
                name="question_votes",
            ),
            models.Index(
                fields=["community", "kind", "answer_count", "closed_at", "-created_at"],
                condition=Q(kind="question", answer_count=0, closed_at__isnull=True),
                name="question_unanswered",
            ),
            # Every question the viewer may see (the organisation-wide list).
            models.Index(
                fields=["kind", "-created_at"],
                condition=Q(kind="question"),
                name="question_newest_all",
            ),
            models.Index(
                fields=["kind", "-last_activity_at"],
                condition=Q(kind="question"),
                name="question_active_all",
            ),
            models.Index(fields=["question", "created_at"], name="answer_by_question"),
            models.Index(fields=["author", "-created_at"], name="post_by_author"),
            models.Index(
                fields=["accepted_answer"],
                condition=Q(accepted_answer__isnull=False),
                name="post_accepted",
            ),
            models.Index(
                fields=["duplicate_of"],
                condition=Q(duplicate_of__isnull=False),
                name="post_duplicate_of",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Answer {self.pk} to {self.question_id}"

    @property
    def is_question(self) -> bool:
        return self.kind == PostKind.QUESTION

    @property
    def thread_id(self) -> int:
        return int(self.pk if self.kind == PostKind.QUESTION else self.question_id or 0)


class PostTag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    tag = models.ForeignKey("core.Tag", on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "tag"], name="post_tag_unique")]
        indexes = [models.Index(fields=["tag", "post"], name="post_tag_by_tag")]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.tag_id}"


class Comment(models.Model):
    post = models.ForeignKey(
        Post,
        on_delete=models.CASCADE,
        related_name="comments",
        db_index=False,  # comment_by_post
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    body = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    source_author = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="comment_source_unique",
            )
        ]
        indexes = [models.Index(fields=["post", "created_at"], name="comment_by_post")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.post_id}"


class Vote(models.Model):
    """Up (+1) or down (-1). Imported votes are anonymous, as in Stack Exchange's dumps."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="votes",
    )
    value = models.SmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="vote_value_valid"),
            models.UniqueConstraint(
                fields=["post", "voter"],
                condition=Q(voter__isnull=False),
                name="vote_one_per_person",
            ),
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="vote_source_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value:+d} on {self.post_id}"


class Revision(models.Model):
    """A post as it was after each edit, the first one included."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    tags = models.CharField(max_length=400, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} r{self.number}"


class LinkKind(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate of"
    RELATED = "related", "Related to"


class PostLink(models.Model):
    """A question pointing at another: a duplicate (the target is the canonical one) or related."""

    from_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="links_out")
    to_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="link_kind_valid"),
            models.CheckConstraint(
                condition=~Q(from_post=models.F("to_post")), name="link_not_to_itself"
            ),
            models.UniqueConstraint(
                fields=["from_post", "to_post", "kind"], name="link_unique_per_kind"
            ),
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="link_source_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_post_id} {self.kind} {self.to_post_id}"


class Follow(models.Model):
    """Someone who wants to hear about new answers and comments on a question."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    question = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "question"], name="follow_unique"),
        ]
        indexes = [models.Index(fields=["question"], name="follow_by_question")]

    def __str__(self) -> str:
        return f"{self.person_id} follows {self.question_id}"


class Thanks(models.Model):
    """A thank-you for a post: gratitude is worth recording apart from votes."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="thanks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "thanks"
        constraints = [models.UniqueConstraint(fields=["person", "post"], name="thanks_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} thanks {self.post_id}"


class Conversation(models.Model):
    """A discussion that is not a question: kept from chat imports (Slack threads, Zulip
    topics) so the knowledge in them can be read, searched and promoted."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=300)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=80)
    source_id = models.CharField(max_length=128)
    source_url = models.URLField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="conversation_source")
        ]
        indexes = [
            models.Index(fields=["community", "-last_activity_at"], name="conversation_recent")
        ]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=80)
    source_id = models.CharField(max_length=128)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="message_source")
        ]
        indexes = [models.Index(fields=["conversation", "created_at"], name="message_in_order")]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.conversation_id}"
