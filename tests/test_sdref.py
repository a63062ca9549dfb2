"""The reference-output helper: reading suite files, the comparison rule, discovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import importers
from tests import sdref

SUITE = sdref.SUITE


def test_reads_cr_only_csv() -> None:
    ref = sdref.read(SUITE / "tests/abs/output.csv")
    assert list(ref.columns) == ["FlowA", "StockA", "test abs"]
    assert len(ref.time) == 21 and ref.time[-1] == 20
    assert ref.columns["StockA"][0] == -10 and ref.columns["test abs"][0] == 10


def test_reads_tab_with_arrayed_columns() -> None:
    ref = sdref.read(SUITE / "tests/subscripted_flows/output.tab")
    assert "Stock A[Entry 2]" in ref.columns
    assert ref.columns["Inflow A[Entry 3]"][0] == pytest.approx(0.06)


def test_empty_cells_read_as_nan_and_agree() -> None:
    ref = sdref.read(SUITE / "tests/rounding/output.tab")
    assert ref.columns["FINAL TIME"][0] == 200 and np.isnan(ref.columns["FINAL TIME"][1])
    data = {name: np.nan_to_num(values, nan=-5.0) for name, values in ref.columns.items()}
    assert sdref.compare(ref, data) == []


def test_column_keys_match_spellings() -> None:
    assert sdref.column_key('"Stock A"[Entry 1, Entry 2]') == sdref.column_key("stock_a[entry_1,entry_2]")
    assert sdref.column_key("hares.hare density") == sdref.column_key("Hares.Hare_Density")
    assert sdref.column_key("a[b1]") != sdref.column_key("a[b2]")


def test_printed_allowance() -> None:
    assert sdref.printed_allowance("0.25") == pytest.approx(0.005)
    assert sdref.printed_allowance("1.5e-05") == pytest.approx(5e-7)
    assert sdref.printed_allowance("10") == 0.0
    assert sdref.printed_allowance("0.0") == 0.0


def _reference(values: dict[str, list[float]], printed: dict[str, float] | None = None) -> sdref.Reference:
    columns = {k: np.array(v, dtype=float) for k, v in values.items()}
    allowance = {k: np.full(len(v), (printed or {}).get(k, 0.0)) for k, v in values.items()}
    return sdref.Reference(Path("mem"), np.arange(len(next(iter(values.values())))) * 1.0, columns, allowance)


def test_identical_results_agree_and_relative_rule() -> None:
    ref = _reference({"Stock": [100.0, 200.0, 0.0]})
    assert sdref.compare(ref, {"stock": [100.009, 200.0, 5e-7]}) == []


def test_mismatch_detected_with_time_and_count() -> None:
    ref = _reference({"Stock": [100.0, 200.0, 300.0, 400.0]})
    (miss,) = sdref.compare(ref, {"STOCK": np.array([100.0, 200.0, 301.0, 402.0])})
    assert (miss.column, miss.time, miss.expected, miss.actual, miss.count) == ("Stock", 2.0, 300.0, 301.0, 2)
    assert "values differ" in str(miss)


def test_printed_precision_allowance_applies() -> None:
    ref = _reference({"x": [0.0001, 0.0001]}, printed={"x": 5e-5})
    assert sdref.compare(ref, {"x": [0.00012, 0.00014]}) == []
    (miss,) = sdref.compare(ref, {"x": [0.00012, 0.00016]})
    assert miss.time == 1.0


def test_missing_column_and_missing_ok() -> None:
    ref = _reference({"a": [1.0], "b": [2.0]})
    (miss,) = sdref.compare(ref, {"a": [1.0]})
    assert miss.column == "b" and "no such variable" in miss.reason
    assert sdref.compare(ref, {"a": [1.0]}, missing_ok=True) == []


def test_time_alignment_two_d_results_and_skip_times() -> None:
    ref = _reference({"s": [1.0, 2.0, 3.0]})
    fine_time = np.arange(0, 2.25, 0.25)
    runs = np.stack([np.interp(fine_time, [0, 1, 2], [1, 2, 3]), np.zeros(len(fine_time))], axis=1)
    assert sdref.compare(ref, {"s": runs}, time=fine_time) == []
    shifted = runs.copy()
    shifted[0, 0] = 9.0
    assert len(sdref.compare(ref, {"s": shifted}, time=fine_time)) == 1
    assert sdref.compare(ref, {"s": shifted}, time=fine_time, skip_times=(0.0,)) == []
    (gap,) = sdref.compare(ref, {"s": runs}, time=fine_time + 0.1)
    assert gap.column == "time"


def test_callable_lookup_and_row_count_mismatch() -> None:
    ref = _reference({"s": [1.0, 2.0]})
    assert sdref.compare(ref, lambda name: [1.0, 2.0] if name == "s" else None) == []
    (miss,) = sdref.compare(ref, {"s": [1.0]})
    assert "1 result rows for 2 reference rows" in miss.reason


def test_discover_honours_readme() -> None:
    cases = sdref.discover()
    models = {c.model.relative_to(SUITE).as_posix(): c for c in cases}
    assert "samples/bpowers-hares_and_lynxes_modules/model.stmx" in models
    assert "samples/teacup/teacup.xmile" in models
    assert not any("subscripted_flows" in m or "subscript_subranges" in m for m in models)
    assert models["tests/smooth_and_stock/test_smooth_and_stock.xmile"].options()["missing_ok"]
    assert models["tests/active_initial/test_active_initial.stmx"].skip_times == (0.0,)
    assert all(c.reference.parent == c.model.parent for c in cases)
    assert all(c.model.suffix in (".xmile", ".stmx", ".itmx") for c in cases)


def test_only_columns_the_model_defines_are_compared() -> None:
    ref = _reference({"FINAL TIME": [10.0], "Stock": [1.0]})
    (miss,) = sdref.compare(ref, {"stock": [1.0]})
    assert miss.column == "FINAL TIME"
    assert sdref.compare(ref, {"stock": [1.0]}, defined=["stock"]) == []
    (wrong,) = sdref.compare(ref, {"stock": [2.0]}, defined=["stock"])
    assert wrong.column == "Stock"


def test_defined_names_follow_modules() -> None:
    model, _ = importers.load(SUITE / "samples/bpowers-hares_and_lynxes_modules/model.xmile")
    names = sdref.defined_names(model)
    assert {"area", "hares.hares", "lynxes.death fraction", "hares.hares killed per lynx"} <= names
    ref = sdref.read(SUITE / "samples/bpowers-hares_and_lynxes_modules/output.csv")
    keys = {sdref.column_key(n) for n in names}
    assert all(sdref.column_key(column) in keys for column in ref.columns)
