"""Functions of a whole lookup table: area, inverse and slope (Vensim's LOOKUP AREA, LOOKUP INVERT,
LOOKUP SLOPE) and VECTOR LOOKUP, which reads a vector as the y values of a table over evenly spaced x.

A table is its x and y points, x increasing; between points it is linear. Without extrapolation it holds
its end values outside its x range (so the slope there is 0); with extrapolation it continues its first
and last segments.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

import numpy as np

Points = Sequence[float]


def _segment(xs: Points, x: float) -> int:
    """The index ``i`` of the segment ``xs[i] .. xs[i + 1]`` holding ``x`` (the first or last outside)."""
    return min(max(bisect.bisect_right(xs, x) - 1, 0), len(xs) - 2)


def value(xs: Points, ys: Points, x: float, extrapolate: bool = False) -> float:
    if len(xs) == 1:
        return ys[0]
    if not extrapolate and x <= xs[0]:
        return ys[0]
    if not extrapolate and x >= xs[-1]:
        return ys[-1]
    i = _segment(xs, x)
    x0, x1 = xs[i], xs[i + 1]
    return ys[i] if x1 == x0 else ys[i] + (ys[i + 1] - ys[i]) * (x - x0) / (x1 - x0)


def slope(xs: Points, ys: Points, x: float, extrapolate: bool = False) -> float:
    if len(xs) == 1 or (not extrapolate and (x < xs[0] or x > xs[-1])):
        return 0.0
    i = _segment(xs, x)
    width = xs[i + 1] - xs[i]
    return (ys[i + 1] - ys[i]) / width if width else 0.0


def area(xs: Points, ys: Points, low: float, high: float, extrapolate: bool = False) -> float:
    """The integral of the table from ``low`` to ``high`` (negative when ``high < low``)."""
    if high < low:
        return -area(xs, ys, high, low, extrapolate)
    cuts = sorted({low, high, *(x for x in xs if low < x < high)})
    total = 0.0
    for a, b in zip(cuts, cuts[1:], strict=False):  # the table is linear on each piece: trapezoids
        total += (b - a) * (value(xs, ys, a, extrapolate) + value(xs, ys, b, extrapolate)) / 2
    return total


def invert(xs: Points, ys: Points, y: float, extrapolate: bool = False) -> float:
    """The first x at which the table takes the value ``y`` (the table read backwards); outside its y
    values the end x, or the first or last segment continued with extrapolation."""
    for i in range(len(xs) - 1):
        y0, y1 = ys[i], ys[i + 1]
        if min(y0, y1) <= y <= max(y0, y1):
            return xs[i] if y1 == y0 else xs[i] + (xs[i + 1] - xs[i]) * (y - y0) / (y1 - y0)
    if len(xs) == 1:
        return xs[0]
    nearest = 0 if abs(y - ys[0]) <= abs(y - ys[-1]) else len(xs) - 1
    if not extrapolate:
        return xs[nearest]
    i = 0 if nearest == 0 else len(xs) - 2
    y0, y1 = ys[i], ys[i + 1]
    return xs[nearest] if y1 == y0 else xs[i] + (xs[i + 1] - xs[i]) * (y - y0) / (y1 - y0)


def _backward(xs: Points, ys: Points, x: float) -> float:
    return ys[max(bisect.bisect_right(xs, x) - 1, 0)]


def _forward(xs: Points, ys: Points, x: float) -> float:
    return ys[min(bisect.bisect_left(xs, x), len(xs) - 1)]


# VECTOR LOOKUP's modes (reference manual): 0 value, 1 area from xmin, 2 backward, 3 extrapolated, 4 forward,
# 5 inverse, 6 slope, 7 area extrapolated, 8 inverse extrapolated, 9 slope extrapolated
_MODES: dict[int, Callable[[Points, Points, float], float]] = {
    0: value, 1: lambda xs, ys, x: area(xs, ys, xs[0], x), 2: _backward,
    3: lambda xs, ys, x: value(xs, ys, x, True), 4: _forward, 5: invert, 6: slope,
    7: lambda xs, ys, x: area(xs, ys, xs[0], x, True), 8: lambda xs, ys, x: invert(xs, ys, x, True),
    9: lambda xs, ys, x: slope(xs, ys, x, True),
}


def vector_lookup(x: object, low: object, high: object, mode: object, *vector: object) -> object:
    """VECTOR LOOKUP: the table whose y values are ``vector`` over x evenly spaced from ``low`` to ``high``,
    read at ``x`` in ``mode``."""

    def one(at: float, lo: float, hi: float, how: float, *values: float) -> float:
        function = _MODES.get(int(how))
        if function is None:
            raise ValueError(f"VECTOR LOOKUP mode {how:g} is not one of 0 to 9")
        count = len(values)
        xs = [lo + (hi - lo) * k / (count - 1) for k in range(count)] if count > 1 else [lo]
        return function(xs, list(values), at)

    if any(isinstance(v, np.ndarray) for v in (x, low, high, mode, *vector)):
        return np.vectorize(one, otypes=[float])(x, low, high, mode, *vector)
    return one(float(x), float(low), float(high), float(mode), *(float(v) for v in vector))  # type: ignore[arg-type]
