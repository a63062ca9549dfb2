"""Run-time blocks of Stella's batch stocks (``solvers.blocks`` makes them; same protocol).

- ``oven``: a Stella oven (isee's "Oven Computation"). Idle and empty, it opens for its inflow; the first
  material to enter starts the fill time. The door closes when the content reaches the capacity or the
  fill time has passed (both rounded to whole time steps), whichever comes first; the oven then cooks
  for the cook time read at closing and releases its whole content in one time step, then stays closed
  for the clean time before opening again. While the arrest condition holds nothing moves and no timer
  runs.
"""

from __future__ import annotations

import math

from metamodel.errors import SimulationError
from solvers.blocks import nonzero, round_half_away

IDLE, FILLING, COOKING, CLEANING = range(4)


class Oven:
    """A Stella oven. ``options``: (the stock's name,). Start values: initial content, capacity, fill time,
    cook time. Reads (output: args): 0 the release (a rate): arrest; 1 the admitted inflow: capacity,
    inflow limit, arrest, request; 2 what the oven takes this step (a rate): capacity, inflow limit,
    arrest. Step values: capacity, fill time, cook time, clean time, arrest, inflow."""

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

    def _room(self, capacity: float, in_limit: float, arrest: float) -> float:
        """What may enter this step (a volume)."""
        if nonzero(arrest) or self.phase not in (IDLE, FILLING):
            return 0.0
        room = max(0.0, self._capacity(capacity) - self.content)
        limit = math.inf if in_limit != in_limit else max(0.0, in_limit)
        return min(room, limit * self.dt)

    def read(self, output: int, *args: float) -> float:
        if output == 0:
            released = self.phase == COOKING and self.left <= 0 and not nonzero(args[0])
            return self.content / self.dt if released else 0.0
        room = self._room(*args[:3]) / self.dt
        if output == 2:
            return room
        request = args[3]
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
            if self.left <= 0:
                self.phase = IDLE
            return
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
