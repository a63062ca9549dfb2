"""The execution engine: compile, integrate, parameters and runs, builtins, faults."""

from __future__ import annotations

import math

import numpy as np
import pytest

import solvers
from metamodel.elements import Aux, Dimension, Flow, GraphicalFunction, SimSpec, Stock
from metamodel.errors import ModelError, SimulationError
from metamodel.model import Model


def growth_model(rate: str = "0.1", method: str = "euler", dt: float = 0.25, stop: float = 10) -> Model:
    model = Model(name="growth", sim_spec=SimSpec(start=0, stop=stop, dt=dt, method=method))
    model.add(Stock("pop", "Population", equation="100", inflows=["births"]))
    model.add(Flow("births", "Births", equation="Population * Growth Rate"))
    model.add(Aux("rate", "Growth Rate", equation=rate))
    return model


def with_aux(equation: str, *extra: tuple[str, str], stop: float = 10, dt: float = 1.0) -> Model:
    """A model with one aux ``x`` of the given equation, a clock stock and extra auxes (name, equation)."""
    model = Model(name="t", sim_spec=SimSpec(start=0, stop=stop, dt=dt))
    model.add(Aux("x", "x", equation=equation))
    for name, text in extra:
        model.add(Aux(name, name, equation=text))
    return model


def run_x(equation: str, *extra: tuple[str, str], **spec: float) -> np.ndarray:
    return solvers.compile(with_aux(equation, *extra, **spec)).run()["x"][:, 0]


