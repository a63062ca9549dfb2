"""Salver vs PySD on the same models, measured in one invocation.

Three comparisons, each printed as a table of times and ratios "PySD time / Salver time":

(a) the SDXorg suite models (XMILE and Vensim ``.mdl``) and the classic samples of ``samples/``
    (exported to XMILE) that both tools run and on which they agree: load + one run (PySD: translate
    + run; Salver: import + compile + run), and the run alone on models already loaded;
(b) a sweep of one constant over 1,000 runs: a PySD loop of single runs against one vectorized
    Salver run with a 1,000-value array (the loop is timed on fewer runs and scaled linearly when the
    whole loop would take longer than ``--loop-budget`` seconds; the table says so);
(c) model-size growth: a chain of N stocks, each draining into the next through a flow with an aux
    rate, built as a Salver model and exported to XMILE for PySD.

Times are medians over ``--reps`` repetitions. PySD writes its translation next to the model, so every
model is copied into a temporary folder first. Run: ``python benchmarks/vs_pysd.py`` (needs ``pysd``,
installed by ``make bench`` into the benchmark environment only).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solvers  # noqa: E402
from importers import load as import_file  # noqa: E402
from importers import xmile  # noqa: E402
from metamodel.elements import Aux, Flow, NeuralComponent, SimSpec, Stock  # noqa: E402
from metamodel.equations.deps import referenced_names, rename_in_text  # noqa: E402
from metamodel.equations.parser import parse  # noqa: E402
from metamodel.errors import ParseError  # noqa: E402
from metamodel.model import Model  # noqa: E402
from tests.conformance import KNOWN_FAILURES  # noqa: E402
from tests.sdref import agree, column_key  # noqa: E402

SUITE = ROOT.parent / "shared" / "sd-test-models"
SAMPLES = ROOT / "samples"
SINGLE_TARGET, SWEEP_TARGET = 10.0, 100.0
NAME_WIDTH = 48


# -- timing -----------------------------------------------------------------------------------------
def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``action`` took and what it returned."""
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def median_time(action: Callable[[], Any], reps: int) -> float:
    """Median seconds of ``reps`` calls of ``action``."""
    return statistics.median(timed(action)[0] for _ in range(reps))


