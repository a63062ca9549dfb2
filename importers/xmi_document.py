"""An indexed XMI 2.x document: ids, element types, references and stereotype applications.

Knows the dialects of Papyrus/Eclipse UML2, Cameo/MagicDraw and Enterprise Architect: the XMI and UML
namespaces differ by version; Eclipse omits ``xmi:type`` where it is the slot's default; references
come as attributes (space-separated id lists), as child elements with ``xmi:idref``, or as ``href``s
into libraries (``pathmap://``, ``http://www.omg.org/...``) and other files; tool data lives in
``xmi:Extension`` elements, which are not model content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from importers.report import ImportReport
from importers.xml_safe import parse_file
from metamodel.access import AccessError, confined
from metamodel.errors import ParseError

_UML_NS = re.compile(r"/UML(/\d[\w.]*)?/?$")
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")
_FRAGMENT_NOISE = {"", "PackageableElement", "packagedElement", "ownedMember", "Libraries"}

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


@dataclass
class External:
    """A referenced element defined outside this file: a library type or an element of another file."""

    key: str
    name: str
    href: str


@dataclass
class StereotypeApplication:
    """``«name»`` applied to the element with id ``base``; the XML element holds its tag values."""

    name: str
    base: str
    element: etree._Element
    line: int | None

    def value(self, attribute: str) -> str | None:
        """A tag value written as an attribute or as a child element's text (any capitalisation)."""
        for name in (attribute, attribute[:1].upper() + attribute[1:]):
            if name in self.element.attrib:
                return self.element.get(name)
            for child in self.element:
                if isinstance(child.tag, str) and etree.QName(child).localname == name:
                    return (child.text or "").strip()
        return None


@dataclass
class XmiDocument:
    """Indexes of one parsed XMI file. Build it with :func:`index`."""

    source: str
    report: ImportReport
    xmi_ns: str
    model_roots: list[etree._Element]
    by_id: dict[str, etree._Element] = field(default_factory=dict)
    extension_ids: set[str] = field(default_factory=set)
    stereotypes: dict[str, list[StereotypeApplication]] = field(default_factory=dict)
    applications: list[StereotypeApplication] = field(default_factory=list)
    other_roots: list[etree._Element] = field(default_factory=list)
    externals: dict[str, External] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    _files: dict[Path, dict[str, str] | None] = field(default_factory=dict)

    # -- attributes ---------------------------------------------------------------------------------
    def xid(self, element: etree._Element) -> str | None:
        return element.get(f"{{{self.xmi_ns}}}id")

    def type_of(self, element: etree._Element) -> str | None:
        """The UML metaclass of an element (``Class``, ``Port``…), slot defaults applied."""
        written = element.get(f"{{{self.xmi_ns}}}type")
        if written:
            return written.rpartition(":")[2]
        tag = etree.QName(element)
        if tag.namespace and _UML_NS.search(tag.namespace):
            return tag.localname
        return SLOT_DEFAULTS.get(tag.localname)

    def stereotype_names(self, element_id: str) -> list[str]:
        return [a.name for a in self.stereotypes.get(element_id, ())]

    def application(self, element_id: str, *names: str) -> StereotypeApplication | None:
        """The first application on ``element_id`` whose stereotype is one of ``names``."""
        return next((a for a in self.stereotypes.get(element_id, ()) if a.name in names), None)

    # -- references ---------------------------------------------------------------------------------
    def refs(self, element: etree._Element, slot: str) -> list[str]:
        """Ids referenced through ``slot``: attribute id list, child ``xmi:idref`` or child ``href``."""
        found = (element.get(slot) or "").split()
        idref = f"{{{self.xmi_ns}}}idref"
        for child in element:
            if not isinstance(child.tag, str) or etree.QName(child).localname != slot:
                continue
            if child.get(idref):
                found.append(child.get(idref))
            elif child.get("href"):
                found.append(self.resolve_href(child.get("href"), child))
        return found

    def ref(self, element: etree._Element, slot: str) -> str | None:
        found = self.refs(element, slot)
        return found[0] if found else None

    def resolve_href(self, href: str, element: etree._Element | None = None) -> str:
        """The key of an ``href`` target: a local id, an external (library/file) key, or the href itself
        when it cannot be resolved (reported once; the checks then find it dangling)."""
        file_part, _, fragment = href.partition("#")
        if not file_part or file_part == Path(self.source).name:
            return fragment
        if href in self.externals:
            return href
        if _SCHEME.match(file_part):
            self.externals[href] = External(href, _library_name(fragment, element), href)
            return href
        try:
            name = self._name_in_file(file_part, fragment)
        except AccessError as exc:
            if href not in self.broken:
                self.broken.add(href)
                self.report.add(f"href {href!r} not followed: {exc}",
                                line=element.sourceline if element is not None else None)
            return href
        if name is None:
            if href not in self.broken:
                self.broken.add(href)
                self.report.add(f"broken href {href!r}: target file or element not found",
                                line=element.sourceline if element is not None else None)
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
                tree = parse_file(path) if path.is_file() else None
            except ParseError:
                tree = None
            self._files[path] = None if tree is None else _names_by_id(tree)
        names = self._files[path]
        return None if names is None or fragment not in names else names[fragment]


