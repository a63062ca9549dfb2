"""ArchiMate Open Exchange Format import (``.xml`` whose root is in the exchange format namespace).

Both versions of the format are read: 3.x (namespace ``…/archimate/3.0/``) and 2.1 (namespace
``…/archimate``: elements and relationships named by ``label``, ``organization`` and ``views/view``,
lower-case reference attributes, relationship types ending in ``Relationship``). ArchiMate 2.1's type
names become the 3.x names the ArchiMate 3.0 specification renamed them to (``UsedBy`` is ``Serving``,
``Realisation`` ``Realization``, ``Infrastructure*`` ``Technology*``, ``Network``
``CommunicationNetwork``), so the checks read one vocabulary.

Elements become Blocks with the ArchiMate type as stereotype; the motivation elements that state what
must hold (Requirement, Goal, Outcome, Principle, Constraint) become Requirements. Relationships become
Relations whose kind is the ArchiMate type in lower case (``serving``, ``composition``…). The
organization folders become Packages owning their elements. Diagrams become block Views: element nodes
as shapes (centre and size; the format's coordinates are absolute, so nested nodes keep theirs),
relationship connections as links with their bendpoints, labels and groups as notes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lxml import etree

from importers.report import ImportReport, ReportEntry
from importers.unmapped import UnmappedCounter
from importers.xml_safe import parse_file
from metamodel.elements import Block, Element, Package, Relation, Requirement
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.views import Link, Note, Shape, View


@dataclass(frozen=True)
class Dialect:
    """The names one version of the exchange format gives to the same things."""

    name: str = "name"  # of elements, relationships and views
    organizations: str = "organizations"
    item_ref: str = "identifierRef"
    element_ref: str = "elementRef"
    relationship_ref: str = "relationshipRef"
    view_container: str = "diagrams"
    property_definitions: str = "propertyDefinitions"


DIALECTS = {
    "http://www.opengroup.org/xsd/archimate/3.0/": Dialect(),
    "http://www.opengroup.org/xsd/archimate": Dialect(
        name="label", organizations="organization", item_ref="identifierref", element_ref="elementref",
        relationship_ref="relationshipref", view_container="views", property_definitions="propertydefs"),
}
# ArchiMate 2 names -> the ArchiMate 3 names the 3.0 specification gave them
ELEMENT_TYPES_2 = {"InfrastructureFunction": "TechnologyFunction", "InfrastructureInterface": "TechnologyInterface",
                   "InfrastructureService": "TechnologyService", "Network": "CommunicationNetwork"}
RELATIONSHIP_TYPES_2 = {"UsedBy": "Serving", "Realisation": "Realization", "Specialisation": "Specialization"}
NAMESPACES = tuple(DIALECTS)
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REQUIREMENT_TYPES = ("Requirement", "Goal", "Outcome", "Principle", "Constraint")
REASONS = {
    "property": "property values are not imported",
    "propertyDefinitions": "property definitions are not imported (values are counted apart)",
    "propertydefs": "property definitions are not imported (values are counted apart)",
    "metadata": "model metadata (Dublin Core) is not imported",
    "style": "diagram styles (colours, fonts) are not imported",
    "viewRef": "references from diagram nodes to other views are not imported",
    "accessType": "the read/write kind of access relationships is not kept",
    "duplicate shape": "a view shows the element more than once; Salver keeps its first shape per view",
    "viewpoint": "diagram viewpoints are not imported",
}


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import an ArchiMate Open Exchange Format file."""
    report = ImportReport(source=str(path), format="archimate")
    root = parse_file(path).getroot()
    model = ArchimateMapper(root, str(path), report).run()
    model.source_path = str(path)
    return model, report


