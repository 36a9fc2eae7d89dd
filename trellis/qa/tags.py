"""What a tag on a question (or a library resource) may be, and how typed tags are cleaned."""

import re
from collections.abc import Iterable

from trellis.core.errors import Invalid

MAX_TAGS = 5
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.\-]{0,34}$")


def normalise_tags(raw: Iterable[str] | str) -> list[str]:
    """Stack Exchange style: lower case, words joined by '-', at most five, each checked."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    tags: list[str] = []
    for item in items:
        tag = "-".join(str(item).strip().lower().split())
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise Invalid(
                "A tag is not valid.",
                field_errors={
                    "tags": f"“{tag[:40]}” is not a tag: use up to 35 letters, digits, "
                    "and + # . - (no spaces)."
                },
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise Invalid("Too many tags.", field_errors={"tags": f"Use at most {MAX_TAGS} tags."})
    return tags
