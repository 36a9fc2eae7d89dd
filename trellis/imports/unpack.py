"""Unpacking an uploaded archive into a folder, safely.

The archive is checked first by `safety.ZipSource` (paths, links, member count, sizes and
compression ratios from the headers); while writing, sizes are counted again because headers
can lie. Anything wrong raises ImportFileError and removes what was written.
"""

import shutil
import zipfile
import zlib
from pathlib import Path

from trellis.imports.safety import MAX_TOTAL_BYTES, ImportFileError, ZipSource, check_relative_name

CHUNK = 1024 * 1024


def unpack_zip(archive: Path, target: Path, *, max_total_bytes: int = MAX_TOTAL_BYTES) -> Path:
    ZipSource(archive, max_total_bytes=max_total_bytes, max_file_bytes=max_total_bytes).close()
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    written = 0
    try:
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if info.is_dir():
                    continue
                dest = (root / check_relative_name(info.filename)).resolve()
                if not dest.is_relative_to(root):
                    raise ImportFileError(info.filename, "the path leads outside; refused")
                dest.parent.mkdir(parents=True, exist_ok=True)
                size = 0
                with zipped.open(info) as source, dest.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        size += len(chunk)
                        written += len(chunk)
                        if size > info.file_size or written > max_total_bytes:
                            raise ImportFileError(
                                info.filename, "the member is larger than its header says"
                            )
                        out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        shutil.rmtree(target, ignore_errors=True)
        raise ImportFileError(archive.name, f"the archive is corrupt ({error})") from None
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
