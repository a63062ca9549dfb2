"""Functions that generated model code calls: test inputs, lookups, random numbers, pipelines.

Each has a scalar form (Python floats, for single runs) and works on numpy arrays over runs.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from operator import add, mul  # noqa: F401 - used by generated code (fold)

import numpy as np

from metamodel.elements import GraphicalFunction

TIME_EPS = 1e-9


def step(t: float, height: object, start: object) -> object:
    """STEP: 0 before ``start``, ``height`` from then on."""
    return np.where(t + TIME_EPS >= start, height, 0.0) if isinstance(start, np.ndarray) else (
        height if t + TIME_EPS >= start else 0.0)


def ramp(t: float, slope: object, start: object, end: object = None) -> object:
    """RAMP: 0 before ``start``, then ``slope`` per time unit, held after ``end``."""
    if isinstance(start, np.ndarray) or isinstance(end, np.ndarray) or isinstance(slope, np.ndarray):
        until = np.minimum(t, end) if end is not None else t
        return np.where(t > start, slope * (until - start), 0.0)
    if t <= start:
        return 0.0
    until = min(t, end) if end is not None else t
    return slope * (until - start)


def pulse(t: float, dt: float, magnitude: object, first: object, interval: object = 0.0) -> object:
    """XMILE PULSE: ``magnitude``/DT for one step at ``first`` and every ``interval`` after."""
    if any(isinstance(v, np.ndarray) for v in (magnitude, first, interval)):
        since = t - first
        every = np.where(np.asarray(interval) > 0, interval, np.inf)
        hit = (since > -TIME_EPS) & ((np.mod(since + TIME_EPS, every) < dt - TIME_EPS) | (
            np.abs(since) < TIME_EPS))
        return np.where(hit, magnitude / dt, 0.0)
    since = t - first
    if since < -TIME_EPS:
        return 0.0
    if interval and interval > 0:
        return magnitude / dt if (since + TIME_EPS) % interval < dt - TIME_EPS else 0.0
    return magnitude / dt if abs(since) < dt - TIME_EPS else 0.0


def vensim_pulse(t: float, dt: float, start: object, width: object) -> object:
    """Vensim PULSE: 1 from ``start`` for ``width`` time units (at least one DT), else 0."""
    span = np.maximum(width, dt) if isinstance(width, np.ndarray) else max(width, dt)
    if isinstance(start, np.ndarray) or isinstance(span, np.ndarray):
        return np.where((t + TIME_EPS >= start) & (t + TIME_EPS < start + span), 1.0, 0.0)
    return 1.0 if start <= t + TIME_EPS < start + span else 0.0


def pulse_train(t: float, dt: float, start: float, width: float, interval: float, end: float) -> object:
    """Vensim PULSE TRAIN: pulses of ``width`` every ``interval`` from ``start`` until ``end``."""
    arrays = any(isinstance(v, np.ndarray) for v in (start, width, interval, end))
    if arrays:
        since = t - start
        phase = np.mod(since + TIME_EPS, np.where(interval > 0, interval, np.inf))
        return np.where((since > -TIME_EPS) & (t <= end + TIME_EPS) & (phase < np.maximum(width, dt)), 1.0, 0.0)
    since = t - start
    if since < -TIME_EPS or t > end + TIME_EPS:
        return 0.0
    phase = (since + TIME_EPS) % interval if interval > 0 else since
    return 1.0 if phase < max(width, dt) else 0.0


def fold(function: Callable[[object, object], object], *values: object) -> object:
    """``function`` applied from the left over ``values``: ``fold(add, a, b, c)`` is ``(a + b) + c``."""
    result = values[0]
    for value in values[1:]:
        result = function(result, value)
    return result


def zidz(a: object, b: object) -> object:
    """A/B, or 0 where B is 0."""
    return xidz(a, b, 0.0)


def xidz(a: object, b: object, x: object) -> object:
    """A/B, or X where B is 0."""
    if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
        b_arr = np.asarray(b, dtype=float)
        safe = np.where(b_arr == 0, 1.0, b_arr)
        return np.where(b_arr == 0, x, np.asarray(a) / safe)
    return x if b == 0 else a / b


def safediv(a: object, b: object, x: object = 0.0) -> object:
    return xidz(a, b, x)


def integer(x: object) -> object:
    """Vensim INTEGER: truncation toward zero."""
    return np.trunc(x) if isinstance(x, np.ndarray) else float(math.trunc(x))


def quantum(a: object, b: object) -> object:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.where(np.asarray(b) <= 0, a, b * np.trunc(a / np.where(np.asarray(b) == 0, 1, b)))
    return a if b <= 0 else b * math.trunc(a / b)


def sign(x: object) -> object:
    return np.sign(x) if isinstance(x, np.ndarray | np.generic) else float((x > 0) - (x < 0))


def gamma_ln(x: object) -> object:
    """Vensim's GAMMA LN: the natural logarithm of the gamma function."""
    if isinstance(x, np.ndarray):
        return np.vectorize(math.lgamma, otypes=[float])(x)
    return math.lgamma(float(x))  # type: ignore[arg-type]


