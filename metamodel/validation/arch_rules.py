"""Validation rules of the architecture: ports and the connectors between them (AR0xx), and model-wide
checks of references, typing, item flows, composition, names and requirements (AR1xx).

One function per rule; ``connected_port_pairs`` gives every rule the two ports a connector joins.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import replace
from operator import attrgetter
from typing import NamedTuple, TypeVar

from metamodel.elements import (
    Behavior,
    Block,
    Connector,
    ConnectorEnd,
    Element,
    FlowProperty,
    FlowSpec,
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
from metamodel.validation.registry import Diagnostic, of_kind, rule, shared

E = TypeVar("E", bound=Element)
K = TypeVar("K")

_FLIPPED = {"in": "out", "out": "in", "inout": "inout"}


class PortPair(NamedTuple):
    """The two port ends of a connector; ``delegation`` when one end is the owner's own boundary port."""

    connector: Connector
    first: Port
    second: Port
    delegation: bool


def effective_direction(port: Port) -> str:
    """The direction a port's flow takes, seen from its owner: conjugation flips ``in`` and ``out``."""
    return _FLIPPED.get(port.direction, port.direction) if port.conjugated else port.direction


def connected_port_pairs(model: Model) -> list[PortPair]:
    """Connectors with two ends that are both ports (found once per run of the rules)."""
    return shared(("connected port pairs", id(model)), lambda: list(_port_pairs(model)))


def _port_pairs(model: Model) -> Iterator[PortPair]:
    for connector in of_kind(model, Connector):
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


def _carries_nothing(model: Model, port: Port) -> bool:
    interface = model.get(port.type)
    return isinstance(interface, Interface) and not interface.flow_properties


def _unavailable(model: Model, ref: str) -> bool:
    """A reference into a file or package that is not there, held by its placeholder (``package:P#name``)."""
    head, sep, _ = ref.partition("#")
    return bool(sep) and head in model.elements and ref not in model.elements


@rule("AR002", "error", "ports connected with different flow types", domain="architecture")
def incompatible_flow_type(model: Model) -> Iterator[Diagnostic]:
    """Two interfaces that carry the same flow properties (a SysML v2 port def and its mirror) agree."""
    for pair in connected_port_pairs(model):
        a, b = _flow_type(model, pair.first), _flow_type(model, pair.second)
        carried = _carried(model, pair.first)
        if _carries_nothing(model, pair.first) and _carries_nothing(model, pair.second):
            continue  # interfaces without flow properties (SysML v2 port defs with no items): nothing differs
        if _unavailable(model, pair.first.flow_type) or _unavailable(model, pair.second.flow_type):
            continue  # a type in a package that is not there (AR126) is not known, so neither is the difference
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
    required = [port for port in of_kind(model, Port) if port.required]
    if not required:
        return
    connected = {end.role for connector in of_kind(model, Connector) for end in connector.ends}
    for port in required:
        if port.id not in connected:
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
    """Tool library content, library value types and stubs of foreign elements: not the author's design."""
    return element.library or isinstance(element, Unmapped) or (isinstance(element, ValueType) and bool(element.href))


def _authored(model: Model, cls: type[E]) -> Iterator[E]:
    """The elements of kind ``cls`` that the model's author made (tool libraries left out)."""
    return (e for e in of_kind(model, cls) if not e.library)


def _flow_properties(model: Model) -> dict[str, FlowProperty]:
    """The flow properties of the model's interfaces by id (worked out once per run of the rules)."""
    return shared(("flow properties", id(model)),
                  lambda: {fp.id: fp for i in of_kind(model, Interface) for fp in i.flow_properties if fp.id})


def references(element: Element) -> Iterator[tuple[str, str]]:
    """``(what, referenced id)`` for every id reference an architecture element holds."""
    if element.owner:
        yield "owner", element.owner
    if isinstance(element, Part | Port):
        if element.type:
            yield "type", element.type
    elif isinstance(element, Interface):
        for fp in element.flow_properties:
            if fp.type:
                yield f"flow property {fp.name!r} type", fp.type
    elif isinstance(element, Connector):
        for n, end in enumerate(element.ends, 1):
            if end.role:
                yield f"end {n} role", end.role
            if end.part_with_port:
                yield f"end {n} part with port", end.part_with_port
            for ref in end.nested_path:
                yield f"end {n} property path", ref
        if element.type:
            yield "type", element.type
    elif isinstance(element, ItemFlow):
        yield from _ends(element.source, element.target)
        for ref in element.conveyed:
            yield "conveyed item", ref
        for ref in element.realizing_connectors:
            yield "realizing connector", ref
    elif isinstance(element, Relation):
        for ref in element.sources:
            yield "source", ref
        for ref in element.targets:
            yield "target", ref
    elif isinstance(element, FlowSpec):
        if element.entry:
            yield "entry", element.entry
        if element.exit:
            yield "exit", element.exit
        for step in element.steps:
            yield "step", step.element
    elif isinstance(element, Behavior):
        yield from _ends(element.source, element.target)
        for ref in element.members:
            yield "member", ref


