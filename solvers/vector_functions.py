"""Run-time functions of Vensim's whole-vector builtins (called by generated code through ``runtime``).

Interface: every function takes plain numbers, each a Python float (one run) or a numpy array over the
runs, in the order ``solvers.vector_calls`` lays out; it returns one number of the same kind, the value of
the calling equation's element. Semantics follow Vensim's reference manual (allocation overview,
ALLOCATE BY PRIORITY, ALLOCATE AVAILABLE, VECTOR SELECT, VECTOR SORT ORDER, VECTOR RANK, VECTOR
REORDER, VECTOR ELM MAP); where it is silent, the outputs of the SDXorg test models.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

_BRACKET = 5  # widths beyond the extreme priorities where the search starts
_TOLERANCE = 1e-3  # how near the supply the total must come
_FALSE_POSITION = 5000  # steps of false position before bisection takes over
_BISECTIONS = 200


def _per_run(function: Callable[..., float], *values: object) -> object:
    """Apply a scalar ``function`` to each run when any value is an array over runs."""
    if not any(isinstance(v, np.ndarray) and v.ndim for v in values):
        return float(function(*(float(v) for v in values)))  # type: ignore[arg-type]
    columns = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))
    return np.array([function(*(float(c[run]) for c in columns)) for run in range(columns[0].shape[0])])


# -- VECTOR SELECT ------------------------------------------------------------------------------------------
def vector_select(missing: object, action: object, error: object, n: float, *values: object) -> object:
    """Combine the elements of the expression array where the selection array is not zero.

    Actions: 0 sum, 1 product, 2 min, 3 max, 4 mean of selection*expression; 5 product of
    expression^selection; 6 sum, 7 product, 8 min, 9 max, 10 mean of the expression alone. Errors: 1
    when nothing is selected, 2 when more than one element is, 3 both (raised as ``FloatingPointError``).
    """
    count = int(n)
    return _per_run(lambda m, a, e, *v: _select(m, a, e, v[:count], v[count:]), missing, action, error, *values)


def _select(missing: float, action: float, error: float, selection: Sequence[float],
            expression: Sequence[float]) -> float:
    chosen = [(s, x) for s, x in zip(selection, expression, strict=True) if s != 0]
    kind, check = int(action), int(error)
    if check in (1, 3) and not chosen:
        raise FloatingPointError("VECTOR SELECT: the selection array holds only zeros")
    if check in (2, 3) and len(chosen) > 1:
        raise FloatingPointError("VECTOR SELECT: the selection array holds more than one non-zero value")
    if not chosen:
        return missing
    if kind <= 4:
        items = [s * x for s, x in chosen]
    elif kind == 5:
        items = [x ** s for s, x in chosen]
    elif kind <= 10:
        items = [x for _, x in chosen]
    else:
        raise ValueError(f"VECTOR SELECT: numerical action {kind} is not 0 to 10")
    if kind in (0, 6):
        return math.fsum(items)
    if kind in (1, 5, 7):
        return math.prod(items)
    if kind in (2, 8):
        return min(items)
    if kind in (3, 9):
        return max(items)
    return math.fsum(items) / len(items)


# -- sorting --------------------------------------------------------------------------------------------------
def _sort_order(direction: float, vector: Sequence[float]) -> list[int]:
    """0-based element numbers in sorted order: ascending for a positive direction, else descending."""
    ascending = sorted(range(len(vector)), key=lambda i: vector[i])
    return ascending if direction > 0 else ascending[::-1]


def vector_sort_order(position: float, direction: object, *vector: object) -> object:
    """VECTOR SORT ORDER: the 0-based number of the element that sorts into this position."""
    return _per_run(lambda d, *v: float(_sort_order(d, v)[int(position)]), direction, *vector)


def vector_rank(position: float, direction: object, *vector: object) -> object:
    """VECTOR RANK: the 1-based rank of this element (1 for the smallest when the direction is positive)."""
    return _per_run(lambda d, *v: float(_sort_order(d, v).index(int(position)) + 1), direction, *vector)


def vector_reorder(index: object, *vector: object) -> object:
    """VECTOR REORDER: the element whose 0-based number the sort vector gives for this position."""

    def pick(i: float, *v: float) -> float:
        k = int(i)
        if not 0 <= k < len(v):
            raise ValueError(f"VECTOR REORDER: element number {k} outside 0 to {len(v) - 1}")
        return v[k]

    return _per_run(pick, index, *vector)


def vector_elm_map(start: float, offset: object, *vector: object) -> object:
    """VECTOR ELM MAP: the element ``offset`` places after element number ``start`` (0-based)."""

    def pick(o: float, *v: float) -> float:
        k = int(start) + int(round(o))
        if not 0 <= k < len(v):
            raise ValueError(f"VECTOR ELM MAP: offset {o:g} reaches outside the vector")
        return v[k]

    return _per_run(pick, offset, *vector)


def xmile_rank(rank: object, n: float, *values: object) -> object:
    """XMILE RANK: the 1-based position of the element ranked ``rank``-th smallest (ties by the tie-break
    values, then by position)."""
    count = int(n)

    def pick(r: float, *v: float) -> float:
        order = sorted(range(count), key=lambda i: (v[i], v[count + i], i))
        k = int(r)
        if not 1 <= k <= count:
            raise ValueError(f"RANK: rank {k} outside 1 to {count}")
        return float(order[k - 1] + 1)

    return _per_run(pick, rank, *values)


# -- allocation -----------------------------------------------------------------------------------------------
def allocate_by_priority(position: float, width: object, supply: object, n: float, *values: object) -> object:
    """ALLOCATE BY PRIORITY: this element's share of ``supply`` (see ``by_priority``)."""
    count = int(n)
    return _per_run(lambda w, s, *v: by_priority(v[:count], v[count:], w, s)[int(position)], width, supply, *values)


