"""Translate resolved equation ASTs into Python expressions over local variables.

Only this module (Python) and ``solvers.native_code`` (C) write expressions of generated source;
``solvers.writers`` assembles them into functions. Identifiers are mangled (``v12``), numbers are
written with ``repr(float)`` (infinities and NaN as named constants), and function names come from a
fixed table: no text of the user reaches the code. Two backends: ``scalar`` (Python floats and
``math``; fast for one run) and ``vector`` (numpy arrays over runs).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, UnaryOp
from metamodel.errors import ModelError
from solvers.flatten import ArrayRef
from solvers.program import NetFlow, Ref

_SCALAR_MATH = {
    "abs": "abs", "exp": "_m.exp", "ln": "_m.log", "log10": "_m.log10", "sqrt": "_m.sqrt",
    "sin": "_m.sin", "cos": "_m.cos", "tan": "_m.tan", "arcsin": "_m.asin", "arccos": "_m.acos",
    "arctan": "_m.atan", "int": "_floor", "round": "round", "cosh": "_m.cosh", "sinh": "_m.sinh",
    "tanh": "_m.tanh",
}
_VECTOR_MATH = {
    "abs": "_np.abs", "exp": "_np.exp", "ln": "_np.log", "log10": "_np.log10", "sqrt": "_np.sqrt",
    "sin": "_np.sin", "cos": "_np.cos", "tan": "_np.tan", "arcsin": "_np.arcsin", "arccos": "_np.arccos",
    "arctan": "_np.arctan", "int": "_np.floor", "round": "_np.round", "cosh": "_np.cosh", "sinh": "_np.sinh",
    "tanh": "_np.tanh",
}
_RUNTIME = {  # name -> runtime function taking the call's arguments
    "zidz": "_rt.zidz", "xidz": "_rt.xidz", "safediv": "_rt.safediv", "integer": "_rt.integer",
    "quantum": "_rt.quantum", "sign": "_rt.sign", "log": "_rt.log", "invert_matrix": "_rt.invert_matrix",
    "gamma_ln": "_rt.gamma_ln",
    **{name: f"_rt.{name}" for name in ("vector_select", "vector_sort_order", "vector_rank", "vector_reorder",
                                        "vector_elm_map", "allocate_by_priority", "allocate_available",
                                        "xmile_rank", "vector_lookup")},
    "algebraic": "_rt.algebraic",  # a numeric algebraic block of parametrics (solvers.algebraic)
}
_TIMED = {  # runtime functions that take the time first (and DT after it where marked)
    "step": ("_rt.step", False), "ramp": ("_rt.ramp", False), "pulse": ("_rt.pulse", True),
    "vensim_pulse": ("_rt.vensim_pulse", True), "pulse_train": ("_rt.pulse_train", True),
}
_RANDOM = {"random": "uniform", "uniform": "uniform", "normal": "normal", "lognormal": "lognormal",
           "poisson": "poisson", "exprnd": "exprnd"}
_TABLE_METHODS = {  # functions of a whole table (first argument) -> call text from the table and the rest
    "lookup_between": "{table}.between({args})", "lookup_stat": "{table}.statistic({args})",
    "vensim_random_lookup": "_rng.lookup({table}, {args})", "lookup_area": "{table}.area({args})",
    "lookup_invert": "{table}.invert({args})", "lookup_slope": "{table}.slope({args})",
}
_CONSTANTS = {"time": "t", "dt": "_DT", "starttime": "_START", "stoptime": "_STOP",
              "pi": "3.141592653589793", "inf": "_INF", "nan": "_NAN"}
_FLAT_TERMS = 100  # longer sums and products are folded at run time (CPython nests ``a + b + …`` per term)
CHAINS = {"+": ("+", "-"), "-": ("+", "-"), "*": ("*", "/"), "/": ("*", "/")}
_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def fold_text(op: str, parts: list[str]) -> str:
    """``a + b + c`` (``op`` is ``+`` or ``*``), as a runtime fold when there are more terms than Python's
    compiler nests; the terms are combined from the left either way."""
    if len(parts) <= _FLAT_TERMS:
        return "(" + f" {op} ".join(parts) + ")"
    return f"_rt.fold({'_rt.add' if op == '+' else '_rt.mul'}, {', '.join(parts)})"


def sum_text(parts: list[str]) -> str:
    return fold_text("+", parts)


def chain_terms(node: BinOp) -> tuple[Node, list[tuple[str, Node]]]:
    """``a + b - c`` (or ``a * b / c``, grouped from the left) as its first term and the (operator, term)
    pairs that follow it, in order."""
    group = CHAINS[node.op]
    rights: list[tuple[str, Node]] = []
    current: Node = node
    while isinstance(current, BinOp) and current.op in group:
        rights.append((current.op, current.right))
        current = current.left
    return current, rights[::-1]


def number(value: float) -> str:
    """A number as Python source; infinities and NaN (``1e309``) as the namespace's constants."""
    value = float(value)
    if math.isnan(value):
        return "_NAN"
    if math.isinf(value):
        return "_INF" if value > 0 else "(-_INF)"
    return repr(value)


