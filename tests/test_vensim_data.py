"""Vensim external data (GET XLS/DIRECT ..., data variables): resolved at import time, then simulated."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

import solvers
from importers.vensim import load
from metamodel.elements import Aux, Variable
from metamodel.model import Model
from tests import sdref
from tests.paths import SD_MODELS

TESTS = SD_MODELS / "tests"
CONTROL = """INITIAL TIME = 0 ~ ~ |
FINAL TIME = 4 ~ ~ |
TIME STEP = 0.5 ~ ~ |
SAVEPER = TIME STEP ~ ~ |
"""
TIMES = [0.0, 1.0, 3.0, 4.0]
SERIES = {"A": [1.0, 3.0, -2.0, 5.0], "B": [10.0, None, 30.0, 20.0]}  # B lacks its value at t = 1


def workbook(path: Path) -> Path:
    """Sheet ``S``: times in row 2 from C2, series A and B below them; a column layout at G..I;
    a 2x3 block of constants at C6 with a workbook-level name ``block``."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "S"
    for j, t in enumerate(TIMES):
        ws.cell(2, 3 + j, t)
        ws.cell(10 + j, 7, t)  # the time column G, from G10
        for k, key in enumerate(SERIES):
            ws.cell(3 + k, 3 + j, SERIES[key][j])
            ws.cell(10 + j, 8 + k, SERIES[key][j])
    for r in range(2):
        for c in range(3):
            ws.cell(6 + r, 3 + c, 10 * (r + 1) + c)
    ws.cell(12, 3, "label")
    ws["A20"] = "=1+1"  # a formula without a cached value: never evaluated, so it reads as empty
    book.defined_names["block"] = DefinedName("block", attr_text="S!$C$6:$E$7")
    book.save(path)
    return path


def model_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\nd: A, B ~ ~ |\ne: x, y, z ~ ~ |\n" + body + CONTROL, encoding="utf-8")
    return path


def run(path: Path) -> tuple[Model, dict[str, np.ndarray], np.ndarray, list[str]]:
    model, report = load(path)
    results = solvers.compile(model).run()
    return model, {k: v[:, 0] for k, v in results.data.items()}, results.time, [str(e) for e in report.entries]


def expected(times: np.ndarray, key: str, mode: str) -> np.ndarray:
    """What Vensim gives between the points of a series with its missing point left out."""
    xs = np.array([t for t, v in zip(TIMES, SERIES[key], strict=True) if v is not None])
    ys = np.array([v for v in SERIES[key] if v is not None])
    if mode == "interpolate":
        return np.interp(times, xs, ys)
    if mode == "backward":
        return ys[np.clip(np.searchsorted(xs, times, side="right") - 1, 0, len(xs) - 1)]
    return ys[np.clip(np.searchsorted(xs, times, side="left"), 0, len(xs) - 1)]


def test_constants_by_row_column_block_and_name(tmp_path: Path) -> None:
    workbook(tmp_path / "in.xlsx")
    path = model_file(tmp_path, """row[e] = GET XLS CONSTANTS('in.xlsx', 'S', 'C6') ~ ~ |
col[d] = GET DIRECT CONSTANTS('in.xlsx', 'S', 'C6*') ~ ~ |
grid[d, e] = GET XLS CONSTANTS('in.xlsx', 'S', 'block') ~ ~ |
turned[e, d] = GET XLS CONSTANTS('in.xlsx', 'S', 'block*') ~ ~ |
one = GET XLS CONSTANTS('in.xlsx', 'S', 'D7') ~ ~ |
""")
    model, data, _, entries = run(path)
    ws = openpyxl.load_workbook(tmp_path / "in.xlsx").active
    assert [data[f"row[{e}]"][0] for e in "xyz"] == [ws.cell(6, 3 + i).value for i in range(3)]
    assert [data[f"col[{d}]"][0] for d in "AB"] == [ws.cell(6 + i, 3).value for i in range(2)]
    for i, d in enumerate("AB"):
        for j, e in enumerate("xyz"):
            assert data[f"grid[{d},{e}]"][0] == ws.cell(6 + i, 3 + j).value
            assert data[f"turned[{e},{d}]"][0] == ws.cell(6 + i, 3 + j).value
    assert data["one"][0] == ws["D7"].value
    assert not [e for e in entries if "error" in e]


