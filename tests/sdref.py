"""Reference outputs of the SD test-models suite: reading them, finding them, comparing results.

``read(path)`` loads ``output.tab``/``output.csv`` (any line ending) into a ``Reference``;
``compare(reference, results)`` applies the suite's rule and returns the mismatches;
``discover()`` lists every XMILE/STMX model of the suite with its reference and known leniencies.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from metamodel.elements import Module, Variable
from metamodel.model import Model
from metamodel.names import canonical
from tests.paths import SD_MODELS

SUITE = SD_MODELS
REL_TOL = 1e-4
ZERO_TOL = 1e-6
_SUBSCRIPT = re.compile(r"^(?P<name>[^\[]*)\[(?P<elems>[^\]]*)\]\s*$")
_NUMBER = re.compile(r"^[-+]?(?P<mant>\d*\.?\d*)(?:[eE](?P<exp>[-+]?\d+))?$")


def column_key(name: str) -> str:
    """The canonical key of a column or variable name: quotes dropped, module path and subscripts kept.

    ``"Stock A"[Entry 1, Entry 2]`` and ``stock_a[entry_1,entry_2]`` give the same key; so do
    ``hares.hare density`` and ``Hares.Hare_Density``.
    """
    text = name.strip()
    match = _SUBSCRIPT.match(text)
    subscript = ""
    if match:
        text = match.group("name")
        subscript = "[" + ",".join(canonical(e) for e in match.group("elems").split(",")) + "]"
    path = ".".join(canonical(part) for part in text.strip().strip('"').split("."))
    return path + subscript


def defined_names(model: Model, prefix: str = "") -> set[str]:
    """Names of every variable ``model`` defines; variables inside modules as ``module.variable``."""
    names: set[str] = set()
    for element in model.elements.values():
        if isinstance(element, Variable):
            names.add(prefix + element.name)
        elif isinstance(element, Module) and element.model_name in model.submodels:
            names |= defined_names(model.submodels[element.model_name], f"{prefix}{element.name}.")
    return names


def _base_key(name: str) -> str:
    return column_key(name).split("[", 1)[0]


@dataclass
class Reference:
    """A reference run: ``time``, ``columns`` (printed name -> values), per-value printing allowance."""

    path: Path
    time: np.ndarray
    columns: dict[str, np.ndarray]
    allowance: dict[str, np.ndarray] = field(default_factory=dict)


def printed_allowance(text: str) -> float:
    """Half a unit of the last printed digit of a value with a fractional part (``"0.25"`` -> 0.005).

    Integers (``"10"``) and zeros are taken as exact: the near-zero rule covers printed zeros.
    """
    match = _NUMBER.match(text.strip())
    if not match or float(text) == 0 or ("." not in text and match.group("exp") is None):
        return 0.0
    mantissa = match.group("mant")
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (int(match.group("exp") or 0) - decimals)


def read(path: str | Path) -> Reference:
    """Read a reference file (tab- or comma-separated, CR, LF or CRLF lines) into a ``Reference``.

    Empty cells (constants printed only once) read as NaN and are not compared.
    """
    source = Path(path)
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # some references were written in Latin-1
        text = raw.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = "\t" if source.suffix == ".tab" else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    if not rows:
        raise ValueError(f"{source}: empty reference file")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    values = np.full((len(body), len(header)), np.nan)
    allowance = np.zeros((len(body), len(header)))
    for i, row in enumerate(body):
        for j, cell in enumerate(row[: len(header)]):
            try:
                values[i, j] = float(cell)
            except ValueError:
                continue
            allowance[i, j] = printed_allowance(cell)
    time_index = next((j for j, h in enumerate(header) if canonical(h) == "time"), 0)
    columns = {h: values[:, j] for j, h in enumerate(header) if j != time_index}
    allowances = {h: allowance[:, j] for j, h in enumerate(header) if j != time_index}
    return Reference(source, values[:, time_index], columns, allowances)


@dataclass(frozen=True)
class Mismatch:
    """A column that disagrees: first failing time, the values there, how many rows fail, why."""

    column: str
    time: float | None
    expected: float
    actual: float
    count: int
    reason: str

    def __str__(self) -> str:
        at = f" at t={self.time:g}" if self.time is not None else ""
        values = f"expected {self.expected:g}, got {self.actual:g}, {self.count} rows"
        return f"{self.column}{at}: {self.reason} ({values})"


Lookup = Mapping[str, Any] | Callable[[str], Any]


def _resolver(results: Lookup) -> Callable[[str], np.ndarray | None]:
    if callable(results):
        return lambda name: None if (found := results(name)) is None else np.asarray(found, dtype=float)
    by_key = {column_key(k): v for k, v in results.items()}
    return lambda name: None if (found := by_key.get(column_key(name))) is None else np.asarray(found, dtype=float)


def agree(expected: np.ndarray, actual: np.ndarray, allowance: np.ndarray | float = 0.0) -> np.ndarray:
    """The suite's rule, element-wise: relative 1e-4, both near zero, or within the printed precision.

    A NaN reference value (an empty cell) agrees with anything.
    """
    diff = np.abs(expected - actual)
    scale = np.maximum(np.abs(expected), np.abs(actual))
    near_zero = (np.abs(expected) <= ZERO_TOL) & (np.abs(actual) <= ZERO_TOL)
    return (diff <= REL_TOL * scale) | near_zero | (diff <= allowance) | np.isnan(expected)


def compare(
    reference: Reference,
    results: Lookup,
    *,
    time: np.ndarray | None = None,
    missing_ok: bool = False,
    skip_times: tuple[float, ...] = (),
    defined: Iterable[str] | None = None,
) -> list[Mismatch]:
    """Mismatches between ``reference`` and ``results`` (name -> values, or a callable name -> values).

    Values may be 2-D (times x runs): the first run is compared. With ``time`` the result rows at the
    reference's times are picked; without it rows must line up. ``missing_ok`` accepts reference
    columns the results lack; ``skip_times`` leaves out rows at those times. With ``defined`` (the
    model's variable names, see ``defined_names``) only the columns the model defines are compared:
    the suite's rule, which spares control columns such as ``FINAL TIME`` of models without them.
    """
    wanted = None if defined is None else {_base_key(n) for n in defined}
    lookup = _resolver(results)
    rows = np.arange(len(reference.time))
    picked: np.ndarray | None = None
    if time is not None:
        time = np.asarray(time, dtype=float)
        picked = np.array([int(np.argmin(np.abs(time - t))) if len(time) else -1 for t in reference.time])
        found = np.array(
            [
                len(time) > 0 and bool(np.isclose(time[p], t, rtol=1e-5, atol=1e-6))  # times are printed rounded
                for p, t in zip(picked, reference.time, strict=True)
            ]
        )
        if not found.all():
            first = int(np.argmin(found))
            return [
                Mismatch(
                    "time",
                    float(reference.time[first]),
                    float(reference.time[first]),
                    math.nan,
                    int((~found).sum()),
                    "reference time missing from the results",
                )
            ]
    keep = np.array([not any(math.isclose(t, s, abs_tol=1e-9) for s in skip_times) for t in reference.time], dtype=bool)
    mismatches = []
    for name, expected in reference.columns.items():
        if wanted is not None and _base_key(name) not in wanted:
            continue
        actual = lookup(name)
        if actual is None:
            if not missing_ok:
                mismatches.append(Mismatch(name, None, math.nan, math.nan, len(rows), "no such variable in results"))
            continue
        if actual.ndim == 2:
            actual = actual[:, 0]
        actual = actual[picked] if picked is not None else actual
        if actual.shape != expected.shape:
            mismatches.append(
                Mismatch(
                    name,
                    None,
                    math.nan,
                    math.nan,
                    len(rows),
                    f"{len(actual)} result rows for {len(expected)} reference rows",
                )
            )
            continue
        bad = ~agree(expected, actual, reference.allowance.get(name, 0.0)) & keep
        if bad.any():
            first = int(np.argmax(bad))
            mismatches.append(
                Mismatch(
                    name,
                    float(reference.time[first]),
                    float(expected[first]),
                    float(actual[first]),
                    int(bad.sum()),
                    "values differ",
                )
            )
    return mismatches


class Case(NamedTuple):
    """One suite model, its reference output, and the leniency the suite's README grants it."""

    model: Path
    reference: Path
    missing_ok: bool = False
    skip_times: tuple[float, ...] = ()

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``compare``."""
        return {"missing_ok": self.missing_ok, "skip_times": self.skip_times}


# From the suite's README: a model lacking reference columns, one that differs at t = 0.
_LENIENCY: dict[str, dict[str, Any]] = {
    "smooth_and_stock": {"missing_ok": True},
    "active_initial": {"skip_times": (0.0,)},
}
_XMILE_SUFFIXES = (".xmile", ".stmx", ".itmx")


def discover(suite: Path = SUITE) -> list[Case]:
    """Every XMILE/STMX model under ``tests/`` and ``samples/`` with a reference beside it.

    Left out: exports with ``???`` inside an equation (the README's known-broken exports).
    """
    cases = []
    for model in sorted(
        p for sub in ("tests", "samples") for p in (suite / sub).rglob("*") if p.suffix.lower() in _XMILE_SUFFIXES
    ):
        reference = next((model.parent / n for n in ("output.tab", "output.csv") if (model.parent / n).is_file()), None)
        if reference is None or b"???" in model.read_bytes():
            continue
        cases.append(Case(model, reference, **_LENIENCY.get(model.parent.name, {})))
    return cases
