"""Counting words the radar's and discovery's sentences share."""


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 question", "12 questions", "1,204 people" (`many` for irregular plurals)."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
