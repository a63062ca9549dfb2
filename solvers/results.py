"""Simulation results: a time vector and per-variable arrays of shape (times, runs)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from metamodel import atomic
from metamodel.names import canonical

CSV_BLOCK_VALUES = 1_000_000


@dataclass
class Results(Mapping[str, np.ndarray]):
    """Saved time points and, per variable display name, an array of shape ``(len(time), runs)``.

    Arrayed variables appear once per element as ``name[elem,elem]``. ``metadata`` records the
    method, the parameters and, for neural components, the onnxruntime provider that ran them.
    """

    time: np.ndarray
    data: dict[str, np.ndarray]
    runs: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(self._index) != len(self.data):  # a caller may give the index of canonical names it knows
            self._index = {canonical(name): name for name in self.data}

    @property
    def names(self) -> list[str]:
        return list(self.data)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical(name) in self._index

    def __getitem__(self, name: str) -> np.ndarray:
        """The ``(times, runs)`` array of a variable, looked up by canonical name."""
        try:
            return self.data[self._index[canonical(name)]]
        except KeyError:
            raise KeyError(f"no variable {name!r} in the results") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def series(self, name: str, run: int = 0) -> np.ndarray:
        """One run's time series of a variable."""
        return self[name][:, run]

    def to_csv(self, path: str | os.PathLike[str] | None = None, run: int = 0) -> str | None:
        """CSV (``time`` then one column per variable, display names) of one run: the text, or, given a
        path, written there atomically as it is made (nothing is returned then)."""
        if path is not None:
            with atomic.replacing(path) as handle:
                self.write_csv(handle, run)
            return None
        buffer = io.StringIO()
        self.write_csv(buffer, run)
        return buffer.getvalue()

    def write_csv(self, stream: TextIO, run: int = 0) -> None:
        """Write one run's CSV to a text stream, a block of rows at a time."""
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["time", *self.data])
        columns = [self.time, *(values[:, run] for values in self.data.values())]
        rows = max(1, CSV_BLOCK_VALUES // len(columns))  # rows made into Python floats at once
        for first in range(0, len(self.time), rows):
            block = np.column_stack([c[first:first + rows] for c in columns]).astype(float, copy=False)
            writer.writerows(block.tolist())  # csv writes a float as its repr: the shortest exact text

    def to_pandas(self, run: int | None = None) -> Any:
        """A pandas DataFrame indexed by time (one run), or a long table of all runs (``run=None``)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install pandas") from exc
        if run is not None or self.runs == 1:
            frame = pd.DataFrame({n: v[:, run or 0] for n, v in self.data.items()}, index=self.time)
            frame.index.name = "time"
            return frame
        frames = []
        for r in range(self.runs):
            frame = pd.DataFrame({n: v[:, r] for n, v in self.data.items()})
            frame.insert(0, "time", self.time)
            frame.insert(0, "run", r)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
