"""Feedback loops of a model and the polarity of their links.

Loops are the elementary cycles (Johnson's algorithm, ``networkx.simple_cycles``) of the graph of the user's
variables (``structure.CausalGraph``: element by element for arrays, through stocks' inflows and outflows,
with the hidden stocks of SMTH, DELAY N, TREND, … collapsed into the link from the builtin's input to the
variable that calls it). At most ``max_loops`` are listed; a model with more says so (``complete`` is False)
and Loops That Matter then finds the important ones with the strongest-path search instead.

Link polarity is the sign of the partial derivative of the target's equation with respect to the source:

1. symbolically (sympy), with what the model says about its variables: stocks and flows marked non-negative
   are non-negative, parameters have the sign of their value, and a graphical function is increasing,
   decreasing or neither as its points are;
2. where sympy cannot decide, numerically along a run: the sign of a small forward difference of the
   equation at every saved step. A sign that holds over the whole run is used; one that changes makes the
   link ``unknown``, as does a derivative that stays zero;
3. an inflow adds to its stock (``+``), an outflow takes from it (``-``); a link through hidden structure
   has the product of the polarities along its pathways when they all agree, else ``unknown``.

A loop is reinforcing (``R``) with an even number of negative links, balancing (``B``) with an odd number,
and ``U`` when any link is ``unknown``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.analysis.structure import CausalGraph

if TYPE_CHECKING:
    from solvers.analysis.partials import Evaluator

MAX_LOOPS = 1000  # loops listed before a model counts as big (Loops That Matter then searches instead)
_SYMPY_SIZE = 400  # equations with more nodes than this go straight to the numerical test

POSITIVE, NEGATIVE, UNKNOWN = "+", "-", "unknown"


@dataclass
class Loop:
    """A feedback loop: the user's variables in order (flat keys; the last links back to the first)."""

    id: str
    variables: tuple[str, ...]
    polarity: str
    partition: int = 0

    @property
    def links(self) -> list[tuple[str, str]]:
        closed = (*self.variables, self.variables[0])
        return list(itertools.pairwise(closed))

    def to_json(self, graph: CausalGraph, polarity: Mapping[tuple[str, str], str]) -> dict[str, Any]:
        return {"id": self.id, "polarity": self.polarity,
                "variables": [graph.name(k) for k in self.variables],
                "links": [{"from": graph.name(a), "to": graph.name(b), "polarity": polarity[(a, b)]}
                          for a, b in self.links]}


def rotate(cycle: Sequence[str], graph: CausalGraph) -> tuple[str, ...]:
    """A cycle started at its first stock by name (else its first variable by name): one spelling per loop."""
    stocks = [k for k in cycle if graph.nodes[k].kind == "stock"]
    first = min(stocks or cycle, key=lambda k: (graph.name(k), k))
    at = list(cycle).index(first)
    return (*cycle[at:], *cycle[:at])


def enumerate_cycles(graph: CausalGraph, max_loops: int = MAX_LOOPS) -> tuple[list[tuple[str, ...]], bool]:
    """Up to ``max_loops`` elementary cycles of the user's variables, and whether that is all of them."""
    import networkx as nx

    digraph = nx.DiGraph(graph.variable_links)
    cycles = [rotate(c, graph) for c in itertools.islice(nx.simple_cycles(digraph), max_loops + 1)]
    complete = len(cycles) <= max_loops
    return cycles[:max_loops], complete


def loop_polarity(cycle: Sequence[str], polarity: Mapping[tuple[str, str], str]) -> str:
    signs = [polarity[link] for link in itertools.pairwise((*cycle, cycle[0]))]
    if UNKNOWN in signs:
        return "U"
    return "B" if signs.count(NEGATIVE) % 2 else "R"


def name_loops(cycles: Sequence[tuple[str, ...]], graph: CausalGraph, polarity: Mapping[tuple[str, str], str],
               partitions: Mapping[str, int]) -> list[Loop]:
    """Loops with ids R1, R2, …, B1, …, U1, … numbered by length, then by their variables' names."""
    ordered = sorted(cycles, key=lambda c: (len(c), [graph.name(k) for k in c]))
    counts: dict[str, int] = {}
    loops = []
    for cycle in ordered:
        kind = loop_polarity(cycle, polarity)
        counts[kind] = counts.get(kind, 0) + 1
        loops.append(Loop(f"{kind}{counts[kind]}", cycle, kind, partitions.get(cycle[0], 0)))
    return loops


