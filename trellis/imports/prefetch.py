"""Read and prepare records in a second process while this one writes to the database.

Parsing XML and sanitising HTML take about as long as the database writes; on two cores
running them side by side nearly halves an import. The queue holds a few batches only, so
memory stays flat. The child never touches the database (it is spawned, not forked, and
imports no Django model).
"""

import multiprocessing
import queue as queue_module
from collections.abc import Callable, Iterable, Iterator
from itertools import batched
from pathlib import Path
from typing import Any

from trellis.imports.safety import ImportFileError

DEPTH = 4  # batches in flight
POLL_SECONDS = 1.0


def _work(factory: Callable[[], Iterable[Any]], out: Any, size: int) -> None:
    try:
        for chunk in batched(factory(), size):
            out.put(("rows", list(chunk)))
        out.put(("done", None))
    except ImportFileError as error:
        out.put(("file-error", (error.path, error.reason, error.line)))
    except BaseException as error:  # report anything else instead of dying silently
        out.put(("error", f"{type(error).__name__}: {error}"))


def prefetched(factory: Callable[[], Iterable[Any]], size: int) -> Iterator[list[Any]]:
    """Batches of what `factory()` yields, produced in a child process.

    `factory` must be picklable: a module-level function, or a `functools.partial` of one.
    """
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=DEPTH)
    child = context.Process(target=_work, args=(factory, out, size), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, payload = out.get(timeout=POLL_SECONDS)
            except queue_module.Empty:
                if not child.is_alive():
                    raise RuntimeError("the reading process stopped unexpectedly") from None
                continue
            if kind == "rows":
                yield payload
            elif kind == "done":
                return
            elif kind == "file-error":
                path, reason, line = payload
                raise ImportFileError(path, reason, line)
            else:
                raise RuntimeError(f"reading the export failed: {payload}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        out.close()


# What the Stack Exchange import runs in the child -------------------------------------------


def stackexchange_posts(root: Path) -> Iterator[Any]:
    """Posts with their sanitised HTML, then the reader's count of skipped post types."""
    from trellis.core.text import sanitize_html
    from trellis.imports.stackexchange_reader import StackExchangeDump

    dump = StackExchangeDump(root)
    for post in dump.posts():
        yield post, sanitize_html(post.body_html)
    yield dump.skipped_post_types


def stackexchange_rows(root: Path, table: str) -> Iterator[Any]:
    from trellis.imports.stackexchange_reader import StackExchangeDump

    return iter(getattr(StackExchangeDump(root), table)())
