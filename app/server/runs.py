"""Asynchronous runs: a request accepted with 202 and a run id, its outcome fetched later by polling.

Finished runs are kept up to a count and a total of result bytes (the oldest finished go first); a run
can be cancelled (``DELETE /v2/runs/{id}``), which stops its simulation if no one else waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from app.server.protocol import Answer


@dataclass
class AsyncRun:
    """State of one asynchronous run: ``running``, ``completed`` (with ``result``), ``failed`` or
    ``cancelled``."""

    id: str
    model: str
    status: str = "running"
    result: Answer | None = None
    error: str | None = None
    status_code: int | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def nbytes(self) -> int:
        return self.result.nbytes if self.result is not None else 0

    def head(self) -> dict[str, Any]:
        """The run's JSON without its result."""
        body: dict[str, Any] = {"id": self.id, "model_name": self.model, "status": self.status}
        if self.error is not None:
            body["error"] = self.error
        return body


class RunFailure(Exception):
    """How a run failed: the message and the HTTP status a synchronous call would have had."""

    def __init__(self, message: str, status_code: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers or {}


class AsyncRuns:
    """The asynchronous runs of a server, bounded by ``keep`` finished runs and ``max_bytes`` of results."""

    def __init__(self, keep: int, max_bytes: int) -> None:
        self._keep = keep
        self.max_bytes = max_bytes
        self._runs: OrderedDict[str, AsyncRun] = OrderedDict()
        self.nbytes = 0

    def start(self, model: str, work: Awaitable[Answer]) -> AsyncRun:
        """Begin ``work`` (which returns the Answer or raises RunFailure) as a new run."""
        run = AsyncRun(uuid.uuid4().hex, model)
        self._runs[run.id] = run
        run.task = asyncio.get_running_loop().create_task(self._finish(run, work))
        self._forget_old()
        return run

    def get(self, run_id: str) -> AsyncRun | None:
        return self._runs.get(run_id)

    def running(self) -> int:
        return sum(1 for r in self._runs.values() if r.status == "running")

    async def _finish(self, run: AsyncRun, work: Awaitable[Answer]) -> None:
        try:
            result = await work
            if result.nbytes > self.max_bytes:
                run.status, run.status_code = "failed", 400
                run.error = (f"the result of {result.nbytes} bytes is over the {self.max_bytes} bytes kept for "
                             "asynchronous results; ask for fewer outputs or runs, or a longer save_per")
            else:
                run.result, run.status = result, "completed"
                self.nbytes += result.nbytes
        except RunFailure as exc:
            run.status, run.error, run.status_code = "failed", str(exc), exc.status_code
        except asyncio.CancelledError:
            run.status = "cancelled"
        finally:
            run.task = None
        self._forget_old()

    async def cancel(self, run_id: str) -> AsyncRun | None:
        """Cancel a running run (its simulation stops), or forget a finished one; None if unknown."""
        run = self._runs.get(run_id)
        if run is None:
            return None
        task = run.task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            self._drop(run_id)
        return run

    def _drop(self, run_id: str) -> None:
        run = self._runs.pop(run_id)
        self.nbytes -= run.nbytes

    def _forget_old(self) -> None:
        finished = [r.id for r in self._runs.values() if r.status != "running"]
        excess = max(0, len(self._runs) - self._keep)
        for run_id in finished:
            if excess <= 0 and self.nbytes <= self.max_bytes:
                break
            self._drop(run_id)
            excess -= 1

    async def close(self) -> None:
        """Wait for the runs in progress (graceful shutdown)."""
        tasks = [r.task for r in self._runs.values() if r.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
