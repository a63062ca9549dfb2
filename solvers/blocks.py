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
  hold back the inflows (in their order); an arrest freezes the belt and every flow of it.
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
    factory = _KINDS[spec.kind]
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


def _nonzero(value: float) -> bool:
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
    leak flow, number of inflows driven by equations).

    Start values: initial content, transit time, then each leak's fraction. Every read takes the same
    arguments: arrest, arrest of the outflow's destination, each leak's fraction, capacity, inflow limit,
    the inflow coming from other conveyors (a rate), then each equation-driven inflow's request (a rate).
    Outputs: 0 the outflow, 1..m the leaks, then each equation-driven inflow as admitted. Step values:
    arrest, the destination's arrest, sample, transit time, each leak's fraction, the total inflow rate.
    """

    def __init__(self, options: tuple[object, ...], start: float, dt: float) -> None:
        exponential, leaks, inflows = options
        self.exponential = bool(exponential)
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
        for i in range(n - 1, 0, -1):
            held = profile[i]
            for k, fk in enumerate(f):
                if self._in_zone(k, i, n):
                    shed = held * fk * self.dt if self.exponential else (fk / counts[k] if counts[k] else 0.0)
                    held -= min(shed, held)
            profile[i - 1] = max(0.0, held)
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
        if not _nonzero(arrest):
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
        exit_volume = contents[0] if contents and not _nonzero(arrest) and not _nonzero(held) else 0.0
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
        if _nonzero(arrest):
            return 0.0
        capacity, in_limit, conveyed, *requests = rest[m:]
        j = output - m - 1
        after = sum(phase.contents) - phase.exit
        room = _limit(capacity)
        if room != math.inf:
            room = max(0.0, room - after - max(0.0, conveyed) * self.dt)
        room = min(room, _limit(in_limit) * self.dt)
        before = sum(max(0.0, r) * self.dt for r in requests[:j] if r == r)
        request = requests[j]
        request = max(0.0, request) * self.dt if request == request else 0.0
        return min(request, max(0.0, room - before)) / self.dt

    # -- step ----------------------------------------------------------------------------------------------
    def step(self, arrest: float, held: float, sample: float, transit: float, *rest: float) -> None:
        if _nonzero(arrest):
            return
        m = len(self.zones)
        fractions, inflow = rest[:m], rest[m]
        phase = self._leak_and_exit(arrest, held, fractions)
        for k in range(m):
            if self.whole[k]:
                self.carry[k] += phase.computed[k] - phase.taken[k]
        for i, slat in enumerate(self.slats):
            slat.content = phase.contents[i]
            slat.budget = [b - s for b, s in zip(slat.budget, phase.spent[i], strict=True)]
        if _nonzero(sample) and transit == transit and not math.isinf(transit):
            self.latched = max(self.dt, transit)
        if self.slats:
            if _nonzero(held):
                if len(self.slats) > 1:
                    self.slats[0].add(self.slats.pop(1))
            else:
                self.slats.pop(0)
        while self.slats and self.slats[-1].content == 0.0 and not any(self.slats[-1].budget):
            self.slats.pop()
        self._insert(max(0.0, inflow) * self.dt if inflow == inflow else 0.0, fractions)
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


_KINDS: dict[str, Callable[[tuple[object, ...], float, float], Any]] = {"conveyor": Conveyor}