@contextlib.contextmanager
def quiet() -> Any:
    """Silence PySD's warnings and progress output while timing it."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def ratio(pysd_s: float, salver_s: float) -> float:
    return pysd_s / salver_s if salver_s > 0 else float("inf")


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f}"


# -- PySD side --------------------------------------------------------------------------------------
def pysd_read(path: Path) -> Any:
    """Translate and load a model with PySD (Vensim ``.mdl`` or XMILE)."""
    import pysd

    reader = pysd.read_vensim if path.suffix.lower() == ".mdl" else pysd.read_xmile
    with quiet():
        return reader(str(path))


def pysd_run(model: Any, saveper: float, params: dict[str, float] | None = None) -> Any:
    """One PySD run saving every ``saveper`` (PySD ignores the ``isee:save_interval`` Salver exports)."""
    with quiet():
        return model.run(params=params, saveper=saveper)


def pysd_read_run(path: Path, saveper: float) -> tuple[float, float, Any, Any]:
    """Seconds to read ``path`` with PySD, seconds of its first run, the PySD model and its output."""
    read_s, model = timed(lambda: pysd_read(path))
    run_s, frame = timed(lambda: pysd_run(model, saveper))
    return read_s, run_s, model, frame


def save_period(spec: SimSpec) -> float:
    """The save period Salver uses for ``spec`` (every step when the spec names none)."""
    return spec.save_per if spec.save_per and spec.save_per > 0 else spec.dt


def copy_for_pysd(path: Path, workdir: Path) -> Path:
    """A copy of the model's folder (data files included) in ``workdir``; PySD writes its ``.py`` there."""
    target = workdir / f"{len(list(workdir.iterdir())):03d}_{path.parent.name}"
    shutil.copytree(path.parent, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target / path.name


# -- agreement --------------------------------------------------------------------------------------
def disagreement(results: solvers.Results, frame: Any) -> str | None:
    """Why Salver's ``results`` and PySD's ``frame`` disagree, or None when every shared column agrees.

    Columns are matched by canonical name, rows by time; the suite's rule (relative 1e-4, or both near
    zero) decides. Sharing no column at all counts as a disagreement.
    """
    columns = {column_key(str(c)): c for c in frame.columns}
    pysd_time = np.asarray(frame.index, dtype=float)
    rows = np.array([int(np.argmin(np.abs(results.time - t))) for t in pysd_time])
    if not np.allclose(results.time[rows], pysd_time, rtol=1e-6, atol=1e-9):
        return "time grids differ"
    compared = 0
    for name, values in results.items():
        column = columns.get(column_key(name))
        if column is None:
            continue
        expected = np.asarray(frame[column], dtype=float)
        if not agree(expected, values[rows, 0]).all():
            return f"'{name}' differs"
        compared += 1
    return None if compared else "no shared columns"


# -- models -----------------------------------------------------------------------------------------
def suite_models(limit: int | None) -> list[Path]:
    """Suite models (``.xmile``, ``.mdl``) with a reference output, minus known failures and broken exports."""
    found = []
    for path in sorted(SUITE.glob("*/*/*")):
        if path.suffix.lower() not in (".xmile", ".mdl"):
            continue
        if not any((path.parent / n).is_file() for n in ("output.tab", "output.csv")):
            continue
        if path.relative_to(SUITE).as_posix() in KNOWN_FAILURES or b"???" in path.read_bytes():
            continue
        found.append(path)
    if limit is not None and limit < len(found):
        step = len(found) / limit
        found = [found[int(i * step)] for i in range(limit)]
    return found


def underscored(model: Model) -> Model:
    """A copy of ``model`` whose equations write names with spaces as ``a_b`` (XMILE's reference form)."""
    clone = copy.deepcopy(model)
    for variable in clone.variables():
        variable.equation = _underscore_refs(variable.equation)
        variable.element_equations = {k: _underscore_refs(v) for k, v in variable.element_equations.items()}
    return clone


def _underscore_refs(text: str) -> str:
    try:
        names = referenced_names(parse(text))
    except ParseError:
        return text
    for name in names:
        text = rename_in_text(text, name, name)
    return text


def sample_as_xmile(path: Path, workdir: Path) -> tuple[Path | None, str]:
    """Export a ``.salver`` sample to XMILE for PySD; (None, why) for samples PySD cannot represent."""
    model, _report = import_file(path)
    if not any(isinstance(e, Stock) for e in model.elements.values()):
        return None, "no stocks (an architecture model)"
    if any(isinstance(e, NeuralComponent) for e in model.elements.values()):
        return None, "neural component (PySD has none)"
    target = workdir / f"{path.stem}.xmile"
    xmile.save(underscored(model), target)
    return target, ""


def chain_model(size: int) -> Model:
    """``size`` stocks in a row: stock i drains into stock i+1 through ``Flow i = Stock_i * Rate_i``."""
    model = Model(name=f"chain_{size}", sim_spec=SimSpec(start=0, stop=100, dt=0.25, method="euler"))
    stocks = [model.add(Stock(model.new_id(f"stock_{i}"), f"Stock {i}", equation="100" if i == 1 else "0"))
              for i in range(1, size + 1)]
    for i, stock in enumerate(stocks, start=1):
        model.add(Aux(model.new_id(f"rate_{i}"), f"Rate {i}", equation=f"{0.05 + 0.01 * (i % 10):g}"))
        flow = model.add(Flow(model.new_id(f"flow_{i}"), f"Flow {i}", equation=f"Stock_{i} * Rate_{i}"))
        stock.outflows.append(flow.id)
        if i < size:
            stocks[i].inflows.append(flow.id)
    return model


# -- (a) load + run on the suite --------------------------------------------------------------------
@dataclass
class SingleRow:
    name: str
    pysd_read: float
    pysd_run: float
    salver_import: float
    salver_compile: float
    salver_run: float

    @property
    def load_run_ratio(self) -> float:
        return ratio(self.pysd_read + self.pysd_run, self.salver_import + self.salver_compile + self.salver_run)

    @property
    def run_ratio(self) -> float:
        return ratio(self.pysd_run, self.salver_run)


def measure_single(name: str, salver_path: Path, pysd_path: Path, reps: int, heavy_s: float) -> SingleRow | str:
    """Time both tools on one model, or return why it is left out (a tool fails, or they disagree).

    PySD repetitions stop after the first when one read + run takes longer than ``heavy_s``.
    """
    try:
        model = import_file(salver_path)[0]
        results = solvers.compile(model).run()
    except Exception as exc:  # noqa: BLE001 - a model Salver cannot run is listed with the reason
        return f"Salver: {failure(exc)}"
    if model.sim_spec.method != "euler":
        return f"integration method {model.sim_spec.method}: PySD integrates with Euler only"
    saveper = save_period(model.sim_spec)
    try:
        read_s, run_s, pysd_model, frame = pysd_read_run(pysd_path, saveper)
    except Exception as exc:  # noqa: BLE001 - a model PySD cannot run is listed with the reason
        return f"PySD: {failure(exc)}"
    why = disagreement(results, frame)
    if why is not None:
        return f"results disagree: {why}"
    pysd_reps = reps if read_s + run_s < heavy_s else 1
    reads, runs = [read_s], [run_s]
    for _ in range(pysd_reps - 1):
        read_s, run_s, pysd_model, _frame = pysd_read_run(pysd_path, saveper)
        reads.append(read_s)
        runs.append(run_s)
    runs += [timed(lambda: pysd_run(pysd_model, saveper))[0] for _ in range(pysd_reps)]
    salver_reps = max(reps, 5)
    import_s = median_time(lambda: import_file(salver_path), salver_reps)
    compile_s = median_time(lambda: solvers.compile(model), salver_reps)
    compiled = solvers.compile(model)
    compiled.run()
    run_time = median_time(compiled.run, salver_reps)
    return SingleRow(name, statistics.median(reads), statistics.median(runs), import_s, compile_s, run_time)


def bench_single(models: Sequence[tuple[str, Path, Path]], reps: int, heavy_s: float) -> list[SingleRow]:
    rows: list[SingleRow] = []
    left_out: list[tuple[str, str]] = []
    for name, salver_path, pysd_path in models:
        outcome = measure_single(name, salver_path, pysd_path, reps, heavy_s)
        if isinstance(outcome, str):
            left_out.append((name, outcome))
        else:
            rows.append(outcome)
    print(f"\n(a) load + single run, {len(rows)} models both tools run with agreeing results "
          f"(medians; times in ms; Salver load = import + compile)")
    header = (f"{'model':{NAME_WIDTH}} {'PySD read':>9} {'PySD run':>9} {'S import':>9} {'S compile':>9} "
              f"{'S run':>9} {'load+run x':>10} {'run x':>8}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.name[-NAME_WIDTH:]:{NAME_WIDTH}} {ms(r.pysd_read)} {ms(r.pysd_run)} {ms(r.salver_import)} "
              f"{ms(r.salver_compile)} {ms(r.salver_run)} {r.load_run_ratio:10.1f} {r.run_ratio:8.1f}")
    if left_out:
        print(f"\nleft out ({len(left_out)}):")
        for name, why in left_out:
            print(f"  {name}: {why}")
    if rows:
        load_run = statistics.median(r.load_run_ratio for r in rows)
        run_only = statistics.median(r.run_ratio for r in rows)
        print(f"\nmedian PySD/Salver over {len(rows)} models: load + run {load_run:.1f}x, run alone {run_only:.1f}x "
              f"(target >= {SINGLE_TARGET:g}x: load + run {verdict(load_run, SINGLE_TARGET)}, "
              f"run alone {verdict(run_only, SINGLE_TARGET)})")
        print(f"Salver medians: import {ms(statistics.median(r.salver_import for r in rows)).strip()} ms, "
              f"compile {ms(statistics.median(r.salver_compile for r in rows)).strip()} ms, "
              f"run {ms(statistics.median(r.salver_run for r in rows)).strip()} ms; "
              f"PySD medians: read {ms(statistics.median(r.pysd_read for r in rows)).strip()} ms, "
              f"run {ms(statistics.median(r.pysd_run for r in rows)).strip()} ms")
    return rows


def failure(exc: BaseException) -> str:
    """An exception as one short line for the left-out list."""
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0][:70] if lines else ''}"


