"""Global sensitivity indices with SALib: Sobol' (variance shares) and Morris (elementary effects).

SALib draws its design in the unit cube (Saltelli's extension of Sobol' sequences, or Morris
trajectories); each coordinate goes through its parameter's quantile function, so the indices hold
for the distributions as given (truncated, triangular, …), not only for uniform ranges. The runs go
through the same chunked executor as any study (in this process or on Dask); each run is reduced to
one number, the chosen statistic of the chosen output variable.

Morris levels are placed at the centres of equal-probability strata, ``(i + 0.5) / levels``, so an
unbounded distribution gives finite values; the elementary effects are per unit of quantile, which
makes them comparable between parameters of different units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.analysis.chunks import Chunk
from solvers.analysis.distributions import Distribution
from solvers.analysis.parameters import AnalysisError, RequestError, keyed, resolve_variable
from solvers.analysis.sampling import Design, as_distribution, new_seed
from solvers.analysis.statistics import parse_statistic, reduce_runs
from solvers.results import Results

if TYPE_CHECKING:
    from solvers.model_run import CompiledModel

INDEX_METHODS = ("sobol", "morris")


@dataclass
class Indices:
    """Per parameter, the indices of one method (``S1``, ``S1_conf``, ``ST``, ``ST_conf`` for Sobol';
    ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma`` for Morris), for one output and statistic."""

    method: str
    output: str
    statistic: str | float
    runs: int
    seed: int
    values: dict[str, dict[str, float | None]]
    second_order: dict[str, dict[str, float | None]] | None = None

    @property
    def names(self) -> list[str]:
        return list(self.values)

    def measure(self, key: str) -> list[float | None]:
        """One index (``S1``, ``ST``, ``mu_star``, …) of every parameter, in parameter order."""
        return [self.values[name][key] for name in self.values]

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"method": self.method, "output": self.output, "statistic": self.statistic,
                                    "runs": self.runs, "seed": self.seed, "indices": self.values}
        if self.second_order is not None:
            document["second_order"] = self.second_order
        return document


class _Collector:
    """Reduces each chunk's runs to the statistic of the output, into one array over all runs."""

    def __init__(self, runs: int, output: str, statistic: str | float) -> None:
        self.values = np.empty(runs)
        self.output = output
        self.statistic = statistic

    def __call__(self, results: Results, chunk: Chunk) -> None:
        self.values[chunk.start:chunk.stop] = reduce_runs(results[self.output], results.time, self.statistic)


def global_sensitivity(compiled: CompiledModel, vary: Mapping[str, str | Distribution], output: str,
                       indices: str = "sobol", samples: int = 256, statistic: str | float = "final",
                       seed: int | None = None, levels: int = 4, second_order: bool = False,
                       **study: Any) -> Indices:
    """Sobol' or Morris (``indices``) indices of ``statistic`` of ``output`` over the parameters of ``vary``.

    ``samples`` is SALib's N: Sobol' makes ``N * (D + 2)`` runs (``N * (2 D + 2)`` with
    ``second_order``), Morris ``N * (D + 1)`` (N trajectories). ``study`` goes to ``run_design``
    (``workers``, ``scheduler``, ``out``, ``progress``, run options such as the integration ``method``).
    """
    from solvers.analysis.sensitivity import run_design

    method = indices
    if method not in INDEX_METHODS:
        raise RequestError(f"unknown indices '{method}'; use {' or '.join(INDEX_METHODS)}")
    if not isinstance(samples, int) or samples < 2:
        raise RequestError(f"samples must be a whole number of at least 2, got {samples!r}")
    dists = {name: as_distribution(d) for name, d in keyed(vary, compiled).items()}
    if not dists:
        raise RequestError("nothing to vary: give at least one parameter and its distribution")
    variable = resolve_variable(compiled, output)
    which = parse_statistic(statistic)
    seed = new_seed() if seed is None else int(seed)
    problem = {"num_vars": len(dists), "names": list(dists), "bounds": [[0.0, 1.0]] * len(dists)}
    unit = _sample(method, problem, samples, seed, levels, second_order)
    values = np.column_stack([d.ppf(unit[:, i]) for i, d in enumerate(dists.values())])
    design = Design(tuple(dists), tuple(dists.values()), values, method, seed)
    collector = _Collector(design.runs, variable, which)
    kept = list(dict.fromkeys([*(study.pop("variables", None) or []), variable]))  # the output is always kept
    run_design(compiled, design, consumers=[collector], keep=False, variables=kept, **study)
    result = collector.values
    if not np.all(np.isfinite(result)):
        raise AnalysisError(f"'{variable}' ({which}) is not finite in some runs; the indices need finite outputs")
    if np.ptp(result) == 0:
        raise AnalysisError(f"'{variable}' ({which}) is {result[0]:g} in every run: there is no variance to share")
    return _analyze(method, problem, unit, result, seed, levels, second_order, variable, which)


def _sample(method: str, problem: dict[str, Any], samples: int, seed: int, levels: int,
            second_order: bool) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        if samples & (samples - 1):
            raise RequestError(f"Sobol' indices need a power of two samples (e.g. {1 << samples.bit_length()}), "
                                f"got {samples}")
        return sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
    from SALib.sample import morris

    if not isinstance(levels, int) or levels < 2 or levels % 2:
        raise RequestError(f"Morris levels must be an even whole number of at least 2, got {levels!r}")
    grid = morris.sample(problem, samples, num_levels=levels, seed=seed)
    return (grid * (levels - 1) + 0.5) / levels


def _analyze(method: str, problem: dict[str, Any], unit: np.ndarray, result: np.ndarray, seed: int, levels: int,
             second_order: bool, variable: str, which: str | float) -> Indices:
    names = problem["names"]
    if method == "sobol":
        from SALib.analyze import sobol

        found = sobol.analyze(problem, result, calc_second_order=second_order, seed=seed)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
        values = {n: {k: _number(found[k][i]) for k in keys} for i, n in enumerate(names)}
        pairs = None
        if second_order:
            pairs = {a: {b: _number(found["S2"][i, j]) for j, b in enumerate(names) if j > i}
                     for i, a in enumerate(names[:-1])}
        return Indices(method, variable, which, len(result), seed, values, pairs)
    from SALib.analyze import morris

    found = morris.analyze(problem, unit, result, num_levels=levels, seed=seed)
    keys = ("mu", "mu_star", "mu_star_conf", "sigma")
    scale = levels / (levels - 1)  # SALib divides by the step of levels spread over [0, 1]; ours are narrower
    values = {n: {k: _number(found[k][i] * scale) for k in keys} for i, n in enumerate(names)}
    return Indices(method, variable, which, len(result), seed, values)


def _number(value: Any) -> float | None:  # noqa: ANN401 - a numpy scalar
    """A float, or None where SALib gives no finite value (JSON has no NaN)."""
    number = float(value)
    return number if math.isfinite(number) else None
