"""Asynchronous runs: a request accepted with 202 and a run id, its outcome fetched later by polling."""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AsyncRun:
    """State of one asynchronous run: ``running``, ``completed`` (with ``result``) or ``failed``."""

    id: str
    model: str
    status: str = "running"
    result: dict[str, Any] | None = None
    error: str | None = None
    status_code: int | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "model_name": self.model, "status": self.status}
        if self.result is not None:
            body["result"] = self.result
        if self.error is not None:
            body["error"] = self.error
        return body


class RunFailure(Exception):
    """How an asynchronous run failed: the message and the HTTP status a synchronous call would have had."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class AsyncRuns:
    """The asynchronous runs of a server; the oldest finished ones are forgotten beyond ``keep``."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._runs: OrderedDict[str, AsyncRun] = OrderedDict()

    def start(self, model: str, work: Awaitable[dict[str, Any]]) -> AsyncRun:
        """Begin ``work`` (which returns the response body or raises RunFailure) as a new run."""
        run = AsyncRun(uuid.uuid4().hex, model)
        self._runs[run.id] = run
        run.task = asyncio.get_running_loop().create_task(self._finish(run, work))
        self._forget_old()
        return run

    def get(self, run_id: str) -> AsyncRun | None:
        return self._runs.get(run_id)

    async def _finish(self, run: AsyncRun, work: Awaitable[dict[str, Any]]) -> None:
        try:
            run.result = await work
            run.status = "completed"
        except RunFailure as exc:
            run.status, run.error, run.status_code = "failed", str(exc), exc.status_code
        run.task = None

    def _forget_old(self) -> None:
        finished = [r.id for r in self._runs.values() if r.status != "running"]
        for run_id in finished[: max(0, len(self._runs) - self._keep)]:
            del self._runs[run_id]

    async def close(self) -> None:
        """Wait for the runs in progress (graceful shutdown)."""
        tasks = [r.task for r in self._runs.values() if r.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
