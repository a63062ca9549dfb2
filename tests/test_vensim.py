"""Vensim .mdl importer: suite models (counts read off the files), translation, arrays, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

import importers
from importers.vensim import load
from metamodel.elements import Aux, Flow, Stock, Variable
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.model import Model
from tests.paths import SD_MODELS

SUITE = SD_MODELS
TESTS = SUITE / "tests"


def var(model: Model, name: str) -> Variable:
    found = model.find(name)
    assert isinstance(found, Variable), name
    return found


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\n" + body, encoding="utf-8")
    return path


CONTROL = """FINAL TIME = 10 ~ Month ~ |
INITIAL TIME = 0 ~ Month ~ |
SAVEPER = TIME STEP ~ Month [0,?] ~ |
TIME STEP = 0.5 ~ Month [0,?] ~ |
"""


def test_every_suite_model_imports_and_every_equation_parses() -> None:
    files = sorted(SUITE.rglob("*.mdl"))
    assert len(files) == 92
    for path in files:
        model, report = importers.load(path)
        assert list(model.of_kind(Variable)), path
        for variable in model.of_kind(Variable):
            for text in variable.equations():
                parse(text)
        assert all(entry.reason for entry in report.entries)


def test_teacup_stock_flow_spec_units_and_sketch() -> None:
    model, report = load(SUITE / "samples/teacup/teacup.mdl")
    stocks, flows = list(model.of_kind(Stock)), list(model.of_kind(Flow))
    assert [s.name for s in stocks] == ["Teacup Temperature"]
    assert [f.name for f in flows] == ["Heat Loss to Room"]
    assert len(list(model.of_kind(Aux))) == 6  # 2 parameters + 4 control variables
    cup = stocks[0]
    assert cup.equation == "180" and cup.outflows == [flows[0].id] and cup.inflows == []
    assert cup.range == (32.0, 212.0) and cup.units == "Degrees Fahrenheit"
    assert "liquid phase of tea" in cup.doc
    assert flows[0].equation == "(Teacup Temperature - Room Temperature) / Characteristic Time"
    spec = model.sim_spec
    assert (spec.start, spec.stop, spec.dt, spec.save_per, spec.time_units) == (0, 30, 0.125, 0.125, "Minute")
    assert [v.name for v in model.views] == ["View 1"]
    shapes = model.views[0].shapes
    assert (shapes[cup.id].x, shapes[cup.id].y, shapes[cup.id].width) == (307, 235, 80)
    assert (shapes[flows[0].id].x, shapes[flows[0].id].y) == (408, 235)  # drawn at its valve
    assert len(model.views[0].links) == 3
    assert not [e for e in report.entries if e.severity == "error"]


def test_rate_sums_become_flows_and_other_rates_a_net_flow() -> None:
    model, _ = load(TESTS / "zeroled_decimals/test_zeroled_decimals.mdl")
    mixed = var(model, "stockmixed")
    assert isinstance(mixed, Stock)
    assert [model[i].name for i in mixed.inflows] == ["flow6"]
    assert [model[i].name for i in mixed.outflows] == ["flow5", "flow7", "flow8"]
    assert var(model, "flow2").equation == "-.67" and var(model, "flow1n").equation == ".1"
    nested, _ = load(TESTS / "nested_functions/test_nested_functions.mdl")
    net = var(nested, "nested integ net flow")
    assert isinstance(net, Flow)
    assert net.equation == "IF modulo(TIME, 3) < 2 THEN TIME ELSE 0"


def test_function_translation() -> None:
    model, _ = load(TESTS / "smooth/test_smooth.mdl")
    assert var(model, "Smooth N output").equation == "smthn(Input, Adjustment Time, Variable Order, Initial Value)"
    assert var(model, "SmoothI output").equation == "smth1(Input, Adjustment Time, Initial Value)"
    model, _ = load(TESTS / "logicals/test_logicals.mdl")
    assert var(model, "AND output").equation == "IF true input AND false input THEN 1 ELSE 0"
    assert var(model, "NOT output").equation == "IF NOT false input THEN 1 ELSE 0"
    model, _ = load(TESTS / "exponentiation/exponentiation.mdl")
    assert var(model, "associativity").equation == "-2^2"
    model, _ = load(TESTS / "delays/test_delays.mdl")
    assert var(model, "OutputDelayN").equation == "vensim_delayn(Input, Delay Time, Order Variable, Initial Value)"
    model, _ = load(TESTS / "subscripted_trig/test_subscripted_trig.mdl")
    assert var(model, "ssinh1").equation == "(exp(var1[sub1]) - exp(-var1[sub1])) / 2"


def test_lookups_tables_calls_and_with_lookup() -> None:
    model, _ = load(TESTS / "lookups_funcnames/test_lookups_funcnames.mdl")
    table = var(model, "expname table")
    assert isinstance(table, Aux) and table.gf is not None and table.equation == ""
    assert table.gf.xpts[:3] == [0, 5, 10] and table.gf.ypts[:3] == [0, 0, 1]
    assert table.gf.xscale == (0, 45) and table.gf.yscale == (-1, 1)
    assert var(model, "lookup function call").equation == "expname table(TIME)"
    assert var(model, "using the mod variable").equation == '"mod"'
    model, _ = load(TESTS / "lookups_inline_bounded/test_lookups_inline_bounded.mdl")
    inline = var(model, "Variable with Inline Lookup")
    assert isinstance(inline, Aux) and inline.gf is not None
    assert inline.equation == "Key Variable" and len(inline.gf.xpts) == 7 and inline.range == (0, 1)


def test_subscripts_element_equations_mapping_and_dimension_values() -> None:
    model, _ = load(TESTS / "multiple_lines_def/test_multiple_lines_def.mdl")
    price = var(model, "price")
    assert price.dimensions == ["fruits"] and price.equation == ""
    assert price.element_equations == {"banana": "1.2", "apple": "2.3", "orange": "3.2", "cherry": "2.3",
                                       "pear": "0.9", "tomato": "1.4"}
    model, _ = load(TESTS / "subscript_mapping_vensim/test_subscript_mapping_vensim.mdl")
    assert var(model, "WORK FLOW").element_equations["SYSTEMS"] == \
        "WORK FORCE[ASSEMBLERS] * PRODUCTIVITY[ASSEMBLERS]"
    population = var(model, "POPULATION")
    assert isinstance(population, Stock) and population.dimensions == ["AGE"]
    net = model[population.inflows[0]]
    assert isinstance(net, Flow) and net.element_equations["TEEN"] == "aging[CHILD] - aging[TEEN]"
    model, _ = load(TESTS / "subscript_definition/test_subscript_definition.mdl")
    assert len(model.dimension("dim").elements) == 42
    assert var(model, "ndim").equation == "42"
    assert var(model, "subdim2 values").element_equations["bc1"] == "23"  # position in the parent
    model, _ = load(TESTS / "except/test_except.mdl")
    inventory = var(model, "inventory")
    assert len(inventory.element_equations) == 20
    assert "special giveaways" in model[inventory.inflows[0]].element_equations["s3,p5"]  # type: ignore
    assert "special" not in model[inventory.inflows[0]].element_equations["s1,p5"]  # type: ignore
    model, _ = load(TESTS / "tabbed_arrays/tabbed_arrays.mdl")
    three = var(model, "three_D_tabbed_array")
    assert three.dimensions == ["country_row", "blood_type_column", "third_dim"]
    assert three.element_equations["USA,B,two"] == "26" and three.element_equations["CANADA,AB,three"] == "12"
    model, _ = load(TESTS / "subscript_aggregation/test_subscript_aggregation.mdl")
    assert var(model, "Subscript 2d Sum").equation == \
        'sum(Stock A[*:One Dimensional Subscript, *:Second Dimension Subscript])'


def test_mapping_with_an_element_list_pairs_the_listed_elements(tmp_path: Path) -> None:
    import solvers

    text = CONTROL + """DimA: A1, A2, A3 -> (DimB: B3, B2, B1), DimC ~ ~ |
