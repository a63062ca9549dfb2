"""The one hardened XML parser for foreign files: no entities, no DTD, no network, size limits.

``parse_file``/``parse_bytes`` build a whole tree; ``iterparse`` streams start and end events, for
importers that keep only what they map (big XMI files).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from importers.files import read_limited
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
    _refuse_entities(data[:65536], source)
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
    return parse_bytes(read_limited(source, MAX_XML_BYTES), source=source, recover=recover)


def _refuse_entities(head: bytes, source: str) -> None:
    """A DOCTYPE with entity declarations is refused outright (``head``: the first 64 KiB)."""
    if b"<!doctype" in head[:4096].lower() and b"<!entity" in head.lower():
        raise ParseError("XML with entity declarations (DOCTYPE/ENTITY) is refused", file=source)


def iterparse(source: str | os.PathLike[str] | bytes, *, name: str | None = None
              ) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``("start", element)`` and ``("end", element)`` events of an XML file (a path) or of bytes,
    with the settings of ``parse_bytes``; comments and processing instructions are left out. The caller
    clears what it has read, so memory stays bounded by what it keeps. Malformed XML (an undeclared
    namespace prefix too, as ``parse_bytes`` finds it), entity declarations, files over the size limit
    and nesting deeper than ``MAX_XML_DEPTH`` raise ``ParseError`` (at the point they are met)."""
    where = name or ("<bytes>" if isinstance(source, bytes) else str(source))
    try:
        if isinstance(source, bytes):
            size, stream = len(source), io.BytesIO(source)
        else:
            size, stream = Path(source).stat().st_size, open(source, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=where) from None
    with stream:
        if size > MAX_XML_BYTES:
            raise ParseError(f"file is {size} bytes, larger than the {MAX_XML_BYTES} allowed", file=where)
        _refuse_entities(stream.read(65536), where)
        stream.seek(0)
        events = etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True,
                                 load_dtd=False, dtd_validation=False, huge_tree=True, remove_comments=True,
                                 remove_pis=True)
        depth = 0
        try:
            for event, element in events:
                if event == "start":
                    depth += 1
                    if depth > MAX_XML_DEPTH:
                        raise ParseError(f"XML elements nested deeper than {MAX_XML_DEPTH} levels", file=where,
                                         line=element.sourceline)
                    if ":" in element.tag and element.tag[0] != "{":  # libxml2 streams on past an unbound prefix
                        prefix, _, local = element.tag.partition(":")
                        raise ParseError(f"malformed XML: namespace prefix {prefix} on {local} is not defined",
                                         file=where, line=element.sourceline)
                else:
                    depth -= 1
                yield event, element
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (None, None)
            raise ParseError(f"malformed XML: {exc.msg}", file=where, line=line, column=column) from None
        if depth:
            raise ParseError("malformed XML: the document ends inside an element", file=where)
