"""SysML v1 XMI import: the public samples, dialect details, and bad input."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

import importers
from importers.xmi_archive import is_safe_name
from metamodel.elements import (
    Behavior,
    Block,
    Connector,
    Constraint,
    Interface,
    ItemFlow,
    Part,
    Port,
    Relation,
    Requirement,
    ValueType,
)
from metamodel.errors import ParseError
from tests.paths import MBSE_SAMPLES

SAMPLES = MBSE_SAMPLES
KETTLE = SAMPLES / "sysml1-papyrus" / "ElectricKettle.uml"
INCOSE = SAMPLES / "sysml1-papyrus-legacy" / "INCOSE.uml"
FLOWPORT = SAMPLES / "sysml1-papyrus-legacy" / "SysML_FlowPort_TEST.uml"
CAMEO_XMI = SAMPLES / "sysml1-cameo" / "CoffeeDispenser_MD19_native.xmi"
CAMEO_ZIP = SAMPLES / "sysml1-cameo" / "CoffeeDispenser.mdzip"

# Counted in the files: blocks = Blocks:Block + ConstraintBlock applications (classes in a model without
# SysML), ports = uml:Port
# attributes, connectors = ownedConnector, requirements = Requirement applications, parts = uml:Property
# attributes (plus composite association ends) that are not flow properties, relations = Abstraction,
# Realization and Dependency elements, item flows = uml:InformationFlow.
EXPECTED = {
    KETTLE: {"block": 12, "port": 57, "connector": 0, "requirement": 15, "part": 10, "item_flow": 39,
             "relation": 51, "interface": 0},
    INCOSE: {"block": 10, "port": 0, "connector": 7, "requirement": 0, "part": 27, "item_flow": 0,
             "relation": 0, "interface": 0},
    # Class_0 carries FlowPorts but no «Block»: in a SysML model only stereotyped classes are blocks
    FLOWPORT: {"block": 0, "port": 0, "connector": 0, "requirement": 0, "part": 0, "item_flow": 0,
               "relation": 0, "interface": 1},
    CAMEO_XMI: {"block": 8, "port": 13, "connector": 14, "requirement": 5, "part": 16, "item_flow": 0,
                "relation": 15, "interface": 1},
    CAMEO_ZIP: {"block": 8, "port": 13, "connector": 14, "requirement": 5, "part": 16, "item_flow": 0,
                "relation": 15, "interface": 1},
}


def _kinds(model) -> Counter:
    return Counter(e.kind for e in model.elements.values())


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_sample_counts(path: Path) -> None:
    model, report = importers.load(path)
    counts = _kinds(model)
    for kind, expected in EXPECTED[path].items():
        assert counts[kind] == expected, kind
    assert report.ok
    assert all(e.severity == "info" or "item flow with" in e.reason for e in report.entries), report.entries


def test_kettle_flow_ports_requirements_and_library_types() -> None:
    model, report = importers.load(KETTLE)
    water_height = model["_NsLsAEqVEe2YPdtfy5e7BA"]
    assert isinstance(water_height, Port)
    assert (water_height.port_kind, water_height.direction, water_height.stereotype) == ("flow", "in", "FlowPort")
    real = model[water_height.type]
    assert isinstance(real, ValueType) and real.name == "Real" and real.href.startswith("pathmap://")
    assert water_height.flow_type == "Real"
    assert model["_d8yXQEqWEe2YPdtfy5e7BA"].direction == "out"
    req = model["_ycKssEpuEe2YPdtfy5e7BA"]
    assert isinstance(req, Requirement) and req.req_id == "REQ-1" and req.text.startswith("The kettle SHALL")
    assert model["_DcZ6kEpvEe2YPdtfy5e7BA"].owner == req.id  # nested requirement
    kinds = Counter(r.relation for r in model.of_kind(Relation))
    assert kinds == {"verify": 18, "satisfy": 17, "derive": 11, "refine": 2, "realization": 3}
    # association-owned composite end: a part of the whole
    tank = model["_i7sr0kqXEe2YPdtfy5e7BA"]
    assert isinstance(tank, Part) and tank.owner == "_NL9QoEqREe2YPdtfy5e7BA" and tank.aggregation == "part"
    flow = model["_y6kgMFh1Ee2P656rxdvIQA"]
    assert isinstance(flow, ItemFlow)
    assert (flow.source, flow.target) == ("_NsLsAEqVEe2YPdtfy5e7BA", "_L7CwgFh1Ee2P656rxdvIQA")
    # verify relations start at test-case activities, imported as behaviour so that nothing dangles
    verify = model["_tQWFIFhxEe2P656rxdvIQA"]
    assert model[verify.sources[0]].kind == "behavior" and model[verify.sources[0]].behavior_kind == "activity"
    kinds = Counter(b.behavior_kind for b in model.of_kind(Behavior))
    assert kinds["state_machine"] >= 1 and kinds["activity"] == 9 and kinds["transition"] == 18  # uml:Transition
    constraints = list(model.of_kind(Constraint))  # parametrics: kept with their text, owned by their blocks
    assert len(constraints) == 8 and {c.language for c in constraints} == {"Natural language"}
    assert all(isinstance(model[c.owner], Block) for c in constraints)


def test_cameo_ports_interfaces_bindings_and_nested_ends() -> None:
    model, report = importers.load(CAMEO_XMI)
    water_in = model["_19_0_77e01af_1538645255502_314002_14979"]
    assert isinstance(water_in, Port) and water_in.port_kind == "proxy" and water_in.conjugated
    interface = model[water_in.type]
    assert isinstance(interface, Interface) and interface.name == "Water Interface"
    assert [(fp.name, fp.direction) for fp in interface.flow_properties] == [("Water", "out"),
                                                                           ("Flow Rate", "out")]
    connectors = list(model.of_kind(Connector))
    assert all(c.binding for c in connectors)
    nested = model["_19_0_77e01af_1538646113703_711584_15440"]
    assert nested.ends[0].part_with_port == "_18_5_1_78501b2_1501073171475_158080_15028"
    assert nested.ends[0].nested_path == ["_18_5_1_78501b2_1501073171475_158080_15028"]
    assert Counter(r.relation for r in model.of_kind(Relation)) == {"allocate": 10, "trace": 3, "satisfy": 1,
                                                                    "refine": 1}
    heat = model["_19_0_77e01af_1538649394619_265030_16904"]
    assert heat.aggregation == "value" and model[heat.type].name == "Number" and heat.default == "100.0"
    assert model["_18_5_1_78501b2_1501062045618_522455_14117"].req_id == "1"
    # diagram data inside xmi:Extension is not model content and not dangling
    assert all("missing" not in e.reason for e in report.entries)
    assert any("diagram" in e.reason for e in report.entries)


def test_incose_defaults_for_omitted_xmi_type() -> None:
    model, _ = importers.load(INCOSE)
    connector = model["_nfyYUBS0Ed-wFOMaETc_Cg"]
    assert [e.role for e in connector.ends] == ["_kNOrIBSjEd-wFOMaETc_Cg", "_90N28BSkEd-wFOMaETc_Cg"]
    part = model["_aH1FQBSfEd-kvuKPcuJnyA"]
    assert (part.lower, part.upper, part.stereotype) == (1, 1, "ConstraintProperty")
    assert isinstance(model["_8Y2feBSUEd-2df7r1H5t5w"], Block)
    assert model["_8Y2feBSUEd-2df7r1H5t5w"].stereotype == "ConstraintBlock"


ECLIPSE_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<xmi:XMI xmi:version="20131001" '
                  'xmlns:xmi="http://www.omg.org/spec/XMI/20131001" xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML" '
                  'xmlns:Blocks="http://www.eclipse.org/papyrus/sysml/1.6/SysML/Blocks">\n')


def _write(path: Path, body: str, apps: str = "") -> Path:
    path.write_text(ECLIPSE_HEADER + '<uml:Model xmi:id="m" name="M">' + body + "</uml:Model>" + apps
                    + "</xmi:XMI>", encoding="utf-8")
    return path


def test_multiplicity_units_and_file_hrefs(tmp_path: Path) -> None:
    _write(tmp_path / "lib.uml", '<packagedElement xmi:type="uml:DataType" xmi:id="t1" name="Torque"/>')
    path = _write(tmp_path / "m.uml", """
      <packagedElement xmi:type="uml:Class" xmi:id="b" name="Motor">
        <ownedAttribute xmi:id="p" name="wheels" type="w" aggregation="composite">
          <lowerValue xmi:type="uml:LiteralInteger" xmi:id="l"/>
          <upperValue xmi:type="uml:LiteralUnlimitedNatural" xmi:id="u" value="*"/>
        </ownedAttribute>
        <ownedAttribute xmi:id="q" name="torque"><type href="lib.uml#t1"/></ownedAttribute>
        <ownedAttribute xmi:id="r" name="lost"><type href="nowhere.uml#x"/></ownedAttribute>
        <ownedAttribute xmi:id="s" name="duration" type="v"/>
      </packagedElement>
      <packagedElement xmi:type="uml:Class" xmi:id="w" name="Wheel"/>
      <packagedElement xmi:type="uml:DataType" xmi:id="v" name="Duration"/>""",
                  '<Blocks:ValueType xmi:id="a1" base_DataType="v">'
                  '<unit href="pathmap://SysML16_LIBRARIES/ISO-80000-1-SysML.library.uml#SI_second"/>'
                  '</Blocks:ValueType><Blocks:Block xmi:id="a2" base_Class="b"/>')
    model, report = importers.load(path)
    wheels = model["p"]
    assert (wheels.lower, wheels.upper, wheels.aggregation) == (0, None, "part")
    assert model[model["q"].type].name == "Torque"
    assert model["r"].type == "nowhere.uml#x" and "nowhere.uml#x" not in model
    assert any("broken href" in e.reason and e.line for e in report.entries)
    assert model["v"].units == "second" and model["s"].aggregation == "value"


@pytest.mark.parametrize("text, message", [
    ('<?xml version="1.0"?><project><item/></project>', "not an XMI/UML model"),
    ('<?xml version="1.0"?><xmi:XMI xmlns:xmi="http://www.omg.org/spec/XMI/20131001"><other/></xmi:XMI>',
     "without a UML model"),
    ('<?xml version="1.0"?><xmi:XMI xmlns:xmi="http://www.omg.org/spec/XMI/20131001"><uml:Model', "malformed"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     '<x>&b;&b;&b;</x>', "entity"),
    ('<?xml version="1.0"?><xmi:XMI xmlns:xmi="http://www.omg.org/spec/XMI/20131001" '
     'xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML"><uml:Model xmi:id="m">' + "<p>" * 300 + "</p>" * 300
     + "</uml:Model></xmi:XMI>", "nested deeper"),
    ('<?xml version="1.0"?><xmi:XMI><uml:Model xmi:id="m"/></xmi:XMI>', "namespace prefix xmi on XMI is not defined"),
    ('<?xml version="1.0"?><xmi:XMI xmlns:xmi="http://www.omg.org/spec/XMI/20131001" '
     'xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML"><uml:Model xmi:id="m"><sysml:Block/></uml:Model></xmi:XMI>',
     "namespace prefix sysml on Block is not defined"),
])
def test_bad_xml_is_a_parse_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.xmi"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=message):
        importers.load(path)


def test_missing_profile_and_unknown_stereotypes_are_reported(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.uml", '<profileApplication xmi:id="pa"><appliedProfile '
                  'href="pathmap://NOPE/Missing.profile.uml#_0"/></profileApplication>'
                  '<packagedElement xmi:type="uml:Class" xmi:id="c" name="C"/>',
                  '<Blocks:Block xmi:id="s1" base_Class="c"/><Blocks:Block xmi:id="s2" base_Class="gone"/>'
                  '<Blocks:Mystery xmi:id="s3" base_Class="c"/>')
    model, report = importers.load(path)
    assert isinstance(model["c"], Block) and model["c"].stereotype == "Block"
    reasons = [e.reason for e in report.entries]
    assert any("«Block»" in r and "missing element" in r for r in reasons)
    assert any("«Mystery»" in r and "not interpreted" in r for r in reasons)


def _mdzip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_mdzip_path_traversal_is_never_read_or_written(tmp_path: Path) -> None:
    model_bytes = CAMEO_XMI.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    path = _mdzip(work / "evil.mdzip", {"../evil": model_bytes, "/abs/evil.xmi": b"x",
                                        "com.nomagic.magicdraw.uml_model.model": model_bytes})
    before = sorted(p.name for p in tmp_path.rglob("*"))
    model, report = importers.load(path)
    assert _kinds(model)["block"] == 8
    assert sum("unsafe path" in e.reason for e in report.entries) == 2
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    only_evil = _mdzip(work / "only.mdzip", {"../evil.xmi": model_bytes})
    with pytest.raises(ParseError, match="no XMI model"):
        importers.load(only_evil)
    assert not (tmp_path / "evil.xmi").exists() and not (tmp_path / "evil").exists()


def test_mdzip_bomb_and_garbage(tmp_path: Path) -> None:
    bomb = _mdzip(tmp_path / "bomb.mdzip", {"com.nomagic.magicdraw.uml_model.model": b"\0" * (20 * 1024 * 1024)})
    with pytest.raises(ParseError, match="zip bomb"):
        importers.load(bomb)
    junk = tmp_path / "junk.mdzip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParseError, match="zip"):
        importers.load(junk)


def test_safe_entry_names() -> None:
    assert is_safe_name("com.nomagic.magicdraw.uml_model.model")
    assert is_safe_name("dir/file.xmi")
    for bad in ("../evil", "a/../../evil", "/etc/passwd", "C:evil", "a\\..\\b", ""):
        assert not is_safe_name(bad), bad


def test_bare_uml_model_root(tmp_path: Path) -> None:
    path = tmp_path / "bare.uml"
    path.write_bytes(b'<?xml version="1.0"?><uml:Model xmi:version="20131001" '
                                b'xmlns:xmi="http://www.omg.org/spec/XMI/20131001" '
                                b'xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML" xmi:id="m" name="Bare">'
                                b'<packagedElement xmi:type="uml:Class" xmi:id="c" name="C"/></uml:Model>')
    model, _ = importers.load(path)
    assert model.name == "Bare" and isinstance(model["c"], Block) and model["c"].stereotype == ""
