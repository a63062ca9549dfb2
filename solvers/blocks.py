"""Run-time blocks: builtins whose state is more than a few numbers (a conveyor's belt of slats).

A block is made once per run call (``make``), started with its start values when the run starts,
read in every evaluation of the model (``read``: an output from the block's state and the read's
arguments; reading never changes the state), and stepped once per main time step (``step``), after the
values of that step are recorded, with values computed at that step. Blocks move in whole time steps:
models with blocks integrate with Euler.

Kinds:

- ``conveyor``: an XMILE conveyor stock in the isee "traditional conveyor" model (XMILE 1.0 §3.7.2,
  isee's "Computational Details"; the per-step rules as specified in simlin's ``docs/design/conveyors.md``,
  whose steady states match isee's published formulas). The belt is a list of slats, index 0 the exit;
  each step the slats leak (linear leaks at a rate fixed when the material entered, exponential leaks a
  fraction of what is there), the exit slat leaves as the outflow, the belt moves one slat and the
  admitted inflow is put ``round(transit time / DT)`` slats from the exit. Capacity and the inflow limit
  hold back the inflows (in their order); an arrest freezes the belt and every flow of it. A discrete
  conveyor (isee's Equation tab) starts with its content in one package per time unit, each in the slat
  that leaves last in its time unit, and its inflow limit is an amount per time unit, which may all
  enter in one step (the total entered starts again at each whole time unit).
- ``delay_conveyor``: Vensim's DELAY CONVEYOR: parcels ride a belt of length 1 that moves ``DT / ctime``
  each step (a change of the conveyance time speeds all of it up or slows it down); what reaches the end
  is the output; everything on it, the step's input included, loses ``leak * DT`` per step.
- ``queue_fifo``: Vensim's QUEUE FIFO: a level that keeps its content in batches by age (one per step),
  removing the oldest first, for QUEUE AGE AVERAGE, QUEUE AGE IN RANGE and QUEUE AGE OLDEST.
- Stella's batch stocks (``oven``, ``queue``) live in ``solvers.batch_blocks``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from metamodel.errors import SimulationError
from solvers.program import BlockSpec


class Block(Protocol):
    def start(self, *values: float) -> None: ...

    def read(self, output: int, *args: float) -> float: ...

    def step(self, *values: float) -> None: ...


def make(spec: BlockSpec, start: float, dt: float, runs: int | None) -> Any:
    """The block of ``spec`` for one run call: scalar, or one per run when ``runs`` is given."""
    factory = _kinds()[spec.kind]
    if runs is None:
        return factory(spec.options, start, dt)
    return PerRun(lambda: factory(spec.options, start, dt), runs)


class PerRun:
    """One scalar block per run, for the vector backend: values and results are arrays over the runs."""

    def __init__(self, factory: Callable[[], Any], runs: int) -> None:
        self.factory = factory
        self.runs = runs
        self.blocks: list[Any] = []

    def _split(self, values: Sequence[object]) -> list[list[float]]:
        columns = [np.broadcast_to(np.asarray(v, dtype=float), (self.runs,)) for v in values]
        return [[float(c[run]) for c in columns] for run in range(self.runs)]

    def start(self, *values: object) -> None:
        self.blocks = [self.factory() for _ in range(self.runs)]
        for block, row in zip(self.blocks, self._split(values), strict=True):
            block.start(*row)

    def read(self, output: int, *args: object) -> np.ndarray:
        rows = self._split(args)
        return np.array([block.read(output, *row) for block, row in zip(self.blocks, rows, strict=True)])

    def step(self, *values: object) -> None:
        for block, row in zip(self.blocks, self._split(values), strict=True):
            block.step(*row)


def round_half_away(x: float) -> int:
    """``x`` rounded to the nearest integer, halves away from zero (never to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def nonzero(value: float) -> bool:
    return value == value and value != 0.0  # NaN counts as zero


def _limit(value: float) -> float:
    """A capacity or inflow limit: negative blocks everything, NaN or infinity limits nothing."""
    if value != value or value == math.inf:
        return math.inf
    return max(0.0, value)


class _Slat:
    __slots__ = ("budget", "content", "rate")

    def __init__(self, leaks: int) -> None:
        self.content = 0.0
        self.rate = [0.0] * leaks  # per linear leak: the amount it takes each step, fixed at entry
        self.budget = [0.0] * leaks  # per linear leak: what it may still take from this material

    def add(self, other: _Slat) -> None:
        self.content += other.content
        self.rate = [a + b for a, b in zip(self.rate, other.rate, strict=True)]
        self.budget = [a + b for a, b in zip(self.budget, other.budget, strict=True)]


@dataclass
class _Phase:
    """A step's leaks and exit: per leak what it computed and what it took, per slat and leak the linear
    schedule spent, per slat the content left, and the volume leaving at the exit."""

    computed: list[float]
    taken: list[float]
    spent: list[list[float]]
    contents: list[float]
    exit: float


class Conveyor:
    """An XMILE conveyor. ``options``: (exponential leakage, ((leak start, leak end, whole units), ...) per
    leak flow, number of inflows driven by equations, discrete).

    Start values: initial content, transit time, then each leak's fraction. Every read takes the same
    arguments: arrest, arrest of the outflow's destination, each leak's fraction, capacity, inflow limit,
    the inflow coming from other conveyors (a rate), then each equation-driven inflow's request (a rate).
    Outputs: 0 the outflow, 1..m the leaks, then each equation-driven inflow as admitted, then the room
    for an inflow from a queue (a rate; such a conveyor has no other inflow). Step values: arrest, the
    destination's arrest, sample, transit time, each leak's fraction, the total inflow rate.
    """

    def __init__(self, options: tuple[object, ...], start: float, dt: float) -> None:
        exponential, leaks, inflows, discrete = options
        self.exponential = bool(exponential)
        self.discrete = bool(discrete)
        self.time = start  # of the next step (a discrete conveyor's inflow limit counts per time unit)
        self.entered = 0.0  # what entered a discrete conveyor in this time unit
        self.zones = [(float(a), float(b)) for a, b, _ in leaks]  # type: ignore[union-attr]
        self.whole = [bool(w) for _, _, w in leaks]  # type: ignore[union-attr]
        self.inflows = int(inflows)  # type: ignore[call-overload]
        self.dt = dt
        self.slats: list[_Slat] = []
        self.latched = 0.0
        self.carry = [0.0] * len(self.zones)
        self._phase: tuple[tuple[float, ...], _Phase] | None = None

    # -- geometry ------------------------------------------------------------------------------------
    def _in_zone(self, k: int, index: int, length: int) -> bool:
        start, end = self.zones[k]
        position = 1.0 - (index + 0.5) / length  # from the entry
        return start <= position <= end

    def _zone_count(self, k: int, depth: int, length: int) -> int:
        return sum(self._in_zone(k, i, length) for i in range(min(depth, length)))

    def _depth(self) -> int:
        return max(1, round_half_away(self.latched / self.dt))

    def _fraction(self, value: float) -> float:
        if value != value:
            return 0.0
        return max(0.0, value) if self.exponential else min(1.0, max(0.0, value))

    # -- start ---------------------------------------------------------------------------------------------
    def start(self, initial: float, transit: float, *fractions: float) -> None:
        if not (math.isfinite(transit) and transit > 0):
            raise SimulationError(f"a conveyor's transit time must be above zero at the start, not {transit:g}")
        self.latched = max(self.dt, transit)
        n = self._depth()
        f = [self._fraction(v) for v in fractions]
        counts = [self._zone_count(k, n, n) for k in range(len(f))]
        profile = [0.0] * n  # what one unit put on the belt still holds on arriving at each slat
        profile[n - 1] = 1.0
        packages = self._packages(n)
        for i in range(n - 1, 0, -1):
            held = profile[i]
            for k, fk in enumerate(f):
                if self._in_zone(k, i, n):
                    shed = held * fk * self.dt if self.exponential else (fk / counts[k] if counts[k] else 0.0)
                    held -= min(shed, held)
            profile[i - 1] = max(0.0, held)
        if packages is not None:
            profile = [p if i in packages else 0.0 for i, p in enumerate(profile)]
        total = sum(profile)
        scale = initial / total if total else 0.0
        self.slats = []
        for i in range(n):
            slat = _Slat(len(f))
            slat.content = scale * profile[i]
            if not self.exponential:
                for k, fk in enumerate(f):
                    if counts[k]:
                        slat.rate[k] = fk * scale / counts[k]
                        slat.budget[k] = slat.rate[k] * sum(self._in_zone(k, j, n) for j in range(i + 1))
            self.slats.append(slat)
        self._phase = None

    def _packages(self, n: int) -> set[int] | None:
        """The slats of a discrete conveyor's initial packages: the last to leave in each time unit."""
        if not self.discrete:
            return None
        units = max(1, math.ceil(n * self.dt - 1e-9))
        return {min(round_half_away(u / self.dt) - 1, n - 1) for u in range(1, units + 1)}

    # -- the step's leaks and exit ---------------------------------------------------------------------------
    def _leak_and_exit(self, arrest: float, held: float, fractions: Sequence[float]) -> _Phase:
        """This step's leaks and exit, computed from the state (which is not changed)."""
        key = (arrest, held, *fractions)
        if self._phase is not None and self._phase[0] == key:
            return self._phase[1]
        m = len(self.zones)
        contents = [s.content for s in self.slats]
        spent = [[0.0] * m for _ in self.slats]
        computed, taken = [0.0] * m, [0.0] * m
        length = len(self.slats)
        if not nonzero(arrest):
            for k in range(m):
                fk = self._fraction(fractions[k])
                zone = [i for i in range(length) if self._in_zone(k, i, length)]
                amounts = []
                for i in zone:
                    slat = self.slats[i]
                    wanted = contents[i] * fk * self.dt if self.exponential else min(slat.rate[k], slat.budget[k])
                    amount = max(0.0, min(wanted, contents[i]))
                    if not self.exponential:
                        spent[i][k] = amount
                    amounts.append(amount)
                computed[k] = sum(amounts)
                if self.whole[k]:  # whole units only: the fractions add up in a carry (exit-most slats first)
                    remaining = float(math.floor(self.carry[k] + computed[k] + 1e-9))
                    for i in zone:
                        take = min(contents[i], remaining)
                        contents[i] -= take
                        remaining -= take
                        taken[k] += take
                else:
                    for i, amount in zip(zone, amounts, strict=True):
                        contents[i] -= amount
                    taken[k] = computed[k]
        exit_volume = contents[0] if contents and not nonzero(arrest) and not nonzero(held) else 0.0
        result = _Phase(computed, taken, spent, contents, exit_volume)
        self._phase = (key, result)
        return result

    # -- reads ---------------------------------------------------------------------------------------------
    def read(self, output: int, arrest: float, held: float, *rest: float) -> float:
        m = len(self.zones)
        fractions = rest[:m]
        phase = self._leak_and_exit(arrest, held, fractions)
        if output == 0:
            return phase.exit / self.dt
        if output <= m:
            return phase.taken[output - 1] / self.dt
        if nonzero(arrest):
            return 0.0
        capacity, in_limit, conveyed, *requests = rest[m:]
        j = output - m - 1
        after = sum(phase.contents) - phase.exit
        room = _limit(capacity)
        if room != math.inf:
            room = max(0.0, room - after - max(0.0, conveyed) * self.dt)
        budget = max(0.0, _limit(in_limit) - self.entered) if self.discrete else _limit(in_limit) * self.dt
        room = min(room, budget)
        if j == self.inflows:  # the room for an inflow from a queue
            return room / self.dt
        before = sum(max(0.0, r) * self.dt for r in requests[:j] if r == r)
        request = requests[j]
        request = max(0.0, request) * self.dt if request == request else 0.0
        return min(request, max(0.0, room - before)) / self.dt

    # -- step ----------------------------------------------------------------------------------------------
    def step(self, arrest: float, held: float, sample: float, transit: float, *rest: float) -> None:
        m = len(self.zones)
        fractions, inflow = rest[:m], rest[m]
        unit, self.time = math.floor(self.time + 1e-9), self.time + self.dt
        self.entered = 0.0 if math.floor(self.time + 1e-9) != unit else self.entered
        if nonzero(arrest):
            return
        phase = self._leak_and_exit(arrest, held, fractions)
        for k in range(m):
            if self.whole[k]:
                self.carry[k] += phase.computed[k] - phase.taken[k]
        for i, slat in enumerate(self.slats):
            slat.content = phase.contents[i]
            slat.budget = [b - s for b, s in zip(slat.budget, phase.spent[i], strict=True)]
        if nonzero(sample) and transit == transit and not math.isinf(transit):
            self.latched = max(self.dt, transit)
        if self.slats:
            if nonzero(held):
                if len(self.slats) > 1:
                    self.slats[0].add(self.slats.pop(1))
            else:
                self.slats.pop(0)
        while self.slats and self.slats[-1].content == 0.0 and not any(self.slats[-1].budget):
            self.slats.pop()
        volume = max(0.0, inflow) * self.dt if inflow == inflow else 0.0
        self._insert(volume, fractions)
        if self.discrete and math.floor(self.time + 1e-9) == unit:
            self.entered += volume
        self._phase = None

    def _insert(self, volume: float, fractions: Sequence[float]) -> None:
        depth = self._depth()
        while len(self.slats) < depth:
            self.slats.append(_Slat(len(self.zones)))
        slat = self.slats[depth - 1]
        slat.content += volume
        if not self.exponential and volume:
            length = len(self.slats)
            for k, value in enumerate(fractions):
                count = self._zone_count(k, depth, length)
                if count:
                    rate = self._fraction(value) * volume / count
                    slat.rate[k] += rate
                    slat.budget[k] += rate * count


def _profile_weights(xs: Sequence[float], ys: Sequence[float], bins: int) -> list[float]:
    """The area under the piecewise linear profile ``(xs, ys)`` in each of ``bins`` equal parts of its x
    range, as fractions of the whole (an even spread when the profile has no area)."""
    low, high = xs[0], xs[-1]
    if bins < 1:
        return []
    if high <= low:
        return [1.0 / bins] * bins

    def area(a: float, b: float) -> float:  # integral of the profile from a to b (trapezoids)
        total = 0.0
        for x0, x1, y0, y1 in zip(xs, xs[1:], ys, ys[1:], strict=False):
            lo, hi = max(a, x0), min(b, x1)
            if hi > lo and x1 > x0:
                f0 = y0 + (y1 - y0) * (lo - x0) / (x1 - x0)
                f1 = y0 + (y1 - y0) * (hi - x0) / (x1 - x0)
                total += (hi - lo) * (max(f0, 0.0) + max(f1, 0.0)) / 2
        return total

    width = (high - low) / bins
    parts = [area(low + k * width, low + (k + 1) * width) for k in range(bins)]
    whole = sum(parts)
    return [p / whole for p in parts] if whole > 0 else [1.0 / bins] * bins


class DelayConveyor:
    """Vensim's DELAY CONVEYOR. ``options``: the initial profile's x and y points. Start values: initial
    content, initial conveyance time. Read: output 0 (what reaches the end this step, a rate) given the
    conveyance time. Step values: input, conveyance time, leak (a fraction per time unit)."""

    EPSILON = 1e-9

    def __init__(self, options: tuple[object, ...], start: float, dt: float) -> None:
        xs, ys = options
        self.profile = (list(xs), list(ys))  # type: ignore[call-overload]
        self.dt = dt
        self.parcels: list[list[float]] = []  # [distance left, amount], the nearest the end first

    def start(self, content: float, time: float) -> None:
        if not (math.isfinite(time) and time > 0):
            raise SimulationError(f"DELAY CONVEYOR's initial conveyance time must be above zero, not {time:g}")
        count = max(1, round_half_away(time / self.dt))
        weights = _profile_weights(*self.profile, count)
        self.parcels = [[(k + 1) / count, content * w] for k, w in enumerate(weights)]

    def _move(self, time: float) -> float:
        return self.dt / time if time > 0 else math.inf

    def read(self, output: int, time: float) -> float:
        move = self._move(time) + self.EPSILON
        return sum(a for r, a in self.parcels if r <= move) / self.dt

    def step(self, value: float, time: float, leak: float) -> None:
        move = self._move(time)
        self.parcels = [[r - move, a] for r, a in self.parcels if r > move + self.EPSILON]
        self.parcels.append([1.0, value * self.dt])
        keep = max(0.0, 1.0 - leak * self.dt)
        for parcel in self.parcels:
            parcel[1] *= keep


class QueueFifo:
    """Vensim's QUEUE FIFO. ``options``: the initial profile's x and y points. Start values: initial content,
    age range. Reads (output: args): 0 the content; 1 the average age of the oldest ``quantity`` (all when
    it is not above zero or above the content); 2 the content aged ``minimum`` to ``maximum`` (NA for no
    bound); 3 the oldest age. Step values: inflow, outflow (a negative one counts on the other side)."""

    def __init__(self, options: tuple[object, ...], start: float, dt: float) -> None:
        xs, ys = options
        self.profile = (list(xs), list(ys))  # type: ignore[call-overload]
        self.dt = dt
        self.batches: list[list[float]] = []  # [age in steps, amount], the oldest first
        self.deficit = 0.0  # what was taken beyond the content (a negative queue)

    def start(self, content: float, age_range: float) -> None:
        count = max(1, round_half_away(age_range / self.dt)) if age_range > 0 else 1
        weights = _profile_weights(*self.profile, count)
        # the profile's x runs from age TIME STEP (its start) to age range + TIME STEP (its end)
        self.batches = [[count - k, content * weights[count - 1 - k]] for k in range(count)]
        self.deficit = 0.0
        if content < 0:
            self.batches, self.deficit = [], content

    def _content(self) -> float:
        return sum(a for _, a in self.batches) + self.deficit

    def read(self, output: int, *args: float) -> float:
        content = self._content()
        if output == 0:
            return content
        if content < 0:  # entries only from the previous step (the manual's rule for a negative queue)
            if output == 2:
                low, high = args
                return content if _bound(low, -math.inf) <= self.dt <= _bound(high, math.inf) else 0.0
            return self.dt
        if output == 1:
            quantity = args[0]
            wanted = content if quantity <= 0 or quantity > content else quantity
            total, weighted = 0.0, 0.0
            for age, amount in self.batches:
                take = min(amount, wanted - total)
                if take <= 0:
                    break
                total += take
                weighted += take * age * self.dt
            return weighted / total if total > 0 else 0.0
        if output == 2:
            low, high = _bound(args[0], -math.inf), _bound(args[1], math.inf)
            return sum(a for age, a in self.batches if low <= age * self.dt <= high)
        return next((age * self.dt for age, a in self.batches if a > 0), 0.0)

    def step(self, inflow: float, outflow: float) -> None:
        gain = max(inflow, 0.0) + max(-outflow, 0.0)
        loss = max(outflow, 0.0) + max(-inflow, 0.0)
        for batch in self.batches:
            batch[0] += 1
        removal = loss * self.dt
        while removal > 0 and self.batches:
            taken = min(self.batches[0][1], removal)
            self.batches[0][1] -= taken
            removal -= taken
            if self.batches[0][1] <= 0:
                self.batches.pop(0)
        self.deficit -= removal
        added = gain * self.dt
        if self.deficit < 0:
            filled = min(added, -self.deficit)
            self.deficit += filled
            added -= filled
        if added > 0:
            self.batches.append([1, added])


def _bound(value: float, default: float) -> float:
    """An age bound of QUEUE AGE IN RANGE: Vensim's :NA: (or NaN) means none."""
    return default if value != value or value <= VENSIM_NA * 0.999 else value


VENSIM_NA = -1.298074214633707e33

def _kinds() -> dict[str, Callable[[tuple[object, ...], float, float], Any]]:
    from solvers.batch_blocks import Oven, Queue  # they build on this module's helpers

    return {"conveyor": Conveyor, "delay_conveyor": DelayConveyor, "queue_fifo": QueueFifo, "oven": Oven,
            "queue": Queue}
