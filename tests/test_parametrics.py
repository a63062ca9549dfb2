"""SysML parametrics run: constraint blocks, bindings, acausal solving, states and tables.

Every expected value is worked out by hand from the model in the test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import solvers
from importers import load
from metamodel.errors import ModelError, SimulationError
from tests.paths import MBSE_SAMPLES
from tests.sysml_models import (
    block,
    cameo,
    connector,
    constraint,
    newton,
    papyrus,
    part,
    port,
    stereotype,
    value,
    write,
)

KETTLE = MBSE_SAMPLES / "sysml1-papyrus" / "ElectricKettle.uml"


def run(path: Path, **options: object) -> solvers.Results:
    model, report = load(path)
    return solvers.compile(model).run(**options)


def one_block(tmp_path: Path, body: str, *values: str) -> Path:
    """A block owning its constraint directly (names are its value properties)."""
    return write(tmp_path, "m.uml", papyrus("m", [block("B", "System", constraint("c", body), *values)],
                                            [stereotype("Blocks:Block", "B", "s")]))


def test_bound_values_solve_the_constraint_of_a_constraint_property(tmp_path: Path) -> None:
    results = run(write(tmp_path, "newton.uml", newton()))
    assert list(results.time) == [0.0]  # no time in the model: one evaluation
    assert results["force"][0, 0] == pytest.approx(3000.0)
    assert results["mass"][0, 0] == 1500.0


def test_causality_follows_what_is_given(tmp_path: Path) -> None:
    results = run(write(tmp_path, "newton.uml", newton(mass=None, force="3000")))
    assert results["mass"][0, 0] == pytest.approx(1500.0)  # F = m * a solved for m


def test_values_with_defaults_are_parameters_of_the_run(tmp_path: Path) -> None:
    compiled = solvers.load(write(tmp_path, "newton.uml", newton()))
    assert compiled.parameters == {"mass": 1500.0, "acceleration": 2.0}
    results = compiled.run(params={"mass": [1000.0, 2000.0]})
    np.testing.assert_allclose(results["force"][0], [2000.0, 4000.0])


def test_value_nothing_determines_must_be_given(tmp_path: Path) -> None:
    compiled = solvers.load(write(tmp_path, "newton.uml", newton(acceleration=None)))
    with pytest.raises(ModelError, match="no value for acceleration"):
        compiled.run()
    assert compiled.run(params={"acceleration": 3.0})["force"][0, 0] == pytest.approx(4500.0)


def test_over_determined_constraints_name_the_equations(tmp_path: Path) -> None:
    model, _ = load(write(tmp_path, "newton.uml", newton(body="F = m * a\nF = 2 * m")))
    with pytest.raises(ModelError, match=r"over-determined: 'F = 2 \* m' in law has no unknown left to determine: "
                                         r"force \(from 'F = m \* a' in law\), mass \(its default value\)") as caught:
        solvers.compile(model)
    assert [d.code for d in caught.value.diagnostics] == ["PA003"]


def test_a_default_of_a_value_its_constraint_is_written_for_is_replaced(tmp_path: Path) -> None:
    results = run(write(tmp_path, "newton.uml", newton(force="1")))
    assert results["force"][0, 0] == pytest.approx(3000.0)


def test_pair_of_equations_in_two_unknowns_solves(tmp_path: Path) -> None:
    results = run(one_block(tmp_path, "x + y = 10\nx - y = 2", value("x", "x"), value("y", "y")))
    assert (results["x"][0, 0], results["y"][0, 0]) == (pytest.approx(6.0), pytest.approx(4.0))


def test_inconsistent_equations_are_named(tmp_path: Path) -> None:
    model, _ = load(one_block(tmp_path, "x + y = 10; x + y = 12", value("x", "x"), value("y", "y")))
    with pytest.raises(ModelError, match=r"inconsistent equations: 'x \+ y = 10' in System, 'x \+ y = 12' in "
                                         "System contradict each other"):
        solvers.compile(model)


def test_nonlinear_loop_is_solved_numerically(tmp_path: Path) -> None:
    path = one_block(tmp_path, "x^2 + y^2 = r^2\nx - y = d", value("x", "x"), value("y", "y"), value("r", "r", "5"),
                     value("d", "d", "1"))
    compiled = solvers.load(path)
    results = compiled.run(params={"r": [5.0, 13.0], "d": [1.0, 7.0]})
    np.testing.assert_allclose(results["x"][0], [4.0, 12.0])  # the roots Newton reaches from 1: (4, 3), (12, 5)
    np.testing.assert_allclose(results["y"][0], [3.0, 5.0])
    single = compiled.run()  # one run: the scalar backend calls the block with floats
    assert (single["x"][0, 0], single["y"][0, 0]) == (pytest.approx(4.0), pytest.approx(3.0))


def test_constraint_in_prose_is_reported_and_stops_the_run(tmp_path: Path) -> None:
    path = write(tmp_path, "newton.uml", newton(body="force equals mass times acceleration"))
    model, report = load(path)
    (entry,) = [e for e in report.entries if "second law" in e.reason]
    assert "not math" in entry.reason and "Natural language" in entry.reason
    with pytest.raises(ModelError, match="constraint 'second law' of Newton .* cannot be read"):
        solvers.compile(model)


def test_unknown_name_in_a_constraint_names_the_closest_feature(tmp_path: Path) -> None:
    model, _ = load(write(tmp_path, "newton.uml", newton(body="F = mm * a")))
    with pytest.raises(ModelError, match="'mm' in 'F = mm \\* a' is not a feature of law; did you mean 'm'?"):
        solvers.compile(model)


def test_cameo_nested_connector_ends_reach_values_of_parts(tmp_path: Path) -> None:
    """force = 0.5 * ro * cd * fa * speed**2 with values on two parts: 0.5 * 1.2 * 0.3 * 2 * 30^2 = 324."""
    drag = ("<packagedElement xmi:type='uml:Class' xmi:id='Drag' name='Drag'>"
            "<ownedRule xmi:type='uml:Constraint' xmi:id='Drag_c'><specification xmi:type='uml:OpaqueExpression' "
            "xmi:id='Drag_s'><body>force = 0.5 * ro * cd * fa * speed**2</body><language>Python</language>"
            "</specification></ownedRule>"
            + "".join(f"<ownedAttribute xmi:type='uml:Port' xmi:id='Drag_{n}' name='{n}' aggregation='composite'/>"
                      for n in ("force", "ro", "cd", "fa", "speed")) + "</packagedElement>")
    car = ("<packagedElement xmi:type='uml:Class' xmi:id='Car' name='Car'>"
           + "".join(f"<ownedAttribute xmi:type='uml:Property' xmi:id='Car_{n}' name='{n}'><defaultValue "
                     f"xmi:type='uml:LiteralReal' xmi:id='Car_{n}_d' value='{v}'/></ownedAttribute>"
                     for n, v in (("cd", "0.3"), ("area", "2.0"), ("speed", "30")))
           + "<ownedAttribute xmi:type='uml:Property' xmi:id='Car_drag' name='drag force'/></packagedElement>")
    ends = [("cd", "Car_cd"), ("fa", "Car_area"), ("speed", "Car_speed"), ("force", "Car_drag")]
    connectors = "".join(
        f"<ownedConnector xmi:type='uml:Connector' xmi:id='c{n}'>"
        f"<end xmi:type='uml:ConnectorEnd' xmi:id='c{n}a' role='{role}'/>"
        f"<end xmi:type='uml:ConnectorEnd' xmi:id='c{n}b' partWithPort='ctx_drag' role='Drag_{param}'/>"
        "</ownedConnector>" for n, (param, role) in enumerate(ends))
    connectors += ("<ownedConnector xmi:type='uml:Connector' xmi:id='c9'>"
                   "<end xmi:type='uml:ConnectorEnd' xmi:id='c9a' role='ctx_ro'/>"
                   "<end xmi:type='uml:ConnectorEnd' xmi:id='c9b' partWithPort='ctx_drag' role='Drag_ro'/>"
                   "</ownedConnector>")
    context = ("<packagedElement xmi:type='uml:Class' xmi:id='Ctx' name='DragAnalysis'>"
               "<ownedAttribute xmi:type='uml:Property' xmi:id='ctx_car' name='car' type='Car' "
               "aggregation='composite'/>"
               "<ownedAttribute xmi:type='uml:Property' xmi:id='ctx_drag' name='drag' type='Drag' "
               "aggregation='composite'/><ownedAttribute xmi:type='uml:Property' xmi:id='ctx_ro' name='air density'>"
               "<defaultValue xmi:type='uml:LiteralReal' xmi:id='ro_d' value='1.2'/></ownedAttribute>"
               + connectors + "</packagedElement>")
    nested = [f"<sysml:NestedConnectorEnd xmi:id='n{n}' base_ConnectorEnd='c{n}a' propertyPath='ctx_car'/>"
              for n in range(4)]
    stereotypes = ["<sysml:Block xmi:id='s1' base_Class='Ctx'/>", "<sysml:Block xmi:id='s2' base_Class='Car'/>",
                   "<sysml:ConstraintBlock xmi:id='s3' base_Class='Drag'/>", *nested,
                   *(f"<sysml:BindingConnector xmi:id='bc{n}' base_Connector='c{n}'/>" for n in (0, 1, 2, 3, 9))]
    results = run(write(tmp_path, "drag.xmi", cameo("drag", [drag, car, context], stereotypes)))
    assert results["car.drag force"][0, 0] == pytest.approx(324.0)


def train(tmp_path: Path, dt: str = "0.5") -> Path:
    values = [value("v", "speed", "0"), value("tr", "traction", "1000"), value("res", "resistance", "200"),
              value("m", "mass", "400"), value("dt", "dt", dt), part("mo", "motion", "Motion")]
    pairs = [("v", "M_in"), ("v", "M_out"), ("tr", "M_tr"), ("res", "M_res"), ("m", "M_m"), ("dt", "M_dt")]
    bindings = [connector(f"b{n}", (a, None), (b, "mo")) for n, (a, b) in enumerate(pairs)]
    motion = block("Motion", "Motion",
                   constraint("M_c", "speed_out = speed_in + (traction - resistance)/m * dt"),
                   *(value(f"M_{k}", n) for k, n in (("in", "speed_in"), ("out", "speed_out"), ("tr", "traction"),
                                                     ("res", "resistance"), ("m", "m"), ("dt", "dt"))))
    stereotypes = [stereotype("Blocks:Block", "Train", "s1"), stereotype("ConstraintBlocks:ConstraintBlock", "Motion",
                                                                          "s2")]
    return write(tmp_path, "train.uml", papyrus("train", [block("Train", "Train", *values, *bindings), motion],
                                                stereotypes))


def test_update_with_dt_is_a_discrete_state_on_the_run_grid(tmp_path: Path) -> None:
    """a = (1000 - 200) / 400 = 2: speed(t) = 2 t, stepped every dt = 0.5 (the dt value's default)."""
    compiled = solvers.load(train(tmp_path))
    assert compiled.sim_spec.dt == 0.5
    results = compiled.run(stop=10)
    np.testing.assert_allclose(results.time[:3], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(results["speed"][:, 0], 2.0 * results.time)
    assert "traction" in compiled.parameters and "speed" not in compiled.parameters


def test_discrete_loop_through_several_constraints_heats_the_kettle() -> None:
    """ElectricKettle: current_temperature feeds the heat-loss and final-heat constraints and comes back
    through min(target, …): a state stepped with the run's dt. First step by hand:
    T1 = 0 + (2400 - 40 * A * (0 - 20)) / (4200 * 1000 * V) * 1 with A = 2 pi r (r + h), V = pi r^2 h."""
    model, report = load(KETTLE)
    assert any("state machines are not executed" in e.reason for e in report.entries)
    compiled = solvers.compile(model)
    with pytest.raises(ModelError, match="no value for .*water_height"):
        compiled.run()
    results = compiled.run(params={"water_height": 0.2, "environment_temperature": 20.0}, stop=400)
    r, h = 0.04, 0.2
    area, volume = 2 * math.pi * r * (r + h), math.pi * r * r * h
    first = (2400 - 40 * area * (0 - 20)) / (4200 * 1000 * volume)
    temperature = results["current_temperature"][:, 0]
    assert temperature[1] == pytest.approx(first)
    assert temperature.max() == pytest.approx(100.0)  # held at the target by min(target_temp, max_temp)
    assert np.all(np.diff(temperature) >= 0)
    assert results["display_flash"][0, 0] == 0.0  # current_state is "OFF": the text comparison is folded


def test_table_lookups_one_and_two_dimensional(tmp_path: Path) -> None:
    """interp1 at 15 between (10, 0.4) and (20, 0.6) is 0.5; interpn over V = [[0, 1], [2, 3]] on axes
    (0, 1) x (0, 2) at (0.5, 1) is 0.25 (0 + 1 + 2 + 3) = 1.5."""
    body = "cd = interp1([0 10 20], [0.3, 0.4, 0.6], speed)\nz = interpn([0, 1], [0, 2], [0 1; 2 3], x, y)"
    path = one_block(tmp_path, body, value("s", "speed", "15"), value("cd", "cd"), value("x", "x", "0.5"),
                     value("y", "y", "1"), value("z", "z"))
    compiled = solvers.load(path)
    results = compiled.run()
    assert results["cd"][0, 0] == pytest.approx(0.5)
    assert results["z"][0, 0] == pytest.approx(1.5)
    with pytest.raises(Exception, match="not a number"):  # MATLAB's interp1 gives NaN outside the table
        compiled.run(params={"speed": 25.0})


def test_bound_values_with_different_defaults_are_refused(tmp_path: Path) -> None:
    path = one_block(tmp_path, "y = 2 * x", value("x", "x", "1"), value("y", "y"), value("x2", "x copy", "2"),
                     connector("b", ("x", None), ("x2", None)))
    model, _ = load(path)
    with pytest.raises(ModelError, match="different defaults"):
        solvers.compile(model)


def test_ports_carry_values_into_constraints(tmp_path: Path) -> None:
    """A flow port of the context delegates to a part's port, which a constraint of that part reads."""
    inner = block("Heater", "Heater", port("h_in", "power_in"), value("h_eff", "efficiency", "0.9"),
                  value("h_out", "heat"), constraint("hc", "heat = efficiency * power_in"))
    outer = block("House", "House", value("supply", "supply", "1000"), part("heater", "heater", "Heater"),
                  connector("d", ("supply", None), ("h_in", "heater")))
    stereotypes = [stereotype("Blocks:Block", "House", "s1"), stereotype("Blocks:Block", "Heater", "s2")]
    results = run(write(tmp_path, "house.uml", papyrus("house", [inner, outer], stereotypes)))
    assert results["heater.heat"][0, 0] == pytest.approx(900.0)


def test_cli_sets_values_by_their_path_with_or_without_the_root(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    path = write(tmp_path, "newton.uml", newton())
    for name in ("mass", "Vehicle.mass"):
        out = tmp_path / f"{name}.csv"
        assert main(["run", str(path), "--set", f"{name}=1000", "--out", str(out)]) == 0
        header, row = out.read_text().splitlines()
        assert dict(zip(header.split(","), row.split(","), strict=True))["force"] == "2000.0"
    assert main(["run", str(write(tmp_path, "free.uml", newton(acceleration=None)))]) == 1
    assert "no value for acceleration" in capsys.readouterr().err


def test_equations_that_repeat_each_other_are_refused_not_solved_anywhere(tmp_path: Path) -> None:
    path = one_block(tmp_path, "p = rho * R * T\np = rho * R * T", value("p", "p"), value("rho", "rho"),
                     value("R", "R", "287"), value("T", "T", "300"))
    compiled = solvers.load(path)
    with pytest.raises(SimulationError, match="do not determine .*: they depend on one another"):
        compiled.run()


def test_cli_runs_the_kettle_and_says_what_it_leaves_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    out = tmp_path / "kettle.csv"
    code = main(["run", str(KETTLE), "--set", "water_height=0.2", "--set", "environment_temperature=20",
                 "--stop", "200", "--out", str(out)])
    assert code == 0 and out.read_text().startswith("time,")
    assert "state machines are not executed" in capsys.readouterr().err


def test_der_integrates_and_previous_reads_the_last_step(tmp_path: Path) -> None:
    """der(v) = -k * v is a stock: Euler with dt 0.5 from 10 gives 10, 7.5, 5.625; n = previous(n) + 1
    starts from its default: 1, 2, 3."""
    path = one_block(tmp_path, "der(v) = -k * v\nn = previous(n) + 1", value("v", "v", "10"), value("k", "k", "0.5"),
                     value("n", "n", "0"), value("dt", "dt", "0.5"))
    results = solvers.load(path).run(stop=2)
    np.testing.assert_allclose(results["v"][:3, 0], [10.0, 7.5, 5.625])
    np.testing.assert_allclose(results["n"][:3, 0], [1.0, 2.0, 3.0])
    rk4 = solvers.load(path).run(stop=2, method="rk4", dt=0.01)
    assert rk4["v"][-1, 0] == pytest.approx(10 * math.exp(-1.0), rel=1e-6)
