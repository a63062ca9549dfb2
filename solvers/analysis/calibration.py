"""Calibration: fit model constants to time-series data, with confidence intervals.

Data columns are matched to model variables by canonical name (as Vensim matches data variables);
the model is compared at the data's times (linear between the run's time steps). Each observation's
residual is ``weight * (model - data)``, the weight of a variable being one over its measurement
error's standard deviation, as in Vensim's calibration payoff. Two payoffs, both larger-is-better:

- ``sse``: minus the weighted sum of squared residuals (Vensim's calibration payoff);
- ``loglik``: the Gaussian log-likelihood with standard deviations ``1 / weight``.

Both have their optimum at the same parameters; they differ in the payoff reported and in what the
intervals assume. Methods: ``least_squares`` (scipy's trust-region reflective, Jacobian from one
vectorized run of ``p + 1`` runs), ``powell``, and ``de`` (differential evolution, one vectorized run
per generation, then least squares from its best point). Intervals: ``jacobian`` (the linearised
covariance at the optimum, with the residual variance estimated from the fit for ``sse`` and known
for ``loglik``), or ``mcmc`` (an emcee ensemble over the bounds, uniform prior, one vectorized run of
all walkers per step; the interval is the central part of the posterior sample).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from metamodel.names import canonical
from solvers.analysis.data import TimeSeries
from solvers.analysis.optimization import FAILED, BatchRunner, minimize, optimizer_name, penalized, start_point
from solvers.analysis.parameters import AnalysisError, RequestError, resolve_parameters
from solvers.results import Results

if TYPE_CHECKING:
    from solvers.model_run import CompiledModel

METHODS = ("least_squares", "powell", "de")
PAYOFFS = ("sse", "loglik")
INTERVALS = ("jacobian", "mcmc", "none")


@dataclass
class Calibration:
    """The fitted constants, the payoff at the fit, intervals, and the best-fit run beside the data."""

    parameters: dict[str, float]
    payoff: float
    payoff_kind: str
    intervals: dict[str, list[float] | None]
    interval_method: str
    method: str
    runs: int
    observations: int
    fit: Results
    data: TimeSeries
    matched: dict[str, str]  # data column -> model variable
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"parameters": self.parameters, "payoff": self.payoff, "intervals": self.intervals,
                "payoff_kind": self.payoff_kind, "interval_method": self.interval_method, "method": self.method,
                "runs": self.runs, "observations": self.observations, "matched": self.matched, "notes": self.notes}


class Residuals:
    """Weighted residuals of candidate parameter sets against the data, one vectorized run per batch."""

    def __init__(self, compiled: CompiledModel, data: TimeSeries, names: list[str],
                 weights: Mapping[str, float], options: Mapping[str, Any]) -> None:
        variables = {canonical(v): v for v in compiled.variables}
        self.matched: dict[str, str] = {}
        for column in data.columns:
            variable = variables.get(canonical(column))
            if variable is None:
                raise RequestError(f"data column '{column}' matches no variable of the model; variables are: "
                                    f"{', '.join(compiled.variables)}")
            self.matched[column] = variable
        self.weights = _weights(weights, data, self.matched)
        spec = compiled.sim_spec
        start, stop = options.get("start", spec.start), options.get("stop", spec.stop)
        outside = data.time[(data.time < start - 1e-9) | (data.time > stop + 1e-9)]
        if len(outside):
            raise RequestError(f"data at time {outside[0]:g} lies outside the run ({start:g} to {stop:g})")
        dt = options.get("dt", spec.dt)
        self.runner = BatchRunner(compiled, names, {**options, "save_per": dt})
        self.data = data
        self.columns = [(self.matched[c], np.flatnonzero(np.isfinite(v)), v[np.isfinite(v)], self.weights[c])
                        for c, v in data.columns.items()]
        self.observed = sum(len(index) for _, index, _, _ in self.columns)
        if self.observed == 0:
            raise RequestError("the data hold no values to fit")

    def of(self, results: Results) -> np.ndarray:
        """Residuals ``(runs, observations)`` of every run in ``results``."""
        parts = []
        for variable, index, observed, weight in self.columns:
            modelled = _at_times(results.time, results[variable], self.data.time[index])
            parts.append(weight * (modelled - observed))
        return np.concatenate(parts, axis=1)

    def __call__(self, candidates: np.ndarray) -> np.ndarray:
        """Residuals of ``candidates`` (k, p), shape (k, observations); NaN rows where a run fails."""
        return self.runner.evaluate(candidates, self.of, (self.observed,))

    def sse(self, candidates: np.ndarray) -> np.ndarray:
        """Weighted sums of squared residuals of ``candidates``; failed runs score the worst."""
        return penalized(np.sum(self(candidates) ** 2, axis=1))

    @property
    def runs(self) -> int:
        return self.runner.runs


def _at_times(time: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``values`` (times, runs) at the times ``at`` (linear between saved times), shape (runs, len(at))."""
    if len(time) == 1:
        return np.repeat(values[:1].T, len(at), axis=1)
    index = np.clip(np.searchsorted(time, at, side="right") - 1, 0, len(time) - 2)
    fraction = np.clip((at - time[index]) / (time[index + 1] - time[index]), 0.0, 1.0)[:, None]
    return (values[index] * (1 - fraction) + values[index + 1] * fraction).T


