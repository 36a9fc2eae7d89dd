"""Turning what a person typed into something the database's full-text engine accepts.

Only word characters survive: FTS5 and tsquery syntax (quotes, operators, parentheses, column
filters, NEAR, `:*`) can never reach the engine, whatever is typed. Very long input is cut to
its first terms. Common English words are dropped unless nothing else is left.
"""

import re
from dataclasses import dataclass

MAX_TERMS = 24
MAX_TERM_CHARS = 48
_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself get got use using way ways want
    need anyone someone know
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Terms:
    words: tuple[str, ...]
    prefix_last: bool = False  # as-you-type: the last word may be unfinished

    def __bool__(self) -> bool:
        return bool(self.words)

    def fts5(self) -> str:
        """An FTS5 MATCH expression: any of the words (BM25 ranks those with more first)."""
        parts = [f'"{w}"' for w in self.words]
        if self.prefix_last and parts:
            parts[-1] += "*"
        return " OR ".join(parts)

    def fts5_all(self) -> str:
        """All of the words (no ranking: see lexical.plan's newest-first case)."""
        parts = [f'"{w}"' for w in self.words]
        if self.prefix_last and parts:
            parts[-1] += "*"
        return " AND ".join(parts)

    def tsquery_all(self) -> str:
        parts = list(self.words)
        if self.prefix_last and parts:
            parts[-1] += ":*"
        return " & ".join(parts)

    def tsquery(self) -> str:
        """A to_tsquery('english', …) expression with the same meaning."""
        parts = list(self.words)
        if self.prefix_last and parts:
            parts[-1] += ":*"
        return " | ".join(parts)


def parse(text: str, *, prefix_last: bool = False) -> Terms:
    words = [w[:MAX_TERM_CHARS] for w in _WORD.findall(text.lower()[:4000])]
    words = [w.replace("_", " ").strip() for w in words]
    words = [part for w in words for part in w.split()]  # tsquery splits on "_" anyway
    kept = [w for w in words if w not in STOPWORDS] or words
    unique = tuple(dict.fromkeys(kept))[:MAX_TERMS]
    ends_in_word = bool(text) and (text[-1].isalnum())
    return Terms(unique, prefix_last=prefix_last and ends_in_word)
