"""Convert a sympy expression back to an equation AST (the inverse of :mod:`to_sympy` for the functions
the engine knows). Symbols become ``Name`` nodes with the symbol's name; anything without an engine
counterpart raises :class:`Unconvertible`.
"""

from __future__ import annotations

import sympy

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, UnaryOp

_FUNCTIONS = {
    sympy.exp: "exp", sympy.log: "ln", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
    sympy.asin: "arcsin", sympy.acos: "arccos", sympy.atan: "arctan", sympy.sinh: "sinh", sympy.cosh: "cosh",
    sympy.tanh: "tanh", sympy.Abs: "abs", sympy.floor: "int", sympy.sign: "sign",
}
_RELATIONS = {sympy.Eq: "=", sympy.Ne: "<>", sympy.Lt: "<", sympy.Le: "<=", sympy.Gt: ">", sympy.Ge: ">="}


class Unconvertible(Exception):
    """A sympy expression the engine cannot evaluate (an unknown function, a complex number…)."""


def from_sympy(expr: sympy.Basic) -> Node:
    """The AST of ``expr``; raises ``Unconvertible`` for what the equation language cannot say."""
    if expr is sympy.true:
        return Num(1.0)
    if expr is sympy.false:
        return Num(0.0)
    if expr.is_Number:
        if not expr.is_real:
            raise Unconvertible(f"{expr} is not a real number")
        value = float(expr)
        return Num(value) if value >= 0 else UnaryOp("-", Num(-value))
    if expr is sympy.pi:
        return Name("pi")
    if expr is sympy.E:
        return Call("exp", (Num(1.0),))
    if expr.is_Symbol:
        return Name(expr.name)
    if isinstance(expr, sympy.Add):
        return _sum(expr)
    if isinstance(expr, sympy.Mul):
        return _product(expr)
    if isinstance(expr, sympy.Pow):
        return _power(expr)
    if isinstance(expr, sympy.Min | sympy.Max):
        return Call("min" if isinstance(expr, sympy.Min) else "max", tuple(from_sympy(a) for a in expr.args))
    if isinstance(expr, sympy.Piecewise):
        return _piecewise(expr.args)
    if isinstance(expr, sympy.Mod):
        return BinOp("mod", from_sympy(expr.args[0]), from_sympy(expr.args[1]))
    for relation, op in _RELATIONS.items():
        if isinstance(expr, relation):
            return BinOp(op, from_sympy(expr.lhs), from_sympy(expr.rhs))
    if isinstance(expr, sympy.And | sympy.Or):
        op = "and" if isinstance(expr, sympy.And) else "or"
        args = [from_sympy(a) for a in expr.args]
        node = args[0]
        for arg in args[1:]:
            node = BinOp(op, node, arg)
        return node
    if isinstance(expr, sympy.Not):
        return UnaryOp("not", from_sympy(expr.args[0]))
    if isinstance(expr, sympy.Function) and len(expr.args) == 1:
        for function, name in _FUNCTIONS.items():
            if isinstance(expr, function):
                return Call(name, (from_sympy(expr.args[0]),))
    raise Unconvertible(f"no engine function for {type(expr).__name__}")


def _sum(expr: sympy.Add) -> Node:
    terms = list(expr.as_ordered_terms())
    node = from_sympy(terms[0])
    for term in terms[1:]:
        negative = term.as_coeff_Mul()[0].is_negative
        node = BinOp("-", node, from_sympy(-term)) if negative else BinOp("+", node, from_sympy(term))
    return node


def _product(expr: sympy.Mul) -> Node:
    if expr.as_coeff_Mul()[0].is_negative:
        return UnaryOp("-", from_sympy(-expr))
    numerator, denominator = sympy.fraction(expr)
    if denominator != 1:
        return BinOp("/", from_sympy(numerator), from_sympy(denominator))
    factors = [from_sympy(f) for f in expr.args]
    node = factors[0]
    for factor in factors[1:]:
        node = BinOp("*", node, factor)
    return node


def _power(expr: sympy.Pow) -> Node:
    base, exponent = expr.args
    if exponent == sympy.Rational(1, 2):
        return Call("sqrt", (from_sympy(base),))
    if exponent.is_Number and exponent.is_negative:
        return BinOp("/", Num(1.0), from_sympy(base**-exponent))
    if base is sympy.E:
        return Call("exp", (from_sympy(exponent),))
    return BinOp("^", from_sympy(base), from_sympy(exponent))


def _piecewise(pieces: tuple) -> Node:
    (value, condition), rest = pieces[0], pieces[1:]
    if condition is sympy.true or not rest:
        return from_sympy(value)
    return If(from_sympy(condition), from_sympy(value), _piecewise(rest))
