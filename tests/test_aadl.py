"""AADL import (lark grammar) and the AADL checks: directions, data types, unconnected inputs, latency."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import importers
from metamodel.elements import Behavior, Block, Connector, FlowSpec, Part, Port
from metamodel.errors import ParseError
from metamodel.validation import run_rules
from metamodel.validation.aadl_rules import time_range

DATA = Path(__file__).parent / "data" / "aadl"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for source in DATA.glob("*.aadl"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


def _plant(folder: Path, old: str, new: str) -> Path:
    path = folder / "pipeline.aadl"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _findings(path: Path):
    model, _ = importers.load(path)
    return [d for d in run_rules(model, ["architecture"])]


def test_structure_is_mapped(folder: Path) -> None:
    model, report = importers.load(folder / "pipeline.aadl")
    assert isinstance(model["Pipeline::sampler"], Block) and model["Pipeline::sampler"].stereotype == "thread"
    assert model["Pipeline::control.impl"].stereotype == "process implementation"
    raw = model["Pipeline::sampler.raw"]
    assert isinstance(raw, Port) and (raw.direction, raw.port_kind) == ("in", "data port")
    assert raw.flow_type == "Pipeline_Types::Reading"  # read from the package file beside the model
    assert model["Base_Types::Float"].library
    part = model["Pipeline::plant.impl.s2"]
    assert isinstance(part, Part) and part.type == "Pipeline::sampler.impl"
    c1 = model["Pipeline::plant.impl.c1"]
    assert isinstance(c1, Connector) and c1.directed and c1.properties["latency"] == "1 ms .. 2 ms"
    assert [(e.role, e.part_with_port) for e in c1.ends] == [
        ("Pipeline::sensor.measured", "Pipeline::plant.impl.sen"), ("Pipeline::sampler.raw", "Pipeline::plant.impl.s2")]
    e2e = model["Pipeline::plant.impl.e2e"]
    assert isinstance(e2e, FlowSpec) and e2e.flow_kind == "end_to_end" and len(e2e.steps) == 7
    assert e2e.steps[2].element == "Pipeline::sampler.pass" and e2e.steps[2].part == "Pipeline::plant.impl.s2"
    assert model["Pipeline::sampler"].properties["period"] == "20 ms"
    assert model["Pipeline::plant.impl.c3"].properties["timing"] == "Immediate"
    modes = [b for b in model.of_kind(Behavior) if b.behavior_kind == "mode"]
    assert {(m.name, m.initial) for m in modes} == {("nominal", True), ("degraded", False)}
    assert report.ok


def test_clean_model_finds_only_the_unconnected_gain(folder: Path) -> None:
    codes = Counter(d.code for d in _findings(folder / "pipeline.aadl"))
    assert codes == {"AR121": 2}  # filter's gain input is fed by nothing in either place it is used


def test_latency_as_osate_computes_it(folder: Path) -> None:
    # 1 (source) + 1..2 (c1) + up to 20 sampling into s2 + 1..10 (s2) + up to 50 sampling into f2
    # + 2..4 (smooth) + 3 (sink) = 8..90 ms
    path = _plant(folder, "{Latency => 0 ms .. 100 ms;}", "{Latency => 0 ms .. 80 ms;}")
    latency = [d for d in _findings(path) if d.code == "AR120"]
    assert len(latency) == 1 and "90 ms" in latency[0].message and "minimum 8 ms" in latency[0].message


def test_direction_and_type_mismatches(folder: Path) -> None:
    path = _plant(folder, "c2: port s2.value -> f2.input;", "c2: port f2.input -> s2.value;")
    _plant(folder, "c4: port sen.measured -> ctl.sense_in;", "c4: port sen.measured -> f2.gain;")
    codes = Counter(d.code for d in _findings(path))
    assert codes["AR005"] == 1  # c2 runs from an input to an output
    assert codes["AR002"] == 1  # c4 carries a Reading into a Float


def test_unknown_package_and_classifier(folder: Path) -> None:
    path = _plant(folder, "s2: thread sampler.impl;", "s2: thread Elsewhere::sampler.impl;")
    dangling = [d for d in _findings(path) if d.code == "AR101"]
    assert len(dangling) == 1 and "Elsewhere" in dangling[0].message


def test_time_ranges() -> None:
    assert time_range("6 ms .. 10 ms") == pytest.approx((0.006, 0.01))
    assert time_range("2 sec") == (2.0, 2.0)
    assert time_range("Periodic") is None and time_range("3 furlongs") is None


def test_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.aadl"
    path.write_text("package P\npublic\n  thread t\n  features\n    x : sideways data port;\n  end t;\nend P;\n",
                    encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        importers.load(path)
    assert caught.value.line == 5


def test_names_are_case_insensitive(folder: Path) -> None:
    path = _plant(folder, "c2: port s2.value -> f2.input;", "c2: port S2.VALUE -> f2.Input;")
    assert Counter(d.code for d in _findings(path)) == {"AR121": 2}


def test_a_file_without_packages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.aadl"
    path.write_text("-- nothing here\n", encoding="utf-8")
    with pytest.raises(ParseError, match="AADL syntax"):
        importers.load(path)


RENAMED = """package Types
public
  data Sample
  end Sample;
  device sensor
    features
      reading: out data port Sample;
  end sensor;
