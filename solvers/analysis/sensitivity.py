"""Sensitivity runs (Monte Carlo): sample the parameters, run the design in chunks, keep or stream the runs.

``sensitivity(compiled, {"Contact Rate": "uniform(2, 6)"}, runs=1000)`` draws the design, runs it in
vectorized chunks (in this process, or on Dask with ``workers=``/``scheduler=``) and returns a
``SensitivityStudy``: the sampled parameters of every run, per-time summaries and confidence bands.
With ``out="runs.parquet"`` the runs stream to Parquet chunk by chunk and memory holds one chunk;
without it they are kept in memory, which is refused beyond ``MEMORY_LIMIT`` bytes.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.analysis import chunks as chunking
from solvers.analysis.chunks import Chunk, Progress
from solvers.analysis.distributions import Distribution
from solvers.analysis.parameters import RequestError, keyed, resolve_variable
from solvers.analysis.sampling import Design, sample
from solvers.analysis.statistics import BAND_PERCENTILES, Summary, summarize
from solvers.results import Results

if TYPE_CHECKING:
    from solvers.model_run import CompiledModel
    from solvers.output.parquet import RunTable

MEMORY_LIMIT = 1 << 30  # runs kept in memory when no output file is given
Consumer = Callable[[Results, Chunk], None]


class MemoryRuns:
    """Keeps every chunk's results (the in-memory store of a study without an output file)."""

    def __init__(self, variables: Sequence[str]) -> None:
        self.variables = list(variables)
        self.chunks: list[Results] = []

    def __call__(self, results: Results, chunk: Chunk) -> None:
        self.chunks.append(Results(results.time, {v: results[v] for v in self.variables}, results.runs))

    def column(self, variable: str) -> np.ndarray:
        """``(times, runs)`` values of every run."""
        return np.concatenate([c[variable] for c in self.chunks], axis=1)


@dataclass
class SensitivityStudy:
    """The outcome of a sensitivity study: its design, saved times, variables and where the runs are."""

    design: Design
    time: np.ndarray
    variables: list[str]
    path: Path | None = None
    seconds: float = 0.0
    memory: MemoryRuns | None = field(default=None, repr=False)

    @property
    def runs(self) -> int:
        return self.design.runs

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        """Parameter name -> the value each run used."""
        return self.design.params()

    def table(self) -> RunTable:
        """The Parquet table of runs (studies run with ``out=``)."""
        from solvers.output.parquet import RunTable

        if self.path is None:
            raise RequestError("this study kept its runs in memory; run it with out='….parquet' for a table")
        return RunTable(self.path)

    def summary(self, variable: str, percentiles: Sequence[float] = BAND_PERCENTILES,
                memory: int = 256 << 20) -> Summary:
        """Mean, standard deviation and percentiles of ``variable`` over the runs at each saved time."""
        name = self._variable(variable)
        if self.memory is not None:
            blocks: Any = [(slice(None), self.memory.column(name))]
        else:
            blocks = self.table().time_blocks(name, memory)
        return summarize(name, self.time, blocks, percentiles)

    def results(self, variables: Sequence[str] | None = None) -> Results:
        """All runs as one ``Results`` (``variables`` default to all kept), for studies that fit in memory."""
        names = [self._variable(v) for v in variables] if variables else self.variables
        if self.memory is None:
            return self.table().results(names)
        return Results(self.time, {n: self.memory.column(n) for n in names}, self.runs,
                       {"design": self.design.describe()})

    def _variable(self, name: str) -> str:
        from metamodel.names import canonical

        for variable in self.variables:
            if canonical(variable) == canonical(name):
                return variable
        raise RequestError(f"'{name}' was not kept by this study; it kept {', '.join(self.variables)}")


