"""The Papyrus SysML 1.6 recall benchmark: its report on some of the test models, and on a wrong oracle."""

from __future__ import annotations

import json

import pytest

from benchmarks import papyrus_recall

ORACLE = json.loads(papyrus_recall.ORACLE.read_text(encoding="utf-8"))
BY_ID = {entry["constraint"]: entry for entry in ORACLE["constraints"]}


def test_transcription_has_a_model_per_test_and_a_reason_per_unmapped_constraint() -> None:
    assert len(BY_ID) == len(ORACLE["constraints"]) == 64
    for entry in ORACLE["constraints"]:
        assert (papyrus_recall.MODELS / f"{entry['constraint']}.uml").is_file()
        assert entry["salver_rule"] or entry["why"], entry["constraint"]


def test_report_on_caught_missed_and_unimported_constraints() -> None:
    chosen = {"constraint.interfaceblock.porttype", "constraint.derivereqt.client", "constraint.fullport.notbehavioral",
              "constraint.optional.multiplicity"}
    results = {r.constraint: r for r in papyrus_recall.measure(ORACLE, only=chosen)}
    port_type = results["constraint.interfaceblock.porttype"]
    assert (port_type.salver, port_type.present, port_type.caught, port_type.false) == ("AR226", True, True, 0)
    derive = results["constraint.derivereqt.client"]
    assert (derive.caught, derive.false) == (True, 0)
    assert derive.others_on_valid == ("AR221",)  # its supplier is a plain class: DeriveReqt [1] holds it
    behavioral = results["constraint.fullport.notbehavioral"]  # a plain class's full port: a stub, unjudged
    assert (behavioral.salver, behavioral.present, behavioral.caught) == (None, True, False)
    optional = results["constraint.optional.multiplicity"]  # an activity parameter: not imported
    assert (optional.salver, optional.present, optional.caught) == (None, False, False)
    assert papyrus_recall.totals(list(results.values())) == {
        "constraints": 4, "mapped": 2, "present": 3, "caught": 2, "recall": 0.5, "false": 0}


def test_swapped_elements_count_as_missed_and_false() -> None:
    entry = dict(BY_ID["constraint.interfaceblock.porttype"])
    entry["invalid"], entry["valid"] = entry["valid"], entry["invalid"]
    result = papyrus_recall.measure({"constraints": [entry]})[0]
    assert (result.caught, result.false) == (False, 1)


def test_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert papyrus_recall.main(["--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["constraints"] == 64
    assert report["totals"]["caught"] == sum(c["caught"] for c in report["constraints"])
    assert report["totals"]["false"] == 0
