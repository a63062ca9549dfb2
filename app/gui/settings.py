"""Where the workbench keeps its settings (QSettings) and its recovery files."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

ORGANIZATION = "Salver"
APPLICATION = "Salver Workbench"
MAX_RECENT = 8


def settings() -> QSettings:
    """The workbench's settings (INI format; tests redirect them with ``QSettings.setPath``)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def data_dir() -> Path:
    """The folder of autosave and recovery files (``SALVER_DATA_DIR`` overrides it)."""
    override = os.environ.get("SALVER_DATA_DIR")
    base = override or QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    path = Path(base or Path.home() / ".salver")
    path.mkdir(parents=True, exist_ok=True)
    return path


def recent_files() -> list[str]:
    value = settings().value("recent_files", [])
    if isinstance(value, str):
        return [value]
    return [str(v) for v in (value or [])]


def add_recent_file(path: str) -> list[str]:
    """Put ``path`` first in the recent-files list and return the list."""
    files = [path, *(f for f in recent_files() if f != path)][:MAX_RECENT]
    settings().setValue("recent_files", files)
    return files
