"""Convert an equation AST to a sympy expression (Jacobians, loop polarity, unit algebra).

Names become ``sympy.Symbol`` objects named by their canonical form. Builtins map to sympy functions
where sympy has one; the others (stateful builtins such as ``SMTH1``, test inputs such as ``STEP``)
become undefined ``sympy.Function`` objects named after the builtin in upper case, so the structure of
the expression is kept. A graphical-function call ``gf(x)`` becomes ``Function(<canonical gf name>)(x)``.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Star, Subscript, UnaryOp
from metamodel.equations.builtins import is_builtin

_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "inf": sympy.oo, "nan": sympy.nan}

_UNARY: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "abs": sympy.Abs, "exp": sympy.exp, "ln": sympy.log, "sqrt": sympy.sqrt,
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
    "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan,
    "log10": lambda x: sympy.log(x, 10), "int": sympy.floor, "integer": sympy.floor, "sign": sympy.sign,
}

_COMPARE: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Basic]] = {
    "=": sympy.Eq, "<>": sympy.Ne, "<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge,
}

_ARITHMETIC: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "^": lambda a, b: a**b, "mod": sympy.Mod,
}


_TRUTH_TYPES = (Relational, BooleanFunction, BooleanAtom)


def _boolean(value: sympy.Basic) -> sympy.Basic:
    """A condition: sympy truth values stay; a number counts as true when non-zero (XMILE)."""
    return value if isinstance(value, _TRUTH_TYPES) else sympy.Ne(value, 0)


def _number(value: sympy.Basic) -> sympy.Basic:
    """A truth value used as a number is 1 or 0."""
    if isinstance(value, _TRUTH_TYPES):
        return sympy.Piecewise((sympy.Integer(1), value), (sympy.Integer(0), True))
    return value


def _guarded_ratio(args: list[sympy.Basic], fallback: sympy.Basic) -> sympy.Basic:
    """``a/b``, or ``fallback`` where ``b`` is zero (ZIDZ, XIDZ, SAFEDIV)."""
    a, b = args[0], args[1]
    return sympy.Piecewise((fallback, sympy.Eq(b, 0)), (a / b, True))


def _call(node: Call, raw: list[sympy.Basic]) -> sympy.Basic:
    key = node.canonical
    args = [_number(a) for a in raw]
    if not is_builtin(key):
        return sympy.Function(key)(*args)
    if key in _UNARY and len(args) == 1:
        return _UNARY[key](args[0])
    if key in _CONSTANTS and not args:
        return _CONSTANTS[key]
    if key in ("time", "dt", "starttime", "stoptime") and not args:
        return sympy.Symbol(key)
    if key == "log" and len(args) == 2:
        return sympy.log(args[0], args[1])
    if key == "min" and args:
        return sympy.Min(*args)
    if key == "max" and args:
        return sympy.Max(*args)
    if key == "modulo" and len(args) == 2:
        return sympy.Mod(args[0], args[1])
    if key == "if_then_else" and len(args) == 3:
        return sympy.Piecewise((args[1], _boolean(raw[0])), (args[2], True))
    if key == "zidz" and len(args) == 2:
        return _guarded_ratio(args, sympy.Integer(0))
    if key in ("xidz", "safediv") and len(args) == 3:
        return _guarded_ratio(args, args[2])
    if key == "safediv" and len(args) == 2:
        return _guarded_ratio(args, sympy.Integer(0))
    return sympy.Function(key.upper())(*args)


def to_sympy(node: Node) -> sympy.Basic:
    """The sympy expression of an equation AST (see the module docstring for the mapping)."""
    if isinstance(node, Num):
        if node.value.is_integer() and "." not in node.text and "e" not in node.text.lower():
            return sympy.Integer(int(node.value))
        return sympy.Float(node.value)
    if isinstance(node, Name):
        key = node.canonical
        return _CONSTANTS[key] if key in _CONSTANTS else sympy.Symbol(key)
    if isinstance(node, Star):
        return sympy.Symbol(f"*:{node.dim}" if node.dim else "*")
    if isinstance(node, Subscript):
        return sympy.IndexedBase(node.canonical)[tuple(to_sympy(i) for i in node.indices)]
    if isinstance(node, UnaryOp):
        operand = to_sympy(node.operand)
        if node.op == "not":
            return sympy.Not(_boolean(operand))
        return -_number(operand) if node.op == "-" else operand
    if isinstance(node, BinOp):
        left, right = to_sympy(node.left), to_sympy(node.right)
        if node.op in _COMPARE:
            return _COMPARE[node.op](_number(left), _number(right))
        if node.op == "and":
            return sympy.And(_boolean(left), _boolean(right))
        if node.op == "or":
            return sympy.Or(_boolean(left), _boolean(right))
        return _ARITHMETIC[node.op](_number(left), _number(right))
    if isinstance(node, If):
        return sympy.Piecewise((_number(to_sympy(node.then)), _boolean(to_sympy(node.cond))),
                               (_number(to_sympy(node.orelse)), True))
    if isinstance(node, Call):
        return _call(node, [to_sympy(a) for a in node.args])
    raise TypeError(f"not an equation node: {node!r}")
