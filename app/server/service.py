"""The inference service: repository, batchers, worker processes, cache, async runs and metrics together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.server.batcher import Batch, Batcher, BatcherClosed, Completed, RunOutput, RunRequest
from app.server.cache import ResultCache, request_key
from app.server.config import ModelConfig, ServerSettings
from app.server.metrics import ServerMetrics
from app.server.modelinfo import ModelInfo, describe
from app.server.protocol import InferRequest, ProtocolError, infer_response, to_run_request
from app.server.repository import Describe, LoadedVersion, ModelRepository
from app.server.runs import AsyncRun, AsyncRuns, RunFailure
from app.server.workers import ModelSource, RunFailed, WorkerPool
from importers import supported_extensions
from metamodel.elements import INTEGRATION_METHODS
from metamodel.errors import SalverError

Runner = Callable[[ModelSource, Batch], RunOutput]


def _caused_by_inputs(error: Exception) -> bool:
    """A run failure that some request's inputs caused (worth rerunning the batch's requests alone)."""
    if isinstance(error, RunFailed):
        return error.client_error and not error.timed_out
    return isinstance(error, SalverError)


class InferenceService:
    """Answers inference requests for the models of one repository folder.

    ``runner`` executes one batch (default: a pool of worker processes that enforces the run time
    limit); ``describe`` loads a model file into its ModelInfo (default: compile it with the engine).
    """

    def __init__(self, repo_path: str, settings: ServerSettings, *, runner: Runner | None = None,
                 describe_model: Describe | None = None) -> None:
        self.settings = settings
        self.pool = WorkerPool(settings.workers) if runner is None else None
        self._runner = runner
        self._executor: ThreadPoolExecutor | None = None
        self.repository = ModelRepository(repo_path, settings, describe=describe_model or describe,
                                          make_batcher=self._make_batcher, extensions=supported_extensions())
        self.cache = ResultCache(settings.cache_entries)
        self.runs = AsyncRuns(settings.async_runs_kept)
        self.methods = frozenset(INTEGRATION_METHODS)
        self._providers: dict[str, float] = {}
        self.metrics = ServerMetrics(self._loaded_gauge, lambda: {(p,): v for p, v in self._providers.items()})

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The threads that wait on runs (created on first use, again after a shutdown)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=4 * self.settings.workers + 4,
                                                thread_name_prefix="salver-run")
        return self._executor

    def _loaded_gauge(self) -> dict[tuple[str, ...], float]:
        return {(v.name, v.version): 1.0 for v in self.repository.loaded_versions()}

    # -- running batches ----------------------------------------------------------------------------
    def _run(self, source: ModelSource, batch: Batch) -> RunOutput:
        """Execute one batch in this thread (called from the run executor)."""
        if self._runner is not None:
            output = self._runner(source, batch)
        else:
            assert self.pool is not None
            output = self.pool.run(source, self.repository.live_keys(), batch)
        used = set(output.metadata.get("providers", {}).values())
        if used:
            self._providers = {provider: 1.0 for provider in used}
        return output

    def _make_batcher(self, name: str, version: str, source: ModelSource, config: ModelConfig,
                      info: ModelInfo) -> Batcher:
        def on_batch(requests: int, runs: int, seconds: float) -> None:
            self.metrics.batch_requests.observe(requests, name, version)
            self.metrics.batch_runs.observe(runs, name, version)
            self.metrics.run_seconds.observe(seconds, name, version)

        return Batcher(lambda batch: self._run(source, batch), info.parameters, config.batching,
                       concurrency=config.batching.instances or self.settings.workers,
                       executor=self.executor, on_batch=on_batch,
                       isolate=_caused_by_inputs)

    # -- inference ----------------------------------------------------------------------------------
    async def infer(self, name: str, version: str | None, request: InferRequest) -> dict[str, Any] | AsyncRun:
        """The response body, or the started AsyncRun when the request asks ``{"async": true}``.

        Raises NotFound, Unavailable, ProtocolError (checked before anything runs) or RunFailure.
        """
        loaded = await self.repository.acquire(name, version)
        try:
            parameters = request.parameters or {}
            wants_async = parameters.get("async", False)
            if not isinstance(wants_async, bool):
                raise ProtocolError(f"parameter 'async' must be true or false, got {wants_async!r}")
            limits = loaded.config.limits
            deadline = limits.max_async_run_seconds if wants_async else limits.max_run_seconds
            run_request = to_run_request(request, loaded.info, loaded.config, self.methods, deadline_s=deadline)
        except BaseException:
            self.repository.release(loaded)
            raise
        self.metrics.requests.inc(loaded.name, loaded.version)
        work = self._answer(loaded, run_request, request.id)
        if wants_async:
            return self.runs.start(loaded.name, work)
        return await work

    async def _answer(self, loaded: LoadedVersion, run_request: RunRequest, request_id: str | None) -> dict[str, Any]:
        labels = (loaded.name, loaded.version)
        try:
            cacheable = loaded.config.cache and not loaded.info.stochastic
            key = request_key(loaded.source, run_request) if cacheable else None
            body = self.cache.get(key) if key else None
            if body is not None:
                self.metrics.cache_hits.inc(*labels)
                return self._with_request(body, request_id, {"cached": True})
            completed = await self._submit(loaded, run_request)
            body = infer_response(loaded.name, loaded.version, completed.output, run_request.runs)
            if key:
                self.cache.put(key, body)
            return self._with_request(body, request_id, {"cached": False, "batch_runs": completed.batch_runs,
                                                         "batch_requests": completed.batch_requests})
        except RunFailure as exc:
            self.metrics.failures.inc(*labels, str(exc.status_code))
            raise
        finally:
            self.repository.release(loaded)

    async def _submit(self, loaded: LoadedVersion, run_request: RunRequest) -> Completed:
        try:
            completed = await loaded.batcher.submit(run_request)
        except RunFailed as exc:
            raise RunFailure(str(exc), 400 if exc.client_error else 500) from exc
        except SalverError as exc:  # raised by an in-process runner
            raise RunFailure(str(exc), 400) from exc
        except BatcherClosed as exc:
            raise RunFailure(f"server is shutting down: {exc}", 503) from exc
        self.metrics.queue_seconds.observe(completed.queue_s, loaded.name, loaded.version)
        return completed

    @staticmethod
    def _with_request(body: dict[str, Any], request_id: str | None, parameters: dict[str, Any]) -> dict[str, Any]:
        answer = {**body, "parameters": parameters}
        if request_id is not None:
            answer["id"] = request_id
        return answer

    # -- lifecycle ----------------------------------------------------------------------------------
    async def sweep_idle(self) -> None:
        """Unload idle versions; with none left loaded, stop the idle worker processes too."""
        self.repository.unload_idle()
        if self.pool is not None and not self.repository.loaded_versions():
            await asyncio.get_running_loop().run_in_executor(self.executor, self.pool.trim)

    async def close(self) -> None:
        """Graceful shutdown: finish queued and asynchronous runs, then stop the workers."""
        await self.runs.close()
        await self.repository.close()
        if self.pool is not None:
            await asyncio.get_running_loop().run_in_executor(self.executor, self.pool.close)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
