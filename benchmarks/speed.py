"""Speed at every size, each figure beside PySD and a hand-written floor measured in the same invocation.

(a) start-up: whole processes. ``salver run`` of the SIR sample against PySD's whole process (import,
    translate the same model exported to XMILE, run); ``salver --help`` against a bare interpreter.
(b) one run of a small model in the process: the SIR sample on the scalar Python backend and on the C
    backend (already built) against a hand-written scalar Python loop of the same equations and PySD's
    run of the loaded model.
(c) a 1,000-run sweep of SIR's contact rate: the first call in a fresh process and warm calls, on the
    vector and C backends, against a hand-written numpy loop over the runs and a loop of PySD runs
    (timed on a sample of the runs and scaled).
(d) big models: a chain of N stocks (4 N variables: stock, rate, share, flow; 801 Euler steps), N from
    250 to 3,000 (1,000 to 12,000 variables): XMILE and .salver load, compile, the first and a warm Python run, the C
    build and a C run, against a hand-written numpy loop over the stocks and PySD (read + run, for the
    sizes within ``--pysd-budget``); the growth of each stage from 1,000 to 12,000 variables (linear: 12x).

Times are CPU seconds of the process (user + system; for whole processes, of the child): the machine
may be shared, and wall time would measure the neighbours. Medians over repetitions. Ratios are
"other / Salver" (higher is better for Salver) except where a line says otherwise. Needs ``pysd``
(``make bench`` installs it); without it the PySD columns are left out. Run:
``python benchmarks/speed.py [--sizes 250,500,1000,2000,3000] [--reps N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solvers  # noqa: E402
from importers import load as import_file  # noqa: E402
from importers import xmile  # noqa: E402
from metamodel import io as salver_io  # noqa: E402
from metamodel.elements import Aux, Flow, SimSpec, Stock  # noqa: E402
from metamodel.model import Model  # noqa: E402

SIR = ROOT / "samples" / "sir.salver"
TARGETS = {"start": 5.0, "help_ms": 150.0, "single": 2.0, "cold_sweep": 2.0, "sweep_pysd": 300.0,
           "load_s": 1.0, "compile_s": 2.0, "native_run_ms": 100.0}
VERDICTS: list[str] = []


# -- measuring -------------------------------------------------------------------------------------------
def cpu(action: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of ``action`` in this process, and what it returned."""
    started = time.process_time()
    value = action()
    return time.process_time() - started, value


def median_cpu(action: Callable[[], Any], reps: int, enough: float = 1.0) -> float:
    """Median CPU seconds over ``reps`` calls; one call when it alone takes ``enough`` seconds."""
    first = cpu(action)[0]
    if first >= enough:
        return first
    return statistics.median([first, *(cpu(action)[0] for _ in range(reps - 1))])


def calls(action: Callable[[], Any]) -> int:
    """Python function calls made by ``action``: a measure of work that the machine's load does not move."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.runcall(action)
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


def child_cpu(command: Sequence[str], cwd: Path) -> tuple[float, float]:
    """CPU and wall seconds of a whole process (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-400:]}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def verdict(label: str, value: float, target: float, higher_is_better: bool = True) -> str:
    met = value >= target if higher_is_better else value <= target
    VERDICTS.append(f"{label}: {value:.3g} (target {'>=' if higher_is_better else '<='} {target:g}) "
                    f"{'met' if met else 'MISSED'}")
    return "met" if met else "MISSED"


@contextlib.contextmanager
def quiet() -> Any:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def have_pysd() -> bool:
    try:
        import pysd  # noqa: F401
    except ImportError:
        return False
    return True


