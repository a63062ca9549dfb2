"""Autosave and crash recovery: one recovery file per window and process, owned through a lock.

Each running workbench process holds a lock file (``recovery/<session>.lock``, a ``QLockFile`` that Qt
finds stale once its process is gone) for as long as it runs. Each window writes its unsaved work to
its own ``recovery/<session>-<window>.salver`` (with a ``.json`` beside it naming the file it edits),
shortly after each edit and on a timer, and removes only its own files: when its document is saved or
back at its saved state, and when it closes. At start-up, recovery files whose session lock can be
taken belong to a process that ended abnormally; those of a session whose lock is held belong to a
workbench still running and are never offered. A recovery file that cannot be read is kept (renamed
``….damaged``) and reported, never deleted.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Qt, QTimer, Signal

from app.gui.document import Document, snapshot
from app.gui.settings import data_dir
from metamodel import atomic, io
from metamodel.errors import SalverError

INTERVAL_MS = 60_000
AFTER_EDIT_MS = 2_000
DAMAGED = ".damaged"

_session: tuple[str, QLockFile] | None = None
_windows = itertools.count(1)


def recovery_dir() -> Path:
    path = data_dir() / "recovery"
    path.mkdir(parents=True, exist_ok=True)
    return path


def session_id() -> str:
    """This process's session, locked for as long as it runs (created on first use)."""
    global _session
    folder = str(recovery_dir())
    if _session is None or not _session[1].fileName().startswith(folder):  # a new data folder (tests)
        name = f"{os.getpid()}-{time.time_ns()}"
        lock = QLockFile(str(recovery_dir() / f"{name}.lock"))
        lock.setStaleLockTime(0)  # stale only when its process is gone, however long it runs
        if not lock.tryLock(0):
            raise OSError(f"cannot lock {lock.fileName()}")
        _session = (name, lock)
    return _session[0]


@dataclass(frozen=True)
class Recovery:
    """An orphaned recovery file: its path and the file its window was editing (None: unsaved)."""

    path: Path
    original: str | None

    def discard(self) -> None:
        """Remove the recovery file (the user declined it, or it was recovered)."""
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".json").unlink(missing_ok=True)

    def keep_damaged(self) -> Path:
        """Set an unreadable recovery file aside (never offered again, never deleted); its new path."""
        kept = self.path.with_name(self.path.name + DAMAGED)
        os.replace(self.path, kept)
        self.path.with_suffix(".json").unlink(missing_ok=True)
        return kept


def orphaned() -> list[Recovery]:
    """Recovery files of sessions that ended without closing their windows (their lock is free)."""
    own = session_id()
    found: list[Recovery] = []
    freed: dict[str, bool] = {}
    for path in sorted(recovery_dir().glob("*.salver")):
        session = path.stem.rsplit("-w", 1)[0]
        if session == own:
            continue
        if session not in freed:
            freed[session] = _claim(session)
        if not freed[session]:
            continue  # a workbench that is still running: its files are its own
        try:
            original = json.loads(path.with_suffix(".json").read_text(encoding="utf-8")).get("original")
        except (OSError, ValueError, AttributeError):
            original = None
        found.append(Recovery(path, original if isinstance(original, str) else None))
    return found


def _claim(session: str) -> bool:
    """True when ``session``'s process is gone: its lock could be taken (and is released at once)."""
    lock = QLockFile(str(recovery_dir() / f"{session}.lock"))
    lock.setStaleLockTime(0)
    if not lock.tryLock(0):
        return False
    lock.unlock()  # removes the lock file: the session is over
    return True


class Autosaver(QObject):
    """Writes one window's document, when it has unsaved changes, to that window's recovery file: a
    moment after each edit and every ``interval_ms``. A failure is reported once through ``sigFailed``
    (again only after a save succeeded), never raised."""

    sigFailed = Signal(str)

    def __init__(self, current: Callable[[], Document | None], interval_ms: int = INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current = current
        self.name = f"{session_id()}-w{next(_windows)}"
        self.reported: str | None = None
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        self.after_edit = QTimer(self, singleShot=True, interval=min(AFTER_EDIT_MS, interval_ms))
        self.after_edit.timeout.connect(self.save_now)

    @property
    def path(self) -> Path:
        return recovery_dir() / f"{self.name}.salver"

    def watch(self, document: Document) -> None:
        """Save ``document`` shortly after each of its edits; drop the file when it is back to saved."""
        document.undo_stack.indexChanged.connect(self._edited, Qt.ConnectionType.UniqueConnection)
        document.undo_stack.cleanChanged.connect(self._clean_changed, Qt.ConnectionType.UniqueConnection)

    def _edited(self, _index: int) -> None:
        self.after_edit.start()

    def _clean_changed(self, clean: bool) -> None:
        if clean:
            self.clear()

    def save_now(self) -> bool:
        """Write the recovery file now if the document is modified; True when written."""
        self.after_edit.stop()
        document = self.current()
        if document is None or not document.modified:
            return False
        try:
            io.save(snapshot(document.model), self.path)
            atomic.write_text(self.path.with_suffix(".json"), json.dumps({"original": document.path}))
        except (OSError, SalverError) as exc:
            message = f"Autosave failed: {exc}"
            if message != self.reported:
                self.reported = message
                self.sigFailed.emit(message)
            return False
        self.reported = None
        return True

    def clear(self) -> None:
        """Remove this window's recovery files (its work is saved, or it closed normally); a failure is
        reported through ``sigFailed``."""
        try:
            self.path.unlink(missing_ok=True)
            self.path.with_suffix(".json").unlink(missing_ok=True)
        except OSError as exc:
            self.sigFailed.emit(f"Cannot remove the recovery file: {exc}")
