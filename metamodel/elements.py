"""Element kinds of the shared metamodel: system dynamics, architecture and neural components.

Elements are plain dataclasses owned by a ``Model`` under a stable ``id``. They reference one another
by id (a stock's inflows, a connector's ends), listed per class in ``references`` with what removing the
referenced element does (``metamodel.references``); equations reference variables by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn

from metamodel.equations.ast import Num, UnaryOp
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.names import canonical
from metamodel.references import CLEAR, DELETE, DROP, NESTED, PRUNE, Tracked, TrackedElement

GF_TYPES = ("continuous", "extrapolate", "discrete")
PORT_DIRECTIONS = ("in", "out", "inout")
INTEGRATION_METHODS = ("euler", "rk2", "rk4", "rk45", "lsoda", "bdf", "radau")


class _NoValues(dict[str, str]):
    """The one empty ``invalid`` / ``properties`` shared by the elements that have none (most of them):
    it reads like ``{}`` and cannot change in place; ``Element.add_properties`` gives an element its own."""

    __slots__ = ()

    def __hash__(self) -> int:
        return 0

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("the shared empty values of an element cannot change; use Element.add_properties "
                        "or assign a new dict")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = __ior__ = _refuse

    def __reduce__(self) -> str:
        return "NO_VALUES"  # copies and pickles give back the shared one

    def __copy__(self) -> _NoValues:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _NoValues:
        return self


NO_VALUES = _NoValues()


@dataclass
class Element(TrackedElement):
    """Base of all elements: a stable id, a display name and documentation; ``owner`` is the id of the
    element it belongs to (removed with it).

    ``library`` marks elements of a tool's bundled library (Cameo's "MD Customization for SysML",
    Papyrus' standard libraries, Capella's predefined types): part of the file, not of the author's
    design, so checks leave them out. ``invalid`` keeps values of the source file that could not be
    read (a multiplicity ``"1,5"``), by field name, exactly as written: flagged by the checks, never
    silently repaired.
    """

    kind: ClassVar[str] = "element"
    is_variable: ClassVar[bool] = False
    references: ClassVar[dict[str, str]] = {"owner": DELETE}
    id: str
    name: str = ""
    doc: str = ""
    owner: str | None = None
    library: bool = False
    invalid: dict[str, str] = field(default=NO_VALUES)
    properties: dict[str, str] = field(default=NO_VALUES)  # tool property values as written (AADL)

    @property
    def canonical(self) -> str:
        return canonical(self.name)

    def add_properties(self, values: Mapping[str, str]) -> None:
        """Set these tool property values (others are kept); the element gets its own dict on first use."""
        if not values:
            return
        if self.properties is NO_VALUES:
            self.properties = dict(values)
        else:
            self.properties.update(values)


# --------------------------------------------------------------------------------------------------
# System dynamics
# --------------------------------------------------------------------------------------------------


@dataclass
class GraphicalFunction:
    """A lookup table; ``xpts`` may be empty when the x values are spread evenly over ``xscale``."""

    ypts: list[float] = field(default_factory=list)
    xpts: list[float] = field(default_factory=list)
    xscale: tuple[float, float] | None = None
    yscale: tuple[float, float] | None = None
    type: str = "continuous"

    def points(self) -> tuple[list[float], list[float]]:
        """Return explicit ``(xs, ys)``, spreading evenly over ``xscale`` when ``xpts`` is empty."""
        if self.xpts:
            return list(self.xpts), list(self.ypts)
        n = len(self.ypts)
        lo, hi = self.xscale if self.xscale else (0.0, float(max(n - 1, 1)))
        if n == 1:
            return [lo], list(self.ypts)
        return [lo + (hi - lo) * i / (n - 1) for i in range(n)], list(self.ypts)


@dataclass
class Variable(Element):
    """An SD variable with an equation; arrayed when ``dimensions`` names dimensions.

    ``element_equations`` maps comma-joined element names (``"north,q1"``) to equations that override
    ``equation`` for those elements (XMILE's non-apply-to-all arrays).
    """

    is_variable: ClassVar[bool] = True
    equation: str = ""
    units: str = ""
    dimensions: list[str] = field(default_factory=list)
    element_equations: dict[str, str] = field(default_factory=dict)
    range: tuple[float, float] | None = None

    def equations(self) -> list[str]:
        """All equation texts of this variable (the apply-to-all one and per-element ones)."""
        texts = [self.equation] if self.equation else []
        texts.extend(self.element_equations.values())
        return texts


@dataclass
class Stock(Variable):
    """A level; ``equation`` is its initial value; inflows and outflows are flow ids."""

    kind: ClassVar[str] = "stock"
    references: ClassVar[dict[str, str]] = {**Element.references, "inflows": DROP, "outflows": DROP}
    inflows: list[str] = field(default_factory=list)
    outflows: list[str] = field(default_factory=list)
    non_negative: bool = False


@dataclass
class Flow(Variable):
    """A rate; ``non_negative`` makes it a uniflow (negative values are cut to zero)."""

    kind: ClassVar[str] = "flow"
    non_negative: bool = False
    gf: GraphicalFunction | None = None


@dataclass
class Aux(Variable):
    """An auxiliary; a constant equation makes it a parameter; ``gf`` makes the equation its input."""

    kind: ClassVar[str] = "aux"
    gf: GraphicalFunction | None = None

    @property
    def is_parameter(self) -> bool:
        if self.gf is not None or self.element_equations:
            return False
        try:
            node = parse(self.equation)
        except ParseError:
            return False
        return isinstance(node, Num) or (isinstance(node, UnaryOp) and isinstance(node.operand, Num))


@dataclass
class Dimension:
    """A named array dimension with its element names."""

    name: str
    elements: list[str] = field(default_factory=list)

    @property
    def canonical(self) -> str:
        return canonical(self.name)


@dataclass
class ModuleConnection:
    """Binds ``to`` (a name inside the module, or outside for outputs) to the variable ``source``."""

    to: str
    source: str


@dataclass
class Module(Element):
    """An instance of a submodel (``model_name`` in ``Model.submodels``) with its input bindings."""

    kind: ClassVar[str] = "module"
    model_name: str = ""
    connections: list[ModuleConnection] = field(default_factory=list)


@dataclass
class SimSpec:
    """Simulation specs: time grid, save period (``None`` means every ``dt``), method, time units.

    ``controls`` names the variables that give ``stop``, ``dt`` or ``save_per`` while the run goes on
    (Vensim's FINAL TIME, TIME STEP and SAVEPER written as equations of time); the numbers above are
    then their values at the start.
    """

    start: float = 0.0
    stop: float = 100.0
    dt: float = 1.0
    save_per: float | None = None
    method: str = "euler"
    time_units: str = ""
    controls: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------------------------------


@dataclass
class Package(Element):
    kind: ClassVar[str] = "package"


@dataclass
class Block(Element):
    """A block; ``behavior`` is the id of a Module (an SD submodel, or the wrapper model of an FMU) or a
    NeuralComponent that gives it dynamics."""

    kind: ClassVar[str] = "block"
    references: ClassVar[dict[str, str]] = {**Element.references, "behavior": CLEAR}
    is_abstract: bool = False
    behavior: str | None = None
    stereotype: str = "Block"


@dataclass
class ValueType(Element):
    """A value type; ``href`` names the library or file it comes from when it is not defined here."""

    kind: ClassVar[str] = "value_type"
    units: str = ""
    href: str = ""
    stereotype: str = ""  # the SysML stereotype it was read from (ValueType), when the source has one


@dataclass
class Part(Element):
    """A property of ``owner`` typed by ``type`` (an element id); ``aggregation`` part/reference/value."""

    kind: ClassVar[str] = "part"
    references: ClassVar[dict[str, str]] = {**Element.references, "type": DELETE}
    type: str | None = None
    aggregation: str = "part"
    lower: int = 1
    upper: int | None = 1  # None = unbounded (*)
    default: str = ""
    stereotype: str = ""  # e.g. PartProperty, ValueProperty, ConstraintProperty
    composite: bool | None = None  # UML aggregation = composite as the source writes it (None: not read)


@dataclass
class Port(Element):
    """A port on ``owner``; ``flow_type`` names an element id or a type name, ``units`` its flow unit."""

    kind: ClassVar[str] = "port"
    references: ClassVar[dict[str, str]] = {**Element.references, "type": CLEAR, "flow_type": CLEAR}
    direction: str = "inout"
    port_kind: str = "proxy"  # proxy, full, flow, standard
    type: str | None = None
    flow_type: str = ""
    units: str = ""
    conjugated: bool = False
    required: bool = False
    lower: int = 1
    upper: int | None = 1
    stereotype: str = ""  # e.g. FlowPort, ProxyPort, FullPort, ConstraintParameter


@dataclass
class ConnectorEnd(Tracked):
    """One end of a connector: the port or part ``role``, reached through ``part_with_port``."""

    references: ClassVar[dict[str, str]] = {"role": DELETE, "part_with_port": DELETE, "nested_path": DELETE}

    role: str | None = None
    part_with_port: str | None = None
    nested_path: list[str] = field(default_factory=list)


@dataclass
class Connector(Element):
    """Joins its ends; ``directed`` connections (AADL's ``->``) flow from the first end to the second."""

    kind: ClassVar[str] = "connector"
    references: ClassVar[dict[str, str]] = {**Element.references, "ends": NESTED, "type": CLEAR}
    ends: list[ConnectorEnd] = field(default_factory=list)
    binding: bool = False
    type: str | None = None
    directed: bool = False


@dataclass
class FlowProperty(Tracked):
    """A flow property of an interface; ``id`` is its id in the source file (connector ends may name it)."""

    references: ClassVar[dict[str, str]] = {"type": CLEAR}

    name: str
    direction: str = "inout"
    type: str | None = None
    units: str = ""
    id: str | None = None
    properties: dict[str, str] = field(default=NO_VALUES)  # tool values as written (Capella's kind, direction)


@dataclass
class Interface(Element):
    """An interface block: the flow properties a port typed by it carries."""

    kind: ClassVar[str] = "interface"
    references: ClassVar[dict[str, str]] = {**Element.references, "flow_properties": NESTED}
    flow_properties: list[FlowProperty] = field(default_factory=list)
    stereotype: str = ""  # the SysML stereotype it was read from: InterfaceBlock, FlowSpecification


@dataclass
class ItemFlow(Element):
    kind: ClassVar[str] = "item_flow"
    references: ClassVar[dict[str, str]] = {**Element.references, "conveyed": DROP, "source": DELETE,
                                            "target": DELETE, "realizing_connectors": DROP}
    conveyed: list[str] = field(default_factory=list)
    source: str | None = None
    target: str | None = None
    realizing_connectors: list[str] = field(default_factory=list)


@dataclass
class FlowStep(Tracked):
    """One step of an end-to-end flow: a flow specification of the part's classifier, or a connector."""

    references: ClassVar[dict[str, str]] = {"element": DELETE, "part": DELETE}
    element: str
    part: str | None = None


FLOW_KINDS = ("source", "sink", "path", "end_to_end")


@dataclass
class FlowSpec(Element):
    """An AADL flow: a specification (source, sink, path) through a component's ports, or an end-to-end
    flow through parts and connectors; its latency bound is in ``properties`` (``latency``)."""

    kind: ClassVar[str] = "flow_spec"
    references: ClassVar[dict[str, str]] = {**Element.references, "entry": DELETE, "exit": DELETE, "steps": NESTED}
    flow_kind: str = "path"
    entry: str | None = None  # port ids
    exit: str | None = None
    steps: list[FlowStep] = field(default_factory=list)


BEHAVIOR_KINDS = ("function", "functional_exchange", "functional_chain", "activity", "action", "activity_edge",
                  "state_machine", "region", "state", "mode", "transition", "scenario", "message", "capability",
                  "mission", "physical_path")


@dataclass
class Behavior(Element):
    """A behavioural element kept with its structure: functions and their exchanges, chains, activities
    and actions, state machines, states, modes and transitions, scenarios and messages, capabilities
    (use cases) and missions. Exchanges, transitions and messages go from ``source`` to ``target``;
    chains, scenarios, capabilities and missions list ``members``;
    ``detail`` is the source tool's metaclass (``InitialPseudoState``, ``Mode``, ``CallBehaviorAction``)."""

    kind: ClassVar[str] = "behavior"
    references: ClassVar[dict[str, str]] = {**Element.references, "source": DELETE, "target": DELETE,
                                            "members": DROP}
    behavior_kind: str = "function"
    source: str | None = None
    target: str | None = None
    members: list[str] = field(default_factory=list)
    initial: bool = False
    detail: str = ""


@dataclass
class Requirement(Element):
    """A requirement; ``type`` is the requirement it is a usage of (SysML v2), whose features it has."""

    kind: ClassVar[str] = "requirement"
    req_id: str = ""
    text: str = ""
    type: str | None = None
    stereotype: str = ""  # the SysML v1 stereotype it was read from (Requirement or a specialization)


RELATION_KINDS = ("satisfy", "verify", "refine", "allocate", "derive", "trace", "copy", "dependency",
                  "realization", "communication",  # Capella: a component's communication link to an exchange item
                  # ArchiMate relationships
                  "access", "aggregation", "assignment", "association", "composition", "flow", "influence",
                  "serving", "specialization", "triggering",
                  # use cases and Capella capabilities including or extending one another
                  "include", "extend")


@dataclass
class Constraint(Element):
    """A constraint owned by a block, constraint block or requirement: ``body`` as written in the source
    (an equation such as ``F = m * a``, or a condition such as ``T <= 100``) in ``language``; the solver
    reads it with :mod:`metamodel.equations.notation`. Several statements may share one body."""

    kind: ClassVar[str] = "constraint"
    body: str = ""
    language: str = ""


@dataclass
class Relation(Element):
    """A directed relation such as satisfy or allocate from ``source`` ids to ``target`` ids."""

    kind: ClassVar[str] = "relation"
    references: ClassVar[dict[str, str]] = {**Element.references, "sources": PRUNE, "targets": PRUNE}
    relation: str = "satisfy"
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    stereotype: str = ""  # the SysML stereotype it was read from (Satisfy, Copy, Allocate...)


@dataclass
class Unmapped(Element):
    """An element of a foreign file that Salver does not model (a state machine, a test case activity),
    kept as a named stub because mapped elements refer to it; ``source_type`` is its type there."""

    kind: ClassVar[str] = "unmapped"
    source_type: str = ""
    stereotype: str = ""


# --------------------------------------------------------------------------------------------------
# Neural components
# --------------------------------------------------------------------------------------------------


@dataclass
class NeuralPort:
    """An input or output of an ONNX model: ``shape`` uses ``None`` for dynamic axes (the batch)."""

    name: str
    shape: list[int | None] = field(default_factory=list)
    dtype: str = "float32"
    units: str = ""
    equation: str = ""  # inputs: the expression that feeds it

    def shape_problem(self) -> str | None:
        """Why this port's shape cannot be fed run by run, or None: shapes are [batch, k] or [batch]."""
        if len(self.shape) == 1:
            return None
        if len(self.shape) == 2:
            width = self.shape[1]
            if isinstance(width, int) and width > 0:
                return None
            return f"the feature axis of shape {self.shape} must have a fixed size"
        return f"rank {len(self.shape)} (shape {self.shape}) is not supported; ports must have shape " \
               "[batch, features] or [batch]"

    @property
    def width(self) -> int:
        """Features per run: k for shape [batch, k], 1 for [batch] (check ``shape_problem`` first)."""
        return self.shape[1] if len(self.shape) == 2 and isinstance(self.shape[1], int) else 1


@dataclass
class NeuralComponent(Element):
    """A trained ONNX model referenced by a path relative to the model file, checked by sha256."""

    kind: ClassVar[str] = "neural"
    path: str = ""
    sha256: str = ""
    inputs: list[NeuralPort] = field(default_factory=list)
    outputs: list[NeuralPort] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# FMU components
# --------------------------------------------------------------------------------------------------

FMU_CAUSALITIES = ("input", "output", "parameter")
FMU_INTERFACES = ("cs", "me")  # co-simulation, model exchange


@dataclass
class FmuVariable:
    """An input, output or parameter of an FMU: its name and value reference in the FMU, its FMI type
    (``Real``/``Float64``, ``Integer``, ``Boolean``, ...), unit and start value. ``equation`` is, for an
    input, the expression that feeds it; for a parameter, an expression (usually a number) that
    replaces its start value; empty keeps the FMU's start value."""

    name: str
    causality: str = "input"
    value_reference: int = 0
    type: str = "Real"
    units: str = ""
    start: float | None = None
    description: str = ""
    equation: str = ""

    @property
    def key(self) -> str:
        """The name equations use for it after the component's name: ``der(h)`` -> ``der_h``, ``a.b[1]`` ->
        ``a_b_1`` (canonical)."""
        return canonical(re.sub(r"[^0-9A-Za-z_ ]+", "_", self.name).strip("_ ")) or "_"


@dataclass
class FmuComponent(Element):
    """A Functional Mock-up Unit (FMI 2.0 or 3.0) referenced by a path relative to the model file and
    checked by sha256, run through ``interface`` (``cs``: the FMU steps itself on the run's
    communication grid; ``me``: its states are integrated by Salver's solvers). ``interfaces`` lists
    what the FMU offers; ``states`` and ``event_indicators`` count the continuous states and event
    indicators of its model exchange interface; ``units_defs`` the FMU's units in SI base units
    (``m/s2`` -> ``m*s^-2``) where its unit definitions give them; ``experiment`` is its default
    experiment (start, stop, step; ``None`` where the FMU gives none)."""

    kind: ClassVar[str] = "fmu"
    path: str = ""
    sha256: str = ""
    fmi_version: str = ""
    guid: str = ""
    model_identifier: str = ""
    interface: str = "cs"
    interfaces: list[str] = field(default_factory=list)
    inputs: list[FmuVariable] = field(default_factory=list)
    outputs: list[FmuVariable] = field(default_factory=list)
    parameters: list[FmuVariable] = field(default_factory=list)
    states: int = 0
    event_indicators: int = 0
    units_defs: dict[str, str] = field(default_factory=dict)  # the FMU's unit names in SI base units
    experiment: tuple[float | None, float | None, float | None] = (None, None, None)


SD_KINDS = (Stock, Flow, Aux)
ELEMENT_TYPES: dict[str, type[Element]] = {
    cls.kind: cls
    for cls in (Stock, Flow, Aux, Module, Package, Block, ValueType, Part, Port, Connector, Interface,
                ItemFlow, Requirement, Constraint, Relation, Unmapped, NeuralComponent, FmuComponent, FlowSpec,
                Behavior)
}
