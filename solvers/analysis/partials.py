"""Equations of a compiled model evaluated on the saved values of a run: the whole equation, or with one input
at its current value and every other at its previous one (the ceteris-paribus change Loops That Matter needs).

Each node's equation is written once as a numpy function of its inputs (``solvers.codegen``, vector backend,
the same text the engine runs) and called on whole runs at once: an argument is the array of an input over
every saved step and run. Time-dependent builtins (STEP, RAMP, PULSE, …) get their arguments broadcast so that
they take the engine's array branch. Equations that draw random numbers or call neural components cannot be
evaluated again with other inputs: ``Unevaluable`` names them.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers import runtime
from solvers.codegen import CodeGen

if TYPE_CHECKING:
    from solvers.analysis.structure import CausalGraph
    from solvers.model_run import CompiledModel

Function = Callable[..., Any]


class Unevaluable(Exception):
    """An equation that cannot be evaluated again on saved values (random draws, neural components)."""


class _NoRandom:
    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - any draw
        raise Unevaluable("it draws random numbers")


def _broadcast(function: Function, skip: int) -> Function:
    """``function(t, …)`` with the arguments after the first ``skip`` broadcast to the shape of ``t``."""

    def call(t: np.ndarray, *args: Any) -> Any:  # noqa: ANN401 - values of any shape
        fixed, rest = args[:skip - 1], args[skip - 1:]
        return function(t, *fixed, *(np.broadcast_to(np.asarray(a, dtype=float), np.shape(t)) for a in rest))

    return call


def _runtime() -> types.SimpleNamespace:
    """The engine's run-time functions, with the time-dependent ones taking arrays of times."""
    functions = {name: getattr(runtime, name) for name in dir(runtime) if not name.startswith("__")}
    functions.update(step=_broadcast(runtime.step, 1), ramp=_broadcast(runtime.ramp, 1),
                     pulse=_broadcast(runtime.pulse, 2), vensim_pulse=_broadcast(runtime.vensim_pulse, 2),
                     pulse_train=_broadcast(runtime.pulse_train, 2))
    return types.SimpleNamespace(**functions)


class Evaluator:
    """Evaluates the equations of the nodes of a ``CausalGraph`` on arrays of values (see the module doc)."""

    def __init__(self, graph: CausalGraph, compiled: CompiledModel) -> None:
        self.graph = graph
        spec = compiled.sim_spec
        self.namespace: dict[str, Any] = {
            "_m": math, "_np": np, "_rt": _runtime(), "_pow": np.power, "_floor": np.floor, "_DT": spec.dt,
            "_START": spec.start, "_STOP": spec.stop, "_INF": math.inf, "_NAN": math.nan, "_rng": _NoRandom()}
        self.tables: dict[str, str] = {}
        for index, (key, table) in enumerate(compiled.lookups.items()):
            self.tables[key] = f"_lk{index}"
            self.namespace[f"_lk{index}"] = table
        self._functions: dict[str, tuple[Function, list[str]] | Unevaluable] = {}

    def function(self, key: str) -> tuple[Function, list[str]]:
        """``(f, inputs)``: ``f(t, *values of inputs)`` is the value of node ``key``; raises Unevaluable."""
        if key not in self._functions:
            try:
                self._functions[key] = self._write(key)
            except Unevaluable as exc:
                self._functions[key] = exc
        found = self._functions[key]
        if isinstance(found, Unevaluable):
            raise found
        return found

    def _write(self, key: str) -> tuple[Function, list[str]]:
        node = self.graph.nodes[key]
        inputs: list[str] = []

        def local(name: str) -> str:
            if name not in self.graph.nodes:
                raise Unevaluable(f"it reads '{name}', which has no values of its own (a neural component?)")
            if name not in inputs:
                inputs.append(name)
            return f"a{inputs.index(name)}"

        def lookup(name: str) -> str:
            if name not in self.tables:
                raise Unevaluable(f"'{name}' is used as a graphical function but has none")
            return self.tables[name]

        generator = CodeGen(local, lookup, vector=True, init_phase=False)
        text = generator.expr(node.expr) if node.expr is not None else "0.0"
        if node.table is not None:
            text = f"{lookup(node.table)}({text}, None)"
        if node.clip:
            text = f"_np.maximum({text}, 0.0)"
        if "NN[" in text or "_stack(" in text:
            raise Unevaluable("it calls a neural component")
        source = f"def _f(t, {''.join(f'a{i}, ' for i in range(len(inputs)))}):\n    return {text}\n"
        scope = dict(self.namespace)
        exec(compile(source, f"<salver-partial {key}>", "exec"), scope)  # noqa: S102 - generated from the AST only
        return scope["_f"], inputs

    def evaluate(self, key: str, time: np.ndarray, values: Mapping[str, np.ndarray],
                 changed: str | None = None, current: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """Node ``key`` at ``time`` on ``values`` (one array per input, each of the shape of ``time``).

        With ``changed``, that one input takes its value from ``current`` instead: called on the previous
        step's values and time, this is the value the equation would have had if only ``changed`` had moved.
        """
        function, inputs = self.function(key)
        args = [current[name] if name == changed and current is not None else values[name] for name in inputs]
        with np.errstate(all="ignore"):
            try:
                result = function(time, *args)
            except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
                raise Unevaluable(f"its equation fails on the saved values ({exc})") from None
        return np.broadcast_to(np.asarray(result, dtype=float), np.shape(time))