def stddev(*values: object) -> object:
    stacked = np.array(np.broadcast_arrays(*values), dtype=float)
    return stacked.std(axis=0) if stacked.ndim > 1 else float(stacked.std())


def log(x: object, base: object) -> object:
    if isinstance(x, np.ndarray) or isinstance(base, np.ndarray):
        return np.log(x) / np.log(base)
    return math.log(x) / math.log(base)


def invert_matrix(row: float, column: float, size: float, *cells: object) -> object:
    """Element (row, column) of the inverse of the square matrix given row by row in ``cells``."""
    n = int(size)
    if n * n != len(cells):
        raise ValueError(f"INVERT MATRIX of size {n} needs {n * n} cells, got {len(cells)}")
    stacked = np.stack(np.broadcast_arrays(*(np.asarray(c, dtype=float) for c in cells)), axis=-1)
    inverse = np.linalg.inv(stacked.reshape(*stacked.shape[:-1], n, n))
    value = inverse[..., int(row), int(column)]
    return value if np.ndim(value) else float(value)


def algebraic(number: float, position: float, *inputs: object) -> object:
    """Unknown ``position`` of the numeric algebraic block ``number`` (see ``solvers.algebraic``)."""
    from solvers.algebraic import value

    return value(int(number), int(position), inputs)


VENSIM_NA = -1.298074214633707e33  # Vensim's :NA:


class Lookup:
    """A graphical function made callable: continuous (clamped), extrapolate or discrete."""

    def __init__(self, gf: GraphicalFunction, name: str = "") -> None:
        xs, ys = gf.points()
        if not xs or len(xs) != len(ys):
            raise ValueError(f"graphical function of '{name}' has no points or unequal x and y counts")
        if any(b < a for a, b in zip(xs, xs[1:], strict=False)) or not all(map(math.isfinite, [*xs, *ys])):
            raise ValueError(f"graphical function of '{name}' needs finite points with x values in increasing order")
        self.xs = np.asarray(xs, dtype=float)
        self.ys = np.asarray(ys, dtype=float)
        self.kind = gf.type
        self._xlist, self._ylist = list(map(float, xs)), list(map(float, ys))

    def __call__(self, x: object, mode: str | None = None) -> object:
        kind = mode or self.kind
        if isinstance(x, np.ndarray):
            return self._vector(x, kind)
        if kind == "continuous":
            return self._scalar(float(x))
        return float(self._vector(np.asarray(float(x)), kind))

    def between(self, x: object, mode: object) -> object:
        """Vensim's GET DATA BETWEEN TIMES: the value at ``x`` interpolated (mode 0), the next point's (1) or
        the previous point's (-1); :NA: before the first point or after the last."""
        kinds = {0: "continuous", 1: "forward", -1: "backward"}

        def one(at: float, how: float) -> float:
            if not self.xs[0] <= at <= self.xs[-1]:
                return VENSIM_NA
            return float(self._vector(np.asarray(at), kinds.get(int(np.sign(how)), "continuous")))

        if isinstance(x, np.ndarray) or isinstance(mode, np.ndarray):
            return np.vectorize(one, otypes=[float])(x, mode)
        return one(float(x), float(mode))  # type: ignore[arg-type]

    def statistic(self, kind: object, start: object, end: object) -> object:
        """Vensim's GET DATA MAX (kind 0), MIN (1) and MEAN (2) over the points from ``start`` to ``end``;
        :NA: when none lies there."""
        functions = (np.max, np.min, np.mean)

        def one(low: float, high: float) -> float:
            inside = (self.xs >= low) & (self.xs <= high)
            return float(functions[int(kind)](self.ys[inside])) if inside.any() else VENSIM_NA  # type: ignore[call-overload]

        if isinstance(start, np.ndarray) or isinstance(end, np.ndarray):
            return np.vectorize(one, otypes=[float])(start, end)
        return one(float(start), float(end))  # type: ignore[arg-type]

    def area(self, low: object, high: object) -> object:
        """LOOKUP AREA: the area under the table from ``low`` to ``high`` (end values held outside)."""
        return self._each(table_functions.area, low, high)

    def invert(self, y: object) -> object:
        """LOOKUP INVERT: the first x at which the table takes the value ``y``."""
        return self._each(table_functions.invert, y)

    def slope(self, x: object) -> object:
        """LOOKUP SLOPE: the slope of the table at ``x`` (0 outside its x range)."""
        return self._each(table_functions.slope, x)

    def _each(self, function: Callable[..., float], *args: object) -> object:
        xs, ys = self._xlist, self._ylist
        if any(isinstance(a, np.ndarray) for a in args):
            return np.vectorize(lambda *a: function(xs, ys, *a), otypes=[float])(*args)
        return function(xs, ys, *(float(a) for a in args))  # type: ignore[arg-type]

    def quantile(self, u: object) -> object:
        """The x at which the density drawn by the points (linear between them, negative parts as zero) has
        ``u`` of its area to the left: the inverse of its cumulative distribution."""
        xs, ys = self.xs, np.maximum(self.ys, 0.0)
        widths = np.diff(xs)
        areas = widths * (ys[:-1] + ys[1:]) / 2
        total = areas.sum()
        if len(xs) < 2 or total <= 0:
            return np.full(np.shape(u), xs[0]) if np.ndim(u) else float(xs[0])
        cumulative = np.concatenate([[0.0], np.cumsum(areas)]) / total
        target = np.asarray(u, dtype=float)
        i = np.clip(np.searchsorted(cumulative, target, side="right") - 1, 0, len(areas) - 1)
        need = (target - cumulative[i]) * total  # area to cover inside segment i
        y0, slope, width = ys[i], (ys[i + 1] - ys[i]) / np.where(widths[i] > 0, widths[i], 1.0), widths[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            root = np.sqrt(np.maximum(y0 * y0 + 2 * slope * need, 0.0))
            step = np.where(np.abs(slope) > 1e-12, (root - y0) / slope, np.where(y0 > 0, need / y0, 0.0))
        result = xs[i] + np.clip(step, 0.0, width)
        return result if np.ndim(u) else float(result)

    def table(self) -> tuple[list[float], list[float], str]:
        """The x and y points and the kind, for code that evaluates the lookup itself (the C backend)."""
        return self._xlist, self._ylist, self.kind

    def _scalar(self, x: float) -> float:
        """Linear interpolation clamped at the ends, without numpy's per-call cost (single runs)."""
        xs, ys = self._xlist, self._ylist
        if x != x:  # NaN in, NaN out
            return x
        if x <= xs[0]:
            return ys[0]
        if x >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, x)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def _vector(self, x: np.ndarray, kind: str) -> np.ndarray:
        xs, ys = self.xs, self.ys
        if kind == "discrete" or kind == "backward":
            index = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 1)
            return ys[index]
        if kind == "forward":
            index = np.clip(np.searchsorted(xs, x, side="left"), 0, len(xs) - 1)
            return ys[index]
        result = np.interp(x, xs, ys)
        if kind == "extrapolate" and len(xs) > 1:
            low_slope = (ys[1] - ys[0]) / (xs[1] - xs[0]) if xs[1] != xs[0] else 0.0
            high_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2]) if xs[-1] != xs[-2] else 0.0
            result = np.where(x < xs[0], ys[0] + (x - xs[0]) * low_slope, result)
            result = np.where(x > xs[-1], ys[-1] + (x - xs[-1]) * high_slope, result)
        return result