def index(tree: etree._ElementTree, source: str, report: ImportReport) -> XmiDocument:
    """Index a parsed file; raise ``ParseError`` when it holds no UML model."""
    root = tree.getroot()
    xmi_ns = _xmi_namespace(root)
    tag = etree.QName(root)
    is_uml = bool(tag.namespace and _UML_NS.search(tag.namespace))
    if tag.localname == "XMI" and xmi_ns:
        model_roots = [c for c in root if isinstance(c.tag, str) and _is_model_root(c)]
        if not model_roots:
            raise ParseError("XMI file without a UML model (no uml:Model or uml:Package element)",
                             file=source, line=root.sourceline)
    elif is_uml and tag.localname in MODEL_ROOT_TYPES:
        model_roots = [root]
    else:
        raise ParseError(f"not an XMI/UML model: root element <{tag.localname}> in namespace "
                         f"{tag.namespace or '(none)'}", file=source, line=root.sourceline)
    doc = XmiDocument(source, report, xmi_ns or "http://www.omg.org/spec/XMI/20131001", model_roots)
    _index_ids(doc, root)
    if tag.localname == "XMI":
        _index_root_children(doc, root)
    return doc


def _xmi_namespace(root: etree._Element) -> str | None:
    tag = etree.QName(root)
    if tag.localname == "XMI" and tag.namespace:
        return tag.namespace
    if root.nsmap.get("xmi"):
        return root.nsmap["xmi"]
    return next((ns for ns in root.nsmap.values() if ns and "XMI" in ns), None)


def _is_model_root(element: etree._Element) -> bool:
    tag = etree.QName(element)
    return bool(tag.namespace and _UML_NS.search(tag.namespace)) and tag.localname in MODEL_ROOT_TYPES


def _index_ids(doc: XmiDocument, root: etree._Element) -> None:
    id_attr = f"{{{doc.xmi_ns}}}id"
    extension_tag = f"{{{doc.xmi_ns}}}Extension"
    for extension in root.iter(extension_tag):
        doc.extension_ids.update(e.get(id_attr) for e in extension.iter() if e.get(id_attr))
    for element in root.iter():
        element_id = element.get(id_attr)
        if element_id and element_id not in doc.extension_ids:
            doc.by_id[element_id] = element


def _index_root_children(doc: XmiDocument, root: etree._Element) -> None:
    """Stereotype applications (children of the XMI root with ``base_*`` attributes) by base id."""
    for child in root:
        if not isinstance(child.tag, str) or child in doc.model_roots:
            continue
        tag = etree.QName(child)
        if tag.namespace == doc.xmi_ns:  # xmi:Extension, xmi:Documentation
            continue
        bases = {v for k, v in child.attrib.items() if k.startswith("base_")}
        if not bases:
            bases = {r for k in (c for c in child if isinstance(c.tag, str)
                                 and etree.QName(c).localname.startswith("base_"))
                     for r in doc.refs(child, etree.QName(k).localname)}
        if not bases:
            doc.other_roots.append(child)
            continue
        for base in bases:
            application = StereotypeApplication(tag.localname, base, child, child.sourceline)
            doc.applications.append(application)
            doc.stereotypes.setdefault(base, []).append(application)


def _names_by_id(tree: etree._ElementTree) -> dict[str, str]:
    root = tree.getroot()
    xmi_ns = _xmi_namespace(root) or ""
    id_attr = f"{{{xmi_ns}}}id"
    return {e.get(id_attr): e.get("name") or e.get(id_attr) for e in root.iter() if e.get(id_attr)}


def _library_name(fragment: str, element: etree._Element | None) -> str:
    """The name of a library element: Cameo's ``referentPath`` when present, else from the fragment
    (``…#Real``, ``…#SysML.package_packagedElement_Libraries``, ``…-Number_PackageableElement``)."""
    if element is not None:
        for extension in element:
            for ref in extension.iter():
                if isinstance(ref.tag, str) and ref.get("referentPath"):
                    return ref.get("referentPath").rpartition("::")[2]
    tail = fragment.rpartition(".")[2] or fragment
    parts = [p for p in re.split(r"[._\-/]", tail) if p not in _FRAGMENT_NOISE]
    return parts[-1] if parts else fragment
