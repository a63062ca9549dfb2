"""ArchiMate exchange format import: the Archisurance sample, views, .xml sniffing and bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import importers
from metamodel.elements import Block, Package, Relation, Requirement
from metamodel.validation import arch_rules  # noqa: F401  (registers the AR rules)
from metamodel.validation.registry import run_rules
from tests.bad_input import load_fails
from tests.paths import MBSE_SAMPLES

ARCHISURANCE = MBSE_SAMPLES / "archimate" / "archisurance.xml"

# Counted in the file: 120 <element> (9 of them Principle), 178 <relationship>, 23 organization folders
# (<item> with a <label>), 17 <view>; 222 element nodes of which one shows an element a second time in
# its view, 199 <connection>, 12 Label and 15 Container nodes.
RELATION_TYPES = {"flow": 33, "serving": 32, "realization": 31, "association": 28, "access": 14,
                  "triggering": 13, "aggregation": 11, "assignment": 6, "composition": 5, "specialization": 5}

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="m">\n<name xml:lang="en">Planted</name>\n')


@pytest.fixture(scope="module")
def archisurance():
    return importers.load(ARCHISURANCE)


def test_sample_counts(archisurance) -> None:
    model, report = archisurance
    assert model.name == "Archisurance"
    counts = Counter(e.kind for e in model.elements.values())
    assert counts == {"block": 111, "requirement": 9, "relation": 178, "package": 23}
    assert Counter(r.relation for r in model.of_kind(Relation)) == RELATION_TYPES
    stereotypes = Counter(b.stereotype for b in model.of_kind(Block))
    assert stereotypes["BusinessActor"] == 17 and stereotypes["ApplicationComponent"] == 10
    assert stereotypes["Node"] == 4
    assert report.ok and {e.severity for e in report.entries} == {"info"}
    reasons = [e.reason for e in report.entries]
    assert "9 x Principle imported as Requirement (the ArchiMate type is not kept)" in reasons
    assert any(r.startswith("14 x accessType not imported") for r in reasons)
    assert any(r.startswith("1 x duplicate shape not imported") for r in reasons)


def test_sample_references_folders_and_views(archisurance) -> None:
    model, _ = archisurance
    for relation in model.of_kind(Relation):
        assert all(ref in model.elements for ref in (*relation.sources, *relation.targets))
    mail = model["id-1544"]
    assert isinstance(mail, Block) and mail.stereotype == "BusinessInterface" and mail.name == "mail"
    folder = model[mail.owner]
    assert isinstance(folder, Package) and folder.name == "Actors" and model[folder.owner].name == "Business"
    assert len(model.views) == 17 and {v.kind for v in model.views} == {"block"}
    assert sum(len(v.shapes) for v in model.views) == 221
    assert sum(len(v.links) for v in model.views) == 199
    assert sum(len(v.notes) for v in model.views) == 27
    layered = next(v for v in model.views if v.name == "Layered View")
    # a node nested in a container: x=284 y=553 w=133 h=60 in the file, absolute already; stored as centre
    shape = layered.shapes["id-1220"]
    assert (shape.x, shape.y, shape.width, shape.height) == (350.5, 583.0, 133.0, 60.0)
    link = layered.links["id-1446"]
    assert (link.source, link.target) == ("id-1220", "id-564")
    for view in model.views:
        assert all(key in model.elements for key in view.shapes)
        assert all(link.source in model.elements and link.target in model.elements for link in view.links.values())


def test_sample_checks(archisurance) -> None:
    model, _ = archisurance
    diagnostics = run_rules(model, ("architecture",))
    assert not any(d.severity == "error" for d in diagnostics)
    codes = Counter(d.code for d in diagnostics)
    assert codes == {"AR114": 9, "AR111": 4}  # unrealized principles; 'LAN', 'phone'… twice in one folder
    uncovered = [d.message for d in diagnostics if d.code == "AR114"]  # names what would cover a principle
    assert all("realization or influence relation" in m for m in uncovered), uncovered[0]


def test_planted_nested_nodes_bendpoints_and_dangling_end(tmp_path: Path) -> None:
    text = HEAD + """<elements>
  <element identifier="a" xsi:type="Goal"><name xml:lang="en">Grow</name>
    <documentation xml:lang="en">More customers</documentation></element>
  <element identifier="b" xsi:type="Node"><name xml:lang="en">Server</name></element>
</elements>
<relationships>
  <relationship identifier="r1" source="b" target="a" xsi:type="Realization"/>
  <relationship identifier="r2" source="b" target="ghost" xsi:type="Serving"/>
