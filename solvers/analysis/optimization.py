"""Bounded optimisation over model constants, and policy optimisation (``salver optimize``).

Candidates are evaluated in batches: one vectorized run of all candidates at once (a differential
evolution generation, a finite-difference Jacobian), single runs where the method is sequential
(Powell). A candidate whose run fails (a division by zero at some parameter values) scores as the
worst possible, so the search moves away from it instead of stopping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from metamodel.errors import SimulationError
from solvers.analysis.chunks import run_options
from solvers.analysis.parameters import AnalysisError, RequestError, resolve_parameters, resolve_variable
from solvers.analysis.statistics import parse_statistic, reduce_runs
from solvers.results import Results

if TYPE_CHECKING:
    from solvers.model_run import CompiledModel

OPTIMIZERS = ("powell", "de")
_ALIASES = {"differential_evolution": "de", "differential-evolution": "de"}

FAILED = 1e300  # the objective of a failed run: worse than any real one, finite for the optimisers
Batch = Callable[[np.ndarray], np.ndarray]  # candidates (k, p) -> objective values (k,)


@dataclass
class Outcome:
    """Where a minimisation ended: the best point, its value, runs used and the optimiser's message."""

    x: np.ndarray
    value: float
    evaluations: int
    success: bool
    message: str


def optimizer_name(method: str, allowed: Sequence[str] = OPTIMIZERS) -> str:
    name = _ALIASES.get(method.lower().replace(" ", "_"), method.lower())
    if name not in allowed:
        raise RequestError(f"unknown method '{method}'; use one of {', '.join(allowed)}")
    return name


class BatchRunner:
    """Runs candidate parameter vectors of the constants ``names`` as one vectorized run per batch."""

    def __init__(self, compiled: CompiledModel, names: Sequence[str], options: Mapping[str, Any]) -> None:
        self.compiled = compiled
        self.names = list(names)
        self.options = run_options(options)
        self.runs = 0

    def run(self, candidates: np.ndarray) -> Results:
        """Results of every candidate (rows of ``candidates``) in one run; SimulationError if a run fails."""
        candidates = np.atleast_2d(np.asarray(candidates, dtype=float))
        self.runs += len(candidates)
        params = {name: candidates[:, i].copy() for i, name in enumerate(self.names)}
        return self.compiled.run(params=params, runs=len(candidates), **self.options)

    def evaluate(self, candidates: np.ndarray, score: Callable[[Results], np.ndarray],
                 shape: tuple[int, ...] = ()) -> np.ndarray:
        """``score(results)`` (``shape`` numbers per candidate); NaN for a candidate whose run fails."""
        candidates = np.atleast_2d(np.asarray(candidates, dtype=float))
        try:
            results = self.run(candidates)
        except SimulationError:
            if len(candidates) == 1:
                return np.full((1, *shape), math.nan)
            return np.concatenate([self.evaluate(c[None], score, shape) for c in candidates])  # find the one
        values = np.asarray(score(results), dtype=float)
        return np.where(np.isfinite(values), values, math.nan)


def penalized(values: np.ndarray) -> np.ndarray:
    """Objective values to minimise, with failed candidates (NaN) as the worst finite value."""
    return np.where(np.isnan(values), FAILED, values)


def minimize(objective: Batch, x0: np.ndarray, bounds: Sequence[tuple[float, float]], method: str,
             seed: int | None = None, max_runs: int = 200_000) -> Outcome:
    """Minimise ``objective`` within ``bounds`` with Powell (from ``x0``) or differential evolution."""
    from scipy import optimize

    count = [0]

    def one(x: np.ndarray) -> float:
        count[0] += 1
        return float(objective(np.asarray(x)[None, :])[0])

    if method == "powell":
        found = optimize.minimize(one, x0, method="Powell", bounds=bounds,
                                  options={"xtol": 1e-8, "ftol": 1e-12, "maxfev": max_runs})
        return Outcome(np.asarray(found.x), float(found.fun), count[0], bool(found.success), str(found.message))

    def many(x: np.ndarray) -> np.ndarray | float:
        if x.ndim == 1:
            return one(x)
        count[0] += x.shape[1]
        return objective(x.T)

    dimension = len(bounds)
    population = max(15, 5 * dimension)
    generations = max(10, max_runs // (population * dimension) - 1)
    found = optimize.differential_evolution(many, bounds, x0=x0, vectorized=True, updating="deferred", seed=seed,
                                            popsize=population, maxiter=generations, tol=1e-8, polish=False)
    return Outcome(np.asarray(found.x), float(found.fun), count[0], bool(found.success), str(found.message))


def start_point(compiled: CompiledModel, names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """The model's own values of ``names``, moved inside the bounds (to the middle when outside)."""
    defaults = compiled.parameters
    return np.array([defaults[n] if low <= defaults[n] <= high else (low + high) / 2
                     for n, (low, high) in zip(names, bounds, strict=True)])


@dataclass
class Optimization:
    """The best policy found: parameter values, the payoff there, and how the search went."""

    parameters: dict[str, float]
    payoff: float
    method: str
    runs: int
    success: bool
    message: str
    terms: dict[str, float] = field(default_factory=dict)
    statistic: str | float = "final"

    def to_json(self) -> dict[str, Any]:
        return {"parameters": self.parameters, "payoff": self.payoff, "method": self.method, "runs": self.runs,
                "converged": self.success, "message": self.message, "payoff_terms": self.terms,
                "statistic": self.statistic}


def optimize(compiled: CompiledModel, policy: Mapping[str, tuple[float, float]], payoff: Mapping[str, float],
             statistic: str | float = "final", maximize: bool = True, optimizer: str = "powell",
             seed: int | None = None, **options: Any) -> Optimization:
    """Choose the constants of ``policy`` (name -> (low, high)) that maximise (or minimise) the payoff
    ``sum(weight * statistic(variable))`` over ``payoff`` (variable -> weight) with the ``optimizer``
    ``powell`` or ``de``; ``options`` are run options (the integration ``method``, ``stop``…)."""
    method = optimizer_name(optimizer)
    names = resolve_parameters(compiled, policy)
    bounds = [_bounds(name, policy[key]) for name, key in zip(names, policy, strict=True)]
    if not payoff:
        raise RequestError("no payoff: name at least one variable (and its weight) to optimise")
    terms = {resolve_variable(compiled, v): float(w) for v, w in payoff.items()}
    if not all(math.isfinite(w) for w in terms.values()):
        raise RequestError("payoff weights must be finite numbers")
    which = parse_statistic(statistic)
    sign = -1.0 if maximize else 1.0
    runner = BatchRunner(compiled, names, options)

    def score(results: Results) -> np.ndarray:
        return sum(w * reduce_runs(results[v], results.time, which) for v, w in terms.items())  # type: ignore[return-value]

    def objective(candidates: np.ndarray) -> np.ndarray:
        return penalized(sign * runner.evaluate(candidates, score))

    found = minimize(objective, start_point(compiled, names, bounds), bounds, method, seed)
    if found.value >= FAILED:
        raise AnalysisError("every policy tried failed to run; check the bounds")
    return Optimization(dict(zip(names, map(float, found.x), strict=True)), sign * found.value, method,
                        runner.runs, found.success, found.message, terms, which)


def _bounds(name: str, value: Any) -> tuple[float, float]:  # noqa: ANN401 - a pair from the caller
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise RequestError(f"'{name}': bounds must be a pair (low, high), got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise RequestError(f"'{name}': bounds need finite low < high, got ({low:g}, {high:g})")
    return low, high
