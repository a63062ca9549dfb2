"""Load test of ``salver serve``: throughput and latency with dynamic batching on and off.

Starts ``salver serve`` on 127.0.0.1 (free ports) over a model (the SIR sample by default), then sends
concurrent single-run inference requests from a bounded client: each phase stops after a fixed number
of requests or a fixed duration, whichever comes first. Batching on and off are measured in the same
invocation, ``--repeat`` times, so that their ratio is read from one run of a possibly shared machine.
Triton's own published gain for dynamic batching is printed beside it for reference, and the server's CPU
per answered request, which a loaded machine changes far less than throughput.

    .venv/bin/python benchmarks/serve_load.py [--concurrency 64] [--requests 6000] [--duration 10]
                                              [--repeat 3] [--liveness]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Triton's optimization guide: Inception, one instance, 73 inferences/s without the dynamic batcher and
# 272 with it at 8 concurrent requests.
TRITON_BATCHING_GAIN = round(272 / 73, 2)


def write_repository(folder: Path, model: Path, parameter: str, workers: int) -> None:
    """The model twice: batched (coalescing up to 256 runs) and single (every request runs alone)."""
    for mode, batching in (("batched", {"max_batch_size": 256, "max_queue_delay_ms": 2}),
                           ("single", {"max_batch_size": 1})):
        (folder / mode / "1").mkdir(parents=True)
        shutil.copy(model, folder / mode / "1" / model.name)
        config = {"batching": batching, "instance_group": {"count": workers}, "cache": False}
        (folder / mode / "config.json").write_text(json.dumps(config), encoding="utf-8")
    big = folder / "big" / "1"
    big.mkdir(parents=True)
    shutil.copy(model, big / model.name)
    (folder / "big" / "config.json").write_text(json.dumps({"instance_group": {"count": 1}, "cache": False}))
    (folder / ".parameter").write_text(parameter)


@dataclass
class Phase:
    model: str
    repeat: int
    requests: int
    failed: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    mean_batch: float
    front_end_cpu_ms: float | None  # the server process's CPU per answered request (any machine load)
    errors: list[str]


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of process ``pid`` so far (Linux; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Connection:
    """A minimal HTTP/1.1 keep-alive client connection: the load client must cost the server little CPU."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, payload: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 24)
        assert self.reader is not None
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            return status, await self.reader.readexactly(int(headers["content-length"]))
        chunks = []
        while True:  # chunked transfer encoding
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            chunks.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return status, b"".join(c[:-2] for c in chunks)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def body(parameter: str, value: float, output: str) -> bytes:
    return json.dumps({"inputs": [{"name": parameter, "shape": [1], "datatype": "FP64", "data": [value]}],
                       "outputs": [{"name": output}]}).encode()


async def phase(port: int, model: str, repeat: int, parameter: str, output: str, args: argparse.Namespace,
                server_pid: int) -> Phase:
    """Concurrent clients send single-run requests until ``requests`` are sent or ``duration`` passed."""
    cpu_before = cpu_seconds(server_pid)
    latencies: list[float] = []
    batches: list[int] = []
    errors: list[str] = []
    failed = sent = 0
    rng = random.Random(7)
    started = time.perf_counter()

    async def client_loop() -> None:
        nonlocal sent, failed
        connection = Connection("127.0.0.1", port)
        while sent < args.requests and time.perf_counter() - started < args.duration:
            sent += 1
            t0 = time.perf_counter()
            try:
                status, answer = await connection.request("POST", f"/v2/models/{model}/infer",
                                                          body(parameter, rng.uniform(0.5, 1.5), output))
                ok = status == 200
                if ok:
                    batches.append(json.loads(answer)["parameters"]["batch_requests"])
                else:
                    errors.append(f"{status}: {answer[:200]!r}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                ok = False
                errors.append(f"{type(exc).__name__}: {exc}")
                connection.close()
                connection = Connection("127.0.0.1", port)
            latencies.append(time.perf_counter() - t0)
            failed += not ok
        connection.close()

    await asyncio.gather(*[client_loop() for _ in range(args.concurrency)])
    seconds = time.perf_counter() - started
    cpu_after = cpu_seconds(server_pid)
    answered = len(latencies) - failed
    cpu_ms = None if cpu_before is None or cpu_after is None or not answered else \
        round((cpu_after - cpu_before) * 1000 / answered, 3)
    ms = np.asarray(latencies) * 1000
    return Phase(model, repeat, len(latencies), failed, round(seconds, 2), round(answered / seconds, 1),
                 round(float(np.percentile(ms, 50)), 2), round(float(np.percentile(ms, 99)), 2),
                 round(float(np.mean(batches)) if batches else 0.0, 1), cpu_ms, errors[:5])


_FETCH = """import http.client, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=600)
connection.request("POST", "/v2/models/big/infer", sys.stdin.buffer.read(), {"Content-Type": "application/json"})
answer = connection.getresponse()
size = 0
while chunk := answer.read(1 << 20):
    size += len(chunk)
print(answer.status, size)
"""


async def probe_live(port: int, until: Callable[[int], bool]) -> list[float]:
    """Liveness round trips (seconds), one every 5 ms, until ``until(samples so far)``."""
    probe = Connection("127.0.0.1", port)
    await probe.request("GET", "/v2/health/live")
    samples: list[float] = []
    while not until(len(samples)):
        t0 = time.perf_counter()
        await probe.request("GET", "/v2/health/live")
        samples.append(time.perf_counter() - t0)
        await asyncio.sleep(0.005)
    probe.close()
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1000
    return {"probes": len(samples), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2)}