end Types;
"""
SYSTEM = """package Plant
public
  with Types;
  renames Types::all;
  sense renames device Types::sensor;
  T renames package Types;
  process filter
    features
      raw: in data port Sample;
      level: in data port T::Sample;
  end filter;
  system top
  end top;
  system implementation top.base
    subcomponents
      s: device sense;
      f: process filter;
    connections
      c1: port s.reading -> f.raw;
      c2: port s.reading -> f.level;
  end top.base;
  system implementation top.refined extends top.base
    subcomponents
      f: refined to process filter;
      g: process filter;
  end top.refined;
end Plant;
"""


def test_renamed_classifiers_and_inherited_connections(tmp_path: Path) -> None:
    (tmp_path / "Types.aadl").write_text(RENAMED, encoding="utf-8")
    (tmp_path / "Plant.aadl").write_text(SYSTEM, encoding="utf-8")
    model, _ = importers.load(tmp_path / "Plant.aadl")
    # 'renames Types::all', an alias of a classifier and one of a package: all resolve to Types
    assert model["Plant::filter.raw"].type == model["Plant::filter.level"].type == "Types::Sample"
    assert model["Plant::top.base.s"].type == "Types::sensor"
    findings = [d for d in run_rules(model, ["architecture"])]
    assert not [d for d in findings if d.code == "AR101"]
    # the refined f keeps the connections of top.base; the added g has none
    assert sorted((d.code, d.element_id) for d in findings) == [("AR121", "Plant::top.refined.g")] * 2


def test_package_no_file_defines_is_one_finding(tmp_path: Path) -> None:
    """A package named in 'with' that no file beside the model defines gives one AR126 finding naming
    it and the file that uses it; classifiers that may come from it (qualified, or unqualified through
    'renames P::all') are not reported again as missing (AR101), nor compared across connections (AR002)."""
    (tmp_path / "top.aadl").write_text(
        "package Top\npublic\n  with Types;\n  renames Types::all;\n  with Lib;\n"
        "  system S\n    features\n      i: in data port Types::Reading;\n      o: out data port Sample;\n"
        "  end S;\n  system T\n    features\n      i: in data port Lib::Reading;\n  end T;\n"
        "  system W\n  end W;\n  system implementation W.impl\n    subcomponents\n      s: system S;\n"
        "      t: system T;\n    connections\n      c: port s.o -> t.i;\n  end W.impl;\nend Top;\n",
        encoding="utf-8")
    found = _findings(tmp_path / "top.aadl")
    missing = sorted(d.message for d in found if d.code == "AR126")
    assert len(missing) == 2 and "'Lib'" in missing[0] and "'Types'" in missing[1], missing
    assert all("top.aadl" in message for message in missing)
    assert "2 elements" in missing[1]
    assert [d.message for d in found if d.code in ("AR101", "AR002")] == []
    _, report = importers.load(tmp_path / "top.aadl")
    assert report.lines["package:Types"] == 3 and report.lines["package:Lib"] == 5


def test_property_set_beside_the_model_is_found(tmp_path: Path) -> None:
    """A property set named in 'with' and defined in a file beside the model is not a missing package."""
    (tmp_path / "props.aadl").write_text("property set Acme is\n  Author: aadlstring applies to (all);\n"
                                         "end Acme;\n", encoding="utf-8")
    (tmp_path / "top.aadl").write_text("package Top\npublic\n  with Acme;\n  system S\n    properties\n"
                                       "      Acme::Author => \"me\";\n  end S;\nend Top;\n", encoding="utf-8")
    model, report = importers.load(tmp_path / "top.aadl")
    assert [d.message for d in run_rules(model, ["architecture"]) if d.code == "AR126"] == []
    assert report.ok
