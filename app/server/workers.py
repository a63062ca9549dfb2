"""Simulation worker processes: each model version has its own group of them (its instance group).

Runs execute in a child process that is killed at its deadline or when every request of the run was
cancelled: numpy and C code cannot be interrupted inside a call, so killing the process is the sure way
to stop it. A worker that dies of anything else is replaced and the run is tried once more. Each worker
compiles its model version once, with its C program where C can compute it (every fixed-step batch then
runs on it); the first describes it to the server (parameters, variables, sim specs). The server waits
for replies on its event loop (the pipe's descriptor), so a batch costs no thread switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from app.server.batcher import Batch, RunCancelled, RunHandle, RunOutput
from app.server.modelinfo import ModelInfo

log = logging.getLogger("salver.server")
_READY = "ready"
_START_TIMEOUT_S = 120.0
DESCRIBE_TIMEOUT_S = 300.0


class RunFailed(Exception):
    """A run that produced no result; ``client_error`` is True when the request caused it, ``kind`` is
    the engine's error class for faults of the model or its inputs."""

    def __init__(self, message: str, *, client_error: bool, timed_out: bool = False, kind: str = "") -> None:
        super().__init__(message)
        self.client_error = client_error
        self.timed_out = timed_out
        self.kind = kind


@dataclass(frozen=True)
class ModelSource:
    """A model version's file, the files its content is (the version folder's, config.json, its
    networks) and their digest when it was loaded."""

    path: str
    digest: str
    files: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.path}@{self.digest}"


def content_digest(files: list[Path]) -> str:
    """sha256 over the files' names and bytes (a missing file counts as absent)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path).encode() + b"\0")
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        except OSError:
            digest.update(b"\xffmissing")
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Prepared:
    """A compiled model version and whether its runs take its C program (``native_ready``)."""

    model: Any
    native_ready: bool


def compiled_model(cache: dict[str, Any], source: ModelSource) -> Prepared:
    """The compiled model of ``source``, compiled once into ``cache`` from files that still hold the
    content it was loaded with (ModelError otherwise: the version on disk is another one now)."""
    import solvers
    from metamodel.errors import ModelError

    prepared = cache.get(source.key)
    if prepared is None:
        if source.files and content_digest([Path(f) for f in source.files]) != source.digest:
            raise ModelError(f"the files of {Path(source.path).name} changed since the model was loaded; "
                             "load it again")
        compiled = solvers.load(source.path)
        prepared = cache[source.key] = Prepared(compiled, _native_ready(compiled))
    return prepared


def _native_ready(compiled: Any) -> bool:
    """Whether the model's C program runs it: a served model runs many times, so its program is built
    (about 0.2 s, once per machine: builds are cached) when the worker compiles the model, and every
    fixed-step batch, of one run or hundreds, takes it. Its numbers are those of the Python backends
    (IEEE arithmetic without contraction); a batch of 64 SIR runs takes 0.5 ms in C, 2.7 ms in numpy.
    False where C cannot compute the model (random numbers, neural or FMU components) or no compiler
    builds it: the engine chooses as it does for any run."""
    from metamodel.errors import SalverError
    from solvers import native

    if compiled.neural or compiled.fmus:
        return False
    try:
        native.library(compiled.programs.native())
    except (SalverError, OSError):  # what C cannot compute, no compiler, an unwritable build cache
        return False
    return True


@dataclass(frozen=True)
class WorkerSetup:
    """How a model's worker processes run: niceness added, onnxruntime providers and session settings."""

    nice: int = 0
    providers: tuple[str, ...] = ()
    provider_options: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    intra_op_threads: int = 0


def run_batch(cache: dict[str, Any], source: ModelSource, batch: Batch,
              providers: tuple[str, ...] = ()) -> RunOutput:
    """Run ``batch`` with the engine in this process, compiling ``source`` once into ``cache``."""
    from solvers.native import METHODS

    prepared = compiled_model(cache, source)
    options = batch.options
    backend = "native" if prepared.native_ready and options.method in METHODS else "auto"
    results = prepared.model.run(batch.params or None, runs=batch.runs, method=options.method, start=options.start,
                                 stop=options.stop, dt=options.dt, save_per=options.save_per, seed=options.seed,
                                 providers=list(providers) or None, backend=backend)
    data = {name: np.ascontiguousarray(results[name].T) for name in batch.outputs}
    providers_used = {str(k): str(v) for k, v in (results.metadata.get("providers") or {}).items()}
    return RunOutput(np.asarray(results.time, dtype=float), data,
                     {"providers": providers_used, "backend": results.metadata["backend"]})


