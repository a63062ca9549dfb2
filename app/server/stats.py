"""Triton's statistics extension: per model version, counts and cumulative nanoseconds of requests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

PHASES = ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output", "cache_hit", "cache_miss")


@dataclass
class Duration:
    """A count and the nanoseconds it took in all."""

    count: int = 0
    ns: int = 0

    def add(self, ns: int) -> None:
        self.count += 1
        self.ns += max(0, ns)


@dataclass
class VersionStats:
    """What Triton's ModelStatistics reports for one model version."""

    last_inference_ms: int = 0
    inference_count: int = 0
    execution_count: int = 0
    phases: dict[str, Duration] = field(default_factory=lambda: {p: Duration() for p in PHASES})
    batches: dict[int, Duration] = field(default_factory=dict)

    def to_json(self, name: str, version: str) -> dict[str, Any]:
        def duration(d: Duration) -> dict[str, int]:
            return {"count": d.count, "ns": d.ns}

        return {
            "name": name, "version": version, "last_inference": self.last_inference_ms,
            "inference_count": self.inference_count, "execution_count": self.execution_count,
            "inference_stats": {p: duration(d) for p, d in self.phases.items()},
            "batch_stats": [{"batch_size": size, "compute_input": duration(Duration(d.count, 0)),
                             "compute_infer": duration(d), "compute_output": duration(Duration(d.count, 0))}
                            for size, d in sorted(self.batches.items())],
            "memory_usage": [],
        }


class Statistics:
    """Statistics of every model version that served a request since the server started."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str], VersionStats] = {}

    def of(self, name: str, version: str) -> VersionStats:
        stats = self._versions.get((name, version))
        if stats is None:
            stats = self._versions[(name, version)] = VersionStats()
        return stats

    def phase(self, name: str, version: str, phase: str, ns: int) -> None:
        self.of(name, version).phases[phase].add(ns)

    def succeeded(self, name: str, version: str, runs: int, ns: int) -> None:
        stats = self.of(name, version)
        stats.phases["success"].add(ns)
        stats.inference_count += runs
        stats.last_inference_ms = time.time_ns() // 1_000_000

    def executed(self, name: str, version: str, runs: int, ns: int) -> None:
        stats = self.of(name, version)
        stats.execution_count += 1
        stats.batches.setdefault(runs, Duration()).add(ns)

    def report(self, versions: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Triton's ``model_stats`` rows for ``versions`` (those never used report zeros)."""
        return [self._versions.get(key, VersionStats()).to_json(*key) for key in versions]
