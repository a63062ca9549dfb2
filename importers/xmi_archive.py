"""Reading the model out of a Cameo/MagicDraw ``.mdzip`` archive, in memory only.

Nothing is extracted to disk. Entry names that climb out of the archive (``../x``, absolute paths) are
never read, and every read is capped: archive size, entry count, uncompressed size and the ratio of
uncompressed to compressed size (a zip bomb is refused before it is inflated).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from importers.report import ImportReport
from importers.xml_safe import MAX_XML_BYTES
from metamodel.errors import ParseError

MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 20_000
MAX_RATIO = 100  # uncompressed / compressed, checked for entries above RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
MAIN_ENTRY = "com.nomagic.magicdraw.uml_model.model"
_CHUNK = 1024 * 1024
# what zipfile raises for a damaged central directory or entry names, and for a damaged entry's data
DAMAGED_DIRECTORY = (zipfile.BadZipFile, UnicodeDecodeError, ValueError, EOFError)
DAMAGED_ENTRY = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError, ValueError)


def is_safe_name(name: str) -> bool:
    """True for an entry name that stays inside the archive (no ``..``, no absolute path or drive)."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name:
        return False
    return ".." not in PurePosixPath(name).parts


def read_model_entry(path: str | os.PathLike[str], report: ImportReport) -> tuple[str, bytes]:
    """Return ``(entry name, bytes)`` of the XMI model inside an ``.mdzip``; raise ``ParseError``."""
    source = str(path)
    try:
        if Path(source).stat().st_size > MAX_ARCHIVE_BYTES:
            raise ParseError(f"archive larger than {MAX_ARCHIVE_BYTES} bytes", file=source)
        archive = zipfile.ZipFile(source)
    except DAMAGED_DIRECTORY:
        raise ParseError("not a zip archive (.mdzip files are zip archives)", file=source) from None
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=source) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ParseError(f"archive has {len(infos)} entries, more than {MAX_ENTRIES}", file=source)
        safe = []
        for info in infos:
            if is_safe_name(info.filename):
                safe.append(info)
            else:
                report.add(f"archive entry {info.filename!r} has an unsafe path; not read")
        for info in _candidates(safe):
            data = _read_entry(archive, info, source)
            if b"XMI" in data[:4096] or b"uml:Model" in data[:4096]:
                return info.filename, data
    raise ParseError("no XMI model found in the archive", file=source)


def _candidates(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The main model entry first, then other XML-looking entries."""
    main = [i for i in infos if i.filename == MAIN_ENTRY]
    others = [i for i in infos if i.filename != MAIN_ENTRY and not i.is_dir()
              and i.filename.lower().endswith((".xmi", ".uml", ".xml", ".model"))]
    return main + others


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> bytes:
    where = f"{source}!{info.filename}"
    if info.file_size > MAX_XML_BYTES:
        raise ParseError(f"archive entry is {info.file_size} bytes, larger than allowed", file=where)
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ParseError(f"archive entry expands {info.file_size // max(info.compress_size, 1)}-fold "
                         f"(limit {MAX_RATIO}); refused as a possible zip bomb", file=where)
    limit = info.file_size
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise ParseError("archive entry is larger than its header says", file=where)
                chunks.append(chunk)
    except DAMAGED_ENTRY as exc:
        raise ParseError(f"cannot read archive entry: {exc}", file=where) from None
    return b"".join(chunks)
