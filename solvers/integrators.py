"""Integrators over the generated ``_init``/``_rhs`` functions.

Fixed-step Euler, RK2 (Heun) and RK4 follow XMILE/Vensim semantics: the time grid is
``start + n*dt``, values are saved every ``save_per`` from ``start``, auxiliaries are computed from the
stocks at the saved time. A non-negative stock is held at zero after each step (its flows keep their
computed values, as the reference tools report them). Adaptive methods use
``scipy.integrate.solve_ivp`` and report the same grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from metamodel.elements import SimSpec
from metamodel.errors import SimulationError

if TYPE_CHECKING:
    from solvers.model_run import RunSetup

ADAPTIVE = {"rk45": "RK45", "lsoda": "LSODA", "bdf": "BDF", "radau": "Radau"}
STIFF = {"bdf", "radau"}  # given the sympy Jacobian when the model has one


@dataclass(frozen=True)
class Steps:
    """The fixed-step grid: ``count`` steps of ``dt``; every ``save_every``-th point is saved."""

    start: float
    dt: float
    count: int
    save_every: int

    @property
    def saved(self) -> np.ndarray:
        return np.arange(0, self.count + 1, self.save_every)

    def time(self, n: int) -> float:
        return self.start + n * self.dt


def grid(spec: SimSpec) -> Steps:
    """The step grid of a sim spec (DT steps from start to stop, saving every save period)."""
    count = int(round((spec.stop - spec.start) / spec.dt))
    if count < 0:
        raise SimulationError(f"stop time {spec.stop} is before start time {spec.start}")
    save_per = spec.save_per if spec.save_per and spec.save_per > 0 else spec.dt
    return Steps(spec.start, spec.dt, count, max(1, int(round(save_per / spec.dt))))


def integrate(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
              steps: Steps) -> tuple[np.ndarray, np.ndarray]:
    """Run the model; returns saved times and values shaped ``(times, reported, runs)``."""
    if setup.method in ADAPTIVE:
        return _adaptive(ns, setup, n_stocks, n_memories, n_reported, steps)
    if setup.vector:
        return _fixed_vector(ns, setup, n_stocks, n_memories, n_reported, steps)
    return _fixed_scalar(ns, setup, n_stocks, n_memories, n_reported, steps)


def _fixed_scalar(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
                  steps: Steps) -> tuple[np.ndarray, np.ndarray]:
    init, rhs, par = ns["_init"], ns["_rhs"], setup.par
    state, memory = [0.0] * n_stocks, [0.0] * n_memories
    init(steps.start, par, state, memory)
    rows: list[list[float]] = []
    derivative = [0.0] * n_stocks
    dt, every, method = steps.dt, steps.save_every, setup.method
    report = _Reporter(setup.progress, steps.count)
    scratch = [0.0] * n_reported  # filled on steps that are not saved (memories still update)
    euler = method == "euler"
    for n in range(steps.count + 1):
        t = steps.start + n * dt
        if n % report.every == 0:
            report(n)
        if n % every == 0:
            record = [0.0] * n_reported
            rows.append(record)
        else:
            record = scratch
        rhs(t, state, memory, derivative, record, par)
        if n == steps.count:
            break
        if euler:
            state = [s + dt * d for s, d in zip(state, derivative)]  # noqa: B905 - equal lengths by construction
        else:
            state = _stages_scalar(rhs, par, memory, t, dt, state, derivative, method)
        for row in setup.non_negative:
            if state[row] < 0.0:
                state[row] = 0.0
    out = np.array(rows, dtype=float).reshape(len(rows), n_reported, 1)
    return steps.start + steps.saved[: len(rows)] * dt, out


class _Reporter:
    """Calls the progress callback with the fraction of steps done, every ``every`` steps."""

    def __init__(self, callback: Callable[[float], None] | None, count: int) -> None:
        self.callback = callback
        self.count = max(count, 1)
        self.every = max(1, count // 100) if callback is not None else count + 1

    def __call__(self, n: int) -> None:
        if self.callback is not None:
            self.callback(min(1.0, n / self.count))


def _stages_scalar(rhs: Any, par: list[Any], memory: list[Any], t: float, dt: float, state: list[float],
                   k1: list[float], method: str) -> list[float]:
    n = len(state)
    k2 = [0.0] * n
    if method == "rk2":
        rhs(t + dt, [s + dt * a for s, a in zip(state, k1, strict=True)], memory, k2, None, par)
        return [s + dt / 2 * (a + b) for s, a, b in zip(state, k1, k2, strict=True)]
    k3, k4 = [0.0] * n, [0.0] * n
    rhs(t + dt / 2, [s + dt / 2 * a for s, a in zip(state, k1, strict=True)], memory, k2, None, par)
    rhs(t + dt / 2, [s + dt / 2 * b for s, b in zip(state, k2, strict=True)], memory, k3, None, par)
    rhs(t + dt, [s + dt * c for s, c in zip(state, k3, strict=True)], memory, k4, None, par)
    return [s + dt / 6 * (a + 2 * b + 2 * c + d) for s, a, b, c, d in zip(state, k1, k2, k3, k4, strict=True)]


def _initial_state(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int,
                   steps: Steps) -> tuple[np.ndarray, list[Any]]:
    """Stocks (stocks x runs) and memories at the start time."""
    state = np.zeros((n_stocks, setup.runs))
    memory: list[Any] = [0.0] * n_memories
    ns["_init"](steps.start, setup.par, state, memory)
    return state, memory


def _fixed_vector(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
                  steps: Steps) -> tuple[np.ndarray, np.ndarray]:
    rhs, par, runs = ns["_rhs"], setup.par, setup.runs
    state, memory = _initial_state(ns, setup, n_stocks, n_memories, steps)
    saved = steps.saved
    out = np.empty((len(saved), n_reported, runs))
    scratch = np.empty((n_reported, runs))
    derivative = np.zeros((n_stocks, runs))
    dt, every, method = steps.dt, steps.save_every, setup.method
    report = _Reporter(setup.progress, steps.count)
    for n in range(steps.count + 1):
        t = np.float64(steps.start + n * dt)
        if n % report.every == 0:
            report(n)
        rhs(t, state, memory, derivative, out[n // every] if n % every == 0 else scratch, par)
        if n == steps.count:
            break
        if method == "euler":
            state = state + dt * derivative
        elif method == "rk2":
            k2 = np.empty_like(state)
            rhs(t + dt, state + dt * derivative, memory, k2, None, par)
            state = state + dt / 2 * (derivative + k2)
        else:
            k2, k3, k4 = np.empty_like(state), np.empty_like(state), np.empty_like(state)
            rhs(t + dt / 2, state + dt / 2 * derivative, memory, k2, None, par)
            rhs(t + dt / 2, state + dt / 2 * k2, memory, k3, None, par)
            rhs(t + dt, state + dt * k3, memory, k4, None, par)
            state = state + dt / 6 * (derivative + 2 * k2 + 2 * k3 + k4)
        if setup.non_negative:
            state[setup.non_negative] = np.maximum(state[setup.non_negative], 0.0)
    return steps.start + saved * dt, out


def _adaptive(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
              steps: Steps) -> tuple[np.ndarray, np.ndarray]:
    rhs, par, runs = ns["_rhs"], setup.par, setup.runs
    state, memory = _initial_state(ns, setup, n_stocks, n_memories, steps)
    times = steps.start + steps.saved * steps.dt
    shape = (n_stocks, runs)

    def fun(t: float, y: np.ndarray) -> np.ndarray:
        derivative = np.empty(shape)
        rhs(t, y.reshape(shape), memory, derivative, None, par)
        return derivative.ravel()

    end = times[-1] if len(times) else steps.start
    if n_stocks and end > steps.start:
        from scipy.integrate import solve_ivp  # scipy: only for the adaptive methods

        jacobian = setup.jacobian
        options = {"jac": (lambda t, y: jacobian(t, y, par))} if jacobian is not None else {}
        solution = solve_ivp(fun, (steps.start, end), state.ravel(), method=ADAPTIVE[setup.method], t_eval=times,
                             rtol=1e-6, atol=1e-9, **options)
        if not solution.success:
            raise SimulationError(f"{ADAPTIVE[setup.method]} failed: {solution.message}", time=float(
                solution.t[-1]) if len(solution.t) else None)
        states = solution.y.T.reshape(len(times), *shape)
    else:
        states = np.broadcast_to(state, (len(times), *shape))
    out = np.empty((len(times), n_reported, runs))
    derivative = np.empty(shape)
    for i, t in enumerate(times):
        rhs(float(t), states[i], memory, derivative, out[i], par)
    return times, out
