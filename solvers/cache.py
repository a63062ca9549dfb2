"""The user's cache of compiled models: C libraries (``native/``) and Python byte code (``python/``).

The folder is ``$SALVER_CACHE_DIR``, else ``$XDG_CACHE_HOME/salver`` or ``~/.cache/salver``. Byte code
of a generated Python program is kept when the program is big enough that compiling it costs more than
reading it back (a 12,000-variable model: 0.46 s to compile, 5 ms to read), keyed by the hash of the
program's text and the interpreter's byte-code version. An entry that cannot be read or written is
compiled again: the cache only ever saves time. The folder keeps the ``MAX_CACHED_PROGRAMS`` entries
used last (a model edited and run again makes a new program each time).
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
from pathlib import Path
from types import CodeType

from metamodel import atomic

MIN_CACHED_CHARS = 200_000  # programs smaller than this compile in a few ms
MAX_CACHED_PROGRAMS = 32


def folder(kind: str) -> Path:
    """The cache folder of one kind of compiled program (``"native"``, ``"python"``)."""
    base = os.environ.get("SALVER_CACHE_DIR")
    if not base:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "salver")
    return Path(base) / kind


def byte_code(source: str, filename: str) -> CodeType:
    """``compile(source, filename, "exec")``, read from the cache when a big program was compiled before.
    Raises what ``compile`` raises."""
    if len(source) < MIN_CACHED_CHARS:
        return compile(source, filename, "exec")
    key = hashlib.sha256(b"\0".join([importlib.util.MAGIC_NUMBER, filename.encode(), source.encode()])).hexdigest()
    path = folder("python") / f"{key[:40]}.bin"
    try:
        code = marshal.loads(path.read_bytes())
        if isinstance(code, CodeType):
            os.utime(path)  # used now: kept longest
            return code
    except (OSError, ValueError, EOFError, TypeError):
        pass  # not cached yet, or damaged: compiled again
    code = compile(source, filename, "exec")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(path, marshal.dumps(code))
        _prune(path.parent)
    except OSError:
        pass  # a read-only or full cache folder costs only the time to compile again
    return code


def _prune(folder: Path) -> None:
    """Remove all but the ``MAX_CACHED_PROGRAMS`` entries used last."""
    entries = sorted(folder.glob("*.bin"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for stale in entries[MAX_CACHED_PROGRAMS:]:
        stale.unlink(missing_ok=True)
