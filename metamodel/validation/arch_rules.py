"""Validation rules of the architecture: ports and the connectors between them (AR0xx), and model-wide
checks of references, typing, item flows, composition, names and requirements (AR1xx).

One function per rule; ``connected_port_pairs`` gives every rule the two ports a connector joins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

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
    Unmapped,
    ValueType,
)
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.names import canonical
from metamodel.units import UnitContext
from metamodel.validation.registry import Diagnostic, rule

_FLIPPED = {"in": "out", "out": "in", "inout": "inout"}


@dataclass(frozen=True)
class PortPair:
    """The two port ends of a connector; ``delegation`` when one end is the owner's own boundary port."""

    connector: Connector
    first: Port
    second: Port
    delegation: bool


def effective_direction(port: Port) -> str:
    """The direction a port's flow takes, seen from its owner: conjugation flips ``in`` and ``out``."""
    return _FLIPPED.get(port.direction, port.direction) if port.conjugated else port.direction


def connected_port_pairs(model: Model) -> Iterator[PortPair]:
    """Connectors with two ends that are both ports."""
    for connector in model.of_kind(Connector):
        if len(connector.ends) != 2:
            continue
        ends: list[tuple[ConnectorEnd, Port]] = []
        for end in connector.ends:
            port = model.get(end.role)
            if isinstance(port, Port):
                ends.append((end, port))
        if len(ends) == 2:
            (end_a, port_a), (end_b, port_b) = ends
            delegation = (end_a.part_with_port is None) != (end_b.part_with_port is None)
            yield PortPair(connector, port_a, port_b, delegation)


def _diagnostic(code: str, pair: PortPair, message: str) -> Diagnostic:
    return Diagnostic(code, "error", message, pair.connector.id, pair.connector.name or pair.connector.id)


@rule("AR001", "error", "ports connected in incompatible directions", domain="architecture")
def incompatible_direction(model: Model) -> Iterator[Diagnostic]:
    """Between parts an ``out`` meets an ``in``; a delegation connector keeps the direction."""
    for pair in connected_port_pairs(model):
        a, b = effective_direction(pair.first), effective_direction(pair.second)
        if "inout" in (a, b) or a not in _FLIPPED or b not in _FLIPPED:
            continue
        if (a != b) if pair.delegation else (a == b):
            kind = "delegates" if pair.delegation else "connects"
            yield _diagnostic("AR001", pair, f"connector {kind} port '{pair.first.name}' ({a}) to port "
                              f"'{pair.second.name}' ({b})")


def _flow_type(model: Model, port: Port) -> str:
    """The canonical name of a port's flow type (an element id resolves to that element's name)."""
    element = model.get(port.flow_type) if port.flow_type else None
    return element.canonical if element is not None else canonical(port.flow_type)


def _carried(model: Model, port: Port) -> frozenset[tuple[str, str]] | None:
    """What a port typed by an interface carries: its flow properties' names and types."""
    interface = model.get(port.type)
    if not isinstance(interface, Interface) or not interface.flow_properties:
        return None
    return frozenset((canonical(fp.name), fp.type or "") for fp in interface.flow_properties)


@rule("AR002", "error", "ports connected with different flow types", domain="architecture")
def incompatible_flow_type(model: Model) -> Iterator[Diagnostic]:
    """Two interfaces that carry the same flow properties (a SysML v2 port def and its mirror) agree."""
    for pair in connected_port_pairs(model):
        a, b = _flow_type(model, pair.first), _flow_type(model, pair.second)
        carried = _carried(model, pair.first)
        if a and b and a != b and (carried is None or carried != _carried(model, pair.second)):
            yield _diagnostic("AR002", pair, f"port '{pair.first.name}' carries {pair.first.flow_type} but port "
                              f"'{pair.second.name}' carries {pair.second.flow_type}")


@rule("AR003", "error", "ports connected with different units", domain="architecture")
def incompatible_units(model: Model) -> Iterator[Diagnostic]:
    context = UnitContext(model.units_defs)
    for pair in connected_port_pairs(model):
        if not (pair.first.units.strip() and pair.second.units.strip()):
            continue
        try:
            same = context.equal(pair.first.units, pair.second.units)
        except ParseError:
            same = canonical(pair.first.units) == canonical(pair.second.units)
        if not same:
            yield _diagnostic("AR003", pair, f"port '{pair.first.name}' is in {pair.first.units} but port "
                              f"'{pair.second.name}' is in {pair.second.units}")


