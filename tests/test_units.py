"""Unit expressions: parsing, algebraic equality, synonyms, model definitions and inference."""

from __future__ import annotations

from fractions import Fraction

import pytest

from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.units import (
    DIMENSIONLESS,
    Unit,
    UnitContext,
    UnitMismatch,
    infer_units,
    parse_units,
    units_equal,
)


@pytest.mark.parametrize(
    ("text", "powers"),
    [
        ("people/year", {"person": 1, "year": -1}),
        ("widgets/(week*person)", {"widgets": 1, "week": -1, "person": -1}),
        ("1/month", {"month": -1}),
        ("meter/second^2", {"meter": 1, "second": -2}),
        ("m^2", {"meter": 2}),
        ("m^-1", {"meter": -1}),
        ("m^(1/2)", {"meter": Fraction(1, 2)}),
        ("kg^0.5*s", {"kilogram": Fraction(1, 2), "second": 1}),
        ("Square Meters / Hour", {"square_meters": 1, "hour": -1}),
        ("$/unit", {"dollar": 1, "unit": -1}),
        ("%", {"percent": 1}),
    ],
)
def test_parse_gives_canonical_powers(text: str, powers: dict[str, int]) -> None:
    assert parse_units(text).as_dict() == {k: Fraction(v) for k, v in powers.items()}


@pytest.mark.parametrize("text", ["dimensionless", "dmnl", "Dmnl", "1", "unitless", "people/persons"])
def test_dimensionless_spellings(text: str) -> None:
    unit = parse_units(text)
    assert unit.is_dimensionless
    assert unit == DIMENSIONLESS


def test_numbers_are_a_scale() -> None:
    assert parse_units("1000*people").scale == 1000
    assert parse_units("1000*people") != parse_units("people")
    assert parse_units("0.5/year").scale == Fraction(1, 2)
    assert str(parse_units("1000*people/year")) == "1000*person/year"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("people/year", "1/yr*person"),
        ("persons/years", "people/year"),
        ("widgets/(week*person)", "widgets/week/person"),
        ("month", "Months"), ("mo", "month"), ("wk", "weeks"), ("day", "days"), ("hr", "hours"),
        ("min", "minutes"), ("s", "seconds"), ("sec", "second"), ("unit", "units"), ("$", "dollars"),
        ("m*m", "m^2"), ("meter/second^2", "m/(s*s)"), ("(m^2)^(1/2)", "meter"),
    ],
)
def test_equal_units(a: str, b: str) -> None:
    assert units_equal(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("people/year", "people/month"), ("percent", "dmnl"), ("widgets", "widget"), ("m", "m^2"),
     ("gas", "ga"), ("people", "1/people")],
)
def test_different_units(a: str, b: str) -> None:
    assert not units_equal(a, b)


def test_plurals_merge_only_where_a_model_uses_both_forms() -> None:
    both = UnitContext.for_texts({}, ["widgets/week", "widget"])
    assert both.equal("widgets", "widget")
    alone = UnitContext.for_texts({}, ["gas/day"])
    assert alone.parse("gas") == Unit.base("gas")
    assert not UnitContext.for_texts({}, ["mass", "mas"]).equal("mass", "mas")


def test_model_definitions_are_honoured() -> None:
    definitions = {"kph": "km/hour", "head": "person", "fish": "", "cow": "cow"}
    context = UnitContext(definitions)
    assert context.equal("kph", "kilometers/hr")
    assert context.equal("head/year", "people/year")
    assert context.parse("fish") == Unit.base("fish")
    assert context.parse("cow") == Unit.base("cow")
    assert units_equal("kph*hour", "km", definitions)


def test_definition_cycle_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="cycle: a -> b -> a"):
        UnitContext({"a": "b", "b": "a"}).parse("a")


def test_bad_definition_names_the_definition() -> None:
    with pytest.raises(ParseError, match="unit definition of 'x'"):
        UnitContext({"x": "m//s"}).parse("x")


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("people//year", 8, "a unit name, a number or '('"),
        ("m^x", 3, "a number as exponent"),
        ("(m/s", 5, "')'"),
        ("people # x", 8, None),
        ("", 1, "a unit"),
        ("m^(1/0)", 6, "a non-zero divisor"),
        ("m)", 2, "'*', '/' or '^'"),
    ],
)
def test_parse_errors_have_a_position(text: str, column: int, expected: str | None) -> None:
    with pytest.raises(ParseError) as info:
        parse_units(text)
    assert info.value.column == column
    assert info.value.offset == column - 1
    if expected:
        assert f"expected {expected}" in info.value.message


