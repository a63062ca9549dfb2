"""Dynamic batching: concurrent requests for one model version become one vectorized run.

The parameter arrays of the coalesced requests are concatenated (a request that leaves a parameter
out gets its default), the model runs once with ``runs`` = their total, and the result columns are
split back. Runs go to a thread pool, never onto the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
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
        return int(np.ceil((self.stop - self.start) / self.dt - 1e-9))


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


@dataclass
class RunOutput:
    """Saved times and, per variable, an array of shape ``(times, runs)``."""

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


Execute = Callable[[Batch], RunOutput]
BatchHook = Callable[[int, int, float], None]  # (requests, runs, run seconds)


@dataclass
class _Item:
    request: RunRequest
    future: asyncio.Future[Completed]
    enqueued: float

    @property
    def key(self) -> object:
        if self.request.alone:
            return id(self)
        return (self.request.options, self.request.deadline_s)


class BatcherClosed(RuntimeError):
    """Raised by ``submit`` once the batcher is closing (its model version was replaced or unloaded)."""


class Batcher:
    """Queue of requests for one model version, drained into coalesced runs.

    At most ``concurrency`` runs are in progress at once; while they run, new requests queue and are
    coalesced (up to ``max_batch_size`` runs) when a slot frees. A lone request waits at most
    ``max_queue_delay_ms`` for company. When a coalesced run fails with an error for which
    ``isolate(error)`` is true (a fault caused by some request's inputs), each request is run alone so
    that only the faulty one fails.
    """

    def __init__(self, execute: Execute, defaults: dict[str, float], batching: Batching, *,
                 concurrency: int = 1, executor: Executor | None = None,
                 on_batch: BatchHook | None = None,
                 isolate: Callable[[Exception], bool] = lambda exc: False) -> None:
        self._execute = execute
        self._defaults = defaults
        self._max_runs = batching.max_batch_size
        self._delay = batching.max_queue_delay_ms / 1000.0
        self._executor = executor
        self._on_batch = on_batch
        self._isolate = isolate
        self._pending: deque[_Item] = deque()
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
        loop = asyncio.get_running_loop()
        item = _Item(request, loop.create_future(), loop.time())
        self._pending.append(item)
        self._wakeup.set()
        return await item.future

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
            if self._max_runs > 1 and not first.request.alone:
                deadline = first.enqueued + self._delay
                while self._queued_runs(first.key) < self._max_runs and not self._closing:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    self._wakeup.clear()
                    try:
                        await asyncio.wait_for(self._wakeup.wait(), remaining)
                    except TimeoutError:
                        break
            items = self._take(first.key)
            task = loop.create_task(self._run(items))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def _queued_runs(self, key: object) -> int:
        return sum(item.request.runs for item in self._pending if item.key == key)

    def _take(self, key: object) -> list[_Item]:
        """Remove and return the queued items of ``key`` that fit one batch (the first always fits)."""
        taken: list[_Item] = []
        total = 0
        for item in list(self._pending):
            if item.key != key:
                continue
            if taken and (total + item.request.runs > self._max_runs):
                break
            taken.append(item)
            total += item.request.runs
            self._pending.remove(item)
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
        started = loop.time()
        wall = time.perf_counter()
        try:
            output = await loop.run_in_executor(self._executor, self._execute, batch)
        except Exception as exc:
            if len(live) > 1 and self._isolate(exc):  # one request's inputs failed: run each alone
                for item in live:
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
            columns = {name: output.data[name][:, offset:offset + n] for name in item.request.outputs}
            offset += n
            if not item.future.done():
                part = RunOutput(output.time, columns, output.metadata)
                item.future.set_result(Completed(part, started - item.enqueued, run_s, batch.runs, len(live)))