def verdict(value: float, target: float) -> str:
    return "met" if value >= target else "MISSED"


# -- (b) 1,000-run sweep ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepCase:
    name: str
    salver_path: Path
    pysd_path: Path
    parameter: str
    low: float
    high: float
    watch: str


def bench_sweep(cases: Iterable[SweepCase], runs: int, loop_budget: float, probe: int) -> None:
    print(f"\n(b) sweep of one constant over {runs} runs: PySD loop of single runs vs one vectorized Salver run")
    header = (f"{'model':24} {'parameter':22} {'PySD loop s':>11} {'timed':>6} {'Salver s':>9} "
              f"{'PySD/Salver':>11} {'max rel diff':>12}")
    print(header)
    print("-" * len(header))
    ratios = []
    notes = []
    for case in cases:
        values = np.linspace(case.low, case.high, runs)
        compiled = solvers.load(case.salver_path)
        compiled.run(params={case.parameter: values[:2]})
        salver_s = median_time(lambda: compiled.run(params={case.parameter: values}), 3)  # noqa: B023
        swept = compiled.run(params={case.parameter: values})
        pysd_model = pysd_read(case.pysd_path)
        stock = case.watch
        picks = np.linspace(0, runs - 1, min(probe, runs)).astype(int)
        saveper = save_period(compiled.sim_spec)
        loop_s, finals = _pysd_loop(pysd_model, saveper, case.parameter, values[picks], stock)
        timed_runs = len(picks)
        if loop_s / timed_runs * runs <= loop_budget and timed_runs < runs:
            rest = np.setdiff1d(np.arange(runs), picks)
            more_s, _ = _pysd_loop(pysd_model, saveper, case.parameter, values[rest], stock)
            loop_s, timed_runs = loop_s + more_s, runs
        else:
            notes.append(f"{case.name}: PySD loop timed on {timed_runs} of {runs} runs and scaled linearly")
        pysd_total = loop_s / timed_runs * runs
        diff = _max_rel_diff(finals, swept[stock][-1, picks])
        ratios.append(ratio(pysd_total, salver_s))
        print(f"{case.name:24} {case.parameter[:22]:22} {pysd_total:11.2f} {timed_runs:6d} {salver_s:9.4f} "
              f"{ratios[-1]:11.1f} {diff:12.1e}")
    for note in notes:
        print(f"  note: {note}")
    if ratios:
        worst = min(ratios)
        print(f"lowest sweep ratio {worst:.1f}x (target >= {SWEEP_TARGET:g}x: {verdict(worst, SWEEP_TARGET)}); "
              f"'max rel diff' compares the final value of the watched stock on the runs both timed")


