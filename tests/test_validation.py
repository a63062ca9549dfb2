"""Validation rules: every rule fires on a small model that breaks it and stays quiet otherwise."""

from __future__ import annotations

import pytest

from metamodel.elements import (
    Aux,
    Connector,
    ConnectorEnd,
    Dimension,
    Flow,
    GraphicalFunction,
    Module,
    ModuleConnection,
    NeuralComponent,
    NeuralPort,
    Part,
    Port,
    Stock,
)
from metamodel.model import Model
from metamodel.validation import RULES, Diagnostic, validate


def population() -> Model:
    """A clean one-stock model: Population fed by births = Population * birth rate."""
    model = Model(name="population")
    model.sim_spec.time_units = "years"
    model.add(Stock("pop", "Population", equation="100", units="people", inflows=["births"],
                    outflows=["deaths"]))
    model.add(Flow("births", "births", equation="Population * birth rate", units="person/yr"))
    model.add(Flow("deaths", "deaths", equation="Population / lifetime", units="people/year"))
    model.add(Aux("br", "birth rate", equation="0.03", units="1/year"))
    model.add(Aux("life", "lifetime", equation="70", units="years"))
    return model


def found(model: Model, code: str) -> list[Diagnostic]:
    return [d for d in validate(model) if d.code == code]


def test_clean_model_has_no_findings() -> None:
    assert validate(population()) == []


def test_every_rule_is_registered_with_a_domain() -> None:
    codes = {code for code in RULES if code.startswith(("SD", "AR", "NN"))}
    assert {f"SD{i:03d}" for i in range(1, 13)} <= codes
    assert {"AR001", "AR002", "AR003", "AR004", "NN001", "NN002"} <= codes
    assert {RULES[c].domain for c in codes} == {"sd", "architecture", "neural"}


def test_domains_select_rules() -> None:
    model = population()
    model.elements["br"].equation = "1 +"
    assert [d.code for d in validate(model, ["architecture"])] == []
    assert [d.code for d in validate(model, ["sd"])] == ["SD001"]


# -- SD001 syntax error --------------------------------------------------------------------------------

def test_sd001_syntax_error_points_at_offset() -> None:
    model = population()
    model.elements["births"].equation = "Population * * birth rate"
    (diag,) = found(model, "SD001")
    assert (diag.element_id, diag.severity, diag.field, diag.span) == ("births", "error", "equation", (13, 14))
    assert "expected a number, a name" in diag.message


def test_sd001_missing_equation_and_element_equation() -> None:
    model = population()
    model.elements["life"].equation = ""
    model.elements["br"].element_equations = {"north": "2 +"}
    diags = {(d.element_id, d.field) for d in found(model, "SD001")}
    assert diags == {("life", "equation"), ("br", "element_equations[north]")}


def test_sd001_not_for_array_with_element_equations_only_or_bare_table() -> None:
    model = population()
    model.elements["life"].equation = ""
    model.elements["life"].element_equations = {"north": "60", "south": "70"}
    model.add(Aux("t", "table", gf=GraphicalFunction(ypts=[0, 1])))
    model.elements["br"].equation = "table(0.03)"
    assert found(model, "SD001") == []


# -- SD002 undefined name ------------------------------------------------------------------------------

def test_sd002_undefined_name_span() -> None:
    model = population()
    model.elements["births"].equation = "Population * birth rat"
    (diag,) = found(model, "SD002")
    assert (diag.element_id, diag.span) == ("births", (13, 22))
    assert "'birth rat' is not defined" in diag.message


def test_sd002_resolves_modules_dimensions_neural_outputs_and_constants() -> None:
    model = population()
    model.dimensions.append(Dimension("Region", ["north", "south"]))
    model.add(Module("mod", "economy", model_name="econ"))
    model.add(NeuralComponent("nn", "policy", path="p.onnx",
                              outputs=[NeuralPort("rate", [None, 1], units="1/year")]))
    model.elements["br"].dimensions = ["Region"]
    model.elements["br"].equation = "0.03 + 0 * (TIME + DT + PI + economy.gdp + policy.rate + br2[north])"
    model.add(Aux("br2", "br2", equation="SUM(birth rate[*:Region]) + Region", dimensions=["Region"]))
    model.add(Aux("use", "user", equation="br2[south]"))
    assert found(model, "SD002") == []


def test_sd002_element_names_only_in_subscripts_and_unknown_module() -> None:
    model = population()
    model.dimensions.append(Dimension("Region", ["north"]))
    model.elements["br"].equation = "north + nomodule.x + SUM(lifetime[*:Nowhere])"
    diags = found(model, "SD002")
    assert [d.span for d in diags] == [(0, 5), (8, 18), (34, 43)]
    assert "dimension 'Nowhere'" in diags[2].message


