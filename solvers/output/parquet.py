"""Many runs in Parquet files, written chunk by chunk and read back a column at a time.

``OUT.parquet`` is a long table: ``run`` (int64), ``time`` (float64) and one float64 column per
variable (display names), one row per run and saved time. Each chunk of runs is one row group, run
after run, so memory holds one chunk while writing. Beside it, ``OUT.parameters.parquet`` holds the
parameters of each run (``run`` and one column per varied parameter). Both files carry a JSON
document under the schema metadata key ``salver`` (time vector, variables, the design that made the
runs) and are saved atomically: a study stopped part-way leaves no file behind.

Reading needs only pyarrow (or pandas, polars, DuckDB…); ``RunTable.time_blocks`` serves one
variable for every run over a block of saved times with bounded memory, which is what exact
percentiles per time need.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from metamodel.errors import SalverError
from solvers.results import Results

METADATA_KEY = b"salver"
RESERVED = ("run", "time")  # the table's own columns, dictionary-encoded (few distinct values per chunk)


class OutputError(SalverError):
    """A results file that cannot be written or read as a table of runs."""


def parameters_path(path: str | os.PathLike[str]) -> Path:
    """``x.parquet`` -> ``x.parameters.parquet``, the table of each run's parameters."""
    target = Path(path)
    return target.with_name(f"{target.stem}.parameters{target.suffix or '.parquet'}")


