"""Counting what an import did, per kind of thing."""

from collections.abc import Callable
from dataclasses import dataclass, field

KINDS = (
    "people",
    "questions",
    "answers",
    "comments",
    "votes",
    "links",
    "conversations",
    "messages",
)
OUTCOMES = ("created", "updated", "unchanged", "rejected")
# Distinct rejection reasons kept (each with its count); the rest are counted under one line.
MAX_REASONS = 100

# (stage, done, total): stage names a file or a step; total 0 means unknown.
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class Summary:
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: dict.fromkeys(OUTCOMES, 0) for k in KINDS}
    )
    # Why rows were rejected, a few examples per reason (the counts above are complete).
    reasons: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        """Count rows of a kind; an importer may count kinds of its own (Zulip's topics)."""
        self.counts.setdefault(kind, dict.fromkeys(OUTCOMES, 0))[outcome] += n

    def reject(self, kind: str, reason: str, n: int = 1) -> None:
        self.add(kind, "rejected", n)
        key = f"{kind}: {reason}"
        if key not in self.reasons and len(self.reasons) >= MAX_REASONS:
            key = f"{kind}: other reasons (not listed)"
        self.reasons[key] = self.reasons.get(key, 0) + n

    def skip(self, what: str, n: int = 1) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + n

    def changed(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.counts.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "reasons": self.reasons,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 2),
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()},
        }

    def lines(self) -> list[str]:
        rows = [f"{'':<10} {'created':>9} {'updated':>9} {'unchanged':>9} {'rejected':>9}"]
        for kind, c in self.counts.items():
            rows.append(
                f"{kind:<10} {c['created']:>9,} {c['updated']:>9,} "
                f"{c['unchanged']:>9,} {c['rejected']:>9,}"
            )
        rows += [f"rejected {key}: {n:,}" for key, n in sorted(self.reasons.items())]
        rows += [f"skipped {key}: {n:,}" for key, n in sorted(self.skipped.items())]
        return rows
