"""Benchmark: load (XMILE importer -> Model) and validate a generated chain of stocks at growing sizes.

Each stage of the chain is four variables: ``Stock i`` drains into ``Stock i+1`` through
``Flow i = Stock_i * Rate_i / Scale_i``, with constants ``Rate i`` and ``Scale i``; the file carries a
stock-flow diagram with a shape per variable and an influence link per dependency. Every figure is the
median of fresh processes (cold caches, as a user opening the file; what the rules import on first use
is imported before the clock starts), in wall-clock and CPU seconds (on
a shared machine the CPU figure is the one that does not count the neighbours). Cost should grow
linearly: the growth ratio from the smallest to the largest size is printed next to the size ratio, and
the load of 12,000 variables is held against its target of 1 s.

Run: ``.venv/bin/python benchmarks/model_scale.py [--sizes 1000,3000,12000] [--reps 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from importers import xmile  # noqa: E402
from metamodel.elements import Aux, Flow, SimSpec, Stock  # noqa: E402
from metamodel.model import Model  # noqa: E402
from metamodel.views import Link, Shape, View  # noqa: E402

LOAD_TARGET_S = 1.0  # 12,000 variables


def chain(variables: int) -> Model:
    """A chain of ``variables // 4`` stages (four variables each) with its diagram."""
    model = Model(name=f"chain of {variables} variables", sim_spec=SimSpec(start=0, stop=100, dt=0.125))
    view = View("main", "Chain")
    for i in range(1, variables // 4 + 1):
        stock, flow, rate, scale = f"stock_{i}", f"flow_{i}", f"rate_{i}", f"scale_{i}"
        model.add(Stock(stock, f"Stock {i}", equation="100" if i == 1 else "0",
                        inflows=[f"flow_{i - 1}"] if i > 1 else [], outflows=[flow]))
        model.add(Flow(flow, f"Flow {i}", equation=f"Stock_{i} * Rate_{i} / Scale_{i}"))
        model.add(Aux(rate, f"Rate {i}", equation=f"{0.05 + 0.01 * (i % 10):g}"))
        model.add(Aux(scale, f"Scale {i}", equation=f"{1 + i % 3}"))
        x = 200.0 * i
        view.shapes.update({stock: Shape(x, 100, 80, 50), flow: Shape(x + 100, 100, points=[(x + 40, 100),
                                                                                          (x + 160, 100)]),
                            rate: Shape(x + 80, 180), scale: Shape(x + 120, 180)})
        view.links.update({f"link_{i}_r": Link(rate, flow), f"link_{i}_s": Link(scale, flow),
                           f"link_{i}_k": Link(stock, flow)})
    model.views.append(view)
    return model


def measure(path: Path) -> dict[str, float]:
    """Seconds (wall clock and CPU) to load ``path`` and to validate what was loaded, in this process."""
    import importers
    from metamodel.validation import validate

    validate(chain(4))  # modules the rules import on first use are not the model's cost
    clocks = [(time.perf_counter(), time.process_time())]
    model, _ = importers.load(path)
    clocks.append((time.perf_counter(), time.process_time()))
    findings = validate(model)
    clocks.append((time.perf_counter(), time.process_time()))
    if sum(1 for _ in model.variables()) == 0 or any(d.severity == "error" for d in findings):
        raise SystemExit(f"{path}: the generated model did not load cleanly")
    (w0, c0), (w1, c1), (w2, c2) = clocks
    return {"load": w1 - w0, "validate": w2 - w1, "load_cpu": c1 - c0, "validate_cpu": c2 - c1}


def median_in_fresh_processes(path: Path, reps: int) -> dict[str, float]:
    runs = []
    for _ in range(reps):
        out = subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True, capture_output=True,
                             text=True, cwd=ROOT).stdout
        runs.append(json.loads(out))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,12000", help="variable counts, default 1000,3000,12000")
    parser.add_argument("--reps", type=int, default=3, help="fresh processes per size, default 3")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.measure))))
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rows: dict[int, dict[str, float]] = {}
    print(f"{'variables':>10} {'load ms':>9} {'(CPU)':>7} {'validate ms':>12} {'(CPU)':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"chain_{size}.xmile"
            xmile.save(chain(size), path)
            rows[size] = median_in_fresh_processes(path, args.reps)
            row = rows[size]
            print(f"{size:10d} {row['load'] * 1e3:9.1f} {row['load_cpu'] * 1e3:7.1f} {row['validate'] * 1e3:12.1f} "
                  f"{row['validate_cpu'] * 1e3:7.1f}")
    small, large = sizes[0], sizes[-1]
    print(f"growth from {small} to {large} variables (x{large / small:g} in size), CPU time: "
          f"load x{rows[large]['load_cpu'] / rows[small]['load_cpu']:.1f}, "
          f"validate x{rows[large]['validate_cpu'] / rows[small]['validate_cpu']:.1f} (linear: x{large / small:g})")
    if 12000 in rows:
        load = rows[12000]["load"]
        verdict = "met" if load < LOAD_TARGET_S else "NOT met"
        print(f"load of 12,000 variables: {load:.2f} s wall clock ({rows[12000]['load_cpu']:.2f} s CPU), "
              f"target under {LOAD_TARGET_S:g} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
