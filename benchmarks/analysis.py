"""Analyses at scale: a 100,000-run Monte Carlo of the SIR sample, and the CLI sweep to Parquet against CSV.

(a) Monte Carlo: ``sensitivity`` of SIR over two constants (LHS), every run streamed to Parquet, then the
    bands of one variable read back from the file; in this process and on a 2-worker Dask LocalCluster
    (processes on loopback). Printed: runs per second, seconds, peak memory (resident set) of the process
    and, for Dask, of the largest worker. The floor it is measured against in the same invocation: the
    engine alone running the same runs as bare vectorized chunks, keeping nothing.
(b) ``salver run --sweep "Contact Rate=1:5:1000"`` of SIR written as CSV (Python's csv module, one row
    per run and time) and as Parquet: seconds and file size of each, and the ratio.

Each case runs in a fresh interpreter, so the peak memory is its own. Run:
``python benchmarks/analysis.py [--runs N] [--sweep-runs N] [--workers N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIR = ROOT / "samples" / "sir.salver"
VARY = {"Contact Rate": "uniform(2, 6)", "Duration": "triangular(3, 5, 8)"}


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def case_engine(runs: int, _folder: Path, _workers: int) -> dict[str, float]:
    """The floor: the same runs as vectorized chunks of the engine, nothing kept."""
    import solvers
    from solvers.analysis.chunks import default_chunk_runs, plan
    from solvers.analysis.sampling import sample

    compiled = solvers.load(SIR)
    design = sample(VARY, runs, "lhs", 1)
    chunks = plan(design, default_chunk_runs(compiled, {}))
    began = time.perf_counter()
    for chunk in chunks:
        compiled.run(params=chunk.params, runs=chunk.runs, seed=chunk.seed)
    return {"seconds": time.perf_counter() - began}


def _warm() -> float:
    """Import what a study loads on first use (SciPy's samplers, pyarrow): start-up, not study time."""
    began = time.perf_counter()
    import pyarrow.parquet  # noqa: F401
    import scipy.stats  # noqa: F401

    return time.perf_counter() - began


def case_local(runs: int, folder: Path, _workers: int) -> dict[str, float]:
    import solvers

    compiled = solvers.load(SIR)
    _warm()
    began = time.perf_counter()
    study = compiled.sensitivity(VARY, runs=runs, seed=1, out=folder / "local.parquet")
    ran = time.perf_counter() - began
    study.summary("Infected")
    return {"seconds": ran, "bands_seconds": time.perf_counter() - began - ran,
            "bytes": (folder / "local.parquet").stat().st_size}


def case_dask(runs: int, folder: Path, workers: int) -> dict[str, float]:
    from distributed import Client, LocalCluster

    import solvers

    compiled = solvers.load(SIR)
    _warm()
    began = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter() - began
        client.run(lambda: __import__("solvers.analysis.distributed"))  # workers import the engine
        warm = time.perf_counter()
        compiled.sensitivity(VARY, runs=runs, seed=1, out=folder / "dask.parquet", scheduler=client)
        ran = time.perf_counter() - warm
    return {"seconds": ran, "cluster_start_seconds": started, "worker_peak_mib": _peak_mib(resource.RUSAGE_CHILDREN)}


def case_sweep(runs: int, folder: Path, _workers: int, suffix: str = "csv") -> dict[str, float]:
    out = folder / f"sweep.{suffix}"
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "app.cli", "run", str(SIR), "--sweep", f"Contact Rate=1:5:{runs}",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return {"seconds": time.perf_counter() - began, "bytes": out.stat().st_size}


CASES = {"engine": case_engine, "local": case_local, "dask": case_dask, "sweep_csv": case_sweep,
         "sweep_parquet": lambda runs, folder, workers: case_sweep(runs, folder, workers, "parquet")}


def measure(case: str, runs: int, workers: int, folder: Path) -> dict[str, float]:
    """Run one case in a fresh interpreter; its numbers and its own peak memory."""
    done = subprocess.run([sys.executable, __file__, "--case", case, "--runs", str(runs), "--workers", str(workers),
                           "--folder", str(folder)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{case} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="Monte Carlo runs (default 100,000)")
    parser.add_argument("--sweep-runs", type=int, default=1000, help="runs of the CLI sweep (default 1,000)")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2)")
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        found = CASES[args.case](args.runs, Path(args.folder), args.workers)
        print(json.dumps({**found, "peak_mib": _peak_mib()}))
        return 0
    with tempfile.TemporaryDirectory(prefix="salver-bench-") as temp:
        folder = Path(temp)
        print(f"(a) Monte Carlo of {SIR.name}: {args.runs:,} runs, LHS over {', '.join(VARY)}")
        rows = {name: measure(name, args.runs, args.workers, folder) for name in ("engine", "local", "dask")}
        floor = rows["engine"]["seconds"]
        print(f"  {'case':34}{'seconds':>10}{'runs/s':>12}{'peak MiB':>10}{'vs engine':>11}")
        labels = {"engine": "engine alone (floor, nothing kept)", "local": "in process, to Parquet",
                  "dask": f"Dask LocalCluster, {args.workers} workers"}
        for name, row in rows.items():
            print(f"  {labels[name]:34}{row['seconds']:10.2f}{args.runs / row['seconds']:12,.0f}"
                  f"{row['peak_mib']:10.0f}{floor / row['seconds']:10.2f}x")
        print(f"  Parquet file {rows['local']['bytes'] / 2**20:.0f} MiB; bands of one variable read back in "
              f"{rows['local']['bands_seconds']:.2f} s; Dask cluster start {rows['dask']['cluster_start_seconds']:.1f}"
              f" s (not counted), largest worker peak {rows['dask']['worker_peak_mib']:.0f} MiB")
        print(f"\n(b) salver run --sweep of {args.sweep_runs:,} runs to a file")
        csv, parquet = (measure(name, args.sweep_runs, 1, folder) for name in ("sweep_csv", "sweep_parquet"))
        for label, row in (("CSV", csv), ("Parquet", parquet)):
            print(f"  {label:10}{row['seconds']:8.2f} s {row['bytes'] / 2**20:9.1f} MiB")
        print(f"  Parquet is {csv['seconds'] / parquet['seconds']:.1f}x faster and "
              f"{csv['bytes'] / parquet['bytes']:.1f}x smaller than CSV (whole command, start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