def _ends(source: str | None, target: str | None) -> Iterator[tuple[str, str]]:
    if source:
        yield "source", source
    if target:
        yield "target", target


@rule("AR101", "error", "reference to an element that does not exist", domain="architecture")
def dangling_reference(model: Model) -> Iterator[Diagnostic]:
    """One finding per missing target, or per missing file for references into another file, listing
    every element that refers to it."""
    elements, flow_properties = model.elements, _flow_properties(model)
    missing: dict[str, list[tuple[Element, str, str]]] = {}
    for element in elements.values():
        for what, ref in references(element):
            if ref not in elements and ref not in flow_properties:
                file_part = ref.partition("#")[0] if "#" in ref else ""
                missing.setdefault(file_part or ref, []).append((element, what, ref))
    for cause in sorted(missing, key=len):  # a feature of a missing classifier ('T.port') is the same cause
        head = cause.rpartition(".")[0]
        while head and head not in missing:
            head = head.rpartition(".")[0]
        if head:
            missing[head].extend(missing.pop(cause))
    for cause, uses in missing.items():
        if cause in model.elements:
            continue  # the placeholder of a file or package that is not there: its own rule reports it (AR126)
        first, what, ref = uses[0]
        others = f" (and {len(uses) - 1} more references)" if len(uses) > 1 else ""
        target = f"element {ref!r} in {cause!r}, which is not available" if cause != ref else \
            f"missing element {ref!r}"
        related = tuple(dict.fromkeys(e.id for e, _, _ in uses[1:] if e.id != first.id))
        yield Diagnostic("AR101", "error", f"{first.kind} {_label(first)}: {what} refers to {target}{others}",
                         first.id, first.name, related=related)


# ports whose kind has no type in their language: Capella's physical ports; component ports are typed by
# the interfaces they provide or require, which are optional
_TYPELESS_PORTS = ("PhysicalPort", "ComponentPort", "AADL event port", "AADL feature group", "AADL feature",
                   "FunctionInputPort", "FunctionOutputPort")


# SysML v2 usages (the importer keeps their keyword as stereotype): one without a definition is typed by
# the library's base (Parts::Part, Ports::Port), a complete usage that its own features define
_SYSML2_USAGES = ("part", "item", "attribute", "feature", "end", "port", "subject", "return", "constraint", "calc",
                  "analysis", "verification")


def _of_owner(model: Model, element: Element) -> str:
    """" of 'Owner'" for an element with an owner: features of one name are common."""
    owner = model.get(element.owner)
    return f" of {_label(owner)}" if owner is not None else ""


@rule("AR102", "warning", "part, port or flow property without a type", domain="architecture")
def untyped_feature(model: Model) -> Iterator[Diagnostic]:
    for element in of_kind(model, Part | Port | Interface):
        if element.library:
            continue
        if not isinstance(element, Interface):
            if not element.type and element.stereotype not in _SYSML2_USAGES and \
                    not (isinstance(element, Port) and element.stereotype in _TYPELESS_PORTS):
                yield _finding("AR102", "warning", element,
                               f"{element.kind} {_label(element)}{_of_owner(model, element)} has no type")
        else:
            for fp in element.flow_properties:
                if not fp.type:  # related: the flow property (a Capella exchange item allocation) by its id
                    yield replace(_finding("AR102", "warning", element,
                                           f"flow property {fp.name!r} of {_label(element)} has no type"),
                                  related=(fp.id,) if fp.id else ())


