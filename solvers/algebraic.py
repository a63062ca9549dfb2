"""Algebraic blocks solved at run time: simultaneous equations the compiler could not solve in closed form.

Each block (from :mod:`solvers.acausal`) becomes a residual function generated from its equations' AST
(never from user text) and registered under a number; the generated model calls
``_rt.algebraic(number, position, *inputs)`` for each of the block's unknowns. The block is solved once
per distinct set of inputs (the other unknowns of the same step reuse it), over all runs at once with a
damped Newton method and a finite-difference Jacobian, warm-started from the previous solution;
runs that do not converge are retried one by one with ``scipy.optimize.root``. A block that has no
solution is a :class:`SimulationError` naming its equations.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from metamodel.elements import GraphicalFunction
from metamodel.errors import SimulationError
from solvers import runtime
from solvers.acausal import NumericBlock, rename

MAX_ITERATIONS = 60
STEP_TOLERANCE = 1e-11
RESIDUAL_TOLERANCE = 1e-8

_BLOCKS: list[_Block] = []
_NUMBERS: dict[str, int] = {}
_LOCK = threading.Lock()


class _Block:
    """One registered block: its generated residual function and the last solution."""

    def __init__(self, block: NumericBlock, inputs: list[str], names: list[str],
                 tables: dict[str, GraphicalFunction]) -> None:
        from solvers.codegen import CodeGen

        self.labels = block.labels
        self.names = names
        self.start = np.asarray(block.start, dtype=float)
        self.size = len(block.unknowns)
        slots = {key: f"#x{i}" for i, key in enumerate(block.unknowns)}
        slots.update({key: f"#u{i}" for i, key in enumerate(inputs)})  # also time and dt, as arguments
        lookups = {key: f"_lk{i}" for i, key in enumerate(tables)}

        def local(key: str) -> str:
            kind, position = key[1], key[2:]
            return f"{'X' if kind == 'x' else 'U'}[{position}]"

        def lookup(key: str) -> str:
            return lookups[key]

        generator = CodeGen(local, lookup, vector=True, init_phase=False)
        expressions = [generator.expr(rename(r, slots)) for r in block.residuals]
        self.source = "def _residual(X, U):\n    return [" + ", ".join(expressions) + "]\n"
        namespace: dict[str, Any] = {"_np": np, "_m": math, "_rt": runtime, "_INF": math.inf, "_NAN": math.nan}
        for key, name in lookups.items():
            namespace[name] = runtime.Lookup(tables[key], key)
        exec(compile(self.source, "<salver-algebraic>", "exec"), namespace)  # noqa: S102 - from the AST only
        self.residual = namespace["_residual"]
        self._last: tuple[tuple[np.ndarray, ...], np.ndarray] | None = None

    def value(self, position: int, inputs: Sequence[Any]) -> Any:
        arrays = tuple(np.asarray(u, dtype=float) for u in inputs)
        last = self._last
        if last is not None and len(last[0]) == len(arrays) and all(
                a.shape == b.shape and np.array_equal(a, b) for a, b in zip(last[0], arrays, strict=True)):
            solution = last[1]
        else:
            solution = self._solve(arrays, last[1] if last is not None else None)
            self._last = (arrays, solution)
        result = solution[position]
        return float(result.reshape(-1)[0]) if not any(a.ndim for a in arrays) else result

    def _evaluate(self, x: np.ndarray, inputs: tuple[np.ndarray, ...], runs: int) -> np.ndarray:
        with np.errstate(all="ignore"):
            values = self.residual(list(x), list(inputs))
        return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (runs,)) for v in values])

    def _solve(self, inputs: tuple[np.ndarray, ...], previous: np.ndarray | None) -> np.ndarray:
        runs = max((a.size for a in inputs if a.ndim), default=1)
        solution = self._iterate(inputs, previous)
        self._require_unique(solution, tuple(np.broadcast_to(a, (runs,)) if a.ndim else a for a in inputs), runs)
        return solution

    def _require_unique(self, x: np.ndarray, inputs: tuple[np.ndarray, ...], runs: int) -> None:
        """Equations that repeat one another (a singular Jacobian at the solution) do not fix their unknowns:
        the point Newton stopped at is one of many, so it is refused."""
        jacobian = self._jacobian(x, self._evaluate(x, inputs, runs), inputs, runs)
        jacobian = jacobian * (1.0 + np.abs(x.T))[:, None, :]  # scaled, so that units do not matter
        rows = np.max(np.abs(jacobian), axis=2, keepdims=True)
        singular = np.linalg.svd(jacobian / np.where(rows > 0, rows, 1.0), compute_uv=False)
        if np.any(singular[:, -1] <= 1e-9 * np.maximum(singular[:, 0], 1e-300)):
            raise SimulationError(f"the equations {'; '.join(self.labels)} do not determine "
                                  f"{', '.join(self.names)}: they depend on one another (the model says the same "
                                  "thing twice and leaves a value open)", variable=self.names[0])

    def _iterate(self, inputs: tuple[np.ndarray, ...], previous: np.ndarray | None) -> np.ndarray:
        runs = max((a.size for a in inputs if a.ndim), default=1)
        inputs = tuple(np.broadcast_to(a, (runs,)) if a.ndim else a for a in inputs)
        if previous is not None and previous.shape == (self.size, runs) and np.all(np.isfinite(previous)):
            x = previous.copy()
        else:
            x = np.repeat(self.start[:, None], runs, axis=1)
        residual = self._evaluate(x, inputs, runs)
        for _ in range(MAX_ITERATIONS):
            if np.all(np.abs(residual) <= RESIDUAL_TOLERANCE * (1.0 + np.abs(x)).max(axis=0)):
                return x
            step = self._newton_step(x, residual, inputs, runs)
            if step is None:
                break
            x, residual, moved = self._damped(x, step, residual, inputs, runs)
            if moved <= STEP_TOLERANCE and np.all(np.isfinite(residual)):
                if np.all(np.abs(residual) <= 1e-6 * (1.0 + np.abs(x)).max(axis=0)):
                    return x
                break
        return self._fallback(x, inputs, runs)

    def _jacobian(self, x: np.ndarray, residual: np.ndarray, inputs: tuple[np.ndarray, ...], runs: int) -> np.ndarray:
        """Finite-difference Jacobians, one ``(size, size)`` matrix per run."""
        jacobian = np.empty((runs, self.size, self.size))
        for column in range(self.size):
            shifted = x.copy()
            h = 1e-7 * (1.0 + np.abs(x[column]))
            shifted[column] += h
            jacobian[:, :, column] = ((self._evaluate(shifted, inputs, runs) - residual) / h).T
        return jacobian

    def _newton_step(self, x: np.ndarray, residual: np.ndarray, inputs: tuple[np.ndarray, ...],
                     runs: int) -> np.ndarray | None:
        jacobian = self._jacobian(x, residual, inputs, runs)
        try:
            return np.linalg.solve(jacobian, -residual.T[:, :, None])[:, :, 0].T
        except np.linalg.LinAlgError:
            return None

    def _damped(self, x: np.ndarray, step: np.ndarray, residual: np.ndarray, inputs: tuple[np.ndarray, ...],
                runs: int) -> tuple[np.ndarray, np.ndarray, float]:
        norm = np.linalg.norm(residual, axis=0)
        factor = 1.0
        for _ in range(12):
            trial = x + factor * step
            trial_residual = self._evaluate(trial, inputs, runs)
            if np.all(np.isfinite(trial_residual)) and np.all(np.linalg.norm(trial_residual, axis=0) <= norm):
                break
            factor /= 2
        moved = float(np.max(np.abs(factor * step) / (1.0 + np.abs(x)))) if step.size else 0.0
        return trial, trial_residual, moved

    def _fallback(self, x: np.ndarray, inputs: tuple[np.ndarray, ...], runs: int) -> np.ndarray:
        from scipy.optimize import root

        solved = x.copy()
        for run in range(runs):
            point = tuple(a[run] if a.ndim else a for a in inputs)

            def function(values: np.ndarray, point: tuple = point) -> np.ndarray:
                return self._evaluate(values[:, None], point, 1)[:, 0]

            result = root(function, self.start if not np.all(np.isfinite(x[:, run])) else x[:, run], method="hybr")
            residual = function(result.x)
            if not (np.all(np.isfinite(residual)) and np.all(np.abs(residual) <= 1e-6 * (1.0 + np.abs(result.x)))):
                raise SimulationError(f"no solution of the equations {'; '.join(self.labels)} for "
                                      f"{', '.join(self.names)} (the numeric solver stopped at residual "
                                      f"{float(np.max(np.abs(residual))):.3g})", variable=self.names[0])
            solved[:, run] = result.x
        return solved


def register(block: NumericBlock, inputs: list[str], names: list[str],
             tables: dict[str, GraphicalFunction] | None = None) -> int:
    """Compile ``block`` (its inputs in the order the generated model passes them) and return its number."""
    compiled = _Block(block, inputs, names, tables or {})
    signature = compiled.source + repr((list(compiled.start), names,
                                        sorted((k, g.points()) for k, g in (tables or {}).items())))
    with _LOCK:
        if signature not in _NUMBERS:
            _NUMBERS[signature] = len(_BLOCKS)
            _BLOCKS.append(compiled)
        return _NUMBERS[signature]


def value(number: int, position: int, inputs: Sequence[Any]) -> Any:
    """The ``position``-th unknown of block ``number`` for these inputs (floats or arrays over runs)."""
    return _BLOCKS[number].value(position, inputs)
