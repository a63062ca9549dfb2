"""The SysML 1.6 stereotype constraints (AR220–AR233) on small Papyrus models and on the shared samples."""

from __future__ import annotations

from pathlib import Path

import importers
from metamodel.elements import Block, Relation, Requirement
from metamodel.model import Model
from metamodel.validation import run_rules
from tests.paths import MBSE_SAMPLES
from tests.sysml_models import PAPYRUS_HEAD, write

ALLOCATIONS = 'xmlns:Allocations="http://www.eclipse.org/papyrus/sysml/1.6/SysML/Allocations" '
HEAD = PAPYRUS_HEAD.replace("xmlns:Requirements=", ALLOCATIONS + "xmlns:Requirements=")
CODES = {f"AR2{n}" for n in range(20, 50)}


def _model(tmp_path: Path, body: str, apps: str) -> Path:
    return write(tmp_path, "m.uml", HEAD.format(name="M") + body + "\n  </uml:Model>\n" + apps + "\n</xmi:XMI>\n")


def _findings(path: Path) -> set[tuple[str, str]]:
    model, _ = importers.load(path)
    return {(f.code, f.element_id or "") for f in run_rules(model, ["architecture"]) if f.code in CODES}


def _cls(element_id: str, inner: str = "") -> str:
    return (f'<packagedElement xmi:type="uml:Class" xmi:id="{element_id}" name="{element_id}">{inner}'
            "</packagedElement>")


def _req(element_id: str, req_id: str = "R", text: str = "shall") -> str:
    return f'<Requirements:Requirement xmi:id="s_{element_id}" base_Class="{element_id}" id="{req_id}" text="{text}"/>'


def _abstraction(element_id: str, clients: str, suppliers: str) -> str:
    ends = (f' client="{clients}"' if clients else "") + (f' supplier="{suppliers}"' if suppliers else "")
    return f'<packagedElement xmi:type="uml:Abstraction" xmi:id="{element_id}"{ends}/>'


def _applied(stereotype: str, element_id: str) -> str:
    return f'<{stereotype} xmi:id="s_{element_id}" base_Abstraction="{element_id}"/>'


def test_relation_ends_and_multiplicities(tmp_path: Path) -> None:
    body = "\n".join([
        _cls("r1"), _cls("r2"), _cls("b"),
        _abstraction("sat_ok", "b", "r1"), _abstraction("sat_block", "r1", "b"),
        _abstraction("derive_block_client", "b", "r1"), _abstraction("trace_two", "b", "r1 r2"),
        _abstraction("alloc_ok", "b", "b"), _abstraction("refine_none", "", ""),
        _abstraction("copy_other_text", "r2", "r1"), _abstraction("plain_none", "", ""),
    ])
    apps = "\n".join([
        _req("r1", text="one"), _req("r2", text="two"), '<Blocks:Block xmi:id="s_b" base_Class="b"/>',
        _applied("Requirements:Satisfy", "sat_ok"), _applied("Requirements:Satisfy", "sat_block"),
        _applied("Requirements:DeriveReqt", "derive_block_client"), _applied("Requirements:Trace", "trace_two"),
        _applied("Allocations:Allocate", "alloc_ok"), _applied("Requirements:Refine", "refine_none"),
        _applied("Requirements:Copy", "copy_other_text"),
    ])
    assert _findings(_model(tmp_path, body, apps)) == {
        ("AR221", "sat_block"), ("AR222", "derive_block_client"), ("AR220", "trace_two"),
        ("AR220", "refine_none"), ("AR223", "copy_other_text")}


