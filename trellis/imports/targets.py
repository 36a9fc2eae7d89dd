"""The community an import writes into: named by the admin, or the one the import made for its
source the first time, never one that merely carries the name the source suggests."""

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from trellis.communities.models import Community
from trellis.imports.models import ImportedCommunity


def import_community(
    *,
    source: str,
    slug: str,
    defaults: dict[str, Any],
    explicit: Community | None = None,
    previous: Callable[[], int | None] = lambda: None,
) -> Community:
    """The community a source imports into, recorded so that a rerun finds it by the source.

    `explicit` (the community the admin named) wins and is remembered for the source. Else the
    one recorded for the source; else (an import made before the record existed) the one
    `previous` finds, e.g. where the source's posts are; else a new community, with `slug` or,
    when that is taken, `slug-2`, `slug-3`... A community somebody else made is never chosen
    because its slug matches.
    """
    if explicit is not None:
        ImportedCommunity.objects.update_or_create(source=source, defaults={"community": explicit})
        return explicit
    record = ImportedCommunity.objects.filter(source=source).select_related("community").first()
    if record is not None:
        return record.community
    found = previous()
    community = Community.objects.filter(pk=found).first() if found is not None else None
    if community is None:
        community = _community_with_free_slug(slug or "imported", defaults)
    ImportedCommunity.objects.create(source=source, community=community)
    return community


def _community_with_free_slug(base: str, defaults: dict[str, Any]) -> Community:
    taken = set(Community.objects.filter(slug__startswith=base[:80]).values_list("slug", flat=True))
    n = 1
    while True:
        suffix = "" if n == 1 else f"-{n}"
        slug = base[: 80 - len(suffix)].rstrip("-") + suffix
        if slug not in taken:
            try:
                with transaction.atomic():  # a concurrent import may take it first
                    return Community.objects.create(slug=slug, **defaults)
            except IntegrityError:
                taken.add(slug)
        n += 1
