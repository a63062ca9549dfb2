"""Load test of ``salver serve``: throughput and latency with dynamic batching on and off.

Starts a server on 127.0.0.1 (a random free port) over a generated 100-variable model, then sends
concurrent single-run inference requests from a bounded client: each phase stops after a fixed number
of requests or a fixed duration, whichever comes first. Batching on and off are measured in the same
invocation, for a fixed-step (Euler) and an adaptive (RK45) integration method.

    .venv/bin/python benchmarks/serve_load.py [--concurrency 64] [--requests 2000] [--duration 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from metamodel import io  # noqa: E402
from metamodel.elements import Aux, Flow, SimSpec, Stock  # noqa: E402
from metamodel.model import Model  # noqa: E402

CHAINS = 20  # 5 variables per chain: 100 variables


def load_model(chains: int = CHAINS) -> Model:
    """Coupled first-order chains: per chain a stock, its flow, a signal and two parameters."""
    model = Model(name="load", sim_spec=SimSpec(start=0.0, stop=100.0, dt=0.25, save_per=1.0))
    for i in range(chains):
        j = (i + 1) % chains
        model.add(Stock(id=f"s{i}", name=f"stock_{i}", equation="10", inflows=[f"f{i}"]))
        model.add(Flow(id=f"f{i}", name=f"flow_{i}",
                       equation=f"rate_{i} * (target_{i} - stock_{i}) + 0.01 * signal_{j}"))
        model.add(Aux(id=f"g{i}", name=f"signal_{i}", equation=f"SIN(stock_{i} / 10) * stock_{i}"))
        model.add(Aux(id=f"r{i}", name=f"rate_{i}", equation="0.1"))
        model.add(Aux(id=f"t{i}", name=f"target_{i}", equation=str(50 + i)))
    return model


def write_repository(folder: Path, methods: list[str]) -> None:
    """One model per method and batching mode, all the same file."""
    for method in methods:
        # batched: one coalesced run at a time, so that requests queue into large batches meanwhile;
        # single: every request runs alone, as many at once as there are worker processes
        for mode, batching in (("batched", {"max_batch_size": 256, "max_queue_delay_ms": 20, "instances": 1}),
                               ("single", {"max_batch_size": 1})):
            name = f"{method}_{mode}"
            (folder / name / "1").mkdir(parents=True)
            io.save(load_model(), folder / name / "1" / "load.salver")
            config = {"batching": batching,
                      "sim_spec": {"method": method}, "cache": False}
            (folder / name / "config.json").write_text(json.dumps(config), encoding="utf-8")


@dataclass
class Phase:
    model: str
    requests: int
    failed: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    mean_batch: float
    errors: list[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def body(rate: float) -> dict[str, object]:
    return {"inputs": [{"name": "rate_0", "shape": [1], "datatype": "FP64", "data": [rate]}],
            "outputs": [{"name": "stock_0"}]}


class Connection:
    """A minimal HTTP/1.1 keep-alive client connection: the load client must cost the server little CPU."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict[str, object]) -> tuple[int, dict[str, object]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(payload).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:"))
        return status, json.loads(await self.reader.readexactly(length))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def phase(url: tuple[str, int], model: str, concurrency: int, total: int, duration: float) -> Phase:
    """Concurrent clients send single-run requests until ``total`` are sent or ``duration`` passed."""
    latencies: list[float] = []
    batches: list[int] = []
    failed = 0
    errors: list[str] = []
    sent = 0
    rng = random.Random(7)
    started = time.perf_counter()

    async def client_loop() -> None:
        nonlocal sent, failed
        connection = Connection(*url)
        while sent < total and time.perf_counter() - started < duration:
            sent += 1
            t0 = time.perf_counter()
            try:
                status, answer = await connection.post(f"/v2/models/{model}/infer", body(rng.uniform(0.05, 0.3)))
                ok = status == 200
                if ok:
                    batches.append(answer["parameters"]["batch_requests"])  # type: ignore[index]
                else:
                    errors.append(f"{status}: {answer}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                ok = False
                errors.append(f"{type(exc).__name__}: {exc}")
                connection.close()
                connection = Connection(*url)
            latencies.append(time.perf_counter() - t0)
            failed += not ok
        connection.close()

    await asyncio.gather(*[client_loop() for _ in range(concurrency)])
    seconds = time.perf_counter() - started
    ms = np.asarray(latencies) * 1000
    return Phase(model, len(latencies), failed, round(seconds, 2), round((len(latencies) - failed) / seconds, 1),
                 round(float(np.percentile(ms, 50)), 1), round(float(np.percentile(ms, 99)), 1),
                 round(float(np.mean(batches)) if batches else 0.0, 1), errors[:5])


async def check_results(client: httpx.AsyncClient, model: str, path: Path) -> None:
    """One answer compared with the engine run locally: batching must not change results."""
    import solvers

    answer = (await client.post(f"/v2/models/{model}/infer", json=body(0.2))).json()
    tensor = next(t for t in answer["outputs"] if t["name"] == "stock_0")
    method = model.rsplit("_", 1)[0]
    expected = solvers.load(path).run({"rate_0": 0.2}, method=method)["stock_0"][:, 0]
    np.testing.assert_allclose(tensor["data"], expected, rtol=1e-6)


async def measure(url: str, args: argparse.Namespace, repo: Path) -> list[Phase]:
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        results = []
        for method in args.methods:
            for mode in ("batched", "single"):
                model = f"{method}_{mode}"
                await asyncio.gather(*[client.post(f"/v2/models/{model}/infer", json=body(0.1 + i / 100))
                                       for i in range(2 * args.workers)])  # load, start and warm the workers
                await check_results(client, model, repo / model / "1" / "load.salver")
                results.append(await phase(("127.0.0.1", args.port), model, args.concurrency, args.requests,
                                           args.duration))
                print(json.dumps(asdict(results[-1])), flush=True)
        return results


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit("the server exited before it was ready")
            try:
                if (await client.get("/v2/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not become ready in 30 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--requests", type=int, default=2000, help="most requests per phase")
    parser.add_argument("--duration", type=float, default=20.0, help="most seconds per phase")
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--methods", default="euler,rk45", help="integration methods to measure")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    args.methods = args.methods.split(",")
    port = args.port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="salver-load-") as folder:
        repo = Path(folder)
        write_repository(repo, args.methods)
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", str(repo), "--host", "127.0.0.1",
                                    "--port", str(port), "--workers", str(args.workers), "--log-level", "warning"],
                                   cwd=ROOT)
        try:
            asyncio.run(wait_ready(url, process))
            phases = asyncio.run(measure(url, args, repo))
        finally:
            process.terminate()
            process.wait(30)
    print(f"\n{'model':<16}{'requests':>9}{'failed':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'batch':>7}")
    for p in phases:
        print(f"{p.model:<16}{p.requests:>9}{p.failed:>8}{p.throughput:>9}{p.p50_ms:>9}{p.p99_ms:>9}{p.mean_batch:>7}")
    summary = {}
    for method in args.methods:
        on, off = (next(p for p in phases if p.model == f"{method}_{m}") for m in ("batched", "single"))
        summary[method] = round(on.throughput / off.throughput, 2) if off.throughput else float("inf")
        print(f"{method}: batching raises throughput {summary[method]}x at {args.concurrency} concurrent clients")
    failures = sum(p.failed for p in phases)
    print(f"failed requests: {failures}")
    if args.json:
        Path(args.json).write_text(json.dumps({"phases": [asdict(p) for p in phases], "ratio": summary,
                                               "concurrency": args.concurrency, "workers": args.workers},
                                              indent=2), encoding="utf-8")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