</relationships>
<views><diagrams><view identifier="v" xsi:type="Diagram"><name xml:lang="en">V</name>
  <node identifier="n1" xsi:type="Container" x="10" y="20" w="300" h="200"><label xml:lang="en">Group</label>
    <node identifier="n2" elementRef="b" xsi:type="Element" x="40" y="60" w="100" h="50"/>
  </node>
  <node identifier="n3" elementRef="a" xsi:type="Element" x="400" y="60" w="120" h="40"/>
  <connection identifier="c1" relationshipRef="r1" xsi:type="Relationship" source="n2" target="n3">
    <bendpoint x="200" y="30"/>
  </connection>
</view></diagrams></views>
</model>"""
    path = tmp_path / "planted.xml"
    path.write_text(text, encoding="utf-8")
    model, report = importers.load(path)
    goal = model["a"]
    assert isinstance(goal, Requirement) and goal.text == "More customers"
    view = model.views[0]
    assert (view.shapes["b"].x, view.shapes["b"].y) == (90.0, 85.0)
    assert view.notes["n1"].text == "Group"
    assert view.links["r1"].points == [(200.0, 30.0)]
    assert not report.ok
    assert any("relationship end 'ghost'" in e.reason and e.severity == "error" for e in report.entries)
    codes = Counter(d.code for d in run_rules(model, ("architecture",)))
    assert codes["AR101"] == 1 and codes["AR114"] == 0  # the goal is realized by the server


def test_planted_2_1_exchange_file_reads_as_3(tmp_path: Path) -> None:
    """The 2.1 format (namespace without version): labels, lower-case references, ``organization`` and
    ``views/view``, 2.1 type names mapped to ArchiMate 3's."""
    text = """<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  identifier="m"><name>Old</name>
<elements>
  <element identifier="p" xsi:type="Principle"><label>Reuse</label></element>
  <element identifier="s" xsi:type="InfrastructureService"><label>Storage</label></element>
  <element identifier="n" xsi:type="Network"><label>LAN</label></element>
  <element identifier="c" xsi:type="ApplicationComponent"><label>CRM</label></element>
</elements>
<relationships>
  <relationship identifier="r1" source="s" target="c" xsi:type="UsedByRelationship"/>
  <relationship identifier="r2" source="c" target="p" xsi:type="RealisationRelationship"><label>follows</label>
  </relationship>
  <relationship identifier="r3" source="n" target="s" xsi:type="AssociationRelationship"/>
</relationships>
<organization><item><label>Technology</label><item identifierref="s"/><item identifierref="n"/></item></organization>
<views><view identifier="v"><label>Landscape</label>
  <node identifier="n1" elementref="c" x="0" y="0" w="100" h="40"/>
  <node identifier="n2" elementref="s" x="0" y="100" w="100" h="40"/>
  <connection identifier="k" relationshipref="r1" source="n2" target="n1"/>
</view></views>
</model>"""
    path = tmp_path / "old.xml"
    path.write_text(text, encoding="utf-8")
    model, report = importers.load(path)
    assert report.format == "archimate" and report.ok
    assert (model.name, model["c"].name, model["r2"].name) == ("Old", "CRM", "follows")
    assert (model["s"].stereotype, model["n"].stereotype) == ("TechnologyService", "CommunicationNetwork")
    assert [model[i].relation for i in ("r1", "r2", "r3")] == ["serving", "realization", "association"]
    folder = model[model["s"].owner]
    assert isinstance(folder, Package) and folder.name == "Technology" and model["n"].owner == folder.id
    view = model.views[0]
    assert view.name == "Landscape" and set(view.shapes) == {"c", "s"} and set(view.links) == {"r1"}
    assert not [d for d in run_rules(model, ("architecture",)) if d.code == "AR114"]  # the principle is realized


@pytest.mark.parametrize("text, message", [
    (HEAD + "<elements><element identifier='x'", "malformed XML"),
    ('<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
     '<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/">&b;</model>', "entity declarations"),
    ('<?xml version="1.0"?>\n<!-- a note -->\n<svg xmlns="http://www.w3.org/2000/svg"/>',
     r"unsupported \.xml content: root element <svg> in namespace http://www\.w3\.org/2000/svg"),
    ("plain text, no markup", "no root element found"),
])
def test_bad_input_is_a_parse_error(tmp_path: Path, text: str, message: str) -> None:
    load_fails(tmp_path / "bad.xml", text, message)


def test_xml_is_a_supported_extension_and_prefixed_roots_are_sniffed(tmp_path: Path) -> None:
    assert ".xml" in importers.supported_extensions()
    path = tmp_path / "prefixed.xml"
    path.write_text('<?xml version="1.0"?>\n<a:model xmlns:a="http://www.opengroup.org/xsd/archimate/3.0/" '
                    'identifier="m"><a:name>P</a:name></a:model>', encoding="utf-8")
    model, report = importers.load(path)
    assert model.name == "P" and report.format == "archimate"
