"""Simulation worker processes: runs execute in a child process that is killed at its deadline.

numpy code cannot be interrupted inside a call, so a runaway simulation is stopped the only sure
way: its process is terminated and replaced. Each worker caches the compiled model versions it ran.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from app.server.batcher import Batch, RunOutput

_READY = "ready"
_START_TIMEOUT_S = 120.0


class RunFailed(Exception):
    """A run that produced no result; ``client_error`` is True when the request caused it."""

    def __init__(self, message: str, *, client_error: bool, timed_out: bool = False) -> None:
        super().__init__(message)
        self.client_error = client_error
        self.timed_out = timed_out


@dataclass(frozen=True)
class ModelSource:
    """A model version's file and the stamp (mtime, size) that identifies its content."""

    path: str
    stamp: tuple[int, int]

    @property
    def key(self) -> str:
        return f"{self.path}@{self.stamp[0]}:{self.stamp[1]}"


def run_batch(cache: dict[str, Any], source: ModelSource, batch: Batch) -> RunOutput:
    """Run ``batch`` with the engine in this process, compiling ``source`` once into ``cache``."""
    import solvers

    compiled = cache.get(source.key)
    if compiled is None:
        compiled = cache[source.key] = solvers.load(source.path)
    options = batch.options
    results = compiled.run(batch.params or None, runs=batch.runs, method=options.method, start=options.start,
                           stop=options.stop, dt=options.dt, save_per=options.save_per, seed=options.seed)
    data = {name: np.ascontiguousarray(results[name]) for name in batch.outputs}
    providers = {str(k): str(v) for k, v in (results.metadata.get("providers") or {}).items()}
    return RunOutput(np.asarray(results.time, dtype=float), data, {"providers": providers})


def _worker_main(conn: Connection) -> None:
    """Child process: receive (source, keep, batch), reply ("ok", output) or ("error", kind, message)."""
    import solvers  # noqa: F401  (imported before reporting ready, so the first deadline is the run's)
    from metamodel.errors import SalverError

    cache: dict[str, Any] = {}
    conn.send(_READY)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        source, keep, batch = message
        for key in [k for k in cache if k not in keep and k != source.key]:
            del cache[key]
        try:
            conn.send(("ok", run_batch(cache, source, batch)))
        except SalverError as exc:  # a fault of the run's inputs: the client's error
            conn.send(("error", "simulation", str(exc)))
        except Exception as exc:  # reported to the server, which answers 500 and keeps serving
            conn.send(("error", "internal", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, context: Any) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True, name="salver-worker")
        self.process.start()
        child.close()
        if not self.conn.poll(_START_TIMEOUT_S) or self.conn.recv() != _READY:
            self.kill()
            raise RunFailed("a simulation worker process did not start", client_error=False)

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.kill()


class WorkerPool:
    """Up to ``size`` worker processes, started on demand; ``run`` blocks the calling thread."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._count = 0

    @property
    def size(self) -> int:
        return self._size

    def _acquire(self) -> _Worker:
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                start = self._count < self._size
                if start:
                    self._count += 1
            if start:
                break
            try:  # a busy worker may be killed instead of coming back: look again shortly
                return self._idle.get(timeout=0.2)
            except queue.Empty:
                continue
        try:
            return _Worker(self._context)
        except BaseException:
            with self._lock:
                self._count -= 1
            raise

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._count -= 1

    def run(self, source: ModelSource, keep: frozenset[str], batch: Batch) -> RunOutput:
        """Run ``batch`` on ``source`` in a worker; kill the worker if it passes ``batch.deadline_s``."""
        worker = self._acquire()
        try:
            worker.conn.send((source, keep, batch))
            if not worker.conn.poll(batch.deadline_s):
                self._discard(worker)
                raise RunFailed(f"run stopped: it exceeded the run time limit of {batch.deadline_s:g} s "
                                f"({batch.runs} runs, {batch.options.steps} steps)", client_error=True, timed_out=True)
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._discard(worker)
            raise RunFailed(f"the simulation worker process died: {exc}", client_error=False) from exc
        self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        raise RunFailed(message if kind == "simulation" else f"internal error: {message}",
                        client_error=kind == "simulation")

    def trim(self) -> None:
        """Stop the idle workers (scale to zero); busy ones finish their run."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            worker.stop()
            with self._lock:
                self._count -= 1

    def close(self) -> None:
        """Stop every idle worker; called at shutdown after the batchers drained."""
        self.trim()
