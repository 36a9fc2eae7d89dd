"""Import a zulip-archive folder: streams become communities, topics become questions (when
resolved, or when they open with a question) or conversations.

The archive names senders only by their full name, so people are identities keyed by that
name (an admin can link them to accounts). A resolved topic ("✔ ") gets its last reply by
someone other than the asker as the accepted answer: Zulip does not record which message
solved it.

The summary counts topics too: a topic listed in stream_index.json whose file is missing under
every spelling zulip-archive has used is a rejected row (its reason names the topic and the
file looked for) and the rest imports. A file that is there but broken (truncated or invalid
JSON, not UTF-8, over the size limit) stops the import: one transaction, nothing changes.
"""

import time
from pathlib import Path

from django.db import transaction

from trellis.core.text import html_to_text, sanitize_html
from trellis.expertise.services.evidence import evidence_rebuild_after_commit
from trellis.imports.chat import ChatMessage, ChatThread, ThreadWriter, community_for, title_from
from trellis.imports.records import ZulipMessage, ZulipStream, ZulipTopic
from trellis.imports.safety import MAX_JSON_BYTES
from trellis.imports.slack_reader import looks_like_question
from trellis.imports.summary import Progress, Summary, no_progress
from trellis.imports.writing import Identity, Resolved, identities_ensure, imported
from trellis.imports.zulip_reader import MissingTopicFile, ZulipArchive
from trellis.insights.tasks import insights_rebuild_after_commit
from trellis.qa.models import BodyFormat, Post, PostKind
from trellis.search.models import DocKind
from trellis.search.services import documents_index_after_commit, documents_index_new_after_commit

SOURCE = "zulip"
EMAIL_DOMAIN = "zulip.invalid"


def _reindex_if_edited(outcome: str, thread: ChatThread) -> None:
    """New threads are indexed with the rest of the import; an edited one already has
    documents, which must follow the edit."""
    if outcome == "updated" and thread.is_question:
        question = imported(Post, SOURCE).filter(kind=PostKind.QUESTION, source_id=thread.source_id)
        documents_index_after_commit(
            kind=DocKind.QUESTION, ids=question.values_list("pk", flat=True)
        )


class ZulipImport:
    def __init__(self, archive: ZulipArchive, summary: Summary) -> None:
        self.archive = archive
        self.summary = summary
        self.writer = ThreadWriter(SOURCE, summary)
        self.people: dict[str, Resolved] = {}

    def _people(self, messages: list[ZulipMessage]) -> None:
        names = sorted(
            {m.sender_full_name for m in messages if m.sender_full_name} - set(self.people)
        )
        if not names:
            return
        found, created, updated, same = identities_ensure(
            SOURCE, [Identity(external_id=n[:64], display_name=n) for n in names], EMAIL_DOMAIN
        )
        self.people.update({name: found[name[:64]] for name in names if name[:64] in found})
        self.summary.add("people", "created", created)
        self.summary.add("people", "updated", updated)
        self.summary.add("people", "unchanged", same)

    def topic(self, community: object, stream: ZulipStream, topic: ZulipTopic) -> None:
        try:
            messages = self.archive.messages(stream, topic)
        except MissingTopicFile as missing:
            self.summary.reject(
                "topics",
                f"topic {missing.topic!r} of stream {missing.stream!r} has no file "
                f"(looked for {missing.path})",
            )
            return
        if not messages:
            self.summary.skip("topics without messages")
            return
        self._people(messages)
        chat = tuple(
            ChatMessage(
                source_id=str(m.source_id),
                author=self.people.get(m.sender_full_name),
                author_name=m.sender_full_name,
                body=m.content_html,
                body_format=BodyFormat.HTML,
                body_html=sanitize_html(m.content_html),
                created_at=m.created_at,
            )
            for m in messages
        )
        first_text = html_to_text(messages[0].content_html)
        thread = ChatThread(
            source_id=f"{stream.source_id}:{topic.name}"[:128],
            title=title_from(topic.name, f"{stream.name} topic"),
            is_question=topic.resolved or looks_like_question(first_text),
            messages=chat,
            resolved=topic.resolved,
        )
        outcome = self.writer.write(community, thread)  # type: ignore[arg-type]
        _reindex_if_edited(outcome, thread)
        self.summary.add("topics", outcome)


def import_zulip(
    path: Path, *, progress: Progress = no_progress, max_json_bytes: int = MAX_JSON_BYTES
) -> Summary:
    started = time.perf_counter()
    summary = Summary()
    archive = ZulipArchive(path, max_json_bytes=max_json_bytes)
    with transaction.atomic():
        job = ZulipImport(archive, summary)
        streams = list(archive.streams())
        for done, stream in enumerate(streams, start=1):
            community = community_for(stream.name, purpose="", origin=f"Zulip #{stream.name}")
            for topic in stream.topics:
                job.topic(community, stream, topic)
            progress("Streams", done, len(streams))
        documents_index_new_after_commit()
        evidence_rebuild_after_commit()
        insights_rebuild_after_commit()
    summary.seconds = time.perf_counter() - started
    return summary
