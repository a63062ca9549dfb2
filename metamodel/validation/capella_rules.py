"""Validation rules that mirror Capella's own validator (AR15x): functional exchanges against the
direction of their function ports, functional chains through functions that are not leaves, functions
allocated more than once, and interfaces no component requires.
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import Behavior, Block, Interface, Port, Relation
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
        wrong = [(port, role) for port, role, bad in ((source, "leaves", "in"), (target, "enters", "out"))
                 if port is not None and port.direction == bad]
        for port, role in wrong:
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
    used = {i for b in of_kind(model, Block) for i in _listed(b, "usedInterfaces")}
    used.update(i for p in of_kind(model, Port) for i in _listed(p, "requiredInterfaces"))
    for interface in of_kind(model, Interface):
        if interface.properties.get("metaclass") == "Interface" and not interface.library and \
                interface.id not in used:
            providers = [p.id for p in of_kind(model, Port) if interface.id in _listed(p, "providedInterfaces")]
            provided = f", though {len(providers)} port(s) provide it" if providers else ""
            yield Diagnostic("AR153", "warning", f"interface {interface.name or interface.id!r}"
                             f"{_layer(model, interface)} is used by no component (no port requires it and no "
                             f"component uses it){provided}", interface.id, interface.name,
                             related=tuple(providers))