def sensitivity(compiled: CompiledModel, vary: Mapping[str, str | Distribution], runs: int = 100,
                sampling: str = "lhs", seed: int | None = None, out: str | os.PathLike[str] | None = None,
                variables: Sequence[str] | None = None, workers: int | None = None, scheduler: str | None = None,
                chunk_runs: int | None = None, progress: Progress | None = None,
                **options: Any) -> SensitivityStudy:
    """Sample ``vary`` (parameter -> distribution text) ``runs`` times and run every sample.

    ``options`` are ``CompiledModel.run`` keywords (method, stop, dt, …). ``progress`` gets the
    fraction done; an exception raised from it stops the study and leaves no output file.
    """
    design = sample(keyed(vary, compiled), runs, sampling, seed)  # type: ignore[arg-type]
    return run_design(compiled, design, out=out, variables=variables, workers=workers, scheduler=scheduler,
                      chunk_runs=chunk_runs, progress=progress, **options)


def run_design(compiled: CompiledModel, design: Design, out: str | os.PathLike[str] | None = None,
               variables: Sequence[str] | None = None, workers: int | None = None, scheduler: str | None = None,
               chunk_runs: int | None = None, progress: Progress | None = None,
               consumers: Sequence[Consumer] = (), keep: bool = True, **options: Any) -> SensitivityStudy:
    """Run every run of ``design``; keep the runs (in ``out`` or in memory unless ``keep`` is False) and
    hand each chunk's results to ``consumers``."""
    from solvers.analysis.distributed import open_executor

    options = chunking.run_options(options)
    names = [resolve_variable(compiled, v) for v in variables] if variables else list(compiled.variables)
    if not names:
        raise RequestError("the model reports no variables to keep")
    size = chunk_runs or chunking.default_chunk_runs(compiled, options)
    plan = chunking.plan(design, size)
    metadata = {"model": compiled.model.name, "design": design.describe(), "chunk_runs": size,
                "run_options": {k: v for k, v in options.items() if k != "providers"}}
    began = time.perf_counter()
    with contextlib.ExitStack() as stack:
        sinks = list(consumers)
        memory = None
        if out is not None:
            sinks.append(_writer(stack, out, names, design, metadata))
        elif keep:
            _check_memory(compiled, design, names, options)
            memory = MemoryRuns(names)
            sinks.append(memory)
        executor = stack.enter_context(open_executor(compiled, workers=workers, scheduler=scheduler))
        done = 0

        def within(chunk: Chunk, fraction: float) -> None:
            if progress is not None:
                progress((done + fraction * chunk.runs) / design.runs)

        saved_time = None
        outcomes = stack.enter_context(contextlib.closing(executor.map(plan, options, within, names)))
        for chunk, results in zip(plan, outcomes, strict=True):
            for sink in sinks:
                sink(results, chunk)
            saved_time = results.time
            done += chunk.runs
            if progress is not None:
                progress(done / design.runs)
    return SensitivityStudy(design, np.asarray(saved_time), names, Path(out) if out is not None else None,
                            time.perf_counter() - began, memory)


def _writer(stack: contextlib.ExitStack, out: str | os.PathLike[str], names: list[str], design: Design,
            metadata: dict[str, Any]) -> Consumer:
    from solvers.output.parquet import RunWriter

    if Path(out).suffix.lower() != ".parquet":
        raise RequestError(f"'{out}': the runs of a study are written as Parquet; name the file ….parquet")
    writer = stack.enter_context(RunWriter(out, names, list(design.names), metadata))
    return lambda results, chunk: writer.write(results, chunk.start, chunk.params)


def _check_memory(compiled: CompiledModel, design: Design, names: list[str], options: Mapping[str, Any]) -> None:
    needed = chunking.bytes_per_run(compiled, options, len(names)) * design.runs
    if needed > MEMORY_LIMIT:
        raise RequestError(f"{design.runs} runs of {len(names)} variables need {needed / 2**30:.1f} GiB; write "
                            "them to a file (out='….parquet') or keep fewer variables")