def sir_xmile(folder: Path) -> Path:
    """The SIR sample exported to XMILE with names as PySD reads them."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from vs_pysd import sample_as_xmile

    path, why = sample_as_xmile(SIR, folder)
    if path is None:
        raise RuntimeError(why)
    return path


# -- hand-written floors ------------------------------------------------------------------------------------
def sir_loop(contact: float = 4.0, infectivity: float = 0.1, duration: float = 5.0, dt: float = 0.25,
             stop: float = 100.0, every: int = 4) -> np.ndarray:
    """The SIR sample by hand: scalar Python, Euler, saving every ``every`` steps."""
    s, i, r = 990.0, 10.0, 0.0
    rows = []
    steps = int(round(stop / dt))
    for n in range(steps + 1):
        recovering = i / duration
        total = s + i + r
        infecting = contact * infectivity * s * i / total
        if n % every == 0:
            rows.append((s, i, r, infecting, recovering, total))
        if n == steps:
            break
        s, i, r = s - dt * infecting, i + dt * (infecting - recovering), r + dt * recovering
    return np.array(rows)


def sir_numpy(contact: np.ndarray, infectivity: float = 0.1, duration: float = 5.0, dt: float = 0.25,
              stop: float = 100.0, every: int = 4) -> np.ndarray:
    """The SIR sample by hand over many runs at once: numpy arrays over the runs."""
    runs = len(contact)
    s, i, r = np.full(runs, 990.0), np.full(runs, 10.0), np.zeros(runs)
    steps = int(round(stop / dt))
    out = np.empty((steps // every + 1, 6, runs))
    for n in range(steps + 1):
        recovering = i / duration
        total = s + i + r
        infecting = contact * infectivity * s * i / total
        if n % every == 0:
            out[n // every] = (s, i, r, infecting, recovering, total)
        if n == steps:
            break
        s, i, r = s - dt * infecting, i + dt * (infecting - recovering), r + dt * recovering
    return out


def chain_numpy(size: int, dt: float = 0.25, stop: float = 200.0, every: int = 4) -> np.ndarray:
    """The chain by hand: numpy arrays over the stocks."""
    rate = 0.05 + 0.01 * (np.arange(1, size + 1) % 10)
    stock = np.zeros(size)
    stock[0] = 100.0
    steps = int(round(stop / dt))
    out = np.empty((steps // every + 1, 3, size))
    for n in range(steps + 1):
        share = rate * stock
        if n % every == 0:
            out[n // every] = (stock, share, share)
        if n == steps:
            break
        change = -share
        change[1:] += share[:-1]
        stock = stock + dt * change
    return out


def chain_model(size: int) -> Model:
    """``size`` stocks in a row, stock i draining into stock i+1: Flow i = Share i = Rate i * Stock i."""
    model = Model(name=f"chain_{size}", sim_spec=SimSpec(start=0, stop=200, dt=0.25, save_per=1, method="euler"))
    stocks = [model.add(Stock(f"stock_{i}", f"Stock {i}", equation="100" if i == 1 else "0"))
              for i in range(1, size + 1)]
    for i, stock in enumerate(stocks, start=1):
        model.add(Aux(f"rate_{i}", f"Rate {i}", equation=f"{0.05 + 0.01 * (i % 10):g}"))
        model.add(Aux(f"share_{i}", f"Share {i}", equation=f"Rate_{i} * Stock_{i}"))
        flow = model.add(Flow(f"flow_{i}", f"Flow {i}", equation=f"Share_{i}"))
        stock.outflows.append(flow.id)
        if i < size:
            stocks[i].inflows.append(flow.id)
    return model


# -- (a) start-up ---------------------------------------------------------------------------------------------
def bench_start(folder: Path, reps: int) -> None:
    print("\n(a) start-up, whole process (CPU s of the child; wall s in brackets)")
    salver = Path(sys.executable).with_name("salver")
    command = [str(salver)] if salver.is_file() else [sys.executable, "-m", "app.cli"]
    out = folder / "run.csv"
    runs = [child_cpu([*command, "run", str(SIR), "--out", str(out)], ROOT) for _ in range(reps)]
    helps = [child_cpu([*command, "--help"], ROOT) for _ in range(reps)]
    bare = [child_cpu([sys.executable, "-c", "pass"], ROOT) for _ in range(reps)]
    run_s, help_s, bare_s = (statistics.median(c for c, _ in x) for x in (runs, helps, bare))
    help_wall = statistics.median(w for _, w in helps)
    print(f"  salver run sir.salver       {run_s:7.3f} [{statistics.median(w for _, w in runs):.3f}]")
    print(f"  salver --help               {help_s:7.3f} [{help_wall:.3f}]   bare interpreter {bare_s:.3f} "
          f"(--help costs {help_s / bare_s:.1f}x a bare start)")
    verdict("salver --help, ms CPU", help_s * 1e3, TARGETS["help_ms"], higher_is_better=False)
    if not have_pysd():
        print("  PySD not installed: no comparison")
        return
    model = sir_xmile(folder)
    script = f"import pysd\nm = pysd.read_xmile({str(model)!r})\nm.run()\n"
    pysd_runs = [child_cpu([sys.executable, "-c", script], folder) for _ in range(max(1, reps // 2))]
    pysd_s = statistics.median(c for c, _ in pysd_runs)
    ratio = pysd_s / run_s
    print(f"  PySD read_xmile + run       {pysd_s:7.3f} [{statistics.median(w for _, w in pysd_runs):.3f}]   "
          f"PySD / salver run = {ratio:.1f}x ({verdict('start-up, PySD / salver run', ratio, TARGETS['start'])})")


# -- (b) one small run ----------------------------------------------------------------------------------------
def bench_single(folder: Path, reps: int) -> None:
    print("\n(b) one run of the SIR sample in the process (ms CPU, median)")
    compiled = solvers.load(SIR)
    compiled.run(backend="native")
    python = compiled.run(backend="python")
    floor_s = median_cpu(sir_loop, reps)
    scalar_s = median_cpu(lambda: compiled.run(backend="python"), reps)
    native_s = median_cpu(lambda: compiled.run(backend="native"), reps)
    hand = sir_loop()
    agree = np.allclose(hand[:, 0], python["Susceptible"][:, 0], rtol=1e-12)
    print(f"  hand-written scalar loop    {floor_s * 1e3:8.3f}   (agrees with Salver: {agree})")
    print(f"  Salver scalar Python        {scalar_s * 1e3:8.3f}   {scalar_s / floor_s:.2f}x the loop "
          f"({verdict('single run, scalar / hand-written loop', scalar_s / floor_s, TARGETS['single'], False)})")
    print(f"  Salver C                    {native_s * 1e3:8.3f}   {native_s / floor_s:.2f}x the loop")
    if have_pysd():
        import pysd

        with quiet():
            model = pysd.read_xmile(str(sir_xmile(folder)))
            pysd_s = median_cpu(lambda: model.run(saveper=1.0), max(3, reps // 5))
        print(f"  PySD run                    {pysd_s * 1e3:8.3f}   PySD / Salver: scalar {pysd_s / scalar_s:.0f}x, "
              f"C {pysd_s / native_s:.0f}x")


# -- (c) sweep ------------------------------------------------------------------------------------------------
_COLD = """
import json, sys, time
sys.path.insert(0, {root!r})
import numpy as np
import solvers
compiled = solvers.load({sir!r})
values = np.linspace(2, 8, {runs})
times = []
for _ in range(6):
    started = time.process_time()
    compiled.run(params={{"Contact Rate": values}}, backend={backend!r})
    times.append(time.process_time() - started)