@pytest.mark.parametrize(("keyword", "mode"), [("", "interpolate"), (":INTERPOLATE:", "interpolate"),
                                               (":HOLD BACKWARD:", "backward"), (":LOOK FORWARD:", "forward")])
def test_data_modes_rows_and_columns_with_missing_values(tmp_path: Path, keyword: str, mode: str) -> None:
    workbook(tmp_path / "in.xlsx")
    path = model_file(tmp_path, f"""across[d]{keyword} := GET XLS DATA('in.xlsx', 'S', '2', 'C3') ~ ~ |
down[d]{keyword} := GET DIRECT DATA('in.xlsx', 'S', 'G', 'H10') ~ ~ |
single{keyword} := GET XLS DATA('in.xlsx', 'S', '2', 'C4') ~ ~ |
""")
    _, data, time, _ = run(path)
    for key in SERIES:
        assert np.allclose(data[f"across[{key}]"], expected(time, key, mode))
        assert np.allclose(data[f"down[{key}]"], expected(time, key, mode))
    assert np.allclose(data["single"], expected(time, "B", mode))


def test_lookups_scalar_and_per_element(tmp_path: Path) -> None:
    workbook(tmp_path / "in.xlsx")
    path = model_file(tmp_path, """table[d](GET XLS LOOKUPS('in.xlsx', 'S', '2', 'C3')) ~ ~ |
flat = GET DIRECT LOOKUPS('in.xlsx', 'S', 'G', 'H10') ~ ~ |
out[d] = table[d](Time / 2) ~ ~ |
out b = table[B](Time) + flat(Time) ~ ~ |
""")
    model, data, time, _ = run(path)
    for key in SERIES:
        assert np.allclose(data[f"out[{key}]"], expected(time / 2, key, "interpolate"))
    assert np.allclose(data["out b"], expected(time, "B", "interpolate") + expected(time, "A", "interpolate"))
    tables = [v for v in model.of_kind(Aux) if v.gf is not None and not v.equation]
    assert sorted(t.name for t in tables) == ["flat", "table table A", "table table B"]


def test_subscript_elements_from_a_sheet(tmp_path: Path) -> None:
    workbook(tmp_path / "in.xlsx")
    path = model_file(tmp_path, """p: GET DIRECT SUBSCRIPT('in.xlsx', 'S', 'C2', 'F2', 'p') ~ ~ |
v[p] = GET XLS CONSTANTS('in.xlsx', 'S', 'C3') ~ ~ |
""")
    model, data, _, _ = run(path)
    names = [f"p{t:g}" for t in TIMES]
    assert [d.elements for d in model.dimensions if d.name == "p"] == [names]
    assert [data[f"v[{n}]"][0] for n in names] == SERIES["A"]


def test_subscript_elements_down_a_column_or_across_a_row_to_a_blank(tmp_path: Path) -> None:
    (tmp_path / "down.csv").write_text("head\nB1\nB2\nB3\n\nB9\n", encoding="utf-8")
    (tmp_path / "across.csv").write_text("head,,\nC1,C2,C3,,C9\n", encoding="utf-8")
    path = model_file(tmp_path, """f: GET DIRECT SUBSCRIPT('down.csv', ',', 'A2', 'A', '') ~ ~ |
g: GET DIRECT SUBSCRIPT('across.csv', ',', 'A2', '2', '') ~ ~ |
h: GET DIRECT SUBSCRIPT('across.csv', ',', 'A2', 'B2', 'x') ~ ~ |
""")
    model, _ = load(path)
    elements = {d.name: d.elements for d in model.dimensions}
    # a column letter reads down to the first blank, a row number across to it, a cell up to that cell
    assert (elements["f"], elements["g"], elements["h"]) == (["B1", "B2", "B3"], ["C1", "C2", "C3"], ["xC1", "xC2"])


