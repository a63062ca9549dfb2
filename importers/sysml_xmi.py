"""SysML v1 import from XMI 2.x: Papyrus ``.uml``, Cameo/MagicDraw ``.xmi`` and ``.mdzip``, Cameo's
Eclipse-UML2 export and Enterprise Architect.

Maps packages, blocks, part/reference/value properties, ports, interface blocks with flow properties,
connectors (binding and nested ends), item flows, value types with units, requirements and their
relations. Everything else (behaviour, constraints, diagrams…) goes into the import report, one entry
per kind with its count and first line.
"""

from __future__ import annotations

import os
from pathlib import Path

from importers.report import ImportReport
from importers.xmi_archive import read_model_entry
from importers.xmi_document import XmiDocument, read
from importers.xmi_mapping import Mapper
from metamodel.model import Model


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import a SysML v1 XMI file (``.xmi``, ``.uml``) or Cameo archive (``.mdzip``)."""
    report = ImportReport(source=str(path), format="sysml-xmi")
    document = read_document(path, report)
    model = Mapper(document, report).run()
    model.source_path = str(path)
    return model, report


def read_document(path: str | os.PathLike[str], report: ImportReport) -> XmiDocument:
    """Stream the XMI of ``path`` into an ``XmiDocument``; ``.mdzip`` archives are read in memory."""
    if Path(path).suffix.lower() == ".mdzip":
        entry, data = read_model_entry(path, report)
        return read(data, f"{path}!{entry}", report)
    return read(path, str(path), report)
