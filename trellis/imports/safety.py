"""Safe reading of uploaded export files: XML, JSON, folders and zip archives.

Exports come from outside (an admin uploads a dump someone else produced), so every reader goes
through here: XML is streamed with entity expansion, DTD loading and network access off, and any
DOCTYPE is refused before the parser reads past it, whatever the file's encoding; JSON is strict
UTF-8 with a size cap; zip members are checked (paths, symlinks, sizes, ratios) before anything
is read, and sizes are enforced again while reading because headers can lie. Every failure on bad
input is an `ImportFileError` naming the file (and line when there is one), never a parser's own
exception.
"""

import codecs
import json
import os
import posixpath
import re
import stat
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree

MB = 1024 * 1024
MAX_JSON_BYTES = 200 * MB
MAX_TOTAL_BYTES = 2048 * MB
MAX_MEMBERS = 100_000
MAX_RATIO = 100
RATIO_MIN_BYTES = 1 * MB
_PROLOG_SCAN_BYTES = 1 * MB
_CHUNK = 1 * MB


class ImportFileError(Exception):
    """A file of an export cannot be read; `path` is relative to the export's root."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        super().__init__(path, reason, line)
        self.path = path
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}, line {self.line}"
        return f"{where}: {self.reason}"


# XML -----------------------------------------------------------------------------------------


def iter_xml_rows(path: Path, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the `<row>` elements of a dump file as (line, attributes), in constant memory."""
    check_xml_prolog(path, name)
    with _open_file(path, name) as f:
        rows = etree.iterparse(
            f,
            events=("end",),
            tag="row",
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        count = 0
        try:
            for _event, elem in rows:
                if count == 0 and elem.getroottree().docinfo.doctype:  # checked before, too
                    raise ImportFileError(name, _DOCTYPE_REFUSED, elem.sourceline)
                # one pass over the attributes is faster than a lookup per attribute
                yield elem.sourceline or 0, dict(elem.items())
                elem.clear()
                count += 1
                if count % 256 == 0:  # drop the emptied rows so memory stays flat
                    parent = elem.getparent()
                    if parent is not None:
                        while elem.getprevious() is not None:
                            del parent[0]
        except etree.XMLSyntaxError as e:
            raise _xml_error(path, name, e) from None


def count_xml_rows(path: Path, name: str) -> int:
    """Count rows by scanning bytes for `<row` (fast, for progress bars).

    In a well-formed dump every literal `<` in data is escaped as `&lt;`, so `<row` followed by
    white space or `/` only occurs as a tag.
    """
    pattern = re.compile(rb"<row[\s/>]")
    count = 0
    tail = b""
    with _open_file(path, name) as f:
        while chunk := f.read(_CHUNK):
            data = tail + chunk
            count += len(pattern.findall(data))
            # keep the last 4 bytes: a tag split across chunks is counted once the rest arrives;
            # a full match cannot fit in 4 bytes, so none is counted twice
            tail = data[-4:]
    return count


# Byte order marks, longest first (UTF-32 LE's starts like UTF-16 LE's).
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
# XML 1.0 Appendix F: without a BOM, the first four bytes of "<?xml" (or of "<") tell the
# encoding family, which is what libxml2 goes by.
_FIRST_BYTES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_ODD_FIRST_BYTES = (
    b"\x00\x00<\x00",
    b"\x00<\x00\x00",
    b"\x4c\x6f\xa7\x94",
)  # UCS-4 2143, 3412; EBCDIC
# Declared encodings a dump may use: the Unicode ones and common 8-bit ones (Python names).
_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
_ALLOWED_ENCODINGS = {
    "utf-8",
    "ascii",
    "latin-1",
    *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)),
    *(f"cp{n}" for n in range(1250, 1259)),
    *_WIDE,
}
_ENCODING_ALIASES = {
    "ucs-2": "utf-16",
    "iso-10646-ucs-2": "utf-16",
    "ucs-4": "utf-32",
    "iso-10646-ucs-4": "utf-32",
}
_DECLARED_ENCODING = re.compile(r"""\A<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']{1,40})["']""")


def _python_encoding(declared: str) -> str | None:
    lowered = declared.strip().lower()
    try:
        return codecs.lookup(_ENCODING_ALIASES.get(lowered, lowered)).name
    except LookupError:
        return None


