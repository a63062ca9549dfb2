"""Importers of foreign formats; ``load(path)`` picks one by the file's extension.

Each importer module offers ``load(path) -> (Model, ImportReport)``. The native ``.salver`` format is
read here too, with an empty report, so that every front end opens any file through one call.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from importers.report import ImportReport, ReportEntry
from metamodel import io
from metamodel.errors import ParseError
from metamodel.model import Model

__all__ = ["ImportReport", "ReportEntry", "load", "supported_extensions"]

# extension -> importer module (in this package)
_IMPORTERS: dict[str, str] = {
    ".xmile": "xmile",
    ".stmx": "xmile",
    ".itmx": "xmile",
    ".mdl": "vensim",
    ".xmi": "sysml_xmi",
    ".uml": "sysml_xmi",
    ".mdzip": "sysml_xmi",
    ".capella": "capella",
    ".sysml": "sysml2",
}


def supported_extensions() -> list[str]:
    return sorted([".salver", *(ext for ext, mod in _IMPORTERS.items() if _available(mod))])


def _available(module: str) -> bool:
    return importlib.util.find_spec(f"importers.{module}") is not None


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Load any file Salver reads; raises ``ParseError`` for unreadable or unsupported files."""
    suffix = Path(path).suffix.lower()
    if suffix == ".salver":
        return io.load(path), ImportReport(source=str(path), format="salver")
    module_name = _IMPORTERS.get(suffix)
    if module_name is None or not _available(module_name):
        raise ParseError(f"unsupported file type {suffix or '(none)'}; Salver reads "
                         f"{', '.join(supported_extensions())}", file=str(path))
    if not Path(path).is_file():
        raise ParseError("no such file", file=str(path))
    module = importlib.import_module(f"importers.{module_name}")
    return module.load(path)
