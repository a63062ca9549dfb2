"""``salver check``: text, JSON and SARIF output and exit codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.check_cli import add_check_parser
from tests.paths import MBSE_SAMPLES

SAMPLES = MBSE_SAMPLES
INCOSE = SAMPLES / "sysml1-papyrus-legacy" / "INCOSE.uml"
CAMEO = SAMPLES / "sysml1-cameo" / "CoffeeDispenser.mdzip"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="salver")
    add_check_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", *argv])
    return args.handler(args)


def test_clean_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(str(INCOSE)) == 0
    assert capsys.readouterr().out.strip().endswith("0 errors, 0 warnings, 0 notes")


def test_errors_exit_1_with_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(str(CAMEO)) == 1
    out = capsys.readouterr().out
    assert "error AR110 [Product]" in out and "1 errors, 7 warnings" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(str(CAMEO), "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"error": 1, "warning": 7, "info": 0, "suppressed": 0, "baseline": 0}
    assert {d["code"] for d in data["diagnostics"]} == {"AR110", "AR102", "AR114"}
    assert data["import_report"]["format"] == "sysml-xmi"


def test_sarif_file_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.sarif"
    assert _run(str(CAMEO), "--sarif", str(out), "--format", "sarif") == 1
    printed = json.loads(capsys.readouterr().out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert printed == written and written["version"] == "2.1.0"
    run = written["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "AR101" in rule_ids and "AR001" in rule_ids
    cycle = next(r for r in run["results"] if r["ruleId"] == "AR110")
    assert cycle["level"] == "error" and rule_ids[cycle["ruleIndex"]] == "AR110"
    location = cycle["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == CAMEO.as_uri()
    assert location["physicalLocation"]["region"]["startLine"] == 121  # Product's line in the model entry
    assert location["logicalLocations"][0]["name"] == "Product"
    assert {r["level"] for r in run["results"]} == {"error", "warning"}


@pytest.mark.parametrize("content, suffix", [("<project/>", ".xmi"), ("not xml at all", ".uml"),
                                             ("", ".mdl_unknown")])
def test_unreadable_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, suffix: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    assert _run(str(path)) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(str(tmp_path / "none.xmi")) == 2
    assert "no such file" in capsys.readouterr().err