def _prolog_text(head: bytes, name: str) -> str:
    """The start of an XML file as text, decoded the way the parser will decode it: by its
    BOM, else by the pattern of its first bytes (UTF-16 and UTF-32 need no BOM), else by its
    declaration. Encodings a dump never uses (UTF-7, EBCDIC, ...) are refused: they can spell
    "<!DOCTYPE" in bytes no check of ASCII would see."""
    codec = next((c for bom, c in _BOMS if head.startswith(bom)), None)
    if codec is None:
        if head.startswith(_ODD_FIRST_BYTES):
            raise ImportFileError(name, "the XML is in an encoding dumps never use; refused")
        codec = next((c for first, c in _FIRST_BYTES if head.startswith(first)), None)
    wide = codec is not None and codec != "utf-8"
    if codec is not None and wide:
        unit = 4 if codec.startswith("utf-32") else 2
        text = head[: len(head) // unit * unit].decode(codec, "replace").removeprefix("\ufeff")
    else:
        # ASCII markup is all that is looked at; any 8-bit encoding or UTF-8 shows it as is
        text = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    declared = _DECLARED_ENCODING.match(text)
    if declared:
        encoding = _python_encoding(declared.group(1))
        if encoding not in _ALLOWED_ENCODINGS:
            raise ImportFileError(
                name,
                f"the XML declares the encoding {declared.group(1)!r}, which dumps never use; "
                "refused (UTF-8, UTF-16 or UTF-32 expected)",
            )
        if (encoding in _WIDE) != wide:
            raise ImportFileError(
                name,
                f"the XML declares the encoding {declared.group(1)!r} but is not written in "
                "it; refused",
            )
    return text


def check_xml_prolog(path: Path, name: str) -> None:
    """Refuse any DOCTYPE (how billion laughs, XXE and injected default attributes get in)
    before the parser sees the document.

    lxml expands internal entities inside attribute values even with resolve_entities=False,
    so the only safe answer is to never hand such a document to the parser. Two checks: the
    start of the file decoded as the parser will decode it (for a message with a line), then
    libxml2 itself reading up to the first element with a target that refuses a DOCTYPE the
    moment one begins, whatever the encoding (real dumps have no DOCTYPE).
    """
    with _open_file(path, name) as f:
        head_bytes = f.read(_PROLOG_SCAN_BYTES)
    head = _prolog_text(head_bytes, name)
    pos = 0
    while True:
        while pos < len(head) and head[pos] in " \t\r\n":
            pos += 1
        if head.startswith("<?", pos):
            end = head.find("?>", pos)
            pos = len(head) if end < 0 else end + 2
        elif head.startswith("<!--", pos):
            end = head.find("-->", pos)
            pos = len(head) if end < 0 else end + 3
        else:
            break
    if head.startswith("<!DOCTYPE", pos):
        if "<!ENTITY" in head[pos:]:
            raise ImportFileError(
                name,
                "the XML declares entities in a DOCTYPE; refused, because entity expansion is "
                "how billion-laughs and external-entity (XXE) attacks work (real dumps have no "
                "DOCTYPE)",
                _line_at(head, pos),
            )
        raise ImportFileError(name, _DOCTYPE_REFUSED, _line_at(head, pos))
    _parser_refuses_doctype(path, name)


_DOCTYPE_REFUSED = (
    "the XML has a DOCTYPE; refused, because a DOCTYPE is how entities (billion laughs, XXE), "
    "default attributes and external DTDs get in (real dumps have none)"
)


class _Doctype(Exception):
    pass


class _FirstElement(Exception):
    pass


class _PrologGuard:
    """A parser target that stops at a DOCTYPE (refused) or at the first element (done)."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _Doctype

    def start(self, tag: str | bytes, attrib: dict[str | bytes, str | bytes]) -> None:
        raise _FirstElement

    def end(self, tag: str | bytes) -> None:
        """Never reached: start stops the parse."""

    def data(self, data: str | bytes) -> None:
        """Text before the first element is not looked at."""

    def comment(self, text: str | bytes) -> None:
        """Comments are allowed."""

    def pi(self, target: str, data: str | None = None) -> None:
        """Processing instructions are allowed (the declaration is not one)."""

    def close(self) -> None:
        """Nothing is built."""


def _parser_refuses_doctype(path: Path, name: str) -> None:
    parser = etree.XMLParser(
        target=_PrologGuard(),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    read = 0
    with _open_file(path, name) as f:
        try:
            while chunk := f.read(64 * 1024):
                parser.feed(chunk)
                read += len(chunk)
                if read >= _PROLOG_SCAN_BYTES:
                    raise ImportFileError(
                        name, "the XML has no element in its first megabyte; refused"
                    )
            parser.close()
        except _Doctype:
            raise ImportFileError(name, _DOCTYPE_REFUSED) from None
        except (_FirstElement, etree.XMLSyntaxError):
            return  # the parse proper reports syntax errors, with their lines


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _xml_error(path: Path, name: str, e: etree.XMLSyntaxError) -> ImportFileError:
    line = e.lineno or None
    message = re.sub(r", line \d+, column \d+$", "", e.msg or "")
    if path.stat().st_size == 0:
        return ImportFileError(name, "the file is empty")
    if "encoding" in message.lower() or "utf-8" in message.lower():
        return ImportFileError(
            name, "the text is not valid in its declared encoding (UTF-8 expected)", line
        )
    if not _starts_like_xml(path):
        return ImportFileError(name, "the file is not XML", line)
    if _looks_truncated(path):
        return ImportFileError(name, "the file ends before the XML is complete (truncated?)", line)
    if "entity" in message.lower():
        return ImportFileError(name, f"the XML uses an entity, which is refused ({message})", line)
    return ImportFileError(name, f"the XML is malformed ({message})", line)


def _starts_like_xml(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(64)
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<") or head[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    )


def _looks_truncated(path: Path) -> bool:
    """A complete dump ends with its closing root tag, e.g. `</posts>`."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - 256))
        tail = f.read()
    return re.search(rb"</[A-Za-z_][\w.:-]*\s*>\s*\Z", tail) is None


def _open_file(path: Path, name: str) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise ImportFileError(name, "the file is missing") from None
    except OSError as e:
        raise ImportFileError(name, f"the file cannot be opened ({e.strerror})") from None


# JSON ----------------------------------------------------------------------------------------


def decode_json(data: bytes, name: str) -> Any:
    """Strict UTF-8 (a BOM is tolerated) JSON; errors name the file and line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ImportFileError(name, "the file is not valid UTF-8 text", line) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFileError(name, f"the JSON is malformed ({e.msg})", e.lineno) from None
    except RecursionError:
        raise ImportFileError(name, "the JSON is nested too deeply") from None


def epoch_to_datetime(value: Any, name: str) -> datetime:
    """Seconds since 1970 (an int or float from JSON) as UTC, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ImportFileError(name, f"expected a timestamp in seconds, found {value!r}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise ImportFileError(name, f"the timestamp {value!r} is out of range") from None


# Folders and zip archives --------------------------------------------------------------------


class ExportSource(ABC):
    """An export's files by relative POSIX name, whether it is a folder or a zip archive."""

    def __init__(self, *, max_file_bytes: int = MAX_JSON_BYTES) -> None:
        self.max_file_bytes = max_file_bytes

    @abstractmethod
    def names(self) -> list[str]:
        """Every regular file, as a relative name with "/" separators, sorted."""

    @abstractmethod
    def open_bytes(self, name: str) -> bytes:
        """The whole content of one file, refused if larger than max_file_bytes."""

    def exists(self, name: str) -> bool:
        return name in self.names()

    def read_json(self, name: str) -> Any:
        return decode_json(self.open_bytes(name), name)

    @abstractmethod
    def close(self) -> None:
        """Release the archive, if any."""


def check_relative_name(name: str) -> str:
    """A member name made canonical, or refused if it could point outside the export."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or re.match(r"^[A-Za-z]:", clean):
        raise ImportFileError(name, "the path is absolute; refused")
    if ".." in clean.split("/"):
        raise ImportFileError(name, "the path climbs out of the export with '..'; refused")
    return posixpath.normpath(clean)


def _size(n: int) -> str:
    return f"{n // MB:,} MB" if n >= MB else f"{n:,} bytes"


def _too_big(name: str, limit: int) -> ImportFileError:
    return ImportFileError(name, f"the file is larger than the {_size(limit)} limit; refused")


class FolderSource(ExportSource):
    """An export unpacked in a folder; nothing outside the folder is ever read."""

    def __init__(self, root: Path, *, max_file_bytes: int = MAX_JSON_BYTES) -> None:
        super().__init__(max_file_bytes=max_file_bytes)
        self.root = root.resolve()
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            found: list[str] = []
            for folder, _dirs, files in os.walk(self.root):
                rel = Path(folder).relative_to(self.root)
                found.extend((rel / f).as_posix() for f in files)
            self._names = sorted(n.removeprefix("./") for n in found)
        return self._names

    def exists(self, name: str) -> bool:
        return (self.root / check_relative_name(name)).is_file()

    def path_of(self, name: str) -> Path:
        """The file's real path, refused when it (or a symlink on the way) leads outside."""
        path = (self.root / check_relative_name(name)).resolve()
        if not path.is_relative_to(self.root):
            raise ImportFileError(name, "the path leads outside the export folder; refused")
        return path

    def open_bytes(self, name: str) -> bytes:
        path = self.path_of(name)
        with _open_file(path, name) as f:
            if os.fstat(f.fileno()).st_size > self.max_file_bytes:
                raise _too_big(name, self.max_file_bytes)
            data = f.read(self.max_file_bytes + 1)  # the file may grow while we read
        if len(data) > self.max_file_bytes:
            raise _too_big(name, self.max_file_bytes)
        return data

    def close(self) -> None:
        """Nothing to release: files are opened and closed per read."""


class ZipSource(ExportSource):
    """A zip archive read in place (never extracted), refused when it looks hostile."""

    def __init__(
        self,
        path: Path,
        *,
        max_file_bytes: int = MAX_JSON_BYTES,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        max_members: int = MAX_MEMBERS,
        max_ratio: int = MAX_RATIO,
    ) -> None:
        super().__init__(max_file_bytes=max_file_bytes)
        self.label = path.name
        self.max_total_bytes = max_total_bytes
        try:
            self._zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise ImportFileError(self.label, "the file is missing") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise ImportFileError(self.label, "the file is not a zip archive") from None
        try:
            self._members = self._check(max_members, max_ratio)
        except BaseException:
            self._zip.close()
            raise

    def _check(self, max_members: int, max_ratio: int) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > max_members:
            raise ImportFileError(
                self.label,
                f"the archive has {len(infos):,} members, over the {max_members:,} limit",
            )
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = check_relative_name(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ImportFileError(info.filename, "the member is a symbolic link; refused")
            if info.is_dir():
                continue
            if name in members:
                raise ImportFileError(info.filename, "the archive holds this name twice; refused")
            total += info.file_size
            if info.file_size > RATIO_MIN_BYTES and info.file_size > max_ratio * max(
                info.compress_size, 1
            ):
                raise ImportFileError(
                    info.filename,
                    f"the member expands more than {max_ratio}:1 (a zip bomb?); refused",
                )
            members[name] = info
        if total > self.max_total_bytes:
            raise ImportFileError(
                self.label,
                f"the archive expands to {_size(total)}, over the "
                f"{_size(self.max_total_bytes)} limit; refused",
            )
        return members

    def names(self) -> list[str]:
        return sorted(self._members)

    def exists(self, name: str) -> bool:
        return name in self._members

    def open_bytes(self, name: str) -> bytes:
        info = self._members.get(name)
        if info is None:
            raise ImportFileError(name, "the file is missing from the archive")
        limit = min(self.max_file_bytes, info.file_size)
        if info.file_size > self.max_file_bytes:
            raise _too_big(name, self.max_file_bytes)
        parts: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as f:
                while chunk := f.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:  # the headers' sizes are what the limits were checked on
                        raise ImportFileError(name, "the member is larger than its header says")
                    parts.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise ImportFileError(name, f"the member is corrupt ({e})") from None
        except (NotImplementedError, RuntimeError) as e:  # unknown compression, encryption
            raise ImportFileError(name, f"the member cannot be read ({e})") from None
        return b"".join(parts)

    def close(self) -> None:
        self._zip.close()


def open_export(
    path: Path,
    *,
    max_file_bytes: int = MAX_JSON_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_members: int = MAX_MEMBERS,
) -> ExportSource:
    """A folder as a FolderSource, anything else as a ZipSource (refused unless it is a zip)."""
    if path.is_dir():
        return FolderSource(path, max_file_bytes=max_file_bytes)
    return ZipSource(
        path,
        max_file_bytes=max_file_bytes,
        max_total_bytes=max_total_bytes,
        max_members=max_members,
    )
