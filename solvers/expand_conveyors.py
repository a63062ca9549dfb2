"""XMILE conveyors in the flat model: each conveyor stock element becomes a ``conveyor`` block.

The XMILE importer writes a conveyor as calls of internal builtins: the stock's equation
``CONVEYOR(initial, transit time, capacity, inflow limit, sample, arrest, exponential, discrete, f1,
start1, end1, whole1, ...)`` (one group per leak flow, in the stock's outflow order), its primary outflow
``CONVEYOR_OUTFLOW(stock[, arrest of its destination])``, the k-th leak ``CONVEYOR_LEAK(stock, k)`` and
each inflow driven by an equation ``CONVEYOR_INFLOW(stock, j, request)``; an inflow that is another
conveyor's outflow or leak, an oven's outflow or a queue's outflow (which takes at most the conveyor's
room, ``CONVEYOR_ROOM``), is admitted whole. This module turns them into one
block per stock element (``solvers.blocks.Conveyor``), its arguments held in hidden values so that each
is computed once per step. The stock itself keeps integrating its flows, which the block sets, so its
value is the belt's content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metamodel.equations.ast import BinOp, Call, Name, Node, Num
from solvers.flatten import FlatVar

if TYPE_CHECKING:
    from solvers.expand import Expander

CONVEYOR_ARGS = 8  # initial, transit time, capacity, inflow limit, sample, arrest, exponential, discrete
LEAK_ARGS = 4  # fraction, zone start, zone end, whole units
_READS = ("conveyor_outflow", "conveyor_leak", "conveyor_inflow")
_DRIVEN = ("conveyor_outflow", "conveyor_leak", "oven_outflow", "queue_outflow")  # flows a conveyor takes whole
Room = tuple[str, int, tuple[Node, ...]]  # a block's output that says how much it takes this step, and its args


def expand_conveyors(expander: Expander) -> dict[str, Room]:
    """Make the block of every conveyor stock and point its flows at the block's outputs; the rooms of
    the conveyors by stock key (for the queues that feed them)."""
    flat = expander.flat.variables
    driven = {k for k, v in flat.items() if isinstance(v.expr, Call) and v.expr.func in _DRIVEN}
    rooms: dict[str, Room] = {}
    for stock in [v for v in flat.values() if v.kind == "stock" and is_call(v.expr, "conveyor")]:
        _Conveyor(expander, stock, driven, rooms).build()
    for var in flat.values():  # calls left are flows of no conveyor (or of a stock that is not one)
        if isinstance(var.expr, Call) and var.expr.func in _READS:
            expander._owner = var
            expander._problem(f"{var.expr.func.upper()} names a stock that is not a conveyor", var.expr)
            var.expr = Num(0.0)
    return rooms


def is_call(node: Node | None, name: str) -> bool:
    """Whether ``node`` calls the builtin ``name``."""
    return isinstance(node, Call) and node.func == name


def names_stock(call: Node | None, stock: str) -> bool:
    """Whether the first argument of ``call`` is the stock ``stock``."""
    return isinstance(call, Call) and bool(call.args) and isinstance(call.args[0], Name) and \
        call.args[0].name == stock


class _Conveyor:
    """One conveyor stock element."""

    def __init__(self, expander: Expander, stock: FlatVar, driven: set[str], rooms: dict[str, Room]) -> None:
        self.x = expander
        self.stock = stock
        self.driven = driven  # flows that are another block's outflow or leak
        self.rooms = rooms
        self.call: Call = stock.expr  # type: ignore[assignment]

    def _held(self, what: str, node: Node) -> Name:
        """``node`` as a hidden value of this conveyor (stateful calls in it expanded)."""
        self.x._owner = self.stock
        if isinstance(node, Num | Name):
            return node  # type: ignore[return-value]
        return self.x._aux(what, self.x.rewrite(node))

    def _constant(self, node: Node, what: str) -> float | None:
        value = self.x._initial_value(node)
        if value is None:
            self.x._owner = self.stock
            self.x._problem(f"the {what} of a conveyor must be a constant", node)
        return value

    def build(self) -> None:
        x, stock, args = self.x, self.stock, self.call.args
        x._owner = stock
        if len(args) < CONVEYOR_ARGS or (len(args) - CONVEYOR_ARGS) % LEAK_ARGS:
            x._problem("CONVEYOR takes 8 arguments and 4 per leak", self.call)
            return
        initial, transit, capacity, in_limit, sample, arrest, exponential, discrete = args[:CONVEYOR_ARGS]
        groups = [args[i:i + LEAK_ARGS] for i in range(CONVEYOR_ARGS, len(args), LEAK_ARGS)]
        flags = [self._constant(exponential, "kind of leakage"), self._constant(discrete, "discrete option")]
        zones = []
        for fraction, start, end, whole in groups:
            bounds = [self._constant(start, "leak zone start"), self._constant(end, "leak zone end"),
                      self._constant(whole, "whole-unit option")]
            flags += bounds
            zones.append((fraction, *bounds))
        if any(f is None for f in flags):
            return
        stock.expr = initial  # the stock starts with the conveyor's initial content
        key = x._key("conveyor")
        transit_v, capacity_v, limit_v = (self._held("transit", transit), self._held("capacity", capacity),
                                          self._held("limit", in_limit))
        sample_v, arrest_v = self._held("sample", sample), self._held("arrest", arrest)
        fractions = [self._held("leak", z[0]) for z in zones]
        outflow, held = self._outflow()
        held_v = self._held("held", held)
        leaks = self._leaks(len(zones))
        requests, conveyed = self._inflows()
        if outflow is None or leaks is None or requests is None:
            return
        read_args = (arrest_v, held_v, *fractions, capacity_v, limit_v, conveyed, *(r for _, r in requests))
        options = (bool(flags[0]), tuple((z[1], z[2], bool(z[3])) for z in zones), len(requests), bool(flags[1]))
        self.rooms[stock.key] = (key, len(zones) + 1 + len(requests),
                                 (arrest_v, held_v, *fractions, capacity_v, limit_v, Num(0.0)))
        inflow_total: Node = Num(0.0)
        for flow in stock.inflows:
            inflow_total = BinOp("+", inflow_total, Name(flow))
        from solvers.expand import Block

        x.out.blocks.append(Block(key, "conveyor", options, (Name(stock.key), transit_v, *fractions),
                                  (arrest_v, held_v, sample_v, transit_v, *fractions, inflow_total)))
        outflow.expr = x._block_output(key, 0, read_args)
        for k, leak in enumerate(leaks):
            leak.expr = x._block_output(key, k + 1, read_args)
        for j, (flow, _) in enumerate(requests):
            flow.expr = x._block_output(key, len(leaks) + 1 + j, read_args)

    def _flows(self, keys: list[str]) -> list[FlatVar]:
        return [self.x.flat.variables[k] for k in keys if k in self.x.flat.variables]

    def _outflow(self) -> tuple[FlatVar | None, Node]:
        mains = [f for f in self._flows(self.stock.outflows) if is_call(f.expr, "conveyor_outflow")
                 and names_stock(f.expr, self.stock.key)]
        if len(mains) != 1:
            self.x._owner = self.stock
            self.x._problem("a conveyor needs exactly one outflow that is not a leak", self.call)
            return None, Num(0.0)
        call: Call = mains[0].expr  # type: ignore[assignment]
        return mains[0], call.args[1] if len(call.args) > 1 else Num(0.0)

    def _leaks(self, count: int) -> list[FlatVar] | None:
        found: dict[int, FlatVar] = {}
        for flow in self._flows(self.stock.outflows):
            call = flow.expr
            if is_call(call, "conveyor_leak") and names_stock(call, self.stock.key):
                number = self.x._initial_value(call.args[1]) if len(call.args) > 1 else None  # type: ignore[union-attr]
                if number is not None:
                    found[int(number)] = flow
        if sorted(found) != list(range(1, count + 1)):
            self.x._owner = self.stock
            self.x._problem(f"a conveyor with {count} leak(s) needs the leak flows numbered 1 to {count}", self.call)
            return None
        return [found[k] for k in range(1, count + 1)]

    def _inflows(self) -> tuple[list[tuple[FlatVar, Name]] | None, Node]:
        """The inflows driven by equations, each with its request, and the inflow from other conveyors."""
        requests: dict[int, tuple[FlatVar, Name]] = {}
        conveyed: Node = Num(0.0)
        for flow in self._flows(self.stock.inflows):
            call = flow.expr
            if is_call(call, "conveyor_inflow") and names_stock(call, self.stock.key):
                number = self.x._initial_value(call.args[1]) if len(call.args) > 2 else None  # type: ignore[union-attr]
                if number is None:
                    self.x._owner = flow
                    self.x._problem("CONVEYOR_INFLOW takes the stock, a constant position and the request", call)
                    return None, conveyed
                self.x._owner = flow
                requests[int(number)] = (flow, self.x._aux("request", self.x.rewrite(call.args[2])))  # type: ignore[union-attr]
            elif flow.key in self.driven:
                conveyed = BinOp("+", conveyed, Name(flow.key))
            else:
                self.x._owner = flow
                self.x._problem(f"inflow '{flow.display}' of conveyor '{self.stock.display}' is neither "
                                "another conveyor's outflow nor a request the conveyor admits", flow.expr or Num(0.0))
                return None, conveyed
        return [requests[j] for j in sorted(requests)], conveyed
