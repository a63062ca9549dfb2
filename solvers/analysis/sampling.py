"""Sampling designs: which parameter values each run of a study gets.

A design draws points in the unit cube (``scipy.stats.qmc`` Latin hypercube or scrambled Sobol', plain
random, or a full-factorial grid) and maps each coordinate through its parameter's quantile function,
so every design works with every distribution, truncated or not.
"""

from __future__ import annotations

import math
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from solvers.analysis.distributions import Distribution, DistributionError, parse_distribution

SAMPLINGS = ("lhs", "sobol", "random", "grid")


@dataclass(frozen=True)
class Design:
    """The parameter values of every run: ``values[run, i]`` is parameter ``names[i]``."""

    names: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    values: np.ndarray
    sampling: str
    seed: int

    @property
    def runs(self) -> int:
        return int(self.values.shape[0])

    def params(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """``run(params=…)`` of the runs ``start`` to ``stop``: name -> array of values."""
        block = self.values[start:stop]
        return {name: np.ascontiguousarray(block[:, i]) for i, name in enumerate(self.names)}

    def describe(self) -> dict[str, object]:
        """What made the design (for the metadata of the files written): repeatable from this alone."""
        return {"sampling": self.sampling, "seed": self.seed, "runs": self.runs,
                "distributions": {n: d.text for n, d in zip(self.names, self.distributions, strict=True)}}


def new_seed() -> int:
    """A fresh seed; a study records the seed it used, so any study can be repeated exactly."""
    return secrets.randbits(63)


def as_distribution(value: str | Distribution) -> Distribution:
    return value if isinstance(value, Distribution) else parse_distribution(str(value))


def sample(distributions: Mapping[str, str | Distribution], runs: int, sampling: str = "lhs",
           seed: int | None = None) -> Design:
    """Draw ``runs`` parameter sets; ``sampling`` is ``lhs``, ``sobol``, ``random`` or ``grid``.

    ``grid`` is the full factorial: every value of each ``choice`` and, for continuous parameters, the
    same number of evenly spaced levels each, chosen so that the grid has exactly ``runs`` points.
    """
    if not distributions:
        raise DistributionError("nothing to vary: give at least one parameter and its distribution")
    if sampling not in SAMPLINGS:
        raise DistributionError(f"unknown sampling '{sampling}'; use one of {', '.join(SAMPLINGS)}")
    if not isinstance(runs, int | np.integer) or runs < 1:
        raise DistributionError(f"runs must be a positive whole number, got {runs!r}")
    names = tuple(distributions)
    dists = tuple(as_distribution(d) for d in distributions.values())
    seed = new_seed() if seed is None else int(seed)
    if sampling == "grid":
        values = _grid(dists, int(runs))
    else:
        unit = unit_sample(len(dists), int(runs), sampling, seed)
        values = np.column_stack([d.ppf(unit[:, i]) for i, d in enumerate(dists)])
    return Design(names, dists, values, sampling, seed)


def unit_sample(dimensions: int, runs: int, sampling: str, seed: int) -> np.ndarray:
    """``runs`` points in the unit cube of ``dimensions`` dimensions, shape ``(runs, dimensions)``."""
    if sampling == "random":
        return np.random.default_rng(seed).random((runs, dimensions))
    from scipy.stats import qmc

    if sampling == "lhs":
        return qmc.LatinHypercube(dimensions, rng=seed).random(runs)
    with warnings.catch_warnings():  # a count that is no power of two loses some balance, no correctness
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        return qmc.Sobol(dimensions, scramble=True, rng=seed).random(runs)


def _grid(dists: tuple[Distribution, ...], runs: int) -> np.ndarray:
    discrete = math.prod(len(d.args) for d in dists if d.kind == "choice")
    continuous = sum(d.kind != "choice" for d in dists)
    levels = round((runs / discrete) ** (1 / continuous)) if continuous else 1
    if discrete * levels**continuous != runs:
        near = sorted({discrete * max(1, levels + k) ** continuous for k in (-1, 0, 1)})
        raise DistributionError(f"a grid of these parameters cannot have {runs} runs; it can have "
                                f"{' or '.join(map(str, near))} ({continuous} continuous parameter(s) at equal "
                                f"levels times {discrete} choice combination(s))")
    axes = [d.grid(levels) for d in dists]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([m.ravel() for m in mesh])