def wired_ids(model: Model) -> set[str]:
    """Ids of what a connector end or an item flow touches: connectors (Capella's component exchanges and
    physical links among them), their nested paths, and item flows' sources and targets."""
    wired = {ref for c in of_kind(model, Connector) for end in c.ends for ref in (end.role, *end.nested_path)
             if ref}
    wired.update(ref for f in of_kind(model, ItemFlow) for ref in (f.source, f.target) if ref)
    wired.update(ref for b in of_kind(model, Behavior) if b.behavior_kind == "functional_exchange"
                 for ref in (b.source, b.target) if ref)
    return wired


@rule("AR103", "warning", "port not connected by any connector or item flow", domain="architecture")
def unconnected_port(model: Model) -> Iterator[Diagnostic]:
    """Ports of blocks used as parts somewhere (a top-level block's ports face an environment the model
    leaves out) and ports of functions; named with their owner, as ports of one name are common."""
    connected = wired_ids(model)
    used = {p.type for p in of_kind(model, Part) if p.type}
    for port in _authored(model, Port):
        if port.id in connected or port.required:  # required ones: AR004
            continue
        if port.stereotype.startswith("AADL "):
            continue  # AADL features are checked per subcomponent (AR121)
        owner = model.get(port.owner)
        if isinstance(owner, Block) and port.owner not in used:
            continue
        if isinstance(owner, Connector):
            continue  # an end of a SysML v2 connection ('end port p : P' in its body): what it connects
        if port.stereotype == "ComponentPort" and port.type:
            continue  # Capella: a component port that provides or requires an interface is in use (DCOV_09)
        yield _finding("AR103", "warning", port, f"port {_label(port)}{_of_owner(model, port)} is not connected")


@rule("AR104", "error", "connector with fewer than two ends, or a binding with other than two", domain="architecture")
def connector_end_count(model: Model) -> Iterator[Diagnostic]:
    """UML connectors have two or more ends (SysML v2 connections too: ``connect (a, b, c)``), each
    connected; a binding connector has exactly two."""
    for connector in of_kind(model, Connector):
        roles = sum(1 for end in connector.ends if end.role)
        wanted = "2" if connector.binding else "at least 2"
        if roles != len(connector.ends) or roles < 2 or (connector.binding and roles != 2):
            yield _finding("AR104", "error", connector,
                           f"connector {_label(connector)} has {roles} connected ends, not {wanted}")


@rule("AR107", "warning", "item flow without a conveyed item", domain="architecture")
def item_flow_without_item(model: Model) -> Iterator[Diagnostic]:
    """UML requires an information flow to convey at least one classifier; a SysML v2 flow without a
    payload type carries any item."""
    for flow in _authored(model, ItemFlow):
        if not flow.conveyed and flow.properties.get("keyword") != "flow":
            ends = [model.get(e) for e in (flow.source, flow.target)]
            between = (f" from {_label(ends[0])}{_of_owner(model, ends[0])} to {_label(ends[1])}"
                       f"{_of_owner(model, ends[1])}") if None not in ends else ""
            yield _finding("AR107", "warning", flow, f"item flow {_label(flow)}{between} conveys nothing")


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
    for connector in of_kind(model, Connector):
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
    """Only mandatory parts (lower bound at least 1) make instances infinite: a ``[0..*]`` part of its
    own type is a legal tree."""
    parts_of: dict[str, dict[str, None]] = {}  # block -> the types of its mandatory parts, in model order
    for part in _authored(model, Part):
        if part.aggregation == "part" and part.lower >= 1 and "lower" not in part.invalid \
                and isinstance(model.get(part.type), Block) and part.owner in model:
            types = parts_of.get(part.owner)
            if types is None or types is _NO_PARTS:  # a block met so far only as a part's type keeps its place
                types = parts_of[part.owner] = {}
            types[part.type] = None
            parts_of.setdefault(part.type, _NO_PARTS)
    for component in cyclic_components(parts_of):
        blocks = sorted((model[n] for n in component), key=lambda b: (b.name, b.id))
        yield Diagnostic("AR110", "error", "composition cycle: " + " -> ".join(_label(b) for b in blocks),
                         blocks[0].id, blocks[0].name, related=tuple(b.id for b in blocks[1:]))


_NO_PARTS: dict[str, None] = {}  # shared by the blocks without mandatory parts of their own; never written


