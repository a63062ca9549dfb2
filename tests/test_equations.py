"""The equation language: parser, printer, dependency questions and the sympy conversion."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Star, Subscript, UnaryOp, walk
from metamodel.equations.deps import referenced_names, rename_in_text
from metamodel.equations.parser import parse
from metamodel.equations.printer import quote_name, to_text
from metamodel.equations.to_sympy import to_sympy
from metamodel.errors import ParseError


def n(value: float) -> Num:
    return Num(float(value), str(value))


a, b, c = Name("a"), Name("b"), Name("c")


# -- parser: structure ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("-2^2", UnaryOp("-", BinOp("^", n(2), n(2)))),
        ("2^3^2", BinOp("^", n(2), BinOp("^", n(3), n(2)))),
        ("(2^3)^2", BinOp("^", BinOp("^", n(2), n(3)), n(2))),
        ("2^-1", BinOp("^", n(2), UnaryOp("-", n(1)))),
        ("a - b - c", BinOp("-", BinOp("-", a, b), c)),
        ("a / b * c", BinOp("*", BinOp("/", a, b), c)),
        ("a + b * c", BinOp("+", a, BinOp("*", b, c))),
        ("a * b MOD c", BinOp("mod", BinOp("*", a, b), c)),
        ("a < b = b > c", BinOp("=", BinOp("<", a, b), BinOp(">", b, c))),
        ("a OR b AND c", BinOp("or", a, BinOp("and", b, c))),
        ("NOT a AND b", BinOp("and", UnaryOp("not", a), b)),
        ("a == b", BinOp("=", a, b)),
        ("a != b", BinOp("<>", a, b)),
        ("!a", UnaryOp("not", a)),
        ("1 + IF a THEN b ELSE c", BinOp("+", n(1), If(a, b, c))),
        ("IF a THEN b ELSE c + 1", If(a, b, BinOp("+", c, n(1)))),
        ("IF IF a THEN b ELSE c THEN 1 ELSE 2", If(If(a, b, c), n(1), n(2))),
        ("-IF a THEN b ELSE c", UnaryOp("-", If(a, b, c))),
        ("MAX(a, IF b THEN 1 ELSE 2)", Call("MAX", (a, If(b, n(1), n(2))))),
        ("f()", Call("f", ())),
        ("x {a comment} + 1", BinOp("+", Name("x"), n(1))),
    ],
)
def test_structure(text: str, tree: Node) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize("text,value", [("1e3", 1000.0), ("2.5E-2", 0.025), (".5", 0.5), ("7.", 7.0),
                                         ("1.5e+2", 150.0)])
def test_exponent_numbers(text: str, value: float) -> None:
    node = parse(text)
    assert node == Num(value, text)


def test_names() -> None:
    assert parse("birth rate") == Name("birth rate")
    assert parse('"birth rate" * "if then"') == BinOp("*", Name("birth rate"), Name("if then"))
    assert parse('"say \\"hi\\""') == Name('say "hi"')
    assert parse("sales and costs") == BinOp("and", Name("sales"), Name("costs"))
    assert parse("sales mod 3") == BinOp("mod", Name("sales"), n(3))
    assert parse("android + orange") == BinOp("+", Name("android"), Name("orange"))
    assert parse("a.b + x_1") == BinOp("+", Name("a.b"), Name("x_1"))
    assert parse("Birth_Rate").canonical == parse("birth   rate").canonical == "birth_rate"


def test_subscripts_and_star() -> None:
    assert parse("pop[north, q1]") == Subscript("pop", (Name("north"), Name("q1")))
    assert parse("SUM(pop[*])") == Call("SUM", (Subscript("pop", (Star(),)),))
    assert parse("SUM(pop[*:Region, 2])") == Call("SUM", (Subscript("pop", (Star("Region"), n(2))),))
    assert parse("pop[i + 1]") == Subscript("pop", (BinOp("+", Name("i"), n(1)),))


def test_spans() -> None:
    tree = parse("abc + f(x, 22)")
    assert tree.span == (0, 14)
    assert isinstance(tree, BinOp)
    assert tree.left.span == (0, 3)
    assert tree.right.span == (6, 14)
    assert isinstance(tree.right, Call)
    assert tree.right.args[1].span == (11, 13)
    assert parse("(a)").span == (0, 3)


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("", 1, "expected an expression"),
        ("a +", 4, "expected a number, a name, '(' or a function call, found end of equation"),
        ("a b 1", 5, "expected an operator or end of equation, found '1'"),
        ("(a + b", 7, "expected ')'"),
        ("f(a b c 1)", 9, "expected ',' or ')'"),
        ("f(a,,b)", 5, "expected an argument"),
        ("f(a,)", 5, "expected an argument"),
        ("x[1", 4, "expected ',' or ']'"),
        ("x[*:]", 5, "expected a dimension name after '*:'"),
        ("IF a 1", 6, "expected THEN, found '1'"),
        ("IF a THEN b", 12, "expected ELSE"),
        ("a + #", 5, "unexpected character '#'"),
        ("a * )", 5, "found ')'"),
        ('"unterminated', 1, "unexpected character '\"'"),
        ("a : b", 3, "found ':'"),
    ],
)
def test_syntax_errors_name_column_and_expectation(text: str, column: int, expected: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.column == column
    assert info.value.offset == column - 1
    assert expected in info.value.message
    assert f"column {column}" in str(info.value)


def test_syntax_error_names_element() -> None:
    with pytest.raises(ParseError) as info:
        parse("1 +", element="births")
    assert info.value.element == "births"
    assert "element 'births'" in str(info.value)


@pytest.mark.parametrize("text", ["(" * 400 + "1" + ")" * 400, "-" * 5000 + "1", "2" + "^2" * 3000])
def test_deep_nesting_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        parse(text)


# -- printer -------------------------------------------------------------------------------------------

ROUND_TRIP = [
    "a + b * c", "(a + b) * c", "a - (b - c)", "a / (b / c)", "-2^2", "(-2)^2", "2^3^2", "(2^3)^2",
    "2^(-1)", "--a", "a - -1", "NOT (a = b)", "NOT a AND b", "a OR b AND c", "(a OR b) AND c",
    "IF a > 1 THEN b ELSE c", "1 + (IF a THEN b ELSE c)", "(IF a THEN b ELSE c) * 2",
    "IF a THEN IF b THEN 1 ELSE 2 ELSE 3", "IF IF a THEN b ELSE c THEN 1 ELSE 2",
    '"if then" + "a 1b"', "MAX(a, b, c)", "SUM(pop[*])", "pop[*:Region, north]", "x MOD 3",
    '"my table"(TIME)', "a <> b", "1e-3 * .5", "a < b < c", "SMTH1(x, 3, 0)", 'a + "say \\"hi\\""',
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text: str) -> None:
    tree = parse(text)
    printed = to_text(tree)
    assert parse(printed) == tree
    assert to_text(parse(printed)) == printed


def test_printer_output() -> None:
    assert to_text(parse("a+b*c")) == "a + b * c"
    assert to_text(parse("(a)*(b)")) == "a * b"
    assert to_text(parse("if a then b else c")) == "IF a THEN b ELSE c"
    assert to_text(parse("a mod b and c")) == "a MOD b AND c"
    assert to_text(Num(3.0)) == "3"
    assert to_text(Num(0.25)) == "0.25"


def test_quote_name() -> None:
    assert quote_name("birth rate") == "birth rate"
    assert quote_name("if only") == '"if only"'
    assert quote_name("a 1b") == '"a 1b"'
    assert quote_name("2x") == '"2x"'
    assert quote_name(" padded") == '" padded"'
    assert quote_name('say "hi"') == '"say \\"hi\\""'


_WORDS = st.sampled_from(["a", "birth", "rate", "x1", "if", "and", "Not", "mod", "e5", "2nd", "a.b", "y$"])
_NAMES = st.lists(_WORDS, min_size=1, max_size=3).map(" ".join)
_NUMBERS = st.sampled_from(["0", "1", "2.5", "1e3", ".5", "3E-2", "7."]).map(lambda t: Num(float(t), t))
_FUNCS = st.sampled_from(["MIN", "MAX", "SMTH1", "my table", "f"])
_BINOPS = st.sampled_from(["+", "-", "*", "/", "^", "mod", "=", "<>", "<", "<=", ">", ">=", "and", "or"])


def _trees(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    index = st.one_of(_NAMES.map(Name), _NUMBERS, st.just(Star()), _NAMES.map(Star), children)
    return st.one_of(
        st.builds(BinOp, _BINOPS, children, children),
        st.builds(UnaryOp, st.sampled_from(["-", "+", "not"]), children),
        st.builds(If, children, children, children),
        st.builds(Call, _FUNCS, st.lists(children, max_size=3).map(tuple)),
        st.builds(Subscript, _NAMES, st.lists(index, min_size=1, max_size=2).map(tuple)),
    )


TREES = st.recursive(st.one_of(_NUMBERS, _NAMES.map(Name)), _trees, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_round_trip_property(tree: Node) -> None:
    assert parse(to_text(tree)) == tree


# -- dependencies and renaming ------------------------------------------------------------------------

def test_quoted_star_dimension() -> None:
    assert parse('x[*:"my dim"]') == Subscript("x", (Star("my dim"),))


def test_referenced_names() -> None:
    tree = parse("Birth Rate * pop[north, *] + table(TIME) + MAX(DT, x) + SUM(y[i + k]) + m.out")
    assert referenced_names(tree) == {"birth_rate", "pop", "table", "x", "y", "i", "k", "m.out"}
    assert referenced_names(parse("3 + PI")) == set()


@pytest.mark.parametrize(
    ("text", "old", "new", "expected"),
    [
        ("birth rate * pop", "Birth_Rate", "births per year", "births per year * pop"),
        ("(a) + b * ((a))", "a", "new", "(new) + b * ((new))"),
        ("a[x] + f(a) + a", "a", "b", "b[x] + f(b) + b"),
        ("table(x) {keep comment}", "table", "lookup 2", '"lookup 2"(x) {keep comment}'),
        ("x + y", "x", "if then", '"if then" + y'),
        ('"a b" + ab', "a b", "c", "c + ab"),
        ("x+y", "z", "w", "x+y"),
        ("x + (", "x", "y", "x + ("),
    ],
)
def test_rename_in_text(text: str, old: str, new: str, expected: str) -> None:
    assert rename_in_text(text, old, new) == expected


# -- sympy ---------------------------------------------------------------------------------------------

x, y = sympy.Symbol("x"), sympy.Symbol("y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x * y^2 - x / y", x * y**2 - x / y),
        ("-x^2", -(x**2)),
        ("EXP(x) + LN(y) + SIN(x) + ABS(y) + SQRT(x)", sympy.exp(x) + sympy.log(y) + sympy.sin(x)
         + sympy.Abs(y) + sympy.sqrt(x)),
        ("MIN(x, y) + MAX(x, 1)", sympy.Min(x, y) + sympy.Max(x, 1)),
        ("x MOD 3 + MODULO(y, 2)", sympy.Mod(x, 3) + sympy.Mod(y, 2)),
        ("IF x > 1 THEN y ELSE 0", sympy.Piecewise((y, x > 1), (0, True))),
        ("IF_THEN_ELSE(x = y, 1, 2)", sympy.Piecewise((1, sympy.Eq(x, y)), (2, True))),
        ("IF x THEN 1 ELSE 2", sympy.Piecewise((1, sympy.Ne(x, 0)), (2, True))),
        ("IF x > 1 AND NOT (y < 2) THEN 1 ELSE 0",
         sympy.Piecewise((1, sympy.And(x > 1, sympy.Not(y < 2))), (0, True))),
        ("PI * TIME", sympy.pi * sympy.Symbol("time")),
        ("Birth Rate", sympy.Symbol("birth_rate")),
        ("ZIDZ(x, y)", sympy.Piecewise((0, sympy.Eq(y, 0)), (x / y, True))),
        ("LOG10(x)", sympy.log(x, 10)),
        ("2.5 * x", sympy.Float(2.5) * x),
    ],
)
def test_to_sympy(text: str, expected: sympy.Basic) -> None:
    assert to_sympy(parse(text)) == expected


def test_to_sympy_keeps_unsupported_builtins_as_functions() -> None:
    expr = to_sympy(parse("SMTH1(x, 5) + my table(y) + STEP(2, 10)"))
    functions = {type(f).__name__: f.args for f in expr.atoms(sympy.Function)}
    assert functions == {"SMTH1": (x, 5), "my_table": (y,), "STEP": (2, 10)}


def test_to_sympy_supports_jacobians() -> None:
    expr = to_sympy(parse("prey * (a - b * predator)"))
    prey, predator = sympy.Symbol("prey"), sympy.Symbol("predator")
    assert sympy.diff(expr, predator) == -sympy.Symbol("b") * prey
    assert sympy.diff(expr, prey) == sympy.Symbol("a") - sympy.Symbol("b") * predator


def test_to_sympy_subscripts() -> None:
    expr = to_sympy(parse("pop[north, *]"))
    assert isinstance(expr, sympy.Indexed)
    assert str(expr) == "pop[north, *]"


def test_to_sympy_truth_values_as_numbers() -> None:
    expr = to_sympy(parse("(x > y) * 2"))
    assert expr.subs({x: 3, y: 1}) == 2
    assert expr.subs({x: 0, y: 1}) == 0


def test_walk_visits_every_node() -> None:
    tree = parse("a + f(b, c[d])")
    kinds = [type(node).__name__ for node in walk(tree)]
    assert kinds == ["BinOp", "Name", "Call", "Name", "Subscript", "Name"]