def test_requirement_members_types_and_generalizations(tmp_path: Path) -> None:
    body = "\n".join([
        _cls("with_attribute", '<ownedAttribute xmi:id="a" name="a"/>'),
        _cls("with_operation", '<ownedOperation xmi:id="op" name="op"/>'),
        _cls("nesting", '<nestedClassifier xmi:type="uml:Class" xmi:id="plain" name="plain"/>'
                        '<nestedClassifier xmi:type="uml:Class" xmi:id="child" name="child"/>'),
        _cls("general"), _cls("special", '<generalization xmi:id="g" general="general"/>'),
        _cls("used_as_type"), _cls("b", '<ownedAttribute xmi:id="p" name="p" type="used_as_type"/>'),
        _cls("bare"), _cls("clean"),
    ])
    apps = "\n".join([_req(r) for r in ("with_attribute", "with_operation", "nesting", "child", "general",
                                         "special", "used_as_type", "clean")]
                     + ['<Requirements:Requirement xmi:id="s_bare" base_Class="bare"/>',
                        '<Blocks:Block xmi:id="s_b" base_Class="b"/>'])
    assert _findings(_model(tmp_path, body, apps)) == {
        ("AR229", "with_attribute"), ("AR230", "with_operation"), ("AR231", "nesting"),
        ("AR233", "special"), ("AR233", "general"), ("AR232", "used_as_type"),
        ("AR224", "bare"), ("AR225", "bare")}


def test_interface_block_members(tmp_path: Path) -> None:
    port = '<ownedAttribute xmi:type="uml:Port" xmi:id="{0}" name="{0}" type="{1}"/>'
    external = ('<ownedAttribute xmi:type="uml:Port" xmi:id="ext" name="ext"><type xmi:type="uml:Class" '
                'href="other.uml#if"/></ownedAttribute>')
    members = (port.format("to_block", "blk") + port.format("to_ib", "ok") + external +
               '<ownedAttribute xmi:id="inner" name="inner" type="blk" aggregation="composite"/>'
               '<ownedAttribute xmi:id="ref" name="ref" type="blk"/>'
               '<ownedBehavior xmi:type="uml:OpaqueBehavior" xmi:id="beh" name="beh"/>'
               '<ownedBehavior xmi:type="uml:StateMachine" xmi:id="sm" name="sm"/>')
    body = "\n".join([_cls("ib", members), _cls("fs", members.replace('id="', 'id="fs_')), _cls("ok"), _cls("blk")])
    apps = "\n".join(['<PortsAndFlows:InterfaceBlock xmi:id="s_ib" base_Class="ib"/>',
                      '<PortsAndFlows:InterfaceBlock xmi:id="s_ok" base_Class="ok"/>',
                      '<DeprecatedElements:FlowSpecification xmi:id="s_fs" base_Interface="fs"/>',
                      '<Blocks:Block xmi:id="s_blk" base_Class="blk"/>'])
    path = _model(tmp_path, body, apps)
    assert _findings(path) == {("AR226", "ib"), ("AR227", "ib"), ("AR228", "ib")}
    model, _ = importers.load(path)
    behaviour = next(f for f in run_rules(model, ["architecture"]) if f.code == "AR228")
    assert set(behaviour.related) == {"beh", "sm"}
    port_type = next(f for f in run_rules(model, ["architecture"]) if f.code == "AR226")
    assert set(port_type.related) == {"to_block", "blk"}  # the port to the interface block and the external one pass


def test_relations_and_requirements_of_other_languages_are_not_judged() -> None:
    """A Capella replica is a copy relation between components; requirements without a SysML stereotype
    (ArchiMate, SysML v2) carry no id or text of the kind SysML v1's have."""
    model = Model(name="m")
    model.add(Block("a", "A"))
    model.add(Block("b", "B"))
    model.add(Relation("replica", relation="copy", sources=["a"], targets=["b", "a"]))
    model.add(Requirement("goal", "Goal"))
    assert not [f for f in run_rules(model, ["architecture"]) if f.code in CODES]
    model.add(Relation("sysml_copy", relation="copy", sources=["a"], targets=["b"], stereotype="Copy"))
    assert {(f.code, f.element_id) for f in run_rules(model, ["architecture"]) if f.code in CODES} == {
        ("AR221", "sysml_copy"), ("AR222", "sysml_copy")}