class CodeGen:
    """Writes Python expressions for one backend and phase.

    ``local`` maps a flat key to the Python name holding its value; ``lookup`` maps the key of a
    graphical-function variable to the Python name of its ``Lookup`` object.
    """

    def __init__(self, local: Callable[[str], str], lookup: Callable[[str], str], *, vector: bool,
                 init_phase: bool) -> None:
        self.local = local
        self.lookup = lookup
        self.vector = vector
        self.init_phase = init_phase

    def expr(self, node: Node) -> str:
        if isinstance(node, Num):
            return number(node.value)
        if isinstance(node, Ref):
            return self.local(node.key)
        if isinstance(node, NetFlow):
            text = sum_text([self.local(k) for k in node.inflows]) if node.inflows else "0.0"
            return f"({text} - {sum_text([self.local(k) for k in node.outflows])})" if node.outflows else text
        if isinstance(node, Name):
            constant = _CONSTANTS.get(node.name)
            return constant if constant is not None else self.local(node.name)
        if isinstance(node, UnaryOp):
            operand = self.expr(node.operand)
            if node.op == "not":
                return f"_np.logical_not({operand})" if self.vector else f"(not {operand})"
            return f"({node.op}{operand})"
        if isinstance(node, BinOp):
            return self._binop(node)
        if isinstance(node, If):
            cond, then, orelse = self.expr(node.cond), self.expr(node.then), self.expr(node.orelse)
            if self.vector:
                return f"_np.where({cond}, {then}, {orelse})"
            return f"({then} if {cond} else {orelse})"
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, ArrayRef):
            raise ModelError("an array is used where a single value is needed (wrap it in SUM, MEAN, …)")
        raise ModelError(f"cannot compile {type(node).__name__} here (an array used where a value is needed?)")

    def _binop(self, node: BinOp) -> str:
        op = node.op
        if op in CHAINS:
            return self._chain(node)
        left, right = self.expr(node.left), self.expr(node.right)
        if op == "^":
            return f"_np.power({left}, {right})" if self.vector else f"_pow({left}, {right})"
        if op == "mod":
            return f"_np.mod({left}, {right})" if self.vector else f"({left} % {right})"
        if op in _COMPARE:
            return f"({left} {_COMPARE[op]} {right})"
        if op in ("and", "or"):
            if self.vector:
                return f"_np.logical_{op}({left}, {right})"
            return f"(bool({left}) {op} bool({right}))"
        raise ModelError(f"unknown operator {op!r}")

    def _chain(self, node: BinOp) -> str:
        """``a + b - c`` (or ``a * b / c``) written without nested parentheses: Python groups it from the
        left as the tree does, and a long sum then stays within Python's nesting limits."""
        first, rest = chain_terms(node)
        text = [self.expr(first)]
        for op, right in rest:
            text.append(f"{op} {self.expr(right)}")
        return f"({' '.join(text)})"

    def _call(self, node: Call) -> str:
        name = node.func
        if name == "active_initial":
            return self.expr(node.args[1] if self.init_phase else node.args[0])
        if name in ("lookup", "lookup_extrapolate", "lookup_forward", "lookup_backward"):
            return self._lookup_call(node)
        if name in _TABLE_METHODS:  # functions of a whole table: its first argument names it
            table, *rest = node.args
            if not isinstance(table, Name):
                raise ModelError(f"{name.upper()} needs a graphical function")
            args = ", ".join(self.expr(a) for a in rest)
            return _TABLE_METHODS[name].format(table=self.lookup(table.name), args=args)
        if name == "if_then_else":
            return self.expr(If(*node.args))
        if name in ("sum", "prod", "mean", "vmax", "vmin", "max", "min", "size", "stddev"):
            return self._aggregate(name, self.flat_args(node.args))
        args = [self.expr(a) for a in node.args]
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        table = _VECTOR_MATH if self.vector else _SCALAR_MATH
        if name in table:
            return f"{table[name]}({', '.join(args)})"
        if name in _RUNTIME:
            return f"{_RUNTIME[name]}({', '.join(args)})"
        if name == "modulo":  # Vensim MODULO keeps the sign of the dividend (MOD, the operator, floors)
            return f"_np.fmod({args[0]}, {args[1]})" if self.vector else f"_m.fmod({args[0]}, {args[1]})"
        if name in _TIMED:
            function, with_dt = _TIMED[name]
            prefix = "t, _DT" if with_dt else "t"
            return f"{function}({prefix}, {', '.join(args)})"
        if name in _RANDOM:
            return f"_rng.{_RANDOM[name]}({', '.join(args)})"
        if name.startswith("vensim_random_"):
            return f"_rng.vensim({name[len('vensim_random_'):]!r}, {', '.join(args)})"
        raise ModelError(f"the function {name.upper()} is not supported by the engine")

    def _lookup_call(self, node: Call) -> str:
        table, *rest = node.args
        if not isinstance(table, Name) or len(rest) != 1:
            raise ModelError(f"{node.func.upper()} needs a graphical function and one input")
        mode = {"lookup_extrapolate": "'extrapolate'", "lookup_forward": "'forward'",
                "lookup_backward": "'backward'"}.get(node.func, "None")
        return f"{self.lookup(table.name)}({self.expr(rest[0])}, {mode})"

    @staticmethod
    def flat_args(args: tuple[Node, ...]) -> list[Node]:
        """The arguments of an aggregate with arrays spelled out element by element."""
        flat: list[Node] = []
        for arg in args:
            if isinstance(arg, ArrayRef):
                flat.extend(Name(k) for k in arg.keys)
            else:
                flat.append(arg)
        return flat

    def _aggregate(self, name: str, args: list[Node]) -> str:
        if not args:
            raise ModelError(f"{name.upper()} of nothing")
        parts = [self.expr(a) for a in args]
        if name == "size":
            return repr(float(len(parts)))
        if name in ("sum", "mean"):
            total = sum_text(parts)
            return total if name == "sum" else f"({total} / {float(len(parts))!r})"
        if name == "prod":
            return fold_text("*", parts)
        if name == "stddev":
            return f"_rt.stddev({', '.join(parts)})"
        smallest = name in ("vmin", "min")
        if not self.vector:
            return f"{'min' if smallest else 'max'}({', '.join(parts)})" if len(parts) > 1 else parts[0]
        function = "_np.minimum" if smallest else "_np.maximum"
        if len(parts) > _FLAT_TERMS:
            return f"_rt.fold({function}, {', '.join(parts)})"
        result = parts[-1]
        for part in reversed(parts[:-1]):
            result = f"{function}({part}, {result})"
        return result