class ConceptMapper:
    """What the ArchiMate file formats share: elements and relationships as model elements, what was
    left out and the references checked once all are read."""

    def __init__(self, report: ImportReport, reasons: dict[str, str], name: str, doc: str) -> None:
        self.report = report
        self.unmapped = UnmappedCounter(dict(reasons))
        self.as_requirement: dict[str, list[ReportEntry]] = {}
        self.model = Model(name=name or "model", doc=doc)

    def _add(self, created: Element, element: etree._Element) -> bool:
        if not created.id:
            self.report.add(f"<{etree.QName(element).localname}> without identifier skipped", created.name,
                            element.sourceline, "error")
            return False
        if created.id in self.model.elements:
            self.report.add(f"duplicate identifier {created.id!r}; second element skipped", created.name,
                            element.sourceline, "error")
            return False
        self.model.add(created)
        self.report.lines[created.id] = element.sourceline
        return True

    def _concept(self, kind: str, identifier: str, name: str, doc: str, element: etree._Element) -> None:
        """An element of ArchiMate type ``kind``: a Requirement for what must hold, else a Block."""
        kind = ELEMENT_TYPES_2.get(kind, kind)
        created: Element
        if kind in REQUIREMENT_TYPES:
            created = Requirement(identifier, name, doc=doc, text=doc)
            if kind != "Requirement":
                self.as_requirement.setdefault(kind, []).append(ReportEntry("", name, element.sourceline))
        else:
            created = Block(identifier, name, doc=doc, stereotype=kind or "Element")
        self._add(created, element)

    def _relation(self, kind: str, identifier: str, name: str, doc: str, element: etree._Element) -> bool:
        """A relationship of type ``kind`` (``Serving``, ``UsedByRelationship``…) between the ``source``
        and ``target`` of ``element``; False when it was not added."""
        kind = kind.removesuffix("Relationship")
        kind = RELATIONSHIP_TYPES_2.get(kind, kind)
        relation = Relation(identifier, name, doc=doc, relation=kind.lower() or "association",
                            sources=[element.get("source") or ""], targets=[element.get("target") or ""])
        return self._add(relation, element)

    def _number(self, element: etree._Element, attribute: str, default: float = 0.0) -> float:
        text = element.get(attribute)
        try:
            return float(text) if text is not None else default
        except ValueError:
            self.report.add(f"{attribute}={text!r} is not a number; {default:g} used", etree.QName(element).localname,
                            element.sourceline)
            return default

    def _finish(self) -> Model:
        """Check the relationships' ends and report what was left out."""
        for relation in self.model.of_kind(Relation):
            for end in (*relation.sources, *relation.targets):
                if end not in self.model.elements:
                    self.report.add(f"relationship end {end!r} is not an element of the file",
                                    relation.name or relation.id, self.report.lines.get(relation.id), "error")
        for kind, found in self.as_requirement.items():
            self.report.add(f"{len(found)} x {kind} imported as Requirement (the ArchiMate type is not kept)",
                            f"first: {found[0].element}", found[0].line, "info")
        self.unmapped.report_to(self.report)
        return self.model