def _describe(cache: dict[str, Any], source: ModelSource) -> ModelInfo:
    from app.server.modelinfo import describe_compiled

    return describe_compiled(compiled_model(cache, source).model)


LARGE_REPLY = 1 << 20  # replies larger than this are sent out of band and read in a thread, not on the loop


def _worker_main(conn: Connection, setup: WorkerSetup) -> None:
    """Child process: receive (task, source, argument); reply with a small header, ("ok", sizes) or
    ("error", kind, message), and after an "ok" one message per size: the pickled value, then, for a
    large value, its arrays' buffers (pickled out of band: the server reads them without unpickling them)."""
    import pickle
    import warnings

    import solvers  # noqa: F401  (imported before reporting ready, so the first deadline is the run's)
    from metamodel.errors import SalverError
    from solvers.neural import SessionSettings, configure_sessions

    if setup.nice:
        with contextlib.suppress(OSError):
            os.nice(setup.nice)
    configure_sessions(SessionSettings(setup.provider_options, setup.intra_op_threads))
    warnings.simplefilter("ignore")  # the server reports what matters in its answers, not on stderr
    cache: dict[str, Any] = {}
    conn.send(_READY)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, source, argument = message
        for key in [k for k in cache if k != source.key]:
            del cache[key]
        try:
            value = _describe(cache, source) if task == "describe" else run_batch(cache, source, argument,
                                                                                   setup.providers)
            buffers: list[pickle.PickleBuffer] = []
            payload = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
            parts = [payload, *(b.raw() for b in buffers)]
            if sum(part.nbytes for part in parts[1:]) <= LARGE_REPLY:  # small: one message costs less
                parts = [pickle.dumps(value, protocol=5)]
        except SalverError as exc:  # a fault of the model or of the run's inputs: the client's error
            conn.send(("error", type(exc).__name__, str(exc)))
        except (ArithmeticError, ValueError, MemoryError) as exc:  # numbers the engine could not take
            conn.send(("error", "SimulationError", f"the run failed: {type(exc).__name__}: {exc}"))
        except Exception as exc:  # reported to the server, which answers 500 and keeps serving
            conn.send(("error", "internal", f"{type(exc).__name__}: {exc}"))
        else:
            conn.send(("ok", [len(part) for part in parts]))
            for part in parts:
                conn.send_bytes(part)


class _Died(Exception):
    pass


class _TimedOut(Exception):
    pass




def _unpickle(conn: Connection, sizes: list[int]) -> Any:
    """A reply's value from its messages: the pickle, then its buffers, read into writable memory."""
    import pickle

    payload = conn.recv_bytes()
    buffers = []
    for size in sizes[1:]:
        buffer = bytearray(size)
        conn.recv_bytes_into(buffer)
        buffers.append(buffer)
    return pickle.loads(payload, buffers=buffers)