class PipelineState:
    """History of one pipeline's input per time step; reads the value ``delay`` time units back."""

    def __init__(self, start: float, dt: float) -> None:
        self.start = start
        self.dt = dt
        self.history: list[object] = []
        self.initial: object = 0.0

    def read(self, t: float, delay: object) -> object:
        if isinstance(delay, np.ndarray):
            steps = np.rint(np.asarray(delay) / self.dt).astype(int)
            now = int(round((t - self.start) / self.dt))
            return np.array([self._at(now - int(k), run) for run, k in enumerate(steps.ravel())])
        now = int(round((t - self.start) / self.dt))
        return self._at(now - int(round(delay / self.dt)), None)

    def _at(self, index: int, run: int | None) -> object:
        value = self.initial if index < 0 or index >= len(self.history) else self.history[index]
        if run is not None and isinstance(value, np.ndarray) and value.ndim:
            return value[run]
        return value

    def push(self, value: object) -> None:
        self.history.append(value.copy() if isinstance(value, np.ndarray) else value)


class RandomSource:
    """Random numbers for one run call: one generator, draws shaped like the runs."""

    def __init__(self, seed: int | None, runs: int | None) -> None:
        self.seed = seed
        self.size = runs
        self._generator: np.random.Generator | None = None
        self._streams: dict[int, np.random.Generator] = {}

    @property
    def generator(self) -> np.random.Generator:
        """The generator, made on the first draw (models without random functions never load it)."""
        if self._generator is None:
            self._generator = np.random.default_rng(self.seed)
        return self._generator

    def _clip(self, value: object, low: object, high: object) -> object:
        if low is None or high is None:
            return value
        return np.clip(value, low, high) if self.size else min(max(value, low), high)

    def _draw(self, fn: Callable[..., object], *args: object) -> object:
        value = fn(*args, size=self.size)
        return value if self.size else float(value)

    def uniform(self, low: object = 0.0, high: object = 1.0, _seed: object = None) -> object:
        return self._draw(self.generator.uniform, low, high)

    def normal(self, mean: object, sd: object, _seed: object = None, low: object = None,
               high: object = None) -> object:
        return self._clip(self._draw(self.generator.normal, mean, sd), low, high)

    def lognormal(self, mean: object, sd: object, _seed: object = None) -> object:
        return self._draw(self.generator.lognormal, mean, sd)

    def poisson(self, lam: object, _seed: object = None) -> object:
        return self._draw(self.generator.poisson, lam)

    def exprnd(self, mean: object, _seed: object = None) -> object:
        return self._draw(self.generator.exponential, mean)

    def vensim(self, kind: str, low: object, high: object, *rest: object) -> object:
        """A Vensim RANDOM draw: the distribution of ``kind`` (its parameters first in ``rest``, then for
        most kinds shift and stretch, the stream id last), stretched, shifted, and truncated to
        ``[low, high]`` by drawing again (the reference manual's rule). Stream 0 is the run's generator
        (reproducible with ``seed``); another stream id has a generator of its own seeded by that id."""
        *parameters, stream = rest
        generator = self._stream(stream)
        size = self.size
        if kind == "uniform":
            value = generator.uniform(low, high, size=size)
            return value if size else float(value)
        if kind in _SHIFTED:
            *parameters, shift, stretch = parameters
        else:
            shift, stretch = 0.0, 1.0

        def draw() -> object:
            return shift + stretch * _DISTRIBUTIONS[kind](generator, size, *parameters)

        return self._truncated(draw, low, high, kind)

    def lookup(self, table: Lookup, low: object, high: object, shift: object, stretch: object,
               stream: object) -> object:
        """RANDOM LOOKUP: a draw from the density the lookup draws over its x range (linear between points,
        negative parts counted as zero), stretched, shifted and truncated to ``[low, high]`` by drawing again."""
        generator = self._stream(stream)
        quantile = table.quantile

        def draw() -> object:
            return shift + stretch * quantile(generator.uniform(size=self.size))

        return self._truncated(draw, low, high, "lookup")

    def _truncated(self, draw: Callable[[], object], low: object, high: object, kind: str) -> object:
        size = self.size
        value = np.asarray(draw(), dtype=float)
        for _ in range(_REDRAWS):
            outside = (value < low) | (value > high)
            if not outside.any():
                return value if size else float(value)
            value = np.where(outside, np.asarray(draw(), dtype=float), value)
        raise ValueError(f"RANDOM {kind.upper().replace('_', ' ')}: no value between the minimum {low} and the "
                         f"maximum {high} in {_REDRAWS} draws")

    def _stream(self, stream: object) -> np.random.Generator:
        key = int(np.ravel(np.asarray(stream, dtype=float))[0])
        if key == 0:
            return self.generator
        if key not in self._streams:
            self._streams[key] = np.random.default_rng(abs(key))
        return self._streams[key]