@rule("AR004", "error", "required port not connected", domain="architecture")
def unconnected_required_port(model: Model) -> Iterator[Diagnostic]:
    connected = {end.role for connector in model.of_kind(Connector) for end in connector.ends}
    for port in model.of_kind(Port):
        if port.required and port.id not in connected:
            yield Diagnostic("AR004", "error", f"required port '{port.name}' is not connected", port.id, port.name)


# --------------------------------------------------------------------------------------------------
# Model-wide architecture rules (codes AR1xx): references, typing, connections, item flows, units at
# non-port connector ends, composition, names, multiplicities, requirement coverage.
# --------------------------------------------------------------------------------------------------


def _finding(code: str, severity: str, element: Element, message: str) -> Diagnostic:
    return Diagnostic(code, severity, message, element.id, element.name)


def _label(element: Element) -> str:
    return repr(element.name) if element.name else repr(element.id)


def _is_external(element: Element) -> bool:
    """Library value types and stubs of foreign elements: not defined by the model's author."""
    return isinstance(element, Unmapped) or (isinstance(element, ValueType) and bool(element.href))


def _flow_properties(model: Model) -> dict[str, FlowProperty]:
    return {fp.id: fp for i in model.of_kind(Interface) for fp in i.flow_properties if fp.id}


def _references(element: Element) -> Iterator[tuple[str, str]]:
    """``(what, referenced id)`` for every id reference an architecture element holds."""
    if element.owner:
        yield "owner", element.owner
    if isinstance(element, Part | Port) and element.type:
        yield "type", element.type
    elif isinstance(element, Interface):
        yield from ((f"flow property {fp.name!r} type", fp.type) for fp in element.flow_properties if fp.type)
    elif isinstance(element, Connector):
        for n, end in enumerate(element.ends, 1):
            yield from ((f"end {n} {what}", ref) for what, ref in
                        (("role", end.role), ("part with port", end.part_with_port)) if ref)
            yield from ((f"end {n} property path", ref) for ref in end.nested_path)
        if element.type:
            yield "type", element.type
    elif isinstance(element, ItemFlow):
        yield from ((what, ref) for what, ref in (("source", element.source), ("target", element.target)) if ref)
        yield from (("conveyed item", ref) for ref in element.conveyed)
        yield from (("realizing connector", ref) for ref in element.realizing_connectors)
    elif isinstance(element, Relation):
        yield from (("source", ref) for ref in element.sources)
        yield from (("target", ref) for ref in element.targets)


@rule("AR101", "error", "reference to an element that does not exist", domain="architecture")
def dangling_reference(model: Model) -> Iterator[Diagnostic]:
    known = set(model.elements) | set(_flow_properties(model))
    for element in model.elements.values():
        for what, ref in _references(element):
            if ref not in known:
                yield _finding("AR101", "error", element,
                               f"{element.kind} {_label(element)}: {what} refers to missing element {ref!r}")


@rule("AR102", "warning", "part, port or flow property without a type", domain="architecture")
def untyped_feature(model: Model) -> Iterator[Diagnostic]:
    for element in model.elements.values():
        if isinstance(element, Part | Port) and not element.type:
            yield _finding("AR102", "warning", element, f"{element.kind} {_label(element)} has no type")
        elif isinstance(element, Interface):
            for fp in element.flow_properties:
                if not fp.type:
                    yield _finding("AR102", "warning", element,
                                   f"flow property {fp.name!r} of {_label(element)} has no type")


@rule("AR103", "warning", "port not connected by any connector", domain="architecture")
def unconnected_port(model: Model) -> Iterator[Diagnostic]:
    connected = {ref for c in model.of_kind(Connector) for end in c.ends for ref in (end.role, *end.nested_path)}
    for port in model.of_kind(Port):
        if port.id not in connected and not port.required:  # required ones: AR004
            yield _finding("AR103", "warning", port, f"port {_label(port)} is not connected")


@rule("AR104", "error", "connector without exactly two ends", domain="architecture")
def connector_end_count(model: Model) -> Iterator[Diagnostic]:
    for connector in model.of_kind(Connector):
        roles = sum(1 for end in connector.ends if end.role)
        if len(connector.ends) != 2 or roles != 2:
            yield _finding("AR104", "error", connector,
                           f"connector {_label(connector)} has {roles} connected ends, not 2")


@rule("AR107", "warning", "item flow without a conveyed item", domain="architecture")
def item_flow_without_item(model: Model) -> Iterator[Diagnostic]:
    for flow in model.of_kind(ItemFlow):
        if not flow.conveyed:
            yield _finding("AR107", "warning", flow, f"item flow {_label(flow)} conveys nothing")


