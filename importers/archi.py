"""Archi's own model files (``.archimate``, namespace ``http://www.archimatetool.com/archimate``).

Folders become Packages owning what they hold. Elements and relationships are read as in the Open
Exchange Format (:class:`importers.archimate.ConceptMapper`): the ArchiMate 2 names Archi wrote before
its 4.0 release become ArchiMate 3's, the motivation elements that state what must hold become
Requirements, relationships become Relations named by their type. ArchiMate views
(``ArchimateDiagramModel``) become block Views: diagram objects as shapes (Archi's bounds are relative
to the object they sit in, and a width or height of -1 or none is Archi's default size, 120 x 55),
connections of relationships as links, groups, notes and view references as notes. Sketch and canvas
views, property values and Archi's relative bendpoints are counted, not imported.
"""

from __future__ import annotations

import os

from lxml import etree

from importers.archimate import ConceptMapper, xsi_type
from importers.report import ImportReport
from importers.xml_safe import parse_file
from metamodel.elements import Package
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.views import Link, Note, Shape, View

NAMESPACE = "http://www.archimatetool.com/archimate"
DEFAULT_SIZE = (120.0, 55.0)
REASONS = {
    "property": "property values are not imported",
    "sketch or canvas view": "sketch and canvas views are not ArchiMate views; they are not imported",
    "bendpoint": "Archi's bendpoints are relative to the connection's ends; links are drawn straight",
    "accessType": "the read/write kind of access relationships is not kept",
    "duplicate shape": "a view shows the element more than once; Salver keeps its first shape per view",
    "viewpoint": "diagram viewpoints are not imported",
}


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import an Archi ``.archimate`` model file."""
    report = ImportReport(source=str(path), format="archi")
    root = parse_file(path).getroot()
    model = ArchiMapper(root, str(path), report).run()
    model.source_path = str(path)
    return model, report


class ArchiMapper(ConceptMapper):
    """Builds a ``Model`` from a parsed ``.archimate`` file; use once: ``ArchiMapper(...).run()``."""

    def __init__(self, root: etree._Element, source: str, report: ImportReport) -> None:
        tag = etree.QName(root)
        if tag.namespace != NAMESPACE or tag.localname != "model":
            raise ParseError(f"not an Archi model: root element <{tag.localname}> in namespace "
                             f"{tag.namespace or '(none)'}", file=source, line=root.sourceline)
        self.root = root
        super().__init__(report, REASONS, root.get("name") or "", _text(root, "purpose"))
        self.diagrams: list[etree._Element] = []

    def run(self) -> Model:
        self._contents(self.root, None)
        for diagram in self.diagrams:
            self._view(diagram)
        return self._finish()

    def _contents(self, holder: etree._Element, owner: str | None) -> None:
        for child in holder:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == "folder":
                package = Package(child.get("id") or self.model.new_id("folder"), child.get("name") or "folder",
                                  owner=owner, doc=_documentation(child))
                if self._add(package, child):
                    self._contents(child, package.id)
            elif tag == "element":
                self._element(child, owner)
            elif tag == "property":
                self.unmapped.count("property", child.sourceline, child.get("key") or "")

    def _element(self, element: etree._Element, owner: str | None) -> None:
        kind, identifier, name = xsi_type(element), element.get("id") or "", element.get("name") or ""
        for prop in element.iterchildren("property"):
            self.unmapped.count("property", prop.sourceline, prop.get("key") or "")
        if kind == "ArchimateDiagramModel":
            self.diagrams.append(element)
        elif kind in ("SketchModel", "CanvasModel"):
            self.unmapped.count("sketch or canvas view", element.sourceline, name)
        elif kind.endswith("Relationship"):
            if self._relation(kind, identifier, name, _documentation(element), element) and element.get("accessType"):
                self.unmapped.count("accessType", element.sourceline, name)
        else:
            self._concept(kind, identifier, name, _documentation(element), element)
        created = self.model.get(identifier)
        if created is not None and kind != "ArchimateDiagramModel":
            created.owner = owner

    # -- views --------------------------------------------------------------------------------------
    def _view(self, diagram: etree._Element) -> None:
        view = View(diagram.get("id") or self.model.new_id("view"), diagram.get("name") or "View", kind="block")
        if diagram.get("viewpoint"):
            self.unmapped.count("viewpoint", diagram.sourceline, diagram.get("viewpoint") or "")
        objects: dict[str, str] = {}  # diagram object id -> element id
        connections: list[etree._Element] = []
        self._objects(diagram, (0.0, 0.0), view, objects, connections)
        for connection in connections:
            relation = connection.get("relationship")
            if relation is None:
                continue  # a plain line of the drawing
            if relation not in self.model.elements:
                self.report.add(f"connection refers to missing relationship {relation!r}; not drawn", view.name,
                                connection.sourceline)
                continue
            source, target = (objects.get(connection.get(end) or "", "") for end in ("source", "target"))
            view.links[relation] = Link(source, target)
            for bendpoint in connection.iterchildren("bendpoint"):
                self.unmapped.count("bendpoint", bendpoint.sourceline)
        self.model.views.append(view)

    def _objects(self, parent: etree._Element, origin: tuple[float, float], view: View, objects: dict[str, str],
                 connections: list[etree._Element]) -> None:
        """The diagram objects in ``parent``, whose top-left corner is at ``origin``."""
        for child in parent.iterchildren("child"):
            bounds = child.find("bounds")
            x, y = (self._number(bounds, a) if bounds is not None else 0.0 for a in ("x", "y"))
            w, h = (self._size(bounds, a, d) for a, d in zip(("width", "height"), DEFAULT_SIZE, strict=True))
            corner = (origin[0] + x, origin[1] + y)
            centre = (corner[0] + w / 2, corner[1] + h / 2)
            connections.extend(child.iterchildren("sourceConnection"))
            ref = child.get("archimateElement")
            if ref is None:
                view.notes[child.get("id") or f"note{len(view.notes)}"] = Note(
                    child.get("name") or _text(child, "content") or child.get("content") or "", *centre, w, h)
            elif ref not in self.model.elements:
                self.report.add(f"diagram object refers to missing element {ref!r}; not drawn", view.name,
                                child.sourceline)
            else:
                objects[child.get("id") or ""] = ref
                if ref in view.shapes:
                    self.unmapped.count("duplicate shape", child.sourceline, self.model.elements[ref].name)
                else:
                    view.shapes[ref] = Shape(*centre, w, h)
            self._objects(child, corner, view, objects, connections)

    def _size(self, bounds: etree._Element | None, attribute: str, default: float) -> float:
        size = self._number(bounds, attribute, -1.0) if bounds is not None else -1.0
        return default if size < 0 else size


def _text(element: etree._Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _documentation(element: etree._Element) -> str:
    """Documentation as a child element (Archi 4) or an attribute (earlier versions)."""
    return _text(element, "documentation") or (element.get("documentation") or "").strip()