DimB: B1, B2, B3 ~ ~ |
DimC: C1, C2, C3 ~ ~ |
SubA: A2, A3 ~ ~ |
DimD: D1, D2 -> (DimA: SubA, A1) ~ ~ |
a[DimA] = 1, 2, 3 ~ ~ |
b[DimB] = a[DimA] ~ ~ |
c[DimC] = a[DimA] ~ ~ |
j[DimD] = 10, 20 ~ ~ |
k[DimA] = a[DimA] + j[DimD] ~ ~ |
"""
    model, report = load(write(tmp_path, text))
    assert not [e for e in report.entries if e.severity == "error"]
    results = solvers.compile(model).run()
    value = {n: float(results[n][0, 0]) for n in results.names}
    # A1 -> B3, A2 -> B2, A3 -> B1 as listed; DimC by position; D1 -> every element of SubA, D2 -> A1
    assert [value[f"b[B{i}]"] for i in (1, 2, 3)] == [3, 2, 1]
    assert [value[f"c[C{i}]"] for i in (1, 2, 3)] == [1, 2, 3]
    assert [value[f"k[A{i}]"] for i in (1, 2, 3)] == [21, 12, 13]
    _, report = load(write(tmp_path, text.replace("(DimB: B3, B2, B1)", "(DimB: B3, B2)")))
    assert any(e.element == "DimA" and "lists 2 elements for 3" in e.reason for e in report.entries)


def test_macros_are_expanded_at_each_call() -> None:
    model, report = load(TESTS / "macro_multi_macros/test_macro_multi_macros.mdl")
    output = var(model, "macro output").equation
    assert output.strip('"') == "EXPRESSION MACRO in EXPRESSION MACRO call 2"
    body = var(model, output.strip('"'))
    assert body.equation == '"input in EXPRESSION MACRO call 2" * "parameter in EXPRESSION MACRO call 2"'
    assert var(model, "input in EXPRESSION MACRO call 2").equation == "macro input"
    model, _ = load(TESTS / "macro_stock/test_macro_stock.mdl")
    assert len(list(model.of_kind(Stock))) == 1
    assert not [e for e in report.entries if e.severity == "error"]


def test_macro_with_several_outputs_defines_the_names_after_the_colon(tmp_path: Path) -> None:
    import solvers

    text = CONTROL + """:MACRO: RANGE3(a, b, c : low, high)
