"""Units of measure: parse unit expressions, compare them algebraically, infer them over equations.

A ``Unit`` is a product of base units raised to rational powers, times a numeric scale
(``1000*people`` has scale 1000). Base unit names are case-insensitive (canonical form) and common
spellings share one base unit through ``SYNONYMS`` (``people``, ``persons`` and ``person`` are all
``person``). There are no conversion factors between different base units: ``month`` and ``year``
are different units, as in Vensim's and Stella's unit checks.

Choices:

- ``percent`` (``%``) is its own base unit, not ``1/100``: a percent-valued variable holds 0..100,
  and adding it to a fraction is a genuine mistake worth reporting.
- Plurals of custom units (``widgets``/``widget``) are not merged by a general rule, because a
  trailing ``s`` is not always a plural (``gas``, ``bus``, ``mass``). ``UnitContext`` merges them only
  when a model uses both spellings (``widget`` and ``widgets``), which makes the rule safe: the two
  forms side by side in one model mean the same thing.
- Model unit definitions (``Model.units_defs``: name -> expression or alias) are expanded before
  synonyms; an empty definition or one naming itself declares a base unit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Span, Star, Subscript, UnaryOp
from metamodel.equations.builtins import lookup as lookup_builtin
from metamodel.errors import ParseError
from metamodel.names import canonical

MAX_EXPONENT = 64  # |power| in a unit expression
MAX_SCALE_BITS = 900  # numerator and denominator of a unit's scale
MAX_UNIT_DEPTH = 32  # parentheses in a unit expression
DIMENSIONLESS_NAMES = frozenset({"dmnl", "dimensionless", "unitless"})

_SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    "person": ("people", "persons", "peoples"),
    "year": ("years", "yr", "yrs"),
    "quarter": ("quarters", "qtr", "qtrs"),
    "month": ("months", "mo", "mos"),
    "week": ("weeks", "wk", "wks"),
    "day": ("days",),
    "hour": ("hours", "hr", "hrs"),
    "minute": ("minutes", "min", "mins"),
    "second": ("seconds", "s", "sec", "secs"),
    "unit": ("units",),
    "dollar": ("dollars", "$", "usd"),
    "euro": ("euros", "eur", "€"),
    "percent": ("%", "pct", "percentage"),
    "item": ("items",),
    "meter": ("meters", "metre", "metres", "m"),
    "kilometer": ("kilometers", "kilometre", "kilometres", "km"),
    "kilogram": ("kilograms", "kg"),
    "gram": ("grams",),
    "liter": ("liters", "litre", "litres"),
    "joule": ("joules",),
    "watt": ("watts",),
    "newton": ("newtons",),
}
SYNONYMS: dict[str, str] = {alias: base for base, aliases in _SYNONYM_GROUPS.items() for alias in aliases}


@dataclass(frozen=True)
class Unit:
    """A unit: sorted ``(base, power)`` pairs with non-zero rational powers, and a numeric scale."""

    powers: tuple[tuple[str, Fraction], ...] = ()
    scale: Fraction = Fraction(1)

    @classmethod
    def of(cls, powers: Mapping[str, Fraction | int], scale: Fraction | int = 1) -> Unit:
        """Build a unit from a mapping base -> power, dropping zero powers."""
        kept = tuple(sorted((base, Fraction(p)) for base, p in powers.items() if p != 0))
        return cls(kept, Fraction(scale))

    @classmethod
    def base(cls, name: str) -> Unit:
        return cls(((name, Fraction(1)),))

    def as_dict(self) -> dict[str, Fraction]:
        return dict(self.powers)

    @property
    def is_dimensionless(self) -> bool:
        return not self.powers

    def __mul__(self, other: Unit) -> Unit:
        merged = self.as_dict()
        for base, power in other.powers:
            merged[base] = merged.get(base, Fraction(0)) + power
        return Unit.of(merged, self.scale * other.scale)

    def __truediv__(self, other: Unit) -> Unit:
        return self * other ** -1

    def __pow__(self, exponent: Fraction | int) -> Unit:
        exponent = Fraction(exponent)
        scale = self.scale ** exponent if exponent.denominator == 1 else _root_scale(self.scale, exponent)
        return Unit.of({base: power * exponent for base, power in self.powers}, scale)

    def __str__(self) -> str:
        def term(base: str, power: Fraction) -> str:
            if power == 1:
                return base
            shown = str(power) if power.denominator == 1 else f"({power})"
            return f"{base}^{shown}"

        top = [term(b, p) for b, p in self.powers if p > 0]
        bottom = [term(b, -p) for b, p in self.powers if p < 0]
        if self.scale != 1:
            top.insert(0, str(self.scale) if self.scale.denominator == 1 else f"({self.scale})")
        numerator = "*".join(top) if top else ("1" if bottom else "dmnl")
        if not bottom:
            return numerator
        denominator = bottom[0] if len(bottom) == 1 else "(" + "*".join(bottom) + ")"
        return f"{numerator}/{denominator}"


DIMENSIONLESS = Unit()


def _root_scale(scale: Fraction, exponent: Fraction) -> Fraction:
    """``scale ** exponent`` for a fractional exponent, kept rational (rounded when irrational)."""
    try:
        return Fraction(float(scale) ** float(exponent)).limit_denominator(10**9)
    except (OverflowError, ValueError, ZeroDivisionError):
        raise ParseError(f"a unit scale to the power {exponent} is out of range") from None


# --------------------------------------------------------------------------------------------------
# Parsing unit expressions
# --------------------------------------------------------------------------------------------------

_UNIT_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[^\W\d][\w'.]*(?:[ \t]+[^\W\d][\w'.]*)*|[$%€])
  | (?P<op>[-+*/^()])
    """,
    re.VERBOSE | re.UNICODE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    start: int


