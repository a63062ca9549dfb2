"""Budgets checked before a run starts: the memory its results will take.

``CompiledModel.run`` keeps every saved value of every reported variable for every run: ``saved times ×
variables × runs`` numbers of 8 bytes (the adaptive methods also keep the stocks' trajectories, twice).
A run whose estimate exceeds the limit is refused at once with what to change, instead of failing
with a MemoryError (or swapping) after minutes; ``CompiledModel.stream`` holds one block at a time
and needs no budget. The limit is half the machine's memory, or ``SALVER_MAX_MEMORY`` (``512M``, ``8G``).
"""

from __future__ import annotations

import os
import re

from metamodel.errors import SalverError

MEMORY_ENV = "SALVER_MAX_MEMORY"
_FALLBACK = 8 * 1024**3  # where the machine's memory cannot be read
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class BudgetError(SalverError):
    """A run refused before it starts because it would need more memory than allowed."""


def memory_limit() -> int:
    """Bytes a run's results may take: ``SALVER_MAX_MEMORY``, else half the physical memory."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?", text)
        if match is None:
            raise BudgetError(f"{MEMORY_ENV}={text!r} is not a size such as 512M or 8G")
        return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, OSError, ValueError):
        return _FALLBACK


def estimate(saved: int, reported: int, stocks: int, runs: int, *, adaptive: bool) -> int:
    """Bytes the results and the integrator's trajectories of one run call take, roughly."""
    total = saved * reported * runs * 8
    if adaptive:  # solve_ivp's trajectories and their reshaped copy
        total += 2 * saved * stocks * runs * 8
    return total


def check_memory(saved: int, reported: int, stocks: int, runs: int, *, adaptive: bool) -> None:
    """Refuse a run whose results would not fit the memory limit, saying what would make it fit."""
    need = estimate(saved, reported, stocks, runs, adaptive=adaptive)
    limit = memory_limit()
    if need <= limit:
        return
    raise BudgetError(
        f"the results would take about {_size(need)} ({saved} saved times x {reported} variables x {runs} "
        f"run(s)), more than the {_size(limit)} allowed: save less often (a larger save period, "
        f"--save-per), make fewer runs at a time, stream the results block by block (CompiledModel.stream), "
        f"or allow more memory with {MEMORY_ENV}")


def _size(count: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count:.1f} TiB"