# -- SD003 unused constant -----------------------------------------------------------------------------

def test_sd003_unused_constant() -> None:
    model = population()
    model.add(Aux("k", "spare constant", equation="-4"))
    (diag,) = found(model, "SD003")
    assert (diag.element_id, diag.severity) == ("k", "warning")


def test_sd003_not_for_constants_used_by_modules_or_computed_outputs() -> None:
    model = population()
    model.add(Aux("k", "spare constant", equation="4"))
    model.add(Aux("out", "report", equation="Population * 2"))
    model.add(Module("mod", "economy", model_name="econ", connections=[ModuleConnection("input", "spare constant")]))
    model.add(Aux("ft", "FINAL TIME", equation="100"))
    assert found(model, "SD003") == []


# -- SD004 duplicate names -----------------------------------------------------------------------------

def test_sd004_duplicate_canonical_names() -> None:
    model = population()
    model.add(Aux("br_2", "Birth_Rate", equation="0.04"))
    (diag,) = found(model, "SD004")
    assert diag.element_id == "br_2"
    assert "id br" in diag.message


def test_sd004_ports_may_share_names() -> None:
    model = population()
    model.add(Port("p1", "in", owner="b1"))
    model.add(Port("p2", "in", owner="b2"))
    assert found(model, "SD004") == []


# -- SD005 algebraic loop ------------------------------------------------------------------------------

def test_sd005_algebraic_loop_names_members_in_order() -> None:
    model = population()
    model.add(Aux("a", "alpha", equation="gamma + 1"))
    model.add(Aux("b", "beta", equation="alpha * 2"))
    model.add(Aux("c", "gamma", equation="MAX(beta, 0)"))
    (diag,) = found(model, "SD005")
    assert diag.element_id == "a"
    assert diag.message == "algebraic loop: alpha -> beta -> gamma -> alpha"


def test_sd005_self_loop() -> None:
    model = population()
    model.elements["br"].equation = "birth rate * 0.5"
    (diag,) = found(model, "SD005")
    assert diag.message == "algebraic loop: birth rate -> birth rate"


def test_sd005_stocks_and_delays_break_loops() -> None:
    model = population()
    model.add(Aux("a", "alpha", equation="SMTH1(beta, 3) + Population"))
    model.add(Aux("b", "beta", equation="alpha * 2 + DELAY3(gamma, 2)"))
    model.add(Aux("c", "gamma", equation="beta"))
    assert found(model, "SD005") == []


# -- SD006 unattached flow ------------------------------------------------------------------------------

def test_sd006_flow_attached_to_no_stock() -> None:
    model = population()
    model.elements["pop"].outflows = []
    (diag,) = found(model, "SD006")
    assert (diag.element_id, diag.severity) == ("deaths", "warning")


def test_sd006_quiet_when_attached() -> None:
    assert found(population(), "SD006") == []


# -- SD007 flow units per time unit --------------------------------------------------------------------

def test_sd007_flow_units_vs_stock_units() -> None:
    model = population()
    model.elements["deaths"].units = "people/month"
    (diag,) = found(model, "SD007")
    assert (diag.element_id, diag.field) == ("deaths", "units")
    assert "person/year" in diag.message


def test_sd007_synonyms_are_equal_and_missing_time_units_make_no_claim() -> None:
    model = population()
    model.elements["deaths"].units = "persons/yr"
    assert found(model, "SD007") == []
    model.elements["deaths"].units = "people/month"
    model.sim_spec.time_units = ""
    assert found(model, "SD007") == []


# -- SD008 equation units ------------------------------------------------------------------------------

def test_sd008_equation_units_differ_from_declared() -> None:
    model = population()
    model.elements["deaths"].equation = "Population * lifetime"
    (diag,) = found(model, "SD008")
    assert (diag.element_id, diag.span) == ("deaths", (0, 21))
    assert "person*year" in diag.message


def test_sd008_mismatch_inside_equation_points_at_span() -> None:
    model = population()
    model.elements["births"].equation = "Population * (birth rate + lifetime)"
    (diag,) = found(model, "SD008")
    assert diag.span == (13, 36)
    assert "'+'" in diag.message


def test_sd008_numbers_and_graphical_functions_make_no_claim() -> None:
    model = population()
    model.elements["births"].equation = "Population * birth rate * 1.0 + 0"
    model.add(Aux("fx", "effect", equation="Population", units="dmnl",
                  gf=GraphicalFunction(ypts=[0, 1], xpts=[0, 100])))
    model.add(Aux("use", "use", equation="effect(Population) * birth rate", units="1/year"))
    assert found(model, "SD008") == []


