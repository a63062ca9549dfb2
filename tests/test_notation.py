"""Constraint bodies in the notations SysML tools store: read into the equation AST, never evaluated."""

from __future__ import annotations

import pytest

from metamodel.equations.ast import BinOp, Call, If, Name, Num
from metamodel.equations.notation import ArrayLiteral, Text, parse_body, parse_expression
from metamodel.equations.printer import to_text
from metamodel.errors import ParseError


def one(text: str) -> tuple[str, str, str]:
    (statement,) = parse_body(text)
    return statement.op, to_text(statement.left), to_text(statement.right) if statement.right is not None else ""


@pytest.mark.parametrize(("text", "expected"), [
    ("water_volume = pi * cylinder_radius**2 * water_height", ("=", "water_volume",
                                                               "pi * cylinder_radius^2 * water_height")),
    ("F = m .* a .^ 2", ("=", "F", "m * a^2")),
    ("y := 3*x", ("=", "y", "3 * x")),
    ("{F = m * a}", ("=", "F", "m * a")),
    ("inv: F == m*a", ("=", "F", "m * a")),
    ("temperature = specific heat * heat * mass", ("=", "temperature", "specific heat * heat * mass")),
    ("v = engine.power / self.mass", ("=", "v", "engine.power / mass")),
    ("x = -2^2", ("=", "x", "-2^2")),
    ("a = 2 × b − c", ("=", "a", "2 * b - c")),
    ("r = c²", ("=", "r", "c^2")),
    ("T <= 100", ("<=", "T", "100")),
    ("p ≠ q", ("<>", "p", "q")),
    ("m = 1500 [kg]", ("=", "m", "1500")),
])
def test_notations_read_as_equations(text: str, expected: tuple[str, str, str]) -> None:
    assert one(text) == expected


def test_conditionals_of_python_c_ocl_and_sysml2() -> None:
    for text in ("y = a if c > 0 else b", "y = c > 0 ? a : b", "y = if c > 0 then a else b endif",
                 "y = if c > 0 ? a else b"):
        (statement,) = parse_body(text)
        assert isinstance(statement.right, If), text
        assert to_text(statement.right.cond) == "c > 0" and to_text(statement.right.then) == "a", text


def test_functions_and_library_prefixes() -> None:
    (statement,) = parse_body("y = math.sqrt(x) + x.abs() + np.exp(1) + Math.log(z)")
    calls = {n.func for n in _walk(statement.right) if isinstance(n, Call)}
    assert calls == {"sqrt", "abs", "exp", "log"}


def _walk(node):  # noqa: ANN001, ANN202 - test helper
    from metamodel.equations.ast import walk

    return list(walk(node))


def test_several_statements_lines_semicolons_and_conjunctions() -> None:
    statements = parse_body("torque = mass * g * L\nF = mass * a; P = F * v")
    assert [to_text(s.left) for s in statements] == ["torque", "F", "P"]
    assert [to_text(s.left) for s in parse_body("a == 2*b and c == d")] == ["a", "c"]
    assert len(parse_body("y = (a +\n b)")) == 1  # a line break inside brackets continues the statement


def test_chained_comparison_is_one_condition() -> None:
    (statement,) = parse_body("0 <= x <= 10")
    assert statement.op == "" and isinstance(statement.left, BinOp) and statement.left.op == "and"


def test_literals_text_and_arrays() -> None:
    assert parse_expression('"OFF"') == Text("OFF")
    assert parse_expression("True") == Num(1.0, "true")
    matrix = parse_expression("[1 2; 3 4]")
    assert isinstance(matrix, ArrayLiteral) and [len(r.items) for r in matrix.items] == [2, 2]
    assert [i.value for i in parse_expression("{1, 2, 3}").items] == [1.0, 2.0, 3.0]
    table = parse_expression("interp1([0 10 20], [1, 2, 4], speed)")
    assert isinstance(table, Call) and table.func == "interp1" and isinstance(table.args[0], ArrayLiteral)
    assert parse_expression("Mode::TRACK") == Name("Mode::TRACK")


@pytest.mark.parametrize(("text", "message"), [
    ("mass shall be < 10 kg", "expected the end of the statement"),
    ("x = foo(3)", "unknown function 'foo'"),
    ("x = (1 + 2", r"expected '\)'"),
    ("x = 1 +", "expected a number"),
    ("x = 2 # 3", "unexpected character"),
    ("", "empty constraint body"),
])
def test_text_that_is_not_math_is_a_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_body(text)
