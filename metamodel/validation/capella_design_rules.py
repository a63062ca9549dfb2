"""Capella's design rules on functions, exchanges, components, interfaces and scenarios (AR205-AR211,
AR218): control functions that are leaves, functional exchanges that loop on one function, exchanges
allocated more than once, component exchanges of no kind, components no part represents, interfaces
no component implements, and scenarios of a kind their layer does not allow (Capella's DWF_DF_12,
DCOM_23, DWF_DC_27, DWF_DC_45, DWF_DC_43, DWF_DC_42, DCOM_06, DWF_DS_10).
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import Block, Connector, Interface, Part, Port, Relation
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _architecture, _behaviours, _layer
from metamodel.validation.capella_rules import _COMPONENT_KINDS, _listed, _parents
from metamodel.validation.registry import Diagnostic, of_kind, rule

_CONTROL_KINDS = ("DUPLICATE", "GATHER", "ROUTE", "SELECT", "SPLIT")


def _component_exchange(model: Model, ref: str) -> Connector | None:
    element = model.get(ref)
    return element if isinstance(element, Connector) and \
        element.properties.get("metaclass") == "ComponentExchange" else None


@rule("AR205", "error", "Capella control function with sub-functions", domain="architecture")
def control_function_not_leaf(model: Model) -> Iterator[Diagnostic]:
    """A duplicate, gather, route, select or split function is a leaf (Capella's DWF_DF_12,
    AbstractFunction_LeafFunctionKind)."""
    parents = _parents(model)
    children: dict[str, list[str]] = {}
    for function in _behaviours(model, "function"):
        if function.owner in parents:
            children.setdefault(function.owner, []).append(function.id)
    for function in _behaviours(model, "function"):
        kind = function.properties.get("kind", "")
        if kind in _CONTROL_KINDS and function.id in parents:
            subs = children.get(function.id, [])
            yield Diagnostic("AR205", "error", f"{kind.lower()} function {function.name!r}{_layer(model, function)} "
                             f"has {len(subs)} sub-function(s); a control function is a leaf", function.id,
                             function.name)


def _function_of_end(model: Model, ref: str | None) -> str | None:
    """The function an exchange end is: the function itself, or the owner of a function port."""
    element = model.get(ref) if ref else None
    if isinstance(element, Port) and element.port_kind == "function":
        return element.owner
    return ref


@rule("AR206", "warning", "Capella functional exchange from a function to itself", domain="architecture")
def exchange_looping_on_one_function(model: Model) -> Iterator[Diagnostic]:
    """A functional exchange (an interaction, in the operational analysis) does not leave and enter the
    same function (Capella's DCOM_23, FunctionalExchange_loopsOnSameFunction)."""
    for exchange in _behaviours(model, "functional_exchange"):
        source, target = _function_of_end(model, exchange.source), _function_of_end(model, exchange.target)
        if source and source == target:
            function = model.get(source)
            name = function.name if function is not None else source
            yield Diagnostic("AR206", "warning", f"functional exchange {exchange.name or exchange.id!r}"
                             f"{_layer(model, exchange)} leaves and enters function {name!r}", exchange.id,
                             exchange.name, related=(source,))


def _allocations_from(model: Model, functional: bool) -> dict[str, list[Relation]]:
    """Allocated exchange id -> the allocations from it: of functional exchanges to component exchanges
    (functional), or of component exchanges (to physical links or paths)."""
    found: dict[str, list[Relation]] = {}
    for relation in of_kind(model, Relation):
        if relation.relation != "allocate":
            continue
        for source in relation.sources:
            element = model.get(source)
            if functional and getattr(element, "behavior_kind", None) == "functional_exchange" and \
                    any(_component_exchange(model, t) for t in relation.targets) or \
                    not functional and _component_exchange(model, source) is not None:
                found.setdefault(source, []).append(relation)
    return found


@rule("AR207", "error", "Capella functional exchange allocated to several component exchanges",
      domain="architecture")
def exchange_allocated_more_than_once(model: Model) -> Iterator[Diagnostic]:
    """A functional exchange is allocated to one component exchange at most (Capella's DWF_DC_27,
    FunctionalExchangeComponentExchangeAllocationUnicity)."""
    for exchange_id, relations in _allocations_from(model, functional=True).items():
        if len(relations) > 1:
            exchange = model[exchange_id]
            targets = [t for r in relations for t in r.targets if _component_exchange(model, t)]
            yield Diagnostic("AR207", "error", f"functional exchange {exchange.name or exchange.id!r}"
                             f"{_layer(model, exchange)} is allocated to {len(relations)} component exchanges "
                             f"({', '.join(repr(model[t].name or t) for t in targets)})", exchange_id,
                             exchange.name, related=tuple(targets))


@rule("AR208", "error", "Capella component exchange allocated to several physical links", domain="architecture")
def component_exchange_allocated_more_than_once(model: Model) -> Iterator[Diagnostic]:
    """A component exchange is allocated to one physical link (or path) at most (Capella's DWF_DC_45,
    MDCHK_ComponentExchange_PhysicalLinkAllocationUnicity)."""
    for exchange_id, relations in _allocations_from(model, functional=False).items():
        if len(relations) > 1:
            exchange = model[exchange_id]
            targets = [t for r in relations for t in r.targets]
            names = ", ".join(repr(getattr(model.get(t), "name", "") or t) for t in targets)
            yield Diagnostic("AR208", "error", f"component exchange {exchange.name or exchange.id!r}"
                             f"{_layer(model, exchange)} is allocated {len(relations)} times ({names})", exchange_id,
                             exchange.name, related=tuple(targets))


@rule("AR209", "warning", "Capella component exchange of kind UNSET", domain="architecture")
def component_exchange_of_no_kind(model: Model) -> Iterator[Diagnostic]:
    """A component exchange (not a communication mean) has a kind: delegation, assembly or flow (Capella's
    DWF_DC_43, ComponentExchange_UnsetKind). Capella writes no kind when it is UNSET, its default."""
    for connector in of_kind(model, Connector):
        if connector.properties.get("metaclass") == "ComponentExchange" and not connector.library and \
                connector.properties.get("kind", "UNSET") == "UNSET":
            yield Diagnostic("AR209", "warning", f"component exchange {connector.name or connector.id!r}"
                             f"{_layer(model, connector)} has kind UNSET (neither delegation, assembly nor flow)",
                             connector.id, connector.name)


@rule("AR210", "error", "Capella component no part represents", domain="architecture")
def component_without_part(model: Model) -> Iterator[Diagnostic]:
    """Every component (entity, system, logical or physical component, configuration item, actors among
    them) of a Capella architecture layer is the type of at least one part (Capella's DWF_DC_42,
    ComponentNoPart). Components outside a layer (models not read from Capella) are left alone."""
    typed = {p.type for p in of_kind(model, Part) if p.type}
    for block in of_kind(model, Block):
        if block.stereotype in _COMPONENT_KINDS and not block.library and block.id not in typed and \
                _architecture(model, block) is not None:
            yield Diagnostic("AR210", "error", f"{block.stereotype} {block.name or block.id!r}{_layer(model, block)} "
                             "is the type of no part", block.id, block.name)


@rule("AR211", "warning", "interface no component implements", domain="architecture")
def interface_implemented_by_no_component(model: Model) -> Iterator[Diagnostic]:
    """A Capella interface is implemented by a component or provided by one of its ports (Capella's
    DCOM_06, MDCHK_Interface_Implementation_1; the counterpart of AR153 for uses)."""
    implemented = {i for b in of_kind(model, Block) for i in _listed(b, "implementedInterfaces")}
    implemented.update(i for p in of_kind(model, Port) for i in _listed(p, "providedInterfaces"))
    for interface in of_kind(model, Interface):
        if interface.properties.get("metaclass") == "Interface" and not interface.library and \
                interface.id not in implemented:
            yield Diagnostic("AR211", "warning", f"interface {interface.name or interface.id!r}"
                             f"{_layer(model, interface)} is implemented by no component (no port provides it and "
                             "no component implements it)", interface.id, interface.name)


# the scenario kinds Capella allows in each architecture layer (MDCHK_Scenario_KindVSLevelConsistency)
_SCENARIO_KINDS = {" (operational analysis)": ("INTERACTION",),
                   " (system analysis)": ("DATA_FLOW", "INTERFACE", "FUNCTIONAL"),
                   " (logical architecture)": ("DATA_FLOW", "INTERFACE", "FUNCTIONAL"),
                   " (physical architecture)": ("DATA_FLOW", "INTERFACE", "FUNCTIONAL"),
                   " (EPBS architecture)": ("INTERFACE",)}


@rule("AR218", "error", "Capella scenario of a kind its layer does not allow", domain="architecture")
def scenario_kind_against_layer(model: Model) -> Iterator[Diagnostic]:
    """A scenario's kind fits its layer: interaction scenarios in the operational analysis, data flow,
    interface or functional ones in the system, logical and physical architectures, interface ones in
    the EPBS, and never UNSET (Capella's DWF_DS_10, MDCHK_Scenario_KindVSLevelConsistency)."""
    for scenario in _behaviours(model, "scenario"):
        layer = _layer(model, scenario)
        kind = scenario.properties.get("kind")
        if kind is None or layer not in _SCENARIO_KINDS:
            continue
        allowed = _SCENARIO_KINDS[layer]
        if kind not in allowed:
            yield Diagnostic("AR218", "error", f"scenario {scenario.name or scenario.id!r}{layer} is of kind {kind}; "
                             f"this layer takes {', '.join(allowed)} scenarios", scenario.id, scenario.name)