def test_indirect_file_references_use_the_file_aliases_of_the_settings(tmp_path: Path) -> None:
    (tmp_path / "values.csv").write_text("year,x\n0,5\n10,25\n", encoding="utf-8")
    body = "{UTF-8}\nv := GET DIRECT DATA('?series', ',', 'A', 'B2') ~ ~ |\n" + CONTROL
    sketch = "\\\\\\---/// Sketch information\nV300\n*View 1\n///---\\\\\\\n:L<%^E!@\n30:?series=values.csv\n"
    (tmp_path / "model.mdl").write_text(body + sketch, encoding="utf-8")
    model, report = load(tmp_path / "model.mdl")
    assert not [e for e in report.entries if e.severity == "error"]
    results = solvers.compile(model).run()
    assert float(results["v"][0, 0]) == 5  # the series from values.csv read at TIME 0
    (tmp_path / "model.mdl").write_text(body + sketch.replace("?series", "?other"), encoding="utf-8")
    _, report = load(tmp_path / "model.mdl")
    assert any(e.element == "v" and "'?series' has no file alias" in e.reason for e in report.entries)


def test_data_variables_read_the_data_file_beside_the_model(tmp_path: Path) -> None:
    (tmp_path / "data.tab").write_text("Time\tlevel[A]\tlevel[B]\n0\t1\t5\n2\t3\t\n4\t7\t9\n", encoding="utf-8")
    path = model_file(tmp_path, "level[d]:HOLD BACKWARD: ~ ~ |\nother[e]:RAW: ~ ~ |\n")
    model, report = load(path)
    entry = next(e for e in report.entries if e.element == "other")
    assert entry.line == 5 and "no column for 'other[x]'" in entry.reason
    _, data, time, _ = run(path)
    assert np.allclose(data["level[A]"], np.where(time < 2, 1, np.where(time < 4, 3, 7)))
    assert np.allclose(data["level[B]"], np.where(time < 4, 5, 9))


def test_csv_files_are_read(tmp_path: Path) -> None:
    rows = [",".join("" if v is None else f"{v:g}" for v in [t, *(SERIES[k][j] for k in SERIES)])
            for j, t in enumerate(TIMES)]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = model_file(tmp_path, "v[d] := GET DIRECT DATA('in.csv', 'any sheet', 'A', 'B1') ~ ~ |\n")
    _, data, time, _ = run(path)
    for key in SERIES:
        assert np.allclose(data[f"v[{key}]"], expected(time, key, "interpolate"))


def test_xls_files_are_read(tmp_path: Path) -> None:
    shutil.copy(TESTS / "get_data_args_3d_xls/input.xls", tmp_path / "input.xls")
    path = model_file(tmp_path, "v[d] := GET XLS DATA('input.xls', 'Sheet1', '4', 'C5') ~ ~ |\n")
    model, data, time, _ = run(path)
    table = next(v for v in model.of_kind(Aux) if v.name == "v table A")
    assert table.gf is not None and table.gf.xpts == [0, 5, 10, 15, 20, 25, 30]
    assert np.allclose(data["v[A]"], np.interp(time, table.gf.xpts, table.gf.ypts))


