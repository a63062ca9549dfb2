"""Integrators over the generated functions, run in chunks of steps so that memory stays bounded.

Fixed-step Euler, RK2 (Heun) and RK4 follow XMILE/Vensim semantics: the time grid is
``start + n*dt``, values are saved every ``save_per`` from ``start``, auxiliaries are computed from the
stocks at the saved time. A non-negative stock is held at zero after each step (its flows keep their
computed values, as the reference tools report them). Adaptive methods use
``scipy.integrate.solve_ivp`` and report the same grid.

A *stepper* holds the state of all runs and ``advance(n0, n1)`` computes steps ``n0 .. n1 - 1``,
returning the values of the saved steps among them, shaped ``(saved, reported, runs)``. ``integrate``
drives a stepper over the grid in chunks (about a hundred when progress is reported) and yields the
saved rows chunk by chunk: only saved steps are ever kept, whatever the number of steps computed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from metamodel.elements import SimSpec
from metamodel.errors import SimulationError

if TYPE_CHECKING:
    from solvers.model_run import RunSetup

ADAPTIVE = {"rk45": "RK45", "lsoda": "LSODA", "bdf": "BDF", "radau": "Radau"}
STIFF = {"bdf", "radau"}  # given the sympy Jacobian when the model has one
STAGES = {"euler": 1, "rk2": 2, "rk4": 4}  # evaluations of the rates per step
CHUNK_STEPS = 1 << 16  # steps per call of a stepper
CHUNK_VALUES = 1 << 21  # saved values (rows x reported x runs) per chunk: 16 MB


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

    @property
    def saved_count(self) -> int:
        return self.count // self.save_every + 1

    def time(self, n: int) -> float:
        return self.start + n * self.dt


def grid(spec: SimSpec) -> Steps:
    """The step grid of a sim spec (DT steps from start to stop, saving every save period)."""
    count = int(round((spec.stop - spec.start) / spec.dt))
    if count < 0:
        raise SimulationError(f"stop time {spec.stop} is before start time {spec.start}")
    save_per = spec.save_per if spec.save_per and spec.save_per > 0 else spec.dt
    return Steps(spec.start, spec.dt, count, max(1, int(round(save_per / spec.dt))))


class Stepper(Protocol):
    def advance(self, n0: int, n1: int) -> np.ndarray:
        """Compute steps ``n0 .. n1 - 1``; the saved ones' values, shaped ``(saved, reported, runs)``."""