class RunWriter:
    """Writes chunks of runs (``Results`` of several runs each) as row groups of one Parquet table.

    Use as a context manager; the files replace their targets only when the block ends without error.
    A chunk is encoded on a writer thread while the caller computes the next one; at most one chunk
    waits there, so memory holds two chunks at most.
    """

    def __init__(self, path: str | os.PathLike[str], variables: Sequence[str], parameters: Sequence[str],
                 metadata: Mapping[str, Any] | None = None, compression: str = "snappy") -> None:
        import pyarrow as pa

        clash = [v for v in variables if v in RESERVED] + [p for p in parameters if p == "run"]
        if clash:
            raise OutputError(f"a variable named {clash[0]!r} clashes with the table's own column; rename it")
        self.path = Path(path)
        self.variables = list(variables)
        self.parameters = list(parameters)
        self.metadata = dict(metadata or {})
        self.compression = compression
        self.schema = pa.schema([("run", pa.int64()), ("time", pa.float64()),
                                 *((v, pa.float64()) for v in self.variables)])
        self._stack = contextlib.ExitStack()
        self._writer: Any = None
        self._temp: Path | None = None
        self._param_temp: Path | None = None
        self._param_chunks: list[dict[str, np.ndarray]] = []
        self._time: np.ndarray | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="salver-parquet")
        self._pending: Future[None] | None = None
        self.runs = 0

    def __enter__(self) -> RunWriter:
        from metamodel.atomic import replacing_path

        self._stack.callback(self._thread.shutdown)
        self._temp = self._stack.enter_context(replacing_path(self.path))
        self._param_temp = self._stack.enter_context(replacing_path(parameters_path(self.path)))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> bool:
        if kind is None:
            try:
                self._finish()
            except BaseException as exc:
                if not self._stack.__exit__(type(exc), exc, exc.__traceback__):
                    raise
                return False
        else:
            with contextlib.suppress(Exception):
                self._drain()
                if self._writer is not None:
                    self._writer.close()
        return bool(self._stack.__exit__(kind, error, tb))

    def _drain(self) -> None:
        """Wait for the chunk on the writer thread; its error, if any, is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def write(self, results: Results, first_run: int, parameters: Mapping[str, np.ndarray]) -> None:
        """Append runs ``first_run …`` (``results.runs`` of them) and their parameter values."""
        if first_run != self.runs:
            raise OutputError(f"runs must come in order: expected run {self.runs}, got {first_run}")
        time = np.asarray(results.time, dtype=float)
        if self._time is None:
            self._time = time
        elif not np.array_equal(time, self._time):
            raise OutputError("every chunk of runs must share the saved times")
        runs = results.runs
        self._drain()
        self._pending = self._thread.submit(self._encode, results, first_run)
        self._param_chunks.append({p: np.broadcast_to(np.asarray(parameters[p], dtype=float), (runs,))
                                   for p in self.parameters})
        self.runs += runs

    def _encode(self, results: Results, first_run: int) -> None:
        """On the writer thread: the chunk as one row group, run after run."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        runs, steps = results.runs, len(results.time)
        columns = [np.repeat(np.arange(first_run, first_run + runs, dtype=np.int64), steps),
                   np.tile(np.asarray(results.time, dtype=float), runs)]
        columns += [np.ascontiguousarray(results[v].T).ravel() for v in self.variables]
        batch = pa.RecordBatch.from_arrays([_arrow(c) for c in columns], schema=self.schema)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._temp, self.schema, compression=self.compression,
                                            use_dictionary=list(RESERVED))
        self._writer.write_batch(batch, row_group_size=max(len(batch), 1))

    def _finish(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._drain()
        if self._writer is None:
            raise OutputError("no runs were written")
        document = {**self.metadata, "runs": self.runs, "variables": self.variables,
                    "parameters": self.parameters, "time": self._time.tolist()}  # type: ignore[union-attr]
        self._writer.add_key_value_metadata({METADATA_KEY.decode(): json.dumps(document)})
        self._writer.close()
        columns = [np.arange(self.runs, dtype=np.int64)]
        columns += [np.concatenate([chunk[name] for chunk in self._param_chunks]) for name in self.parameters]
        schema = pa.schema([("run", pa.int64()), *((p, pa.float64()) for p in self.parameters)],
                           metadata={METADATA_KEY: json.dumps(document).encode()})
        table = pa.Table.from_arrays([_arrow(c) for c in columns], schema=schema)
        pq.write_table(table, self._param_temp, compression=self.compression)


def _arrow(values: np.ndarray) -> Any:  # noqa: ANN401 - a pyarrow Array
    """A numpy array as an Arrow array without a copy (``pa.array`` would first load pandas to check it)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _numpy(column: Any) -> np.ndarray:  # noqa: ANN401 - a pyarrow ChunkedArray
    """The float64 values of a column as numpy (``to_numpy`` would first load pandas); nulls are refused."""
    parts = []
    for chunk in column.chunks:
        if chunk.null_count:
            raise OutputError("the table has missing values: it was not written by a study")
        parts.append(np.frombuffer(chunk.buffers()[1], dtype=np.float64, count=len(chunk), offset=8 * chunk.offset))
    return np.concatenate(parts) if parts else np.empty(0)


def write_results(results: Results, path: str | os.PathLike[str], parameters: Mapping[str, Any],
                  metadata: Mapping[str, Any] | None = None) -> None:
    """Write the runs of one ``Results`` (a sweep) to ``path`` and its parameters table."""
    values = {name: np.broadcast_to(np.asarray(v, dtype=float), (results.runs,)) for name, v in parameters.items()}
    with RunWriter(path, results.names, list(values), metadata) as writer:
        writer.write(results, 0, values)


class RunTable:
    """A Parquet table of runs written by ``RunWriter``, read lazily (metadata first, columns on demand)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        try:
            self.file = pq.ParquetFile(self.path)
            raw = (self.file.metadata.metadata or {}).get(METADATA_KEY)
        except (OSError, ValueError) as exc:
            raise OutputError(f"{self.path}: not a readable Parquet file: {exc}") from None
        if raw is None:
            raise OutputError(f"{self.path}: not a table of runs written by Salver (no '{METADATA_KEY.decode()}' "
                              "metadata)")
        self.metadata: dict[str, Any] = json.loads(raw)
        self.time = np.asarray(self.metadata["time"], dtype=float)
        self.runs = int(self.metadata["runs"])
        self.variables: list[str] = list(self.metadata["variables"])

    def parameters(self) -> dict[str, np.ndarray]:
        """Parameter name -> the value of every run (from the parameters table beside the file)."""
        import pyarrow.parquet as pq

        table = pq.ParquetFile(parameters_path(self.path)).read()  # (read_table loads pyarrow.dataset, pandas)
        return {name: _numpy(table.column(name)) for name in table.column_names if name != "run"}

    def column(self, variable: str) -> np.ndarray:
        """A variable's values for every run, shape ``(times, runs)`` (the whole column in memory)."""
        return next(self.time_blocks(variable, memory=None))[1]

    def time_blocks(self, variable: str, memory: int | None = 256 << 20) -> Iterator[tuple[slice, np.ndarray]]:
        """``(times, values)`` blocks covering the saved times; ``values`` has shape ``(len block, runs)``.

        Each block holds at most ``memory`` bytes (at least one time point); a block is gathered from
        every row group, reading only this variable's column, so the file is read once per block.
        """
        if variable not in self.variables:
            raise OutputError(f"{self.path}: no variable {variable!r}; it holds {', '.join(self.variables)}")
        steps = len(self.time)
        width = steps if memory is None else max(1, min(steps, memory // max(8 * self.runs, 1)))
        for begin in range(0, steps, width):
            block = slice(begin, min(begin + width, steps))
            parts = []
            for group in range(self.file.num_row_groups):
                values = _numpy(self.file.read_row_group(group, columns=[variable]).column(0))
                parts.append(values.reshape(-1, steps)[:, block])
            yield block, np.ascontiguousarray(np.concatenate(parts, axis=0).T)

    def results(self, variables: Sequence[str] | None = None) -> Results:
        """Every run of ``variables`` (default all) as one ``Results``: only for tables that fit in memory."""
        names = list(variables or self.variables)
        return Results(self.time, {name: self.column(name) for name in names}, self.runs, dict(self.metadata))