def cyclic_components(successors: Mapping[str, Collection[str]]) -> Iterator[list[str]]:
    """The strongly connected components of a directed graph (every node a key, mapping to the nodes it
    has edges to) that hold a cycle: more than one node, or one node with an edge to itself. Found by one
    depth-first search without recursion (Tarjan's), from the nodes in order; a component comes out
    when the search leaves the first node it reached in it. A node without edges is in no cycle: the
    search does not go into it (most blocks of a model are leaves)."""
    found: dict[str, int] = {}  # node -> when the search reached it
    low: dict[str, int] = {}  # node -> the earliest node on the stack it reaches
    stack: list[str] = []
    on_stack: set[str] = set()
    for start in successors:
        if start in found or not successors[start]:
            continue
        found[start] = low[start] = len(found)
        stack.append(start)
        on_stack.add(start)
        path = [(start, iter(successors[start]))]
        while path:
            node, pending = path[-1]
            for target in pending:
                if not successors[target]:
                    continue
                if target not in found:
                    found[target] = low[target] = len(found)
                    stack.append(target)
                    on_stack.add(target)
                    path.append((target, iter(successors[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], found[target])
            else:
                path.pop()
                if path:
                    parent = path[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == found[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1 or node in successors[node]:
                        yield component


def _typed_by(element: Element, other: Element) -> bool:
    return isinstance(element, Part) and element.type == other.id


# behaviour whose names may repeat in one owner: a message sent twice, two transitions on one trigger
_UNNAMED_BEHAVIOUR = ("message", "transition", "functional_exchange", "activity_edge")


def _name_kind(element: Element) -> str:
    """Elements of one owner must differ in name only within a kind: parts and ports are both properties
    (UML's distinguishability), a block and a port of the same name are not a clash, nor a function and a
    capability (Capella holds them in separate packages of a layer)."""
    if isinstance(element, Behavior):
        return element.behavior_kind.replace("_", " ")
    return "property" if isinstance(element, Part | Port) else element.kind


def _copies(model: Model) -> dict[str, str]:
    """Replicas (Capella REC/RPL, SysML «copy») to the element they copy."""
    return {source: target for r in of_kind(model, Relation) if r.relation == "copy"
            for source in r.sources for target in r.targets}


@rule("AR111", "warning", "two elements of one owner and kind share a name", domain="architecture")
def duplicate_name(model: Model) -> Iterator[Diagnostic]:
    """Names compare as written. A part named after its own type beside it (Capella's component and its
    part) and a replica beside its original are no clash. One finding per clashing name."""
    copies = _copies(model)
    for name, members in _repeats(_compared(model), _NAME).items():
        groups: dict[tuple[str | None, str], list[Element]] = {}
        for same_owner in _repeats(members, _OWNER).values():
            for element in same_owner:
                groups.setdefault((element.owner, _name_kind(element)), []).append(element)
        for (_, kind), group in groups.items():
            first = group[0]
            clashing = [e for e in group[1:] if not (_typed_by(e, first) or _typed_by(first, e))
                        and copies.get(e.id, e.id) != copies.get(first.id, first.id)]
            if clashing:
                yield Diagnostic("AR111", "warning", f"{len(clashing) + 1} elements of kind {kind} in the same "
                                 f"owner are named {name!r}", first.id, first.name,
                                 related=tuple(e.id for e in clashing))


_NAME, _OWNER = attrgetter("name"), attrgetter("owner")


def _compared(model: Model) -> Iterator[Element]:
    """The elements AR111 compares: named ones of the author's design, not relations, connectors or
    behaviour whose names may repeat."""
    for element in model.elements.values():
        if element.name and not _is_external(element) and not isinstance(element, Relation | Connector) and \
                not (isinstance(element, Behavior) and element.behavior_kind in _UNNAMED_BEHAVIOUR):
            yield element


def _repeats(elements: Iterable[E], key: Callable[[E], K]) -> dict[K, list[E]]:
    """The elements that share their key with another, by key, in the order the keys first appear (a key
    held once costs no list: models are large and most names are their element's own)."""
    first: dict[K, E] = {}
    repeated: dict[K, list[E]] = {}
    for element in elements:
        found = key(element)
        seen = first.setdefault(found, element)
        if seen is not element:
            group = repeated.get(found)
            if group is None:
                repeated[found] = [seen, element]
            else:
                group.append(element)
    return {found: repeated[found] for found in first if found in repeated}


_NAMED = Package | Block | Port | Interface | ValueType | Requirement  # unnamed parts are usual (": Type")


@rule("AR112", "warning", "element without a name", domain="architecture")
def missing_name(model: Model) -> Iterator[Diagnostic]:
    for element in of_kind(model, _NAMED):
        if element.name.strip() or _is_external(element):
            continue
        if element.properties.get("keyword") != "requirement":  # a SysML v2 requirement usage may be anonymous
            yield _finding("AR112", "warning", element, f"{element.kind} {element.id!r} has no name")


@rule("AR113", "error", "multiplicity bounds are invalid", domain="architecture")
def invalid_multiplicity(model: Model) -> Iterator[Diagnostic]:
    """Bounds that are not numbers are kept as written by the importers and reported here."""
    for element in of_kind(model, Part | Port):
        if element.library:
            continue
        bad_text = "lower" in element.invalid or "upper" in element.invalid
        if bad_text or element.lower < 0 or (element.upper is not None and element.upper < max(element.lower, 0)):
            lower = element.invalid.get("lower", element.lower)
            upper = element.invalid.get("upper", "*" if element.upper is None else element.upper)
            yield _finding("AR113", "error", element,
                           f"{element.kind} {_label(element)} has multiplicity [{lower}..{upper}]")


_COVERING = ("satisfy", "verify", "refine", "derive", "realization", "influence")  # the last two: ArchiMate
_COVERED_BY = ", ".join(_COVERING[:-1]) + f" or {_COVERING[-1]}"


def _in_requirement_definitions(model: Model) -> set[str]:
    """SysML v2 requirement definitions and the requirements declared inside them, at any depth."""
    requirements = list(of_kind(model, Requirement))
    found = {r.id for r in requirements if r.properties.get("keyword") == "requirement def"}
    for requirement in requirements:
        seen, owner = set(), requirement.owner
        while owner and owner not in seen and owner not in found:
            seen.add(owner)
            owner = model.elements[owner].owner if owner in model.elements else None
        if owner in found:
            found.add(requirement.id)
    return found


def _through_subsetting(model: Model, related: set[str]) -> set[str]:
    """``related`` with the SysML v2 requirement usages that a covered usage subsets (``requirement a :> b``:
    what satisfies ``a`` satisfies ``b``), along chains of them."""
    usages = [r for r in of_kind(model, Requirement) if r.properties.get("keyword") == "requirement" and r.type]
    while True:
        more = {r.type for r in usages if r.type not in related and isinstance(model.get(r.type), Requirement)
                and (r.id in related or _inside_covered_usage(model, r, related))}
        if not more:
            return related
        related |= more


def _inside_covered_usage(model: Model, requirement: Requirement, related: set[str]) -> bool:
    """A SysML v2 requirement usage declared inside a requirement usage that a relation covers: it is
    part of what that requirement requires, so satisfying the owner satisfies it."""
    if requirement.properties.get("keyword") != "requirement":
        return False
    seen, owner = set(), requirement.owner
    while owner and owner not in seen:
        seen.add(owner)
        element = model.elements.get(owner)
        if not isinstance(element, Requirement):
            return False
        if owner in related:
            return True
        owner = element.owner
    return False


@rule("AR114", "warning", "requirement not covered", domain="architecture")
def uncovered_requirement(model: Model) -> Iterator[Diagnostic]:
    """Covered: the target of a satisfy, verify, refine or derive relation (derived requirements carry
    it on; Capella's allocations of requirements are read as these), of a realization or of an influence
    (ArchiMate's motivation elements), or the owner of requirements (its children carry it). A SysML v2
    requirement definition, and what is declared inside one, states what its usages require: the usages
    are checked instead; a v2 requirement usage inside a covered usage is part of it, one that a covered
    usage subsets (``requirement a :> b``) is covered with it, and a requirement
    parameter (``in requirement r``) or a redefinition binding one (``:>> r = s``) only names another."""
    covered = {t for r in of_kind(model, Relation) if r.relation in _COVERING for t in r.targets}
    related = _through_subsetting(model, set(covered))
    covered |= related
    covered.update(r.owner for r in of_kind(model, Requirement) if r.owner)
    covered |= _in_requirement_definitions(model)
    for requirement in _authored(model, Requirement):
        if requirement.id not in covered and not requirement.properties.get("parameter") and not \
                _inside_covered_usage(model, requirement, related):
            yield _finding("AR114", "warning", requirement, f"requirement {_label(requirement)} is the target "
                           f"of no {_COVERED_BY} relation and contains no requirements")
