"""Validation rules that mirror Capella's coverage rules on the capabilities and missions of the system
analysis (AR158-AR164, Capella's DCOV_02-08): each capability serves a mission and involves an actor,
each mission exploits a capability and involves an actor and the components of its capabilities, each
component but the system takes part in a capability and appears in the scenarios of the capabilities it
takes part in.

Capella runs these on the system analysis's elements only (``ctx:Capability``, ``ctx:Mission``,
``ctx:SystemComponent``); operational capabilities and capability realizations are left alone. "The
system" is Capella's root component: the first component of the layer's component package that is not
an actor.
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import Behavior, Block, Package, Part, Relation
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _behaviours, _layer
from metamodel.validation.registry import Diagnostic, of_kind, rule, shared


def _capabilities(model: Model) -> list[Behavior]:
    """The capabilities of the system analysis (Capella's ``ctx:Capability``)."""
    return [b for b in _behaviours(model, "capability") if b.detail == "Capability"]


def _system_components(model: Model) -> list[Block]:
    return [b for b in of_kind(model, Block) if b.stereotype == "SystemComponent" and not b.library]


def _is_actor(element: object) -> bool:
    return isinstance(element, Block) and element.properties.get("actor") == "true"


def _roots(model: Model) -> set[str]:
    """The system of each system analysis: the first non-actor component its component package holds."""
    def compute() -> set[str]:
        found: dict[str, str] = {}  # component package -> its first non-actor component
        for component in _system_components(model):
            package = model.get(component.owner)
            layer = model.get(package.owner) if isinstance(package, Package) else None
            if isinstance(layer, Package) and layer.properties.get("layer") == "SystemAnalysis" and \
                    not _is_actor(component):
                found.setdefault(package.id, component.id)
        return set(found.values())
    return shared(("capella systems", id(model)), compute)


def _involved(model: Model, behaviour: Behavior) -> list[Block]:
    """The system components a capability or mission involves (its members that are such components)."""
    return [m for m in map(model.get, behaviour.members) if isinstance(m, Block) and m.stereotype == "SystemComponent"]


def _exploited(model: Model, mission: Behavior) -> list[Behavior]:
    return [m for m in map(model.get, mission.members) if isinstance(m, Behavior) and m.behavior_kind == "capability"]


def _links(model: Model, relation: str) -> dict[str, list[str]]:
    """Capability id -> the capabilities its ``relation`` links (``include``, ``specialization``) name."""
    found: dict[str, list[str]] = {}
    for link in of_kind(model, Relation):
        if link.relation == relation:
            for source in link.sources:
                found.setdefault(source, []).extend(link.targets)
    return found


def _closure(start: str, step: dict[str, list[str]]) -> list[str]:
    """The elements reached from ``start`` through ``step``, recursively, ``start`` itself left out."""
    reached: list[str] = []
    pending = list(step.get(start, ()))
    while pending:
        current = pending.pop(0)
        if current != start and current not in reached:
            reached.append(current)
            pending.extend(step.get(current, ()))
    return reached


def _name(model: Model, element: Behavior | Block) -> str:
    return f"{element.name or element.id!r}{_layer(model, element)}"


@rule("AR158", "warning", "capability exploited by no mission", domain="architecture")
def capability_without_mission(model: Model) -> Iterator[Diagnostic]:
    """A system capability is exploited by a mission: directly, through a capability that includes it
    (at any depth), or as one of its super capabilities is (Capella's DCOV_02,
    MDCHK_Capability_Exploitation_1)."""
    exploiting: dict[str, list[str]] = {}
    for mission in _behaviours(model, "mission"):
        for capability in _exploited(model, mission):
            exploiting.setdefault(capability.id, []).append(mission.id)
    including: dict[str, list[str]] = {}  # included capability -> the capabilities including it
    for source, targets in _links(model, "include").items():
        for target in targets:
            including.setdefault(target, []).append(source)
    supers = _links(model, "specialization")
    for capability in _capabilities(model):
        serving = [capability.id, *_closure(capability.id, including)]
        for super_id in _closure(capability.id, supers):
            serving.extend([super_id, *_closure(super_id, including)])
        if not any(exploiting.get(c) for c in serving):
            yield Diagnostic("AR158", "warning", f"capability {_name(model, capability)} is exploited by no mission",
                             capability.id, capability.name)


@rule("AR159", "error", "mission exploits no capability", domain="architecture")
def mission_without_capability(model: Model) -> Iterator[Diagnostic]:
    """A mission exploits at least one capability (Capella's DCOV_03, MDCHK_Mission_Exploitation_1)."""
    for mission in _behaviours(model, "mission"):
        if not _exploited(model, mission):
            yield Diagnostic("AR159", "error", f"mission {_name(model, mission)} exploits no capability",
                             mission.id, mission.name)


@rule("AR160", "warning", "mission involves no actor", domain="architecture")
def mission_without_actor(model: Model) -> Iterator[Diagnostic]:
    """A mission involves at least one actor (Capella's DCOV_04, MDCHK_Mission_Interactions_1)."""
    for mission in _behaviours(model, "mission"):
        if not any(_is_actor(c) for c in _involved(model, mission)):
            yield Diagnostic("AR160", "warning", f"mission {_name(model, mission)} involves no actor",
                             mission.id, mission.name)


@rule("AR161", "warning", "component of an exploited capability not involved in the mission", domain="architecture")
def mission_missing_capability_component(model: Model) -> Iterator[Diagnostic]:
    """A mission involves every component, the system aside, that the capabilities it exploits involve
    (Capella's DCOV_05, MDCHK_Mission_Inclusion_1). One finding per component missing from a mission,
    naming the capabilities that involve it."""
    roots = _roots(model)
    for mission in _behaviours(model, "mission"):
        involved = {c.id for c in _involved(model, mission)}
        missing: dict[str, list[str]] = {}  # component -> the exploited capabilities involving it
        for capability in _exploited(model, mission):
            for component in _involved(model, capability):
                if component.id not in roots and component.id not in involved:
                    missing.setdefault(component.id, []).append(capability.id)
        for component_id, capabilities in missing.items():
            names = ", ".join(repr(model[c].name or c) for c in capabilities)
            yield Diagnostic("AR161", "warning", f"{model[component_id].name or component_id!r} is not involved in "
                             f"mission {_name(model, mission)}, though it is involved in its capabilities {names}",
                             mission.id, mission.name, related=(component_id, *capabilities))


def _involving(model: Model) -> dict[str, list[Behavior]]:
    """System component id -> the system capabilities involving it, in model order."""
    found: dict[str, list[Behavior]] = {}
    for capability in _capabilities(model):
        for component in dict.fromkeys(c.id for c in _involved(model, capability)):
            found.setdefault(component, []).append(capability)
    return found


@rule("AR162", "warning", "system component involved in no capability", domain="architecture")
def component_without_capability(model: Model) -> Iterator[Diagnostic]:
    """A system-analysis component other than the system (an actor) is involved in at least one capability
    (Capella's DCOV_06, SystemComponent_InvolvingCapabilities)."""
    roots, involving = _roots(model), _involving(model)
    for component in _system_components(model):
        if component.id not in roots and component.id not in involving:
            yield Diagnostic("AR162", "warning", f"{'actor' if _is_actor(component) else 'component'} "
                             f"{_name(model, component)} is involved in no capability", component.id, component.name)


@rule("AR163", "warning", "capability involves no actor", domain="architecture")
def capability_without_actor(model: Model) -> Iterator[Diagnostic]:
    """A system capability involves at least one actor, itself or through its super capabilities
    (Capella's DCOV_07, Capability_InvolvingActors)."""
    supers = _links(model, "specialization")
    for capability in _capabilities(model):
        related = [capability, *(c for c in map(model.get, _closure(capability.id, supers)) if isinstance(c, Behavior))]
        if not any(_is_actor(c) for r in related for c in _involved(model, r)):
            yield Diagnostic("AR163", "warning", f"capability {_name(model, capability)} involves no actor",
                             capability.id, capability.name)


@rule("AR164", "warning", "component absent from the scenarios of a capability it is involved in",
      domain="architecture")
def component_absent_from_scenarios(model: Model) -> Iterator[Diagnostic]:
    """A component other than the system that a system capability involves appears in one of that
    capability's scenarios: an instance role of it represents a part typed by the component (Capella's
    DCOV_08, SystemComponent_CapabilityAndScenarioConforms; a capability without scenarios counts). One
    finding per component, naming the capabilities."""
    shown: dict[str, set[str]] = {}  # capability -> the components its scenarios' instances are typed by
    for scenario in _behaviours(model, "scenario"):
        parts = (model.get(m) for m in scenario.members)
        shown.setdefault(scenario.owner or "", set()).update(p.type for p in parts if isinstance(p, Part) and p.type)
    roots = _roots(model)
    for component_id, capabilities in _involving(model).items():
        if component_id in roots:
            continue
        absent = [c.id for c in capabilities if component_id not in shown.get(c.id, ())]
        if absent:
            component = model[component_id]
            names = ", ".join(repr(model[c].name or c) for c in absent)
            yield Diagnostic("AR164", "warning", f"{_name(model, component)} is involved in capabilities {names} "
                             "but appears in none of their scenarios", component_id, component.name,
                             related=tuple(absent))
