"""Rules on the functional and dynamic side (AR14x), as modelling tools' validators apply them: leaf
functions allocated to components, functional exchanges carried by component exchanges between the
components their functions are allocated to, functional chains whose exchanges join involved
functions, and states that transitions reach."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from metamodel.elements import Behavior, Block, Connector, Element, Part, Port, Relation
from metamodel.model import Model
from metamodel.validation.registry import Diagnostic, of_kind, rule

# function metaclasses per architecture layer, and the component kinds that layer allocates them to
_LAYER_COMPONENTS = {"SystemFunction": ("SystemComponent",), "LogicalFunction": ("LogicalComponent",),
                     "PhysicalFunction": ("PhysicalComponent",), "OperationalActivity": ("Entity",)}


# Capella architecture layers, by the metaclass of the functions and components in them
_LAYER_NAMES = {"OperationalActivity": "operational analysis", "Entity": "operational analysis",
                "SystemFunction": "system analysis", "SystemComponent": "system analysis",
                "LogicalFunction": "logical architecture", "LogicalComponent": "logical architecture",
                "PhysicalFunction": "physical architecture", "PhysicalComponent": "physical architecture",
                "OperationalAnalysis": "operational analysis", "SystemAnalysis": "system analysis",
                "LogicalArchitecture": "logical architecture", "PhysicalArchitecture": "physical architecture",
                "EPBSArchitecture": "EPBS architecture"}


def _layer(model: Model, element: Element) -> str:
    """" (logical architecture)" for an element inside a Capella layer (its functions, components or
    package), else "":
    the layers repeat names (a chain, a state realized from one layer to the next)."""
    seen: set[str] = set()
    current = model.get(element.owner)
    while current is not None and current.id not in seen:
        seen.add(current.id)
        key = (current.detail if isinstance(current, Behavior)
               else current.properties.get("layer") or getattr(current, "stereotype", ""))
        if key in _LAYER_NAMES:
            return f" ({_LAYER_NAMES[key]})"
        current = model.get(current.owner)
    return ""


def _architecture(model: Model, element: Element) -> str | None:
    """The id of the Capella architecture (a layer's package) an element sits in, None outside any: a file
    can hold several model roots, each with its own layers."""
    seen: set[str] = set()
    current = model.get(element.owner)
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.properties.get("layer") in _LAYER_NAMES:
            return current.id
        current = model.get(current.owner)
    return None


def _behaviours(model: Model, kind: str) -> Iterator[Behavior]:
    return (b for b in of_kind(model, Behavior) if b.behavior_kind == kind and not b.library)


def _allocations(model: Model) -> dict[str, list[str]]:
    """Allocated element id -> the ids it is allocated to."""
    found: dict[str, list[str]] = {}
    for relation in of_kind(model, Relation):
        if relation.relation == "allocate":
            for source in relation.sources:
                found.setdefault(source, []).extend(relation.targets)
    return found


@rule("AR140", "warning", "leaf function not allocated to a component", domain="architecture")
def unallocated_leaf_function(model: Model) -> Iterator[Diagnostic]:
    """In a layer that has components, every function without sub-functions is allocated to one. A layer
    whose only function is the root function Capella creates with it has no functional analysis yet:
    its root is not reported. Layers are counted per architecture (a file may hold several model roots)."""
    layers = {(_architecture(model, b), k) for b in of_kind(model, Block)
              for k, kinds in _LAYER_COMPONENTS.items() if b.stereotype in kinds}
    functions = list(_behaviours(model, "function"))
    parents = {b.owner for b in functions}
    layer_of = {f.id: (_architecture(model, f), f.detail) for f in functions}
    per_layer = Counter(layer_of.values())
    allocated = _allocations(model)
    for function in functions:
        layer = layer_of[function.id]
        if layer in layers and per_layer[layer] > 1 and function.id not in parents and function.id not in allocated:
            yield Diagnostic("AR140", "warning", f"leaf function {function.name!r} is not allocated to any component",
                             function.id, function.name)


def _function_of(model: Model, end: str | None) -> Behavior | None:
    """The function an exchange end belongs to: the function itself or the owner of its port."""
    element = model.get(end)
    if isinstance(element, Port):
        element = model.get(element.owner)
    return element if isinstance(element, Behavior) and element.behavior_kind == "function" else None


def _enclosing(model: Model, component: str, copies: dict[str, str]) -> set[str]:
    """A component, the components around it, and the originals of replicas among them: an exchange of
    an enclosing component serves the functions of the components inside it (delegation)."""
    found: set[str] = set()
    current: str | None = component
    while current and current not in found and isinstance(model.get(current), Block):
        found.add(current)
        if current in copies:
            found.add(copies[current])
        current = model[current].owner
    return found


def _components_joined(model: Model, connector: Connector) -> set[str]:
    """The blocks a connector's ends belong to: a port's owner, a part's type."""
    joined = set()
    for end in connector.ends:
        element = model.get(end.role)
        part = model.get(end.part_with_port)
        if isinstance(part, Part) and part.type:
            joined.add(part.type)
        if isinstance(element, Port) and element.owner:
            joined.add(element.owner)
        elif isinstance(element, Part) and element.type:
            joined.add(element.type)
        elif isinstance(element, Block):
            joined.add(element.id)
    return joined


# the functions of the layers where Arcadia carries every exchange between components on a component exchange
_CARRIED_LAYERS = ("LogicalFunction", "PhysicalFunction")


def _actor(model: Model, component: str, copies: dict[str, str]) -> bool:
    """Whether a component is (or sits inside) an actor: outside the system being designed."""
    return any(model[c].properties.get("actor") == "true" for c in _enclosing(model, component, copies))


@rule("AR141", "warning", "functional exchange between components not carried by a component exchange",
      domain="architecture")
def exchange_allocation(model: Model) -> Iterator[Diagnostic]:
    """A functional exchange allocated to component exchanges is allocated to one that joins the components
    of its functions (or components around them). In the logical and physical architectures, an exchange
    between functions of two different components (neither inside the other, not both actors) is allocated
    to a component exchange at all (Arcadia's allocation of functional to component exchanges; Capella's
    own validator has no such rule). Exchanges carried by nothing are reported once per pair of components
    and layer, listing the exchanges."""
    allocated = _allocations(model)
    copies = {s: t for r in of_kind(model, Relation) if r.relation == "copy" for s in r.sources for t in r.targets}
    uncarried: dict[tuple[str, str, str], list[Behavior]] = {}
    for exchange in _behaviours(model, "functional_exchange"):
        ends = [_function_of(model, exchange.source), _function_of(model, exchange.target)]
        if None in ends:
            continue
        direct = [sorted(c for c in allocated.get(f.id, []) if isinstance(model.get(c), Block)) for f in ends]
        owners = [{a for c in components for a in _enclosing(model, c, copies)} for components in direct]
        if not direct[0] or not direct[1] or set(direct[0]) & owners[1] or set(direct[1]) & owners[0]:
            continue  # one component (or one inside the other) performs both functions
        connectors = [c for c in (model.get(c) for c in allocated.get(exchange.id, [])) if isinstance(c, Connector)]
        if connectors:
            if not any(_components_joined(model, c) & owners[0] and _components_joined(model, c) & owners[1]
                       for c in connectors):
                yield Diagnostic("AR141", "warning", f"functional exchange {exchange.name!r}{_layer(model, exchange)} "
                                 f"is allocated to {connectors[0].name!r}, which does not join the components of "
                                 "its functions",
                                 exchange.id, exchange.name, related=tuple(c.id for c in connectors))
            continue
        pair = sorted((direct[0][0], direct[1][0]), key=lambda c: (model[c].name, c))
        if ends[0].detail in _CARRIED_LAYERS and not all(_actor(model, c, copies) for c in pair):
            uncarried.setdefault((_LAYER_NAMES[ends[0].detail], *pair), []).append(exchange)
    for (layer, first, second), exchanges in uncarried.items():
        names = ", ".join(repr(e.name) for e in exchanges[:3]) + (", …" if len(exchanges) > 3 else "")
        count = f"{len(exchanges)} functional exchanges" if len(exchanges) > 1 else "functional exchange"
        yield Diagnostic("AR141", "warning", f"{count} between functions of {model[first].name!r} and "
                         f"{model[second].name!r} ({layer}) allocated to no component exchange: {names}",
                         exchanges[0].id, exchanges[0].name, related=tuple(e.id for e in exchanges[1:]))


def _involved(model: Model, chain: Behavior) -> set[str]:
    """What a chain involves, through the chains it references."""
    found: set[str] = set()
    pending = [chain]
    while pending:
        current = pending.pop()
        for member in current.members:
            if member in found:
                continue
            found.add(member)
            referenced = model.get(member)
            if isinstance(referenced, Behavior) and referenced.behavior_kind == "functional_chain":
                pending.append(referenced)
    return found


def _disconnected(model: Model, members: set[str]) -> list[list[Behavior]]:
    """The groups of functions a chain involves (its functions and its exchanges' end functions), joined by
    the exchanges it involves; one group when the chain is connected."""
    group: dict[str, str] = {}

    def find(node: str) -> str:
        while group.setdefault(node, node) != node:
            node = group[node]
        return node

    functions: dict[str, Behavior] = {}
    for member in members:
        element = model.get(member)
        if isinstance(element, Behavior) and element.behavior_kind == "function":
            functions[element.id] = element
            find(element.id)
        elif isinstance(element, Behavior) and element.behavior_kind == "functional_exchange":
            ends = [f for f in (_function_of(model, element.source), _function_of(model, element.target)) if f]
            for end in ends:
                functions[end.id] = end
            if len(ends) == 2:
                group[find(ends[0].id)] = find(ends[1].id)
    groups: dict[str, list[Behavior]] = {}
    for function in sorted(functions.values(), key=lambda f: (f.name, f.id)):
        groups.setdefault(find(function.id), []).append(function)
    return list(groups.values())


def _chain_shape(model: Model, chain: Behavior, members: set[str]) -> Diagnostic | None:
    """Capella's well-formedness of a chain: it involves at least one functional exchange, and its involved
    exchanges join all its involved functions into one connected whole."""
    where = f"functional chain {chain.name!r}{_layer(model, chain)}"
    if not any(isinstance(m, Behavior) and m.behavior_kind == "functional_exchange" for m in map(model.get, members)):
        return Diagnostic("AR142", "warning", f"{where} involves no functional exchange: its functions are not "
                          "linked", chain.id, chain.name)
    groups = _disconnected(model, members)
    if len(groups) < 2:
        return None
    parts = "; ".join(", ".join(repr(f.name) for f in g[:3]) + (", …" if len(g) > 3 else "") for g in groups[:3])
    return Diagnostic("AR142", "warning", f"{where} is not connected: its exchanges leave {len(groups)} separate "
                      f"groups of functions ({parts})", chain.id, chain.name,
                      related=tuple(f.id for g in groups for f in g))


@rule("AR142", "warning", "functional chain involves an exchange without its functions", domain="architecture")
def broken_functional_chain(model: Model) -> Iterator[Diagnostic]:
    """A chain involves something, each functional exchange it involves joins two functions it involves, and
    it is well formed: it involves an exchange, and its exchanges join its functions into one connected
    whole (Capella's DWF_DF_03, a warning, with FunctionalChainExt's well-formedness)."""
    for chain in _behaviours(model, "functional_chain"):
        members = _involved(model, chain)
        if not members:
            yield Diagnostic("AR142", "warning", f"functional chain {chain.name!r}{_layer(model, chain)} involves "
                             "nothing", chain.id, chain.name)
            continue
        shape = _chain_shape(model, chain, members)
        if shape is not None:
            yield shape
            continue
        for member in sorted(members):
            exchange = model.get(member)
            if not isinstance(exchange, Behavior) or exchange.behavior_kind != "functional_exchange":
                continue
            loose = [f for f in (_function_of(model, exchange.source), _function_of(model, exchange.target))
                     if f is not None and f.id not in members]
            if loose:
                yield Diagnostic("AR142", "warning", f"functional chain {chain.name!r}{_layer(model, chain)} involves "
                                 f"exchange {exchange.name!r} but not function {loose[0].name!r}", chain.id, chain.name,
                                 related=(exchange.id, *(f.id for f in loose)))


def _region(model: Model, element: Element) -> str | None:
    owner = model.get(element.owner)
    while isinstance(owner, Behavior) and owner.behavior_kind not in ("region", "state_machine"):
        owner = model.get(owner.owner)
    return owner.id if owner is not None else None


@rule("AR143", "warning", "state no transition reaches", domain="architecture")
def unreachable_state(model: Model) -> Iterator[Diagnostic]:
    """In a region that has transitions, every state other than initial ones is the target of one, or holds
    a state that is (a transition into a substate enters the composite states around it)."""
    targets: set[str] = set()
    for transition in _behaviours(model, "transition"):
        if transition.source == transition.target:
            continue  # a state's own loop does not bring it about
        reached = model.get(transition.target)
        while reached is not None and reached.id not in targets:
            targets.add(reached.id)
            reached = model.get(reached.owner)
    regions_with_transitions = {_region(model, t) for t in _behaviours(model, "transition")}
    regions_with_transitions |= {model.get(t.source).owner for t in _behaviours(model, "transition")
                                 if model.get(t.source) is not None}
    for state in _behaviours(model, "state"):
        pseudo = "Pseudo" in state.detail or "pseudo" in state.detail.lower()
        if state.initial or pseudo or state.id in targets:
            continue
        if state.owner in regions_with_transitions or _region(model, state) in regions_with_transitions:
            yield Diagnostic("AR143", "warning", f"state {state.name!r}{_layer(model, state)} is the target of no "
                             "transition", state.id, state.name)


@rule("AR144", "error", "final state with an outgoing transition", domain="architecture")
def transition_from_final_state(model: Model) -> Iterator[Diagnostic]:
    """UML: a final state has no outgoing transitions."""
    finals = {s.id for s in _behaviours(model, "state") if s.detail in ("FinalState", "Pseudostate terminate")}
    for transition in _behaviours(model, "transition"):
        if transition.source in finals:
            source = model[transition.source]
            yield Diagnostic("AR144", "error", f"transition {transition.name or transition.id!r} leaves final state "
                             f"{source.name or source.id!r}", transition.id, transition.name, related=(source.id,))


@rule("AR145", "error", "region with more than one initial state", domain="architecture")
def several_initial_states(model: Model) -> Iterator[Diagnostic]:
    """UML: a region has at most one initial pseudostate."""
    initials: dict[str, list[Behavior]] = {}
    for state in _behaviours(model, "state"):
        if state.initial and state.owner:
            initials.setdefault(state.owner, []).append(state)
    for region_id, states in initials.items():
        if len(states) > 1:
            region = model.get(region_id)
            yield Diagnostic("AR145", "error", f"region {region.name if region else region_id!r} has "
                             f"{len(states)} initial states", region_id, region.name if region else "",
                             related=tuple(s.id for s in states))
