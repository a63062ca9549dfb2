"""Global sensitivity indices (SALib): known answers on a linear model, SIR, imported models, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import solvers
from metamodel.elements import Aux, SimSpec
from metamodel.model import Model
from solvers.analysis.indices import global_sensitivity
from solvers.analysis.parameters import AnalysisError, RequestError
from tests.paths import SD_MODELS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def linear_model() -> solvers.CompiledModel:
    """``y = a + 2 b + 0 c``: with a, b, c uniform on [0, 1], Sobol' S1 = (0.2, 0.8, 0)."""
    model = Model(name="linear", sim_spec=SimSpec(start=0, stop=1, dt=1))
    model.add(Aux("y", "y", equation="a + 2 * b + 0 * c"))
    for name in "abc":
        model.add(Aux(name, name, equation="0.5"))
    return solvers.compile(model)


UNIT = {"a": "uniform(0, 1)", "b": "uniform(0, 1)", "c": "uniform(0, 1)"}


def test_sobol_indices_of_a_linear_model_are_its_variance_shares() -> None:
    found = global_sensitivity(linear_model(), UNIT, "y", samples=1024, seed=1)
    assert found.runs == 1024 * 5
    assert found.values["a"]["S1"] == pytest.approx(0.2, abs=0.05)
    assert found.values["b"]["S1"] == pytest.approx(0.8, abs=0.05)
    assert found.values["c"]["ST"] == pytest.approx(0.0, abs=1e-9)
    assert found.values["b"]["ST"] == pytest.approx(0.8, abs=0.05)


def test_second_order_indices_of_an_additive_model_vanish() -> None:
    found = global_sensitivity(linear_model(), UNIT, "y", samples=512, seed=2, second_order=True)
    assert found.runs == 512 * 8
    assert found.second_order["a"]["b"] == pytest.approx(0.0, abs=0.1)


def test_morris_effects_of_a_linear_model_are_its_slopes_over_the_range() -> None:
    vary = {"a": "uniform(0, 1)", "b": "uniform(-1, 1)", "c": "uniform(0, 5)"}
    found = global_sensitivity(linear_model(), vary, "y", indices="morris", samples=20, seed=3)
    assert found.runs == 20 * 4
    assert found.values["a"]["mu_star"] == pytest.approx(1.0)  # slope 1 over a range of 1
    assert found.values["b"]["mu_star"] == pytest.approx(4.0)  # slope 2 over a range of 2
    assert found.values["c"]["mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert found.values["a"]["sigma"] == pytest.approx(0.0, abs=1e-9)


def test_indices_of_sir_rank_the_parameters_of_the_epidemic_peak() -> None:
    sir = solvers.load(SAMPLES / "sir.salver")
    vary = {"Contact Rate": "uniform(2, 6)", "Duration": "uniform(4.9, 5.1)"}
    found = global_sensitivity(sir, vary, "Infected", statistic="max", samples=256, seed=4)
    assert found.values["Contact Rate"]["ST"] > 0.9 > 0.1 > found.values["Duration"]["ST"]
    document = found.to_json()
    assert document["output"] == "Infected" and document["statistic"] == "max"


def test_indices_of_an_imported_vensim_model_at_a_time() -> None:
    teacup = solvers.load(SD_MODELS / "samples" / "teacup" / "teacup.mdl")
    vary = {"Characteristic Time": "uniform(5, 15)", "Room Temperature": "uniform(60, 80)"}
    found = global_sensitivity(teacup, vary, "Teacup Temperature", indices="morris", statistic=10, samples=10,
                               seed=5)
    assert found.values["Characteristic Time"]["mu_star"] > found.values["Room Temperature"]["mu_star"] > 0


def test_bad_index_requests_are_refused() -> None:
    model = linear_model()
    with pytest.raises(RequestError, match="power of two"):
        global_sensitivity(model, UNIT, "y", samples=100)
    with pytest.raises(RequestError, match="unknown indices"):
        global_sensitivity(model, UNIT, "y", indices="fast")
    with pytest.raises(RequestError, match="'z' is not a variable"):
        global_sensitivity(model, UNIT, "z")
    with pytest.raises(RequestError, match="unknown statistic"):
        global_sensitivity(model, UNIT, "y", statistic="median")
    with pytest.raises(RequestError, match="Morris levels"):
        global_sensitivity(model, UNIT, "y", indices="morris", levels=3)


def test_an_output_that_does_not_vary_is_an_error_not_zero_indices() -> None:
    with pytest.raises(AnalysisError, match="no variance"):
        global_sensitivity(linear_model(), {"c": "uniform(0, 1)"}, "y", samples=8)