class ArchimateMapper(ConceptMapper):
    """Builds a ``Model`` from a parsed exchange file; use once: ``ArchimateMapper(...).run()``."""

    def __init__(self, root: etree._Element, source: str, report: ImportReport) -> None:
        tag = etree.QName(root)
        if tag.namespace not in NAMESPACES or tag.localname != "model":
            raise ParseError(f"not an ArchiMate exchange file: root element <{tag.localname}> in namespace "
                             f"{tag.namespace or '(none)'}", file=source, line=root.sourceline)
        self.ns = tag.namespace
        self.dialect = DIALECTS[tag.namespace]
        self.root = root
        super().__init__(report, REASONS, self._text(root, "name"), self._text(root, "documentation"))

    def run(self) -> Model:
        for child in self.root:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if name == "elements":
                for element in self._all(child, "element"):
                    self._element(element)
            elif name == "relationships":
                for relationship in self._all(child, "relationship"):
                    self._relationship(relationship)
        for child in self._all(self.root, self.dialect.organizations):
            for item in self._all(child, "item"):
                self._folder(item, None)
        for diagrams in self.root.iter(f"{{{self.ns}}}{self.dialect.view_container}"):
            for view in self._all(diagrams, "view"):
                self._view(view)
        for element in self.root.iter(f"{{{self.ns}}}property"):
            self.unmapped.count("property", element.sourceline)
        for name in (self.dialect.property_definitions, "metadata"):
            for element in self._all(self.root, name):
                self.unmapped.count(name, element.sourceline)
        return self._finish()

    # -- helpers ------------------------------------------------------------------------------------
    def _all(self, parent: etree._Element, name: str) -> list[etree._Element]:
        return parent.findall(f"{{{self.ns}}}{name}")

    def _text(self, parent: etree._Element, name: str) -> str:
        """A language-tagged child's text: English when given, else the first one."""
        found = self._all(parent, name)
        chosen = next((e for e in found if (e.get(XML_LANG) or "").startswith("en")), found[0] if found else None)
        return (chosen.text or "").strip() if chosen is not None else ""


    # -- content ------------------------------------------------------------------------------------
    def _element(self, element: etree._Element) -> None:
        self._concept(xsi_type(element), element.get("identifier") or "", self._text(element, self.dialect.name),
                      self._text(element, "documentation"), element)

    def _relationship(self, element: etree._Element) -> None:
        name = self._text(element, self.dialect.name)
        if self._relation(xsi_type(element), element.get("identifier") or "", name,
                          self._text(element, "documentation"), element) and element.get("accessType"):
            self.unmapped.count("accessType", element.sourceline, name)

    def _folder(self, item: etree._Element, owner: str | None) -> None:
        """An organization item: a folder (label and sub-items) or a reference to an element."""
        ref = item.get(self.dialect.item_ref)
        if ref is not None:
            element = self.model.get(ref)
            if element is not None:
                element.owner = owner
            return
        label = self._text(item, "label") or "folder"
        package = Package(self.model.new_id(label), label, owner=owner, doc=self._text(item, "documentation"))
        self.model.add(package)
        self.report.lines[package.id] = item.sourceline
        for child in self._all(item, "item"):
            self._folder(child, package.id)

    def _view(self, element: etree._Element) -> None:
        view = View(element.get("identifier") or self.model.new_id("view"),
                    self._text(element, self.dialect.name) or "View",
                    kind="block")
        if element.get("viewpoint"):
            self.unmapped.count("viewpoint", element.sourceline, element.get("viewpoint") or "")
        node_elements: dict[str, str] = {}
        for node in element.iter(f"{{{self.ns}}}node"):
            self._node(node, view, node_elements)
        for connection in element.iter(f"{{{self.ns}}}connection"):
            self._connection(connection, view, node_elements)
        for style in element.iter(f"{{{self.ns}}}style"):
            self.unmapped.count("style", style.sourceline)
        self.model.views.append(view)

    def _node(self, node: etree._Element, view: View, node_elements: dict[str, str]) -> None:
        x, y, w, h = (self._number(node, a) for a in ("x", "y", "w", "h"))
        centre = (x + w / 2, y + h / 2)
        ref = node.get(self.dialect.element_ref)
        if ref is None:
            view.notes[node.get("identifier") or f"note{len(view.notes)}"] = Note(
                self._text(node, "label"), *centre, w, h)
            for view_ref in self._all(node, "viewRef"):
                self.unmapped.count("viewRef", view_ref.sourceline)
            return
        node_elements[node.get("identifier") or ""] = ref
        if ref not in self.model.elements:
            self.report.add(f"node refers to missing element {ref!r}; not drawn", view.name, node.sourceline)
        elif ref in view.shapes:
            self.unmapped.count("duplicate shape", node.sourceline, self.model.elements[ref].name)
        else:
            view.shapes[ref] = Shape(*centre, w, h)

    def _connection(self, connection: etree._Element, view: View, node_elements: dict[str, str]) -> None:
        ref = connection.get(self.dialect.relationship_ref)
        points = [(self._number(p, "x"), self._number(p, "y")) for p in self._all(connection, "bendpoint")]
        source = node_elements.get(connection.get("source") or "", connection.get("source") or "")
        target = node_elements.get(connection.get("target") or "", connection.get("target") or "")
        key = ref or connection.get("identifier") or f"link{len(view.links)}"
        if ref is not None and ref not in self.model.elements:
            self.report.add(f"connection refers to missing relationship {ref!r}; not drawn", view.name,
                            connection.sourceline)
            return
        view.links[key] = Link(source, target, points=points)


def xsi_type(element: etree._Element) -> str:
    """The ``xsi:type`` of ``element`` without its prefix (``archimate:Node``: ``Node``)."""
    return (element.get(XSI_TYPE) or "").rpartition(":")[2]
