"""Time-series data for calibration, read from CSV or tab-separated text.

Two layouts, as Vensim reads data: times down the first column (a header ``Time, Var1, Var2…``), or
times across the first row (``Time, 0, 1, 2…`` then one row per variable). Empty cells and ``NA``/
``NaN`` are missing values and are left out of the fit. Names stay as written; they are matched to
model variables by canonical name (case, spaces and underscores do not matter).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metamodel.errors import ParseError
from metamodel.names import canonical

MISSING = {"", "na", "nan", "n/a", "null", "-"}
MAX_BYTES = 256 << 20


@dataclass
class TimeSeries:
    """Observed values: ``columns[name][i]`` at ``time[i]`` (NaN where nothing was observed)."""

    time: np.ndarray
    columns: dict[str, np.ndarray]
    source: str = ""

    @property
    def observations(self) -> int:
        return int(sum(np.isfinite(v).sum() for v in self.columns.values()))


def load_data(path: str | os.PathLike[str]) -> TimeSeries:
    """Read a data file; ParseError names the line and column of anything that is not a number."""
    source = str(path)
    file = Path(path)
    if file.stat().st_size > MAX_BYTES:
        raise ParseError(f"data file larger than {MAX_BYTES >> 20} MB", file=source)
    with open(file, encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    delimiter = "\t" if file.suffix.lower() in (".tab", ".tsv", ".txt") or "\t" in text.split("\n", 1)[0] else ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ParseError("no data: a header and at least one row of values are needed", file=source)
    if canonical(rows[0][0]) != "time":
        raise ParseError(f"the first cell must be 'Time' (times down the first column or across the first row), "
                         f"got '{rows[0][0]}'", file=source, line=1, column=1)
    across = len(rows[0]) > 1 and all(_is_number(c) for c in rows[0][1:])
    series = _rows_across(rows, source) if across else _rows_down(rows, source)
    _check(series)
    return series


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _value(cell: str, source: str, line: int, column: int) -> float:
    text = cell.strip()
    if text.lower() in MISSING:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise ParseError(f"'{text}' is not a number", file=source, line=line, column=column) from None
    if not math.isfinite(value):
        raise ParseError(f"'{text}' is not a finite number", file=source, line=line, column=column)
    return value


def _rows_down(rows: list[list[str]], source: str) -> TimeSeries:
    names = [n.strip() for n in rows[0][1:]]
    if not names or any(not n for n in names):
        raise ParseError("every column after Time needs a variable name", file=source, line=1)
    width = len(rows[0])
    table = np.full((len(rows) - 1, width), math.nan)
    for i, row in enumerate(rows[1:], start=2):
        if len(row) > width:
            raise ParseError(f"{len(row)} cells, but the header names {width} columns", file=source, line=i)
        for j, cell in enumerate(row):
            table[i - 2, j] = _value(cell, source, i, j + 1)
    return TimeSeries(table[:, 0], {n: table[:, j + 1] for j, n in enumerate(names)}, source)


def _rows_across(rows: list[list[str]], source: str) -> TimeSeries:
    time = np.array([_value(c, source, 1, j + 2) for j, c in enumerate(rows[0][1:])])
    columns = {}
    for i, row in enumerate(rows[1:], start=2):
        name = row[0].strip()
        if not name:
            raise ParseError("every row after Time needs a variable name in its first cell", file=source, line=i)
        if len(row) > len(rows[0]):
            raise ParseError(f"{len(row) - 1} values for {len(time)} times", file=source, line=i)
        values = np.full(len(time), math.nan)
        for j, cell in enumerate(row[1:]):
            values[j] = _value(cell, source, i, j + 2)
        columns[name] = values
    return TimeSeries(time, columns, source)


def _check(series: TimeSeries) -> None:
    if np.isnan(series.time).any():
        raise ParseError("a time is missing", file=series.source)
    if len(series.time) > 1 and not np.all(np.diff(series.time) > 0):
        raise ParseError("times must increase from one row to the next", file=series.source)
    seen: dict[str, str] = {}
    for name in series.columns:
        key = canonical(name)
        if key in seen:
            raise ParseError(f"'{name}' and '{seen[key]}' name the same variable", file=series.source)
        seen[key] = name
    if series.observations == 0:
        raise ParseError("no values: every cell after Time is empty", file=series.source)
