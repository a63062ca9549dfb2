"""Load test of ``salver serve``: throughput and latency with dynamic batching on and off.

Starts ``salver serve`` on 127.0.0.1 (free ports) over a model (the SIR sample by default), then sends
concurrent single-run inference requests from a bounded client, over HTTP (one keep-alive connection per
client on asyncio's transport, JSON bodies written from a template: about 0.03 ms of CPU per request) and
gRPC (grpc.aio, one channel): each phase stops after a fixed number of requests or a fixed duration,
whichever comes first. Batching on (up to 256 runs, 2 ms queue delay) and off (a model that differs only
in its max batch size of 1) are measured in the same invocation, ``--repeat`` times, so that their ratio
is read from one run of a possibly shared machine. Triton's own published gain for dynamic batching is
printed beside it for reference, and the CPU per answered request of the server process, its worker
processes and this client, which a loaded machine changes far less than throughput.

    .venv/bin/python benchmarks/serve_load.py [--concurrency 64] [--requests 6000] [--duration 10]
                                              [--repeat 3] [--transports http,grpc] [--liveness]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
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
_BATCH_REQUESTS = re.compile(rb'"batch_requests":(\d+)')


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
    transport: str
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
    worker_cpu_ms: float | None  # its worker processes' CPU per answered request
    client_cpu_ms: float  # this load generator's CPU per answered request
    errors: list[str]


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of process ``pid`` so far (Linux; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds of each child process of ``pid`` (the server's workers; Linux, else empty)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return {}
    children = {int(c) for task in tasks for c in (task / "children").read_text().split()
                if (task / "children").exists()}
    return {child: seconds for child in children if (seconds := cpu_seconds(child)) is not None}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


class Connection(asyncio.Protocol):
    """A minimal HTTP/1.1 keep-alive client connection on asyncio's transport (no stream objects): the
    load generator shares the machine with the server, so its CPU per request must stay small. It
    reads answers with a Content-Length, which the server gives every small answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.head_end = self.total = 0
        self.status = 0

    async def request(self, method: str, path: str, payload: bytes = b"") -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        if self.transport is None or self.transport.is_closing():
            self.buffer.clear()
            await loop.create_connection(lambda: self, self.host, self.port)
        assert self.transport is not None
        self.waiter = loop.create_future()
        self.head_end = 0
        self.transport.write(b"%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (method.encode(), path.encode(), self.host.encode(),
                                                                len(payload), payload))
        return await self.waiter

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if not self.head_end:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end + 2])
            length = _CONTENT_LENGTH.search(head)
            if length is None:
                waiter.set_exception(ValueError(f"an answer without Content-Length: {head[:200]!r}"))
                return
            self.status, self.head_end = int(head[9:12]), end + 4
            self.total = self.head_end + int(length[1])
        if len(self.buffer) >= self.total:
            answer = bytes(self.buffer[self.head_end:self.total])
            del self.buffer[:self.total]
            waiter.set_result((self.status, answer))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def body_template(parameter: str, output: str) -> Callable[[float], bytes]:
    """The request body for one run with ``parameter`` set to a value (its JSON written once)."""
    document = {"inputs": [{"name": parameter, "shape": [1], "datatype": "FP64", "data": ["@"]}],
                "outputs": [{"name": output}]}
    before, after = json.dumps(document).encode().split(b'"@"')
    return lambda value: before + repr(float(value)).encode() + after


Send = Callable[[float], Awaitable[tuple[int, str]]]  # one request: (batch_requests, "") or (0, the error)


def http_client(port: int, model: str, parameter: str, output: str) -> tuple[Callable[[], Send], Callable[[], None]]:
    """Per client a keep-alive connection sending JSON requests (and how to close them all)."""
    body = body_template(parameter, output)
    path = f"/v2/models/{model}/infer"
    connections: list[Connection] = []

    def make() -> Send:
        connection = Connection("127.0.0.1", port)
        connections.append(connection)

        async def send(value: float) -> tuple[int, str]:
            try:
                status, answer = await connection.request("POST", path, body(value))
            except (OSError, ValueError) as exc:
                connection.close()
                return 0, f"{type(exc).__name__}: {exc}"
            if status != 200:
                return 0, f"{status}: {answer[:200]!r}"
            return int(_BATCH_REQUESTS.search(answer)[1]), ""  # type: ignore[index]

        return send

    def close() -> None:
        for connection in connections:
            connection.close()

    return make, close


