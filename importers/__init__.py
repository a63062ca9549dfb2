"""Importers of foreign formats; ``load(path)`` picks one by the file's extension.

Each importer module offers ``load(path) -> (Model, ImportReport)``. The native ``.salver`` format is
read here too, with an empty report, so that every front end opens any file through one call.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from collections.abc import Callable
from pathlib import Path

from importers.report import ImportReport, ReportEntry
from metamodel import io
from metamodel.errors import ParseError
from metamodel.gc_pause import gc_paused
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
    ".aadl": "aadl",
    ".archimate": "archi",
    ".fmu": "fmu",
}
# root element namespace of a .xml file -> importer module
_XML_NAMESPACES: dict[str, str] = {
    "http://www.opengroup.org/xsd/archimate/3.0/": "archimate",
    "http://www.opengroup.org/xsd/archimate": "archimate",  # the 2.1 exchange format
}
# root element without namespace of a .xml file -> importer module
_XML_ROOTS: dict[str, str] = {"packet": "mtip"}  # MTIP/HUDS exports of SysML models
_SNIFF_BYTES = 65536
_PROLOG = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*<([\w.:-]+)([^>]*)>", re.S)
_XMLNS = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")


def supported_extensions() -> list[str]:
    return sorted([".salver", *_SNIFFERS, *(ext for ext, mod in _IMPORTERS.items() if _available(mod))])


def _available(module: str) -> bool:
    return importlib.util.find_spec(f"importers.{module}") is not None


def _xml_importer(path: str | os.PathLike[str]) -> str:
    """The importer of a ``.xml`` file, picked by its root element's namespace. Only the start tag is
    looked at here; the importer then parses the file with the hardened parser."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(_SNIFF_BYTES)
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    match = _PROLOG.match(head.decode(encoding, errors="replace").lstrip("\ufeff"))
    if match is None:
        raise ParseError("not an XML file Salver reads: no root element found", file=str(path), line=1)
    prefix = match.group(1).rpartition(":")[0] or None
    namespace = next((uri for p, uri in _XMLNS.findall(match.group(2)) if (p or None) == prefix), None)
    module = _XML_NAMESPACES.get(namespace or "") or (_XML_ROOTS.get(match.group(1)) if namespace is None else None)
    if module is None:
        raise ParseError(f"unsupported .xml content: root element <{match.group(1)}> in namespace "
                         f"{namespace or '(none)'}; Salver reads .xml files of "
                         f"{', '.join(_XML_NAMESPACES)} and MTIP/HUDS <packet> files", file=str(path))
    return module


# extension -> function choosing the importer module from the file's content
_SNIFFERS: dict[str, Callable[[str | os.PathLike[str]], str]] = {".xml": _xml_importer}


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Load any file Salver reads; raises ``ParseError`` for unreadable or unsupported files."""
    suffix = Path(path).suffix.lower()
    if suffix == ".salver":
        with gc_paused():
            return io.load(path), ImportReport(source=str(path), format="salver")
    module_name = _IMPORTERS.get(suffix)
    if suffix not in _SNIFFERS and (module_name is None or not _available(module_name)):
        raise ParseError(f"unsupported file type {suffix or '(none)'}; Salver reads "
                         f"{', '.join(supported_extensions())}", file=str(path))
    if not Path(path).is_file():
        raise ParseError("no such file", file=str(path))
    if suffix in _SNIFFERS:
        module_name = _SNIFFERS[suffix](path)
    module = importlib.import_module(f"importers.{module_name}")
    try:
        with gc_paused():
            return module.load(path)
    except RecursionError:  # the last line of defence; the parsers bound their nesting themselves
        raise ParseError("the file is nested too deeply to read", file=str(path)) from None