def test_missing_file_bad_range_and_escaping_path_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    workbook(folder / "in.xlsx")
    workbook(tmp_path / "outside.xlsx")
    path = model_file(folder, """gone = GET XLS CONSTANTS('nowhere.xlsx', 'S', 'C6') ~ ~ |
bad range = GET XLS CONSTANTS('in.xlsx', 'S', 'no such name') ~ ~ |
empty = GET XLS CONSTANTS('in.xlsx', 'S', 'A1') ~ ~ |
text cell = GET XLS CONSTANTS('in.xlsx', 'S', 'C12') ~ ~ |
up = GET XLS CONSTANTS('../outside.xlsx', 'S', 'C6') ~ ~ |
absolute = GET XLS CONSTANTS('""" + str(tmp_path / "outside.xlsx") + """', 'S', 'C6') ~ ~ |
no sheet := GET XLS DATA('in.xlsx', 'T', '2', 'C3') ~ ~ |
bad time := GET XLS DATA('in.xlsx', 'S', 'block', 'C3') ~ ~ |
mixed = 2 * GET XLS CONSTANTS('in.xlsx', 'S', 'C6') ~ ~ |
numbers = GET XLS CONSTANTS('in.xlsx', 'S', 6) ~ ~ |
formula = GET XLS CONSTANTS('in.xlsx', 'S', 'A20') ~ ~ |
corrupt = GET XLS CONSTANTS('corrupt.xlsx', 'S', 'A1') ~ ~ |
kind = GET XLS CONSTANTS('in.json', 'S', 'A1') ~ ~ |
""")
    (folder / "corrupt.xlsx").write_bytes(b"not a zip archive")
    (folder / "in.json").write_text("{}", encoding="utf-8")
    model, report = load(path)
    found = {e.element: e for e in report.entries if e.severity == "error"}
    assert "not found" in found["gone"].reason and found["gone"].line == 4
    assert "neither a cell address nor a named range" in found["bad range"].reason and found["bad range"].line == 5
    assert "empty or not a number" in found["empty"].reason and "A1" in found["empty"].reason
    assert "C12" in found["text cell"].reason
    assert "outside the model's folder" in found["up"].reason and found["up"].line == 8
    assert "outside the model's folder" in found["absolute"].reason
    assert "no sheet named 'T'" in found["no sheet"].reason
    assert "neither one row nor one column" in found["bad time"].reason
    assert "external data" in found["mixed"].reason
    assert "quoted texts" in found["numbers"].reason and found["numbers"].line == 13
    assert "A20" in found["formula"].reason
    assert "cannot read data file" in found["corrupt"].reason
    assert "unsupported data file type '.json'" in found["kind"].reason
    for name in found:  # every reported variable still exists, with the placeholder equation
        variable = model.find(name)
        assert isinstance(variable, Variable) and variable.equation == "0"
    results = solvers.compile(model).run()
    assert float(results.data["gone"][0, 0]) == 0.0


def test_data_variable_without_a_data_file_is_reported(tmp_path: Path) -> None:
    model, report = load(model_file(tmp_path, "series:INTERPOLATE: ~ ~ |\n"))
    entry = next(e for e in report.entries if e.element == "series")
    assert entry.line == 4 and "data.tab" in entry.reason and entry.severity == "error"
    assert model.find("series") is not None


def test_partial_definitions_fill_the_rest_with_zero(tmp_path: Path) -> None:
    workbook(tmp_path / "in.xlsx")
    model, report = load(model_file(tmp_path, "part[A] = GET XLS CONSTANTS('in.xlsx', 'S', 'C6') ~ ~ |\n"))
    variable = model.find("part")
    assert isinstance(variable, Variable) and variable.element_equations == {"A": "10", "B": "0"}
    assert any(e.element == "part" and "[B]" in e.reason for e in report.entries)


@pytest.mark.parametrize("case", ["get_data_args_3d_xls", "get_lookups_data_3d_xls", "get_subscript_3d_arrays_xls",
                                  "get_values_order", "get_with_missing_values_xlsx", "get_xls_cellrange",
                                  "partial_range_definitions", "with_lookup", "data_from_other_model"])
def test_suite_models_match_their_reference(case: str) -> None:
    path = next(p for p in (TESTS / case).glob("test_*.mdl"))
    model, report = load(path)
    assert not [e for e in report.entries if e.severity == "error"]
    results = solvers.compile(model).run()
    reference = sdref.read(TESTS / case / "output.tab")
    assert sdref.compare(reference, results, time=results.time, defined=sdref.defined_names(model)) == []