# -- integration --------------------------------------------------------------------------------------------
def test_euler_matches_the_recurrence_step_by_step() -> None:
    results = solvers.compile(growth_model()).run()
    expected = 100 * (1 + 0.1 * 0.25) ** np.arange(41)
    assert results.time[-1] == 10
    np.testing.assert_allclose(results["population"][:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(results["births"][:, 0], expected * 0.1, rtol=1e-12)


@pytest.mark.parametrize("method, tolerance", [("rk2", 2e-4), ("rk4", 1e-7), ("rk45", 1e-5), ("lsoda", 1e-5),
                                               ("bdf", 1e-4), ("radau", 1e-5)])
def test_higher_order_methods_approach_the_exact_solution(method: str, tolerance: float) -> None:
    results = solvers.compile(growth_model(method=method)).run()
    exact = 100 * np.exp(0.1 * results.time)
    np.testing.assert_allclose(results["population"][:, 0], exact, rtol=tolerance)


def test_save_period_thins_the_output_grid() -> None:
    results = solvers.compile(growth_model()).run(save_per=2.5)
    np.testing.assert_allclose(results.time, [0, 2.5, 5, 7.5, 10])


def test_run_overrides_times_and_method() -> None:
    results = solvers.compile(growth_model()).run(stop=5, dt=0.5, method="rk4")
    assert results.time[-1] == 5 and len(results.time) == 11
    assert results.metadata["method"] == "rk4"


# -- runs and parameters -------------------------------------------------------------------------------------
def test_parameter_array_makes_runs_equal_to_single_runs() -> None:
    compiled = solvers.compile(growth_model())
    rates = np.array([0.05, 0.1, 0.2])
    batch = compiled.run(params={"growth rate": rates})
    assert batch.runs == 3 and batch["population"].shape == (41, 3)
    for column, rate in enumerate(rates):
        single = compiled.run(params={"Growth_Rate": rate})
        np.testing.assert_allclose(batch["population"][:, column], single["population"][:, 0], rtol=1e-12)


def test_runs_without_arrays_repeat_the_defaults() -> None:
    results = solvers.compile(growth_model()).run(runs=4)
    assert results["population"].shape == (41, 4)
    assert np.ptp(results["population"][-1]) == 0


def test_parameters_lists_constants_with_defaults() -> None:
    compiled = solvers.compile(growth_model())
    assert compiled.parameters == {"Growth Rate": 0.1}
    assert set(compiled.variables) == {"Population", "Births", "Growth Rate"}


@pytest.mark.parametrize("params, message", [
    ({"nope": 1.0}, "unknown parameter 'nope'"),
    ({"growth rate": [[1, 2]]}, "1-D array"),
])
def test_bad_parameters_are_named(params: dict, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        solvers.compile(growth_model()).run(params=params)


def test_parameter_arrays_of_different_lengths_are_refused() -> None:
    model = growth_model()
    model.add(Aux("other", "Other", equation="3"))
    with pytest.raises(ModelError, match="different lengths"):
        solvers.compile(model).run(params={"growth rate": [0.1, 0.2], "other": [1, 2, 3]})


@pytest.mark.parametrize("kwargs", [{"method": "magic"}, {"dt": 0}, {"stop": -5}])
def test_bad_run_options_are_refused(kwargs: dict) -> None:
    with pytest.raises(ModelError):
        solvers.compile(growth_model()).run(**kwargs)


# -- builtins -------------------------------------------------------------------------------------------------
def test_time_step_ramp_and_pulses() -> None:
    assert list(run_x("STEP(2, 3)")) == [0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2]
    assert list(run_x("RAMP(1, 2, 5)")) == [0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3]
    assert list(run_x("PULSE(4, 2, 3)")) == [0, 0, 4, 0, 0, 4, 0, 0, 4, 0, 0]
    assert list(run_x("VENSIM_PULSE(2, 3)")) == [0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert list(run_x("TIME * DT + STARTTIME + STOPTIME"))[:2] == [10, 11]


def test_math_logic_and_division_helpers() -> None:
    values = run_x("IF TIME > 4 AND NOT (TIME >= 8) THEN MAX(TIME, 2) MOD 3 ELSE ZIDZ(1, 0) + XIDZ(1, 0, 7)")
    assert list(values) == [7, 7, 7, 7, 7, 2, 0, 1, 7, 7, 7]
    assert run_x("-2^2")[0] == -4
    assert run_x("2^3^2")[0] == 512
    assert run_x("MODULO(-7, 3) + INTEGER(-2.5) * 10 + INT(-2.5) * 100")[0] == -1 - 20 - 300
    assert run_x("SAFEDIV(1, 0, 5) + ABS(-1) + SQRT(16) + EXP(0) + LN(1) + LOG10(100)")[0] == 13


def test_graphical_function_types() -> None:
    table = {"xpts": [0, 1, 2], "ypts": [0, 10, 5]}
    for kind, expected in (("continuous", [0, 0, 5, 10, 7.5, 5]), ("extrapolate", [-5, 0, 5, 10, 7.5, 5]),
                           ("discrete", [0, 0, 0, 10, 10, 5])):
        model = Model(sim_spec=SimSpec(0, 5, 1))
        model.add(Aux("g", "g", gf=GraphicalFunction(type=kind, **table)))
        model.add(Aux("x", "x", equation="g(TIME / 2 - 0.5)"))
        assert list(solvers.compile(model).run()["x"][:, 0]) == expected, kind


def test_lookup_with_evenly_spread_x_values_and_an_input_equation() -> None:
    model = Model(sim_spec=SimSpec(0, 4, 1))
    model.add(Aux("g", "effect", equation="TIME", gf=GraphicalFunction(ypts=[0, 1, 4], xscale=(0, 4))))
    assert list(solvers.compile(model).run()["effect"][:, 0]) == [0, 0.5, 1, 2.5, 4]


def test_smooth_follows_its_input_exponentially() -> None:
    values = run_x("SMTH1(input, 4, 0)", ("input", "STEP(10, 0)"), dt=0.25, stop=20)
    expected = 10 * (1 - (1 - 0.25 / 4) ** np.arange(81))
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_third_order_smooth_and_delays_settle_at_the_input() -> None:
    for equation in ("SMTH3(5, 2)", "SMTHN(5, 2, order)", "DELAY1(5, 2)", "DELAY3(5, 2)", "DELAYN(5, 2, order)"):
        values = run_x(equation, ("order", "4"), dt=0.125)
        assert values[-1] == pytest.approx(5), equation


def test_material_delay_conserves_what_goes_in() -> None:
    model = Model(sim_spec=SimSpec(0, 60, 0.125))
    model.add(Stock("out", "delivered", equation="0", inflows=["o"]))
    model.add(Flow("o", "outflow", equation="DELAY3(input, 5, 0)"))
    model.add(Aux("i", "input", equation="PULSE(80, 1)"))
    results = solvers.compile(model).run()
    assert results["delivered"][-1, 0] == pytest.approx(80, rel=1e-3)


def test_fixed_delay_previous_and_init() -> None:
    values = run_x("DELAY_FIXED(TIME * 10, 3, -1)")
    assert list(values) == [-1, -1, -1, 0, 10, 20, 30, 40, 50, 60, 70]
    assert list(run_x("PREVIOUS(TIME, 42)"))[:4] == [42, 0, 1, 2]
    assert list(run_x("INIT(TIME + 5)"))[-1] == 5
    assert list(run_x("DELAY(TIME, 2)"))[:5] == [0, 0, 0, 1, 2]


def test_sample_if_true_holds_the_last_sample() -> None:
    values = run_x("SAMPLE_IF_TRUE(TIME MOD 3 = 0, TIME, -5)")
    assert list(values) == [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9]


def test_trend_of_exponential_growth_approaches_the_growth_rate() -> None:
    values = run_x("TREND(EXP(0.05 * TIME), 2, 0.05)", stop=60, dt=0.125)
    assert values[-1] == pytest.approx(0.05, rel=0.05)


def test_random_functions_are_reproducible_with_a_seed() -> None:
    compiled = solvers.compile(with_aux("UNIFORM(0, 1) + NORMAL(0, 1)"))
    first = compiled.run(seed=7, runs=5)["x"]
    assert np.array_equal(first, compiled.run(seed=7, runs=5)["x"])
    assert not np.array_equal(first, compiled.run(seed=8, runs=5)["x"])
    assert np.unique(first[:, 0]).size > 1


def test_active_initial_uses_its_initial_value_only_while_initialising() -> None:
    model = Model(sim_spec=SimSpec(0, 3, 1))
    model.add(Stock("s", "s", equation="a", inflows=["f"]))
    model.add(Flow("f", "f", equation="1"))
    model.add(Aux("a", "a", equation="ACTIVE_INITIAL(s * 2, 10)"))
    results = solvers.compile(model).run()
    assert list(results["s"][:, 0]) == [10, 11, 12, 13]
    assert list(results["a"][:, 0]) == [20, 22, 24, 26]


# -- stocks and flows ------------------------------------------------------------------------------------
def test_non_negative_stock_and_uniflow() -> None:
    model = Model(sim_spec=SimSpec(0, 5, 1))
    model.add(Stock("s", "s", equation="3", outflows=["drain"], non_negative=True))
    model.add(Stock("t", "t", equation="0", inflows=["back"]))
    model.add(Flow("drain", "drain", equation="2"))
    model.add(Flow("back", "back", equation="TIME - 2", non_negative=True))
    results = solvers.compile(model).run()
    assert list(results["s"][:, 0]) == [3, 1, 0, 0, 0, 0]
    assert list(results["back"][:, 0]) == [0, 0, 0, 1, 2, 3]


# -- arrays ---------------------------------------------------------------------------------------------
def test_arrays_apply_to_all_per_element_and_aggregates() -> None:
    model = Model(sim_spec=SimSpec(0, 1, 1), dimensions=[Dimension("region", ["north", "south"]),
                                                        Dimension("age", ["young", "old"])])
    model.add(Aux("p", "pop", equation="10", dimensions=["region", "age"], element_equations={"south,old": "40"}))
    model.add(Aux("w", "weight", equation="2", dimensions=["age"]))
    model.add(Aux("t", "total", equation="SUM(pop[*, *])"))
    model.add(Aux("r", "per region", equation="SUM(pop[region, *] * weight[*])", dimensions=["region"]))
    model.add(Aux("n", "north old", equation="pop[north, old] + pop[2, 1]"))
    results = solvers.compile(model).run()
    assert results["pop[south,old]"][0, 0] == 40
    assert results["total"][0, 0] == 70
    assert results["per region[north]"][0, 0] == 40 and results["per region[south]"][0, 0] == 100
    assert results["north old"][0, 0] == 20


def test_an_array_where_a_number_is_needed_is_an_error() -> None:
    model = Model(dimensions=[Dimension("d", ["a", "b"])])
    model.add(Aux("p", "p", equation="1", dimensions=["d"]))
    model.add(Aux("x", "x", equation="p[*] + 1"))
    with pytest.raises(ModelError, match="array"):
        solvers.compile(model)


# -- model errors and run-time faults ------------------------------------------------------------------------
def test_algebraic_loop_names_its_members() -> None:
    model = with_aux("y + 1", ("y", "z * 2"), ("z", "x"))
    with pytest.raises(ModelError, match="algebraic loop") as caught:
        solvers.compile(model)
    assert {"x", "y", "z"} <= set(str(caught.value).replace(">", " ").split())
    assert caught.value.diagnostics[0].code == "SD005"


def test_undefined_name_and_syntax_error_are_diagnostics() -> None:
    with pytest.raises(ModelError) as caught:
        solvers.compile(with_aux("ghost + 1", ("bad", "1 +")))
    codes = {d.code for d in caught.value.diagnostics}
    assert codes == {"SD001", "SD002"}
    ghost = next(d for d in caught.value.diagnostics if d.code == "SD002")
    assert ghost.element_name == "x" and ghost.span == (0, 5)


def test_unknown_function_and_wrong_arity() -> None:
    with pytest.raises(ModelError, match="unknown function 'FROB'"):
        solvers.compile(with_aux("FROB(1)"))
    with pytest.raises(ModelError, match="SMTH1 takes 2 to 3 arguments"):
        solvers.compile(with_aux("SMTH1(1)"))


def test_division_by_zero_names_variable_and_time() -> None:
    with pytest.raises(SimulationError) as caught:
        solvers.compile(with_aux("1 / (TIME - 3)")).run()
    assert caught.value.variable == "x" and caught.value.time == 3


def test_overflow_in_a_batch_names_the_variable() -> None:
    model = growth_model(rate="rate2")
    model.add(Aux("r2", "rate2", equation="1"))
    with pytest.raises(SimulationError) as caught:
        solvers.compile(model).run(params={"rate2": [1.0, 400.0]}, stop=100)
    assert caught.value.variable in {"Population", "Births"}


def test_intermediate_infinity_is_ieee_like_the_reference_tools() -> None:
    assert list(run_x("1 / (2 + 1 / (TIME - 2))")[1:4]) == [1, 0, 1 / 3]


def test_names_never_reach_the_generated_code() -> None:
    model = Model(sim_spec=SimSpec(0, 1, 1))
    model.add(Aux("a", "__import__('os').system('echo hi')", equation="2"))
    model.add(Aux("b", "b", equation='"__import__(\'os\').system(\'echo hi\')" * 3'))
    compiled = solvers.compile(model)
    assert compiled.run()["b"][0, 0] == 6
    for program in compiled.programs.values():
        assert "import" not in program.source and "system" not in program.source


def test_progress_reports_fractions_up_to_one() -> None:
    seen: list[float] = []
    solvers.compile(growth_model()).run(progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 1 and seen == sorted(seen)


def test_results_csv_and_lookup_by_canonical_name(tmp_path) -> None:  # noqa: ANN001 - pytest fixture
    results = solvers.compile(growth_model()).run()
    path = tmp_path / "r.csv"
    assert results.to_csv(path) is None
    text = path.read_text()
    assert text == results.to_csv()
    header, first = text.splitlines()[:2]
    assert header.split(",")[0] == "time" and "Population" in header.split(",")
    assert float(first.split(",")[header.split(",").index("Population")]) == 100
    assert "POPULATION" in results and results.series("population")[0] == 100
    with pytest.raises(KeyError, match="no variable"):
        results["missing"]


@pytest.mark.parametrize("block", [1, 7, 1_000_000])
def test_results_csv_holds_every_value_exactly_whatever_the_block(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from solvers import results as results_module

    results = solvers.compile(growth_model(rate="0.1 + TIME / 3", dt=0.1)).run()
    monkeypatch.setattr(results_module, "CSV_BLOCK_VALUES", block)
    header, *rows = results.to_csv().splitlines()
    names = header.split(",")
    assert names == ["time", *results.names] and len(rows) == len(results.time)
    table = np.array([[float(v) for v in row.split(",")] for row in rows])
    np.testing.assert_array_equal(table[:, 0], results.time)
    for column, name in enumerate(results.names, start=1):
        np.testing.assert_array_equal(table[:, column], results[name][:, 0])  # shortest text, read back exactly


def test_results_to_pandas() -> None:
    import pandas
    results = solvers.compile(growth_model()).run(params={"growth rate": [0.1, 0.2]})
    long = results.to_pandas()
    assert isinstance(long, pandas.DataFrame) and len(long) == 2 * 41
    assert results.to_pandas(run=1)["Population"].iloc[-1] == pytest.approx(results["population"][-1, 1])


def test_load_and_simulate_any_file(tmp_path) -> None:  # noqa: ANN001 - pytest fixture
    from metamodel import io

    io.save(growth_model(), tmp_path / "g.salver")
    assert solvers.load(tmp_path / "g.salver").run()["population"][-1, 0] == pytest.approx(
        100 * 1.025 ** 40)
    assert solvers.simulate(tmp_path / "g.salver", stop=1)["population"].shape == (5, 1)
    assert math.isclose(solvers.simulate(tmp_path / "g.salver", stop=0.25)["population"][-1, 0], 102.5)


def test_graphical_function_without_points_is_a_model_error() -> None:
    model = Model(sim_spec=SimSpec(0, 1, 1))
    model.add(Aux("g", "empty table", equation="TIME", gf=GraphicalFunction(ypts=[])))
    with pytest.raises(ModelError, match="graphical function of 'empty table' has no points") as caught:
        solvers.compile(model)
    assert caught.value.diagnostics[0].code == "SD009"
