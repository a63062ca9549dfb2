"""Calibration and optimisation: known parameters recovered from the model's own data, intervals, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import solvers
from metamodel.errors import ParseError
from solvers.analysis.calibration import calibrate
from solvers.analysis.data import TimeSeries, load_data
from solvers.analysis.optimization import optimize
from solvers.analysis.parameters import RequestError
from tests.paths import SD_MODELS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TRUTH = {"Contact Rate": 3.3, "Duration": 4.2}
FIT = {"contact rate": (1.0, 6.0), "Duration": (1.0, 10.0)}


@pytest.fixture(scope="module")
def sir() -> solvers.CompiledModel:
    return solvers.load(SAMPLES / "sir.salver")


def observed(sir: solvers.CompiledModel, times: np.ndarray, noise: float = 0.0, seed: int = 0) -> TimeSeries:
    """Infected and Recovered of the SIR model at TRUTH, at ``times``, with Gaussian noise of sd ``noise``."""
    run = sir.run(params=TRUTH)
    rng = np.random.default_rng(seed)
    columns = {}
    for name in ("Infected", "Recovered"):
        values = np.interp(times, run.time, run[name][:, 0])
        columns[name] = values + rng.normal(0, noise, len(times)) if noise else values
    return TimeSeries(times, columns)


@pytest.mark.parametrize("method", ["least_squares", "powell", "de"])
def test_calibration_recovers_the_parameters_that_made_the_data(sir: solvers.CompiledModel, method: str) -> None:
    found = calibrate(sir, observed(sir, np.arange(0, 101, 4.0)), FIT, optimizer=method, seed=1)
    assert found.parameters["Contact Rate"] == pytest.approx(3.3, rel=1e-5)
    assert found.parameters["Duration"] == pytest.approx(4.2, rel=1e-5)
    assert found.payoff == pytest.approx(0.0, abs=1e-6)
    assert found.matched == {"Infected": "Infected", "Recovered": "Recovered"}


def test_data_between_time_steps_and_from_files_in_both_layouts(sir: solvers.CompiledModel, tmp_path: Path) -> None:
    data = observed(sir, np.array([0.0, 7.3, 15.1, 30.0, 61.7]))
    down = tmp_path / "down.csv"
    down.write_text("Time,infected,RECOVERED\n" + "".join(
        f"{t},{i},{r}\n" for t, i, r in zip(data.time.tolist(), data.columns["Infected"].tolist(),
                                            data.columns["Recovered"].tolist(), strict=True)))
    across = tmp_path / "across.tab"
    across.write_text("\n".join(["\t".join(["Time", *map(str, data.time.tolist())]),
                                 "\t".join(["Infected", *map(str, data.columns["Infected"].tolist())])]) + "\n")
    for path in (down, across):
        found = calibrate(sir, str(path), FIT)
        assert found.parameters["Duration"] == pytest.approx(4.2, rel=1e-3)  # linear between steps: near, not exact


def test_missing_values_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("time,A,B\n0,1,\n1,NA,2\n2,3,4\n")
    data = load_data(path)
    assert data.observations == 4 and math.isnan(data.columns["A"][1])


def test_jacobian_and_mcmc_intervals_hold_the_truth_for_noisy_data(sir: solvers.CompiledModel) -> None:
    data = observed(sir, np.arange(0, 101, 4.0), noise=4.0, seed=2)
    for intervals, extra in (("jacobian", {}), ("mcmc", {"mcmc_steps": 200})):
        found = calibrate(sir, data, FIT, weights={"Infected": 0.25, "Recovered": 0.25}, payoff="loglik",
                          intervals=intervals, seed=3, **extra)
        for name, truth in TRUTH.items():
            low, high = found.intervals[name]
            assert low < truth < high and high - low < 0.2 * truth, (intervals, name, low, high)


def test_loglik_payoff_is_the_gaussian_log_likelihood(sir: solvers.CompiledModel) -> None:
    data = observed(sir, np.arange(0, 101, 10.0), noise=2.0, seed=4)
    weight = 0.5
    found = calibrate(sir, data, FIT, weights={"infected": weight, "recovered": weight}, payoff="loglik",
                      intervals="none")
    run = found.fit
    residuals = np.concatenate([np.interp(data.time, run.time, run[n][:, 0]) - data.columns[n]
                                for n in ("Infected", "Recovered")])
    sd = 1 / weight
    expected = np.sum(-0.5 * (residuals / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi))
    assert found.payoff == pytest.approx(expected, rel=1e-6)
    sse = calibrate(sir, data, FIT, intervals="none")
    assert sse.payoff == pytest.approx(-np.sum(residuals**2), rel=1e-4)


def test_parameters_the_data_cannot_separate_get_no_interval(sir: solvers.CompiledModel) -> None:
    found = calibrate(sir, observed(sir, np.arange(0, 101, 5.0), noise=1.0),
                      {"Contact Rate": (1, 6), "Infectivity": (0.01, 0.5)})
    assert found.intervals == {"Contact Rate": None, "Infectivity": None}
    assert any("not separately identifiable" in note for note in found.notes)


def test_calibration_of_the_vensim_teacup_to_its_reference_output() -> None:
    """The suite's reference output was written by Vensim with Characteristic Time = 10."""
    teacup = solvers.load(SD_MODELS / "samples" / "teacup" / "teacup.mdl")
    reference = load_data(SD_MODELS / "samples" / "teacup" / "output.csv")
    data = TimeSeries(reference.time, {"Teacup Temperature": reference.columns["Teacup Temperature"]})
    found = calibrate(teacup, data, {"Characteristic Time": (1, 30)})
    assert found.parameters["Characteristic Time"] == pytest.approx(10, rel=1e-4)


