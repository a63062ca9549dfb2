"""``salver sensitivity | calibrate | optimize`` and ``salver run --sweep --out x.parquet``: files, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import solvers
from app.cli import main
from solvers.output.parquet import RunTable
from tests.paths import SD_MODELS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SIR = str(SAMPLES / "sir.salver")
TEACUP_MDL = str(SD_MODELS / "samples" / "teacup" / "teacup.mdl")


def test_sensitivity_writes_parquet_bands_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out, plot = tmp_path / "mc.parquet", tmp_path / "bands.png"
    code = main(["sensitivity", SIR, "--vary", "Contact Rate=uniform(2, 6)", "--vary", "Duration=normal(5, 1, low=2)",
                 "--runs", "60", "--seed", "3", "--out", str(out), "--plot", str(plot), "--plot-variable", "Infected"])
    assert code == 0
    table = RunTable(out)
    assert table.runs == 60 and table.parameters()["Duration"].min() >= 2
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = capsys.readouterr().out
    assert "60 runs (lhs, seed 3)" in text and "Infected" in text and "mc.parameters.parquet" in text


def test_sensitivity_json_reports_the_final_percentiles(capsys: pytest.CaptureFixture) -> None:
    code = main(["sensitivity", TEACUP_MDL, "--vary", "Characteristic Time=uniform(5, 15)", "--runs", "16",
                 "--sampling", "sobol", "--seed", "1", "--plot-variable", "Teacup Temperature", "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    final = document["final"]["Teacup Temperature"]
    assert document["sampling"] == "sobol" and document["runs"] == 16 and final["time"] == 30
    assert final["percentiles"]["0"] <= final["percentiles"]["50"] <= final["percentiles"]["100"]


def test_sensitivity_follows_a_vensim_control_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    control = tmp_path / "sir.vsc"
    control.write_text("40,L,7,,0\nContact Rate=RANDOM UNIFORM(2,6)\nDuration=RANDOM NORMAL(3,7,5,1)\n")
    out = tmp_path / "runs.parquet"
    assert main(["sensitivity", SIR, "--control", str(control), "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["runs"], document["sampling"], document["seed"]) == (40, "lhs", 7)
    durations = RunTable(out).parameters()["Duration"]
    assert durations.min() >= 3 and durations.max() <= 7
    assert main(["sensitivity", SIR, "--control", str(control), "--runs", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 8  # the command line wins over the file


def test_sensitivity_indices_in_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["sensitivity", SIR, "--vary", "Contact Rate=uniform(2, 6)", "--vary", "Duration=uniform(4, 6)",
                 "--indices", "morris", "--output", "Infected", "--statistic", "max", "--runs", "8", "--seed", "2",
                 "--json", "--plot", str(tmp_path / "indices.png")])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["method"] == "morris" and document["runs"] == 8 * 3
    assert set(document["indices"]) == {"Contact Rate", "Duration"}
    assert (tmp_path / "indices.png").stat().st_size > 0


def test_calibrate_prints_the_documented_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sir = solvers.load(SIR)
    run = sir.run(params={"Contact Rate": 2.8, "Duration": 6.0})
    data = tmp_path / "data.csv"
    rows = [f"{t},{v}" for t, v in zip(run.time.tolist()[::5], run["Infected"][::5, 0].tolist(), strict=True)]
    data.write_text("Time,Infected\n" + "\n".join(rows) + "\n")
    plot = tmp_path / "fit.png"
    code = main(["calibrate", SIR, "--data", str(data), "--fit", "Contact Rate=1:6", "--fit", "Duration=1:10",
                 "--weights", "Infected=0.5", "--method", "powell", "--json", "--plot", str(plot)])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert {"parameters", "payoff", "intervals"} <= set(document)
    assert document["parameters"]["Contact Rate"] == pytest.approx(2.8, rel=1e-5)
    assert document["parameters"]["Duration"] == pytest.approx(6.0, rel=1e-5)
    low, high = document["intervals"]["Duration"]  # exact data: an interval of (almost) no width at the truth
    assert low <= high and low == pytest.approx(6.0, rel=1e-5) and high == pytest.approx(6.0, rel=1e-5)
    assert plot.stat().st_size > 0


def test_optimize_prints_the_best_policy(capsys: pytest.CaptureFixture) -> None:
    code = main(["optimize", SIR, "--policy", "Contact Rate=1.5:6", "--payoff", "Recovered", "--minimize",
                 "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["parameters"]["Contact Rate"] == pytest.approx(1.5, abs=1e-3)


def test_run_sweep_streams_every_run_to_parquet(tmp_path: Path) -> None:
    out = tmp_path / "sweep.parquet"
    assert main(["run", SIR, "--sweep", "Contact Rate=1:5:5", "--out", str(out)]) == 0
    table = RunTable(out)
    assert table.runs == 5 and np.array_equal(table.parameters()["Contact Rate"], np.linspace(1, 5, 5))
    direct = solvers.load(SIR).run(params={"Contact Rate": np.linspace(1, 5, 5)})
    assert np.array_equal(table.column("Infected"), direct["Infected"])


@pytest.mark.parametrize("argv", [
    ["sensitivity", SIR, "--vary", "Contact Rat=uniform(2, 6)"],
    ["sensitivity", SIR, "--vary", "Contact Rate=gamma(2, 6)"],
    ["sensitivity", SIR, "--vary", "Contact Rate"],
    ["sensitivity", SIR],
    ["sensitivity", SIR, "--vary", "Contact Rate=uniform(2, 6)", "--sampling", "grid", "--runs", "0"],
    ["sensitivity", SIR, "--vary", "Contact Rate=uniform(2, 6)", "--indices", "sobol"],
    ["sensitivity", SIR, "--vary", "Contact Rate=uniform(2, 6)", "--out", "x.csv"],
    ["calibrate", SIR, "--data", "missing.csv", "--fit", "Contact Rate=1:6"],
    ["calibrate", SIR, "--data", SIR, "--fit", "Contact Rate=1:6"],
    ["optimize", SIR, "--policy", "Contact Rate=6:1", "--payoff", "Recovered"],
    ["optimize", SIR, "--policy", "Contact Rate=1:6", "--payoff", "Recovered=heavy"],
])
def test_bad_requests_exit_2_with_a_message(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("salver: error: ")
