"""MTIP / HUDS XML (``.xml`` with a ``<packet>`` root): the flat export of SysML models by the Model
Transformation and Interchange Plugins for Cameo and Enterprise Architect.

Each ``<data>`` record has an ``<id>`` (one child per tool: ``<cameo>``, ``<ea>``…), a ``<type>``
(``sysml.Block``), ``<attributes>`` (name, stereotypes, direction, text…) and ``<relationships>``
(``hasParent``, ``typedBy``, ``client``/``supplier``, ``supplierPartWithPort``/``clientPartWithPort``),
each relationship naming the target's id. Attributes come as ``<attribute key="name">text</attribute>``
or wrapped, ``<attribute key="name"><attribute key="value">text</attribute></attribute>``.

Mapped: packages, blocks (and Cameo's System/Subsystem/… blocks, constraint blocks), interface blocks
and flow specifications with their flow properties, ports, part/reference/value properties, connectors
with their part-with-port ends, item flows, value types, requirements, and satisfy, verify, refine,
derive, trace, copy and allocate relations. Diagrams and behaviour are counted in the report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from importers.report import ImportReport
from importers.unmapped import UnmappedCounter
from importers.xml_safe import parse_file
from metamodel.elements import (
    Block,
    Connector,
    ConnectorEnd,
    Element,
    FlowProperty,
    Interface,
    ItemFlow,
    Package,
    Part,
    Port,
    Relation,
    Requirement,
    ValueType,
)
from metamodel.errors import ParseError
from metamodel.model import Model

PACKAGES = {"Package", "Model", "Profile"}
BLOCKS = {"Block", "ConstraintBlock", "System", "Subsystem", "SystemContext", "External", "Domain"}
INTERFACES = {"InterfaceBlock", "FlowSpecification", "Interface"}
VALUE_TYPES = {"ValueType", "Enumeration", "DataType", "PrimitiveType", "Unit", "QuantityKind"}
PORTS = {"Port": "standard", "ProxyPort": "proxy", "FullPort": "full", "FlowPort": "flow",
         "ConstraintParameter": "proxy"}
PROPERTIES = {"PartProperty": "part", "ReferenceProperty": "reference", "ValueProperty": "value",
              "Property": "reference", "ConstraintProperty": "part", "ParticipantProperty": "reference"}
RELATIONS = {"Satisfy": "satisfy", "Verify": "verify", "Refine": "refine", "DeriveRequirement": "derive",
             "Trace": "trace", "Copy": "copy", "Allocate": "allocate", "Dependency": "dependency",
             "Abstraction": "dependency", "Realization": "realization", "Usage": "dependency"}
CONNECTORS = {"Connector", "BindingConnector"}
ITEM_FLOWS = {"ItemFlow", "InformationFlow"}
REASONS = {"diagram": "diagrams are not imported", "behaviour": "behaviour is not imported"}


@dataclass
class Record:
    """One ``<data>`` record: its id, SysML type (without ``sysml.``), attributes and relationships."""

    id: str
    type: str
    line: int | None
    attributes: dict[str, str] = field(default_factory=dict)
    stereotypes: list[str] = field(default_factory=list)
    relationships: dict[str, list[str]] = field(default_factory=dict)

    def ref(self, key: str) -> str | None:
        found = self.relationships.get(key)
        return found[0] if found else None


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import an MTIP/HUDS XML file."""
    report = ImportReport(source=str(path), format="mtip")
    root = parse_file(path).getroot()
    if etree.QName(root).localname != "packet":
        raise ParseError(f"not an MTIP/HUDS file: root element <{etree.QName(root).localname}>", file=str(path),
                         line=root.sourceline)
    records = {r.id: r for r in _records(root, report)}
    model = _Mapper(records, report).run()
    model.source_path = str(path)
    return model, report


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _children(element: etree._Element, tag: str | None = None) -> Iterator[etree._Element]:
    return (c for c in element if isinstance(c.tag, str) and (tag is None or etree.QName(c).localname == tag))


def _attribute_value(attribute: etree._Element) -> str:
    """The value of an attribute, written plainly or wrapped in an ``<attribute key="value">``."""
    inner = next(_children(attribute, "attribute"), None)
    return _attribute_value(inner) if inner is not None and not _text(attribute) else _text(attribute)


