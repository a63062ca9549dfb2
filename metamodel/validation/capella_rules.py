"""Validation rules that mirror Capella's own validator (AR15x): functional exchanges against the
direction of their function ports, functional chains through functions that are not leaves, functions
allocated more than once, interfaces no component uses, and component exchanges against their ports'
orientation or the exchange items of their functional exchanges, control functions with more than one
input or output, parts typed by components of another level, components generalizing themselves and
physical node components that allocate functions.
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import Behavior, Block, Connector, Interface, Part, Port, Relation, Unmapped
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _behaviours, _involved, _layer
from metamodel.validation.registry import Diagnostic, of_kind, rule, shared


def _function_port(model: Model, ref: str | None) -> Port | None:
    port = model.get(ref) if ref else None
    return port if isinstance(port, Port) and port.port_kind == "function" else None


@rule("AR150", "error", "functional exchange leaves an input port or enters an output port", domain="architecture")
def exchange_against_port_direction(model: Model) -> Iterator[Diagnostic]:
    """A functional exchange goes from a function's output port to a function's input port."""
    for exchange in _behaviours(model, "functional_exchange"):
        source = _function_port(model, exchange.source)
        target = _function_port(model, exchange.target)
        for port, role in _against_direction(source, target):
            yield Diagnostic("AR150", "error", f"functional exchange {exchange.name or exchange.id!r}"
                             f"{_layer(model, exchange)} {role} {port.direction}put port {port.name or port.id!r}",
                             exchange.id, exchange.name, related=(port.id,))


def _parents(model: Model) -> set[str]:
    """Ids of the functions that own other functions."""
    return shared(("parent functions", id(model)), lambda: {
        f.owner for f in _behaviours(model, "function") if f.owner and isinstance(model.get(f.owner), Behavior)
        and model[f.owner].behavior_kind == "function"})


@rule("AR151", "warning", "functional chain involves a function that is not a leaf", domain="architecture")
def chain_through_parent_function(model: Model) -> Iterator[Diagnostic]:
    """A functional chain involves only leaf functions (Capella: FunctionalChain involves only leaf
    functions)."""
    parents = _parents(model)
    for chain in _behaviours(model, "functional_chain"):
        for member in sorted(_involved(model, chain) & parents):
            function = model[member]
            yield Diagnostic("AR151", "warning", f"functional chain {chain.name!r}{_layer(model, chain)} involves "
                             f"function {function.name!r}, which has sub-functions", chain.id, chain.name,
                             related=(member,))


@rule("AR152", "warning", "function allocated to components more than once", domain="architecture")
def function_allocated_more_than_once(model: Model) -> Iterator[Diagnostic]:
    """A function is allocated to one component only (Capella's MDCHK_Function_ComponentAllocationUnicity:
    at most one component functional allocation comes into a function)."""
    allocations: dict[str, list[Relation]] = {}
    for relation in of_kind(model, Relation):
        if relation.relation != "allocate" or not any(isinstance(model.get(t), Block) for t in relation.targets):
            continue
        for source in relation.sources:
            function = model.get(source)
            if isinstance(function, Behavior) and function.behavior_kind == "function":
                allocations.setdefault(source, []).append(relation)
    for function_id, relations in allocations.items():
        if len(relations) > 1:
            function = model[function_id]
            components = [model[t].name for r in relations for t in r.targets if isinstance(model.get(t), Block)]
            yield Diagnostic("AR152", "warning", f"function {function.name!r}{_layer(model, function)} is allocated "
                             f"{len(relations)} times (to {', '.join(repr(c) for c in components)})", function_id,
                             function.name, related=tuple(r.id for r in relations))


def _listed(element: Block | Port, slot: str) -> list[str]:
    """The ids a Capella list property of ``element`` names (``requiredInterfaces``, ``usedInterfaces``)."""
    return element.properties.get(slot, "").split()


@rule("AR153", "warning", "interface no component uses", domain="architecture")
def interface_used_by_no_component(model: Model) -> Iterator[Diagnostic]:
    """A Capella interface is used by a component: one of the component's interface uses or one of its
    ports' required interfaces names it (Capella's DCOV_01, MDCHK_Interface_Usage_1; an interface that
    components only provide or implement is not used)."""
    interfaces = [i for i in of_kind(model, Interface) if i.properties.get("metaclass") == "Interface"
                  and not i.library]
    if not interfaces:
        return  # no Capella interface (a SysML model): no component's interface uses to go through
    used = {i for b in of_kind(model, Block) for i in _listed(b, "usedInterfaces")}
    used.update(i for p in of_kind(model, Port) for i in _listed(p, "requiredInterfaces"))
    providing: dict[str, list[str]] = {}  # interface -> the ports that provide it
    for port in of_kind(model, Port):
        for provided_id in _listed(port, "providedInterfaces"):
            providing.setdefault(provided_id, []).append(port.id)
    for interface in interfaces:
        if interface.id not in used:
            providers = providing.get(interface.id, [])
            provided = f", though {len(providers)} port(s) provide it" if providers else ""
            yield Diagnostic("AR153", "warning", f"interface {interface.name or interface.id!r}"
                             f"{_layer(model, interface)} is used by no component (no port requires it and no "
                             f"component uses it){provided}", interface.id, interface.name,
                             related=tuple(providers))


def _against_direction(source: Port | None, target: Port | None) -> list[tuple[Port, str]]:
    """The ends of an exchange that go against their port's direction: a source port that is an input
    (the exchange "leaves" it), a target port that is an output (it "enters" it)."""
    return [(port, role) for port, role, bad in ((source, "leaves", "in"), (target, "enters", "out"))
            if port is not None and port.direction == bad]


def _owned_by(model: Model, port: Port) -> str:
    owner = model.get(port.owner)
    return f" of {owner.name!r}" if owner is not None and owner.name else ""


def _names(model: Model, ids: list[str]) -> str:
    return ", ".join(repr(model[i].name or i) for i in ids)


def _end_ports(model: Model, connector: Connector) -> tuple[Port | None, Port | None]:
    ports = [model.get(end.role) for end in connector.ends]
    return tuple(p if isinstance(p, Port) else None for p in ports)  # type: ignore[return-value]


@rule("AR154", "warning", "component exchange leaves an IN port or enters an OUT port", domain="architecture")
def component_exchange_against_orientation(model: Model) -> Iterator[Diagnostic]:
    """A Capella component exchange other than a delegation goes from a port that is not IN to a port that
    is not OUT (Capella's MDCHK_ComponentPort_Orientation). Two ports of one orientation are AR001's."""
    for connector in of_kind(model, Connector):
        if connector.properties.get("metaclass") != "ComponentExchange" or len(connector.ends) != 2 or \
                connector.properties.get("kind") == "DELEGATION":
            continue
        source, target = _end_ports(model, connector)
        if source is not None and target is not None and source.direction == target.direction:
            continue
        wrong = _against_direction(source, target)
        if wrong:
            ends = " and ".join(f"{role} {port.direction.upper()} port {port.name or port.id!r}{_owned_by(model, port)}"
                                for port, role in wrong)
            yield Diagnostic("AR154", "warning", f"component exchange {connector.name or connector.id!r}"
                             f"{_layer(model, connector)} {ends}", connector.id, connector.name,
                             related=tuple(port.id for port, _ in wrong))


@rule("AR155", "warning", "component exchange conveys other exchange items than its functional exchanges",
      domain="architecture")
def component_exchange_items(model: Model) -> Iterator[Diagnostic]:
    """In the system analysis, the exchange items a component exchange conveys are the union of those of
    the functional exchanges allocated to it (Capella's CE_EIsSameAsItsFEsEIs, which checks the system
    analysis only). One finding per component exchange, naming the items on one side only."""
    carried: dict[str, set[str]] = {}
    for relation in of_kind(model, Relation):
        if relation.relation != "allocate":
            continue
        for exchange in relation.sources:
            function_exchange = model.get(exchange)
            if isinstance(function_exchange, Behavior) and function_exchange.behavior_kind == "functional_exchange":
                for target in relation.targets:
                    carried.setdefault(target, set()).update(function_exchange.members)
    for connector in of_kind(model, Connector):
        if connector.properties.get("metaclass") != "ComponentExchange" or \
                _layer(model, connector) != " (system analysis)":
            continue
        conveyed = set(connector.properties.get("convoyedInformations", "").split())
        via = carried.get(connector.id, set())
        items = [i for i in (*conveyed, *via) if isinstance(model.get(i), Interface)
                 and model[i].properties.get("metaclass") == "ExchangeItem"]
        only_ce = sorted({i for i in items if i in conveyed and i not in via})
        only_fe = sorted({i for i in items if i in via and i not in conveyed})
        if only_ce or only_fe:
            parts = []
            if only_ce:
                parts.append(f"conveys {_names(model, only_ce)}, which none of its functional exchanges exchanges")
            if only_fe:
                parts.append(f"does not convey {_names(model, only_fe)} of its functional exchanges")
            yield Diagnostic("AR155", "warning", f"component exchange {connector.name or connector.id!r}"
                             f"{_layer(model, connector)} {'; '.join(parts)}", connector.id, connector.name,
                             related=(*only_ce, *only_fe))


# Capella's control functions (FunctionKind) that take one input, and those that give one output
_ONE_INPUT = {"DUPLICATE", "SPLIT", "SELECT"}
_ONE_OUTPUT = {"GATHER", "ROUTE"}


def _function_exchanges(model: Model) -> dict[tuple[str, str], set[str]]:
    """(function id, "in" or "out") -> the functional exchanges that enter or leave it (at a port or the
    function itself)."""
    found: dict[tuple[str, str], set[str]] = {}
    for exchange in _behaviours(model, "functional_exchange"):
        for end, way in ((exchange.target, "in"), (exchange.source, "out")):
            element = model.get(end)
            function = model.get(element.owner) if isinstance(element, Port) else element
            if isinstance(function, Behavior) and function.behavior_kind == "function":
                found.setdefault((function.id, way), set()).add(exchange.id)
    return found


@rule("AR156", "warning", "control function with more than one input or output", domain="architecture")
def control_function_arity(model: Model) -> Iterator[Diagnostic]:
    """A Capella duplicate, split or select function has one incoming exchange and one input port; a gather
    or route function one outgoing exchange and one output port (Capella's DWF_DF_01 and DWF_DF_02,
    AbstractFunction_OneIncoming and _OneOutgoing)."""
    exchanges = _function_exchanges(model)
    ports: dict[tuple[str, str], int] = {}
    for port in of_kind(model, Port):
        if port.port_kind == "function" and port.owner:
            ports[(port.owner, port.direction)] = ports.get((port.owner, port.direction), 0) + 1
    for function in _behaviours(model, "function"):
        kind = function.properties.get("kind", "")
        way = "in" if kind in _ONE_INPUT else "out" if kind in _ONE_OUTPUT else None
        if way is None:
            continue
        many = sorted(exchanges.get((function.id, way), ()))
        noun = "incoming" if way == "in" else "outgoing"
        if len(many) > 1:
            problem = f"{len(many)} {noun} functional exchanges"
        elif ports.get((function.id, way), 0) > 1:
            problem = f"{ports[(function.id, way)]} {way}put ports"
        else:
            continue
        yield Diagnostic("AR156", "warning", f"{kind.lower()} function {function.name!r}{_layer(model, function)} "
                         f"has {problem}; it takes one", function.id, function.name, related=tuple(many))


_COMPONENT_KINDS = ("Entity", "SystemComponent", "LogicalComponent", "PhysicalComponent", "ConfigurationItem")


@rule("AR157", "error", "component holds a part typed by a component of another level", domain="architecture")
def part_of_another_level(model: Model) -> Iterator[Diagnostic]:
    """The parts a Capella component holds are typed by components of its own kind: an entity's by
    entities, a logical component's by logical components… (Capella's DWF_DC_06,
    MDCHK_Component_PartTypeLevel). One finding per component, listing its parts of another kind."""
    wrong: dict[str, list[Part]] = {}
    for part in of_kind(model, Part):
        if part.stereotype != "Part":
            continue
        owner, type_ = model.get(part.owner), model.get(part.type)
        if not isinstance(owner, Block) or owner.stereotype not in _COMPONENT_KINDS \
                or type_ is None or isinstance(type_, Unmapped):
            continue
        if not (isinstance(type_, Block) and type_.stereotype == owner.stereotype):
            wrong.setdefault(owner.id, []).append(part)
    for component_id, parts in wrong.items():
        component = model[component_id]
        kinds = ", ".join(f"{p.name!r} ({getattr(model[p.type], 'stereotype', '') or model[p.type].kind})"
                          for p in parts)
        yield Diagnostic("AR157", "error", f"{component.stereotype} {component.name!r}{_layer(model, component)} "
                         f"holds parts typed by another kind of element: {kinds}", component_id, component.name,
                         related=tuple(p.id for p in parts))


@rule("AR165", "error", "component generalizes itself", domain="architecture")
def component_generalizes_itself(model: Model) -> Iterator[Diagnostic]:
    """A Capella component is not among its own super types: none of its generalizations names it
    (Capella's DWF_DC_17, Component_GeneralizationItself, which looks at the direct generalizations)."""
    for relation in of_kind(model, Relation):
        if relation.relation != "specialization":
            continue
        for source in relation.sources:
            component = model.get(source)
            if isinstance(component, Block) and component.stereotype in _COMPONENT_KINDS and \
                    source in relation.targets:
                yield Diagnostic("AR165", "error", f"{component.stereotype} {component.name!r}"
                                 f"{_layer(model, component)} generalizes itself", source, component.name,
                                 related=(relation.id,))


@rule("AR166", "error", "physical node component allocates functions", domain="architecture")
def node_component_allocates_functions(model: Model) -> Iterator[Diagnostic]:
    """A physical component of nature NODE that is not an actor allocates no function: functions go to
    behaviour components deployed on the nodes (Capella's DWF_DC_20, PhysicalComponentFunctionAllocation).
    One finding per component, naming its functions."""
    allocated: dict[str, list[str]] = {}
    for relation in of_kind(model, Relation):
        if relation.relation != "allocate":
            continue
        functions = [s for s in relation.sources if isinstance(model.get(s), Behavior)
                     and model[s].behavior_kind == "function"]
        for target in relation.targets if functions else ():
            allocated.setdefault(target, []).extend(functions)
    for component_id, functions in allocated.items():
        component = model.get(component_id)
        if isinstance(component, Block) and component.stereotype == "PhysicalComponent" and \
                component.properties.get("nature") == "NODE" and component.properties.get("actor") != "true":
            yield Diagnostic("AR166", "error", f"node component {component.name!r}{_layer(model, component)} "
                             f"allocates functions {_names(model, functions)}; a node allocates none",
                             component_id, component.name, related=tuple(functions))


@rule("AR167", "error", "role allocated by something other than an entity", domain="architecture")
def role_allocated_by_non_entity(model: Model) -> Iterator[Diagnostic]:
    """A Capella operational role is allocated to operational entities only: each of its role allocations
    comes from an entity (Capella's DWF_DC_02, MDCHK_Role_RoleAllocation). The importer reads a role
    allocation as an ``allocate`` relation from the role to what allocates it."""
    for relation in of_kind(model, Relation):
        roles = [s for s in relation.sources if isinstance(model.get(s), Block) and model[s].stereotype == "Role"]
        if relation.relation != "allocate" or not roles:
            continue
        wrong = [t for t in relation.targets
                 if not (isinstance(model.get(t), Block) and model[t].stereotype == "Entity")]
        if wrong or not relation.targets:
            for role in roles:
                allocating = _names(model, wrong) if wrong else "nothing"
                yield Diagnostic("AR167", "error", f"role {model[role].name!r}{_layer(model, model[role])} is "
                                 f"allocated by {allocating}, not by an operational entity", role, model[role].name,
                                 related=(relation.id, *wrong))


@rule("AR168", "warning", "physical path involves nothing", domain="architecture")
def empty_physical_path(model: Model) -> Iterator[Diagnostic]:
    """A Capella physical path involves parts and physical links: one with no involvement, or whose
    involvements name nothing, is not valid (the first cases of Capella's DWF_DC_03,
    MDCHK_PhysicalPath_InvolvedLinks; its checks of the involvements' order are not made, as their next
    links are not imported)."""
    for path in of_kind(model, Behavior):
        if path.behavior_kind == "physical_path" and not path.members and not path.library:
            yield Diagnostic("AR168", "warning", f"physical path {path.name or path.id!r}{_layer(model, path)} "
                             "involves no part, physical link or path", path.id, path.name)
