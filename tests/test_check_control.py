"""``salver check`` control: rule selection, salver-check.toml, suppressions, severities, baseline, SARIF."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from app.check_cli import add_check_parser
from tests.paths import MBSE_SAMPLES

CAMEO = MBSE_SAMPLES / "sysml1-cameo" / "CoffeeDispenser_MD19_native.xmi"
PRODUCT = "_18_5_1_78501b2_1501071476940_188908_14767"  # the block that composes itself (AR110)


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="salver")
    add_check_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["check", *argv]).handler(parser.parse_args(["check", *argv]))


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    status = _run(*argv, "--json")
    return status, json.loads(capsys.readouterr().out)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return Path(shutil.copy(CAMEO, tmp_path / CAMEO.name))


def test_select_and_ignore(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, data = _json(capsys, str(model), "--select", "AR11")
    assert status == 1 and {d["code"] for d in data["diagnostics"]} == {"AR110", "AR114"}
    status, data = _json(capsys, str(model), "--ignore", "AR110,AR114")
    assert status == 0 and {d["code"] for d in data["diagnostics"]} == {"AR102"}


def test_toml_beside_the_model_sets_severity_and_suppresses(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model.parent / "salver-check.toml").write_text(
        'ignore = ["AR102"]\n[severity]\nAR114 = "error"\nAR110 = "off"\n'
        '[[suppress]]\nrule = "AR114"\nelement = "Req_02"\nreason = "covered by test plan"\n', encoding="utf-8")
    status, data = _json(capsys, str(model))
    found = {(d["code"], d["element"]): d for d in data["diagnostics"]}
    assert {code for code, _ in found} == {"AR114"}
    assert all(d["severity"] == "error" for d in found.values())
    assert found[("AR114", "Req_02")]["suppressed"] == "covered by test plan"
    assert status == 1 and data["summary"]["error"] == 2 and data["summary"]["suppressed"] == 1


def test_suppression_in_the_elements_documentation(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = model.read_text(encoding="utf-8")
    marker = f"<packagedElement xmi:type='uml:Class' xmi:id='{PRODUCT}' name='Product'>"
    assert text.count(marker) == 1
    model.write_text(text.replace(marker, marker + "<ownedComment xmi:type='uml:Comment' xmi:id='c1' "
                                  "body='Recursive by intent. salver-ignore: AR110'/>"), encoding="utf-8")
    status, data = _json(capsys, str(model))
    assert status == 0
    cycle = next(d for d in data["diagnostics"] if d["code"] == "AR110")
    assert "salver-ignore" in cycle["suppressed"]


def test_baseline_fails_only_on_new_findings(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = tmp_path / "baseline.json"
    assert _run(str(model), "--write-baseline", str(baseline)) == 1
    capsys.readouterr()
    assert _run(str(model), "--baseline", str(baseline)) == 0
    assert "(8 baseline not shown)" in capsys.readouterr().out
    # a new error: a second self-composing part in another block
    text = model.read_text(encoding="utf-8")
    heater = "xmi:id='_18_5_1_78501b2_1501073269412_788076_15117' name='Water Heater'>"
    assert text.count(heater) == 1
    planted = text.replace(heater, heater + "<ownedAttribute xmi:type='uml:Property' xmi:id='loop' name='again' "
                           "aggregation='composite' type='_18_5_1_78501b2_1501073269412_788076_15117'/>")
    model.write_text(planted, encoding="utf-8")
    status, data = _json(capsys, str(model), "--baseline", str(baseline))
    new = [d for d in data["diagnostics"] if d["new"]]
    assert status == 1 and [d["code"] for d in new] == ["AR110"]


def test_bad_configuration_and_baseline_exit_2(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model.parent / "salver-check.toml").write_text("[severity]\nAR110 = 'loud'\n", encoding="utf-8")
    assert _run(str(model)) == 2 and "severity of AR110" in capsys.readouterr().err
    (model.parent / "salver-check.toml").write_text("select = [\n", encoding="utf-8")
    assert _run(str(model)) == 2 and "configuration" in capsys.readouterr().err
    (model.parent / "salver-check.toml").unlink()
    bad = tmp_path / "b.json"
    bad.write_text("{}", encoding="utf-8")
    assert _run(str(model), "--baseline", str(bad)) == 2 and "not a salver check baseline" in capsys.readouterr().err


def test_sarif_has_rule_help_lines_fingerprints_and_suppressions(model: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (model.parent / "salver-check.toml").write_text(
        '[[suppress]]\nrule = "AR114"\nelement = "Req_02"\n', encoding="utf-8")
    out = tmp_path / "r.sarif"
    _run(str(model), "--sarif", str(out))
    run = json.loads(out.read_text(encoding="utf-8"))["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "compose" in rules["AR110"]["help"]["text"] and rules["AR110"]["fullDescription"]["text"]
    cycle = next(r for r in run["results"] if r["ruleId"] == "AR110")
    assert cycle["locations"][0]["physicalLocation"]["region"]["startLine"] == 121
    assert cycle["partialFingerprints"]["salverFinding/v1"] == f"AR110:{PRODUCT}"
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert len(suppressed) == 1 and suppressed[0]["ruleId"] == "AR114"