def test_kettle_derivations_from_the_requirements_package() -> None:
    """The kettle sample derives requirements from (and one to) the package that holds them: the
    supplier and client of «deriveReqt» must be requirements."""
    found = _findings(MBSE_SAMPLES / "sysml1-papyrus" / "ElectricKettle.uml")
    assert found == {("AR221", "_OVmpAEqAEe2YPdtfy5e7BA"), ("AR221", "_SE6MUEqAEe2YPdtfy5e7BA"),
                     ("AR221", "_Y02PEEqAEe2YPdtfy5e7BA"), ("AR222", "_OVmpAEqAEe2YPdtfy5e7BA")}


def test_value_properties_of_blocks_are_composite(tmp_path: Path) -> None:
    """Block [6] holds for types with «ValueType» applied; a data type without it is not judged."""
    body = "\n".join([
        '<packagedElement xmi:type="uml:DataType" xmi:id="vt" name="Speed"/>',
        '<packagedElement xmi:type="uml:DataType" xmi:id="plain_dt" name="Plain"/>',
        _cls("shared", '<ownedAttribute xmi:id="s1" name="s1" type="vt"/>'
                       '<ownedAttribute xmi:id="s2" name="s2" type="vt" aggregation="shared"/>'
                       '<ownedAttribute xmi:id="s3" name="s3" type="plain_dt"/>'),
        _cls("composed", '<ownedAttribute xmi:id="c1" name="c1" type="vt" aggregation="composite"/>'),
    ])
    apps = "\n".join(['<Blocks:ValueType xmi:id="s_vt" base_DataType="vt"/>',
                      '<Blocks:Block xmi:id="s_shared" base_Class="shared"/>',
                      '<Blocks:Block xmi:id="s_composed" base_Class="composed"/>'])
    path = _model(tmp_path, body, apps)
    assert _findings(path) == {("AR234", "shared")}
    model, _ = importers.load(path)
    assert next(f for f in run_rules(model, ["architecture"]) if f.code == "AR234").related == ("s1", "s2")


def test_ports_features_and_specializations_judged_against_blocks(tmp_path: Path) -> None:
    """A port of a block that is both full and proxy, and in a class without «Block»: its stereotyped
    features and its specialization of a block, which the import keeps as stubs for these checks."""
    port = '<ownedAttribute xmi:type="uml:Port" xmi:id="{0}" name="{0}"/>'
    prop = '<ownedAttribute xmi:id="{0}" name="{0}"/>'
    body = "\n".join([
        _cls("blk", port.format("both") + port.format("full") + prop.format("conn_ok")),
        _cls("plain", port.format("plain_both") + prop.format("conn") + prop.format("dist") + prop.format("bare")
             + '<generalization xmi:id="g_blk" general="blk"/>'),
        _cls("plain2", '<generalization xmi:id="g_plain" general="plain"/>'),
    ])
    applied = [("Blocks:Block", "base_Class", "blk"), ("PortsAndFlows:FullPort", "base_Port", "both"),
               ("PortsAndFlows:ProxyPort", "base_Port", "both"), ("PortsAndFlows:FullPort", "base_Port", "full"),
               ("Blocks:ConnectorProperty", "base_Property", "conn_ok"),
               ("PortsAndFlows:FullPort", "base_Port", "plain_both"),
               ("PortsAndFlows:ProxyPort", "base_Port", "plain_both"),
               ("Blocks:ConnectorProperty", "base_Property", "conn"),
               ("Blocks:DistributedProperty", "base_Property", "dist")]
    apps = "\n".join(f'<{kind} xmi:id="s{n}" {slot}="{base}"/>' for n, (kind, slot, base) in enumerate(applied))
    path = _model(tmp_path, body, apps)
    assert _findings(path) == {("AR235", "both"), ("AR235", "plain_both"), ("AR236", "conn"), ("AR236", "dist"),
                               ("AR237", "plain")}
    model, _ = importers.load(path)
    assert "bare" not in model.elements and "plain2" not in model.elements  # nothing judged there
    assert not [f for f in run_rules(model, ["architecture"]) if f.code == "AR101"]  # the stubs' owners exist
