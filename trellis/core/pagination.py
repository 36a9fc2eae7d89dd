"""Offset pagination shared by pages and the API: one count, one slice."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Model, QuerySet

T = TypeVar("T", bound=Model)

DEFAULT_PAGE_SIZE = 25
CACHE_COUNTS_FROM = 10_000
COUNT_CACHE_SECONDS = 60
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page[T: Model]:
    items: list[T]
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate[T: Model](
    queryset: QuerySet[T], *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> Page[T]:
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = queryset.count()
    last = max(1, -(-count // page_size))
    page = max(1, min(page, last))
    start = (page - 1) * page_size
    return Page(list(queryset[start : start + page_size]), count, page, page_size)


def paginate_list[T: Model](rows: list[T], *, page: int, page_size: int) -> Page[T]:
    """`core.pagination.paginate` for a list a selector already loaded."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = len(rows)
    last = max(1, -(-count // page_size))
    page = max(1, min(page, last))
    start = (page - 1) * page_size
    return Page(rows[start : start + page_size], count, page, page_size)


def paginate_keys[T: Model](
    queryset: QuerySet[T],
    *,
    load: Callable[[list[int]], QuerySet[T]],
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    count_key: str = "",
) -> Page[T]:
    """`paginate`, finding the page's primary keys first and loading the rows after.

    A sorted page over a big table is fast on its own index; joined to the tables the page
    shows (authors, communities), planners (SQLite's especially) may pick another index and
    sort everything. Keys first keeps the fast plan; `load` fetches the rows with their joins.

    With `count_key`, a large total is cached for a minute: counting 350,000 questions takes
    tens of milliseconds on every page view, and "Page 3 of 14,015" may lag a minute.
    """
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = cache.get(count_key) if count_key else None
    if count is None:
        count = queryset.count()
        if count_key and count >= CACHE_COUNTS_FROM:
            cache.set(count_key, count, COUNT_CACHE_SECONDS)
    last = max(1, -(-count // page_size))
    page = max(1, min(page, last))
    start = (page - 1) * page_size
    keys = list(queryset.values_list("pk", flat=True)[start : start + page_size])
    rows = {row.pk: row for row in load(keys)}
    return Page([rows[k] for k in keys if k in rows], count, page, page_size)
