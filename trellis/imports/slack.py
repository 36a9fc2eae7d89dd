"""Import a Slack export (folder or zip): public channels become communities, threads that ask
for help become questions with their replies as answers, other threads conversations.

People are matched to existing accounts by email; the rest become identities that cannot sign
in. Bot and system messages are left out (and counted). Private channels and direct messages
are not in the reader's view at all. One transaction: a broken file changes nothing.
"""

import time
from pathlib import Path

from django.db import transaction

from trellis.core.text import html_to_text, render_markdown
from trellis.expertise.services.evidence import evidence_rebuild_after_commit
from trellis.imports.chat import ChatMessage, ChatThread, ThreadWriter, community_for, title_from
from trellis.imports.records import SlackChannel, SlackMessage, SlackThread, SlackUser
from trellis.imports.slack_reader import SlackExport, looks_like_question, message_to_markdown
from trellis.imports.summary import Progress, Summary, no_progress
from trellis.imports.writing import Identity, Resolved, identities_ensure, imported
from trellis.insights.tasks import insights_rebuild_after_commit
from trellis.qa.models import BodyFormat, Post, PostKind
from trellis.search.models import DocKind
from trellis.search.services import documents_index_after_commit, documents_index_new_after_commit

SOURCE = "slack"
EMAIL_DOMAIN = "slack.invalid"


def _reindex_if_edited(outcome: str, thread: ChatThread) -> None:
    """New threads are indexed with the rest of the import; an edited one already has
    documents, which must follow the edit."""
    if outcome == "updated" and thread.is_question:
        question = imported(Post, SOURCE).filter(kind=PostKind.QUESTION, source_id=thread.source_id)
        documents_index_after_commit(
            kind=DocKind.QUESTION, ids=question.values_list("pk", flat=True)
        )


def _identity(user: SlackUser) -> Identity:
    return Identity(
        external_id=user.source_id,
        display_name=(user.real_name or user.display_name or user.handle or user.source_id)[:200],
        email=user.email or "",
    )


class SlackImport:
    def __init__(self, export: SlackExport, summary: Summary, progress: Progress) -> None:
        self.export = export
        self.summary = summary
        self.progress = progress
        self.writer = ThreadWriter(SOURCE, summary)
        self.people: dict[str, Resolved] = {}
        self.handles: dict[str, str] = {}

    def users(self) -> None:
        users = list(self.export.users())
        people = [u for u in users if not u.is_bot]
        self.summary.skip("bot accounts", len(users) - len(people))
        found, created, updated, same = identities_ensure(
            SOURCE, [_identity(u) for u in people], EMAIL_DOMAIN
        )
        self.people.update(found)
        self.handles = {u.source_id: u.handle or u.display_name for u in users}
        self.summary.add("people", "created", created)
        self.summary.add("people", "updated", updated)
        self.summary.add("people", "unchanged", same)

    def _author(self, message: SlackMessage) -> Resolved | None:
        if message.user_id is None:
            return None
        if message.user_id not in self.people:  # not in users.json: still somebody
            name = message.username or f"Slack user {message.user_id}"
            found, created, _, _ = identities_ensure(
                SOURCE, [Identity(external_id=message.user_id, display_name=name)], EMAIL_DOMAIN
            )
            self.people.update(found)
            self.summary.add("people", "created", created)
            self.summary.skip("authors missing from users.json", 1)
        return self.people.get(message.user_id)

    def _message(self, channel: SlackChannel, message: SlackMessage) -> ChatMessage:
        markdown = message_to_markdown(message.text, self.handles)
        author = self._author(message)
        return ChatMessage(
            source_id=f"{channel.source_id}:{message.ts}",
            author=author,
            author_name=message.username or (author.name if author else ""),
            body=markdown,
            body_format=BodyFormat.MARKDOWN,
            body_html=render_markdown(markdown),
            created_at=message.created_at,
            edited_at=message.edited_at,
        )

    def channel(self, channel: SlackChannel) -> None:
        community = community_for(
            channel.name,
            purpose=channel.purpose or channel.topic,
            origin=f"Slack #{channel.name}",
            archived=channel.is_archived,
        )
        for thread in self.export.threads(channel):
            self._thread(community, channel, thread)

    def _thread(self, community: object, channel: SlackChannel, thread: SlackThread) -> None:
        people = [m for m in (thread.root, *thread.replies) if not m.is_bot]
        self.summary.skip("bot messages", 1 + len(thread.replies) - len(people))
        if not people:
            return
        messages = tuple(self._message(channel, m) for m in people)
        root = people[0]
        text = html_to_text(messages[0].body_html)
        chat = ChatThread(
            source_id=f"{channel.source_id}:{root.thread_ts or root.ts}",
            title=title_from(text, f"#{channel.name}"),
            is_question=looks_like_question(root.text),
            messages=messages,
        )
        _reindex_if_edited(self.writer.write(community, chat), chat)  # type: ignore[arg-type]


def import_slack(path: Path, *, progress: Progress = no_progress) -> Summary:
    started = time.perf_counter()
    summary = Summary()
    with SlackExport(path) as export, transaction.atomic():
        job = SlackImport(export, summary, progress)
        job.users()
        channels = list(export.channels())
        for done, channel in enumerate(channels, start=1):
            job.channel(channel)
            progress("Channels", done, len(channels))
        for subtype, n in export.skipped.items():
            summary.skip(f"messages of subtype {subtype}", n)
        documents_index_new_after_commit()
        evidence_rebuild_after_commit()
        insights_rebuild_after_commit()
    summary.seconds = time.perf_counter() - started
    return summary
