"""Analyses over many runs of one compiled model: sensitivity (Monte Carlo), global sensitivity indices,
calibration to data and policy optimisation; in this process or on a Dask cluster.

Nothing heavy is imported here: SALib, emcee, dask, pyarrow and scipy.optimize load inside the
functions that use them. The same calls are methods of ``CompiledModel``::

    model = solvers.load("sir.salver")
    study = model.sensitivity({"Contact Rate": "uniform(2, 6)"}, runs=1000, out="runs.parquet")
    study.summary("Infected").band(95)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from solvers.analysis.calibration import Calibration
    from solvers.analysis.indices import Indices
    from solvers.analysis.optimization import Optimization
    from solvers.analysis.sensitivity import SensitivityStudy

__all__ = ["AnalysisMethods"]


class AnalysisMethods:
    """The analyses as methods of a compiled model (mixed into ``CompiledModel``)."""

    def sensitivity(self, vary: dict[str, Any], runs: int = 100, **study: Any) -> SensitivityStudy:
        """Monte Carlo over ``vary`` (name -> distribution text); see ``solvers.analysis.sensitivity``."""
        from solvers.analysis.sensitivity import sensitivity

        return sensitivity(self, vary, runs, **study)  # type: ignore[arg-type]

    def global_sensitivity(self, vary: dict[str, Any], output: str, **options: Any) -> Indices:
        """Sobol' or Morris indices of one output; see ``solvers.analysis.indices``."""
        from solvers.analysis.indices import global_sensitivity

        return global_sensitivity(self, vary, output, **options)  # type: ignore[arg-type]

    def calibrate(self, data: Any, fit: dict[str, tuple[float, float]], **options: Any) -> Calibration:  # noqa: ANN401
        """Fit constants to time-series data; see ``solvers.analysis.calibration``."""
        from solvers.analysis.calibration import calibrate

        return calibrate(self, data, fit, **options)  # type: ignore[arg-type]

    def optimize(self, policy: dict[str, tuple[float, float]], payoff: dict[str, float],
                 **options: Any) -> Optimization:
        """Best policy constants for a payoff; see ``solvers.analysis.optimization``."""
        from solvers.analysis.optimization import optimize

        return optimize(self, policy, payoff, **options)  # type: ignore[arg-type]
