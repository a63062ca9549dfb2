"""Mapping an indexed XMI document onto Salver's architecture elements.

One walk over the model tree creates elements; references are resolved afterwards, when every element
exists: types (local, library or other file), association-owned parts, units of value types, stubs
for referenced elements that Salver does not model. What is not mapped is counted per kind.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from importers.multiplicity import read_bound
from importers.report import ImportReport
from importers.xmi_behaviour import bind_sd_behaviour, is_sd_behaviour, settle_time, simulation_config
from importers.xmi_document import StereotypeApplication, XmiDocument
from importers.xmi_dynamics import dynamics_handlers
from importers.xmi_parametrics import PendingConstraint, attach, default_value, read_constraint
from metamodel.elements import (
    Behavior,
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
    Unmapped,
    ValueType,
)
from metamodel.model import Model

RELATION_STEREOTYPES = {"Satisfy": "satisfy", "Verify": "verify", "Refine": "refine", "Allocate": "allocate",
                        "DeriveReqt": "derive", "Trace": "trace", "Copy": "copy"}
PORT_KINDS = {"FlowPort": "flow", "FullPort": "full", "ProxyPort": "proxy"}
PROPERTY_STEREOTYPES = ("PartProperty", "ValueProperty", "ReferenceProperty", "ConstraintProperty",
                        "FlowProperty", "ParticipantProperty", "BoundReference")
PORT_STEREOTYPES = ("FlowPort", "FullPort", "ProxyPort", "ConstraintParameter")
# stereotypes that make a class a block: SysML's and Cameo's block specialisations ("additional stereotypes")
BLOCK_STEREOTYPES = ("ConstraintBlock", "Block", "System", "Subsystem", "SystemContext", "External", "Domain")
# packages a modelling tool bundles with every project; their content is not the author's design
LIBRARY_PACKAGES = {"MD Customization for SysML", "UML Standard Profile", "MagicDraw Profile", "SysML",
                    "Validation Profile", "Matrix Templates Profile", "QUDV Library", "SI Definitions",
                    "ISO 80000", "SI Value Types", "UML Primitive Types", "PrimitiveTypes", "UMLPrimitiveTypes",
                    "SysML Standard Library", "Traceability Customization", "Dependency Matrix Profile"}
LIBRARY_STEREOTYPES = {"auxiliaryResource"}
HANDLED_STEREOTYPES = {*BLOCK_STEREOTYPES, "SimulationConfig", "InterfaceBlock", "FlowSpecification", "ValueType",
                       "ItemFlow", "BindingConnector", "NestedConnectorEnd", "Requirement",
                       *RELATION_STEREOTYPES, *PROPERTY_STEREOTYPES, *PORT_STEREOTYPES}
SILENT_SLOTS = {"eAnnotations", "Extension", "packageImport", "profileApplication", "elementImport"}
REASONS = {
    "Activity": "activities are not executed",
    "OpaqueBehavior": "opaque behaviour is not imported (only SD behaviour: language XMILE, Vensim or Salver)",
    "Interaction": "behaviour (interactions) is not imported",
    "Constraint": "constraints that constrain no block (in packages, states, requirements) are not imported",
    "StateMachine": "state machines are not executed: values they set keep their default values",
    "Generalization": "generalizations are not imported",
    "UseCase": "use cases are not imported",
    "Actor": "actors are not imported",
    "ChangeEvent": "events are not imported",
    "Operation": "operations are not imported",
    "InstanceSpecification": "instances are not imported",
    "Diagram": "diagrams are not imported",
}
_DIRECTIONS = {"in": "in", "out": "out", "inout": "inout", "": "inout"}


class Mapper:
    """Builds a ``Model`` from an ``XmiDocument``; use once: ``Mapper(doc, report).run()``."""

    def __init__(self, doc: XmiDocument, report: ImportReport) -> None:
        self.doc = doc
        self.report = report
        first = doc.model_roots[0]
        self.model = Model(name=first.get("name") or "model")
        self.unmapped: dict[str, list] = {}  # label -> [count, first line, first name]
        self.not_executed: dict[str, list] = {}  # behaviour imported for the checks: label -> [count, line, name]
        self.consumed: set[int] = set()  # id() of stereotype applications read
        self.flow_property_ids: set[str] = set()
        self.aggregation: dict[str, str] = {}
        self.associations: list[tuple[etree._Element, list[str]]] = []
        self.comments: list[tuple[str, list[str], str | None]] = []
        self.connector_types: dict[str, str] = {}
        self.unit_refs: dict[str, str] = {}
        self.uses_sysml = any("sysml" in (etree.QName(a.element).namespace or "").lower() for a in doc.applications)
        self.pending: list[tuple[etree._Element, str | None]] = []  # elements to map next (last first)
        self.pending_constraints: list[PendingConstraint] = []
        self.handlers: dict[str, Callable[[etree._Element, str | None], None]] = {
            "Model": self._package, "Package": self._package, "Profile": self._package,
            "Class": self._class, "Component": self._class, "Interface": self._interface,
            "DataType": self._value_type, "PrimitiveType": self._value_type, "Enumeration": self._value_type,
            "Property": self._property, "Port": self._port, "Connector": self._connector,
            "Association": self._association, "InformationFlow": self._item_flow, "Comment": self._comment,
            "Abstraction": self._relation, "Dependency": self._relation, "Realization": self._relation,
            "Usage": self._relation, "OpaqueBehavior": self._opaque_behaviour, "Constraint": self._constraint,
            "PackageImport": _ignore, "ProfileApplication": _ignore, "ElementImport": _ignore,
            **dynamics_handlers(self),
        }

    # -- driver -------------------------------------------------------------------------------------
    def run(self) -> Model:
        for root in self.doc.model_roots:
            self._walk(root)
        self._resolve()
        settle_time(self.model, self.report, simulation_config(self.doc))
        self._report_leftovers()
        return self.model

    def _walk(self, root: etree._Element) -> None:
        """Map ``root`` and everything it owns, parents before children in document order, with a stack
        instead of recursion (packages nest to any depth)."""
        self.pending = [(root, None)]
        while self.pending:
            self._element(*self.pending.pop())

    def _children(self, element: etree._Element, owner: str | None) -> None:
        """Queue the owned elements of ``element``; ``_walk`` maps them after the current handler."""
        self._queue([child for child in element if isinstance(child.tag, str)
                     and etree.QName(child).localname not in SILENT_SLOTS and self.doc.xid(child)], owner)

    def _queue(self, children: list[etree._Element], owner: str | None) -> None:
        self.pending.extend((child, owner) for child in reversed(children))

    def _element(self, element: etree._Element, owner: str | None) -> None:
        kind = self.doc.type_of(element) or etree.QName(element).localname
        handler = self.handlers.get(kind)
        if handler is None:
            self._count(kind, element)
        else:
            handler(element, owner)

    def _count(self, label: str, element: etree._Element) -> None:
        entry = self.unmapped.setdefault(label, [0, element.sourceline, element.get("name") or ""])
        entry[0] += 1

    def _add(self, created: Element, element: etree._Element) -> bool:
        if created.id in self.model.elements:
            self.report.add(f"duplicate xmi:id {created.id!r}; second element skipped", created.name,
                            element.sourceline, "error")
            return False
        holder = self.model.elements.get(created.owner or "")
        created.library = created.library or (holder is not None and holder.library)
        self.model.add(created)
        self.report.lines[created.id] = element.sourceline
        for application in self.doc.stereotypes.get(created.id, ()):
            if application.name in HANDLED_STEREOTYPES or application.name.endswith("Requirement"):
                self.consumed.add(id(application))
        return True

    def _app(self, element_id: str, *names: str) -> StereotypeApplication | None:
        return self.doc.application(element_id, *names)

    # -- structure ----------------------------------------------------------------------------------
    def _package(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element) or f"package:{element.sourceline}"
        package = Package(element_id, element.get("name") or "", owner=owner, library=self._is_library(element))
        if self._add(package, element):
            self._children(element, element_id)

    def _is_library(self, element: etree._Element) -> bool:
        """A tool's bundled package: a profile, a package named like a bundled library, one a tool marks
        as an auxiliary resource, or one Cameo records as a used module."""
        if self.doc.type_of(element) == "Profile" or element.get("name") in LIBRARY_PACKAGES:
            return True
        if LIBRARY_STEREOTYPES & set(self.doc.stereotype_names(self.doc.xid(element) or "")):
            return True
        extension_tag = f"{{{self.doc.xmi_ns}}}Extension"
        return any(etree.QName(e).localname == "moduleExtension" for child in element.iterchildren(extension_tag)
                   for e in child if isinstance(e.tag, str))

    def _class(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        names = self.doc.stereotype_names(element_id)
        name = element.get("name") or ""
        requirement = next((n for n in names if n.endswith("Requirement")), None)
        created: Element
        if requirement:
            app = self._app(element_id, requirement)
            created = Requirement(element_id, name, owner=owner, req_id=app.value("id") or "",
                                  text=app.value("text") or "")
        elif {"InterfaceBlock", "FlowSpecification"} & set(names):
            created = Interface(element_id, name, owner=owner)
        elif "ValueType" in names:
            self._value_type(element, owner)
            return
        else:
            stereotype = next((n for n in BLOCK_STEREOTYPES if n in names), "")
            if not stereotype and self.uses_sysml:
                self._plain_class(element, owner)
                return
            created = Block(element_id, name, owner=owner, is_abstract=element.get("isAbstract") == "true",
                            stereotype=stereotype)
        if self._add(created, element):
            self._children(element, element_id)

    def _plain_class(self, element: etree._Element, owner: str | None) -> None:
        """A UML class without a block stereotype in a SysML model is not a block: its features are not
        imported (a reference to it becomes a stub); classifiers nested in it still are."""
        self._count("Class without a SysML stereotype (not a block)", element)
        self._queue([child for child in element if isinstance(child.tag, str) and self.doc.xid(child)
                     and etree.QName(child).localname in ("nestedClassifier", "packagedElement")], owner)

    def _opaque_behaviour(self, element: etree._Element, owner: str | None) -> None:
        block = self.model.elements.get(owner or "")
        if isinstance(block, Block) and is_sd_behaviour(element):
            bind_sd_behaviour(self.model, element, self.doc.xid(element) or f"behaviour:{element.sourceline}",
                              block, self.doc.source, self.report)
        else:
            self._count("OpaqueBehavior", element)

    def _constraint(self, element: etree._Element, owner: str | None) -> None:
        pending = read_constraint(self.model, self.doc, self.report, element, owner)
        if pending is not None:
            self.pending_constraints.append(pending)

    def _interface(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        if self._add(Interface(element_id, element.get("name") or "", owner=owner), element):
            self._children(element, element_id)

    def _value_type(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        if not self._add(ValueType(element_id, element.get("name") or "", owner=owner), element):
            return
        app = self._app(element_id, "ValueType")
        unit = self.doc.ref(app.element, "unit") if app is not None else None
        if unit:
            self.unit_refs[element_id] = unit
        self._children(element, element_id)

    def _property(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        names = self.doc.stereotype_names(element_id)
        name = element.get("name") or ""
        type_key = self.doc.ref(element, "type")
        holder = self.model.get(owner)
        if isinstance(holder, Interface) and ("FlowProperty" in names or self._is_flow_spec(owner)):
            app = self._app(element_id, "FlowProperty")
            if app is not None:
                self.consumed.add(id(app))
            direction = _direction(app.value("direction") if app is not None else None)
            holder.flow_properties.append(FlowProperty(name, direction, type_key, id=element_id))
            self.flow_property_ids.add(element_id)
            self.report.lines[element_id] = element.sourceline
            return
        if "FlowProperty" in names:
            self._count("FlowProperty on a block (kept as a property, direction dropped)", element)
        lower, upper, invalid = self._multiplicity(element)
        stereotype = next((n for n in PROPERTY_STEREOTYPES if n in names), "")
        part = Part(element_id, name, owner=owner, type=type_key, lower=lower, upper=upper,
                    default=default_value(self.doc, element), stereotype=stereotype, invalid=invalid)
        if self._add(part, element):
            self.aggregation[element_id] = element.get("aggregation") or "none"

    def _is_flow_spec(self, interface_id: str | None) -> bool:
        return interface_id is not None and "FlowSpecification" in self.doc.stereotype_names(interface_id)

    def _port(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        names = self.doc.stereotype_names(element_id)
        stereotype = next((n for n in PORT_STEREOTYPES if n in names), "")
        app = self._app(element_id, stereotype) if stereotype else None
        direction = _direction(app.value("direction") if app is not None else None)
        conjugated = "true" in (element.get("isConjugated"), app.value("isConjugated") if app else None)
        lower, upper, invalid = self._multiplicity(element)
        port = Port(element_id, element.get("name") or "", owner=owner, direction=direction,
                    port_kind=PORT_KINDS.get(stereotype, "standard"), type=self.doc.ref(element, "type"),
                    conjugated=conjugated, lower=lower, upper=upper, stereotype=stereotype, invalid=invalid)
        self._add(port, element)

    def _connector(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        ends = []
        for child in element:
            if not isinstance(child.tag, str) or etree.QName(child).localname != "end":
                continue
            end_id = self.doc.xid(child) or ""
            nested = self._app(end_id, "NestedConnectorEnd")
            path = self.doc.refs(nested.element, "propertyPath") if nested is not None else []
            if nested is not None:
                self.consumed.add(id(nested))
            ends.append(ConnectorEnd(self.doc.ref(child, "role"), self.doc.ref(child, "partWithPort"), path))
        binding = "BindingConnector" in self.doc.stereotype_names(element_id)
        connector = Connector(element_id, element.get("name") or "", owner=owner, ends=ends, binding=binding)
        if self._add(connector, element):
            type_key = self.doc.ref(element, "type")
            if type_key:
                self.connector_types[element_id] = type_key

    def _association(self, element: etree._Element, owner: str | None) -> None:
        """Associations are not elements; their composite/shared owned ends are parts of the whole."""
        member_ends = self.doc.refs(element, "memberEnd")
        for child in element:
            owned_end = isinstance(child.tag, str) and etree.QName(child).localname == "ownedEnd"
            if owned_end and self.doc.xid(child) and child.get("aggregation") in ("composite", "shared"):
                self.associations.append((child, member_ends))

    def _item_flow(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        sources = self._flow_ends(self.doc.refs(element, "informationSource"))
        targets = self._flow_ends(self.doc.refs(element, "informationTarget"))
        if len(sources) > 1 or len(targets) > 1:
            self.report.add(f"item flow with {len(sources)} sources and {len(targets)} targets: only the "
                            "first of each is kept", element.get("name") or element_id, element.sourceline)
        flow = ItemFlow(element_id, element.get("name") or "", owner=owner,
                        conveyed=self.doc.refs(element, "conveyed"), source=sources[0] if sources else None,
                        target=targets[0] if targets else None,
                        realizing_connectors=self.doc.refs(element, "realizingConnector"))
        self._add(flow, element)

    def _flow_ends(self, ends: list[str]) -> list[str]:
        """The ends of an item flow, dropping a block named beside one of its own ports or properties."""
        owners = {self.doc.by_id[e].getparent() for e in ends if e in self.doc.by_id}
        return [e for e in ends if e not in self.doc.by_id or self.doc.by_id[e] not in owners]

    def _relation(self, element: etree._Element, owner: str | None) -> None:
        element_id = self.doc.xid(element)
        names = self.doc.stereotype_names(element_id)
        kind = next((RELATION_STEREOTYPES[n] for n in names if n in RELATION_STEREOTYPES), None)
        if kind is None:
            kind = "realization" if self.doc.type_of(element) == "Realization" else "dependency"
        relation = Relation(element_id, element.get("name") or "", owner=owner, relation=kind,
                            sources=self.doc.refs(element, "client"),
                            targets=self.doc.refs(element, "supplier"))
        self._add(relation, element)

    def _comment(self, element: etree._Element, owner: str | None) -> None:
        body = element.get("body")
        if body is None:
            body = next(((c.text or "").strip() for c in element
                         if isinstance(c.tag, str) and etree.QName(c).localname == "body"), "")
        if body:
            self.comments.append((body, self.doc.refs(element, "annotatedElement"), owner))

    def _multiplicity(self, element: etree._Element) -> tuple[int, int | None, dict[str, str]]:
        """Lower and upper bound (1 when absent) and the bounds that are not numbers, as written."""
        invalid: dict[str, str] = {}
        bounds: dict[str, int | None] = {}
        for key, slot in (("lower", "lowerValue"), ("upper", "upperValue")):
            text: str | None = None
            for child in element:
                if isinstance(child.tag, str) and etree.QName(child).localname == slot:
                    text = child.get("value", "0")  # a literal without value holds its default, 0
                    break
            bounds[key], bad = read_bound(text, 1, upper=key == "upper")
            if bad is not None:
                invalid[key] = bad
        return bounds["lower"] or 0, bounds["upper"], invalid

    # -- resolution ---------------------------------------------------------------------------------
    def _resolve(self) -> None:
        for end, member_ends in self.associations:
            self._association_part(end, member_ends)
        for pending in self.pending_constraints:
            if not attach(self.model, self.doc, self.report, pending):
                self._count("Constraint", pending.element)
        for element in list(self.model.elements.values()):
            self._resolve_element(element)
        for value_type_id, unit in self.unit_refs.items():
            self.model.elements[value_type_id].units = self._unit_name(unit)
        for element in self.model.elements.values():
            self._derive(element)
        for connector_id, type_key in self.connector_types.items():
            if type_key in self.model.elements and isinstance(self.model.elements[type_key], Block):
                self.model.elements[connector_id].type = type_key
        for body, annotated, owner in self.comments:
            targets = [t for t in annotated if t in self.model.elements] or ([owner] if owner else [])
            for target in targets:
                element = self.model.elements[target]
                element.doc = f"{element.doc}\n{body}" if element.doc else body

    def _association_part(self, end: etree._Element, member_ends: list[str]) -> None:
        end_id = self.doc.xid(end)
        others = [m for m in member_ends if m != end_id]
        opposite = self.doc.by_id.get(others[0]) if others else None
        whole = self.doc.ref(opposite, "type") if opposite is not None else None
        if whole in self.model.elements:
            self._property(end, whole)
        elif whole in self.doc.by_id:
            self._count("association end owned by an element that is not imported", end)
        else:
            self.report.add("association end: the owning block was not found; part not imported",
                            end.get("name") or end_id, end.sourceline)

    def _resolve_element(self, element: Element) -> None:
        keys: list[str | None] = []
        if isinstance(element, Part | Port):
            keys.append(element.type)
        elif isinstance(element, Interface):
            keys.extend(fp.type for fp in element.flow_properties)
        elif isinstance(element, Connector):
            for end in element.ends:
                keys.extend([end.role, end.part_with_port, *end.nested_path])
        elif isinstance(element, ItemFlow):
            keys.extend([element.source, element.target, *element.conveyed])
        elif isinstance(element, Relation):
            keys.extend([*element.sources, *element.targets])
        elif isinstance(element, Behavior):
            keys.extend([element.source, element.target, *element.members])
        for key in keys:
            self._target(key)

    def _target(self, key: str | None) -> None:
        """Make ``key`` resolvable when the file defines it: library types and other files' elements
        become value types; elements of kinds Salver does not model become ``Unmapped`` stubs."""
        if not key or key in self.model.elements or key in self.flow_property_ids:
            return
        external = self.doc.externals.get(key)
        if external is not None:
            self.model.add(ValueType(key, external.name, href=external.href))
            return
        source = self.doc.by_id.get(key)
        if source is not None:
            kind = self.doc.type_of(source) or etree.QName(source).localname
            stub = Unmapped(key, source.get("name") or "", source_type=kind,
                            stereotype=",".join(self.doc.stereotype_names(key)))
            self.model.add(stub)
            self.report.lines[key] = source.sourceline

    def _unit_name(self, key: str) -> str:
        if key in self.doc.externals:
            return self.doc.externals[key].name
        unit = self.doc.by_id.get(key)
        if unit is None:
            return key
        app = self._app(key, "Unit", "DerivedUnit", "SimpleUnit")
        symbol = app.value("symbol") if app is not None else None
        if app is not None:
            self.consumed.add(id(app))
        return symbol or unit.get("name") or key

    def _derive(self, element: Element) -> None:
        """Aggregation kinds, flow types and units that follow from the resolved types."""
        if isinstance(element, Part):
            type_element = self.model.get(element.type)
            raw = self.aggregation.get(element.id, "none")
            if element.stereotype == "ValueProperty" or isinstance(type_element, ValueType):
                element.aggregation = "value"
            else:
                element.aggregation = "part" if raw == "composite" else "reference"
        elif isinstance(element, Port):
            type_element = self.model.get(element.type)
            if type_element is not None:
                element.flow_type = type_element.name
                if isinstance(type_element, ValueType):
                    element.units = type_element.units
            if isinstance(type_element, Interface) and element.direction == "inout":
                directions = {fp.direction for fp in type_element.flow_properties}
                element.direction = directions.pop() if len(directions) == 1 else "inout"
        elif isinstance(element, Interface):
            for flow_property in element.flow_properties:
                type_element = self.model.get(flow_property.type)
                if isinstance(type_element, ValueType):
                    flow_property.units = type_element.units

    # -- report -------------------------------------------------------------------------------------
    def _report_leftovers(self) -> None:
        for other in self.doc.other_roots:
            self._count(etree.QName(other).localname, other)
        for label, (count, line, name) in sorted(self.unmapped.items(), key=lambda item: item[1][1] or 0):
            reason = REASONS.get(label, "not mapped to Salver's architecture metamodel")
            self.report.add(f"{count} x {label} not imported: {reason}", f"first: {name}" if name else "",
                            line, "info")
        for label, (count, line, name) in self.not_executed.items():
            self.report.add(f"{count} x {label} imported as behaviour elements for the checks; "
                            f"{REASONS.get(label, 'behaviour is not executed')}", f"first: {name}" if name else "",
                            line, "info")
        groups: dict[tuple[str, str, str], list] = {}
        for application in self.doc.applications:
            if id(application) in self.consumed:
                continue
            severity, reason = self._why_unused(application)
            group = groups.setdefault((application.name, severity, reason), [0, application.line])
            group[0] += 1
        for (name, severity, reason), (count, line) in groups.items():
            self.report.add(f"{count} x stereotype «{name}» {reason}", line=line, severity=severity)

    def _why_unused(self, application: StereotypeApplication) -> tuple[str, str]:
        base = application.base
        if base in self.doc.extension_ids:
            return "info", "applied to tool data (diagrams), which is not imported"
        if base not in self.doc.by_id:
            return "warning", f"points at a missing element (first: {base!r})"
        if base in self.model.elements and not isinstance(self.model.elements[base], Unmapped):
            return "info", "not interpreted by Salver"
        return "info", "applied to elements that are not imported"


def _ignore(element: etree._Element, owner: str | None) -> None:
    """Package imports and profile applications: tool bookkeeping, not model content."""


def _direction(value: str | None) -> str:
    return _DIRECTIONS.get((value or "").strip().lower(), "inout")

