"""Run every benchmark script of ``benchmarks/`` that exists, one subprocess each, and summarise.

Each script runs with this interpreter from the repository root under a time limit; its output is
printed as it comes. A script that is absent is listed as such, one that stops on a missing optional
module (``No module named ...``) is listed as skipped; neither stops the others. The exit status is 1
when a script that could run failed or ran out of time, else 0.

Run: ``python benchmarks/run_all.py [--timeout SECONDS] [NAME ...]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPTS = ("vs_pysd.py", "speed.py", "memory.py", "neural_batching.py", "xmi_import.py", "serve_load.py",
           "live_latency.py", "analysis.py", "model_scale.py", "gui_edit_latency.py", "loops_scale.py",
           "fmu_batch.py")
_MISSING_MODULE = re.compile(r"No module named '?([\w.]+)'?")


@dataclass
class Outcome:
    script: str
    status: str  # "ok", "failed (exit N)", "timed out", "skipped: ...", "absent"
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status.startswith(("failed", "timed out"))


def run_script(path: Path, timeout: float) -> Outcome:
    """Run one script, echoing its output; stop its whole process group after ``timeout`` seconds."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               PYTHONUNBUFFERED="1")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(path)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, stop)
    timer.start()
    missing = None
    try:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            found = _MISSING_MODULE.search(line)
            missing = found.group(1) if found else missing
        code = process.wait()
    finally:
        timer.cancel()
    seconds = time.perf_counter() - started
    if expired.is_set():
        return Outcome(path.name, f"timed out after {timeout:g} s", seconds)
    if code == 0:
        return Outcome(path.name, "ok", seconds)
    if missing is not None:
        return Outcome(path.name, f"skipped: optional module '{missing}' is missing", seconds)
    return Outcome(path.name, f"failed (exit {code})", seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"scripts to run (default: all of {', '.join(SCRIPTS)})")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per script, default 900")
    args = parser.parse_args(argv)
    outcomes = []
    for name in args.names or SCRIPTS:
        path = HERE / (name if name.endswith(".py") else f"{name}.py")
        if not path.is_file():
            outcomes.append(Outcome(path.name, "absent"))
            continue
        print(f"\n===== {path.name} =====", flush=True)
        outcomes.append(run_script(path, args.timeout))
    print("\n===== summary =====")
    for outcome in outcomes:
        print(f"{outcome.script:22} {outcome.status:50} {outcome.seconds:8.1f} s")
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
