"""What the compiler hands to the runner: the run-time layout and the generated programs."""

from __future__ import annotations

from dataclasses import dataclass, field

from metamodel.equations.ast import Node


@dataclass
class Program:
    """Generated source of one backend plus the line -> variable map for error messages."""

    source: str
    lines: dict[int, str]


@dataclass(frozen=True)
class BlockSpec:
    """A block of run-time state (``solvers.blocks``): its kind and the static options it is made with."""

    key: str
    kind: str
    options: tuple[object, ...] = ()


@dataclass
class Layout:
    """Where each quantity lives at run time."""

    stocks: list[str]  # keys, index = row of the state
    memories: list[str]
    pipelines: list[str]
    parameters: list[str]  # keys of constant auxes fed from PAR
    parameter_defaults: list[float]
    reported: list[str]  # keys reported in Results, index = column of R
    display: dict[str, str]
    init_order: list[str]
    run_order: list[str]
    non_negative: list[int]  # rows of stocks kept at or above zero
    blocks: list[BlockSpec] = field(default_factory=list)  # run-time state objects (solvers.blocks)
    euler_only: list[str] = field(default_factory=list)  # names of what moves in whole steps (Euler only)


@dataclass
class RateSystem:
    """What an analytic Jacobian needs: stock keys with their rate ASTs, computed variables, parameters."""

    stocks: list[str]
    rates: dict[str, Node]
    computed: dict[str, Node]
    parameters: list[str]
    clipped: set[str]  # flows cut at zero (uniflows)


# -- the plan: what the generated functions compute, in order, for any backend --------------------------
@dataclass(frozen=True)
class Ref(Node):
    """Internal node: the value of the flat key ``key`` (never a constant such as TIME)."""

    key: str = ""


@dataclass(frozen=True)
class NetFlow(Node):
    """Internal node: a stock's rate, the sum of its inflows minus the sum of its outflows (flat keys)."""

    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parameter:
    """``key`` takes the run's value of parameter ``index``."""

    key: str
    index: int


@dataclass(frozen=True)
class Compute:
    """``key = expr``, through the graphical function of ``table`` when given, cut at zero if ``clip``."""

    key: str
    expr: Node | None
    table: str | None = None
    clip: bool = False


@dataclass(frozen=True)
class Initial:
    """``key = expr`` at the start, then stored at ``row`` of ``store`` ("S" stocks, "M" memories,
    "P" the initial value of pipeline ``row``)."""

    key: str
    expr: Node | None
    store: str
    row: int


@dataclass(frozen=True)
class PipeRead:
    """``key`` = the history of pipeline ``row`` read ``delay`` time units back."""

    key: str
    row: int
    delay: Node


@dataclass(frozen=True)
class NeuralCall:
    """Neural component ``index`` evaluated on its input expressions (per port, in order)."""

    key: str
    index: int
    inputs: tuple[tuple[str, tuple[Node, ...]], ...]


@dataclass(frozen=True)
class NeuralOutput:
    """``key`` = column ``column`` of output ``port`` of neural component ``index``."""

    key: str
    index: int
    port: str
    column: int


@dataclass(frozen=True)
class BlockStart:
    """Block ``row`` starts from the values of ``args`` (in the initial phase, before any of its reads)."""

    key: str
    row: int
    args: tuple[Node, ...]


@dataclass(frozen=True)
class BlockRead:
    """``key`` = output ``output`` of block ``row`` given the values of ``args`` (its state is not changed)."""

    key: str
    row: int
    output: int
    args: tuple[Node, ...]


@dataclass(frozen=True)
class FmuCall:
    """FMU component ``index`` at time ``t``. At the start (``init``) it is instantiated or reset with
    its ``parameters`` and initialised; later evaluations give it its ``inputs`` and, for model
    exchange, the values of its state stocks ``states`` (rows ``rows`` of S), which take the states
    after an event. Its value has one row per output, per derivative, per state."""

    key: str
    index: int
    inputs: tuple[tuple[str, Node], ...]
    parameters: tuple[tuple[str, Node], ...] = ()
    states: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()
    init: bool = False


@dataclass(frozen=True)
class FmuOutput:
    """``key`` = row ``column`` of the value of FMU component ``index``."""

    key: str
    index: int
    column: int


Op = (Parameter | Compute | Initial | PipeRead | NeuralCall | NeuralOutput | BlockStart | BlockRead | FmuCall
      | FmuOutput)


@dataclass
class Plan:
    """The generated functions of every backend, as operations on flat keys.

    ``init`` computes the start values (stocks into S, memories into M, pipelines' initial values);
    ``run`` computes every variable at a time ``t`` from the stocks S and memories M; then each stock row
    gets its rate ``rates[row]``; on a main step (not an integration stage) the reported keys are
    recorded, memories take ``memory_updates``, pipelines push ``pipe_pushes``, each block steps with
    the values of its ``block_steps`` and the ``fmus`` FMU components advance (co-simulation FMUs step
    to the next communication point).
    """

    init: list[Op]
    run: list[Op]
    stocks: list[str]
    memories: list[str]
    parameters: list[str]  # keys, index = position in PAR
    rates: list[Node]
    reported: list[str]
    memory_updates: list[Node]
    pipe_pushes: list[Node]
    tables: list[str]  # keys of graphical functions, index = position of their Lookup
    display: dict[str, str]  # key -> name for messages, for every key an op computes
    block_steps: list[tuple[Node, ...]] = field(default_factory=list)  # per block, in Layout.blocks order
    fmus: int = 0