def _pysd_loop(model: Any, saveper: float, parameter: str, values: np.ndarray,
               column: str) -> tuple[float, np.ndarray]:
    """Seconds of a loop of single PySD runs, one per value, and the final value of ``column`` of each."""
    finals = []
    started = time.perf_counter()
    for value in values:
        frame = pysd_run(model, saveper, {parameter: float(value)})
        finals.append(_column(frame, column)[-1])
    return time.perf_counter() - started, np.array(finals)


def _column(frame: Any, name: str) -> np.ndarray:
    key = column_key(name)
    column = next(c for c in frame.columns if column_key(str(c)) == key)
    return np.asarray(frame[column], dtype=float)


def _max_rel_diff(expected: np.ndarray, actual: np.ndarray) -> float:
    scale = np.maximum(np.maximum(np.abs(expected), np.abs(actual)), 1e-12)
    return float(np.max(np.abs(expected - actual) / scale))


# -- (c) model-size growth --------------------------------------------------------------------------
def bench_growth(sizes: Sequence[int], reps: int, workdir: Path, heavy_s: float) -> None:
    print("\n(c) model-size growth: chain of N stocks (N flows, N aux rates), 400 Euler steps; times in ms")
    header = (f"{'N':>6} {'PySD read':>10} {'PySD run':>10} {'S compile':>10} {'S run':>10} "
              f"{'load+run x':>10} {'run x':>8} {'PySD reps':>9}")
    print(header)
    print("-" * len(header))
    for size in sizes:
        print(measure_growth(size, reps, workdir, heavy_s))


