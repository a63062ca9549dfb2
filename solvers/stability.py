"""A warning for fixed-step runs whose step is too long for how fast the model's stocks settle.

An explicit method (Euler, RK2, RK4) multiplies a mode that decays at rate ``λ`` by ``R(λ·dt)`` each
step (``R(z) = 1 + z`` for Euler). When ``|R| > 1`` for a mode that really decays, the results oscillate
and grow without bound, and look like a model that explodes. The check looks at the Jacobian of the
stocks' rates at the start (finite differences of the generated code) only when a run's values grew
by many orders of magnitude, so that ordinary runs pay nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metamodel.errors import SalverError

MAX_STOCKS = 200  # larger models are not checked (the eigenvalues would cost more than the warning is worth)
GROWTH = 1e6  # values this many times larger than at the start trigger the check
_REAL_LIMITS = {"euler": 2.0, "rk2": 2.0, "rk4": 2.785}  # stable steps for a real rate, in units of 1/|λ|
_AMPLIFICATION = {  # coefficients of R(z), lowest power first
    "euler": (1.0, 1.0), "rk2": (1.0, 1.0, 0.5), "rk4": (1.0, 1.0, 0.5, 1 / 6, 1 / 24),
}


class StiffnessWarning(UserWarning):
    """A fixed-step run whose step is too long for the model: an implicit method or a shorter step is due."""


def grew(out: np.ndarray) -> bool:
    """True when the reported values of a run grew by ``GROWTH`` times from the first saved time."""
    if out.shape[0] < 2 or out.size == 0:
        return False
    first = float(np.max(np.abs(out[0])))
    return float(np.max(np.abs(out))) > GROWTH * (first + 1.0)


def step_warning(ns: dict[str, Any], method: str, start: float, dt: float, par: list[Any], n_stocks: int,
                 n_memories: int) -> str | None:
    """Why ``dt`` is too long for ``method`` on this model at the start, or None when it is not."""
    if method not in _AMPLIFICATION or not 0 < n_stocks <= MAX_STOCKS:
        return None
    scalar = [p if not isinstance(p, np.ndarray) else float(p.ravel()[0]) for p in par]
    state, memory = [0.0] * n_stocks, [0.0] * n_memories

    def rates(values: np.ndarray) -> np.ndarray:
        derivative = [0.0] * n_stocks
        ns["_rhs"](start, [float(v) for v in values], memory, derivative, None, scalar)
        return np.asarray([float(np.asarray(d).ravel()[0]) for d in derivative])

    with np.errstate(all="ignore"):
        try:
            ns["_init"](start, scalar, state, memory)  # in floats: a division by zero raises here
            base = np.asarray(state, dtype=float)
            at_start = rates(base)
            jacobian = np.empty((n_stocks, n_stocks))
            for column in range(n_stocks):
                step = 1e-6 * max(1.0, abs(base[column]))
                moved = base.copy()
                moved[column] += step
                jacobian[:, column] = (rates(moved) - at_start) / step
            if not np.isfinite(jacobian).all():
                return None
            eigenvalues = np.linalg.eigvals(jacobian)
        except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, SalverError, np.linalg.LinAlgError):
            return None  # a model the finite differences cannot probe: no warning rather than a wrong one
    growth = np.abs(np.polyval(_AMPLIFICATION[method][::-1], eigenvalues * dt))
    unstable = eigenvalues[(eigenvalues.real < 0) & (np.abs(eigenvalues) * dt > 1.0) & (growth > 1.0)]
    if unstable.size == 0:
        return None
    rate = float(np.max(np.abs(unstable)))
    limit = _REAL_LIMITS[method] / rate
    return (f"the time step {dt:g} is too long for {method.upper()}: the model has a mode that settles at the "
            f"rate {rate:.3g} per time unit, and {method.upper()} makes it grow (stable below a step of about "
            f"{limit:.3g}); the results oscillate and diverge. Use an implicit method (--method bdf or radau) "
            f"or a step below {limit:.3g}")
