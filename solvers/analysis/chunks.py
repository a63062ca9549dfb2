"""A study's runs cut into chunks: each chunk is one vectorized ``CompiledModel.run`` of many runs.

The chunks depend only on the design, the chunk size and the seed, never on who runs them: the
model's random functions get one seed per chunk derived from the study's seed, so a study gives the
same numbers in this process and on any Dask cluster. (Adaptive integrators control their step over a
whole chunk, so with them the chunk size is part of what makes the numbers.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.analysis.sampling import Design
from solvers.results import Results

if TYPE_CHECKING:
    from solvers.model_run import CompiledModel

CHUNK_BYTES = 16 << 20  # saved values of one chunk; the vector backend is fastest at a few thousand runs
MAX_CHUNK_RUNS = 4096
RUN_OPTIONS = ("method", "start", "stop", "dt", "save_per", "providers", "require_gpu")

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Chunk:
    """Runs ``start`` to ``stop`` of a design with their parameter values and random seed."""

    index: int
    start: int
    stop: int
    params: dict[str, np.ndarray]
    seed: int

    @property
    def runs(self) -> int:
        return self.stop - self.start


def run_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``CompiledModel.run`` keywords of ``options`` that a study passes on (unknown ones refused)."""
    unknown = sorted(set(options) - set(RUN_OPTIONS))
    if unknown:
        raise TypeError(f"unknown run option(s) {', '.join(unknown)}; use {', '.join(RUN_OPTIONS)}")
    return {k: v for k, v in options.items() if v is not None}


def chunk_seed(seed: int, index: int) -> int:
    """The seed of the model's random functions in chunk ``index`` of a study seeded ``seed``."""
    return int(np.random.SeedSequence([int(seed), index]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def _grid(compiled: CompiledModel, options: Mapping[str, Any]) -> Any:  # noqa: ANN401 - integrators.Steps
    from solvers import integrators

    spec = compiled.sim_spec
    return integrators.grid(type(spec)(start=options.get("start", spec.start), stop=options.get("stop", spec.stop),
                                       dt=options.get("dt", spec.dt), save_per=options.get("save_per", spec.save_per)))


def bytes_per_run(compiled: CompiledModel, options: Mapping[str, Any], variables: int | None = None) -> int:
    """Bytes of the saved values of one run (of ``variables`` variables, default all reported)."""
    count = len(compiled.variables) if variables is None else variables
    return 8 * len(_grid(compiled, options).saved) * max(count, 1)


def default_chunk_runs(compiled: CompiledModel, options: Mapping[str, Any]) -> int:
    """Runs per chunk: the saved values of a chunk stay near ``CHUNK_BYTES`` and the engine's step limit."""
    from solvers.model_run import MAX_STEPS

    steps = _grid(compiled, options).count
    return int(max(1, min(MAX_CHUNK_RUNS, CHUNK_BYTES // bytes_per_run(compiled, options), MAX_STEPS // max(steps, 1))))


def plan(design: Design, chunk_runs: int) -> list[Chunk]:
    """The design's runs in chunks of ``chunk_runs`` (the last may be shorter)."""
    if chunk_runs < 1:
        raise ValueError("chunk_runs must be at least 1")
    return [Chunk(i, start, min(start + chunk_runs, design.runs), design.params(start, start + chunk_runs),
                  chunk_seed(design.seed, i))
            for i, start in enumerate(range(0, design.runs, chunk_runs))]


def run_chunk(compiled: CompiledModel, chunk: Chunk, options: Mapping[str, Any],
              progress: Progress | None = None) -> Results:
    """Simulate one chunk: all its runs in one vectorized call."""
    return compiled.run(params=chunk.params, runs=chunk.runs, seed=chunk.seed, progress=progress, **options)


class LocalExecutor:
    """Runs chunks one after another in this process."""

    def __init__(self, compiled: CompiledModel) -> None:
        self.compiled = compiled

    def map(self, chunks: Iterable[Chunk], options: Mapping[str, Any],
            progress: Callable[[Chunk, float], None] | None = None,
            variables: Sequence[str] | None = None) -> Iterator[Results]:
        """The results of each chunk, in order; ``progress(chunk, fraction)`` reports within a chunk.
        (``variables`` matter to executors that move results; here every variable is at hand.)"""
        for chunk in chunks:
            inner = (lambda f, c=chunk: progress(c, f)) if progress is not None else None
            yield run_chunk(self.compiled, chunk, options, inner)
