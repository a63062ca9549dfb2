"""An XMI 2.x document read in one streaming pass: compact nodes, ids, stereotype applications.

Knows the dialects of Papyrus/Eclipse UML2, Cameo/MagicDraw and Enterprise Architect: the XMI and UML
namespaces differ by version; Eclipse omits ``xmi:type`` where it is the slot's default; references
come as attributes (space-separated id lists), as child elements with ``xmi:idref``, or as ``href``s
into libraries (``pathmap://``, ``http://www.omg.org/...``) and other files; tool data lives in
``xmi:Extension`` elements, which are not model content.

The file is streamed (``xml_safe.iterparse``) and each XML element is cleared once read: the mapping
works on ``Node`` records that keep an element's local tag, metaclass, id, attributes, children and
line, and nothing of ``xmi:Extension`` content but the ids in it and the two facts the mapping reads
(a package recorded as a used module; a library reference's ``referentPath``). Stereotype applications
(the root's children that point at a ``base_…`` element) become ``StereotypeApplication`` records,
indexed by the id they apply to.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from importers.report import ImportReport
from importers.xml_safe import iterparse
from metamodel.access import AccessError, confined
from metamodel.errors import ParseError

_UML_NS = re.compile(r"/UML(/\d[\w.]*)?/?$")
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")
_FRAGMENT_NOISE = {"", "PackageableElement", "packagedElement", "ownedMember", "Libraries"}
_DEFAULT_XMI_NS = "http://www.omg.org/spec/XMI/20131001"
_intern = sys.intern

# slot (child tag) -> the type Eclipse leaves out because it is the slot's declared type
SLOT_DEFAULTS = {
    "ownedAttribute": "Property", "ownedEnd": "Property", "ownedConnector": "Connector",
    "end": "ConnectorEnd", "ownedComment": "Comment", "ownedRule": "Constraint",
    "generalization": "Generalization", "packageImport": "PackageImport",
    "profileApplication": "ProfileApplication", "elementImport": "ElementImport",
    "ownedParameter": "Parameter", "ownedOperation": "Operation", "ownedLiteral": "EnumerationLiteral",
    "region": "Region", "transition": "Transition", "interfaceRealization": "InterfaceRealization",
    "ownedReception": "Reception", "slot": "Slot", "substitution": "Substitution",
}
MODEL_ROOT_TYPES = ("Model", "Package", "Profile")
_NO_CHILDREN: tuple[Node, ...] = ()


class _Record:
    """What is kept of an XML element: attributes by name (``keys`` maps a name to its position in
    ``values``, shared by the records of elements with the same attribute names), element children and
    the line."""

    __slots__ = ("keys", "values", "children", "line")

    def __init__(self, keys: dict[str, int], values: tuple[str, ...], children: tuple[Node, ...],
                 line: int | None) -> None:
        self.keys = keys
        self.values = values
        self.children = children
        self.line = line

    def get(self, key: str, default: str | None = None) -> str | None:
        position = self.keys.get(key)
        return default if position is None else self.values[position]


class Node(_Record):
    """One XML element of the model as the mapping reads it: ``tag`` (local name), ``kind`` (the UML
    metaclass, slot defaults applied), ``id``, attributes by name (``get``), element children, ``text``
    (of elements without children), ``line``, ``parent_id`` (id of the enclosing element, if it has one)
    and ``extra`` (``module``: a used module; ``referent``: a library reference's qualified name)."""

    __slots__ = ("tag", "kind", "id", "text", "parent_id", "extra")

    def __init__(self, tag: str, kind: str | None, id_: str | None, keys: dict[str, int], values: tuple[str, ...],
                 children: tuple[Node, ...], text: str | None, line: int | None) -> None:
        self.keys = keys  # as in ``_Record.__init__``, without the call: one node per XML element
        self.values = values
        self.children = children
        self.line = line
        self.tag = tag
        self.kind = kind
        self.id = id_
        self.text = text
        self.parent_id: str | None = None
        self.extra: dict[str, object] | None = None

    def get(self, key: str, default: str | None = None) -> str | None:
        """An attribute, or the text of a child element of that name: OMG's canonical XMI writes
        ``<name>Unit</name>`` where Eclipse and Cameo write ``name="Unit"``."""
        position = self.keys.get(key)
        if position is not None:
            return self.values[position]
        for child in self.children:
            if child.tag == key and child.text is not None and not child.keys:
                return child.text.strip()
        return default

    def __repr__(self) -> str:
        return f"<Node {self.tag} {self.kind} {self.id!r} line {self.line}>"


class StereotypeApplication(_Record):
    """``«name»`` applied to the element with id ``base``; its tag values are attributes (``get``) or
    child elements; ``consumed`` once the mapping has read it."""

    __slots__ = ("name", "base", "consumed")

    def __init__(self, name: str, base: str, keys: dict[str, int], values: tuple[str, ...],
                 children: tuple[Node, ...], line: int | None) -> None:
        self.keys = keys  # as in ``_Record.__init__``, without the call: one per application read
        self.values = values
        self.children = children
        self.line = line
        self.name = name
        self.base = base
        self.consumed = False

    def value(self, attribute: str) -> str | None:
        """A tag value written as an attribute or as a child element's text (any capitalisation)."""
        for name in (attribute, attribute[:1].upper() + attribute[1:]):
            if name in self.keys:
                return self.get(name)
            for child in self.children:
                if child.tag == name:
                    return (child.text or "").strip()
        return None


@dataclass
class External:
    """A referenced element defined outside this file: a library type or an element of another file."""

    key: str
    name: str
    href: str


@dataclass
class XmiDocument:
    """What one streaming pass over an XMI file keeps. Build it with :func:`read`.

    ``by_id`` maps every element id outside ``xmi:Extension`` to its node; the mapping sets an entry to
    ``None`` once it has read that node into an element, so that mapped content is not held twice."""

    source: str
    report: ImportReport
    xmi_ns: str
    model_roots: list[Node]
    by_id: dict[str, Node | None] = field(default_factory=dict)
    extension_ids: set[str] = field(default_factory=set)
    stereotypes: dict[str, StereotypeApplication | tuple[StereotypeApplication, ...]] = field(default_factory=dict)
    other_roots: list[Node] = field(default_factory=list)
    externals: dict[str, External] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    uses_sysml: bool = False  # a stereotype of a SysML profile is applied
    flows: list[Node] = field(default_factory=list)  # information flows, whose ends the mapping looks up
    _files: dict[Path, dict[str, str] | None] = field(default_factory=dict)

    # -- attributes ---------------------------------------------------------------------------------
    @staticmethod
    def xid(node: Node) -> str | None:
        return node.id

    @staticmethod
    def type_of(node: Node) -> str | None:
        """The UML metaclass of an element (``Class``, ``Port``…), slot defaults applied."""
        return node.kind

    def applied(self, element_id: str) -> tuple[StereotypeApplication, ...]:
        """The stereotype applications on ``element_id`` (``stereotypes`` holds a single one bare)."""
        found = self.stereotypes.get(element_id, ())
        return (found,) if isinstance(found, StereotypeApplication) else found

    def stereotype_names(self, element_id: str) -> list[str]:
        return [a.name for a in self.applied(element_id)]

    def application(self, element_id: str, *names: str) -> StereotypeApplication | None:
        """The first application on ``element_id`` whose stereotype is one of ``names``."""
        return next((a for a in self.applied(element_id) if a.name in names), None)

    def applications(self) -> Iterator[StereotypeApplication]:
        """Every stereotype application, those on one element together (first applied element first)."""
        for found in self.stereotypes.values():
            if isinstance(found, StereotypeApplication):
                yield found
            else:
                yield from found

    def consume(self, element_id: str, read: Callable[[str], bool]) -> None:
        """Mark the applications on ``element_id`` whose stereotype ``read`` accepts as read into its
        element. Only their stereotype's name is kept: the element holds what their tag values said."""
        found = self.stereotypes.get(element_id)
        if found is None:
            return
        if isinstance(found, StereotypeApplication):
            if read(found.name):
                self.stereotypes[element_id] = _read_application(found.name)
        elif any(read(a.name) for a in found):
            self.stereotypes[element_id] = tuple(_read_application(a.name) if read(a.name) else a for a in found)

    # -- references ---------------------------------------------------------------------------------
    def refs(self, node: Node | StereotypeApplication, slot: str) -> list[str]:
        """Ids referenced through ``slot``: attribute id list, child ``xmi:idref`` or child ``href``."""
        found = (node.get(slot) or "").split()  # a single id is the attribute's own string, as read
        for child in node.children:
            if child.tag != slot:
                continue
            target = child.get(f"{{{self.xmi_ns}}}idref")
            if target:
                found.append(target)
            elif child.get("href"):
                found.append(self.resolve_href(child.get("href") or "", child))
        return found

    def ref(self, node: Node | StereotypeApplication, slot: str) -> str | None:
        found = self.refs(node, slot)
        return found[0] if found else None

    def resolve_href(self, href: str, node: Node | None = None) -> str:
        """The key of an ``href`` target: a local id, an external (library/file) key, or the href itself
        when it cannot be resolved (reported once; the checks then find it dangling)."""
        file_part, _, fragment = href.partition("#")
        if not file_part or file_part == Path(self.source).name:
            return fragment
        if href in self.externals:
            return self.externals[href].key
        if _SCHEME.match(file_part):
            self.externals[href] = External(href, _library_name(fragment, node), href)
            return href
        try:
            name, problem = self._name_in_file(file_part, fragment), "target file or element not found"
        except AccessError as exc:
            name, problem = None, f"not followed: {exc}"
        if name is None:
            if href not in self.broken:
                self.broken.add(href)
                self.report.add(f"broken href {href!r}: {problem}", line=node.line if node is not None else None)
            return href
        self.externals[href] = External(href, name, href)
        return href

    def _name_in_file(self, file_part: str, fragment: str) -> str | None:
        """The name of element ``fragment`` in a file next to this one, or ``None``."""
        if "!" in self.source:  # inside an archive: no neighbouring files
            return None
        path = confined(unquote(file_part), Path(self.source).parent, "referenced file")
        if path not in self._files:
            try:
                self._files[path] = _names_by_id(path) if path.is_file() else None
            except ParseError:
                self._files[path] = None
        names = self._files[path]
        return None if names is None or fragment not in names else names[fragment]


def read(source: str | os.PathLike[str] | bytes, name: str, report: ImportReport) -> XmiDocument:
    """Stream an XMI file (a path, or the bytes of an archive entry named ``name``) into an
    ``XmiDocument``; raise ``ParseError`` when it holds no UML model."""
    return _Reader(name, report).read(iterparse(source, name=name))


class _Reader:
    """The streaming pass: builds nodes bottom-up at each end event and clears the XML element."""

    def __init__(self, source: str, report: ImportReport) -> None:
        self.source = source
        self.report = report
        self.tags: dict[str, tuple[str, str | None, bool]] = {}  # clark tag -> (local name, kind, model root)
        self.layouts: dict[tuple[str, ...], tuple[dict[str, int], int | None, int | None]] = {}
        self.kinds: dict[str, str] = {}  # xmi:type as written -> metaclass
        self.applications: dict[tuple[str, tuple[str, ...]], _ApplicationLayout] = {}  # by tag and attributes
        # every attribute value read, held once (an id and the references to it share one string); kept
        # by the reader, not interned, so that its table goes with the reader once the file is read
        self.strings: dict[str, str] = {}

    def held(self, value: str) -> str:
        """``value``, or the equal string read before it."""
        return self.strings.setdefault(value, value)

    def read(self, events) -> XmiDocument:  # noqa: ANN001 (the iterparse generator)
        event, root = next(events)
        xmi_ns = _xmi_namespace(root)
        local, _, _ = self._tag(root.tag, xmi_ns or "")
        namespace = etree.QName(root).namespace
        wrapped = local == "XMI" and bool(xmi_ns)
        if not wrapped and not (namespace and _UML_NS.search(namespace) and local in MODEL_ROOT_TYPES):
            raise ParseError(f"not an XMI/UML model: root element <{local}> in namespace "
                             f"{namespace or '(none)'}", file=self.source, line=root.sourceline)
        doc = XmiDocument(self.source, self.report, xmi_ns or _DEFAULT_XMI_NS, [])
        top = self._stream(doc, events, root, wrapped)
        if not wrapped:
            doc.model_roots.append(top)
        elif not doc.model_roots:
            raise ParseError("XMI file without a UML model (no uml:Model or uml:Package element)",
                             file=self.source, line=root.sourceline)
        return doc

    def _tag(self, tag: str, xmi_ns: str) -> tuple[str, str | None, bool]:
        """Local name, the metaclass the tag implies, and whether it is a model root element."""
        found = self.tags.get(tag)
        if found is None:
            namespace, _, local = tag[1:].rpartition("}") if tag[:1] == "{" else ("", "", tag)
            uml = bool(namespace and _UML_NS.search(namespace))
            kind = local if uml else SLOT_DEFAULTS.get(local)
            found = self.tags[tag] = (_intern(local), kind, uml and local in MODEL_ROOT_TYPES)
        return found

    def _layout(self, keys: tuple[str, ...], xmi_ns: str) -> tuple[dict[str, int], int | None, int | None]:
        """Shared attribute positions of elements with these attribute names, and where id and type are."""
        found = self.layouts.get(keys)
        if found is None:
            positions = {_intern(k): i for i, k in enumerate(keys)}
            found = self.layouts[keys] = (positions, positions.get(f"{{{xmi_ns}}}id"),
                                          positions.get(f"{{{xmi_ns}}}type"))
        return found

    def _stream(self, doc: XmiDocument, events, root: etree._Element, wrapped: bool) -> Node:  # noqa: ANN001, C901
        xmi_ns = doc.xmi_ns
        extension_tag = f"{{{xmi_ns}}}Extension"
        xmi_prefix = f"{{{xmi_ns}}}"
        by_id = doc.by_id
        held = self.strings.setdefault
        tags, layouts, kinds = self.tags, self.layouts, self.kinds
        stack: list[list[Node] | None] = [None]  # children read so far, per open element (root first)
        flags: dict[int, dict[str, object]] = {}  # depth -> extra facts for the element open there
        extension = 0  # depth inside xmi:Extension content (0: outside)
        for event, element in events:
            if event == "start":
                if extension:
                    extension += 1
                elif element.tag == extension_tag:
                    extension = 1
                stack.append(None)
                continue
            kids = stack.pop()
            depth = len(stack)  # how many elements enclose this one (0: the root)
            extra = flags.pop(depth, None) if flags else None
            if extension:
                self._extension_end(doc, element, extension, depth, flags)
                extension -= 1
            elif depth == 0:
                return self._node(doc, element, kids, extra)
            elif wrapped and depth == 1:
                self._root_child(doc, element, kids, extra, xmi_prefix)
            else:
                tag = element.tag
                info = tags.get(tag) or self._tag(tag, xmi_ns)
                names = tuple(element.keys())  # the element's own keys() and values(): no attrib proxy
                if names:
                    keys, id_at, type_at = layouts.get(names) or self._layout(names, xmi_ns)
                    texts = element.values()
                    values = tuple(map(held, texts, texts))  # repeated values are held once
                    element_id = values[id_at] if id_at is not None else None
                    if type_at is not None:
                        written = values[type_at]
                        kind = kinds.get(written)
                        if kind is None:
                            kind = kinds[written] = _intern(written.rpartition(":")[2])
                    else:
                        kind = info[1]
                else:
                    keys, values, element_id, kind = _EMPTY_KEYS, (), None, info[1]
                node = Node(info[0], kind, element_id, keys, values, tuple(kids) if kids else _NO_CHILDREN,
                            None if kids else element.text, element.sourceline)
                if kids and element_id is not None:
                    for kid in kids:
                        kid.parent_id = element_id
                if extra is not None:
                    node.extra = extra
                if "referentPath" in keys:
                    self._referent(node.get("referentPath") or "", depth, flags)
                if element_id is not None:
                    by_id[element_id] = node
                    if kind == "InformationFlow":
                        doc.flows.append(node)
                siblings = stack[-1]
                if siblings is None:
                    stack[-1] = [node]
                else:
                    siblings.append(node)
            element.clear()
            if element.getprevious() is not None:  # the one before it: each end lets the earlier ones go
                del element.getparent()[0]
        raise ParseError("malformed XML: no root element", file=self.source)  # iterparse raises first

    def _node(self, doc: XmiDocument, element: etree._Element, kids: list[Node] | None,
              extra: dict[str, object] | None) -> Node:
        """A node read the slow way (roots and the root's children)."""
        local, kind, _ = self._tag(element.tag, doc.xmi_ns)
        keys, id_at, type_at = self._layout(tuple(element.attrib), doc.xmi_ns)
        values = tuple(element.attrib.values())
        if type_at is not None:
            kind = values[type_at].rpartition(":")[2]
        element_id = self.held(values[id_at]) if id_at is not None else None
        node = Node(local, kind, element_id, keys, values, tuple(kids) if kids else _NO_CHILDREN,
                    None if kids else element.text, element.sourceline)
        node.extra = extra
        for kid in kids or ():
            kid.parent_id = element_id
        if element_id is not None:
            doc.by_id[element_id] = node
        return node

    def _root_child(self, doc: XmiDocument, element: etree._Element, kids: list[Node] | None,
                    extra: dict[str, object] | None, xmi_prefix: str) -> None:
        """A child of the XMI root: a model root, XMI's own data, a stereotype application or other."""
        tag = element.tag
        local, _, model_root = self.tags.get(tag) or self._tag(tag, doc.xmi_ns)
        if model_root:
            doc.model_roots.append(self._node(doc, element, kids, extra))
            return
        if tag.startswith(xmi_prefix):  # xmi:Documentation (xmi:Extension is read as extension content)
            self._node(doc, element, kids, extra)  # its ids stay known
            return
        names = tuple(element.keys())
        layout = self.applications.get((tag, names)) or self._application_layout(tag, names, doc.xmi_ns)
        written = element.values()
        at = layout.bases
        bases = [written[at[0]]] if len(at) == 1 else sorted({written[i] for i in at})
        node = None
        if not bases:
            node = self._node(doc, element, kids, extra)
            bases = sorted({r for kid in node.children if kid.tag.startswith("base_") for r in doc.refs(node, kid.tag)})
        if not bases:
            doc.other_roots.append(node)  # type: ignore[arg-type]
            return
        held = self.strings.setdefault
        values = tuple([held(written[i], written[i]) for i in layout.values]) if layout.values else ()
        children = tuple(kids) if kids else _NO_CHILDREN
        keys = layout.keys
        if layout.sysml:
            doc.uses_sysml = True
        line = element.sourceline
        stereotypes = doc.stereotypes
        for base in bases:
            base = held(base, base)
            application = StereotypeApplication(local, base, keys, values, children, line)
            earlier = stereotypes.get(base)
            if earlier is None:
                stereotypes[base] = application
            else:
                stereotypes[base] = (*earlier, application) if isinstance(earlier, tuple) else (earlier, application)

    def _application_layout(self, tag: str, names: tuple[str, ...], xmi_ns: str) -> _ApplicationLayout:
        """Where the ``base_…`` references and the tag values are among these attributes of a root child."""
        found = self.applications.get((tag, names))
        if found is None:
            tag_values = tuple(k for k in names if k[:1] != "{" and not k.startswith("base_"))
            namespace = tag[1:].rpartition("}")[0] if tag[:1] == "{" else ""
            found = self.applications[(tag, names)] = _ApplicationLayout(
                tuple(i for i, k in enumerate(names) if k.startswith("base_")),
                tuple(names.index(k) for k in tag_values),
                self._layout(tag_values, xmi_ns)[0] if tag_values else _EMPTY_KEYS,
                "sysml" in namespace.lower())
        return found

    def _extension_end(self, doc: XmiDocument, element: etree._Element, level: int, depth: int,
                       flags: dict[int, dict[str, object]]) -> None:
        """An element of ``xmi:Extension`` content (``level`` 1: the Extension element itself)."""
        element_id = element.get(f"{{{doc.xmi_ns}}}id")
        if element_id:
            doc.extension_ids.add(self.held(element_id))
        if level == 2 and self._tag(element.tag, doc.xmi_ns)[0] == "moduleExtension":
            flags.setdefault(depth - 2, {})["module"] = True
        referent = element.get("referentPath")
        if referent:
            self._referent(referent, depth, flags)

    @staticmethod
    def _referent(path: str, depth: int, flags: dict[int, dict[str, object]]) -> None:
        """A ``referentPath`` names the library element its enclosing elements reference (first one wins)."""
        for level in range(depth - 1, -1, -1):
            flags.setdefault(level, {}).setdefault("referent", path)


_EMPTY_KEYS: dict[str, int] = {}
_READ: dict[str, StereotypeApplication] = {}  # stereotype name -> what is kept of an application once read


def _read_application(name: str) -> StereotypeApplication:
    """What is kept of an application of ``name`` once read into its element: one shared record, its
    stereotype's name and nothing else."""
    found = _READ.get(name)
    if found is None:
        found = _READ[name] = StereotypeApplication(name, "", _EMPTY_KEYS, (), _NO_CHILDREN, None)
        found.consumed = True
    return found


class _ApplicationLayout(NamedTuple):
    """Positions, among a root child's attributes, of its ``base_…`` references and of its tag values."""

    bases: tuple[int, ...]
    values: tuple[int, ...]
    keys: dict[str, int]  # tag value name -> position in the application's values
    sysml: bool  # the stereotype belongs to a SysML profile (by its namespace)


def _xmi_namespace(root: etree._Element) -> str | None:
    tag = etree.QName(root)
    if tag.localname == "XMI" and tag.namespace:
        return tag.namespace
    if root.nsmap.get("xmi"):
        return root.nsmap["xmi"]
    return next((ns for ns in root.nsmap.values() if ns and "XMI" in ns), None)


def _names_by_id(path: Path) -> dict[str, str]:
    """Element names by id in another XMI file (streamed; a name-less element is named by its id)."""
    names: dict[str, str] = {}
    id_attr: str | None = None
    for event, element in iterparse(path):
        if id_attr is None:
            id_attr = f"{{{_xmi_namespace(element) or ''}}}id"
        if event == "end":
            element_id = element.get(id_attr)
            if element_id:
                names[element_id] = element.get("name") or element_id
            element.clear()
    return names


def _library_name(fragment: str, node: Node | None) -> str:
    """The name of a library element: Cameo's ``referentPath`` when present, else from the fragment
    (``…#Real``, ``…#SysML.package_packagedElement_Libraries``, ``…-Number_PackageableElement``)."""
    if node is not None and node.extra and node.extra.get("referent"):
        return str(node.extra["referent"]).rpartition("::")[2]
    tail = fragment.rpartition(".")[2] or fragment
    parts = [p for p in re.split(r"[._\-/]", tail) if p not in _FRAGMENT_NOISE]
    return parts[-1] if parts else fragment
