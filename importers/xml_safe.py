"""The one hardened XML parser for foreign files: no entities, no DTD, no network, size limits."""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from metamodel.errors import ParseError

MAX_XML_BYTES = 512 * 1024 * 1024
MAX_XML_DEPTH = 256  # element nesting; libxml2's own limit without its "huge" option
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_XML_DEPTH + 1) + ")")


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # large models are legitimate; entity expansion is what is forbidden
        remove_comments=False,
        recover=recover,
    )


def parse_bytes(data: bytes, *, source: str = "<bytes>", recover: bool = False) -> etree._ElementTree:
    """Parse XML bytes safely. A DOCTYPE with entity declarations is refused outright."""
    if len(data) > MAX_XML_BYTES:
        raise ParseError(f"XML larger than {MAX_XML_BYTES} bytes", file=source)
    head = data[:4096].lower()
    if b"<!doctype" in head and b"<!entity" in data[:65536].lower():
        raise ParseError("XML with entity declarations (DOCTYPE/ENTITY) is refused", file=source)
    try:
        root = etree.fromstring(data, parser=_parser(recover))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise ParseError(f"malformed XML: {exc.msg}", file=source, line=line, column=column) from None
    if root is None:
        raise ParseError("no XML content", file=source)
    tree = root.getroottree()
    if _TOO_DEEP(tree):
        raise ParseError(f"XML elements nested deeper than {MAX_XML_DEPTH} levels", file=source)
    return tree


def parse_file(path: str | os.PathLike[str], *, recover: bool = False) -> etree._ElementTree:
    """Read and parse an XML file safely; unreadable files raise ``ParseError``."""
    source = str(path)
    try:
        size = Path(source).stat().st_size
        if size > MAX_XML_BYTES:
            raise ParseError(f"file is {size} bytes, larger than the {MAX_XML_BYTES} allowed", file=source)
        data = Path(source).read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=source) from None
    return parse_bytes(data, source=source, recover=recover)