def by_priority(request: Sequence[float], priority: Sequence[float], width: float, supply: float) -> list[float]:
    """Vensim's ALLOCATE BY PRIORITY for one vector of requests.

    Supply goes to the highest priority first; a request whose priority is lower by ``d`` starts
    receiving once the one above it holds ``min(d / width, 1)`` of its request. Receiving requests share
    the supply in proportion to their requests; a filled request stops. Full requests when the supply
    covers them all.
    """
    if width <= 0:
        raise ValueError("ALLOCATE BY PRIORITY: the width must be greater than 0")
    if any(r < 0 for r in request) or supply < 0:
        raise ValueError("ALLOCATE BY PRIORITY: requests and supply must not be negative")
    if supply >= math.fsum(request):
        return [float(r) for r in request]
    order = sorted((i for i in range(len(request)) if request[i] > 0), key=lambda i: -priority[i])
    wanted = [float(request[i]) for i in order]
    got = [0.0] * len(order)
    start_at = [min((priority[a] - priority[b]) / width, 1.0) * request[a]
                for a, b in zip(order, order[1:], strict=False)]
    active, lead, left = {0}, 0, float(supply)
    tiny = 1e-12
    while left > tiny * supply and active:
        total = math.fsum(wanted[k] for k in active)
        slope = {k: wanted[k] / total for k in active}
        to_fill = min((wanted[k] - got[k]) / slope[k] for k in active)
        to_start = (start_at[lead] - got[lead]) / slope[lead] if lead < len(start_at) and lead in active \
            else math.inf
        step = max(0.0, min(to_fill, to_start, left))
        for k in active:
            got[k] += slope[k] * step
        left -= step
        for k in list(active):
            if got[k] >= wanted[k] * (1 - tiny):
                got[k] = wanted[k]
                active.discard(k)
        while lead < len(start_at) and got[lead] >= start_at[lead] * (1 - tiny) - tiny:
            lead += 1
            active.add(lead)
    out = [0.0] * len(request)
    for k, i in enumerate(order):
        out[i] = got[k]
    return out


def allocate_available(position: float, supply: object, n: float, *values: object) -> object:
    """ALLOCATE AVAILABLE: this element's share of ``supply`` (see ``available``)."""
    count = int(n)

    def share(s: float, *v: float) -> float:
        request = v[:count]
        profiles = [tuple(v[count + f * count + i] for f in range(4)) for i in range(count)]
        return available(request, profiles, s)[int(position)]

    return _per_run(share, supply, *values)


