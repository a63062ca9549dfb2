"""Dynamic batching: concurrent requests for one model version become one vectorized run.

The parameter arrays of the coalesced requests are concatenated (a request that leaves a parameter
out gets its default), the model runs once with ``runs`` = their total, and the result columns are
split back. ``execute`` runs a batch elsewhere (worker processes, or a thread) and is awaited.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.server.config import Batching


@dataclass(frozen=True)
class RunOptions:
    """Resolved run options of a request: time span, integration method, save period, seed."""

    start: float
    stop: float
    dt: float
    save_per: float
    method: str
    seed: int | None = None

    @property
    def steps(self) -> int:
        """Integration steps of one run."""
        return int(math.ceil(self.step_count))

    @property
    def step_count(self) -> float:
        """Integration steps of one run as a float (``inf`` where the span overflows)."""
        return (self.stop - self.start) / self.dt - 1e-9

    @property
    def saved_count(self) -> float:
        """Saved times of one run as a float (``inf`` where the span overflows)."""
        return math.floor((self.stop - self.start) / self.save_per + 1e-9) + 1


@dataclass
class Batch:
    """What one simulation run executes: parameter arrays of length ``runs`` and the variables wanted
    back (for a coalesced run, those of all its requests)."""

    params: dict[str, np.ndarray]
    runs: int
    options: RunOptions
    outputs: tuple[str, ...]
    deadline_s: float


@dataclass
class RunRequest(Batch):
    """One validated request: what it would run on its own, and whether it may share a run."""

    alone: bool = False  # never coalesce (a seeded stochastic run must not depend on its batch mates)
    batch_runs: int = 0  # most runs of a batch this request starts (its memory bound); 0: max_batch_size


@dataclass
class RunOutput:
    """Saved times and, per variable, an array of shape ``(runs, times)``."""

    time: np.ndarray
    data: dict[str, np.ndarray]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Completed:
    """The slice of a batch's output that belongs to one request, with its timings."""

    output: RunOutput
    queue_s: float
    run_s: float
    batch_runs: int
    batch_requests: int


class RunCancelled(Exception):
    """The run was stopped because every request waiting for it was cancelled."""


class QueueFull(Exception):
    """The model's queue holds its limit of requests (HTTP 429)."""