def test_multi_word_names_are_one_unit() -> None:
    assert parse_units("m s").as_dict() == {"m_s": 1}


def test_unit_algebra_and_printing() -> None:
    person, year = Unit.base("person"), Unit.base("year")
    rate = person / year
    assert rate * year == person
    assert (rate ** 2).as_dict() == {"person": 2, "year": -2}
    assert str(rate) == "person/year"
    assert str(DIMENSIONLESS / year) == "1/year"
    assert str(DIMENSIONLESS) == "dmnl"
    assert str(person / (year * Unit.base("week"))) == "person/(week*year)"
    assert str(Unit.base("m") ** Fraction(1, 2)) == "m^(1/2)"
    assert hash(parse_units("people/year")) == hash(parse_units("1/yr*person"))


# -- inference ---------------------------------------------------------------------------------------

UNITS = {
    "population": parse_units("people"),
    "birth_rate": parse_units("1/year"),
    "delay_time": parse_units("year"),
    "area": parse_units("m^2"),
    "effect": parse_units("dmnl"),
    "table": parse_units("widgets"),
    "comp.out": parse_units("watt"),
}
YEAR = parse_units("year")


def infer(text: str) -> tuple[Unit | None, list[UnitMismatch]]:
    found: list[UnitMismatch] = []
    return infer_units(parse(text), UNITS.get, YEAR, found), found


@pytest.mark.parametrize(
    ("equation", "expected"),
    [
        ("population * birth_rate", "people/year"),
        ("population / delay_time", "people/year"),
        ("population + 5", "people"),
        ("5 - population", "people"),
        ("population * 2", "people"),
        ("2 / delay_time", "1/year"),
        ("area ^ 0.5", "m"),
        ("area ^ (1/2)", "m"),
        ("delay_time ^ -1", "1/year"),
        ("SQRT(area)", "m"),
        ("MIN(population, 3, population)", "people"),
        ("MAX(1, population)", "people"),
        ("ABS(-population)", "people"),
        ("SMTH1(population, delay_time)", "people"),
        ("DELAY3(population * birth_rate, 2)", "people/year"),
        ("TIME", "year"),
        ("DT * birth_rate", "dmnl"),
        ("IF TIME > 5 THEN population ELSE 0", "people"),
        ("IF_THEN_ELSE(effect > 0, population, 1)", "people"),
        ("(population > 1) * population", "people"),
        ("table(population)", "widgets"),
        ("LOOKUP(table, 3)", "widgets"),
        ("EXP(effect) * population", "people"),
        ("ZIDZ(population, delay_time)", "people/year"),
        ("comp.out * delay_time", "watt*year"),
        ("effect ^ TIME", "dmnl"),
        ("population MOD 7", "people"),
    ],
)
def test_inference(equation: str, expected: str) -> None:
    unit, mismatches = infer(equation)
    assert mismatches == []
    assert unit == parse_units(expected)


@pytest.mark.parametrize(
    "equation", ["5", "2 * 3 + 1", "PI * 2", "unknown_thing", "population * unknown_thing", "RANDOM()",
                 "population ^ unknown_thing", "STEP(3, 4) + unknown_thing * 0"],
)
def test_no_claim(equation: str) -> None:
    unit, mismatches = infer(equation)
    assert unit is None
    assert mismatches == []


@pytest.mark.parametrize(
    ("equation", "span", "words"),
    [
        ("population + birth_rate", (0, 23), "'+'"),
        ("1 + (population - delay_time)", (4, 29), "'-'"),
        ("MIN(population, delay_time)", (0, 27), "MIN"),
        ("IF effect > 0 THEN population ELSE delay_time", (0, 45), "IF branches"),
        ("population > delay_time", (0, 23), "'>'"),
    ],
)
def test_mismatch_points_at_span(equation: str, span: tuple[int, int], words: str) -> None:
    unit, mismatches = infer(equation)
    assert unit is None
    assert [m.span for m in mismatches] == [span]
    assert words in mismatches[0].message
    assert "person" in mismatches[0].message


def test_unknown_operand_in_sum_takes_known_side() -> None:
    unit, mismatches = infer("unknown_thing + population")
    assert unit == parse_units("people")
    assert mismatches == []