def measure_growth(size: int, reps: int, workdir: Path, heavy_s: float) -> str:
    """One row of the growth table: the chain of ``size`` stocks timed in both tools."""
    model = chain_model(size)
    path = workdir / f"chain_{size}.xmile"
    xmile.save(model, path)
    compile_s = median_time(lambda: solvers.compile(model), reps)
    compiled = solvers.compile(model)
    results = compiled.run()
    run_s = median_time(compiled.run, reps)
    saveper = save_period(model.sim_spec)
    read_s, pysd_run_s, pysd_model, frame = pysd_read_run(path, saveper)
    pysd_reps = reps if read_s + pysd_run_s < heavy_s else 1
    if pysd_reps > 1:
        read_s = median_time(lambda: pysd_read(path), pysd_reps)
        pysd_run_s = median_time(lambda: pysd_run(pysd_model, saveper), pysd_reps)
    why = disagreement(results, frame)
    return (f"{size:6d} {ms(read_s):>10} {ms(pysd_run_s):>10} {ms(compile_s):>10} {ms(run_s):>10} "
            f"{ratio(read_s + pysd_run_s, compile_s + run_s):10.1f} {ratio(pysd_run_s, run_s):8.1f} "
            f"{pysd_reps:9d}" + (f"  (results disagree: {why})" if why else ""))


# -- main -------------------------------------------------------------------------------------------
def single_models(workdir: Path, limit: int | None) -> list[tuple[str, Path, Path]]:
    """(name, path Salver loads, path of PySD's copy) for the suite models and the exportable samples."""
    models = [(p.name, p, copy_for_pysd(p, workdir)) for p in suite_models(limit)]
    for sample in sorted(SAMPLES.rglob("*.salver")):
        exported, why = sample_as_xmile(sample, workdir)
        if exported is None:
            print(f"sample {sample.name} left out: {why}")
        else:
            models.append((f"{sample.name} (sample, as XMILE)", sample, exported))
    return models


def sweep_cases(workdir: Path) -> list[SweepCase]:
    teacup = SUITE / "samples" / "teacup" / "teacup.xmile"
    smooth = SUITE / "tests" / "smooth_and_stock" / "test_smooth_and_stock.xmile"
    sir, _ = sample_as_xmile(SAMPLES / "sir.salver", workdir)
    cases = [SweepCase("teacup.xmile (suite)", teacup, copy_for_pysd(teacup, workdir), "Characteristic Time", 5, 20,
                       "Teacup Temperature")]
    if sir is not None:
        cases.append(SweepCase("sir.salver (sample)", SAMPLES / "sir.salver", sir, "Contact Rate", 2, 8, "Recovered"))
    cases.append(SweepCase("smooth_and_stock (suite)", smooth, copy_for_pysd(smooth, workdir), "rate", 1, 10,
                           "accumulation"))
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions per timing (median), default 3")
    parser.add_argument("--limit", type=int, default=None, help="at most this many suite models (spread evenly)")
    parser.add_argument("--heavy", type=float, default=0.5,
                        help="PySD read + run above this many seconds is timed once, default 0.5")
    parser.add_argument("--sweep-runs", type=int, default=1000, help="runs of the sweep, default 1000")
    parser.add_argument("--loop-budget", type=float, default=20.0,
                        help="seconds a full PySD sweep loop may take before it is scaled from --probe runs")
    parser.add_argument("--probe", type=int, default=50, help="PySD runs timed first in the sweep, default 50")
    parser.add_argument("--sizes", default="10,100,1000", help="chain sizes, default 10,100,1000")
    parser.add_argument("--skip", default="", help="sections to skip, any of a,b,c (comma-separated)")
    args = parser.parse_args(argv)
    try:
        import pysd
    except ImportError as exc:
        print(f"vs_pysd: {exc} (make bench installs pysd into the benchmark environment)")
        return 2
    if not SUITE.is_dir():
        print(f"vs_pysd: the SD test-models suite is missing at {SUITE}")
        return 2
    skip = set(args.skip.split(","))
    print(f"Salver vs PySD {pysd.__version__}; ratios are PySD time / Salver time, measured in this invocation")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="salver-vs-pysd-") as tmp:
        workdir = Path(tmp)
        if "a" not in skip:
            bench_single(single_models(workdir, args.limit), args.reps, args.heavy)
        if "b" not in skip:
            bench_sweep(sweep_cases(workdir), args.sweep_runs, args.loop_budget, args.probe)
        if "c" not in skip:
            bench_growth([int(s) for s in args.sizes.split(",") if s], args.reps, workdir, args.heavy)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