print(json.dumps(times))
"""


def bench_sweep(folder: Path, runs: int, probe: int, processes: int = 5) -> None:
    import json

    print(f"\n(c) {runs}-run sweep of SIR's Contact Rate (ms CPU; the first call in a fresh process and warm "
          f"calls, medians over {processes} processes)")
    values = np.linspace(2, 8, runs)
    solvers.load(SIR).run(backend="native")  # built before the fresh processes time their first call
    floor_s = median_cpu(lambda: sir_numpy(values), 5)
    print(f"  hand-written numpy loop     {floor_s * 1e3:8.1f}")
    warm_by = {}
    for backend in ("python", "native"):
        code = _COLD.format(root=str(ROOT), sir=str(SIR), runs=runs, backend=backend)
        firsts, warms = [], []
        for _ in range(processes):
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,
                                  cwd=ROOT)
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-400:])
            times = json.loads(done.stdout.strip().splitlines()[-1])
            firsts.append(times[0])
            warms.extend(times[1:])
        first, warm = statistics.median(firsts), statistics.median(warms)
        warm_by[backend] = warm
        name = "vector (numpy)" if backend == "python" else "C"
        cold = first / warm
        note = f" ({verdict('sweep, first / warm (vector)', cold, TARGETS['cold_sweep'], False)})" \
            if backend == "python" else ""
        print(f"  Salver {name:20} first {first * 1e3:8.1f}  warm {warm * 1e3:8.1f}  first/warm {cold:5.2f}x{note}  "
              f"warm/loop {warm / floor_s:5.2f}x")
    if not have_pysd():
        return
    import pysd

    with quiet():
        model = pysd.read_xmile(str(sir_xmile(folder)))
        picks = values[np.linspace(0, runs - 1, probe).astype(int)]
        loop_s, _ = cpu(lambda: [model.run(params={"Contact Rate": float(v)}, saveper=1.0) for v in picks])
    pysd_s = loop_s / probe * runs
    best = min(warm_by.values())
    print(f"  PySD loop of runs           {pysd_s:8.1f} s (timed on {probe} runs, scaled)   PySD / Salver: vector "
          f"{pysd_s / warm_by['python']:.0f}x, C {pysd_s / warm_by['native']:.0f}x "
          f"({verdict('sweep, PySD loop / best Salver', pysd_s / best, TARGETS['sweep_pysd'])})")


# -- (d) big models -------------------------------------------------------------------------------------------
def bench_growth(folder: Path, sizes: Sequence[int], reps: int, pysd_budget: float) -> None:
    print("\n(d) chain of N stocks (4N variables, 801 Euler steps): CPU seconds per stage")
    header = (f"{'vars':>6} {'xmile':>7} {'.salver':>7} {'compile':>8} {'calls/var':>9} {'1st py':>8} {'py run':>8} "
              f"{'C build':>8} {'C run':>8} {'np loop':>8} {'PySD':>8} {'PySD/C':>7}")
    print(header)
    print("-" * len(header))
    rows: dict[int, dict[str, float]] = {}
    pysd_left = have_pysd()
    cache = folder / "cache"
    for size in sizes:
        model = chain_model(size)
        path = folder / f"chain_{size}.xmile"
        xmile.save(model, path)
        native_path = folder / f"chain_{size}.salver"
        salver_io.save(model, native_path)
        row = {"load": median_cpu(lambda: import_file(path), max(1, reps // 2)),  # noqa: B023
               "load .salver": median_cpu(lambda: import_file(native_path), max(1, reps // 2))}  # noqa: B023
        loaded = import_file(path)[0]
        row["compile"] = median_cpu(lambda: solvers.compile(loaded), max(1, reps // 2))  # noqa: B023
        row["calls/var"] = calls(lambda: solvers.compile(loaded)) / (4 * size)  # noqa: B023
        compiled = solvers.compile(loaded)
        row["first py"], _ = cpu(lambda: compiled.run(backend="python"))  # noqa: B023
        row["py run"] = median_cpu(lambda: compiled.run(backend="python"), max(1, reps // 3))  # noqa: B023
        os.environ["SALVER_CACHE_DIR"] = str(cache / str(size))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        build_s, result = cpu(lambda: compiled.run(backend="native"))  # noqa: B023
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        row["C build"] = build_s + after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        row["C run"] = median_cpu(lambda: compiled.run(backend="native"), reps)  # noqa: B023
        row["np loop"] = median_cpu(lambda: chain_numpy(size), max(1, reps // 3))  # noqa: B023
        pysd_s = float("nan")
        if pysd_left:
            import pysd

            def pysd_read_run(path: Path = path) -> None:
                with quiet():
                    pysd.read_xmile(str(path)).run(saveper=1.0)

            pysd_s, _ = cpu(pysd_read_run)
            pysd_left = pysd_s < pysd_budget
        row["PySD"] = pysd_s
        rows[size * 4] = row
        native_note = "" if result.metadata["backend"] == "native" else " (C unavailable: Python ran)"
        print(f"{size * 4:6d} {row['load']:7.3f} {row['load .salver']:7.3f} {row['compile']:8.3f} "
              f"{row['calls/var']:9.1f} {row['first py']:8.3f} "
              f"{row['py run']:8.3f} "
              f"{row['C build']:8.2f} {row['C run']:8.4f} {row['np loop']:8.3f} {pysd_s:8.2f} "
              f"{pysd_s / (row['load'] + row['compile'] + row['C run']):7.0f}{native_note}")
    smallest, largest = min(rows), max(rows)
    if largest > smallest:
        factor = largest / smallest
        growth = {stage: rows[largest][stage] / rows[smallest][stage] for stage in rows[largest]
                  if stage not in ("PySD", "calls/var")}
        print(f"growth from {smallest} to {largest} variables (linear = {factor:.0f}x): "
              + ", ".join(f"{stage} {value:.1f}x" for stage, value in growth.items()))
        work = rows[largest]["calls/var"] / rows[smallest]["calls/var"]
        print(f"compile work (Python function calls) per variable: {rows[smallest]['calls/var']:.1f} at {smallest}, "
              f"{rows[largest]['calls/var']:.1f} at {largest} variables: times beyond linear come from the memory "
              "caches, not from more work")
        verdict(f"XMILE load of {largest} variables, s CPU", rows[largest]["load"], TARGETS["load_s"], False)
        verdict(f".salver load of {largest} variables, s CPU", rows[largest]["load .salver"], TARGETS["load_s"],
                False)
        verdict(f"compile of {largest} variables, s CPU", rows[largest]["compile"], TARGETS["compile_s"], False)
        verdict(f"compile work per variable {largest} / {smallest}", work, 1.05, False)
        verdict(f"C run of {largest} variables, ms CPU", rows[largest]["C run"] * 1e3, TARGETS["native_run_ms"],
                False)
    print("PySD/C = PySD read + run over Salver load + compile + C run (built); PySD is left out above "
          f"{pysd_budget:g} s.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9, help="repetitions per timing, default 9")
    parser.add_argument("--sizes", default="250,500,1000,2000,3000", help="chain sizes in stocks")
    parser.add_argument("--sweep-runs", type=int, default=1000)
    parser.add_argument("--probe", type=int, default=20, help="PySD runs timed in the sweep, default 20")
    parser.add_argument("--pysd-budget", type=float, default=60.0,
                        help="CPU seconds of one PySD read + run beyond which bigger chains skip PySD")
    parser.add_argument("--skip", default="", help="sections to skip, any of a,b,c,d")
    args = parser.parse_args(argv)
    skip = set(args.skip.split(","))
    if not have_pysd():
        print("pysd is not installed (make bench installs it): PySD columns are left out")
    with tempfile.TemporaryDirectory(prefix="salver-speed-") as tmp:
        folder = Path(tmp)
        os.environ["SALVER_CACHE_DIR"] = str(folder / "cache" / "small")
        if "a" not in skip:
            bench_start(folder, args.reps)
        if "b" not in skip:
            bench_single(folder, args.reps * 5)
        if "c" not in skip:
            bench_sweep(folder, args.sweep_runs, args.probe)
        if "d" not in skip:
            bench_growth(folder, [int(s) for s in args.sizes.split(",") if s], args.reps, args.pysd_budget)
    print("\nsummary:")
    for line in VERDICTS:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