def partitions(graph: CausalGraph) -> dict[str, int]:
    """The cycle partition (strongly connected component of the user's variables) of each variable in a loop;
    loops of different partitions act on different stocks, so their scores are compared apart."""
    import networkx as nx

    digraph = nx.DiGraph(graph.variable_links)
    found: dict[str, int] = {}
    components = [c for c in nx.strongly_connected_components(digraph)
                  if len(c) > 1 or any(digraph.has_edge(k, k) for k in c)]
    for index, component in enumerate(sorted(components, key=lambda c: min(graph.name(k) for k in c))):
        found.update(dict.fromkeys(component, index))
    return found


# -- polarity -------------------------------------------------------------------------------------------------
class Polarity:
    """Polarity of the flat links and of the links between the user's variables (see the module docstring)."""

    def __init__(self, graph: CausalGraph, parameters: Mapping[str, float], tables: Mapping[str, Any]) -> None:
        self.graph = graph
        self.parameters = parameters  # flat key -> value of each constant
        self.tables = tables  # flat key -> Lookup
        self.flat: dict[tuple[str, str], str] = {}
        self.source: dict[tuple[str, str], str] = {}  # how each flat link's polarity was found
        self._signs: dict[Any, str | None] = {}
        self._tables: dict[str, Any] = {}

    def link(self, source: str, target: str, evaluator: Evaluator | None = None, run: Any = None) -> str:  # noqa: ANN401
        """The polarity of a flat link; ``run`` (time, values) lets the numerical test decide what sympy cannot."""
        key = (source, target)
        if key not in self.flat:
            self.flat[key], self.source[key] = self._decide(source, target, evaluator, run)
        return self.flat[key]

    def _decide(self, source: str, target: str, evaluator: Evaluator | None, run: Any) -> tuple[str, str]:  # noqa: ANN401
        link = self.graph.links[(source, target)]
        if link.kind in ("inflow", "outflow"):
            return (POSITIVE if link.kind == "inflow" else NEGATIVE), "stock"
        if link.kind == "delay":
            return UNKNOWN, "delay time"
        node = self.graph.nodes[target]
        sign = self._symbolic(node, source)
        if sign is not None:
            return sign, "symbolic"
        if evaluator is not None and run is not None:
            return self._numeric(node, source, evaluator, run), "run"
        return UNKNOWN, "undecided"

    def variable_link(self, source: str, target: str) -> str:
        """The polarity of a link between the user's variables: the agreed sign of its hidden pathways."""
        signs = set()
        for path in self.graph.paths[(source, target)]:
            links = [self.flat[pair] for pair in itertools.pairwise(path)]
            signs.add(UNKNOWN if UNKNOWN in links else (NEGATIVE if links.count(NEGATIVE) % 2 else POSITIVE))
        return signs.pop() if len(signs) == 1 else UNKNOWN

    # -- symbolic ------------------------------------------------------------------------------------------
    def _symbolic(self, node: Any, source: str) -> str | None:  # noqa: ANN401 - structure.Node
        from metamodel.equations.ast import walk

        if node.expr is None or sum(1 for _ in walk(node.expr)) > _SYMPY_SIZE:
            return None
        try:
            return self._sympy_sign(node, source)
        except Exception:  # noqa: BLE001 - anything sympy cannot take goes to the numerical test
            return None

    def _sympy_sign(self, node: Any, source: str) -> str | None:  # noqa: ANN401 - structure.Node
        expr, symbols, functions = self._rename(node.expr)
        shape = (expr, tuple((name, tuple(sorted(symbol.assumptions0.items()))) for name, symbol in symbols.values()),
                 tuple((name, function.__name__) for name, function in functions.items()), node.table is not None
                 and self._monotone(node.table).__name__, node.clip, symbols[source][0] if source in symbols else None)
        if shape not in self._signs:  # elements of an array share one shape: sympy works once for them all
            self._signs[shape] = self._derive(node, source, expr, symbols, functions)
        return self._signs[shape]

    def _derive(self, node: Any, source: str, expr: Any, symbols: dict[str, tuple[str, Any]],  # noqa: ANN401
                functions: dict[str, Any]) -> str | None:
        import sympy

        from metamodel.equations.to_sympy import to_sympy

        value = to_sympy(expr)
        value = value.replace(lambda e: isinstance(e, sympy.Function) and e.func.__name__ in functions,
                              lambda e: functions[e.func.__name__](*e.args))
        value = value.xreplace({sympy.Symbol(name): symbol for name, symbol in symbols.values()})
        if node.table is not None:
            value = self._monotone(node.table)(value)
        if node.clip:
            value = sympy.Max(value, 0)
        derivative = sympy.diff(value, symbols[source][1])
        if derivative.is_zero:
            return None
        if derivative.is_nonnegative:
            return POSITIVE
        if derivative.is_nonpositive:
            return NEGATIVE
        return None

    def _rename(self, expr: Any) -> tuple[Any, dict[str, tuple[str, Any]], dict[str, Any]]:  # noqa: ANN401
        """The equation over names ``x0, x1, …``, each input's (name, sympy symbol carrying its known sign),
        and the graphical functions called as functions as monotone sympy functions by their new names."""
        from metamodel.equations.ast import Call, Name
        from solvers.flatten import ArrayRef

        symbols: dict[str, tuple[str, Any]] = {}
        functions: dict[str, Any] = {}

        def rewrite(item: Any) -> Any:  # noqa: ANN401
            if isinstance(item, ArrayRef):
                raise TypeError("an array in an equation")
            if isinstance(item, Name):
                if item.name not in self.graph.nodes:
                    return item
                if item.name not in symbols:
                    name = f"x{len(symbols)}"
                    symbols[item.name] = (name, self._symbol(name, item.name))
                return Name(symbols[item.name][0])
            if isinstance(item, Call) and item.func.startswith("lookup") and len(item.args) == 2 \
                    and isinstance(item.args[0], Name):
                name = f"gf{len(functions)}"
                functions[name] = self._monotone(item.args[0].name)
                return Call(name, (rewrite(item.args[1]),))
            if isinstance(item, Call):
                return Call(item.func, tuple(rewrite(a) for a in item.args))
            fields = {f: rewrite(getattr(item, f)) for f in ("operand", "left", "right", "cond", "then", "orelse")
                      if hasattr(item, f)}
            return replace(item, **fields) if fields else item

        return rewrite(expr), symbols, functions

    def _symbol(self, name: str, key: str) -> Any:  # noqa: ANN401 - sympy.Symbol
        import sympy

        node = self.graph.nodes[key]
        if key in self.parameters:
            value = self.parameters[key]
            if value > 0:
                return sympy.Symbol(name, positive=True)
            if value < 0:
                return sympy.Symbol(name, negative=True)
            return sympy.Symbol(name, zero=True)
        if node.non_negative and node.kind in ("stock", "flow"):
            return sympy.Symbol(name, nonnegative=True)
        return sympy.Symbol(name, real=True)

    def _monotone(self, table_key: str) -> Any:  # noqa: ANN401 - a sympy function class
        """A sympy function whose derivative has the sign the graphical function's points show."""
        import sympy

        table = self.tables.get(table_key)
        steps = np.diff(np.asarray(table.ys if table is not None else [], dtype=float))
        if steps.size and (steps >= 0).all() and (steps > 0).any():
            kind, slope = "increasing", sympy.Symbol("slope_up", nonnegative=True)
        elif steps.size and (steps <= 0).all() and (steps < 0).any():
            kind, slope = "decreasing", sympy.Symbol("slope_down", nonpositive=True)
        else:
            kind, slope = "neither", sympy.Symbol("slope", real=True)
        if kind not in self._tables:
            self._tables[kind] = type(f"table_{kind}", (sympy.Function,), {"fdiff": lambda self, argindex=1: slope})
        return self._tables[kind]

    # -- numerical ---------------------------------------------------------------------------------------------
    def _numeric(self, node: Any, source: str, evaluator: Evaluator, run: Any) -> str:  # noqa: ANN401
        from solvers.analysis.partials import Unevaluable

        time, values = run
        x = values[source]
        scale = max(float(np.nanmax(np.abs(x))), 1e-12) if x.size else 1.0
        step = 1e-6 * np.maximum(np.abs(x), 1e-6 * scale)
        try:
            base = evaluator.evaluate(node.key, time, values)
            moved = evaluator.evaluate(node.key, time, values, changed=source, current={source: x + step})
        except Unevaluable:
            return UNKNOWN
        difference = moved - base
        noise = 1e-12 * (np.abs(base) + np.abs(moved)) + 1e-300
        significant = np.abs(difference) > noise
        up, down = bool((significant & (difference > 0)).any()), bool((significant & (difference < 0)).any())
        if up and not down:
            return POSITIVE
        if down and not up:
            return NEGATIVE
        return UNKNOWN
