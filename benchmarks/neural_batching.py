"""Batched neural components vs a per-run loop, through the engine, in one invocation.

For each hybrid sample and each number of runs, a parameter sweep runs once as one vectorized
simulation (the network is called once per step for all runs) and as a Python loop of single-run
simulations over the same compiled model and the same cached onnxruntime sessions. The loop is timed
on at most ``--loop-cap`` runs of the sweep (spread over it) and scaled to the full count; ``--loop-cap 0``
times every run. The two must agree on the final state of the runs both computed. Both ways save
results every day (SIR) or half hour (thermal plant) rather than every step, so that 10,000 runs do not
mostly time the filling of a (steps x variables x runs) array; ``--save-every-step`` keeps each step.

Run: ``python benchmarks/neural_batching.py`` (CPU), or with
``--providers CUDAExecutionProvider,CPUExecutionProvider --require-gpu`` on a GPU machine.
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

import solvers  # noqa: E402
from solvers.model_run import CompiledModel  # noqa: E402

TARGET_RUNS, TARGET_RATIO = 1000, 100.0


@dataclass(frozen=True)
class Sample:
    """A hybrid sample, the parameter it sweeps and the stock compared between the two ways."""

    file: str
    parameter: str
    low: float
    high: float
    stock: str
    save_per: float


SAMPLES = {
    "sir_neural": Sample("samples/sir_neural/sir_neural.salver", "mobility", 0.2, 1.0, "Recovered", 1.0),
    "thermal_plant": Sample("samples/thermal_plant/thermal_plant.salver", "setpoint", 16.0, 24.0,
                            "Temperature", 0.5),
}


@dataclass
class Row:
    runs: int
    batched_s: float
    loop_s: float
    loop_timed: int
    max_diff: float

    @property
    def ratio(self) -> float:
        return self.loop_s / self.batched_s


def _best(repeats: int, action) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(model: CompiledModel, sample: Sample, runs: int, loop_cap: int, options: dict) -> Row:
    """Time one sweep of ``runs`` values both ways and compare their final states."""
    values = np.linspace(sample.low, sample.high, runs)
    batched_s, batched = _best(3 if runs <= TARGET_RUNS else 1,
                               lambda: model.run(params={sample.parameter: values}, **options))
    picked = np.unique(np.linspace(0, runs - 1, min(runs, loop_cap or runs)).round().astype(int))
    start = time.perf_counter()
    finals = [model.run(params={sample.parameter: float(values[i])}, **options)[sample.stock][-1, 0]
              for i in picked]
    loop_s = (time.perf_counter() - start) * runs / len(picked)
    diff = float(np.max(np.abs(np.array(finals) - batched[sample.stock][-1, picked])))
    return Row(runs, batched_s, loop_s, len(picked), diff)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", choices=[*SAMPLES, "all"], default="all")
    parser.add_argument("--sizes", default="1,100,1000,10000", help="comma-separated run counts")
    parser.add_argument("--loop-cap", type=int, default=200, help="most runs timed in the loop (0: all)")
    parser.add_argument("--providers", default=None, help="comma-separated onnxruntime providers, best first")
    parser.add_argument("--require-gpu", action="store_true")
    parser.add_argument("--save-every-step", action="store_true", help="save results at every dt")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    options = {"providers": args.providers.split(",") if args.providers else None,
               "require_gpu": args.require_gpu}
    met = True
    for name in SAMPLES if args.sample == "all" else [args.sample]:
        sample = SAMPLES[name]
        model = solvers.load(ROOT / sample.file)
        options["save_per"] = None if args.save_every_step else sample.save_per
        warm = model.run(params={sample.parameter: np.array([sample.low, sample.high])}, **options)
        model.run(**options)
        points = len(warm.time) - 1
        print(f"\n{name}: {points} saved points ({warm.metadata['method']}, dt {warm.metadata['dt']}), "
              f"sweeping '{sample.parameter}', provider {warm.metadata['providers']}")
        print(f"{'runs':>7} {'batched s':>10} {'loop s':>10} {'loop timed':>11} {'ratio':>9} {'max |diff|':>11}")
        for runs in sizes:
            row = measure(model, sample, runs, args.loop_cap, options)
            scaled = "" if row.loop_timed == runs else " (scaled)"
            print(f"{row.runs:>7} {row.batched_s:>10.4f} {row.loop_s:>10.3f} {row.loop_timed:>11}"
                  f" {row.ratio:>8.1f}x {row.max_diff:>11.2e}{scaled}")
            if runs == TARGET_RUNS:
                met = met and row.ratio >= TARGET_RATIO
    if TARGET_RUNS in sizes:
        print(f"\ntarget >= {TARGET_RATIO:.0f}x at {TARGET_RUNS} runs: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