def _weights(weights: Mapping[str, float], data: TimeSeries, matched: dict[str, str]) -> dict[str, float]:
    by_key = {canonical(c): c for c in data.columns} | {canonical(v): c for c, v in matched.items()}
    chosen = dict.fromkeys(data.columns, 1.0)
    for name, weight in weights.items():
        column = by_key.get(canonical(name))
        if column is None:
            raise RequestError(f"weight for '{name}', which is not a column of the data ({', '.join(data.columns)})")
        if not (math.isfinite(float(weight)) and float(weight) > 0):
            raise RequestError(f"the weight of '{name}' must be a positive number, got {weight!r}")
        chosen[column] = float(weight)
    return chosen


def calibrate(compiled: CompiledModel, data: TimeSeries | str, fit: Mapping[str, tuple[float, float]],
              weights: Mapping[str, float] | None = None, payoff: str = "sse", optimizer: str = "least_squares",
              intervals: str = "jacobian", confidence: float = 0.95, seed: int | None = None,
              mcmc_steps: int = 600, **options: Any) -> Calibration:
    """Fit the constants of ``fit`` (name -> (low, high)) to ``data`` (a TimeSeries or a file name).

    ``optimizer`` is ``least_squares``, ``powell`` or ``de``; ``options`` are run options (the
    integration ``method``, ``stop``, ``dt``…)."""
    from solvers.analysis.chunks import run_options
    from solvers.analysis.data import load_data
    from solvers.analysis.optimization import _bounds

    if payoff not in PAYOFFS:
        raise RequestError(f"unknown payoff '{payoff}'; use {' or '.join(PAYOFFS)}")
    if intervals not in INTERVALS:
        raise RequestError(f"unknown intervals '{intervals}'; use {', '.join(INTERVALS)}")
    if not 0 < confidence < 1:
        raise RequestError(f"confidence must lie between 0 and 1, got {confidence}")
    method = optimizer_name(optimizer, METHODS)
    series = data if isinstance(data, TimeSeries) else load_data(data)
    if not fit:
        raise RequestError("nothing to fit: give at least one constant and its range")
    names = resolve_parameters(compiled, fit)
    bounds = [_bounds(name, fit[key]) for name, key in zip(names, fit, strict=True)]
    options = run_options(options)
    residuals = Residuals(compiled, series, names, weights or {}, options)
    best = _fit(residuals, start_point(compiled, names, bounds), bounds, method, seed)
    final = residuals(best[None])[0]
    if np.isnan(final).any():
        raise AnalysisError("the model fails to run at the best parameters found")
    sse = float(final @ final)
    notes: list[str] = []
    if intervals == "jacobian":
        found = _jacobian_intervals(residuals, best, bounds, sse, payoff, confidence, notes)
    elif intervals == "mcmc":
        found = _mcmc_intervals(residuals, best, bounds, sse, payoff, confidence, seed, mcmc_steps, notes)
    else:
        found = dict.fromkeys(names)
    fitted = dict(zip(names, map(float, best), strict=True))
    run = compiled.run(params=fitted, **options)
    return Calibration(fitted, _payoff(payoff, final, residuals), payoff, found, intervals, method,
                       residuals.runs, residuals.observed, run, series, dict(residuals.matched), notes)


def _payoff(kind: str, final: np.ndarray, residuals: Residuals) -> float:
    if kind == "sse":
        return -float(final @ final)
    log_weights = sum(len(index) * math.log(weight) for _, index, _, weight in residuals.columns)
    return float(-0.5 * (final @ final) + log_weights - 0.5 * len(final) * math.log(2 * math.pi))


def _fit(residuals: Residuals, x0: np.ndarray, bounds: list[tuple[float, float]], method: str,
         seed: int | None) -> np.ndarray:
    if method in ("powell", "de"):
        found = minimize(residuals.sse, x0, bounds, method, seed)
        if found.value >= FAILED:
            raise AnalysisError("the model failed to run at every parameter set tried; check the ranges")
        if method == "powell":
            return found.x
        x0 = found.x
    from scipy import optimize

    def fun(x: np.ndarray) -> np.ndarray:
        return np.nan_to_num(residuals(x[None])[0], nan=_FAILED_RESIDUAL)

    lows, highs = np.array(bounds).T
    found = optimize.least_squares(fun, np.clip(x0, lows, highs), jac=lambda x: _jacobian(residuals, x, bounds),
                                   bounds=(lows, highs), method="trf", x_scale="jac", xtol=1e-12, ftol=1e-12,
                                   gtol=1e-12, max_nfev=1000)
    return np.asarray(found.x)