@rule("AR108", "warning", "item flow not realized by a connector", domain="architecture")
def item_flow_not_realized(model: Model) -> Iterator[Diagnostic]:
    for flow in model.of_kind(ItemFlow):
        if not flow.realizing_connectors:
            yield _finding("AR108", "warning", flow, f"item flow {_label(flow)} is not realized by a connector")


def _end_units(model: Model, end: ConnectorEnd, flow_properties: dict[str, FlowProperty]) -> str:
    """The unit at a connector end: a port's own unit, else the value type's of the port or property."""
    target = model.get(end.role)
    if isinstance(target, Port) and target.units:
        return target.units
    if isinstance(target, Part | Port):
        value_type = model.get(target.type)
        return value_type.units if isinstance(value_type, ValueType) else ""
    flow_property = flow_properties.get(end.role or "")
    return flow_property.units if flow_property is not None else ""


@rule("AR109", "error", "units differ across a connector or binding to a property", domain="architecture")
def property_unit_mismatch(model: Model) -> Iterator[Diagnostic]:
    """Connectors and bindings touching value properties or flow properties (port-to-port: AR003)."""
    context = UnitContext(model.units_defs)
    flow_properties = _flow_properties(model)
    for connector in model.of_kind(Connector):
        if len(connector.ends) != 2 or all(isinstance(model.get(e.role), Port) for e in connector.ends):
            continue
        first, second = (_end_units(model, end, flow_properties) for end in connector.ends)
        if not (first.strip() and second.strip()):
            continue
        try:
            same = context.equal(first, second)
        except ParseError:
            same = canonical(first) == canonical(second)
        if not same:
            kind = "binding" if connector.binding else "connector"
            yield _finding("AR109", "error", connector, f"{kind} {_label(connector)} joins {first} and {second}")


@rule("AR110", "error", "blocks compose each other in a cycle", domain="architecture")
def composition_cycle(model: Model) -> Iterator[Diagnostic]:
    graph = nx.DiGraph()
    for part in model.of_kind(Part):
        if part.aggregation == "part" and isinstance(model.get(part.type), Block) and part.owner in model:
            graph.add_edge(part.owner, part.type)
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            blocks = sorted((model[n] for n in component), key=lambda b: (b.name, b.id))
            yield _finding("AR110", "error", blocks[0],
                           "composition cycle: " + " -> ".join(_label(b) for b in blocks))


def _typed_by(element: Element, other: Element) -> bool:
    return isinstance(element, Part) and element.type == other.id


@rule("AR111", "warning", "two elements of one owner share a name", domain="architecture")
def duplicate_name(model: Model) -> Iterator[Diagnostic]:
    """A part named after its own type beside it (Capella's component and its part) is no clash."""
    seen: dict[tuple[str | None, str], Element] = {}
    for element in model.elements.values():
        if not element.name or _is_external(element) or isinstance(element, Relation | Connector):
            continue
        first = seen.setdefault((element.owner, element.canonical), element)
        if first is not element and not (_typed_by(element, first) or _typed_by(first, element)):
            yield _finding("AR111", "warning", element, f"{element.kind} {_label(element)} has the same name as "
                           f"{first.kind} {first.id!r} in the same owner")


@rule("AR112", "warning", "element without a name", domain="architecture")
def missing_name(model: Model) -> Iterator[Diagnostic]:
    named = (Package, Block, Part, Port, Interface, ValueType, Requirement)
    for element in model.elements.values():
        if isinstance(element, named) and not element.name.strip() and not _is_external(element):
            yield _finding("AR112", "warning", element, f"{element.kind} {element.id!r} has no name")


@rule("AR113", "error", "multiplicity bounds are invalid", domain="architecture")
def invalid_multiplicity(model: Model) -> Iterator[Diagnostic]:
    for element in model.elements.values():
        if isinstance(element, Part | Port):
            lower, upper = element.lower, element.upper
            if lower < 0 or (upper is not None and upper < max(lower, 0)):
                shown = "*" if upper is None else upper
                yield _finding("AR113", "error", element,
                               f"{element.kind} {_label(element)} has multiplicity [{lower}..{shown}]")


@rule("AR114", "warning", "requirement neither satisfied nor verified", domain="architecture")
def uncovered_requirement(model: Model) -> Iterator[Diagnostic]:
    covered = {t for r in model.of_kind(Relation) if r.relation in ("satisfy", "verify") for t in r.targets}
    for requirement in model.of_kind(Requirement):
        if requirement.id not in covered:
            yield _finding("AR114", "warning", requirement,
                           f"requirement {_label(requirement)} has no satisfy or verify relation")
