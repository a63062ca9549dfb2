"""Executable architectures: instance trees whose blocks run SD behaviours and SysML parametrics.

``bind_architecture(model)`` finds the root blocks (:mod:`solvers.instances`), builds one instance
per part at any depth, wires their values (:mod:`solvers.wiring`: connectors, delegation through
boundary ports, binding connectors with nested ends, item flows) and turns constraints into engine
variables (:mod:`solvers.parametrics`). Each instance of a block with an SD behaviour becomes a module
instance named by its path (``hvac.heater``); its ``in`` ports are bound to what drives them. The
model itself is left untouched: the compiler flattens the bound copy and adds the parametric variables.

Names are paths of part names from the root (``tank.level``); when a file holds several roots, each
path starts with its root's name. A parametric model without states or time is one evaluation
(start = stop) unless the model has time settings of its own; a value named ``dt`` is the run's time
step, and its default value the step when the model sets none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from metamodel.constraints import is_invariant
from metamodel.elements import Block, Constraint, Module, NeuralComponent, SimSpec, Variable
from metamodel.model import Model
from metamodel.names import canonical
from metamodel.validation.registry import Diagnostic
from solvers.flatten import FlatModel
from solvers.instances import Instance, ModelIndex, TreeBuilder
from solvers.parametrics import ParametricBuilder, Parametrics
from solvers.wiring import Wiring


@dataclass
class Binding:
    """What running an architecture adds to a model: the bound copy to flatten, parametric variables,
    problems that stop the run, notes for the user and the time settings to run with."""

    model: Model
    parametrics: Parametrics = field(default_factory=Parametrics)
    problems: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sim_spec: SimSpec | None = None
    trees: list[Instance] = field(default_factory=list)

    def aliases(self, parameters: Iterable[str]) -> dict[str, str]:
        """``Root.mass`` for the parameter ``mass`` of a file's only root (canonical alias -> name)."""
        if len(self.trees) != 1 or self.trees[0].path:
            return {}
        root = self.trees[0].name
        return {canonical(f"{root}.{name}"): name for name in parameters}

    def extend(self, flat: FlatModel) -> None:
        """Add the parametric variables to a flattened model (their names are flat keys already)."""
        for variable in self.parametrics.variables:
            if variable.key in flat.variables:
                self.problems.append(Diagnostic("SD004", "error", f"two variables are named '{variable.display}' "
                                                "(a value of the architecture and a variable of a behaviour)",
                                                variable.element_id, variable.display))
                continue
            flat.variables[variable.key] = variable


def bind_architecture(model: Model) -> Binding:
    """The architecture of ``model`` made runnable (see the module docstring); no roots: nothing added."""
    index = ModelIndex.of(model)
    builder = TreeBuilder(index)
    roots = builder.roots()
    if not roots:
        return Binding(model, problems=_unrooted(model, index))
    several = len(roots) > 1
    trees = [builder.tree(name, sources, (name,) if several or index.behaviour(index.definition(sources)) else ())
             for name, sources in roots]
    problems = [Diagnostic("AR110", "error", message, element_id) for element_id, message in builder.problems]
    wiring = Wiring(model, index)
    for tree in trees:
        wiring.add_tree(tree)
    wiring.bind()
    parametrics = ParametricBuilder(index, wiring, trees).build()
    problems += wiring.network.problems + parametrics.problems
    behaviours = _behaviour_ids(model, index)
    elements = {k: v for k, v in model.elements.items()  # what the flattener reads: no architecture elements
                if isinstance(v, Variable | Module | NeuralComponent) and k not in behaviours}
    modules = 0
    for tree in trees:
        for instance in tree.walk():
            behaviour = index.behaviour(instance.block)
            if behaviour is None:
                continue
            name = ".".join(instance.path)
            module = Module(f"#instance:{name}", name, model_name=behaviour.model_name,
                            connections=list(parametrics.connections.get(instance.path, [])))
            elements[module.id] = module
            modules += 1
    bound = replace(model, elements=elements, _observers=[])
    spec = _time_settings(model, parametrics, modules)
    return Binding(bound, parametrics, problems, list(parametrics.notes), spec, trees)


def _unrooted(model: Model, index: ModelIndex) -> list[Diagnostic]:
    """Constraints or behaviours that cannot run because no block is at the top of the architecture."""
    owners = {c.owner for c in model.of_kind(Constraint)
              if isinstance(model.get(c.owner), Block) and not is_invariant(c, model.get(c.owner))}
    owners |= {b.id for b in model.of_kind(Block) if index.behaviour(b) is not None}
    if not owners:
        return []
    names = sorted(model[o].name for o in owners)
    message = (f"{', '.join(names[:5])}{' …' if len(names) > 5 else ''} hold constraints or behaviour, but no "
               "block is at the top of the architecture: every block is the type of some part (a composition "
               "cycle?), so nothing is instantiated to run")
    return [Diagnostic("AR125", "error", message, next(iter(sorted(owners))))]


def _behaviour_ids(model: Model, index: ModelIndex) -> set[str]:
    """Modules that are blocks' behaviours: instantiated per part, not on their own."""
    return {b.behavior for b in model.of_kind(Block) if b.behavior and index.behaviour(b) is not None}


def _time_settings(model: Model, parametrics: Parametrics, modules: int) -> SimSpec | None:
    """Time settings the architecture implies, when the model has none of its own."""
    if model.sim_spec != SimSpec():
        return None
    if not parametrics.dynamic and not modules and parametrics.variables:
        return SimSpec(start=0.0, stop=0.0, dt=1.0)
    if parametrics.step is not None:
        return replace(model.sim_spec, dt=parametrics.step)
    return None


_LISTED = 20  # values an under-determined finding names in its message


def _unset_values(names: list[str]) -> list[Diagnostic]:
    """One PA004 finding for all values that nothing determines (one cause: the run must set them)."""
    if not names:
        return []
    if len(names) == 1:
        return [Diagnostic("PA004", "warning", f"under-determined: nothing gives {names[0]} a value; a run must set "
                           f"it (--set {names[0]}=VALUE)", element_name=names[0])]
    shown = ", ".join(names[:_LISTED]) + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")
    return [Diagnostic("PA004", "warning", f"under-determined: nothing determines these {len(names)} values: "
                       f"{shown}; a run must set them (--set NAME=VALUE)", element_name=names[0])]


def diagnose(model: Model) -> list[Diagnostic]:
    """What stops the architecture of ``model`` from running (errors), the values a run must be given
    (warnings) and how it will run (notes), as check findings."""
    binding = bind_architecture(model)
    found = [p for p in binding.problems if p.code != "AR125"]  # its cause, a composition cycle, is AR110
    if not found:
        found += _unset_values(binding.parametrics.inputs)
        found += [Diagnostic("PA000", "info", note) for note in binding.notes if "nothing gives a value" not in note]
    return found
