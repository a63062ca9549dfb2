"""Archi's own .archimate files: folders, elements, ArchiMate 2 names, nested diagram objects."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import importers
from metamodel.elements import Block, Package, Relation, Requirement
from metamodel.validation import arch_rules  # noqa: F401  (registers the AR rules)
from metamodel.validation.registry import run_rules
from tests.bad_input import exercise, fuzz_settings, load_fails, survives
from tests.test_importer_robustness import MUTATION, mutated

PLANTED = """<?xml version="1.0" encoding="UTF-8"?>
<archimate:model xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:archimate="http://www.archimatetool.com/archimate" name="Planted" id="m" version="2.6.0">
  <folder name="Business" id="fb" type="business">
    <element xsi:type="archimate:BusinessActor" id="a" name="Clerk" documentation="Front desk"/>
    <folder name="Inner" id="fi">
      <element xsi:type="archimate:BusinessProcess" id="p" name="Register"><documentation>Daily</documentation>
        <property key="owner" value="ops"/></element>
    </folder>
  </folder>
  <folder name="Technology" id="ft" type="technology">
    <element xsi:type="archimate:InfrastructureService" id="s" name="Storage"/>
  </folder>
  <folder name="Motivation" id="fm" type="motivation">
    <element xsi:type="archimate:Principle" id="g" name="Reuse"/>
    <element xsi:type="archimate:Goal" id="g2" name="Lower cost"/>
  </folder>
  <folder name="Relations" id="fr" type="relations">
    <element xsi:type="archimate:AssignmentRelationship" id="r1" source="a" target="p"/>
    <element xsi:type="archimate:UsedByRelationship" id="r2" source="s" target="p"/>
    <element xsi:type="archimate:RealisationRelationship" id="r3" source="p" target="g"/>
    <element xsi:type="archimate:TriggeringRelationship" id="r4" source="p" target="ghost"/>
  </folder>
  <folder name="Views" id="fv" type="diagrams">
    <element xsi:type="archimate:ArchimateDiagramModel" id="v" name="Desk">
      <child xsi:type="archimate:Group" id="grp" name="Front">
        <bounds x="10" y="20" width="400" height="200"/>
        <child xsi:type="archimate:DiagramObject" id="o1" archimateElement="a">
          <bounds x="30" y="40"/>
          <sourceConnection xsi:type="archimate:Connection" id="c1" source="o1" target="o2" relationship="r1">
            <bendpoint startX="5" startY="5" endX="-5" endY="-5"/>
          </sourceConnection>
        </child>
      </child>
      <child xsi:type="archimate:DiagramObject" id="o2" archimateElement="p">
        <bounds x="500" y="40" width="100" height="50"/>
      </child>
    </element>
    <element xsi:type="archimate:SketchModel" id="sk" name="Ideas"/>
  </folder>
</archimate:model>"""


def test_planted_archi_model(tmp_path: Path) -> None:
    path = tmp_path / "planted.archimate"
    path.write_text(PLANTED, encoding="utf-8")
    model, report = importers.load(path)
    assert report.format == "archi" and model.name == "Planted"
    assert isinstance(model["fi"], Package) and model["fi"].owner == "fb" and model["p"].owner == "fi"
    assert (model["a"].doc, model["p"].doc) == ("Front desk", "Daily")
    assert isinstance(model["s"], Block) and model["s"].stereotype == "TechnologyService"
    assert isinstance(model["g"], Requirement) and isinstance(model["g2"], Requirement)
    assert [model[r].relation for r in ("r1", "r2", "r3")] == ["assignment", "serving", "realization"]
    assert isinstance(model["r1"], Relation) and model["r1"].owner == "fr"
    view = model.views[0]
    assert view.name == "Desk" and len(model.views) == 1  # the sketch is counted, not imported
    clerk = view.shapes["a"]  # bounds relative to the group; no size: Archi's 120 x 55
    assert (clerk.x, clerk.y, clerk.width, clerk.height) == (100.0, 87.5, 120.0, 55.0)
    assert view.notes["grp"].text == "Front" and (view.links["r1"].source, view.links["r1"].target) == ("a", "p")
    assert any("relationship end 'ghost'" in e.reason and e.severity == "error" for e in report.entries)
    counted = " ".join(e.reason for e in report.entries if e.severity == "info")
    assert "x sketch or canvas view" in counted and "x bendpoint" in counted and "x property" in counted
    codes = Counter(d.code for d in run_rules(model, ("architecture",)))
    assert codes["AR114"] == 1  # the goal; the principle is realized


def test_not_an_archi_model_is_a_parse_error(tmp_path: Path) -> None:
    load_fails(tmp_path / "other.archimate", '<?xml version="1.0"?>\n<model xmlns="urn:x"/>',
               "not an Archi model: root element <model> in namespace urn:x")


@fuzz_settings(30)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=8))
def test_damaged_archi_files_never_escape(tmp_path_factory: pytest.TempPathFactory,
                                          mutations: list[tuple[float, int, int, bytes]]) -> None:
    target = tmp_path_factory.mktemp("archi") / "damaged.archimate"
    target.write_bytes(mutated(PLANTED.encode(), mutations))
    survives(lambda: exercise(target))