_FAILED_RESIDUAL = 1e100


def _jacobian(residuals: Residuals, x: np.ndarray, bounds: list[tuple[float, float]]) -> np.ndarray:
    """Forward-difference Jacobian ``(observations, p)`` from one run of ``p + 1`` parameter sets."""
    step = np.sqrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    highs = np.array([high for _, high in bounds])
    step = np.where(x + step > highs, -step, step)  # step away from an upper bound
    candidates = np.vstack([x, x + np.diag(step)])
    rows = np.nan_to_num(residuals(candidates), nan=_FAILED_RESIDUAL)
    return ((rows[1:] - rows[0]) / step[:, None]).T


def _jacobian_intervals(residuals: Residuals, best: np.ndarray, bounds: list[tuple[float, float]], sse: float,
                        payoff: str, confidence: float, notes: list[str]) -> dict[str, list[float] | None]:
    from scipy import stats

    names = residuals.runner.names
    jac = _jacobian(residuals, best, bounds)
    count, size = jac.shape
    if payoff == "sse":
        dof = count - size
        if dof <= 0:
            notes.append(f"{count} observations for {size} parameters: too few for intervals")
            return dict.fromkeys(names)
        variance, quantile = sse / dof, float(stats.t.ppf((1 + confidence) / 2, dof))
    else:
        variance, quantile = 1.0, float(stats.norm.ppf((1 + confidence) / 2))
    moving = np.linalg.norm(jac, axis=0) > 0
    found: dict[str, list[float] | None] = dict.fromkeys(names)
    for name in np.array(names)[~moving]:
        notes.append(f"'{name}' does not change the fitted variables near the fit: no interval")
    if moving.any():
        sub = jac[:, moving]
        information = sub.T @ sub
        if np.linalg.cond(information) > 1e14:
            notes.append("the fitted parameters are not separately identifiable from these data: no intervals")
            return found
        spread = quantile * np.sqrt(variance * np.diag(np.linalg.inv(information)))
        for name, value, half in zip(np.array(names)[moving], best[moving], spread, strict=True):
            found[str(name)] = [float(value - half), float(value + half)]
    return found


def _mcmc_intervals(residuals: Residuals, best: np.ndarray, bounds: list[tuple[float, float]], sse: float,
                    payoff: str, confidence: float, seed: int | None, steps: int,
                    notes: list[str]) -> dict[str, list[float] | None]:
    import emcee

    if not isinstance(steps, int) or steps < 20:
        raise RequestError(f"MCMC needs at least 20 steps, got {steps!r}")
    names = residuals.runner.names
    size = len(names)
    lows, highs = np.array(bounds).T
    dof = residuals.observed - size
    scale = math.sqrt(sse / dof) if payoff == "sse" and dof > 0 and sse > 0 else 1.0

    def log_probability(points: np.ndarray) -> np.ndarray:
        inside = np.all((points >= lows) & (points <= highs), axis=1)
        found = np.full(len(points), -np.inf)
        if inside.any():
            rows = residuals(points[inside])
            found[inside] = np.nan_to_num(-0.5 * np.sum((rows / scale) ** 2, axis=1), nan=-np.inf)
        return found

    walkers = max(32, 4 * size)  # a step costs about the same for any number of walkers (one vectorized run)
    random = np.random.RandomState(seed)
    spread = 1e-4 * (highs - lows)
    start = np.clip(best + spread * random.standard_normal((walkers, size)), lows, highs)
    sampler = emcee.EnsembleSampler(walkers, size, log_probability, vectorize=True)
    sampler.random_state = random.get_state()
    sampler.run_mcmc(start, steps, progress=False)
    chain = sampler.get_chain(discard=steps // 2, flat=True)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(chain, [tail, 100 - tail], axis=0)
    autocorrelation = float(np.max(sampler.get_autocorr_time(discard=steps // 2, quiet=True, tol=0)))
    notes.append(f"MCMC: {walkers} walkers x {steps} steps, first half discarded, acceptance "
                 f"{float(np.mean(sampler.acceptance_fraction)):.2f}, autocorrelation time {autocorrelation:.0f} steps")
    if steps // 2 < 10 * autocorrelation:
        needed = 20 * math.ceil(autocorrelation)
        notes.append(f"the chain is short for its autocorrelation time: give at least {needed} steps")
    return {name: [float(a), float(b)] for name, a, b in zip(names, low, high, strict=True)}