@pytest.mark.parametrize(("text", "message"), [
    ("", "no data"),
    ("Time,Infected\n", "no data"),
    ("Time,Infected\n0,\n1,\n", "every cell after Time is empty"),
    ("When,Infected\n0,1\n", "first cell must be 'Time'"),
    ("Time,Infected\n0,1\n1,abc\n", "'abc' is not a number"),
    ("Time,Infected\n1,1\n0,2\n", "times must increase"),
    ("Time,Infected,infected\n0,1,2\n", "name the same variable"),
])
def test_unreadable_data_files_say_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ParseError, match=message):
        load_data(path)


def test_bad_calibration_requests_are_refused(sir: solvers.CompiledModel) -> None:
    data = observed(sir, np.arange(0, 50, 10.0))
    with pytest.raises(RequestError, match="data column 'Sick' matches no variable"):
        calibrate(sir, TimeSeries(data.time, {"Sick": data.columns["Infected"]}), FIT)
    with pytest.raises(RequestError, match="outside the run"):
        calibrate(sir, TimeSeries(np.array([0.0, 150.0]), {"Infected": np.array([1.0, 2.0])}), FIT)
    with pytest.raises(RequestError, match="must be a positive number"):
        calibrate(sir, data, FIT, weights={"Infected": -1})
    with pytest.raises(RequestError, match="not a column of the data"):
        calibrate(sir, data, FIT, weights={"Susceptible": 1})
    with pytest.raises(RequestError, match="is not in the model"):
        calibrate(sir, data, {"Contact": (1, 2)})
    with pytest.raises(RequestError, match="finite low < high"):
        calibrate(sir, data, {"Contact Rate": (2, 1)})
    with pytest.raises(RequestError, match="unknown method"):
        calibrate(sir, data, FIT, optimizer="newton")


def test_optimize_finds_the_policy_of_a_known_optimum(sir: solvers.CompiledModel) -> None:
    """Fewest recovered at the end (the smallest epidemic) is at the lowest contact rate allowed."""
    for method in ("powell", "de"):
        found = optimize(sir, {"Contact Rate": (1.5, 6)}, {"Recovered": 1.0}, maximize=False, optimizer=method, seed=1)
        assert found.parameters["Contact Rate"] == pytest.approx(1.5, abs=1e-3)
        assert found.payoff == pytest.approx(float(sir.run(params={"Contact Rate": 1.5})["Recovered"][-1, 0]),
                                             rel=1e-6)


def test_optimize_maximises_a_weighted_payoff_with_an_interior_optimum(sir: solvers.CompiledModel) -> None:
    """Payoff Recovered(final) - 60 * Duration peaks inside the range; checked against a fine scan."""
    duration = np.linspace(1, 10, 2001)
    scan = sir.run(params={"Duration": duration})["Recovered"][-1] - 60 * duration
    weighted = optimize(sir, {"Duration": (1, 10)}, {"Recovered": 1.0, "Duration": -60.0}, optimizer="de", seed=2)
    assert weighted.payoff == pytest.approx(scan.max(), rel=1e-4)
    assert weighted.parameters["Duration"] == pytest.approx(duration[scan.argmax()], abs=0.02)


def test_optimize_survives_policies_whose_runs_fail() -> None:
    from metamodel.elements import Aux, SimSpec
    from metamodel.model import Model

    model = Model(name="pole", sim_spec=SimSpec(start=0, stop=1, dt=1))
    model.add(Aux("y", "y", equation="-(x - 2) * (x - 2) + 0 * SQRT(x - 1) + 5"))  # no number below x = 1
    model.add(Aux("x", "x", equation="0"))
    found = optimize(solvers.compile(model), {"x": (0.5, 4)}, {"y": 1.0}, optimizer="de", seed=1)
    assert found.parameters["x"] == pytest.approx(2, abs=1e-3)
