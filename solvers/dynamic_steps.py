"""Euler steps whose size, save period and stop time are model variables computed at each step.

Vensim lets TIME STEP, SAVEPER and FINAL TIME be equations of time (``SimSpec.controls`` names them).
At each time ``t`` the model is computed, then the step to the next time is the TIME STEP just
computed, a row is saved when ``t`` reaches the next save time (the last saved time plus the SAVEPER
computed there), and the run ends at the last time whose next step would pass the FINAL TIME computed
at it. One run of the scalar program; the fixed-grid integrators (and a native backend) never see such
a model: ``model_run`` sends it here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metamodel.errors import ModelError, SimulationError

if TYPE_CHECKING:
    from solvers.model_run import RunSetup

TIME_EPS = 1e-9


def check(setup: RunSetup, pipelines: int) -> None:
    """Refuse what a step that changes cannot run: several runs at once, other methods, pipelines."""
    names = ", ".join(sorted(setup.spec.controls.values()))
    if setup.runs > 1 or setup.vector:
        raise ModelError(f"{names} change during the run: such a model runs one run at a time on the scalar "
                         "backend (no parameter arrays, no neural components)")
    if setup.method != "euler":
        raise ModelError(f"{names} change during the run: only Euler integration steps with them "
                         f"(method '{setup.method}' was asked)")
    if pipelines:
        raise ModelError(f"{names} change during the run: DELAY, DELAY FIXED, conveyors and queues keep their "
                         "state per fixed step and cannot follow them")


def integrate(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
              columns: dict[str, int], max_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Run with the controls read from the reported ``columns`` (``stop``/``dt``/``save_per`` -> column);
    returns saved times and values shaped ``(times, reported, 1)``."""
    spec = setup.spec
    init, rhs, par = ns["_init"], ns["_rhs"], setup.par
    state, memory = [0.0] * n_stocks, [0.0] * n_memories
    init(spec.start, par, state, memory)
    derivative = [0.0] * n_stocks
    record = [0.0] * n_reported
    times: list[float] = []
    rows: list[list[float]] = []
    t, next_save = spec.start, spec.start
    for _ in range(max_steps + 1):
        rhs(t, state, memory, derivative, record, par)
        dt = record[columns["dt"]] if "dt" in columns else spec.dt
        save_per = record[columns["save_per"]] if "save_per" in columns else (spec.save_per or dt)
        stop = record[columns["stop"]] if "stop" in columns else spec.stop
        if not (dt > 0 and np.isfinite(dt)):
            raise SimulationError(f"TIME STEP became {dt:g}; it must stay above zero", time=t)
        if t >= next_save - TIME_EPS:
            times.append(t)
            rows.append(list(record))
            next_save = t + (save_per if save_per > 0 else dt)
        if t + dt > stop + TIME_EPS:
            break
        ns["_DT"] = dt
        state = [s + dt * d for s, d in zip(state, derivative, strict=True)]
        for row in setup.non_negative:
            if state[row] < 0.0:
                state[row] = 0.0
        t += dt
    else:
        raise SimulationError(f"more than {max_steps} steps before FINAL TIME", time=t)
    return np.asarray(times, dtype=float), np.asarray(rows, dtype=float).reshape(len(rows), n_reported, 1)