def chunks(steps: Steps, values_per_row: int, progress: bool) -> Iterator[tuple[int, int]]:
    """Step ranges ``[n0, n1)`` covering the grid; bounded in steps and in saved values, and about a
    hundred of them when progress is reported."""
    total = steps.count + 1
    rows = max(1, CHUNK_VALUES // max(values_per_row, 1))
    size = min(CHUNK_STEPS, rows * steps.save_every)
    if progress:
        size = min(size, -(-total // 100))
    size = max(size, 1)
    for n0 in range(0, total, size):
        yield n0, min(n0 + size, total)


def integrate(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
              steps: Steps, stepper: Stepper | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Run the model; yields ``(first row, values)`` blocks of the saved steps, values shaped
    ``(rows, reported, runs)``, in time order. ``stepper`` replaces the Python one (native code)."""
    if setup.method in ADAPTIVE:
        yield 0, _adaptive(ns, setup, n_stocks, n_memories, n_reported, steps)
        return
    if stepper is None:
        if setup.vector:
            stepper = VectorStepper(ns, setup, n_stocks, n_memories, n_reported, steps)
        elif setup.method == "euler":
            stepper = ScalarEuler(ns, setup, n_stocks, n_memories, n_reported, steps)
        else:
            stepper = ScalarStages(ns, setup, n_stocks, n_memories, n_reported, steps)
    progress = setup.progress
    row = 0
    for n0, n1 in chunks(steps, n_reported * setup.runs, progress is not None):
        if progress is not None:
            progress(n0 / max(steps.count, 1))
        block = stepper.advance(n0, n1)
        yield row, block
        row += len(block)
    if progress is not None:
        progress(1.0)


def saved_between(n0: int, n1: int, every: int) -> int:
    """How many saved steps (multiples of ``every``) lie in ``n0 .. n1 - 1``."""
    return -(-n1 // every) - -(-n0 // every)


# -- Python steppers ------------------------------------------------------------------------------------
class ScalarEuler:
    """One run in Python floats: the generated ``_euler`` loop over local variables."""

    def __init__(self, ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
                 steps: Steps) -> None:
        self.euler, self.par, self.steps, self.n_reported = ns["_euler"], setup.par, steps, n_reported
        self.state, self.memory = [0.0] * n_stocks, [0.0] * n_memories
        ns["_init"](steps.start, setup.par, self.state, self.memory)

    def advance(self, n0: int, n1: int) -> np.ndarray:
        steps, rows = self.steps, []
        self.euler(self.state, self.memory, self.par, n0, n1, steps.count, steps.start, steps.dt, steps.save_every,
                   rows)
        return np.array(rows, dtype=float).reshape(len(rows), self.n_reported, 1)


class ScalarStages:
    """One run in Python floats for the methods with several stages (RK2, RK4), through ``_rhs``."""

    def __init__(self, ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
                 steps: Steps) -> None:
        self.rhs, self.setup, self.steps, self.n_reported = ns["_rhs"], setup, steps, n_reported
        self.state, self.memory = [0.0] * n_stocks, [0.0] * n_memories
        ns["_init"](steps.start, setup.par, self.state, self.memory)

    def advance(self, n0: int, n1: int) -> np.ndarray:
        rhs, par, memory, steps, method = self.rhs, self.setup.par, self.memory, self.steps, self.setup.method
        state, derivative = self.state, [0.0] * len(self.state)
        dt, every, non_negative = steps.dt, steps.save_every, self.setup.non_negative
        rows: list[list[float]] = []
        scratch = [0.0] * self.n_reported  # filled on steps that are not saved (memories still update)
        for n in range(n0, n1):
            t = steps.start + n * dt
            record = [0.0] * self.n_reported if n % every == 0 else scratch
            if record is not scratch:
                rows.append(record)
            rhs(t, state, memory, derivative, record, par)
            if n == steps.count:
                break
            state = _stages_scalar(rhs, par, memory, t, dt, state, derivative, method)
            for row in non_negative:
                if state[row] < 0.0:
                    state[row] = 0.0
        self.state = state
        return np.array(rows, dtype=float).reshape(len(rows), self.n_reported, 1)


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


class VectorStepper:
    """All runs at once in numpy arrays over the runs."""

    def __init__(self, ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
                 steps: Steps) -> None:
        self.rhs, self.setup, self.steps, self.n_reported = ns["_rhs"], setup, steps, n_reported
        self.state, self.memory = _initial_state(ns, setup, n_stocks, n_memories, steps)

    def advance(self, n0: int, n1: int) -> np.ndarray:
        rhs, setup, steps = self.rhs, self.setup, self.steps
        par, runs, memory, state = setup.par, setup.runs, self.memory, self.state
        dt, every, method, non_negative = steps.dt, steps.save_every, setup.method, setup.non_negative
        out = np.empty((saved_between(n0, n1, every), self.n_reported, runs))
        scratch = np.empty((self.n_reported, runs))
        derivative = np.zeros_like(state)
        first = -(-n0 // every)
        for n in range(n0, n1):
            t = np.float64(steps.start + n * dt)
            rhs(t, state, memory, derivative, out[n // every - first] if n % every == 0 else scratch, par)
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
            if non_negative:
                state[non_negative] = np.maximum(state[non_negative], 0.0)
        self.state = state
        return out


def _adaptive(ns: dict[str, Any], setup: RunSetup, n_stocks: int, n_memories: int, n_reported: int,
              steps: Steps) -> np.ndarray:
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
    return out

