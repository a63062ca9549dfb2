"""The inference service: repository, instance groups, batchers, cache, async runs, statistics, metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from app.server.batcher import (
    Batch,
    Batcher,
    BatcherClosed,
    Completed,
    QueueFull,
    RunCancelled,
    RunHandle,
    RunOutput,
    RunRequest,
)
from app.server.cache import ResultCache, request_key
from app.server.config import PRIORITIES, ModelConfig, ServerSettings
from app.server.metrics import ServerMetrics
from app.server.modelinfo import ModelInfo, describe
from app.server.protocol import Answer, Parsed, ProtocolError, answer_from, binary_outputs, deadline, to_run_request
from app.server.repository import Group, LoadedVersion, ModelRepository
from app.server.runs import AsyncRun, AsyncRuns, RunFailure
from app.server.stats import Statistics
from app.server.workers import ModelSource, RunFailed, WorkerGroup, WorkerSetup
from importers import supported_extensions
from metamodel.elements import INTEGRATION_METHODS
from metamodel.errors import SalverError

Runner = Callable[[ModelSource, Batch], RunOutput]
Describe = Callable[[str], ModelInfo]


def _caused_by_inputs(error: Exception) -> bool:
    """A run failure that some request's inputs may have caused (worth rerunning each request alone)."""
    if isinstance(error, RunFailed):
        return not error.timed_out
    return isinstance(error, SalverError)


def worker_setup(config: ModelConfig) -> WorkerSetup:
    """The worker processes' settings from a model's config: niceness and onnxruntime options."""
    ort = config.onnxruntime
    cuda = {"device_id": str(ort.device_id), "arena_extend_strategy": ort.arena_extend_strategy}
    if ort.gpu_mem_limit:
        cuda["gpu_mem_limit"] = str(ort.gpu_mem_limit)
    options = tuple((provider, tuple(sorted(cuda.items())))
                    for provider in ("CUDAExecutionProvider", "TensorrtExecutionProvider"))
    return WorkerSetup(PRIORITIES[config.instance_group.priority], ort.providers, options, ort.intra_op_threads)


class InProcessGroup:
    """Runs batches with a function in the calling thread (tests): nothing to kill, so a running run
    cannot be cancelled, only a queued one."""

    def __init__(self, runner: Runner, describe_model: Describe, size: int) -> None:
        self._runner = runner
        self._describe = describe_model
        self.size = size

    async def describe(self, source: ModelSource) -> ModelInfo:
        return await asyncio.to_thread(self._describe, source.path)

    async def run(self, source: ModelSource, batch: Batch, handle: RunHandle | None = None) -> RunOutput:
        if handle is not None and handle.cancelled:
            raise RunCancelled
        return await asyncio.to_thread(self._runner, source, batch)

    async def warm(self, source: ModelSource, batch: Batch) -> None:
        await self.run(source, batch)

    def pids(self) -> list[int]:
        return []

    def close(self) -> None:
        pass