def normal_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z, by the three-term rational approximation of Abramowitz and
    Stegun 26.2.16 (absolute error below 1e-5): Vensim's normal priority profile follows it, not the
    exact curve (the SDXorg allocate_available outputs differ from the exact one by 1.4% in the tails)."""
    t = 1.0 / (1.0 + 0.33267 * abs(z))
    tail = math.exp(-z * z / 2) / math.sqrt(2 * math.pi) * t * (0.4361836 + t * (-0.1201676 + t * 0.9372980))
    return tail if z >= 0 else 1.0 - tail


def _profile_share(kind: int, priority: float, width: float, extra: float, x: float) -> float:
    """Fraction of its request a profile receives when the market clears at priority level ``x``."""
    if width <= 0:
        raise ValueError("ALLOCATE AVAILABLE: profile widths must be greater than 0")
    z = x - priority
    if kind == 1:  # rectangular
        return min(max(0.5 - z / width, 0.0), 1.0)
    if kind == 2:  # triangular
        if z <= -width / 2:
            return 1.0
        if z < 0:
            return 1 - 2 * (z + width / 2) ** 2 / width ** 2
        if z < width / 2:
            return 2 * (width / 2 - z) ** 2 / width ** 2
        return 0.0
    if kind == 3:  # normal
        return normal_tail(z / width)
    if kind == 4:  # exponential, symmetric about the priority
        return 1 - 0.5 * math.exp(z / width) if z < 0 else 0.5 * math.exp(-z / width)
    if kind == 5:  # constant elasticity
        if extra <= 0:
            raise ValueError("ALLOCATE AVAILABLE: the constant elasticity profile needs a positive pextra")
        return min(1.0, (math.exp(-z / width)) ** extra)
    raise ValueError(f"ALLOCATE AVAILABLE: priority profile type {kind} is not supported (1 to 5 are)")


def available(request: Sequence[float], profiles: Sequence[tuple[float, float, float, float]],
              supply: float) -> list[float]:
    """Vensim's ALLOCATE AVAILABLE for one vector of requests.

    Each request receives ``request * share(x)`` where ``share`` falls from 1 to 0 as the priority level
    ``x`` rises past the request's profile (type, priority, width, extra); ``x`` is the level at which the
    shares add up to ``supply``. It is found as Vensim finds it, which its outputs show (the SDXorg
    allocate_available run agrees in every cell, tails included, where the exact level misses some tails
    by 1e-4): false position on the total from five widths beyond the lowest and highest priorities,
    stopping once the total is within 0.001 of the supply (0.001 of it, for a supply below 1).
    """
    if any(r < 0 for r in request) or supply < 0:
        raise ValueError("ALLOCATE AVAILABLE: requests and supply must not be negative")
    if supply >= math.fsum(request):
        return [float(r) for r in request]
    if supply <= 0:
        return [0.0] * len(request)
    live = [(i, int(p[0]), p[1], p[2], p[3]) for i, p in enumerate(profiles) if request[i] > 0]

    def excess(x: float) -> float:
        return math.fsum(request[i] * _profile_share(k, pr, w, e, x) for i, k, pr, w, e in live) - supply

    low = min(pr - _BRACKET * w for _, _, pr, w, _ in live)
    high = max(pr + _BRACKET * w for _, _, pr, w, _ in live)
    f_low, f_high = excess(low), excess(high)
    for _ in range(_BISECTIONS):  # widen until the bracket holds the level (long-tailed profiles)
        if f_low > 0 and f_high < 0:
            break
        width = high - low
        if f_low <= 0:
            low, f_low = low - width, excess(low - width)
        if f_high >= 0:
            high, f_high = high + width, excess(high + width)
    tolerance = _TOLERANCE * min(1.0, supply)
    level = high
    for count in range(_FALSE_POSITION + _BISECTIONS):
        level = high - f_high * (high - low) / (f_high - f_low) if count < _FALSE_POSITION and f_high != f_low \
            else 0.5 * (low + high)  # bisection when false position has not converged
        f_level = excess(level)
        if abs(f_level) < tolerance or high - low <= 1e-15 * max(1.0, abs(level)):
            break
        if f_level > 0:
            low, f_low = level, f_level
        else:
            high, f_high = level, f_level
    out = [0.0] * len(request)
    for i, k, pr, w, e in live:
        out[i] = request[i] * _profile_share(k, pr, w, e, level)
    return out
