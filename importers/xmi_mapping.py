"""Mapping a streamed XMI document onto Salver's architecture elements.

One walk over the model's nodes creates elements; references are resolved afterwards, when every
element exists: types (local, library or other file), association-owned parts, units of value types,
stubs for referenced elements that Salver does not model. What is not mapped is counted per kind.
Nodes are let go as they are mapped, so the document and the model are not both held whole.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from importers.multiplicity import read_bound
from importers.report import ImportReport
from importers.xmi_behaviour import bind_sd_behaviour, is_sd_behaviour, settle_time, simulation_config
from importers.xmi_document import Node, StereotypeApplication, XmiDocument
from importers.xmi_dynamics import dynamics_handlers
from importers.xmi_parametrics import PendingConstraint, attach, default_value, read_constraint
from metamodel.elements import (
    NO_VALUES,
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
# stereotypes whose SysML constraints name the owner (a block) or forbid another one on the same port:
# a class without «Block» keeps its features that carry one, as stubs
BLOCK_FEATURE_STEREOTYPES = {"ConnectorProperty", "DistributedProperty", "ParticipantProperty", "FullPort",
                             "ProxyPort"}
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
    "Generalization": "generalizations of elements that are not imported (associations, plain classes) are "
                      "not imported",
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
        self.flow_properties: dict[str, FlowProperty] = {}
        self.aggregation: dict[str, str] = {}
        self.associations: list[tuple[Node, list[str]]] = []
        self.comments: list[tuple[str, list[str], str | None]] = []
        self.connector_types: dict[str, str] = {}
        self.unit_refs: dict[str, str] = {}
        self.uses_sysml = doc.uses_sysml
        self.flow_end_parents = _flow_end_parents(doc)
        self.pending: list[tuple[Node, str | None]] = []  # nodes to map next (last first)
        self.pending_constraints: list[PendingConstraint] = []
        self.handlers: dict[str, Callable[[Node, str | None], None]] = {
            "Model": self._package, "Package": self._package, "Profile": self._package,
            "Class": self._class, "Component": self._class, "Interface": self._interface,
            "DataType": self._value_type, "PrimitiveType": self._value_type, "Enumeration": self._value_type,
            "Property": self._property, "Port": self._port, "Connector": self._connector,
            "Association": self._association, "InformationFlow": self._item_flow, "Comment": self._comment,
            "Abstraction": self._relation, "Dependency": self._relation, "Realization": self._relation,
            "Usage": self._relation, "OpaqueBehavior": self._opaque_behaviour, "Constraint": self._constraint,
            "Generalization": self._generalization,
            "PackageImport": _ignore, "ProfileApplication": _ignore, "ElementImport": _ignore,
            **dynamics_handlers(self),
        }

    # -- driver -------------------------------------------------------------------------------------
    def run(self) -> Model:
        config = simulation_config(self.doc)  # read before the walk keeps only the names of what it reads
        roots = self.doc.model_roots
        while roots:
            self._walk(roots.pop(0))  # the walk lets each node go once mapped
        self._resolve()
        settle_time(self.model, self.report, config)
        self._report_leftovers()
        return self.model

    def _walk(self, root: Node) -> None:
        """Map ``root`` and everything it owns, parents before children in document order, with a stack
        instead of recursion (packages nest to any depth). Only the stack holds the nodes still to map,
        so each node is freed once mapped, unless the document indexes it."""
        self.pending = [(root, None)]
        del root
        while self.pending:
            self._element(*self.pending.pop())

    def _children(self, node: Node, owner: str | None) -> None:
        """Queue the owned elements of ``node``; ``_walk`` maps them after the current handler."""
        self._queue([child for child in node.children if child.id and child.tag not in SILENT_SLOTS], owner)

    def _queue(self, children: list[Node], owner: str | None) -> None:
        self.pending.extend((child, owner) for child in reversed(children))

    def _element(self, node: Node, owner: str | None) -> None:
        kind = node.kind or node.tag
        handler = self.handlers.get(kind)
        if handler is None:
            self._count(kind, node)
            self._keep_member(node, kind, owner)
        else:
            handler(node, owner)

    def _count(self, label: str, node: Node) -> None:
        entry = self.unmapped.setdefault(label, [0, node.line, node.get("name") or ""])
        entry[0] += 1

    def _keep_member(self, node: Node, kind: str, owner: str | None) -> None:
        """A member of a requirement or interface block that is not mapped (an operation, a behaviour, a
        class without a SysML stereotype) stays as a stub it owns: SysML forbids such members there."""
        if node.id and node.id not in self.model.elements and \
                isinstance(self.model.elements.get(owner or ""), Requirement | Interface):
            stub = Unmapped(node.id, node.get("name") or "", owner=owner, source_type=kind,
                            stereotype=",".join(self.doc.stereotype_names(node.id)))
            self._add(stub, node)

    def _add(self, created: Element, node: Node, *, whole: bool = False) -> bool:
        """Add an element read from ``node``; ``whole``: everything inside the node was read into it."""
        if created.id in self.model.elements:
            self.report.add(f"duplicate xmi:id {created.id!r}; second element skipped", created.name,
                            node.line, "error")
            return False
        holder = self.model.elements.get(created.owner or "")
        created.library = created.library or (holder is not None and holder.library)
        self.model.elements[created.id] = created  # its id is new: checked above
        self.report.lines[created.id] = node.line
        self.doc.consume(created.id, _handled)
        self._let_go(node, whole)
        return True

    def _let_go(self, node: Node, whole: bool) -> None:
        """The document no longer holds ``node`` (and, when ``whole``, what is inside it) by id."""
        by_id = self.doc.by_id
        if node.id is not None and by_id.get(node.id) is node:
            by_id[node.id] = None
        pending = list(node.children) if whole else []
        while pending:
            inner = pending.pop()
            if inner.id is not None and by_id.get(inner.id) is inner:
                by_id[inner.id] = None
            pending.extend(inner.children)

    def _app(self, element_id: str, *names: str) -> StereotypeApplication | None:
        return self.doc.application(element_id, *names)

    # -- structure ----------------------------------------------------------------------------------
    def _package(self, node: Node, owner: str | None) -> None:
        element_id = node.id or f"package:{node.line}"
        package = Package(element_id, node.get("name") or "", owner=owner, library=self._is_library(node))
        if self._add(package, node):
            self._children(node, element_id)

    def _is_library(self, node: Node) -> bool:
        """A tool's bundled package: a profile, a package named like a bundled library, one a tool marks
        as an auxiliary resource, or one Cameo records as a used module."""
        if node.kind == "Profile" or node.get("name") in LIBRARY_PACKAGES:
            return True
        if LIBRARY_STEREOTYPES & set(self.doc.stereotype_names(node.id or "")):
            return True
        return bool(node.extra and node.extra.get("module"))

    def _class(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        names = self.doc.stereotype_names(element_id)
        name = element.get("name") or ""
        requirement = next((n for n in names if n.endswith("Requirement")), None)
        created: Element
        if requirement:
            app = self._app(element_id, requirement)
            created = Requirement(element_id, name, owner=owner, req_id=app.value("id") or "",
                                  text=app.value("text") or "", stereotype=requirement)
        elif {"InterfaceBlock", "FlowSpecification"} & set(names):
            stereotype = "InterfaceBlock" if "InterfaceBlock" in names else "FlowSpecification"
            created = Interface(element_id, name, owner=owner, stereotype=stereotype)
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

    def _plain_class(self, element: Node, owner: str | None) -> None:
        """A UML class without a block stereotype in a SysML model is not a block: its features are not
        imported (a reference to it becomes a stub); classifiers nested in it still are."""
        self._count("Class without a SysML stereotype (not a block)", element)
        self._keep_member(element, "Class", owner)
        self._keep_against_blocks(element, owner)
        self._queue([child for child in element.children if child.id
                     and child.tag in ("nestedClassifier", "packagedElement")], owner)

    def _keep_against_blocks(self, element: Node, owner: str | None) -> None:
        """What SysML's constraints judge in a class that is not a block: its generalizations to blocks
        (Block [8]) and its features carrying a stereotype of blocks' features (``BLOCK_FEATURE_STEREOTYPES``),
        kept as stubs owned by a stub of the class."""
        features = [c for c in element.children if c.id and c.tag == "ownedAttribute"
                    and BLOCK_FEATURE_STEREOTYPES & set(self.doc.stereotype_names(c.id))]
        generalizations = [(c, general) for c in element.children if c.tag == "generalization"
                           for general in self.doc.refs(c, "general")[:1]
                           if set(BLOCK_STEREOTYPES) & set(self.doc.stereotype_names(general))]
        if not features and not generalizations or not element.id:
            return
        if element.id not in self.model.elements:
            self._add(Unmapped(element.id, element.get("name") or "", owner=owner, source_type="Class"), element)
        for feature in features:
            self._add(Unmapped(feature.id or "", feature.get("name") or "", owner=element.id,
                               source_type=feature.kind or "Property",
                               stereotype=",".join(self.doc.stereotype_names(feature.id or ""))), feature)
        for node, general in generalizations:
            self._add(Relation(node.id or f"generalization:{node.line}", "", owner=element.id,
                               relation="specialization", sources=[element.id], targets=[general]), node, whole=True)

    def _opaque_behaviour(self, element: Node, owner: str | None) -> None:
        block = self.model.elements.get(owner or "")
        if isinstance(block, Block) and is_sd_behaviour(element):
            bind_sd_behaviour(self.model, element, element.id or f"behaviour:{element.line}",
                              block, self.doc.source, self.report)
        else:
            self._count("OpaqueBehavior", element)
            self._keep_member(element, "OpaqueBehavior", owner)

    def _constraint(self, element: Node, owner: str | None) -> None:
        pending = read_constraint(self.model, self.doc, self.report, element, owner)
        if pending is not None:
            self.pending_constraints.append(pending)

    def _interface(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        if self._add(Interface(element_id, element.get("name") or "", owner=owner), element):
            self._children(element, element_id)

    def _value_type(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        app = self._app(element_id, "ValueType")
        unit = self.doc.ref(app, "unit") if app is not None else None
        value_type = ValueType(element_id, element.get("name") or "", owner=owner,
                               stereotype="ValueType" if app is not None else "")
        if not self._add(value_type, element):
            return
        if unit:
            self.unit_refs[element_id] = unit
        self._children(element, element_id)

    def _property(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        names = self.doc.stereotype_names(element_id)
        name = element.get("name") or ""
        type_key = self.doc.ref(element, "type")
        holder = self.model.get(owner)
        if isinstance(holder, Interface) and ("FlowProperty" in names or self._is_flow_spec(owner)):
            app = self._app(element_id, "FlowProperty")
            if app is not None:
                app.consumed = True
            direction = _direction(app.value("direction") if app is not None else None)
            flow_property = FlowProperty(name, direction, type_key, id=element_id)
            holder.flow_properties.append(flow_property)
            self.flow_properties[element_id] = flow_property
            self.report.lines[element_id] = element.line
            self._let_go(element, True)
            return
        if "FlowProperty" in names:
            self._count("FlowProperty on a block (kept as a property, direction dropped)", element)
        lower, upper, invalid = self._multiplicity(element)
        stereotype = next((n for n in PROPERTY_STEREOTYPES if n in names), "")
        part = Part(element_id, name, owner=owner, type=type_key, lower=lower, upper=upper,
                    default=default_value(self.doc, element), stereotype=stereotype, invalid=invalid)
        if self._add(part, element, whole=True):
            self.aggregation[element_id] = element.get("aggregation") or "none"

    def _is_flow_spec(self, interface_id: str | None) -> bool:
        return interface_id is not None and "FlowSpecification" in self.doc.stereotype_names(interface_id)

    def _port(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        names = self.doc.stereotype_names(element_id)
        stereotype = next((n for n in PORT_STEREOTYPES if n in names), "")
        app = self._app(element_id, stereotype) if stereotype else None
        direction = _direction(app.value("direction") if app is not None else None)
        conjugated = "true" in (element.get("isConjugated"), app.value("isConjugated") if app else None)
        lower, upper, invalid = self._multiplicity(element)
        if {"FullPort", "ProxyPort"} <= set(names):  # a port cannot be both (FullPort [1], ProxyPort [1])
            invalid = {**invalid, "stereotype": "FullPort, ProxyPort"}
        port = Port(element_id, element.get("name") or "", owner=owner, direction=direction,
                    port_kind=PORT_KINDS.get(stereotype, "standard"), type=self.doc.ref(element, "type"),
                    conjugated=conjugated, lower=lower, upper=upper, stereotype=stereotype, invalid=invalid)
        self._add(port, element, whole=True)

    def _connector(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        ends = []
        for child in element.children:
            if child.tag != "end":
                continue
            end_id = child.id or ""
            nested = self._app(end_id, "NestedConnectorEnd")
            path = self.doc.refs(nested, "propertyPath") if nested is not None else []
            if nested is not None:
                nested.consumed = True
            ends.append(ConnectorEnd(self.doc.ref(child, "role"), self.doc.ref(child, "partWithPort"), path))
        binding = "BindingConnector" in self.doc.stereotype_names(element_id)
        connector = Connector(element_id, element.get("name") or "", owner=owner, ends=ends, binding=binding)
        if self._add(connector, element, whole=True):
            type_key = self.doc.ref(element, "type")
            if type_key:
                self.connector_types[element_id] = type_key

    def _association(self, element: Node, owner: str | None) -> None:
        """Associations are not elements; their composite/shared owned ends are parts of the whole."""
        member_ends = self.doc.refs(element, "memberEnd")
        for child in element.children:
            if child.tag == "ownedEnd" and child.id and child.get("aggregation") in ("composite", "shared"):
                self.associations.append((child, member_ends))

    def _item_flow(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        sources = self._flow_ends(self.doc.refs(element, "informationSource"))
        targets = self._flow_ends(self.doc.refs(element, "informationTarget"))
        if len(sources) > 1 or len(targets) > 1:
            self.report.add(f"item flow with {len(sources)} sources and {len(targets)} targets: only the "
                            "first of each is kept", element.get("name") or element_id, element.line)
        flow = ItemFlow(element_id, element.get("name") or "", owner=owner,
                        conveyed=self.doc.refs(element, "conveyed"), source=sources[0] if sources else None,
                        target=targets[0] if targets else None,
                        realizing_connectors=self.doc.refs(element, "realizingConnector"))
        self._add(flow, element, whole=True)

    def _flow_ends(self, ends: list[str]) -> list[str]:
        """The ends of an item flow, dropping a block named beside one of its own ports or properties."""
        owners = {self.flow_end_parents.get(e) for e in ends}
        return [e for e in ends if e not in owners]

    def _relation(self, element: Node, owner: str | None) -> None:
        element_id = element.id
        names = self.doc.stereotype_names(element_id)
        stereotype = next((n for n in names if n in RELATION_STEREOTYPES), "")
        plain = "realization" if element.kind == "Realization" else "dependency"
        kind = RELATION_STEREOTYPES.get(stereotype, plain)
        relation = Relation(element_id, element.get("name") or "", owner=owner, relation=kind,
                            sources=self.doc.refs(element, "client"),
                            targets=self.doc.refs(element, "supplier"), stereotype=stereotype)
        self._add(relation, element, whole=True)

    def _generalization(self, element: Node, owner: str | None) -> None:
        """A classifier's generalization: a specialization relation from it to its general classifier, so
        that what it inherits (attributes, ports, constraints) is its own too (a requirement's is kept for
        the check that requirements take part in none)."""
        specific = self.model.elements.get(owner or "")
        general = self.doc.refs(element, "general")
        if not isinstance(specific, Block | Interface | ValueType | Requirement) or not general:
            self._count("Generalization", element)
            return
        relation = Relation(element.id or f"generalization:{element.line}", "", owner=specific.id,
                            relation="specialization", sources=[specific.id], targets=general[:1])
        self._add(relation, element, whole=True)

    def _comment(self, element: Node, owner: str | None) -> None:
        body = element.get("body")
        if body is None:
            body = next(((c.text or "").strip() for c in element.children if c.tag == "body"), "")
        if body:
            self.comments.append((body, self.doc.refs(element, "annotatedElement"), owner))

    def _multiplicity(self, element: Node) -> tuple[int, int | None, dict[str, str]]:
        """Lower and upper bound (1 when absent) and the bounds that are not numbers, as written."""
        invalid: dict[str, str] = {}
        bounds: dict[str, int | None] = {}
        for key, slot in (("lower", "lowerValue"), ("upper", "upperValue")):
            text: str | None = None
            for child in element.children:
                if child.tag == slot:
                    text = child.get("value", "0")  # a literal without value holds its default, 0
                    break
            bounds[key], bad = read_bound(text, 1, upper=key == "upper")
            if bad is not None:
                invalid[key] = bad
        return bounds["lower"] or 0, bounds["upper"], invalid or NO_VALUES

    # -- resolution ---------------------------------------------------------------------------------
    def _resolve(self) -> None:
        for end, member_ends in self.associations:
            self._association_part(end, member_ends)
        for pending in self.pending_constraints:
            if not attach(self.model, self.doc, self.report, pending):
                self._count("Constraint", pending.element)
        self.pending_constraints.clear()
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

    def _association_part(self, end: Node, member_ends: list[str]) -> None:
        others = [m for m in member_ends if m != end.id]
        whole = self._type_of_end(others[0]) if others else None
        if whole in self.model.elements:
            self._property(end, whole)
        elif whole in self.doc.by_id:
            self._count("association end owned by an element that is not imported", end)
        else:
            self.report.add("association end: the owning block was not found; part not imported",
                            end.get("name") or end.id or "", end.line)

    def _type_of_end(self, end_id: str) -> str | None:
        """The type of an association's member end, read from its node or from what it was mapped to."""
        node = self.doc.by_id.get(end_id)
        if node is not None:
            return self.doc.ref(node, "type")
        mapped = self.model.elements.get(end_id)
        if isinstance(mapped, Part | Port):
            return mapped.type
        flow_property = self.flow_properties.get(end_id)
        return flow_property.type if flow_property is not None else None

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
        elements, flow_properties = self.model.elements, self.flow_properties
        for key in keys:
            if key and key not in elements and key not in flow_properties:
                self._target(key)

    def _target(self, key: str) -> None:
        """Make ``key``, which names no element, resolvable when the file defines it: library types and
        other files' elements become value types; elements of kinds Salver does not model become
        ``Unmapped`` stubs."""
        external = self.doc.externals.get(key)
        if external is not None:
            self.model.add(ValueType(key, external.name, href=external.href))
            return
        source = self.doc.by_id.get(key)
        if source is not None:  # None: read into the element that holds it (a connector end, a bound)
            stub = Unmapped(key, source.get("name") or "", source_type=source.kind or source.tag,
                            stereotype=",".join(self.doc.stereotype_names(key)))
            self.model.add(stub)
            self.report.lines[key] = source.line

    def _unit_name(self, key: str) -> str:
        if key in self.doc.externals:
            return self.doc.externals[key].name
        unit = self.doc.by_id.get(key)
        mapped = self.model.elements.get(key)
        if unit is None and mapped is None:
            return key
        app = self._app(key, "Unit", "DerivedUnit", "SimpleUnit")
        symbol = app.value("symbol") if app is not None else None
        if app is not None:
            app.consumed = True
        return symbol or (unit.get("name") if unit is not None else mapped.name) or key  # type: ignore[union-attr]

    def _derive(self, element: Element) -> None:
        """Aggregation kinds, flow types and units that follow from the resolved types."""
        if isinstance(element, Part):
            type_element = self.model.get(element.type)
            written = self.aggregation.get(element.id)
            element.composite = None if written is None else written == "composite"
            raw = written or "none"
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
            self._count(other.tag, other)
        for label, (count, line, name) in sorted(self.unmapped.items(), key=lambda item: item[1][1] or 0):
            reason = REASONS.get(label, "not mapped to Salver's architecture metamodel")
            self.report.add(f"{count} x {label} not imported: {reason}", f"first: {name}" if name else "",
                            line, "info")
        for label, (count, line, name) in self.not_executed.items():
            self.report.add(f"{count} x {label} imported as behaviour elements for the checks; "
                            f"{REASONS.get(label, 'behaviour is not executed')}", f"first: {name}" if name else "",
                            line, "info")
        groups: dict[tuple[str, str, str], list] = {}
        unread = sorted((a for a in self.doc.applications() if not a.consumed), key=lambda a: a.line or 0)
        for application in unread:
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


