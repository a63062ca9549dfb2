"""Capella's well-formedness rules on state machines (AR200-AR204, Capella's DWF_SM family): the
transitions each kind of pseudo-state takes, forks and joins between concurrent regions, transitions
that do not cross concurrent regions, and modes kept apart from states.

The rules read the Capella metaclass an imported state keeps as its ``detail`` (``InitialPseudoState``,
``Mode``…), so they apply to Capella models only. Capella's mode/state rules depend on its preference
"Mode/State mixed hierarchy allowed"; they follow its default, which forbids the mix.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metamodel.elements import Behavior
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _behaviours, _layer
from metamodel.validation.registry import Diagnostic, rule, shared

# Capella pseudo-state metaclass -> (what Capella says of its transitions, the test on its number of
# incoming and outgoing transitions that fails): MDCHK_InitialState_Transition, _ControleNode_Transition,
# _JoinNode_Transition, _EntryPoint_Transition, _ExitPoint_Transition, _History_Transition
_PSEUDO_STATES = {
    "InitialPseudoState": ("at most one outgoing transition", lambda n_in, n_out: n_out > 1),
    "ChoicePseudoState": ("exactly one incoming transition", lambda n_in, n_out: n_in != 1),
    "ForkPseudoState": ("exactly one incoming transition", lambda n_in, n_out: n_in != 1),
    "JoinPseudoState": ("exactly one outgoing transition", lambda n_in, n_out: n_out != 1),
    "EntryPointPseudoState": ("exactly one outgoing transition and at least one incoming one",
                              lambda n_in, n_out: n_out != 1 or n_in == 0),
    "ExitPointPseudoState": ("exactly one incoming transition and at least one outgoing one",
                             lambda n_in, n_out: n_in != 1 or n_out == 0),
    "DeepHistoryPseudoState": ("no outgoing transition", lambda n_in, n_out: n_out > 0),
    "ShallowHistoryPseudoState": ("no outgoing transition", lambda n_in, n_out: n_out > 0),
}
_NAMES = {"InitialPseudoState": "initial state", "ChoicePseudoState": "choice", "ForkPseudoState": "fork",
          "JoinPseudoState": "join", "EntryPointPseudoState": "entry point", "ExitPointPseudoState": "exit point",
          "DeepHistoryPseudoState": "deep history", "ShallowHistoryPseudoState": "shallow history"}


def _transitions(model: Model) -> dict[tuple[str, str], list[Behavior]]:
    """(state id, "in" or "out") -> the transitions that enter or leave it."""
    def build() -> dict[tuple[str, str], list[Behavior]]:
        found: dict[tuple[str, str], list[Behavior]] = {}
        for transition in _behaviours(model, "transition"):
            for end, way in ((transition.target, "in"), (transition.source, "out")):
                if end:
                    found.setdefault((end, way), []).append(transition)
        return found
    return shared(("state transitions", id(model)), build)


def _label(model: Model, element: Behavior) -> str:
    return f"{element.name or element.id!r}{_layer(model, element)}"


@rule("AR200", "error", "Capella pseudo-state with transitions its kind does not allow", domain="architecture")
def pseudo_state_transitions(model: Model) -> Iterator[Diagnostic]:
    """An initial state has at most one outgoing transition (Capella's DWF_SM_02), a choice or a fork one
    incoming transition (DWF_SM_04), a join one outgoing transition (DWF_SM_05), an entry point one
    outgoing and some incoming (DWF_SM_11), an exit point one incoming and some outgoing (DWF_SM_12), a
    history state no outgoing transition (DWF_SM_13)."""
    transitions = _transitions(model)
    for state in _behaviours(model, "state"):
        if state.detail not in _PSEUDO_STATES:
            continue
        expected, wrong = _PSEUDO_STATES[state.detail]
        incoming, outgoing = transitions.get((state.id, "in"), []), transitions.get((state.id, "out"), [])
        if wrong(len(incoming), len(outgoing)):
            yield Diagnostic("AR200", "error", f"{_NAMES[state.detail]} {_label(model, state)} has "
                             f"{len(incoming)} incoming and {len(outgoing)} outgoing transitions; it takes {expected}",
                             state.id, state.name, related=tuple(t.id for t in (*incoming, *outgoing)))


def _path(model: Model, element_id: str) -> list[str]:
    """The element and its owners, innermost first."""
    path: list[str] = []
    current = model.get(element_id)
    while current is not None and current.id not in path:
        path.append(current.id)
        current = model.get(current.owner)
    return path


def _concurrent(model: Model, ends: Iterable[str]) -> bool:
    """Whether elements of one state machine lie in different regions of their nearest common owner (a
    composite state or the state machine itself): concurrent regions. An element that the common owner
    holds directly (an entry or exit point of that state) lies in none of its regions."""
    paths = [_path(model, end) for end in ends]
    if len(paths) < 2 or any(not p for p in paths):
        return False
    others = [set(p) for p in paths[1:]]
    common = next((a for a in paths[0] if all(a in o for o in others)), None)
    owner = model.get(common) if common else None
    if not isinstance(owner, Behavior) or owner.behavior_kind not in ("state", "state_machine"):
        return False
    regions = {p[p.index(common) - 1] for p in paths if p.index(common) > 0}
    regions = {r for r in regions if isinstance(model.get(r), Behavior) and model[r].behavior_kind == "region"}
    held_directly = any(p.index(common) == 0 or p[p.index(common) - 1] not in regions for p in paths)
    return len(regions) > 1 and not held_directly


@rule("AR201", "warning", "Capella fork or join not between concurrent regions", domain="architecture")
def fork_join_outside_concurrent_regions(model: Model) -> Iterator[Diagnostic]:
    """The states a fork's outgoing transitions reach (a join's incoming transitions leave) lie in
    concurrent regions (Capella's DWF_SM_07, MDCHK_JoinForkState_Region); a fork or join with fewer
    than two such transitions is AR200's."""
    transitions = _transitions(model)
    for state in _behaviours(model, "state"):
        if state.detail not in ("ForkPseudoState", "JoinPseudoState"):
            continue
        join = state.detail == "JoinPseudoState"
        links = transitions.get((state.id, "in" if join else "out"), [])
        ends = [t.source if join else t.target for t in links]
        if len(links) < 2 or any(not end for end in ends):
            continue
        if not _concurrent(model, ends):
            way = "come from" if join else "go to"
            yield Diagnostic("AR201", "warning", f"{_NAMES[state.detail]} {_label(model, state)}: its transitions "
                             f"{way} states that are not in concurrent regions", state.id, state.name,
                             related=tuple(t.id for t in links))


@rule("AR202", "warning", "Capella transition between concurrent regions", domain="architecture")
def transition_across_concurrent_regions(model: Model) -> Iterator[Diagnostic]:
    """A state transition's source and target are not in concurrent regions (Capella's DWF_SM_10,
    MDCHK_StateTransiton_Region). A transition into or out of an entry or exit point of the state that
    holds the regions does not cross them."""
    for transition in _behaviours(model, "transition"):
        if transition.detail == "StateTransition" and transition.source and transition.target and \
                transition.source != transition.target and _concurrent(model, (transition.source, transition.target)):
            source, target = model[transition.source], model[transition.target]
            yield Diagnostic("AR202", "warning", f"transition {_label(model, transition)} goes from "
                             f"{source.name or source.id!r} to {target.name or target.id!r}, in a concurrent region",
                             transition.id, transition.name, related=(source.id, target.id))


def _modes_and_states(model: Model) -> dict[str, tuple[list[Behavior], list[Behavior]]]:
    """Region id -> (its modes, its states that are plain states, neither pseudo nor final)."""
    def build() -> dict[str, tuple[list[Behavior], list[Behavior]]]:
        found: dict[str, tuple[list[Behavior], list[Behavior]]] = {}
        for state in _behaviours(model, "state"):
            if state.detail in ("Mode", "State") and state.owner:
                modes, states = found.setdefault(state.owner, ([], []))
                (modes if state.detail == "Mode" else states).append(state)
        return found
    return shared(("modes and states", id(model)), build)


def _machine(model: Model, state: Behavior) -> Behavior | None:
    """The state machine a state belongs to."""
    return next((model[o] for o in _path(model, state.id)[1:]
                 if isinstance(model.get(o), Behavior) and model[o].behavior_kind == "state_machine"), None)


def _capella_region(model: Model, region_id: str) -> bool:
    region = model.get(region_id)
    return isinstance(region, Behavior) and region.behavior_kind == "region"


@rule("AR203", "warning", "Capella mode and state in one hierarchy", domain="architecture")
def mode_state_hierarchy(model: Model) -> Iterator[Diagnostic]:
    """A mode (state) has no state (mode) beside it in its region, and failing that holds none in its
    own regions (Capella's DWF_SM_06, MDCHK_State_Mode_Hierarchy: one finding per mode or state). Every
    finding involves a mode, which only Capella models have."""
    regions = _modes_and_states(model)
    inside: dict[str, tuple[list[Behavior], list[Behavior]]] = {}  # state id -> the modes, states it holds
    for region_id, (modes, states) in regions.items():
        holder = model[region_id].owner if _capella_region(model, region_id) else None
        if holder:
            held_modes, held_states = inside.setdefault(holder, ([], []))
            held_modes.extend(modes)
            held_states.extend(states)
    for region_id, (modes, states) in regions.items():
        if not _capella_region(model, region_id):
            continue
        for state in (*modes, *states):
            mode = state.detail == "Mode"
            if modes and states:
                others, where = (states if mode else modes), "is in a region with"
            else:
                held_modes, held_states = inside.get(state.id, ([], []))
                others, where = (held_states if mode else held_modes), "holds"
            if others:
                names = ", ".join(repr(s.name or s.id) for s in others[:3])
                machine = _machine(model, state)
                within = f" in state machine {machine.name or machine.id!r}" if machine is not None else ""
                yield Diagnostic("AR203", "warning", f"{state.detail.lower()} {_label(model, state)} {where} "
                                 f"{'states' if mode else 'modes'} {names}{within}", state.id, state.name,
                                 related=(*(s.id for s in others), *((machine.id,) if machine is not None else ())))


@rule("AR204", "error", "Capella state machine mixing modes and states", domain="architecture")
def state_machine_mixing_modes_and_states(model: Model) -> Iterator[Diagnostic]:
    """The regions of a state machine hold modes or states, not both (Capella's DWF_SM_16,
    MDCHK_State_Mode_Siblings)."""
    regions = _modes_and_states(model)
    held: dict[str, tuple[list[Behavior], list[Behavior]]] = {}
    for region_id, (modes, states) in regions.items():
        machine = model.get(model[region_id].owner) if _capella_region(model, region_id) else None
        if isinstance(machine, Behavior) and machine.behavior_kind == "state_machine":
            all_modes, all_states = held.setdefault(machine.id, ([], []))
            all_modes.extend(modes)
            all_states.extend(states)
    for machine_id, (modes, states) in held.items():
        if modes and states:
            machine = model[machine_id]
            yield Diagnostic("AR204", "error", f"state machine {_label(model, machine)} holds both modes "
                             f"({', '.join(repr(m.name or m.id) for m in modes[:3])}) and states "
                             f"({', '.join(repr(s.name or s.id) for s in states[:3])})", machine.id, machine.name,
                             related=tuple(s.id for s in (*modes, *states)))
