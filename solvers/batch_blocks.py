"""Run-time blocks of Stella's batch stocks (``solvers.blocks`` makes them; same protocol).

- ``oven``: a Stella oven (isee's "Oven Computation"). Idle and empty, it opens for its inflow; the first
  material to enter starts the fill time. The door closes when the content reaches the capacity or the
  fill time has passed (both rounded to whole time steps), whichever comes first; the oven then cooks
  for the cook time read at closing and releases its whole content in one time step, then stays closed
  for the clean time before opening again; without a clean time it fills again in the step it releases.
  While the arrest condition holds nothing moves and no timer runs.
- ``queue``: a Stella queue (XMILE 1.0 §3.7.3, isee's "Queue Computation"): a list of batches in order of
  arrival, one per nonzero inflow per step (inflows in their order, after the initial content as one
  batch). Outflows take from the front in their order, each at most what it may take (its equation, or
  what the oven it feeds admits); an outflow into an oven that keeps batches whole takes only batches
  that fit whole, one that takes one batch at a time only the front batch. A batch that does not fit
  stops that outflow (first in, first out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from metamodel.errors import SimulationError
from solvers.blocks import nonzero, round_half_away

IDLE, FILLING, COOKING, CLEANING = range(4)


class Oven:
    """A Stella oven. ``options``: (the stock's name,). Start values: initial content, capacity, fill time,
    cook time. Reads (output: args): 0 the release (a rate): arrest; 1 the admitted inflow: capacity,
    inflow limit, arrest, clean time, request; 2 what the oven takes this step (a rate): capacity, inflow
    limit, arrest, clean time. Step values: capacity, fill time, cook time, clean time, arrest, inflow."""

    def __init__(self, options: tuple[object, ...], start: float, dt: float) -> None:
        self.name = str(options[0])
        self.dt = dt
        self.phase = IDLE
        self.content = 0.0
        self.left: float = 0  # time steps left to fill, cook or clean

    def _steps(self, value: float, what: str) -> float:
        """``value`` time units in whole time steps (infinite for none)."""
        if value != value or value == math.inf:
            return math.inf
        if value < 0:
            raise SimulationError(f"oven '{self.name}': the {what} must not be negative, not {value:g}")
        return round_half_away(value / self.dt)

    def _capacity(self, value: float) -> float:
        if value != value:
            return math.inf
        if value < 0:
            raise SimulationError(f"oven '{self.name}': the capacity must not be negative, not {value:g}")
        return value

    def start(self, initial: float, capacity: float, fill: float, cook: float) -> None:
        if not (initial >= 0 and math.isfinite(initial)):
            raise SimulationError(f"oven '{self.name}': the initial content must be a number not below 0, "
                                  f"not {initial:g}")
        self.phase, self.content, self.left = IDLE, initial, 0
        if initial > 0:  # it starts filling with what it holds
            self.phase, self.left = FILLING, self._steps(fill, "fill time")
            self._close_when_done(capacity, cook)

    def _close_when_done(self, capacity: float, cook: float) -> None:
        full = self._capacity(capacity)
        if self.left <= 0 or self.content >= full - 1e-9 * max(1.0, abs(full)):
            self.phase, self.left = COOKING, self._steps(cook, "cook time")

    def _releasing(self) -> bool:
        return self.phase == COOKING and self.left <= 0

    def _room(self, capacity: float, in_limit: float, arrest: float, clean: float) -> float:
        """What may enter this step (a volume): while open, or while releasing with no clean time."""
        if nonzero(arrest):
            return 0.0
        if self.phase in (IDLE, FILLING):
            room = max(0.0, self._capacity(capacity) - self.content)
        elif self._releasing() and self._steps(clean, "clean time") <= 0:
            room = self._capacity(capacity)
        else:
            return 0.0
        limit = math.inf if in_limit != in_limit else max(0.0, in_limit)
        return min(room, limit * self.dt)

    def read(self, output: int, *args: float) -> float:
        if output == 0:
            return self.content / self.dt if self._releasing() and not nonzero(args[0]) else 0.0
        room = self._room(*args[:4]) / self.dt
        if output == 2:
            return room
        request = args[4]
        return min(max(0.0, request), room) if request == request else 0.0

    def step(self, capacity: float, fill: float, cook: float, clean: float, arrest: float, inflow: float) -> None:
        if nonzero(arrest):
            return
        if self.phase == COOKING:
            if self.left > 0:
                self.left -= 1
                return
            self.content = 0.0
            self.phase, self.left = CLEANING, self._steps(clean, "clean time")
            if self.left > 0:
                return
            self.phase = IDLE  # no clean time: it took its inflow while releasing
        if self.phase == CLEANING:
            self.left -= 1
            if self.left <= 0:
                self.phase = IDLE
            return
        volume = max(0.0, inflow) * self.dt if inflow == inflow else 0.0
        if self.phase == IDLE:
            if volume <= 0:
                return
            self.phase, self.left = FILLING, self._steps(fill, "fill time")
        self.content += volume
        self.left -= 1
        self._close_when_done(capacity, cook)


class Queue:
    """A Stella queue. ``options``: (the stock's name, number of inflows, per outflow (whole batches only,
    one batch at a time)). Start value: initial content. Read output k (what outflow k takes, a rate)
    given what outflows 0..k may each take at most (rates). Step values: each inflow, then each outflow."""

    EPSILON = 1e-12

    def __init__(self, options: tuple[object, ...], start: float, dt: float) -> None:
        name, inflows, flags = options
        self.name = str(name)
        self.inflows = int(inflows)  # type: ignore[call-overload]
        self.flags = [(bool(w), bool(o)) for w, o in flags]  # type: ignore[union-attr]
        self.dt = dt
        self.batches: list[float] = []  # amounts, the front (oldest) first

    def start(self, initial: float) -> None:
        if not (initial >= 0 and math.isfinite(initial)):
            raise SimulationError(f"queue '{self.name}': the initial content must be a number not below 0, "
                                  f"not {initial:g}")
        self.batches = [initial] if initial > 0 else []

    def _take(self, limits: Sequence[float]) -> list[float]:
        """What each outflow takes (volumes), in priority order, each from the front of what is left."""
        taken, index, front = [], 0, self.batches[0] if self.batches else 0.0
        for limit, (whole, one) in zip(limits, self.flags, strict=False):
            want = max(0.0, limit) * self.dt if limit == limit else 0.0
            got = 0.0
            while index < len(self.batches) and want > self.EPSILON:
                if whole and front > want * (1 + 1e-9) + self.EPSILON:
                    break  # the front batch does not fit whole
                part = min(front, want)
                got, want, front = got + part, want - part, front - part
                if front <= self.EPSILON * max(1.0, self.batches[index]):
                    index += 1
                    front = self.batches[index] if index < len(self.batches) else 0.0
                if one:
                    break
            taken.append(got)
        return taken

    def read(self, output: int, *limits: float) -> float:
        return self._take(limits)[output] / self.dt

    def step(self, *values: float) -> None:
        inflows, outflows = values[:self.inflows], values[self.inflows:]
        removal = sum(max(0.0, v) for v in outflows if v == v) * self.dt
        while removal > 0 and self.batches:
            part = min(self.batches[0], removal)
            self.batches[0] -= part
            removal -= part
            if self.batches[0] <= self.EPSILON * max(1.0, part):
                self.batches.pop(0)
        self.batches += [v * self.dt for v in inflows if v == v and v > 0]
