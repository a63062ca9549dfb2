"""Running a study's chunks on Dask: a LocalCluster of ``workers`` processes, or an existing scheduler.

Each task is one chunk (a vectorized run of many runs), never one run. The model goes to every worker
once (scattered); a worker compiles it once and keeps it for later chunks and studies. Chunks come
back in order, with a bounded number in flight, so the client writes the same Parquet file in the same
order as a run in this process, and memory holds a few chunks at most.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.analysis.chunks import Chunk, LocalExecutor, run_chunk
from solvers.analysis.parameters import RequestError
from solvers.results import Results

if TYPE_CHECKING:
    from metamodel.model import Model
    from solvers.model_run import CompiledModel

CONNECT_TIMEOUT = "20s"
_compiled: dict[str, CompiledModel] = {}  # on a worker: model digest -> compiled model (the latest few)
_KEPT_MODELS = 8
_lock = threading.Lock()


@contextlib.contextmanager
def open_executor(compiled: CompiledModel, workers: int | None = None,
                  scheduler: Any = None) -> Iterator[LocalExecutor | DaskExecutor]:  # noqa: ANN401
    """An executor for ``compiled``: in this process, on a new LocalCluster of ``workers`` processes, or
    on ``scheduler`` (an address such as ``tcp://host:8786``, or a ``distributed.Client``)."""
    if workers is not None and scheduler is not None:
        raise RequestError("give a number of workers or a scheduler address, not both")
    if workers is None and scheduler is None:
        yield LocalExecutor(compiled)
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if isinstance(scheduler, Client):
            client = scheduler
        elif scheduler is not None:
            client = stack.enter_context(_connect(Client, str(scheduler)))
        else:
            if not isinstance(workers, int) or workers < 1:
                raise RequestError(f"workers must be a positive whole number, got {workers!r}")
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       host="127.0.0.1", dashboard_address=None,
                                                       silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        yield DaskExecutor(client, compiled)


def _connect(client_type: Callable[..., Any], address: str) -> Any:  # noqa: ANN401 - a distributed.Client
    try:
        return client_type(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RequestError(f"cannot reach the Dask scheduler at '{address}': {exc}") from None


class DaskExecutor:
    """Runs chunks as Dask tasks and yields their results in chunk order."""

    def __init__(self, client: Any, compiled: CompiledModel) -> None:  # noqa: ANN401 - a distributed.Client
        self.client = client
        self.compiled = compiled

    def map(self, chunks: Iterable[Chunk], options: Mapping[str, Any],
            progress: Callable[[Chunk, float], None] | None = None,
            variables: Sequence[str] | None = None) -> Iterator[Results]:
        """The results of each chunk, in order; only ``variables`` (default all) travel back."""
        model = self.compiled.model
        digest = hashlib.sha256(pickle.dumps(model)).hexdigest()
        # a key of its own (not one hashed from the content): when an earlier study of the same model releases
        # its copy, this study's copy must stay
        [shared] = self.client.scatter([model], broadcast=True, hash=False)
        window = 2 * max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))
        pending: deque[Any] = deque()
        todo = iter(chunks)
        try:
            for chunk in todo:
                pending.append(self.client.submit(_run_remote, shared, digest, chunk, dict(options), variables,
                                                  pure=False))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _run_remote(model: Model, digest: str, chunk: Chunk, options: dict[str, Any],
                variables: Sequence[str] | None) -> Results:
    """On a worker: compile the model once per process, run the chunk, keep ``variables``."""
    with _lock:
        compiled = _compiled.get(digest)
        if compiled is None:
            import solvers

            compiled = _compiled[digest] = solvers.compile(model)
            while len(_compiled) > _KEPT_MODELS:
                del _compiled[next(iter(_compiled))]
    results = run_chunk(compiled, chunk, options)
    if variables is None:
        return results
    return Results(results.time, {v: np.ascontiguousarray(results[v]) for v in variables}, results.runs)