async def liveness(port: int, parameter: str, outputs: list[str]) -> dict[str, Any]:
    """Liveness latency while about 100 MB of JSON is being answered to another process (which reads it,
    so that this process's loop times only the server), beside the same probe on an idle server."""
    runs = 10_000
    big = json.dumps({"inputs": [{"name": parameter, "shape": [runs], "datatype": "FP64",
                                  "data": [0.5 + i / runs for i in range(runs)]}],
                      "outputs": [{"name": o} for o in outputs]}).encode()
    idle = await probe_live(port, lambda count: count >= 200)
    fetch = await asyncio.create_subprocess_exec(sys.executable, "-c", _FETCH, str(port), stdin=asyncio.subprocess.PIPE,
                                                 stdout=asyncio.subprocess.PIPE)
    answered = asyncio.ensure_future(fetch.communicate(big))
    during = await probe_live(port, lambda count: answered.done())
    status, size = (await answered)[0].split()
    return {"status": int(status), "response_mb": round(int(size) / 1e6, 1), "idle": summary(idle),
            "during": summary(during)}


async def warm(port: int, model: str, parameter: str, output: str) -> None:
    connection = Connection("127.0.0.1", port)
    for i in range(20):
        status, answer = await connection.request("POST", f"/v2/models/{model}/infer", body(parameter, 1.0 + i, output))
        assert status == 200, answer
    connection.close()


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit("the server exited before it was ready")
            try:
                if (await client.get("/v2/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not become ready in 60 s")


async def measure(port: int, args: argparse.Namespace, parameter: str, output: str,
                  server_pid: int) -> tuple[list[Phase], dict]:
    for model in ("batched", "single"):
        await warm(port, model, parameter, output)
    phases = []
    for repeat in range(args.repeat):
        for model in ("batched", "single"):
            phases.append(await phase(port, model, repeat, parameter, output, args, server_pid))
            print(json.dumps(asdict(phases[-1])), flush=True)
    live = {}
    if args.liveness:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            meta = (await client.get("/v2/models/big")).json()
        names = [o["name"] for o in meta["outputs"] if o["name"] != "time"]
        live = await liveness(port, parameter, names)
        print(json.dumps({"liveness_during_large_answer": live}), flush=True)
    return phases, live


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "samples" / "sir.salver"))
    parser.add_argument("--parameter", default="Contact Rate", help="the input each request sets")
    parser.add_argument("--output", default="Infected", help="the output each request asks for")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--requests", type=int, default=6000, help="most requests per phase")
    parser.add_argument("--duration", type=float, default=10.0, help="most seconds per phase")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--liveness", action="store_true", help="also time liveness idle and during a 100 MB answer")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="salver-load-") as folder:
        repo = Path(folder)
        write_repository(repo, Path(args.model), args.parameter, args.workers)
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", str(repo), "--port", str(port),
                                    "--workers", str(args.workers), "--log-level", "warning",
                                    "--model-control-mode", "none"], cwd=ROOT)
        try:
            asyncio.run(wait_ready(f"http://127.0.0.1:{port}", process))
            phases, live = asyncio.run(measure(port, args, args.parameter, args.output, process.pid))
        finally:
            process.terminate()
            process.wait(60)
    print(f"\n{'model':<9}{'rep':>4}{'requests':>9}{'failed':>7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'batch':>7}"
          f"{'cpu ms/req':>11}")
    for p in phases:
        print(f"{p.model:<9}{p.repeat:>4}{p.requests:>9}{p.failed:>7}{p.throughput:>9}{p.p50_ms:>9}{p.p99_ms:>9}"
              f"{p.mean_batch:>7}{p.front_end_cpu_ms if p.front_end_cpu_ms is not None else '-':>11}")
    ratios = []
    for repeat in range(args.repeat):
        on, off = (next(p for p in phases if p.model == m and p.repeat == repeat) for m in ("batched", "single"))
        ratios.append(round(on.throughput / off.throughput, 2) if off.throughput else float("inf"))
    best = max(p.throughput for p in phases if p.model == "batched")
    print(f"batched/unbatched throughput per repeat: {ratios} (median {float(np.median(ratios)):.2f}x; "
          f"Triton's published dynamic-batching gain: {TRITON_BATCHING_GAIN}x); best batched {best} req/s "
          f"at {args.concurrency} clients, {args.workers} worker(s) per model")
    failures = sum(p.failed for p in phases)
    print(f"failed requests: {failures}")
    if args.json:
        Path(args.json).write_text(json.dumps({"phases": [asdict(p) for p in phases], "ratios": ratios,
                                               "triton_batching_gain": TRITON_BATCHING_GAIN, "liveness": live,
                                               "concurrency": args.concurrency, "workers": args.workers},
                                              indent=2), encoding="utf-8")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