def _records(root: etree._Element, report: ImportReport) -> Iterator[Record]:
    for data in _children(root, "data"):
        id_tag = next(_children(data, "id"), None)
        tool_id = next((_text(c) for c in _children(id_tag)), "") if id_tag is not None else ""
        type_tag = next(_children(data, "type"), None)
        type_name = _text(type_tag).rpartition(".")[2] if type_tag is not None else ""
        if not tool_id or not type_name:
            report.add("record without id or type skipped", line=data.sourceline, severity="error")
            continue
        record = Record(tool_id, type_name, data.sourceline)
        for attributes in _children(data, "attributes"):
            for attribute in _children(attributes, "attribute"):
                key = attribute.get("key") or ""
                if key == "stereotype":
                    record.stereotypes.extend(_attribute_value(a) for a in _children(attribute, "attribute")
                                              if a.get("key") == "stereotypeName")
                elif key:
                    record.attributes[key] = _attribute_value(attribute)
        for relationships in _children(data, "relationships"):
            for relation in _children(relationships):
                targets = [_text(i) for i in relation.iter() if isinstance(i.tag, str)
                           and etree.QName(i).localname == "id" and _text(i)]
                if targets:
                    record.relationships.setdefault(etree.QName(relation).localname, []).extend(targets)
        yield record


class _Mapper:
    def __init__(self, records: dict[str, Record], report: ImportReport) -> None:
        self.records = records
        self.report = report
        self.model = Model()
        self.unmapped = UnmappedCounter(dict(REASONS))

    def run(self) -> Model:
        models = [r for r in self.records.values() if r.type == "Model"]
        self.model.name = models[0].attributes.get("name", "model") if models else "model"
        for record in self.records.values():
            self._record(record)
        for record in self.records.values():
            if record.type == "FlowProperty":
                self._flow_property(record)
        self.unmapped.report_to(self.report)
        return self.model

    def _kind(self, record: Record) -> str:
        """The record's type, made specific by a SysML stereotype (a Class stereotyped «Block»)."""
        for stereotype in record.stereotypes:
            if stereotype in BLOCKS | INTERFACES | set(PORTS) | set(PROPERTIES) | set(RELATIONS) \
                    or stereotype.endswith("Requirement"):
                return stereotype
        return record.type

    def _add(self, element: Element, record: Record) -> None:
        if element.id in self.model.elements:
            self.report.add(f"duplicate id {element.id!r}; second record skipped", element.name, record.line, "error")
            return
        element.doc = record.attributes.get("documentation", "")
        self.model.add(element)
        if record.line:
            self.report.lines[element.id] = record.line

    def _record(self, record: Record) -> None:
        kind, name, owner = self._kind(record), record.attributes.get("name", ""), record.ref("hasParent")
        if kind in PACKAGES:
            self._add(Package(record.id, name, owner=owner), record)
        elif kind in BLOCKS:
            self._add(Block(record.id, name, owner=owner, stereotype=kind), record)
        elif kind in INTERFACES:
            self._add(Interface(record.id, name, owner=owner), record)
        elif kind.endswith("Requirement"):
            self._add(Requirement(record.id, name, owner=owner, req_id=record.attributes.get("id", ""),
                                  text=record.attributes.get("text", "")), record)
        elif kind in VALUE_TYPES:
            self._add(ValueType(record.id, name, owner=owner), record)
        elif kind in PORTS:
            direction = record.attributes.get("direction", "inout").lower()
            self._add(Port(record.id, name, owner=owner, direction=direction if direction in ("in", "out") else "inout",
                           port_kind=PORTS[kind], type=record.ref("typedBy"), stereotype=kind), record)
        elif kind in PROPERTIES:
            self._add(Part(record.id, name, owner=owner, type=record.ref("typedBy"), aggregation=PROPERTIES[kind],
                           stereotype=kind), record)
        elif kind in CONNECTORS:
            ends = [ConnectorEnd(record.ref("supplier"), record.ref("supplierPartWithPort")),
                    ConnectorEnd(record.ref("client"), record.ref("clientPartWithPort"))]
            self._add(Connector(record.id, name, owner=owner, ends=ends, binding=kind == "BindingConnector"), record)
        elif kind in ITEM_FLOWS:
            self._add(ItemFlow(record.id, name, owner=owner, source=record.ref("client"),
                               target=record.ref("supplier"), conveyed=record.relationships.get("conveyed", [])),
                      record)
        elif kind in RELATIONS:
            self._add(Relation(record.id, name, owner=owner, relation=RELATIONS[kind],
                               sources=record.relationships.get("client", []),
                               targets=record.relationships.get("supplier", [])), record)
        elif kind != "FlowProperty":
            label = "diagram" if kind.endswith("Diagram") or kind.endswith("Table") or kind.endswith("Matrix") \
                else kind
            self.unmapped.count(label, record.line, name)

    def _flow_property(self, record: Record) -> None:
        holder = self.model.get(record.ref("hasParent"))
        direction = record.attributes.get("direction", "inout").lower()
        if isinstance(holder, Interface):
            holder.flow_properties.append(FlowProperty(record.attributes.get("name", ""),
                                                       direction if direction in ("in", "out") else "inout",
                                                       record.ref("typedBy"), id=record.id))
            self.report.lines[record.id] = record.line or 0
        else:
            self.unmapped.count("FlowProperty outside an interface block", record.line,
                                record.attributes.get("name", ""))