def grpc_client(port: int, model: str, parameter: str, output: str) -> tuple[Callable[[], Send], Callable[[], None]]:
    """The KServe v2 gRPC ModelInfer on one channel shared by the clients (grpc.aio), raw FP64 inputs."""
    import grpc

    from app.server.proto import grpc_predict_v2_pb2 as pb

    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    call = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer",
                               request_serializer=pb.ModelInferRequest.SerializeToString,
                               response_deserializer=pb.ModelInferResponse.FromString)
    template = pb.ModelInferRequest(model_name=model, outputs=[pb.ModelInferRequest.InferRequestedOutputTensor(
        name=output)], inputs=[pb.ModelInferRequest.InferInputTensor(name=parameter, datatype="FP64", shape=[1])])

    def make() -> Send:
        async def send(value: float) -> tuple[int, str]:
            request = pb.ModelInferRequest()
            request.CopyFrom(template)
            request.raw_input_contents.append(struct.pack("<d", value))
            try:
                answer = await call(request, timeout=60)
            except grpc.aio.AioRpcError as exc:
                return 0, f"{exc.code().name}: {exc.details()}"
            return int(answer.parameters["batch_requests"].int64_param), ""

        return send

    return make, lambda: None


async def phase(transport: str, port: int, model: str, repeat: int, args: argparse.Namespace,
                server_pid: int) -> Phase:
    """Concurrent clients send single-run requests until ``requests`` are sent or ``duration`` passed."""
    make, close = CLIENTS[transport](port, model, args.parameter, args.output)
    senders = [make() for _ in range(args.concurrency)]
    cpu_before = cpu_seconds(server_pid)
    workers_before = children_cpu_seconds(server_pid)
    client_before = time.process_time()
    latencies: list[float] = []
    batches: list[int] = []
    errors: list[str] = []
    failed = sent = 0
    rng = random.Random(7)
    started = time.perf_counter()

    async def client_loop(send: Send) -> None:
        nonlocal sent, failed
        while sent < args.requests and time.perf_counter() - started < args.duration:
            sent += 1
            t0 = time.perf_counter()
            batch, error = await send(rng.uniform(0.5, 1.5))
            latencies.append(time.perf_counter() - t0)
            if error:
                failed += 1
                errors.append(error)
            else:
                batches.append(batch)

    await asyncio.gather(*[client_loop(send) for send in senders])
    seconds = time.perf_counter() - started
    cpu_after = cpu_seconds(server_pid)
    workers_after = children_cpu_seconds(server_pid)
    client_s = time.process_time() - client_before
    close()
    answered = max(1, len(latencies) - failed)
    cpu_ms = None if cpu_before is None or cpu_after is None else round((cpu_after - cpu_before) * 1000 / answered, 3)
    worker_ms = round(sum(s - workers_before.get(p, 0.0) for p, s in workers_after.items()) * 1000 / answered, 3) \
        if workers_after else None
    ms = np.asarray(latencies) * 1000
    return Phase(transport, model, repeat, len(latencies), failed, round(seconds, 2),
                 round((len(latencies) - failed) / seconds, 1), round(float(np.percentile(ms, 50)), 2),
                 round(float(np.percentile(ms, 99)), 2), round(float(np.mean(batches)) if batches else 0.0, 1),
                 cpu_ms, worker_ms, round(client_s * 1000 / answered, 3), errors[:5])


CLIENTS = {"http": http_client, "grpc": grpc_client}


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
    body = body_template(parameter, output)
    for i in range(20):
        status, answer = await connection.request("POST", f"/v2/models/{model}/infer", body(1.0 + i))
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