def _unit_tokens(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _UNIT_TOKEN.match(text, pos)
        if match is None:
            raise ParseError(f"unexpected character {text[pos]!r} in units", offset=pos, column=pos + 1)
        if match.lastgroup != "ws":
            tokens.append(_Tok(match.lastgroup or "op", match.group(), pos))
        pos = match.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


def _bounded(unit: Unit, token: _Tok) -> Unit:
    """``unit``, unless its scale has grown past ``MAX_SCALE_BITS`` (``1e300*1e300*…``)."""
    if max(unit.scale.numerator.bit_length(), unit.scale.denominator.bit_length()) > MAX_SCALE_BITS:
        raise ParseError("unit scale too large", offset=token.start, column=token.start + 1)
    return unit


class _UnitParser:
    """``expr := term (('*'|'/') term)*``; ``term := factor ['^' exponent]``;
    ``factor := number | name | '(' expr ')'``."""

    def __init__(self, text: str, resolve: Callable[[str], Unit]) -> None:
        self.tokens = _unit_tokens(text)
        self.index = 0
        self.depth = 0
        self.resolve = resolve

    @property
    def current(self) -> _Tok:
        return self.tokens[self.index]

    def error(self, expected: str) -> ParseError:
        token = self.current
        found = "end of units" if token.kind == "end" else repr(token.text)
        return ParseError(f"expected {expected} in units, found {found}", offset=token.start,
                          column=token.start + 1)

    def take(self, kind: str, text: str | None = None) -> _Tok | None:
        token = self.current
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def parse(self) -> Unit:
        unit = self.expr()
        if self.current.kind != "end":
            raise self.error("'*', '/' or '^'")
        return unit

    def expr(self) -> Unit:
        unit = self.term()
        while (op := self.take("op", "*") or self.take("op", "/")) is not None:
            right = self.term()
            unit = _bounded(unit * right if op.text == "*" else unit / right, op)
        return unit

    def term(self) -> Unit:
        start = self.current
        unit = self.factor()
        if self.take("op", "^"):
            exponent = self.exponent()
            if abs(exponent) > MAX_EXPONENT:
                raise ParseError(f"unit exponent {exponent} is larger than {MAX_EXPONENT}", offset=start.start,
                                 column=start.start + 1)
            unit = _bounded(unit ** exponent, start)
        return unit

    def factor(self) -> Unit:
        if (token := self.take("num")) is not None:
            scale = self.fraction(token)
            if scale == 0:
                raise ParseError("a unit cannot be scaled by 0", offset=token.start, column=token.start + 1)
            return Unit(scale=scale)
        if (token := self.take("name")) is not None:
            return self.resolve(token.text)
        if (token := self.take("op", "(")) is not None:
            self.depth += 1
            if self.depth > MAX_UNIT_DEPTH:
                raise ParseError("units nested too deeply", offset=token.start, column=token.start + 1)
            unit = self.expr()
            if not self.take("op", ")"):
                raise self.error("')'")
            self.depth -= 1
            return unit
        raise self.error("a unit name, a number or '('")

    @staticmethod
    def fraction(token: _Tok) -> Fraction:
        """The exact value of a number in units, refused when its exponent or digits are absurdly many."""
        mantissa, _, exponent = token.text.lower().partition("e")
        if len(mantissa) > 30 or len(exponent) > 5 or (exponent and abs(int(exponent)) > 300):
            raise ParseError(f"number {token.text[:40]} in units is out of range", offset=token.start,
                             column=token.start + 1)
        return Fraction(token.text)

    def exponent(self) -> Fraction:
        """``2``, ``-1``, ``0.5`` or a parenthesized ``(-1/2)``."""
        if self.take("op", "("):
            value = self.signed_number()
            if self.take("op", "/"):
                at = self.index
                divisor = self.signed_number()
                if divisor == 0:
                    self.index = at
                    raise self.error("a non-zero divisor")
                value /= divisor
            if not self.take("op", ")"):
                raise self.error("')'")
            return value
        return self.signed_number()

    def signed_number(self) -> Fraction:
        sign = -1 if self.take("op", "-") else 1
        if sign == 1:
            self.take("op", "+")
        token = self.take("num")
        if token is None:
            raise self.error("a number as exponent")
        return sign * self.fraction(token)


@dataclass
class UnitContext:
    """Resolves unit names for one model: its unit definitions, synonyms and plural pairs."""

    definitions: Mapping[str, str] = field(default_factory=dict)
    plural_pairs: Mapping[str, str] = field(default_factory=dict)  # canonical plural -> singular

    def __post_init__(self) -> None:
        self._defs = {canonical(k): v for k, v in self.definitions.items()}
        self._expanding: list[str] = []

    @classmethod
    def for_texts(cls, definitions: Mapping[str, str], unit_texts: Iterable[str]) -> UnitContext:
        """A context whose plural rule merges ``Xs`` into ``X`` where both occur in ``unit_texts``."""
        names: set[str] = set()
        for text in [*unit_texts, *definitions, *definitions.values()]:
            names.update(canonical(t.text) for t in _safe_tokens(text) if t.kind == "name")
        pairs = {n: n[:-1] for n in names
                 if len(n) > 2 and n.endswith("s") and not n.endswith("ss") and n[:-1] in names}
        return cls(definitions, pairs)

    def parse(self, text: str) -> Unit:
        """The unit of a unit expression; raises ``ParseError`` with the position of the fault."""
        if not text.strip():
            raise ParseError("expected a unit, found nothing", offset=0, column=1)
        return _UnitParser(text, self.resolve).parse()

    def resolve(self, written: str) -> Unit:
        """The unit a name stands for: a model definition, a dimensionless spelling or a base unit."""
        key = canonical(written)
        if key in self._defs and self._defs[key].strip() and canonical(self._defs[key]) != key:
            if key in self._expanding:
                chain = " -> ".join([*self._expanding[self._expanding.index(key):], key])
                raise ParseError(f"unit definition cycle: {chain}")
            self._expanding.append(key)
            try:
                return self.parse(self._defs[key])
            except ParseError as exc:
                if exc.message.startswith("unit definition cycle"):
                    raise
                raise ParseError(f"unit definition of '{written}': {exc.message}") from None
            finally:
                self._expanding.pop()
        if key in DIMENSIONLESS_NAMES:
            return DIMENSIONLESS
        key = self.plural_pairs.get(key, key)
        return Unit.base(SYNONYMS.get(key, key))

    def equal(self, a: str, b: str) -> bool:
        """True when two unit expressions denote the same unit (both must parse)."""
        return self.parse(a) == self.parse(b)


def _safe_tokens(text: str) -> list[_Tok]:
    try:
        return _unit_tokens(text)
    except ParseError:
        return []


def parse_units(text: str, definitions: Mapping[str, str] | None = None) -> Unit:
    """Parse a unit expression (``people/year``, ``widgets/(week*person)``, ``m^2``, ``dmnl``)."""
    return UnitContext(definitions or {}).parse(text)


def units_equal(a: str, b: str, definitions: Mapping[str, str] | None = None) -> bool:
    """True when unit expressions ``a`` and ``b`` are algebraically the same unit."""
    context = UnitContext(definitions or {})
    return context.parse(a) == context.parse(b)


# --------------------------------------------------------------------------------------------------
# Inference over equations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitMismatch:
    """Two parts of an equation whose units disagree, at ``span`` of the node that combines them."""

    message: str
    span: Span


@dataclass(frozen=True)
class _Inferred:
    """An inferred unit; ``free`` marks a bare number, which adopts the units it is combined with."""

    unit: Unit | None
    free: bool = False


_UNKNOWN = _Inferred(None)
_NUMBER = _Inferred(DIMENSIONLESS, free=True)
_SAME_AS_FIRST = frozenset({
    "abs", "int", "integer", "round", "quantum", "modulo", "smth1", "smth3", "smthn", "delay1", "delay3",
    "delayn", "delay", "delay_fixed", "forcst", "init", "previous", "active_initial", "step",
    "sum", "vmax", "vmin", "mean", "stddev",
})
_SAME_AS_ALL = frozenset({"min", "max"})
_DIMENSIONLESS_RESULT = frozenset({
    "exp", "ln", "log10", "log", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sign", "rank",
})
_FREE_RESULT = frozenset({"pi", "inf", "nan", "size"})
_TIME_RESULT = frozenset({"time", "dt", "starttime", "stoptime"})
_RATIO_RESULT = frozenset({"zidz", "xidz", "safediv"})
_COMPARISONS = frozenset({"=", "<>", "<", "<=", ">", ">="})


class _Inference:
    def __init__(self, lookup: Callable[[str], Unit | None], time_unit: Unit | None,
                 mismatches: list[UnitMismatch]) -> None:
        self.lookup = lookup
        self.time_unit = time_unit
        self.mismatches = mismatches

    def infer(self, node: Node) -> _Inferred:
        if isinstance(node, Num):
            return _NUMBER
        if isinstance(node, Name):
            return self.name(node.canonical)
        if isinstance(node, Subscript):
            return _Inferred(self.lookup(node.canonical))
        if isinstance(node, Star):
            return _UNKNOWN
        if isinstance(node, UnaryOp):
            inner = self.infer(node.operand)
            return _NUMBER if node.op == "not" else inner
        if isinstance(node, BinOp):
            return self.binop(node)
        if isinstance(node, If):
            self.infer(node.cond)
            return self.same(node, [node.then, node.orelse], "the IF branches")
        if isinstance(node, Call):
            return self.call(node)
        return _UNKNOWN

    def name(self, key: str) -> _Inferred:
        if key in _TIME_RESULT:
            return _Inferred(self.time_unit)
        if key in _FREE_RESULT:
            return _NUMBER
        return _Inferred(self.lookup(key))

    def binop(self, node: BinOp) -> _Inferred:
        """Operators down the left spine (``a + b + c …``) are taken in a loop, not one call each."""
        spine: list[BinOp] = []
        current: Node = node
        while isinstance(current, BinOp):
            spine.append(current)
            current = current.left
        result = self.infer(current)
        for operation in reversed(spine):
            result = self.combine(operation, result, self.infer(operation.right))
        return result

    def combine(self, node: BinOp, left: _Inferred, right: _Inferred) -> _Inferred:
        if node.op in ("+", "-", "mod"):
            return self.agree(node, [left, right], f"the operands of '{node.op}'")
        if node.op in _COMPARISONS:
            self.agree(node, [left, right], f"the operands of '{node.op}'")
            return _NUMBER
        if node.op in ("and", "or"):
            return _NUMBER
        if node.op == "^":
            return self.power(left, node.right)
        if left.unit is None or right.unit is None:
            return _UNKNOWN
        unit = left.unit * right.unit if node.op == "*" else left.unit / right.unit
        return _Inferred(unit, left.free and right.free)

    def power(self, base: _Inferred, exponent_node: Node) -> _Inferred:
        exponent = constant_value(exponent_node)
        if base.free or (base.unit is not None and base.unit.is_dimensionless):
            return base
        if base.unit is None or exponent is None or not abs(exponent) <= MAX_EXPONENT:
            return _UNKNOWN
        try:
            return _Inferred(base.unit ** Fraction(exponent).limit_denominator(1000))
        except ParseError:
            return _UNKNOWN

    def same(self, node: Node, operands: list[Node], what: str) -> _Inferred:
        """Operands that must share one unit; bare numbers adopt it; unknown operands make no claim."""
        return self.agree(node, [self.infer(operand) for operand in operands], what)

    def agree(self, node: Node, results: list[_Inferred], what: str) -> _Inferred:
        claimed = [r for r in results if r.unit is not None and not r.free]
        if not claimed:
            return _NUMBER if all(r.free for r in results) else _UNKNOWN
        first = claimed[0].unit
        for other in claimed[1:]:
            if other.unit != first:
                self.mismatches.append(UnitMismatch(f"{what} have different units: {first} and "
                                                    f"{other.unit}", node.span))
                return _UNKNOWN
        return _Inferred(first)

    def call(self, node: Call) -> _Inferred:
        key = node.canonical
        builtin = lookup_builtin(key)
        if builtin is None:
            for arg in node.args:
                self.infer(arg)
            return _Inferred(self.lookup(key))  # a graphical function: its output units
        args = node.args
        if key in _SAME_AS_ALL:
            return self.same(node, list(args), f"the arguments of {node.func}")
        results = [self.infer(arg) for arg in args]
        if key in _TIME_RESULT:
            return _Inferred(self.time_unit)
        if key in _FREE_RESULT:
            return _NUMBER
        if key in _DIMENSIONLESS_RESULT:
            return _Inferred(DIMENSIONLESS)
        if key == "sqrt" and results:
            return self.power(results[0], Num(0.5))
        if key in ("lookup", "lookup_extrapolate", "lookup_forward", "lookup_backward") and args:
            table = args[0]
            return _Inferred(self.lookup(table.canonical)) if isinstance(table, Name) else _UNKNOWN
        if key in _SAME_AS_FIRST and results:
            return results[0]
        if key == "sample_if_true" and len(results) >= 2:
            return results[1]
        if key == "if_then_else" and len(args) == 3:
            return self.same(node, [args[1], args[2]], "the IF branches")
        if key in _RATIO_RESULT and len(results) >= 2:
            a, b = results[0], results[1]
            if a.unit is None or b.unit is None:
                return _UNKNOWN
            return _Inferred(a.unit / b.unit, a.free and b.free)
        return _UNKNOWN


def constant_value(node: Node) -> float | None:
    """The value of an expression made only of numbers and arithmetic, else None."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, UnaryOp) and node.op in "+-":
        inner = constant_value(node.operand)
        return None if inner is None else (-inner if node.op == "-" else inner)
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/"):
        left, right = constant_value(node.left), constant_value(node.right)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return left / right if right else None
    return None


def infer_units(node: Node, lookup: Callable[[str], Unit | None], time_unit: Unit | None,
                mismatches: list[UnitMismatch] | None = None) -> Unit | None:
    """The unit of an equation's value, or None where no claim can be made.

    ``lookup`` maps a canonical variable name to its declared unit (None: unknown); ``time_unit`` is
    the unit of ``TIME`` and ``DT``. A bare number takes the units of what it is added to or compared
    with, and an expression of numbers only makes no claim. Operands whose units disagree (``+``,
    ``-``, comparisons, ``MIN``/``MAX``, IF branches) are appended to ``mismatches`` with the span of
    the node that combines them.
    """
    found = _Inference(lookup, time_unit, mismatches if mismatches is not None else []).infer(node)
    return None if found.free else found.unit
