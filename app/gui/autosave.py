"""Autosave to a recovery file in the app data folder, and recovery after a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from app.gui.document import Document, snapshot
from app.gui.settings import data_dir
from metamodel import io

INTERVAL_MS = 60_000


def recovery_file() -> Path:
    return data_dir() / "recovery.salver"


def _meta_file() -> Path:
    return data_dir() / "recovery.json"


def pending_recovery() -> tuple[Path, str | None] | None:
    """The recovery file left by a session that did not close cleanly, and the file it was editing."""
    path = recovery_file()
    if not path.is_file():
        return None
    try:
        original = json.loads(_meta_file().read_text(encoding="utf-8")).get("original")
    except (OSError, ValueError):
        original = None
    return path, original


def clear_recovery() -> None:
    recovery_file().unlink(missing_ok=True)
    _meta_file().unlink(missing_ok=True)


class Autosaver(QObject):
    """Every ``interval_ms`` writes the current document, when it has unsaved changes, to the recovery file."""

    def __init__(self, current: Callable[[], Document | None], interval_ms: int = INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current = current
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    def save_now(self) -> bool:
        """Write the recovery file now if the document is modified; True when written."""
        document = self.current()
        if document is None or not document.modified:
            return False
        io.save(snapshot(document.model), recovery_file())
        _meta_file().write_text(json.dumps({"original": document.path}), encoding="utf-8")
        return True