_REDRAWS = 1000
# Vensim's distributions before stretching and shifting (reference manual, "RANDOM Number Functions").
_DISTRIBUTIONS: dict[str, Callable[..., object]] = {
    "beta": lambda g, n, a, b: g.beta(a, b, size=n),
    "binomial": lambda g, n, p, trials: g.binomial(np.asarray(trials).astype(int), p, size=n),
    "exponential": lambda g, n: g.exponential(1.0, size=n),
    "gamma": lambda g, n, order: g.gamma(order, 1.0, size=n),
    "negative_binomial": lambda g, n, p, successes: (
        g.negative_binomial(np.asarray(successes).astype(int), p, size=n) + np.asarray(successes).astype(int)),
    "normal": lambda g, n: g.standard_normal(size=n),
    "poisson": lambda g, n, mean: g.poisson(mean, size=n),
    "triangular": lambda g, n, start, peak, end: g.triangular(start, peak, end, size=n),
    "weibull": lambda g, n, shape: g.weibull(shape, size=n),
}
_SHIFTED = {"beta", "binomial", "exponential", "gamma", "negative_binomial", "normal", "poisson", "weibull"}


# Whole-vector builtins (Vensim's VECTOR and ALLOCATE functions) live in their own modules.
from solvers import table_functions  # noqa: E402
from solvers.table_functions import vector_lookup  # noqa: E402
from solvers.vector_functions import (  # noqa: E402
    allocate_available,
    allocate_by_priority,
    vector_elm_map,
    vector_rank,
    vector_reorder,
    vector_select,
    vector_sort_order,
    xmile_rank,
)

__all__ = ["allocate_available", "allocate_by_priority", "vector_elm_map", "vector_lookup", "vector_rank",
           "vector_reorder", "vector_select", "vector_sort_order", "xmile_rank"]