class RunHandle:
    """Lets a run in progress be stopped: ``cancel`` calls the kill function the runner attached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kill: Callable[[], None] | None = None
        self.cancelled = False

    def attach(self, kill: Callable[[], None]) -> bool:
        """Register how to stop the run; False if it was cancelled already."""
        with self._lock:
            if self.cancelled:
                return False
            self._kill = kill
            return True

    def detach(self) -> None:
        with self._lock:
            self._kill = None

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            kill = self._kill
        if kill is not None:
            kill()


Execute = Callable[[Batch, RunHandle], Awaitable[RunOutput]]
BatchHook = Callable[[int, int, float], None]  # (requests, runs, run seconds)


class _Item:
    """A queued request, its future and when it came; ``key`` tells which requests may share a run."""

    __slots__ = ("request", "future", "enqueued", "key")

    def __init__(self, request: RunRequest, future: asyncio.Future[Completed], enqueued: float) -> None:
        self.request = request
        self.future = future
        self.enqueued = enqueued
        self.key: object = id(self) if request.alone else (request.options, request.deadline_s)


class BatcherClosed(RuntimeError):
    """Raised by ``submit`` once the batcher is closing (its model version was replaced or unloaded)."""


class Batcher:
    """Queue of requests for one model version, drained into coalesced runs.

    At most ``concurrency`` runs are in progress at once; while they run, new requests queue and are
    coalesced (up to ``max_batch_size`` runs) when a slot frees. A lone request waits at most
    ``max_queue_delay_ms`` for company. When a coalesced run fails with an error for which
    ``isolate(error)`` is true (a fault caused by some request's inputs), each request is run alone so
    that only the faulty one fails. A cancelled request leaves the queue; a run whose requests were all
    cancelled is stopped through its RunHandle. More than ``queue_limit`` waiting requests (0: no
    limit) make ``submit`` raise QueueFull.
    """

    def __init__(self, execute: Execute, defaults: dict[str, float], batching: Batching, *,
                 concurrency: int = 1, on_batch: BatchHook | None = None, queue_limit: int = 0,
                 isolate: Callable[[Exception], bool] = lambda exc: False) -> None:
        self._execute = execute
        self._defaults = defaults
        self._max_runs = batching.max_batch_size
        self._delay = batching.max_queue_delay_ms / 1000.0
        self._on_batch = on_batch
        self._isolate = isolate
        self._queue_limit = queue_limit
        self._pending: deque[_Item] = deque()
        self._runs_of: dict[object, int] = {}  # runs queued per batching key
        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._closing = False
        self._loop_task = asyncio.get_running_loop().create_task(self._loop())

    @property
    def queued(self) -> int:
        return len(self._pending)

    async def submit(self, request: RunRequest) -> Completed:
        """Queue ``request`` and wait for its share of the coalesced run."""
        if self._closing:
            raise BatcherClosed("model version is being replaced or unloaded")
        if self._queue_limit and len(self._pending) >= self._queue_limit:
            raise QueueFull(f"the model's queue holds its limit of {self._queue_limit} requests; retry later")
        loop = asyncio.get_running_loop()
        item = _Item(request, loop.create_future(), loop.time())
        self._pending.append(item)
        self._runs_of[item.key] = self._runs_of.get(item.key, 0) + request.runs
        item.future.add_done_callback(lambda future: self._forget(item) if future.cancelled() else None)
        self._wakeup.set()
        return await item.future

    def _forget(self, item: _Item) -> None:
        if item in self._pending:
            self._pending.remove(item)
            self._count_out(item.key, item.request.runs)

    def _count_out(self, key: object, runs: int) -> None:
        left = self._runs_of[key] - runs
        if left:
            self._runs_of[key] = left
        else:
            del self._runs_of[key]

    async def close(self) -> None:
        """Stop taking requests; finish the queued and running ones."""
        self._closing = True
        self._wakeup.set()
        await self._loop_task
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    # -- the loop -----------------------------------------------------------------------------------
    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._slots.acquire()
            while not self._pending:
                if self._closing:
                    self._slots.release()
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
            first = self._pending[0]
            limit = min(self._max_runs, first.request.batch_runs or self._max_runs)
            if limit > 1 and not first.request.alone:
                deadline = first.enqueued + self._delay
                while self._runs_of[first.key] < limit and not self._closing:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    self._wakeup.clear()
                    try:
                        await asyncio.wait_for(self._wakeup.wait(), remaining)
                    except TimeoutError:
                        break
            items = self._take(first.key, limit)
            task = loop.create_task(self._run(items))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def _take(self, key: object, limit: int) -> list[_Item]:
        """Remove and return the queued items of ``key`` that fit one batch (the first always fits, the
        first that does not fit ends it)."""
        taken: list[_Item] = []
        kept: deque[_Item] = deque()
        total = 0
        taking = True
        for item in self._pending:
            if taking and item.key == key:
                if not taken or total + item.request.runs <= limit:
                    taken.append(item)
                    total += item.request.runs
                    continue
                taking = False
            kept.append(item)
        self._pending = kept
        self._count_out(key, total)
        return taken

    def _batch(self, items: list[_Item]) -> Batch:
        names = sorted({name for item in items for name in item.request.params})
        params = {
            name: np.concatenate([
                item.request.params.get(name, np.full(item.request.runs, self._defaults[name]))
                for item in items
            ])
            for name in names
        }
        outputs = tuple(dict.fromkeys(name for item in items for name in item.request.outputs))
        first = items[0].request
        return Batch(params, sum(i.request.runs for i in items), first.options, outputs, first.deadline_s)

    @staticmethod
    def _watch(items: list[_Item], handle: RunHandle) -> None:
        """Cancel ``handle`` once every request of the run is cancelled."""
        def check(_: asyncio.Future[Completed]) -> None:
            if all(item.future.cancelled() for item in items):
                handle.cancel()

        for item in items:
            item.future.add_done_callback(check)

    async def _run(self, items: list[_Item]) -> None:
        try:
            live = [item for item in items if not item.future.done()]  # drop cancelled requests
            if live:
                await self._serve(live)
        finally:
            self._slots.release()

    async def _serve(self, live: list[_Item]) -> None:
        loop = asyncio.get_running_loop()
        batch = self._batch(live)
        handle = RunHandle()
        self._watch(live, handle)
        started = loop.time()
        wall = time.perf_counter()
        try:
            output = await self._execute(batch, handle)
        except RunCancelled:
            return
        except Exception as exc:
            if len(live) > 1 and self._isolate(exc):  # one request's inputs failed: run each alone
                for item in live:
                    if not item.future.done():
                        await self._serve([item])
                return
            for item in live:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        run_s = time.perf_counter() - wall
        if self._on_batch is not None:
            self._on_batch(len(live), batch.runs, run_s)
        offset = 0
        for item in live:
            n = item.request.runs
            columns = {name: output.data[name][offset:offset + n] for name in item.request.outputs}
            offset += n
            if not item.future.done():
                part = RunOutput(output.time, columns, output.metadata)
                item.future.set_result(Completed(part, started - item.enqueued, run_s, batch.runs, len(live)))
