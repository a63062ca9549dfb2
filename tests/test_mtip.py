"""MTIP/HUDS XML import: blocks, ports, connectors, interface blocks, requirements, relations."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import importers
from metamodel.elements import Block, Connector, Interface, Port, Relation, Requirement
from metamodel.errors import ParseError
from metamodel.validation import run_rules


def _data(ident: str, kind: str, name: str = "", parent: str = "pkg", rels: str = "", attrs: str = "",
          stereotype: str = "") -> str:
    stereo = (f'<attribute _dtype="dict" key="stereotype"><attribute _dtype="dict" key="stereotypeName">'
              f'<attribute _dtype="str" key="value">{stereotype}</attribute></attribute></attribute>'
              if stereotype else "")
    parent_rel = (f'<hasParent _dtype="dict"><type _dtype="str">sysml.Package</type><id _dtype="str">{parent}</id>'
                  f'<relationship_metadata _dtype="dict"/></hasParent>' if parent else "")
    return (f'<data><relationships _dtype="dict">{parent_rel}{rels}</relationships>'
            f'<id _dtype="dict"><cameo _dtype="str">{ident}</cameo></id>'
            f'<attributes _dtype="dict"><attribute _dtype="dict" key="name"><attribute _dtype="str" key="value">{name}'
            f'</attribute></attribute>{attrs}{stereo}</attributes><type _dtype="str">sysml.{kind}</type></data>')


def _rel(tag: str, ident: str) -> str:
    return f'<{tag} _dtype="dict"><id _dtype="str">{ident}</id><type _dtype="str">sysml.X</type></{tag}>'


PACKET = "".join([
    _data("model", "Model", "Rover", parent=""),
    _data("pkg", "Package", "Structure", parent="model"),
    _data("rover", "Block", "Rover"),
    _data("wheel", "Class", "Wheel", stereotype="Block"),
    _data("power", "InterfaceBlock", "Power"),
    _data("fp", "FlowProperty", "current", parent="power", attrs='<attribute _dtype="str" key="direction">out'
          '</attribute>'),
    _data("w1", "PartProperty", "front", parent="rover", rels=_rel("typedBy", "wheel")),
    _data("w2", "PartProperty", "rear", parent="rover", rels=_rel("typedBy", "wheel")),
    _data("pw", "ProxyPort", "power", parent="wheel", rels=_rel("typedBy", "power")),
    _data("pr", "ProxyPort", "bus", parent="rover", rels=_rel("typedBy", "power")),
    _data("c1", "Connector", "", parent="rover",
          rels=_rel("supplier", "pw") + _rel("client", "pr") + _rel("supplierPartWithPort", "w1")),
    _data("req", "Requirement", "Drive", attrs='<attribute _dtype="str" key="text">Shall drive</attribute>'
          '<attribute _dtype="str" key="id">R1</attribute>'),
    _data("req2", "Requirement", "Climb"),
    _data("sat", "Satisfy", "", rels=_rel("client", "rover") + _rel("supplier", "req")),
    _data("bdd", "BlockDefinitionDiagram", "Overview"),
])


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rover.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<packet>{body}</packet>\n', encoding="utf-8")
    return path


def test_records_are_mapped(tmp_path: Path) -> None:
    model, report = importers.load(_write(tmp_path, PACKET))
    assert model.name == "Rover" and report.format == "mtip"
    assert isinstance(model["wheel"], Block) and model["w1"].type == "wheel" and model["w1"].owner == "rover"
    assert isinstance(model["power"], Interface) and model["power"].flow_properties[0].direction == "out"
    assert isinstance(model["pw"], Port) and model["pw"].port_kind == "proxy"
    connector = model["c1"]
    assert isinstance(connector, Connector)
    assert [(e.role, e.part_with_port) for e in connector.ends] == [("pw", "w1"), ("pr", None)]
    assert isinstance(model["req"], Requirement) and (model["req"].req_id, model["req"].text) == ("R1", "Shall drive")
    assert isinstance(model["sat"], Relation) and model["sat"].targets == ["req"]
    assert any("diagram" in e.reason for e in report.entries)


def test_checks_run_on_mtip(tmp_path: Path) -> None:
    model, _ = importers.load(_write(tmp_path, PACKET))
    codes = Counter(d.code for d in run_rules(model, ["architecture"]))
    assert codes == {"AR114": 1, "AR102": 1}  # Climb is covered by nothing; the flow property has no type


def test_broken_records(tmp_path: Path) -> None:
    body = PACKET + "<data><type>sysml.Block</type></data>" + _data("ghost", "PartProperty", "g", parent="rover",
                                                                     rels=_rel("typedBy", "nowhere"))
    model, report = importers.load(_write(tmp_path, body))
    assert any("without id" in e.reason for e in report.entries)
    assert [d.code for d in run_rules(model, ["architecture"]) if d.severity == "error"] == ["AR101"]


def test_not_a_packet(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<catalog/>", encoding="utf-8")
    with pytest.raises(ParseError, match="MTIP"):
        importers.load(path)
