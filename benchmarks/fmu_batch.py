"""Many-run batches of FMU components against fmpy's own loop over the same FMU, in one invocation.

For each test FMU (built from ``tests/fmus`` with CMake and the system C compiler), FMI version and
interface, a parameter sweep of ``--runs`` values runs as one Salver call twice: the first call
instantiates one FMU instance per run, the second resets the same instances. The peer is fmpy's
documented fast loop: the FMU unpacked once, one instance, ``reset`` and ``simulate_fmu`` per run,
timed on ``--peer-runs`` runs and scaled. Both step co-simulation FMUs on the experiment's grid and
integrate model exchange FMUs with Euler steps of that size (one evaluation per step on both sides).
Co-simulation results must agree with fmpy's to rounding; model exchange ones differ where the two
place state events inside a step. The target, for every row: the reset batch takes at most twice
the time of fmpy's loop (ratio >= 0.5), which does nothing but call the FMU, where Salver also
evaluates the model around it and keeps every run's values.

Run: ``python benchmarks/fmu_batch.py [--runs 200] [--peer-runs 20]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from importers import load  # noqa: E402
from metamodel.elements import FmuComponent  # noqa: E402
from solvers.compiler import compile_model  # noqa: E402
from tests.fmus import build  # noqa: E402


@dataclass(frozen=True)
class Case:
    """A test FMU, the parameter its sweep varies over [low, high] and the output compared."""

    name: str
    parameter: str
    low: float
    high: float
    output: str


CASES = (Case("Dahlquist", "k", 0.5, 2.0, "x"), Case("VanDerPol", "mu", 0.5, 1.5, "x0"),
         Case("BouncingBall", "e", 0.5, 0.9, "h"))
TOLERANCE = 1e-9  # co-simulation: the same FMU stepped on the same grid
TARGET_RATIO = 0.5


def _timed(action):
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def salver(path: Path, interface: str, case: Case, values: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Seconds of the first (instantiating) and second (resetting) call, and the second's output."""
    model, _ = load(path)
    next(iter(model.of_kind(FmuComponent))).interface = interface
    if interface == "me":
        model.sim_spec.method = "euler"
    compiled = compile_model(model)
    first, _ = _timed(lambda: compiled.run(params={case.parameter: values}))
    second, results = _timed(lambda: compiled.run(params={case.parameter: values}))
    return first, second, results[case.output]


def fmpy_loop(path: Path, interface: str, case: Case, values: np.ndarray, grid: np.ndarray) -> tuple[float, np.ndarray]:
    """Seconds per run of fmpy's reused-instance loop, and its outputs on Salver's grid."""
    import fmpy
    from fmpy import fmi2, fmi3

    description = fmpy.read_model_description(str(path))
    folder = fmpy.extract(str(path))
    version = description.fmiVersion.split(".")[0]
    kind = description.coSimulation if interface == "cs" else description.modelExchange
    classes = {("2", "cs"): fmi2.FMU2Slave, ("2", "me"): fmi2.FMU2Model, ("3", "cs"): fmi3.FMU3Slave,
               ("3", "me"): fmi3.FMU3Model}
    token = description.guid if version == "2" else description.instantiationToken
    instance = classes[(version, interface)](guid=token, unzipDirectory=folder,
                                             modelIdentifier=kind.modelIdentifier, instanceName="peer")
    instance.instantiate()
    step = float(grid[1] - grid[0])
    outputs = []
    start = time.perf_counter()
    for value in values:
        instance.reset()
        result = fmpy.simulate_fmu(folder, model_description=description, fmu_instance=instance,
                                   fmi_type="CoSimulation" if interface == "cs" else "ModelExchange",
                                   solver="Euler", start_values={case.parameter: float(value)}, step_size=step,
                                   output_interval=step, stop_time=float(grid[-1]), output=[case.output])
        outputs.append(np.interp(grid, result["time"], result[case.output]))
    seconds = (time.perf_counter() - start) / len(values)
    instance.freeInstance()
    return seconds, np.array(outputs).T


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs in each Salver batch")
    parser.add_argument("--peer-runs", type=int, default=20, help="runs timed in fmpy's loop")
    args = parser.parse_args(argv)
    print(f"{'FMU':<13}{'FMI':>4}{'if':>4}{'first runs/s':>14}{'reset runs/s':>14}{'fmpy runs/s':>13}"
          f"{'ratio':>8}{'max |diff|':>12}")
    met = True
    for case in CASES:
        values = np.linspace(case.low, case.high, args.runs)
        for version in (2, 3):
            path = build.build(case.name, version)
            for interface in ("cs", "me"):
                first, second, ours = salver(path, interface, case, values)
                grid = np.linspace(*build.MODELS[case.name].experiment[:2], ours.shape[0])
                picked = np.unique(np.linspace(0, args.runs - 1, min(args.runs, args.peer_runs)).round().astype(int))
                per_run, theirs = fmpy_loop(path, interface, case, values[picked], grid)
                diff = float(np.max(np.abs(theirs - ours[:, picked])))
                ratio = per_run * args.runs / second
                met = met and ratio >= TARGET_RATIO and (interface == "me" or diff <= TOLERANCE)
                print(f"{case.name:<13}{version:>4}{interface:>4}{args.runs / first:>14.1f}"
                      f"{args.runs / second:>14.1f}{1 / per_run:>13.1f}{ratio:>7.1f}x{diff:>12.2e}")
    print(f"\ntarget: reset batch >= {TARGET_RATIO}x fmpy's loop, co-simulation equal to {TOLERANCE:g}: "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
