"""Analytic Jacobians for the stiff solvers (BDF, Radau) through sympy.

The rates of the stocks are written in terms of stocks, parameters and time by substituting every
auxiliary they read; sympy differentiates them and ``lambdify`` turns the matrix into a numpy function.
Models whose rates go through lookups, memories, pipelines, neural components or functions sympy does
not know get no analytic Jacobian (the solver then estimates one by finite differences).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from scipy import sparse
from sympy.core.function import AppliedUndef

from metamodel.equations.ast import Node
from metamodel.equations.to_sympy import to_sympy
from solvers.program import RateSystem

JacobianFunction = Callable[[float, np.ndarray, list], Any]


class _Unsupported(Exception):
    pass


def _symbol(key: str) -> sympy.Symbol:
    return sympy.Symbol(key)


class _Substituter:
    """Expresses variables in terms of stocks, parameters and time, one variable at a time."""

    def __init__(self, system: RateSystem) -> None:
        self.system = system
        self.done: dict[sympy.Symbol, sympy.Basic] = {}
        self.free = {_symbol(k) for k in [*system.stocks, *system.parameters]} | {sympy.Symbol("time")}

    def expression(self, node: Node, depth: int = 0) -> sympy.Basic:
        value = to_sympy(node)
        if value.atoms(AppliedUndef) or value.atoms(sympy.Indexed):
            raise _Unsupported
        replacements = {s: self.variable(s, depth) for s in value.free_symbols if s not in self.free}
        return value.xreplace(replacements)

    def variable(self, symbol: sympy.Symbol, depth: int) -> sympy.Basic:
        if symbol not in self.done:
            node = self.system.computed.get(symbol.name)
            if node is None or depth > 200:
                raise _Unsupported
            value = self.expression(node, depth + 1)
            if symbol.name in self.system.clipped:
                value = sympy.Max(value, 0)
            self.done[symbol] = value
        return self.done[symbol]


def build_jacobian(system: RateSystem) -> JacobianFunction | None:
    """A function ``jac(t, y, par)`` for ``solve_ivp`` (y flattened stocks x runs), or None."""
    substituter = _Substituter(system)
    try:
        rates = [substituter.expression(system.rates[k]) for k in system.stocks]
    except _Unsupported:
        return None
    stock_symbols = [_symbol(k) for k in system.stocks]
    matrix = sympy.Matrix(rates).jacobian(stock_symbols)
    arguments = [sympy.Symbol("time"), *stock_symbols, *(_symbol(k) for k in system.parameters)]
    evaluate = sympy.lambdify(arguments, list(matrix), modules="numpy")
    n = len(stock_symbols)

    def jacobian(t: float, y: np.ndarray, par: list) -> np.ndarray | sparse.spmatrix:
        runs = y.size // n
        state = y.reshape(n, runs)
        entries = evaluate(t, *state, *par)
        blocks = np.stack([np.broadcast_to(np.asarray(e, dtype=float), (runs,)) for e in entries]).reshape(n, n, runs)
        if runs == 1:
            return blocks[:, :, 0]
        # state is stock-major (row i, run r at i*runs + r): reorder the per-run blocks to match
        dense = sparse.block_diag([blocks[:, :, r] for r in range(runs)], format="csr")
        order = np.arange(n * runs).reshape(runs, n).T.ravel()
        return dense[order][:, order]

    return jacobian