async def measure(ports: dict[str, int], args: argparse.Namespace, server_pid: int) -> tuple[list[Phase], dict]:
    for model in ("batched", "single"):
        await warm(ports["http"], model, args.parameter, args.output)
    phases = []
    for repeat in range(args.repeat):
        for transport in args.transports:
            for model in ("batched", "single"):
                phases.append(await phase(transport, ports[transport], model, repeat, args, server_pid))
                print(json.dumps(asdict(phases[-1])), flush=True)
    live = {}
    if args.liveness:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['http']}") as client:
            meta = (await client.get("/v2/models/big")).json()
        names = [o["name"] for o in meta["outputs"] if o["name"] != "time"]
        live = await liveness(ports["http"], args.parameter, names)
        print(json.dumps({"liveness_during_large_answer": live}), flush=True)
    return phases, live


def report(phases: list[Phase], args: argparse.Namespace) -> dict[str, list[float]]:
    """The table of phases and, per transport, the batched/unbatched throughput ratio of each repeat."""
    print(f"\n{'transport':<10}{'model':<9}{'rep':>4}{'requests':>9}{'failed':>7}{'req/s':>9}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'batch':>7}{'server ms':>10}{'workers ms':>11}{'client ms':>10}  (CPU per answered request)")
    for p in phases:
        print(f"{p.transport:<10}{p.model:<9}{p.repeat:>4}{p.requests:>9}{p.failed:>7}{p.throughput:>9}{p.p50_ms:>9}"
              f"{p.p99_ms:>9}{p.mean_batch:>7}{p.front_end_cpu_ms if p.front_end_cpu_ms is not None else '-':>10}"
              f"{p.worker_cpu_ms if p.worker_cpu_ms is not None else '-':>11}{p.client_cpu_ms:>10}")
    ratios: dict[str, list[float]] = {}
    for transport in args.transports:
        ratios[transport] = []
        for repeat in range(args.repeat):
            on, off = (next(p for p in phases if (p.transport, p.model, p.repeat) == (transport, m, repeat))
                       for m in ("batched", "single"))
            ratios[transport].append(round(on.throughput / off.throughput, 2) if off.throughput else float("inf"))
        best = max(p.throughput for p in phases if (p.transport, p.model) == (transport, "batched"))
        print(f"{transport}: batched/unbatched throughput per repeat {ratios[transport]} (median "
              f"{float(np.median(ratios[transport])):.2f}x; Triton's published dynamic-batching gain: "
              f"{TRITON_BATCHING_GAIN}x); best batched {best} req/s")
    print(f"{args.concurrency} clients, {args.workers} worker(s) per model, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return ratios


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
    parser.add_argument("--transports", default="http,grpc", help="http, grpc or both (default http,grpc)")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    args.transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    if not args.transports or any(t not in CLIENTS for t in args.transports):
        parser.error(f"--transports takes a comma-separated list of {', '.join(CLIENTS)}")
    ports = {"http": free_port(), "grpc": free_port()}
    with tempfile.TemporaryDirectory(prefix="salver-load-") as folder:
        repo = Path(folder)
        write_repository(repo, Path(args.model), args.parameter, args.workers)
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", str(repo), "--port", str(ports["http"]),
                                    "--grpc-port", str(ports["grpc"]), "--workers", str(args.workers),
                                    "--log-level", "warning", "--model-control-mode", "none"], cwd=ROOT)
        try:
            asyncio.run(wait_ready(f"http://127.0.0.1:{ports['http']}", process))
            phases, live = asyncio.run(measure(ports, args, process.pid))
        finally:
            process.terminate()
            process.wait(60)
    ratios = report(phases, args)
    failures = sum(p.failed for p in phases)
    print(f"failed requests: {failures}")
    if args.json:
        Path(args.json).write_text(json.dumps({"phases": [asdict(p) for p in phases], "ratios": ratios,
                                               "triton_batching_gain": TRITON_BATCHING_GAIN, "liveness": live,
                                               "concurrency": args.concurrency, "workers": args.workers,
                                               "load_average": os.getloadavg()}, indent=2), encoding="utf-8")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
