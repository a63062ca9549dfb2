"""Budgets and degenerate run settings: a run that would not fit in memory is refused before it starts,
foreign files are size-checked before they are read, and run settings that would give silently poor
results (no runs, a step longer than the run, an explicit step too long for a stiff model) are said."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import solvers
from app.cli import main
from importers import load
from metamodel.elements import Aux, Flow, Stock
from metamodel.errors import ModelError, ParseError
from metamodel.model import Model
from solvers import budget
from solvers.stability import StiffnessWarning


def wide(variables: int, stop: float = 1000.0) -> Model:
    model = Model(name="wide")
    for index in range(variables):
        model.add(Aux(f"a{index}", f"a{index}", equation=f"TIME * {index}"))
    model.sim_spec.stop = stop
    return model


def decay(rate: float, dt: float, stop: float, method: str = "euler") -> Model:
    model = Model(name="decay")
    model.add(Stock("x", "x", equation="1", outflows=["out"]))
    model.add(Flow("out", "out", equation=f"x * {rate}"))
    model.sim_spec.dt, model.sim_spec.stop, model.sim_spec.method = dt, stop, method
    return model


# -- memory ---------------------------------------------------------------------------------------------
def test_a_run_larger_than_the_memory_budget_is_refused_with_a_remedy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(budget.MEMORY_ENV, "100k")
    compiled = solvers.compile(wide(50))
    with pytest.raises(budget.BudgetError, match=r"1001 saved times x 50 variables x 1 run.*save less often"):
        compiled.run()
    assert compiled.run(save_per=10).time.size == 101  # a coarser save period fits
    with pytest.raises(budget.BudgetError, match="x 40 run"):
        compiled.run(save_per=10, runs=40)


@pytest.mark.parametrize("text, limit", [("512", 512), ("2k", 2048), ("1.5G", 3 * 1024**3 // 2), ("8GiB", 8 * 1024**3)])
def test_the_memory_budget_reads_sizes(monkeypatch: pytest.MonkeyPatch, text: str, limit: int) -> None:
    monkeypatch.setenv(budget.MEMORY_ENV, text)
    assert budget.memory_limit() == limit


def test_a_nonsense_memory_budget_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(budget.MEMORY_ENV, "lots")
    with pytest.raises(budget.BudgetError, match="not a size"):
        solvers.compile(wide(2, stop=2)).run()


def test_the_default_budget_is_half_the_memory_and_refuses_the_huge_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(budget.MEMORY_ENV, raising=False)
    assert budget.memory_limit() > 0
    huge = solvers.compile(wide(400, stop=10**6))  # 400 variables x 10^6 steps: tens of GB as Python floats
    with pytest.raises(budget.BudgetError, match="more than the"):
        huge.run(runs=50)


def test_the_cli_says_what_to_change(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from metamodel import io

    monkeypatch.setenv(budget.MEMORY_ENV, "100k")
    io.save(wide(50), tmp_path / "wide.salver")
    assert main(["run", str(tmp_path / "wide.salver")]) == 1
    assert "--save-per" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "wide.salver"), "--save-per", "10", "--out", str(tmp_path / "r.csv")]) == 0
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 102


# -- size limits of foreign files -----------------------------------------------------------------------
def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)  # no disk space used: the size check must refuse it before reading
    return path


@pytest.mark.parametrize("name, size", [("big.mdl", 64 * 1024**2 + 1), ("big.xmile", 512 * 1024**2 + 1),
                                        ("big.uml", 512 * 1024**2 + 1), ("big.sysml", 64 * 1024**2 + 1),
                                        ("big.salver", 200 * 1024**2 + 1)])
def test_oversized_files_are_refused_before_reading(tmp_path: Path, name: str, size: int) -> None:
    path = _sparse(tmp_path / name, size)
    with pytest.raises(ParseError, match=r"larger than|allowed") as info:
        load(path)
    assert info.value.file == str(path)


def test_an_oversized_onnx_file_is_refused_before_reading(tmp_path: Path) -> None:
    from solvers.neural import MAX_ONNX_BYTES, read_signature

    with pytest.raises(ModelError, match="more than the"):
        read_signature(_sparse(tmp_path / "big.onnx", MAX_ONNX_BYTES + 1))


def test_an_xlsx_that_inflates_too_far_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(book, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
        chunk = b"\0" * (16 * 1024**2)
        for _ in range(17):  # 272 MiB inflated, a few hundred KiB on disk
            member.write(chunk)
    assert book.stat().st_size < 2 * 1024**2
    model = tmp_path / "m.mdl"
    model.write_text("{UTF-8}\nx = GET XLS CONSTANTS('bomb.xlsx', 'S', 'A1') ~ ~ |\nINITIAL TIME = 0 ~ ~ |\n"
                     "FINAL TIME = 1 ~ ~ |\nTIME STEP = 1 ~ ~ |\n", encoding="utf-8")
    _model, report = load(model)
    assert any("inflates to" in e.reason and e.severity == "error" for e in report.errors)


# -- run settings -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("runs", [0, -3, 2.5, True])
def test_runs_must_be_a_positive_whole_number(runs: object) -> None:
    with pytest.raises(ModelError, match="runs must be a whole number"):
        solvers.compile(decay(1, 0.5, 2)).run(runs=runs)  # type: ignore[arg-type]


def test_a_step_longer_than_the_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ModelError, match="longer than the run from 0 to 2"):
        solvers.compile(decay(1, 5, 2)).run()
    assert solvers.compile(decay(1, 2, 2)).run().time.tolist() == [0.0, 2.0]
    assert solvers.compile(decay(1, 2, 0)).run().time.tolist() == [0.0]  # no horizon: the initial time only


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_an_explicit_step_too_long_for_a_stiff_model_warns(method: str) -> None:
    compiled = solvers.compile(decay(rate=1000, dt=0.01 if method == "euler" else 0.003, stop=1, method=method))
    with pytest.warns(StiffnessWarning, match=f"too long for {method.upper()}.*implicit method"):
        results = compiled.run()
    assert abs(results["x"][-1, 0]) > 1e6  # the divergence the warning explains
    assert results.metadata["warnings"] and "bdf" in results.metadata["warnings"][0]
    implicit = compiled.run(method="bdf")
    assert implicit.metadata["warnings"] == [] and abs(implicit["x"][-1, 0]) < 1e-6


def test_fast_growth_without_stiffness_does_not_warn(recwarn: pytest.WarningsRecorder) -> None:
    results = solvers.compile(decay(rate=-0.5, dt=0.25, stop=40)).run()
    assert results["x"][-1, 0] > 1e8
    assert results.metadata["warnings"] == [] and not recwarn.list


def test_a_stiff_model_that_overflows_names_the_remedy() -> None:
    with pytest.raises(solvers.model_run.SimulationError, match="infinite.*too long for EULER"):
        solvers.compile(decay(rate=1000, dt=0.01, stop=10)).run()


def test_the_cli_prints_the_stiffness_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from metamodel import io

    io.save(decay(rate=1000, dt=0.01, stop=1), tmp_path / "stiff.salver")
    assert main(["run", str(tmp_path / "stiff.salver"), "--out", str(tmp_path / "r.csv")]) == 0
    err = capsys.readouterr().err
    assert "salver: warning:" in err and "--method bdf" in err and err.count("too long") == 1
