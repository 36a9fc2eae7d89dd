"""What Slack and Zulip imports share: a chat thread becomes a question with answers when it
asks for help, a conversation otherwise; a channel or stream becomes a community.

Everything is keyed by source ids, so importing the same export again changes only what was
edited since.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from trellis.communities.models import Community, Status
from trellis.imports.summary import Summary
from trellis.imports.writing import Resolved, imported
from trellis.qa.models import Conversation, Message, Post, PostKind

TITLE_MAX = 120


@dataclass(frozen=True)
class ChatMessage:
    source_id: str
    author: Resolved | None
    author_name: str
    body: str  # as the source has it (Markdown for Slack, HTML for Zulip)
    body_format: str
    body_html: str  # sanitised
    created_at: datetime
    edited_at: datetime | None = None


@dataclass(frozen=True)
class ChatThread:
    source_id: str
    title: str
    is_question: bool
    messages: tuple[ChatMessage, ...]  # the first one opens the thread
    resolved: bool = False  # Zulip's ✔ topics: the last helper's reply solved it


def title_from(text: str, fallback: str) -> str:
    """The first line of a message, cut at a word, as a title."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = " ".join(line.split())
    if len(line) > TITLE_MAX:
        line = line[:TITLE_MAX].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
    return line if len(line) >= 10 else f"{line} ({fallback})".strip() if line else fallback


def community_for(name: str, *, purpose: str, origin: str, archived: bool = False) -> Community:
    """The community a channel or stream maps to: the one with its slug, or a new one."""
    slug = slugify(name)[:80] or "imported"
    community, _ = Community.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name[:120],
            "domain": (purpose or f"Imported from {origin}.")[:2000],
            "status": Status.ARCHIVED if archived else Status.GROWING,
        },
    )
    return community


class ThreadWriter:
    def __init__(self, source: str, summary: Summary) -> None:
        self.source = source
        self.summary = summary

    def write(self, community: Community, thread: ChatThread) -> str:
        """Write the thread; returns "created" when it is new, else "updated" when anything in
        it changed, else "unchanged"."""
        changed = self.summary.changed()
        if thread.is_question:
            created = self._question(community, thread)
        else:
            created = self._conversation(community, thread)
        if created:
            return "created"
        return "updated" if self.summary.changed() > changed else "unchanged"

    # Questions -------------------------------------------------------------------------------

    def _question(self, community: Community, thread: ChatThread) -> bool:
        root, replies = thread.messages[0], thread.messages[1:]
        question, created = self._post(
            "questions",
            thread.source_id,
            community,
            root,
            kind=PostKind.QUESTION,
            title=thread.title[:300],
        )
        answers = [
            self._post(
                "answers",
                reply.source_id,
                community,
                reply,
                kind=PostKind.ANSWER,
                question=question,
            )[0]
            for reply in replies
        ]
        counted = (
            Post.objects.filter(question=OuterRef("pk"))
            .order_by()
            .values("question")
            .annotate(n=Count("pk"))
            .values("n")
        )
        last = max((m.created_at for m in thread.messages), default=root.created_at)
        Post.objects.filter(pk=question.pk).update(
            answer_count=Coalesce(Subquery(counted), Value(0)), last_activity_at=last
        )
        if thread.resolved and question.accepted_answer_id is None:
            helpers = [a for a in answers if a.author_id != question.author_id]
            if helpers:
                Post.objects.filter(pk=question.pk).update(accepted_answer=helpers[-1])
        return created

    def _post(
        self,
        kind_name: str,
        source_id: str,
        community: Community,
        message: ChatMessage,
        *,
        kind: str,
        title: str = "",
        question: Post | None = None,
    ) -> tuple[Post, bool]:
        """The post and whether it was created."""
        values = {
            "kind": kind,
            "community": community,
            "question": question,
            "author_id": message.author.person_id if message.author else None,
            "title": title,
            "body": message.body,
            "body_format": message.body_format,
            "body_html": message.body_html,
            "created_at": message.created_at,
            "edited_at": message.edited_at,
            "last_activity_at": message.created_at,
            "source_author": (message.author.name if message.author else message.author_name)[:200],
        }
        existing = imported(Post, self.source).filter(source_id=source_id).first()
        if existing is None:
            self.summary.add(kind_name, "created")
            return Post.objects.create(source=self.source, source_id=source_id, **values), True
        changed = [f for f in ("title", "body", "edited_at") if getattr(existing, f) != values[f]]
        if changed:
            for field, value in values.items():
                setattr(existing, field, value)
            existing.save()
            self.summary.add(kind_name, "updated")
        else:
            self.summary.add(kind_name, "unchanged")
        return existing, False

    # Conversations ---------------------------------------------------------------------------

    def _conversation(self, community: Community, thread: ChatThread) -> bool:
        root = thread.messages[0]
        conversation, created = Conversation.objects.get_or_create(
            source=self.source,
            source_id=thread.source_id,
            defaults={
                "community": community,
                "title": thread.title[:300],
                "started_by_id": root.author.person_id if root.author else None,
                "created_at": root.created_at,
            },
        )
        if created:
            self.summary.add("conversations", "created")
        elif conversation.title != thread.title[:300]:
            conversation.title = thread.title[:300]
            conversation.save(update_fields=["title"])
            self.summary.add("conversations", "updated")
        else:
            self.summary.add("conversations", "unchanged")
        existing = {
            m.source_id: m
            for m in Message.objects.filter(
                source=self.source, source_id__in=[m.source_id for m in thread.messages]
            )
        }
        new = []
        for message in thread.messages:
            row = existing.get(message.source_id)
            if row is None:
                new.append(
                    Message(
                        conversation=conversation,
                        author_id=message.author.person_id if message.author else None,
                        author_name=(
                            message.author.name if message.author else message.author_name
                        )[:200],
                        body=message.body,
                        body_html=message.body_html,
                        created_at=message.created_at,
                        edited_at=message.edited_at,
                        source=self.source,
                        source_id=message.source_id,
                    )
                )
                self.summary.add("messages", "created")
            elif (row.body, row.edited_at) != (message.body, message.edited_at):
                row.body, row.body_html, row.edited_at = (
                    message.body,
                    message.body_html,
                    message.edited_at,
                )
                row.save(update_fields=["body", "body_html", "edited_at"])
                self.summary.add("messages", "updated")
            else:
                self.summary.add("messages", "unchanged")
        Message.objects.bulk_create(new)
        Conversation.objects.filter(pk=conversation.pk).update(
            message_count=Message.objects.filter(conversation=conversation).count(),
            last_activity_at=max(m.created_at for m in thread.messages),
        )
        return created
