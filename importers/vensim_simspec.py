"""The control section of a Vensim model (INITIAL TIME, FINAL TIME, TIME STEP, SAVEPER) as SimSpec.

The control variables stay in the model as variables; here their values at the initial time are
worked out by a small evaluator of constant expressions (numbers, arithmetic, comparisons, IF, MIN,
MAX, TIME and other constant variables). Equations are only read as ASTs, never executed.
"""

from __future__ import annotations

import math

from importers.report import ImportReport
from metamodel.elements import SimSpec, Variable
from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, UnaryOp
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.model import Model

_CONTROLS = {"initial_time": "start", "final_time": "stop", "time_step": "dt", "saveper": "save_per"}
_DYNAMIC = ("final_time", "time_step", "saveper")  # may change during a run; INITIAL TIME counts once
_MAX_DEPTH = 50
_BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "^": lambda a, b: a ** b, "=": lambda a, b: float(a == b), "<>": lambda a, b: float(a != b),
    "<": lambda a, b: float(a < b), "<=": lambda a, b: float(a <= b), ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b), "and": lambda a, b: float(bool(a) and bool(b)),
    "or": lambda a, b: float(bool(a) or bool(b)),
}


class _NotConstant(Exception):
    pass


class _Evaluator:
    def __init__(self, model: Model) -> None:
        self.variables = {v.canonical: v for v in model.of_kind(Variable)}
        self.time = 0.0
        self.read_time = False  # whether the last evaluation read Time

    def variable(self, key: str, depth: int) -> float:
        var = self.variables.get(key)
        if var is None or not var.equation or var.dimensions or depth > _MAX_DEPTH:
            raise _NotConstant(key)
        try:
            return self.value(parse(var.equation), depth + 1)
        except ParseError:
            raise _NotConstant(key) from None

    def value(self, node: Node, depth: int) -> float:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name):
            if node.canonical == "time":
                self.read_time = True
                return self.time
            return self.variable(node.canonical, depth)
        if isinstance(node, UnaryOp):
            operand = self.value(node.operand, depth)
            return {"-": -operand, "+": operand, "not": float(not operand)}[node.op]
        if isinstance(node, BinOp) and node.op in _BINARY:
            return _BINARY[node.op](self.value(node.left, depth), self.value(node.right, depth))
        if isinstance(node, If):
            return self.value(node.then if self.value(node.cond, depth) else node.orelse, depth)
        if isinstance(node, Call) and node.canonical in ("min", "max") and node.args:
            values = [self.value(a, depth) for a in node.args]
            return min(values) if node.canonical == "min" else max(values)
        raise _NotConstant(type(node).__name__)


def sim_spec(model: Model, report: ImportReport) -> SimSpec:
    """The SimSpec of an imported Vensim model; unknown or non-constant controls keep defaults."""
    spec = SimSpec()
    evaluator = _Evaluator(model)
    values: dict[str, float] = {}
    for key in ("initial_time", "final_time", "time_step", "saveper"):
        if key not in evaluator.variables:
            if key != "saveper":
                report.add(f"no {key.replace('_', ' ').upper()} in the model; the default is used")
            continue
        evaluator.read_time = False
        try:
            value = evaluator.variable(key, 0)
        except (_NotConstant, ArithmeticError, ValueError):
            if key in _DYNAMIC:  # computed by the model at each step; the default is only the grid's guess
                spec.controls[_CONTROLS[key]] = evaluator.variables[key].name
                continue
            report.add("control variable is not a constant; the default is used",
                       evaluator.variables[key].name)
            continue
        if evaluator.read_time and key in _DYNAMIC:
            spec.controls[_CONTROLS[key]] = evaluator.variables[key].name
        if not math.isfinite(value):
            report.add("control variable is not finite; the default is used", evaluator.variables[key].name)
            continue
        values[key] = value
        if key == "initial_time":
            evaluator.time = value
    for key, value in values.items():
        setattr(spec, _CONTROLS[key], value)
    if spec.save_per is None or spec.save_per <= 0:
        spec.save_per = spec.dt
    step = evaluator.variables.get("time_step")
    if step is not None:
        spec.time_units = step.units
    return spec


__all__ = ["sim_spec"]