class _Worker:
    def __init__(self, context: Any, setup: WorkerSetup) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, setup), daemon=True, name="salver-worker")
        self.process.start()
        child.close()
        try:
            started = self.conn.poll(_START_TIMEOUT_S) and self.conn.recv() == _READY
        except (EOFError, OSError):
            started = False
        if not started:
            self.kill()
            raise RunFailed(f"a simulation worker process did not start (exit code {self.process.exitcode})",
                            client_error=False)

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    async def call(self, message: tuple[str, ModelSource, Any], timeout: float) -> tuple[Any, ...]:
        """Send ``message`` and wait on the event loop (no thread) for the reply, at most ``timeout`` s."""
        loop = asyncio.get_running_loop()
        try:
            self.conn.send(message)
            readable = loop.create_future()
            fd = self.conn.fileno()
            loop.add_reader(fd, lambda: readable.done() or readable.set_result(None))
            try:
                await asyncio.wait_for(readable, timeout)
            except TimeoutError:
                raise _TimedOut from None
            finally:
                loop.remove_reader(fd)
                os.set_blocking(fd, True)  # uvloop's readers make the descriptor non-blocking
            header = self.conn.recv()
            if header[0] != "ok":
                return header
            if sum(header[1]) <= LARGE_REPLY:
                return "ok", _unpickle(self.conn, header[1])
            return "ok", await loop.run_in_executor(None, _unpickle, self.conn, header[1])
        except (EOFError, OSError) as exc:
            raise _Died(str(exc) or type(exc).__name__) from exc

    def signal_kill(self) -> None:
        """Kill the process now without waiting for it (safe to call from the event loop)."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.process.kill()

    def kill(self) -> None:
        self.signal_kill()
        self.process.join(5)
        with contextlib.suppress(OSError):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.kill()


def _reply(reply: tuple[Any, ...]) -> Any:
    if reply[0] == "ok":
        return reply[1]
    _, kind, message = reply
    if kind == "internal":
        raise RunFailed(f"internal error: {message}", client_error=False)
    raise RunFailed(message, client_error=True, kind=kind)


class WorkerGroup:
    """Up to ``size`` worker processes of one model version, started on demand (in a thread: a start
    takes a second), each spoken to from the event loop. A worker that dies (noticed at once, idle or
    busy), times out or is cancelled is replaced straight away by a spare that compiles the model it
    served, so the next request does not wait for a process to start.

    ``on_restart(reason)`` is told when a worker is replaced (``died``, ``timeout`` or ``cancelled``).
    """

    def __init__(self, size: int, setup: WorkerSetup | None = None,
                 on_restart: Callable[[str], None] | None = None) -> None:
        self.size = size
        self._setup = setup or WorkerSetup()
        self._on_restart = on_restart
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._count = 0
        self._returned: asyncio.Event | None = None
        self._source: ModelSource | None = None  # what the group serves: the model a spare compiles
        self._spares: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the workers are watched on
        self._closed = False

    def pids(self) -> list[int]:
        """Process ids of the workers alive now."""
        return sorted(w.pid for w in self._all)

    async def _acquire(self) -> _Worker:
        while True:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                await self._discard(worker, "died")  # killed while idle: start another
            if self._count < self.size:
                break
            self._returned = self._returned or asyncio.Event()
            self._returned.clear()
            await self._returned.wait()
        self._count += 1
        try:
            worker = await asyncio.get_running_loop().run_in_executor(None, _Worker, self._context, self._setup)
        except BaseException:
            self._count -= 1
            raise
        self._add(worker)
        return worker

    def _add(self, worker: _Worker) -> None:
        """Count ``worker`` in, and watch its process: one that dies idle is replaced at once."""
        loop = asyncio.get_running_loop()
        sentinel = worker.process.sentinel

        def ended() -> None:
            loop.remove_reader(sentinel)
            if worker in self._idle and not self._closed:  # a busy one is discarded by its call
                self._idle.remove(worker)
                self._keep(loop.create_task(self._discard(worker, "died")))

        self._loop = loop
        self._all.add(worker)
        loop.add_reader(sentinel, ended)

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._spares.add(task)
        task.add_done_callback(self._spares.discard)

    def _wake(self) -> None:
        if self._returned is not None:
            self._returned.set()

    async def _spare(self) -> None:
        """Start a worker (counted already) and compile the group's model in it, then offer it."""
        loop = asyncio.get_running_loop()
        starting = loop.run_in_executor(None, _Worker, self._context, self._setup)
        try:
            worker = await asyncio.shield(starting)
        except asyncio.CancelledError:  # the group closed: stop the process once it is there
            starting.add_done_callback(lambda f: f.cancelled() or f.exception() or f.result().signal_kill())
            raise
        except Exception as exc:
            self._count -= 1
            self._wake()
            log.warning("a spare worker did not start", extra={"error": str(exc)})
            return
        self._add(worker)
        try:
            if self._source is not None:
                await worker.call(("describe", self._source, None), DESCRIBE_TIMEOUT_S)
        except asyncio.CancelledError:
            self._drop(worker)
            raise
        except (_Died, _TimedOut):  # the next request starts one on demand
            self._drop(worker)
            return
        if self._closed:
            self._drop(worker)
            return
        self._release(worker)

    def _drop(self, worker: _Worker) -> None:
        """Kill a spare that is not to serve (no restart counted: it never served)."""
        asyncio.get_running_loop().remove_reader(worker.process.sentinel)
        worker.signal_kill()
        self._all.discard(worker)
        self._count -= 1
        self._wake()

    def _release(self, worker: _Worker) -> None:
        self._idle.append(worker)
        self._wake()

    async def _discard(self, worker: _Worker, reason: str) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(worker.process.sentinel)
        await loop.run_in_executor(None, worker.kill)
        self._count -= 1
        self._all.discard(worker)
        if not self._closed:
            self._count += 1
            self._keep(loop.create_task(self._spare()))
        self._wake()
        if self._on_restart is not None:
            self._on_restart(reason)

    async def describe(self, source: ModelSource) -> ModelInfo:
        """Compile ``source`` in a worker (which keeps it) and describe it; RunFailed if it cannot load."""
        info: ModelInfo = await self._call(("describe", source, None), DESCRIBE_TIMEOUT_S, None,
                                           "loading the model", "load time limit")
        return info

    async def run(self, source: ModelSource, batch: Batch, handle: RunHandle | None = None) -> RunOutput:
        """Run ``batch``; kill the worker at ``batch.deadline_s`` or when ``handle`` is cancelled."""
        output: RunOutput = await self._call(("run", source, batch), batch.deadline_s, handle,
                                             f"{batch.runs} runs, {batch.options.steps} steps", "run time limit")
        return output

    async def warm(self, source: ModelSource, batch: Batch) -> None:
        """Start every worker of the group and run ``batch`` in each (compiling the model there)."""
        workers = await asyncio.gather(*(self._acquire() for _ in range(self.size - len(self._idle))))
        for worker in workers:
            self._release(worker)
        await asyncio.gather(*(self.run(source, batch) for _ in range(self.size)))

    async def _call(self, message: tuple[str, ModelSource, Any], timeout: float, handle: RunHandle | None,
                    what: str, limit: str) -> Any:
        self._source = message[1]
        for attempt in (1, 2):
            worker = await self._acquire()
            if handle is not None and not handle.attach(worker.signal_kill):
                self._release(worker)
                raise RunCancelled
            try:
                reply = await worker.call(message, timeout)
            except _TimedOut:
                await self._discard(worker, "timeout")
                raise RunFailed(f"run stopped: it exceeded the {limit} of {timeout:g} s ({what})",
                                client_error=True, timed_out=True) from None
            except _Died as exc:
                cancelled = handle is not None and handle.cancelled
                await self._discard(worker, "cancelled" if cancelled else "died")
                if cancelled:
                    raise RunCancelled from None
                if attempt == 2:
                    raise RunFailed(f"the simulation worker process died twice ({what}): {exc}",
                                    client_error=False) from None
                log.warning("worker died; retrying on a new one", extra={"error": str(exc)})
                continue
            except asyncio.CancelledError:  # the waiting request went away mid-reply: the worker is unusable
                await asyncio.shield(self._discard(worker, "cancelled"))
                raise
            finally:
                if handle is not None:
                    handle.detach()
            self._release(worker)
            return _reply(reply)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop every worker; called once the model's batcher has drained (in a thread: stopping waits)."""
        self._closed = True
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop has nothing left to stop
                for task in list(self._spares):
                    self._loop.call_soon_threadsafe(task.cancel)
                for worker in list(self._all):
                    self._loop.call_soon_threadsafe(self._loop.remove_reader, worker.process.sentinel)
        for worker in self._idle:
            worker.stop()
        for worker in self._all - set(self._idle):  # only after a drain that gave up: leave no process behind
            worker.signal_kill()
        self._idle.clear()
        self._all.clear()
        self._count = 0