RANGE3 = a + b + c ~ ~ |
low = MIN(a, MIN(b, c)) ~ ~ |
high = MAX(a, MAX(b, c)) ~ ~ |
:END OF MACRO:
total = RANGE3(7, 2 * TIME, 5 : smallest, largest) ~ ~ |
spread = largest - smallest ~ ~ |
"""
    model, report = load(write(tmp_path, text))
    assert not [e for e in report.entries if e.severity == "error"]
    results = solvers.compile(model).run()
    at = {t: i for i, t in enumerate(results.time.tolist())}
    # TIME 1: inputs 7, 2, 5; TIME 5: 7, 10, 5
    assert [float(results[n][at[1.0], 0]) for n in ("total", "smallest", "largest", "spread")] == [14, 2, 7, 5]
    assert [float(results[n][at[5.0], 0]) for n in ("total", "smallest", "largest", "spread")] == [22, 5, 10, 5]
    _, report = load(write(tmp_path, text.replace(": smallest, largest", ": smallest")))
    assert any(e.element == "total" and "2 additional outputs, the call names 1" in e.reason for e in report.entries)
    _, report = load(write(tmp_path, CONTROL + "x = MAX(1, 2 : y) ~ ~ |\n"))
    assert any(e.element == "x" and "belong to calls of macros" in e.reason for e in report.entries)


def test_macro_called_with_subscripts_runs_one_instance_per_element(tmp_path: Path) -> None:
    import solvers

    text = CONTROL + """:MACRO: ACCUMULATE(x, k)
ACCUMULATE = INTEG(x * k, 0) ~ ~ |
:END OF MACRO:
Region: R1, R2, R3 ~ ~ |
inp[Region] = 10, 20, 30 ~ ~ |
total[Region] = ACCUMULATE(inp[Region], 2) ~ ~ |
first = ACCUMULATE(1, 1) ~ ~ |
"""
    model, report = load(write(tmp_path, text))
    assert not [e for e in report.entries if e.severity == "error"]
    assert len(list(model.of_kind(Stock))) == 2  # one arrayed stock for the subscripted call, one scalar
    results = solvers.compile(model).run()
    # each element integrates its own input times 2 with Euler steps of 0.5: after TIME 10, 20 * inp
    assert [float(results[f"total[{r}]"][-1, 0]) for r in ("R1", "R2", "R3")] == [200, 400, 600]
    assert float(results["first"][-1, 0]) == 10


def test_a_name_with_a_trailing_dollar_in_a_macro_is_the_calling_models_variable(tmp_path: Path) -> None:
    import solvers

    # a stock that closes the gap to its input within one step: the rate divides by the model's TIME STEP
    text = CONTROL + """:MACRO: CATCH UP(input, start)
