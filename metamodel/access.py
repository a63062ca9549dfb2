"""Which files a model may make Salver read: those in the model's own folder tree, and the folders the
user allows explicitly (``SALVER_ALLOW_PATHS``, ``salver --allow-path``, ``allow``).

A model names other files (data sheets, ONNX networks, SD behaviours, elements of other XMI files) by
path. A model from someone else must not read ``/etc/passwd`` or ``~/.ssh`` through such a path, so
every one is resolved (links followed) and refused unless it lands inside an allowed folder. The
refusal names the path as the model wrote it and nothing read from the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from metamodel.errors import SalverError

ALLOW_ENV = "SALVER_ALLOW_PATHS"  # folders, separated like PATH (``:``; ``;`` on Windows)
_ALLOWED: list[Path] = []


class AccessError(SalverError):
    """A file a model names that lies outside the folders it may read."""


def allow(folders: Iterable[str | os.PathLike[str]]) -> None:
    """Let models read the files under ``folders`` too, for the rest of this process."""
    _ALLOWED.extend(Path(folder).resolve() for folder in folders)


def allowed_folders(model_folder: str | os.PathLike[str]) -> list[Path]:
    """The folders a model in ``model_folder`` may read: its own, then the allowed ones."""
    listed = [Path(p).resolve() for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p.strip()]
    return [Path(model_folder).resolve(), *_ALLOWED, *listed]


def confined(reference: str | os.PathLike[str], model_folder: str | os.PathLike[str], what: str = "file") -> Path:
    """The resolved path of ``reference`` (relative to ``model_folder`` unless absolute), when it lies in
    an allowed folder; else ``AccessError`` naming the reference as written."""
    base = Path(model_folder).resolve()
    try:
        target = (base / reference).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a link loop, a NUL byte
        raise AccessError(f"{what} {str(reference)!r} cannot be resolved: {exc}") from None
    if any(target == folder or target.is_relative_to(folder) for folder in allowed_folders(base)):
        return target
    raise AccessError(f"{what} {str(reference)!r} lies outside the model's folder; not read "
                      f"(allow its folder with --allow-path or {ALLOW_ENV})")
