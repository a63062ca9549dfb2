"""Atomic saves: the one way Salver writes a file.

A save writes a temporary file in the target's folder, flushes it to disk, gives it the target's
permissions and renames it over the target in one step (``os.replace``). A reader, a crash or a
``kill -9`` at any moment sees either the old file whole or the new one whole, never a part. The
temporary file is removed when the write fails; one left by a killed process (its name carries the
process id) is removed by the next save of the same file. Saving through a symbolic link writes the
file the link points to and keeps the link.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from metamodel.errors import SaveError

_TEMP_MARK = ".salver-tmp"  # then the target's suffix, for libraries that write by extension


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a save of ``path`` replaces: the end of a chain of symbolic links, else ``path``."""
    target = Path(path)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8",
               newline: str | None = "") -> None:
    """Replace ``path`` atomically with ``text`` (``newline=""`` writes line ends as they are)."""
    with replacing(path, "w", encoding=encoding, newline=newline) as handle:
        handle.write(text)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` atomically with ``data``."""
    with replacing(path, "wb") as handle:
        handle.write(data)


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
              newline: str | None = "") -> Iterator[IO]:
    """A handle on a temporary file that replaces ``path`` when the block ends without an error."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    with replacing_path(path) as temp:
        text = mode == "w"
        with open(temp, mode, encoding=encoding if text else None, newline=newline if text else None) as handle:
            yield handle


@contextlib.contextmanager
def replacing_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """The path of a fresh temporary file (same folder and suffix as ``path``) for a library that writes
    files by name; when the block ends without an error it replaces ``path`` atomically."""
    target = resolve_target(path)
    folder = target.parent
    _remove_orphans(target)
    name = f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{_TEMP_MARK}{target.suffix}"
    temp = folder / name
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as exc:
        raise SaveError(str(path), exc.strerror or str(exc), exc.errno) from None
    os.close(fd)
    try:
        yield temp
        _finish(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, SaveError):
            raise SaveError(str(path), exc.strerror or str(exc), exc.errno) from None
        raise


def _finish(temp: Path, target: Path) -> None:
    """Flush ``temp`` to disk, give it the target's permissions and rename it over the target."""
    fd = os.open(temp, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(temp, file_mode(target))
    os.replace(temp, target)
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of the rename, where the system allows it (not on Windows)."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def file_mode(target: Path) -> int:
    """The permissions a save keeps: the existing file's, else those of a new file under the umask."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it where the system tells it (Linux)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_orphans(target: Path) -> None:
    """Remove temporary files of ``target`` left by processes that no longer run (killed mid-save)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]+{re.escape(_TEMP_MARK + target.suffix)}")
    try:
        candidates = [p for p in target.parent.iterdir() if _TEMP_MARK in p.name]
    except OSError:
        return
    for candidate in candidates:
        match = pattern.fullmatch(candidate.name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):
                candidate.unlink()


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return True  # no cheap check: leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
