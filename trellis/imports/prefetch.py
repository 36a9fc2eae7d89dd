"""Read and prepare records in a second process while this one writes to the database.

Parsing XML and sanitising HTML take about as long as the database writes; on two cores
running them side by side nearly halves an import. The reader is a plain child process
(`python -m trellis.imports.prefetch TABLE DIR SIZE FD`) writing pickled batches to a pipe of
its own (not its stdout, where anything printed would corrupt them): it never touches the
database, inherits no connection, and does not re-run the caller's main module (as
multiprocessing's spawn would). The pipe's buffer bounds what is in flight, so memory
stays flat.
"""

import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from functools import cache
from itertools import batched
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

from trellis.core.text import sanitize_html
from trellis.imports.safety import ImportFileError

HEADER = struct.Struct(">cQ")  # kind, payload length
ROWS, DONE, FILE_ERROR, ERROR = b"R", b"D", b"F", b"E"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def prefetched(table: str, root: Path, size: int) -> Iterator[list[Any]]:
    """Batches of `table` ("posts", "comments" or "votes") of the dump in `root`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    read_fd, write_fd = os.pipe()
    command = [sys.executable, "-m", "trellis.imports.prefetch", table, str(root), str(size)]
    try:
        child = subprocess.Popen(
            [*command, str(write_fd)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            pass_fds=(write_fd,),
        )
    finally:
        os.close(write_fd)  # the child holds its copy; EOF reaches us when it exits
    batches = os.fdopen(read_fd, "rb")
    try:
        while True:
            header = batches.read(HEADER.size)
            if len(header) < HEADER.size:
                child.wait(timeout=30)
                stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
                raise RuntimeError(f"the reading process stopped unexpectedly: {stderr[-500:]}")
            kind, length = HEADER.unpack(header)
            # Our own child's output, on a private pipe: not untrusted input.
            payload = pickle.loads(batches.read(length))  # noqa: S301
            if kind == ROWS:
                yield [decode(item) for item in payload]
            elif kind == DONE:
                return
            elif kind == FILE_ERROR:
                raise ImportFileError(*payload)
            else:
                raise RuntimeError(f"reading the export failed: {payload}")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        batches.close()
        if child.stderr is not None:
            child.stderr.close()


# Records cross the pipe as plain tuples: pickling a slots dataclass goes through Python-level
# __getstate__/__setstate__, which took a quarter of a million-post import's reading time.


def _record_kinds() -> dict[str, tuple[type, Callable[..., Any]]]:
    from trellis.imports import stackexchange_reader as reader
    from trellis.imports.records import SEComment, SEPost, SEVote

    return {
        "SEPost": (SEPost, reader._SEPost),
        "SEComment": (SEComment, reader._SEComment),
        "SEVote": (SEVote, reader._SEVote),
    }


@cache
def _flatten(kind: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [f.name for f in fields(kind)]
    get = attrgetter(*names)
    return lambda record: (kind.__name__, get(record))


@cache
def _builders() -> dict[str, Callable[..., Any]]:
    return {name: build for name, (_, build) in _record_kinds().items()}


def _encoder(table: str) -> Callable[[Any], Any]:
    if table == "posts":  # (post, sanitised html) pairs, then a dict of skipped types
        flat = _flatten(_record_kinds()["SEPost"][0])
        return lambda item: (flat(item[0]), item[1]) if isinstance(item, tuple) else item
    kind = "SEComment" if table == "comments" else "SEVote"
    return _flatten(_record_kinds()[kind][0])


def decode(item: Any) -> Any:
    """A record (or a post's (record, html) pair) from what `_encoder` sent."""
    if not isinstance(item, tuple):
        return item
    head = item[0]
    if isinstance(head, tuple):
        return (decode(head), item[1])
    return _builders()[head](*item[1])


def _send(out: IO[bytes], kind: bytes, payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(kind, len(data)))
    out.write(data)


# What the child runs ---------------------------------------------------------------------------


def stackexchange_table(table: str, root: Path) -> Iterable[Any]:
    from trellis.imports.stackexchange_reader import StackExchangeDump

    dump = StackExchangeDump(root)
    if table == "posts":
        return _posts_with_clean_html(dump)
    if table in ("comments", "votes"):
        rows: Iterable[Any] = getattr(dump, table)()
        return rows
    raise ValueError(f"unknown table {table!r}")


def _posts_with_clean_html(dump: Any) -> Iterator[Any]:
    """Posts with their sanitised HTML, then the reader's count of skipped post types."""

    for post in dump.posts():
        yield post, sanitize_html(post.body_html)
    yield dump.skipped_post_types


def main(argv: list[str]) -> int:
    table, root, size, fd = argv[0], Path(argv[1]), int(argv[2]), int(argv[3])
    out = os.fdopen(fd, "wb")
    try:
        encode = _encoder(table)
        for chunk in batched(stackexchange_table(table, root), size):
            _send(out, ROWS, [encode(item) for item in chunk])
        _send(out, DONE, None)
    except BrokenPipeError:  # the parent stopped reading (it failed or was interrupted)
        return 1
    except ImportFileError as error:
        _send(out, FILE_ERROR, (error.path, error.reason, error.line))
    except Exception as error:  # reported to the parent, which raises it there
        _send(out, ERROR, f"{type(error).__name__}: {error}")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
