"""Expand stateful builtins into hidden stocks, memories and pipelines.

After expansion the integrators know only stocks with rates, plus three kinds of discrete state
updated once per time step: *memories* (``INIT``, ``PREVIOUS``, ``SAMPLE_IF_TRUE``), *pipelines*
(``DELAY``, ``DELAY_FIXED``: the input's history read back ``delay`` time units later) and *blocks*
(conveyors, queues: objects of ``solvers.blocks`` with a state of their own, read through their outputs
and stepped once per step).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Star, Subscript, UnaryOp
from metamodel.equations.builtins import BUILTINS
from metamodel.validation.registry import Diagnostic
from solvers.expand_vensim import VensimExpansions
from solvers.flatten import ArrayRef, FlatModel, FlatVar


@dataclass
class HiddenStock:
    key: str
    init: Node
    rate: Node


@dataclass
class Memory:
    """Discrete state: starts at ``init``; after each step takes the value of ``update``."""

    key: str
    init: Node
    update: Node


@dataclass
class Pipeline:
    """The history of ``source`` read ``delay`` time units back; ``init`` before enough history."""

    key: str
    source: Node
    delay: Node
    init: Node
    fixed: bool


@dataclass
class Block:
    """Run-time state of its own (``solvers.blocks``): started from the values of ``start`` in the initial
    phase, read through its outputs, stepped once per main step with the values of ``step``."""

    key: str
    kind: str
    options: tuple[object, ...]
    start: tuple[Node, ...]
    step: tuple[Node, ...] = ()


@dataclass
class BlockOutput:
    """The value ``key``: output ``output`` of block ``block`` given the values of ``args``."""

    key: str
    block: str
    output: int
    args: tuple[Node, ...]


@dataclass
class Expanded:
    hidden_stocks: list[HiddenStock] = field(default_factory=list)
    hidden_auxes: list[FlatVar] = field(default_factory=list)
    memories: list[Memory] = field(default_factory=list)
    pipelines: list[Pipeline] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    block_outputs: list[BlockOutput] = field(default_factory=list)
    euler_only: list[str] = field(default_factory=list)  # keys of what moves in whole steps (not blocks)
    problems: list[Diagnostic] = field(default_factory=list)


_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _b(op: str, left: Node, right: Node) -> Node:
    return BinOp(op, left, right)


def _n(value: float) -> Node:
    return Num(float(value))


class Expander(VensimExpansions):
    """Rewrites every equation of a flat model, replacing stateful calls by hidden state."""

    def __init__(self, flat: FlatModel, start: float = 0.0, dt: float = 1.0) -> None:
        self.flat = flat
        self.start = start
        self.dt = dt
        self.out = Expanded()
        self._count = 0
        self._owner: FlatVar | None = None

    def run(self) -> Expanded:
        from solvers.expand_batches import expand_batches
        from solvers.expand_conveyors import expand_conveyors

        expand_batches(self, expand_conveyors(self))
        self.expand_queues()
        for var in list(self.flat.variables.values()):
            if var.expr is not None:
                self._owner = var
                var.expr = self.rewrite(var.expr)
        for use in self.flat.neural:
            use.inputs = {port: [self.rewrite(n) for n in nodes] for port, nodes in use.inputs.items()}
        for fmu in self.flat.fmus:
            fmu.inputs = {port: self.rewrite(node) for port, node in fmu.inputs.items()}
        return self.out

    # -- tree walk ----------------------------------------------------------------------------------
    def rewrite(self, node: Node) -> Node:
        if isinstance(node, Num | Name | Star | Subscript | ArrayRef):
            return node
        if isinstance(node, UnaryOp):
            return replace(node, operand=self.rewrite(node.operand))
        if isinstance(node, BinOp):
            return replace(node, left=self.rewrite(node.left), right=self.rewrite(node.right))
        if isinstance(node, If):
            return replace(node, cond=self.rewrite(node.cond), then=self.rewrite(node.then),
                           orelse=self.rewrite(node.orelse))
        if isinstance(node, Call):
            call = replace(node, args=tuple(self.rewrite(a) for a in node.args))
            builtin = BUILTINS.get(call.func)
            if builtin is not None and not builtin.min_args <= len(call.args) <= builtin.max_args:
                self._problem(f"{call.func.upper()} takes {builtin.arity} arguments, got {len(call.args)}", call)
                return _n(0)
            expand = getattr(self, f"_x_{call.func}", None)
            return expand(*call.args) if expand is not None else call
        raise TypeError(f"unknown node {node!r}")

    # -- helpers ------------------------------------------------------------------------------------
    def _key(self, what: str) -> str:
        self._count += 1
        owner = self._owner.key if self._owner is not None else "model"
        return f"#{what}{self._count}.{owner}"

    def _stock(self, what: str, init: Node, rate_of: object) -> Name:
        key = self._key(what)
        name = Name(key)
        self.out.hidden_stocks.append(HiddenStock(key, init, rate_of(name)))  # type: ignore[operator]
        return name

    def _block_output(self, block: str, output: int, args: tuple[Node, ...]) -> Name:
        key = self._key("out")
        self.out.block_outputs.append(BlockOutput(key, block, output, args))
        return Name(key)

    def _aux(self, what: str, expr: Node) -> Name:
        key = self._key(what)
        self.out.hidden_auxes.append(FlatVar(key, key, "aux", expr, hidden=True))
        return Name(key)

    def _initial_value(self, node: Node | None, depth: int = 0) -> float | None:
        """The value of a constant expression at the start time (orders are fixed when a run starts)."""
        if node is None or depth > 50:
            return None
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name):
            if node.name == "time":
                return self.start
            var = self.flat.variables.get(node.name)
            return self._initial_value(var.expr, depth + 1) if var is not None else None
        values = [self._initial_value(child, depth + 1) for child in node.children()]
        if any(v is None for v in values):
            return None
        if isinstance(node, UnaryOp) and node.op in "+-":
            return -values[0] if node.op == "-" else values[0]  # type: ignore[operator]
        if isinstance(node, BinOp) and node.op in _ARITHMETIC:
            return _ARITHMETIC[node.op](*values)
        if isinstance(node, Call) and node.func == "step" and len(values) == 2:
            return values[0] if self.start >= values[1] else 0.0  # type: ignore[operator]
        return None

    def _order(self, node: Node, call: str) -> int | None:
        value = self._initial_value(node)
        if value is not None and float(value).is_integer() and 1 <= value <= 1000:
            return int(value)
        self._problem(f"the order of {call} must be a whole constant between 1 and 1000", node)
        return None

    def _problem(self, message: str, node: Node) -> None:
        owner = self._owner
        self.out.problems.append(Diagnostic("SD011", "error", message, owner.element_id if owner else None,
                                            owner.display if owner else "", node.span or None, "equation"))

    # -- smoothing -----------------------------------------------------------------------------------
    def _smooth_chain(self, x: Node, delay: Node, order: int, init: Node | None) -> Node:
        stage_time = _b("/", delay, _n(order)) if order > 1 else delay
        previous = x
        for _ in range(order):
            source = previous
            previous = self._stock("smooth", init if init is not None else x,
                                   lambda s, src=source: _b("/", _b("-", src, s), stage_time))
        return previous

    def _x_smth1(self, x: Node, delay: Node, init: Node | None = None) -> Node:
        return self._smooth_chain(x, delay, 1, init)

    def _x_smth3(self, x: Node, delay: Node, init: Node | None = None) -> Node:
        return self._smooth_chain(x, delay, 3, init)

    def _x_smthn(self, x: Node, delay: Node, order: Node, init: Node | None = None) -> Node:
        n = self._order(order, "SMTHN")
        return self._smooth_chain(x, delay, n, init) if n else _n(0)

    # -- material delays -------------------------------------------------------------------------------
    def _delay_chain(self, x: Node, delay: Node, order: int, init: Node | None) -> Node:
        stage_time = _b("/", delay, _n(order)) if order > 1 else delay
        start = init if init is not None else x
        inflow: Node = x
        stock: Name | None = None
        for _ in range(order):
            source = inflow
            stock = self._stock("delay", _b("*", start, stage_time),
                                lambda s, src=source: _b("-", src, _b("/", s, stage_time)))
            inflow = _b("/", stock, stage_time)
        return inflow

    def _x_delay1(self, x: Node, delay: Node, init: Node | None = None) -> Node:
        return self._delay_chain(x, delay, 1, init)

    def _x_delay3(self, x: Node, delay: Node, init: Node | None = None) -> Node:
        return self._delay_chain(x, delay, 3, init)

    def _x_delayn(self, x: Node, delay: Node, order: Node, init: Node | None = None) -> Node:
        n = self._order(order, "DELAYN")
        return self._delay_chain(x, delay, n, init) if n else _n(0)

    def _x_vensim_delayn(self, x: Node, delay: Node, order: Node, init: Node | None = None) -> Node:
        """Vensim's DELAY N: the order is fixed when the run starts (lowered while a stage would last less than
        one step at the start's delay time), and each stage drains with the delay
        time of the step its content entered the chain (stage k uses the delay time of k steps ago; the
        reported output divides by the delay time of the previous step)."""
        n = self._order(order, "DELAY N")
        if not n:
            return _n(0)
        initial_delay = self._initial_value(delay)
        while initial_delay is not None and n > 1 and n * self.dt > initial_delay + 1e-12:
            n -= 1  # Vensim lowers the order until each stage lasts at least one step
        stage_order = _n(n)
        start = init if init is not None else x
        times: list[Node] = [delay]  # times[k]: the delay time k steps ago
        for _ in range(1, n + 1):
            memory = self._memory(delay, lambda m: m)
            self.out.memories[-1].update = times[-1]
            times.append(memory)
        inflow: Node = x
        stock: Name | None = None
        for k in range(n):
            source, stage_time = inflow, _b("/", times[k], stage_order)
            stock = self._stock("delay", _b("*", start, _b("/", delay, stage_order)),
                                lambda s, src=source, st=stage_time: _b("-", src, _b("/", s, st)))
            inflow = _b("/", stock, stage_time)
        assert stock is not None
        return _b("/", stock, _b("/", times[1], stage_order))

    # -- pipelines ------------------------------------------------------------------------------------
    def _pipeline(self, x: Node, delay: Node, init: Node | None, fixed: bool) -> Node:
        key = self._key("pipe")
        self.out.pipelines.append(Pipeline(key, x, delay, init if init is not None else x, fixed))
        return Name(key)

    def _x_delay(self, x: Node, delay: Node, init: Node | None = None) -> Node:
        return self._pipeline(x, delay, init, fixed=False)

    def _x_delay_fixed(self, x: Node, delay: Node, init: Node) -> Node:
        """Vensim's DELAY FIXED: the delay is fixed when the run starts, as a whole number of steps (at
        least one, halves rounded up); before that much history the output is ``init``."""
        steps = Call("max", (_n(1), Call("int", (_b("+", _b("/", delay, Name("dt")), _n(0.5 + 1e-6)),))))
        return self._pipeline(x, self._x_init(_b("*", steps, Name("dt"))), init, fixed=True)

    # -- discrete changes of stocks ------------------------------------------------------------------
    def _x_shift_if_true(self, cond: Node, size: Node, accumulate: Node, value: Node, start: Node,
                         *elements: Node) -> Node:
        """Vensim's SHIFT IF TRUE: when ``cond`` holds at a step, ``size`` elements of a stock from ``start``
        move one place along its last dimension as the step ends (the first takes ``value``; the last
        keeps its own plus the one before it when ``accumulate``, else is replaced by it), before the
        step's flows are added. Each element gets a flow ``(shifted - current) / DT`` on such steps, which
        Euler adds whole; the value is what leaves the last element (0 when accumulating)."""
        count, first, accumulating = (self._initial_value(n) for n in (size, start, accumulate))
        names = [e.name for e in elements if isinstance(e, Name)]
        if count is None or accumulating is None or not float(count).is_integer() or count < 1:
            self._problem("the size and the accumulate flag of SHIFT IF TRUE must be constants (size a whole "
                          "number of at least 1)", size)
            return _n(0)
        first_index, count = int(first or 0), int(count)
        if first_index + count > len(names):
            self._problem(f"SHIFT IF TRUE shifts {count} elements from position {first_index + 1}, but the stock "
                          f"has {len(names)} along its last dimension", size)
            return _n(0)
        shifted = names[first_index:first_index + count]
        stocks = [self.flat.variables.get(k) for k in shifted]
        if any(s is None or s.kind != "stock" for s in stocks):
            self._problem("SHIFT IF TRUE shifts the elements of a stock (a level)", size)
            return _n(0)
        for i, stock in enumerate(stocks):
            assert stock is not None
            here = Name(stock.key)
            if i == 0:
                target = value
            elif i == count - 1 and accumulating:
                target = _b("+", here, Name(shifted[i - 1]))
            else:
                target = Name(shifted[i - 1])
            flow = self._aux("shift", If(cond, _b("/", _b("-", target, here), Name("dt")), _n(0)))
            stock.inflows.append(flow.name)
        owner = self._owner.key if self._owner is not None else "model"
        self.out.euler_only.append(owner)
        return If(cond, _n(0) if accumulating else Name(shifted[-1]), _n(0))

    # -- net present value ----------------------------------------------------------------------------
    def _net_present_value(self, stream: Node, rate: Node, init: Node, factor: Node, end: bool) -> Node:
        """Vensim's NPV (stream valued at the start of each step) and NPVE (at its end): a discount factor
        ``df`` falling by ``rate / (1 + rate * DT)`` per time unit from 1 (NPV) or ``1 / (1 + rate * DT)``
        (NPVE), the discounted stream accumulated from ``init``; the value is
        ``(accumulated + stream * DT * df) * factor`` (the reference manual's equivalent equations)."""
        per_step = _b("+", _n(1), _b("*", rate, Name("dt")))
        df = self._stock("npv", _b("/", _n(1), per_step) if end else _n(1),
                         lambda s: _b("/", UnaryOp("-", _b("*", s, rate)), per_step))
        accumulated = self._stock("npv", init, lambda s: _b("*", stream, df))
        return _b("*", _b("+", accumulated, _b("*", _b("*", stream, Name("dt")), df)), factor)

    def _x_npv(self, stream: Node, rate: Node, init: Node, factor: Node) -> Node:
        return self._net_present_value(stream, rate, init, factor, end=False)

    def _x_npve(self, stream: Node, rate: Node, init: Node, factor: Node) -> Node:
        return self._net_present_value(stream, rate, init, factor, end=True)

    # -- trends ---------------------------------------------------------------------------------------
    def _average(self, x: Node, avg_time: Node, initial_trend: Node | None) -> Name:
        trend0 = initial_trend if initial_trend is not None else _n(0)
        init = _b("/", x, _b("+", _n(1), _b("*", trend0, avg_time)))
        return self._stock("trend", init, lambda s: _b("/", _b("-", x, s), avg_time))

    def _x_trend(self, x: Node, avg_time: Node, initial_trend: Node | None = None) -> Node:
        average = self._average(x, avg_time, initial_trend)
        return Call("zidz", (_b("-", x, average), _b("*", avg_time, Call("abs", (average,)))))

    def _x_forcst(self, x: Node, avg_time: Node, horizon: Node, initial_trend: Node | None = None) -> Node:
        trend = self._x_trend(x, avg_time, initial_trend)
        return _b("*", x, _b("+", _n(1), _b("*", trend, horizon)))

    # -- discrete memories ----------------------------------------------------------------------------
    def _memory(self, init: Node, update: object) -> Name:
        key = self._key("mem")
        name = Name(key)
        self.out.memories.append(Memory(key, init, update(name)))  # type: ignore[operator]
        return name

    def _x_init(self, x: Node) -> Node:
        return self._memory(x, lambda m: m)

    def _x_previous(self, x: Node, init: Node | None = None) -> Node:
        return self._memory(init if init is not None else x, lambda m: x)

    def _x_sample_if_true(self, cond: Node, x: Node, init: Node) -> Node:
        memory = self._memory(init, lambda m: m)
        value = self._aux("sample", If(cond, x, memory))
        self.out.memories[-1].update = value
        return value

    def _x_integ(self, rate: Node, init: Node) -> Node:
        return self._stock("integ", init, lambda s: rate)

    def _x_active_initial(self, active: Node, initial: Node) -> Node:
        return Call("active_initial", (active, initial))