CATCH UP = INTEG((input - CATCH UP) / TIME STEP$, start) ~ ~ |
:END OF MACRO:
target = 7 ~ ~ |
level = CATCH UP(target, 2) ~ ~ |
"""
    model, report = load(write(tmp_path, text))
    assert not [e for e in report.entries if e.severity == "error"]
    results = solvers.compile(model).run()
    step = model.sim_spec.dt
    # Euler: level(dt) = 2 + (7 - 2) / dt * dt = 7, and it stays there
    assert float(results["level"][0, 0]) == 2
    assert float(results["level"][1, 0]) == pytest.approx(7) and float(results["level"][-1, 0]) == pytest.approx(7)
    assert step != 1  # the step must matter: with a divisor of 1 the first step would reach 2 + 5 * dt


def test_control_section_from_expressions_and_quoted_names() -> None:
    model, _ = load(TESTS / "control_vars/test_control_vars.mdl")
    assert (model.sim_spec.start, model.sim_spec.stop, model.sim_spec.dt) == (0, 10, 1)
    model, _ = load(TESTS / "fully_invalid_names/test_fully_invalid_names.mdl")
    assert var(model, "1995€/$").equation == "1.1"
    model, _ = load(TESTS / "line_continuation/test_line_continuation.mdl")
    assert var(model, "Target for goal seeking loop and convenient object for testing user broken lines")


def test_unsupported_functions_are_reported_with_lines(tmp_path: Path) -> None:
    model, report = load(write(tmp_path, CONTROL + "var1 = GET 123 CONSTANTS('a.wk1', 'b', 'C3') ~ ~ |\n"))
    entry = next(e for e in report.entries if e.element == "var1")
    assert entry.line == 6 and "GET 123 CONSTANTS" in entry.reason and entry.severity == "error"
    var1 = var(model, "var1")
    assert var1.equation == "0" and "GET 123 CONSTANTS" in var1.doc


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as truncated:
        load(write(tmp_path, "a = 1 ~ ~ |\nb = a +\n  2"))
    assert truncated.value.line == 3
    _, report = load(write(tmp_path, CONTROL + "a = (1 + 2 ~ ~ |\nb = FOO(1) ~ ~ |\n"))
    lines = {e.element: e.line for e in report.entries if e.severity == "error"}
    assert lines == {"a": 6, "b": 7}
    text = CONTROL + ":MACRO: LOOP(x)\nLOOP = LOOP(x) ~ ~ |\n:END OF MACRO:\ny = LOOP(1) ~ ~ |\n"
    model, report = load(write(tmp_path, text))
    assert any("circular macro" in e.reason and e.line for e in report.entries)
    assert model.find("y") is not None
    with pytest.raises(ParseError) as unclosed:
        load(write(tmp_path, CONTROL + ":MACRO: M(x)\nM = x ~ ~ |\n"))
    assert unclosed.value.line == 6 and "END OF MACRO" in str(unclosed.value)
    _, report = load(write(tmp_path, CONTROL + "d: (a9-a1) ~ ~ |\nz[d] = 1 ~ ~ |\n"))
    assert any(e.element == "d" and e.line == 6 for e in report.entries)
    _, report = load(write(tmp_path, CONTROL + "twice = 1 ~ ~ |\ntwice = 2 ~ ~ |\n"))
    assert any(e.element == "twice" and e.severity == "error" and e.line == 7 and "more than once" in e.reason
               for e in report.entries)
    _, report = load(write(tmp_path, CONTROL + "d: a1, a2 ~ ~ |\nx[d] = 1 ~ ~ |\nx[a1] = 2 ~ ~ |\n"))
    assert any(e.element == "x" and e.severity == "error" and "[a1] is defined by more than one" in e.reason
               for e in report.entries)
    _, report = load(write(tmp_path, CONTROL + "q = " + "(" * 500 + "1" + ")" * 500 + " ~ ~ |\n"))
    assert any("nested too deeply" in e.reason for e in report.entries)