class InferenceService:
    """Answers inference requests for the models of one repository folder.

    Each model version gets its own instance group: worker processes (or, with ``runner``, that function
    in threads) that run its batches. ``describe_model`` replaces the engine's describe (tests).
    """

    def __init__(self, repo_path: str, settings: ServerSettings, *, runner: Runner | None = None,
                 describe_model: Describe | None = None) -> None:
        self.settings = settings
        self._runner = runner
        self._describe = describe_model or describe
        self.repository = ModelRepository(repo_path, settings, loader=self, extensions=supported_extensions())
        self.cache = ResultCache(settings.cache_bytes)
        self.runs = AsyncRuns(settings.async_runs_kept, settings.async_results_bytes)
        self.stats = Statistics()
        self.methods = frozenset(INTEGRATION_METHODS)
        self._providers: dict[str, float] = {}
        self.metrics = ServerMetrics(self)

    def providers(self) -> dict[str, float]:
        return dict(self._providers)

    # -- the repository's loader ----------------------------------------------------------------------
    def make_group(self, name: str, version: str, config: ModelConfig) -> Group:
        size = config.instance_group.count or self.settings.workers
        if self._runner is not None:
            return InProcessGroup(self._runner, self._describe, size)

        def restarted(reason: str) -> None:
            self.metrics.worker_restarts.inc(name, version, reason)

        return WorkerGroup(size, worker_setup(config), on_restart=restarted)

    def make_batcher(self, loaded: LoadedVersion) -> Batcher:
        name, version, group, source = loaded.name, loaded.version, loaded.group, loaded.source

        def on_batch(requests: int, runs: int, seconds: float) -> None:
            self.metrics.batch_requests.observe(requests, name, version)
            self.metrics.batch_runs.observe(runs, name, version)
            self.metrics.run_seconds.observe(seconds, name, version)
            self.stats.executed(name, version, runs, int(seconds * 1e9))

        async def execute(batch: Batch, handle: RunHandle) -> RunOutput:
            output = await group.run(source, batch, handle)
            used = set(output.metadata.get("providers", {}).values())
            if used:
                self._providers = {provider: 1.0 for provider in used}
            return output

        config = loaded.config
        return Batcher(execute, loaded.info.parameters, config.batching, concurrency=group.size,
                       on_batch=on_batch, queue_limit=config.instance_group.queue_limit, isolate=_caused_by_inputs)

    def retired(self, loaded: LoadedVersion) -> None:
        self.cache.drop(loaded.source)

    # -- inference ----------------------------------------------------------------------------------
    async def infer(self, name: str, version: str | None, parsed: Parsed) -> Answer | AsyncRun:
        """The Answer, or the started AsyncRun when the request asks ``{"async": true}``.

        Raises NotFound, Unavailable, ProtocolError (checked before anything runs) or RunFailure.
        """
        loaded = await self.repository.acquire(name, version)
        started = time.perf_counter_ns()
        try:
            wants_async = parsed.parameters.get("async", False)
            if not isinstance(wants_async, bool):
                raise ProtocolError(f"parameter 'async' must be true or false, got {wants_async!r}")
            run_request = to_run_request(parsed, loaded.info, loaded.config, self.methods,
                                         deadline_s=deadline(parsed, loaded.config, wants_async))
            binary = binary_outputs(parsed, loaded.info)
        except BaseException:
            self.repository.release(loaded)
            self.stats.phase(loaded.name, loaded.version, "fail", time.perf_counter_ns() - started)
            raise
        self.stats.phase(loaded.name, loaded.version, "compute_input", time.perf_counter_ns() - started)
        self.metrics.requests.inc(loaded.name, loaded.version)
        work = self._answer(loaded, run_request, parsed.id, binary, started)
        if wants_async:
            return self.runs.start(loaded.name, work)
        return await work

    async def _answer(self, loaded: LoadedVersion, run_request: RunRequest, request_id: str | None,
                      binary: frozenset[str], started: int) -> Answer:
        labels = (loaded.name, loaded.version)
        try:
            cacheable = loaded.config.cache and not loaded.info.stochastic
            key = request_key(loaded.source, run_request) if cacheable else None
            cached = self.cache.get(loaded.source, key) if key else None
            if cached is not None:
                self.metrics.cache_hits.inc(*labels)
                self.stats.phase(*labels, "cache_hit", time.perf_counter_ns() - started)
                answer = dataclasses.replace(cached, id=request_id, binary=binary, parameters={"cached": True})
            else:
                completed = await self._submit(loaded, run_request)
                built = time.perf_counter_ns()
                answer = answer_from(loaded.name, loaded.version, completed.output)
                if key:
                    self.stats.phase(*labels, "cache_miss", time.perf_counter_ns() - started)
                    self.cache.put(loaded.source, key, answer)
                answer = dataclasses.replace(answer, id=request_id, binary=binary, parameters={
                    "cached": False, "batch_runs": completed.batch_runs,
                    "batch_requests": completed.batch_requests})
                self.stats.phase(*labels, "compute_output", time.perf_counter_ns() - built)
            self.stats.succeeded(*labels, run_request.runs, time.perf_counter_ns() - started)
            return answer
        except RunFailure as exc:
            self.metrics.failures.inc(*labels, str(exc.status_code))
            self.stats.phase(*labels, "fail", time.perf_counter_ns() - started)
            raise
        except asyncio.CancelledError:
            self.metrics.cancelled.inc(*labels)
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
        except (ArithmeticError, ValueError) as exc:  # numbers an in-process runner could not take
            raise RunFailure(f"the run failed: {type(exc).__name__}: {exc}", 400) from exc
        except QueueFull as exc:
            raise RunFailure(str(exc), 429, {"Retry-After": "1"}) from exc
        except BatcherClosed as exc:
            raise RunFailure(f"server is shutting down: {exc}", 503) from exc
        self.metrics.queue_seconds.observe(completed.queue_s, loaded.name, loaded.version)
        self.stats.phase(loaded.name, loaded.version, "queue", int(completed.queue_s * 1e9))
        self.stats.phase(loaded.name, loaded.version, "compute_infer", int(completed.run_s * 1e9))
        return completed

    # -- lifecycle ----------------------------------------------------------------------------------
    async def sweep_idle(self) -> None:
        """Unload idle versions (their worker processes stop with them)."""
        self.repository.unload_idle()

    async def close(self) -> None:
        """Graceful shutdown: finish queued and asynchronous runs, then stop the workers."""
        await self.runs.close()
        await self.repository.close()
