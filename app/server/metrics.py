"""Prometheus metrics in the text exposition format (version 0.0.4), kept per server instance."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.server.repository import LoadedVersion
    from app.server.service import InferenceService

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Labels = tuple[str, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Labels, values: Labels, extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if value != int(value) else str(int(value))


class _Family:
    kind = ""

    def __init__(self, name: str, help_text: str, labelnames: Labels = ()) -> None:
        self.name = name
        self.help = help_text
        self.labelnames = labelnames
        self._lock = threading.Lock()

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]


class Counter(_Family):
    """A monotonically increasing count per label set."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labelnames: Labels = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self._values: dict[Labels, float] = {}

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0.0)

    def lines(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return self.header() + [f"{self.name}{_labels(self.labelnames, k)} {_number(v)}" for k, v in items]


class Histogram(_Family):
    """Observations counted into cumulative ``le`` buckets, with their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: Iterable[float], labelnames: Labels = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self.buckets = (*sorted(buckets), math.inf)
        self._values: dict[Labels, tuple[list[int], list[float]]] = {}

    def observe(self, value: float, *labels: str) -> None:
        with self._lock:
            counts, total = self._values.setdefault(labels, ([0] * len(self.buckets), [0.0]))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
            total[0] += value

    def count(self, *labels: str) -> int:
        entry = self._values.get(labels)
        return entry[0][-1] if entry else 0

    def lines(self) -> list[str]:
        out = self.header()
        with self._lock:
            items = sorted((k, (list(c), t[0])) for k, (c, t) in self._values.items())
        for labels, (counts, total) in items:
            for bound, count in zip(self.buckets, counts, strict=True):
                le = f'le="{_number(bound)}"'
                out.append(f"{self.name}_bucket{_labels(self.labelnames, labels, le)} {count}")
            out.append(f"{self.name}_sum{_labels(self.labelnames, labels)} {_number(total)}")
            out.append(f"{self.name}_count{_labels(self.labelnames, labels)} {counts[-1]}")
        return out


class Gauge(_Family):
    """A value per label set, read by ``collect()`` when the metrics are rendered."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str, collect: Callable[[], dict[Labels, float]],
                 labelnames: Labels = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self._collect = collect

    def lines(self) -> list[str]:
        return self.header() + [f"{self.name}{_labels(self.labelnames, k)} {_number(v)}"
                                for k, v in sorted(self._collect().items())]


SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)


class ServerMetrics:
    """The server's metrics; gauges read the service's state (loaded models, workers, cache, async
    results, queues, onnxruntime providers) when rendered."""

    def __init__(self, service: InferenceService) -> None:
        model = ("model", "version")
        repository = service.repository
        self.requests = Counter("salver_inference_requests_total", "Inference requests received.", model)
        self.failures = Counter("salver_inference_failures_total", "Inference requests that failed.",
                                (*model, "status"))
        self.cancelled = Counter("salver_inference_cancelled_total",
                                 "Inference requests cancelled (client gone or run deleted).", model)
        self.cache_hits = Counter("salver_cache_hits_total", "Inference requests answered from the cache.",
                                  model)
        self.worker_restarts = Counter("salver_worker_restarts_total",
                                       "Worker processes replaced (died, timeout, cancelled).", (*model, "reason"))
        self.queue_seconds = Histogram("salver_queue_seconds", "Time a request waited for its batch.",
                                       SECONDS, model)
        self.run_seconds = Histogram("salver_run_seconds", "Wall-clock time of one batched simulation run.",
                                     SECONDS, model)
        self.batch_runs = Histogram("salver_batch_runs", "Runs per batched simulation.", SIZES, model)
        self.batch_requests = Histogram("salver_batch_requests", "Requests coalesced per batched simulation.",
                                        SIZES, model)
        self.http = Counter("salver_http_requests_total",
                            "HTTP requests by route template and status (499: the client went away).",
                            ("method", "route", "status"))

        def per_version(value: Callable[[LoadedVersion], float]) -> Callable[[], dict[Labels, float]]:
            return lambda: {(v.name, v.version): float(value(v)) for v in repository.loaded_versions()}

        def pids() -> dict[Labels, float]:
            return {(v.name, v.version, str(pid)): 1.0 for v in repository.loaded_versions() for pid in v.group.pids()}

        self.families: list[Counter | Histogram | Gauge] = [
            self.requests, self.failures, self.cancelled, self.cache_hits, self.worker_restarts,
            self.queue_seconds, self.run_seconds, self.batch_runs, self.batch_requests, self.http,
            Gauge("salver_models_loaded", "Model versions loaded now.", per_version(lambda v: 1), model),
            Gauge("salver_queue_requests", "Requests waiting for a run, per model version.",
                  per_version(lambda v: v.batcher.queued), model),
            Gauge("salver_worker_process", "Worker processes of each model version (by process id).",
                  pids, (*model, "pid")),
            Gauge("salver_cache_bytes", "Bytes of results held by the cache.", lambda: {(): service.cache.nbytes}),
            Gauge("salver_cache_capacity_bytes", "The cache's bound in bytes.",
                  lambda: {(): service.cache.capacity}),
            Gauge("salver_cache_entries", "Results held by the cache.", lambda: {(): len(service.cache)}),
            Gauge("salver_cache_evictions", "Results evicted from the cache to stay within its bytes.",
                  lambda: {(): service.cache.evictions}),
            Gauge("salver_async_result_bytes", "Bytes of finished asynchronous results kept.",
                  lambda: {(): service.runs.nbytes}),
            Gauge("salver_async_result_capacity_bytes", "The bound in bytes of kept asynchronous results.",
                  lambda: {(): service.runs.max_bytes}),
            Gauge("salver_async_runs_running", "Asynchronous runs in progress.", lambda: {(): service.runs.running()}),
            Gauge("salver_onnxruntime_provider", "onnxruntime execution providers that ran neural components "
                  "(1 = used by the last run that reported it).",
                  lambda: {(p,): v for p, v in service.providers().items()}, ("provider",)),
        ]

    def render(self) -> str:
        """All metrics as Prometheus text."""
        return "\n".join(line for family in self.families for line in family.lines()) + "\n"