# -- SD009 graphical functions -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("gf", "words"),
    [
        (GraphicalFunction(ypts=[]), "no points"),
        (GraphicalFunction(ypts=[1, 2, 3], xpts=[0, 1]), "2 x points but 3 y points"),
        (GraphicalFunction(ypts=[1, 2, 3], xpts=[0, 2, 2]), "x[2] = 2 follows 2"),
        (GraphicalFunction(ypts=[1, 2], xscale=(5.0, 1.0)), "x scale 5..1"),
    ],
)
def test_sd009_bad_graphical_function(gf: GraphicalFunction, words: str) -> None:
    model = population()
    model.add(Aux("fx", "effect", equation="Population", gf=gf))
    model.add(Aux("use", "use", equation="effect(1)"))
    (diag,) = found(model, "SD009")
    assert diag.element_id == "fx"
    assert words in diag.message


def test_sd009_good_graphical_function() -> None:
    model = population()
    model.add(Aux("fx", "effect", equation="Population", gf=GraphicalFunction(ypts=[1, 2, 3], xpts=[0, 1, 5])))
    model.add(Aux("fy", "spread", equation="Population", gf=GraphicalFunction(ypts=[1, 2], xscale=(0, 1))))
    assert found(model, "SD009") == []


# -- SD010 unknown units -------------------------------------------------------------------------------

def test_sd010_unreadable_units_with_position() -> None:
    model = population()
    model.elements["life"].units = "years]"
    model.sim_spec.time_units = "year^"
    diags = found(model, "SD010")
    assert {(d.element_name, d.field, d.span) for d in diags} == {("lifetime", "units", (5, 6)),
                                                                   ("sim specs", "time_units", (5, 6))}


def test_sd010_custom_and_defined_units_are_fine() -> None:
    model = population()
    model.units_defs = {"head": "person"}
    model.elements["pop"].units = "head"
    model.elements["life"].units = "widgets per year"
    assert found(model, "SD010") == []


# -- SD011 calls ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("equation", "words"),
    [
        ("FROB(1)", "unknown function 'FROB'"),
        ("MAX()", "MAX takes at least 1 argument, not 0"),
        ("SMTH1(Population)", "SMTH1 takes 2 to 3 arguments, not 1"),
        ("EXP(1, 2)", "EXP takes 1 argument, not 2"),
        ("lifetime(3)", "has no graphical function"),
        ("table(1, 2)", "takes 1 argument, not 2"),
    ],
)
def test_sd011_bad_calls(equation: str, words: str) -> None:
    model = population()
    model.add(Aux("t", "table", equation="0", gf=GraphicalFunction(ypts=[0, 1])))
    model.elements["br"].equation = f"0.03 + 0 * {equation}"
    (diag,) = found(model, "SD011")
    assert diag.span == (11, 11 + len(equation))
    assert words in diag.message


def test_sd011_good_calls() -> None:
    model = population()
    model.add(Aux("t", "table", equation="0", gf=GraphicalFunction(ypts=[0, 1])))
    model.elements["br"].equation = "0.03 + 0 * (table(TIME) + MAX(1, 2, 3) + SMTH3(lifetime, 2) + TIME())"
    assert found(model, "SD011") == []


# -- SD012 stock flows that are not flows ---------------------------------------------------------------

def test_sd012_inflow_not_a_flow() -> None:
    model = population()
    model.elements["pop"].inflows.extend(["br", "ghost"])
    diags = found(model, "SD012")
    assert [(d.element_id, d.field) for d in diags] == [("pop", "inflows"), ("pop", "inflows")]
    assert "aux 'birth rate'" in diags[0].message
    assert "'ghost'" in diags[1].message and "no element" in diags[1].message


def test_sd012_quiet_for_flows() -> None:
    assert found(population(), "SD012") == []


# -- architecture --------------------------------------------------------------------------------------

def two_parts(a: Port, b: Port, *, delegation: bool = False) -> Model:
    """Ports ``a`` (on part pa) and ``b`` (on part pb, or on the owner's boundary) joined by connector c."""
    model = Model()
    model.add(Part("pa", "pa", type="blockA"))
    model.add(Part("pb", "pb", type="blockB"))
    model.add(a)
    model.add(b)
    model.add(Connector("c", "c", ends=[ConnectorEnd(a.id, "pa"), ConnectorEnd(b.id, None if delegation else "pb")]))
    return model


