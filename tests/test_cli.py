"""The ``salver`` command line: run, validate, info, convert; exit codes and messages."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.cli import main
from metamodel import io
from metamodel.elements import Aux
from tests.paths import SD_MODELS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SUITE_TEACUP = SD_MODELS / "samples" / "teacup"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_writes_csv_with_time_and_display_names(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert main(["run", str(SAMPLES / "teacup.salver"), "--set", "Room Temperature=20", "--out", str(out)]) == 0
    rows = read_csv(out)
    assert list(rows[0])[0] == "time" and "Teacup Temperature" in rows[0]
    assert float(rows[0]["Room Temperature"]) == 20 and float(rows[-1]["time"]) == 30


def test_sweep_writes_a_long_table(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert main(["run", str(SAMPLES / "sir.salver"), "--sweep", "Contact Rate=1:5:3", "--out", str(out)]) == 0
    rows = read_csv(out)
    assert list(rows[0])[:3] == ["run", "Contact Rate", "time"]
    assert {r["run"] for r in rows} == {"0", "1", "2"}
    assert {float(r["Contact Rate"]) for r in rows} == {1.0, 3.0, 5.0}
    assert len(rows) == 3 * 101


def test_run_plot_writes_a_png(tmp_path: Path) -> None:
    plot = tmp_path / "p.png"
    assert main(["run", str(SAMPLES / "predator_prey.salver"), "--plot", str(plot)]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_xmile_from_the_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SUITE_TEACUP / "teacup.xmile"), "--method", "rk4", "--stop", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("time,") and float(lines[-1].split(",")[0]) == 5


@pytest.mark.parametrize("args, code, message", [
    (["run", "missing.salver"], 2, "cannot read file"),
    (["run", "model.txt"], 2, "unsupported file type"),
    (["run", "SAMPLE", "--set", "nonsense"], 2, "expected NAME=VALUE"),
    (["run", "SAMPLE", "--set", "Room Temperature=warm"], 2, "is not a number"),
    (["run", "SAMPLE", "--sweep", "Room Temperature=1:2"], 2, "LOW:HIGH:N"),
    (["run", "SAMPLE", "--set", "ghost=1"], 1, "unknown parameter 'ghost'"),
    (["run", "SAMPLE", "--method", "magic"], 1, "unknown method"),
])
def test_bad_input_gets_a_message_and_exit_code(args: list[str], code: int, message: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(SAMPLES / "teacup.salver") if a == "SAMPLE" else a for a in args]
    assert main(args) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_validate_samples_clean_and_broken_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", *map(str, sorted(SAMPLES.glob("*.salver")))]) == 0
    model = io.load(SAMPLES / "teacup.salver")
    model.add(Aux("bad", "Bad", equation="ghost * (2"))
    broken = tmp_path / "broken.salver"
    io.save(model, broken)
    capsys.readouterr()
    assert main(["validate", str(broken), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert "SD001" in {d["code"] for d in document["diagnostics"]}


def test_validate_damaged_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damaged = tmp_path / "d.salver"
    damaged.write_text('{"format": "salver", "version": 1, "elements": {"x": {"kind": "stock", "id": 5')
    assert main(["validate", str(damaged)]) == 2
    assert "line 1" in capsys.readouterr().err


def test_info_json_counts_by_singular_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(SAMPLES / "sir.salver"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["counts"]["stock"] == 3 and info["counts"]["flow"] == 2 and info["counts"]["block"] == 0
    assert info["sim_spec"]["stop"] == 100


def test_convert_to_xmile_and_back(tmp_path: Path) -> None:
    xmile = tmp_path / "sir.xmile"
    back = tmp_path / "sir.salver"
    assert main(["convert", str(SAMPLES / "sir.salver"), str(xmile)]) == 0
    assert main(["convert", str(xmile), str(back)]) == 0
    original = read_csv_results(SAMPLES / "sir.salver", tmp_path / "a.csv")
    again = read_csv_results(back, tmp_path / "b.csv")
    assert original == again


def read_csv_results(model: Path, out: Path) -> list[dict[str, str]]:
    assert main(["run", str(model), "--out", str(out)]) == 0
    return read_csv(out)


def test_convert_to_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["convert", str(SAMPLES / "sir.salver"), str(tmp_path / "x.docx")]) == 2


def test_architecture_without_behaviour_has_nothing_to_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(SAMPLES / "pump_station.salver")]) == 1
    assert "nothing to simulate" in capsys.readouterr().err


def test_unexpected_failure_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    def broken(path: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.delenv("SALVER_DEBUG", raising=False)
    monkeypatch.setattr("app.cli._load", broken)
    assert main(["info", str(SAMPLES / "sir.salver")]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: disk on fire" in err and "Traceback" not in err
