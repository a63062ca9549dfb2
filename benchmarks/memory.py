"""Memory of long runs: flat in the number of steps computed when few of them are saved.

The teacup sample runs 10^5 to 10^7 Euler steps (and 4.9 * 10^7 on the C backend), saving about 100
of them, each case in a fresh interpreter. Printed: the peak resident memory of the process after the
run, the same process's peak before it (import, load, compile), the growth between them, and the CPU
seconds of the run. Flat means the growth does not rise with the steps. The floor it is measured
against in the same invocation: the process that loads and compiles without running. Also printed: a
10^6-step run saving every step, whose memory is its results (4 variables x 8 bytes per step).

Run: ``python benchmarks/memory.py [--steps 100000,1000000,10000000] [--native-steps 49000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEACUP = ROOT / "samples" / "teacup.salver"
_CASE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import solvers
compiled = solvers.load({path!r})
compiled.run(stop=0.5, backend={backend!r})  # builds (C) and warms both backends before the baseline
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.process_time()
results = compiled.run(stop={stop!r}, dt={dt!r}, save_per={save_per!r}, backend={backend!r})
seconds = time.process_time() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"before": before / 1024, "after": after / 1024, "seconds": seconds,
                   "saved": len(results.time), "backend": results.metadata["backend"]}}))
"""


def run_case(steps: int, backend: str, saved: int, env: dict[str, str]) -> dict[str, float]:
    dt = 0.125
    stop = steps * dt
    save_per = stop / saved
    code = _CASE.format(root=str(ROOT), path=str(TEACUP), stop=stop, dt=dt, save_per=save_per, backend=backend)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=3600, env=env)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-600:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="100000,1000000,10000000", help="step counts of both backends")
    parser.add_argument("--native-steps", default="49000000", help="further step counts of the C backend")
    parser.add_argument("--saved", type=int, default=100, help="saved steps per run, default 100")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s]
    more = [int(s) for s in args.native_steps.split(",") if s]
    print("teacup sample: peak resident memory (MiB) of a fresh process before and after one long run, "
          f"about {args.saved} steps saved")
    header = f"{'backend':8} {'steps':>10} {'saved':>6} {'before':>8} {'after':>8} {'growth':>8} {'run s CPU':>10}"
    print(header)
    print("-" * len(header))
    growth: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="salver-memory-") as cache:
        env = dict(os.environ, SALVER_CACHE_DIR=cache)
        for backend, counts in (("python", steps), ("native", steps + more)):
            for count in counts:
                case = run_case(count, backend, args.saved, env)
                grew = case["after"] - case["before"]
                growth.setdefault(backend, []).append(grew)
                print(f"{case['backend']:8} {count:10d} {case['saved']:6d} {case['before']:8.1f} {case['after']:8.1f} "
                      f"{grew:8.1f} {case['seconds']:10.2f}")
        every = run_case(1_000_000, "native", 1_000_000, env)
        print(f"{every['backend']:8} {1_000_000:10d} {every['saved']:6d} {every['before']:8.1f} {every['after']:8.1f} "
              f"{every['after'] - every['before']:8.1f} {every['seconds']:10.2f}   (every step saved: "
              f"results of {4 * 8 * 1_000_001 / 2**20:.0f} MiB)")
    for backend, values in growth.items():
        spread = max(values) - min(values)
        print(f"{backend}: growth from the fewest to the most steps differs by {spread:.1f} MiB "
              f"({'flat' if spread < 20 else 'NOT flat'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