@pytest.mark.parametrize(
    ("a", "b", "delegation", "bad"),
    [
        ("out", "out", False, True), ("in", "in", False, True), ("out", "in", False, False),
        ("inout", "out", False, False), ("in", "out", True, True), ("in", "in", True, False),
    ],
)
def test_ar001_directions(a: str, b: str, delegation: bool, bad: bool) -> None:
    model = two_parts(Port("a", "a", direction=a), Port("b", "b", direction=b), delegation=delegation)
    diags = found(model, "AR001")
    assert [d.element_id for d in diags] == (["c"] if bad else [])


def test_ar001_conjugated_port_flips_direction() -> None:
    model = two_parts(Port("a", "a", direction="out"), Port("b", "b", direction="out", conjugated=True))
    assert found(model, "AR001") == []
    model.elements["b"].direction = "in"
    (diag,) = found(model, "AR001")
    assert "(out)" in diag.message


def test_ar002_flow_types() -> None:
    model = two_parts(Port("a", "a", direction="out", flow_type="Water"),
                      Port("b", "b", direction="in", flow_type="Fuel"))
    (diag,) = found(model, "AR002")
    assert diag.element_id == "c"
    model.elements["b"].flow_type = "water"
    assert found(model, "AR002") == []


def test_ar002_flow_type_by_element_id() -> None:
    model = two_parts(Port("a", "a", direction="out", flow_type="vt1"),
                      Port("b", "b", direction="in", flow_type="Water"))
    model.add(Aux("vt1", "water", equation="1"))
    assert found(model, "AR002") == []


def test_ar003_units() -> None:
    model = two_parts(Port("a", "a", direction="out", units="kg/s"), Port("b", "b", direction="in", units="kg/hr"))
    (diag,) = found(model, "AR003")
    assert "kg/hr" in diag.message
    model.elements["b"].units = "kilograms/second"
    assert found(model, "AR003") == []


def test_ar004_required_port_unconnected() -> None:
    model = two_parts(Port("a", "a", direction="out"), Port("b", "b", direction="in"))
    model.add(Port("r", "power", required=True))
    (diag,) = found(model, "AR004")
    assert diag.element_id == "r"
    model.elements["a"].required = True
    assert [d.element_id for d in found(model, "AR004")] == ["r"]


# -- neural --------------------------------------------------------------------------------------------

def neural(inputs: list[NeuralPort], outputs: list[NeuralPort] | None = None, path: str = "m.onnx") -> Model:
    model = population()
    model.add(NeuralComponent("nn", "policy", path=path, inputs=inputs,
                              outputs=outputs or [NeuralPort("y", [None, 1])]))
    return model


def test_nn001_feature_count_differs_from_width() -> None:
    model = neural([NeuralPort("x", [None, 3], equation="Population; lifetime")])
    (diag,) = found(model, "NN001")
    assert (diag.element_id, diag.field) == ("nn", "inputs[x].equation")
    assert "3 features" in diag.message and "2" in diag.message


def test_nn001_rank_three_and_dynamic_features() -> None:
    model = neural([NeuralPort("x", [None, 2, 3], equation="1; 2")], [NeuralPort("y", [None, None])])
    assert [d.field for d in found(model, "NN001")] == ["inputs[x]", "outputs[y]"]


def test_nn001_batch_only_port_is_one_feature() -> None:
    quiet = neural([NeuralPort("x", [None], equation="1")], [NeuralPort("y", [None])])
    assert found(quiet, "NN001") == []
    two = neural([NeuralPort("x", [None], equation="1; 2")])
    assert [d.field for d in found(two, "NN001")] == ["inputs[x].equation"]


def test_nn001_quiet_when_shapes_fit_and_input_equations_checked() -> None:
    model = neural([NeuralPort("x", [None, 2], equation="Population; lifetime * 2")])
    assert found(model, "NN001") == []
    model.elements["nn"].inputs[0].equation = "Population; lifetme"
    (diag,) = found(model, "SD002")
    assert (diag.element_id, diag.field, diag.span) == ("nn", "inputs[x].equation", (12, 19))


def test_nn002_empty_path() -> None:
    model = neural([], path=" ")
    (diag,) = found(model, "NN002")
    assert diag.element_id == "nn"
    assert found(neural([]), "NN002") == []


def test_diagnostic_text_and_json() -> None:
    model = population()
    model.elements["births"].equation = "Population * birth rat"
    (diag,) = found(model, "SD002")
    assert str(diag) == "error SD002 [births] at 14: 'birth rat' is not defined"
    assert diag.to_json()["span"] == [13, 22]
