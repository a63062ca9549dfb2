"""Statistics over runs per saved time: mean, standard deviation, percentiles and confidence bands.

Percentiles are exact, and exact percentiles at a time need every run's value at that time. The runs
are stored run after run (one Parquet row group per chunk), so the values are gathered one variable
and one block of times at a time: a block holds ``runs x times-in-block`` numbers within a memory
budget (256 MB by default: 100,000 runs of 300 saved times), and only that variable's column is read.
That keeps memory bounded at any number of runs, at the price of one pass over the column per block
when the whole column does not fit the budget; a sketch such as a t-digest would need one pass but
gives approximate percentiles, which the bands of a study should not be.

Bands follow Vensim and Stella: the 50 % band runs from the 25th to the 75th percentile, 75 % from the
12.5th to the 87.5th, 95 % from the 2.5th to the 97.5th, and 100 % from the smallest to the largest run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from solvers.analysis.parameters import RequestError

BAND_LEVELS = (50.0, 75.0, 95.0, 100.0)
BAND_PERCENTILES = tuple(sorted({p for level in BAND_LEVELS for p in (50 - level / 2, 50 + level / 2)} | {50.0}))


@dataclass
class Summary:
    """Per saved time of one variable: mean, standard deviation and ``percentiles[p]`` over the runs."""

    variable: str
    time: np.ndarray
    runs: int
    mean: np.ndarray
    sd: np.ndarray
    percentiles: dict[float, np.ndarray]

    def percentile(self, p: float) -> np.ndarray:
        try:
            return self.percentiles[float(p)]
        except KeyError:
            raise KeyError(f"percentile {p} was not computed; computed: {sorted(self.percentiles)}") from None

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edge of the ``level`` % band (centred on the median)."""
        return self.percentile(50 - level / 2), self.percentile(50 + level / 2)

    @property
    def median(self) -> np.ndarray:
        return self.percentile(50)

    def to_json(self, index: int | None = None) -> dict[str, object]:
        """The summary as JSON lists; ``index`` picks one saved time (e.g. ``-1`` for the final one)."""
        pick = (lambda a: float(a[index])) if index is not None else (lambda a: a.tolist())
        return {"variable": self.variable, "runs": self.runs, "time": pick(self.time), "mean": pick(self.mean),
                "sd": pick(self.sd), "percentiles": {f"{p:g}": pick(v) for p, v in sorted(self.percentiles.items())}}


def summarize(variable: str, time: np.ndarray, blocks: Iterable[tuple[slice, np.ndarray]],
              percentiles: Iterable[float] = BAND_PERCENTILES) -> Summary:
    """Reduce ``(times, values)`` blocks (values shaped ``(times in block, runs)``) to a Summary."""
    wanted = sorted({float(p) for p in percentiles})
    if any(not 0 <= p <= 100 for p in wanted):
        raise RequestError(f"percentiles lie between 0 and 100, got {wanted}")
    steps = len(time)
    mean, sd = np.empty(steps), np.empty(steps)
    found = {p: np.empty(steps) for p in wanted}
    runs = 0
    for block, values in blocks:
        runs = values.shape[1]
        mean[block] = values.mean(axis=1)
        sd[block] = values.std(axis=1, ddof=1) if runs > 1 else 0.0
        if wanted:
            for p, row in zip(wanted, np.percentile(values, wanted, axis=1), strict=True):
                found[p][block] = row
    return Summary(variable, np.asarray(time), runs, mean, sd, found)


STATISTICS = ("final", "initial", "max", "min", "mean", "integral")


def parse_statistic(text: str | float) -> str | float:
    """``final``, ``initial``, ``max``, ``min``, ``mean``, ``integral``, or a time (the value then)."""
    if isinstance(text, int | float):
        return float(text)
    word = text.strip().lower()
    if word in STATISTICS:
        return word
    try:
        return float(word)
    except ValueError:
        raise RequestError(f"unknown statistic '{text}'; use {', '.join(STATISTICS)} or a time") from None


def reduce_runs(values: np.ndarray, time: np.ndarray, statistic: str | float) -> np.ndarray:
    """One number per run from ``values`` shaped ``(times, runs)``: the statistic over time, or the
    value at a time (linear between saved times; a time outside the run is refused)."""
    which = parse_statistic(statistic)
    if which == "final":
        return values[-1].copy()
    if which == "initial":
        return values[0].copy()
    if which == "max":
        return values.max(axis=0)
    if which == "min":
        return values.min(axis=0)
    if which == "mean":
        return values.mean(axis=0)
    if which == "integral":
        return np.trapezoid(values, time, axis=0) if len(time) > 1 else np.zeros(values.shape[1])
    at = float(which)
    if not time[0] - 1e-9 <= at <= time[-1] + 1e-9:
        raise RequestError(f"time {at:g} is outside the run ({time[0]:g} to {time[-1]:g})")
    index = int(np.clip(np.searchsorted(time, at, side="right") - 1, 0, max(len(time) - 2, 0)))
    if len(time) == 1:
        return values[0].copy()
    fraction = (at - time[index]) / (time[index + 1] - time[index])
    return values[index] * (1 - fraction) + values[index + 1] * fraction
