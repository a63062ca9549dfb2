"""Analytic Jacobians for BDF and Radau."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import solvers
from metamodel.elements import Aux, GraphicalFunction

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def finite_difference(compiled: solvers.CompiledModel, y: np.ndarray, par: list) -> np.ndarray:
    """The Jacobian of the stocks' rates estimated by central differences through the generated rhs."""
    namespace = compiled._namespace(compiled._setup({}, None, "bdf", None, None, None, None, None, None), None,
                                    False)
    n = y.size

    def rates(state: np.ndarray) -> np.ndarray:
        derivative = np.empty((n, 1))
        namespace["_rhs"](0.0, state.reshape(n, 1), [], derivative, None, par)
        return derivative.ravel()

    columns = []
    for i in range(n):
        step = np.zeros(n)
        step[i] = 1e-6 * max(1.0, abs(y[i]))
        columns.append((rates(y + step) - rates(y - step)) / (2 * step[i]))
    return np.array(columns).T


def test_predator_prey_jacobian_matches_finite_differences() -> None:
    compiled = solvers.load(SAMPLES / "predator_prey.salver")
    jacobian = compiled.jacobian()
    assert jacobian is not None
    y = np.array([12.0, 7.0])
    par = [np.float64(v) for v in compiled.layout.parameter_defaults]
    np.testing.assert_allclose(jacobian(0.0, y, par), finite_difference(compiled, y, par), rtol=1e-6)


def test_batched_jacobian_is_block_diagonal_in_state_order() -> None:
    compiled = solvers.load(SAMPLES / "predator_prey.salver")
    jacobian = compiled.jacobian()
    par = [np.float64(v) for v in compiled.layout.parameter_defaults]
    prey, predators = np.array([10.0, 20.0]), np.array([5.0, 3.0])
    matrix = jacobian(0.0, np.concatenate([prey, predators]), par).toarray()  # stock-major: prey runs first
    for run in range(2):
        single = jacobian(0.0, np.array([prey[run], predators[run]]), par)
        rows = [run, 2 + run]
        np.testing.assert_allclose(matrix[np.ix_(rows, rows)], single)
    assert matrix[0, 1] == 0 and matrix[0, 3] == 0


def test_stiff_solvers_agree_with_rk4() -> None:
    compiled = solvers.load(SAMPLES / "predator_prey.salver")
    reference = compiled.run(method="rk4", dt=0.001, stop=10)["Prey"][-1, 0]
    for method in ("bdf", "radau"):
        assert abs(compiled.run(method=method, stop=10)["Prey"][-1, 0] - reference) < 1e-3 * abs(reference)


def test_lookup_in_a_rate_means_no_analytic_jacobian() -> None:
    compiled_model = solvers.load(SAMPLES / "teacup.salver").model
    compiled_model.add(Aux("effect", "effect", gf=GraphicalFunction(ypts=[0, 1], xscale=(0, 200))))
    flow = compiled_model.find("Heat Loss to Room")
    flow.equation = f"({flow.equation}) * effect(Teacup Temperature)"
    compiled = solvers.compile(compiled_model)
    assert compiled.jacobian() is None
    assert compiled.run(method="bdf")["Teacup Temperature"][-1, 0] < 180
