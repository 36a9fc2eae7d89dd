"""Named points where a lower app says what it just did, so that higher apps can do their part.

The layers run one way (see docs/ARCHITECTURE.md): qa may not import expertise or search, yet a
new answer must reach both. So qa declares a hook (`qa/hooks.py`) and calls it explicitly from
the service that did the work; expertise and search connect their handlers in their
`AppConfig.ready`. Unlike a model signal, a hook fires only where a service decides, with the
facts it names (a login saving `last_login` fires nothing), and a bulk writer that knows better
can call the higher app itself. Handlers run at once, inside the caller's transaction: one that
needs the data committed (a task) defers itself with `transaction.on_commit`.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Any


class Hook:
    """One such point. Handlers are called with the hook's keyword arguments, in the order
    they were connected (apps' order in INSTALLED_APPS)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> None:
        if handler not in self._handlers:  # ready() may run twice in tests
            self._handlers.append(handler)

    def __call__(self, **facts: Any) -> None:
        for handler in list(self._handlers):
            handler(**facts)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._handlers)} handlers)"


class ContentKind(StrEnum):
    """What search keeps a document of (search.models.DocKind takes its values from here)."""

    QUESTION = "question"
    ANSWER = "answer"
    RESOURCE = "resource"
    PERSON = "person"
    COMMUNITY = "community"


# What lower apps announce, each called by the service that did the work (facts in brackets).

content_changed = Hook("content_changed")
"""Rows search shows were written or deleted (kind: ContentKind, ids): search indexes them on
commit. Bulk writers (imports, the demo) sit above search and ask it directly instead."""

contributions_changed = Hook("contributions_changed")
"""These people's answers, acceptances or guides changed (person_ids): their expertise
evidence is refreshed on commit."""

question_asked = Hook("question_asked")
"""A question was stored (question_id): expertise routes it on commit."""

question_answered = Hook("question_answered")
"""Someone answered (question_id, person_id, at): if they were asked, the routing rounds stop."""

question_closed = Hook("question_closed")
"""A question was closed as a duplicate (question_id): no more routing rounds."""

community_visibility_changed = Hook("community_visibility_changed")
"""A community turned private or public (community_id): topics its questions helped learn for
everyone go in the same transaction, and are relearned on commit."""

vectors_refreshed = Hook("vectors_refreshed")
"""A run of embeddings finished (no facts): expertise relearns its topics from the vectors."""