@cache  # asked once per element mapped, of a few stereotypes
def _handled(stereotype: str) -> bool:
    """Whether the mapping reads an application of ``stereotype`` into the element it applies to."""
    return stereotype in HANDLED_STEREOTYPES or stereotype.endswith("Requirement")


def _ignore(element: Node, owner: str | None) -> None:
    """Package imports and profile applications: tool bookkeeping, not model content."""


def _flow_end_parents(doc: XmiDocument) -> dict[str, str]:
    """The enclosing element of each item flow end defined in the file (ends given by id or local
    ``href``), read before the walk lets nodes go."""
    idref = f"{{{doc.xmi_ns}}}idref"
    parents: dict[str, str] = {}
    for flow in doc.flows:
        for slot in ("informationSource", "informationTarget"):
            ends = (flow.get(slot) or "").split()
            ends.extend(c.get(idref) or (c.get("href") or "").partition("#")[2] for c in flow.children if c.tag == slot
                        and (c.get(idref) or (c.get("href") or "").startswith("#")))
            for end in ends:
                node = doc.by_id.get(end)
                if node is not None and node.parent_id is not None:
                    parents[end] = node.parent_id
    doc.flows.clear()
    return parents


def _direction(value: str | None) -> str:
    return _DIRECTIONS.get((value or "").strip().lower(), "inout")

