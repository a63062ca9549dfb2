"""Precision of the architecture checks on small files: what is wiring, what is a block, what is a tool's
library, names per kind, cycles that respect multiplicities, one finding per cause, invalid values kept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import importers
from metamodel.elements import Block, Part, Unmapped
from metamodel.validation import run_rules

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<xmi:XMI xmi:version="20131001" '
          'xmlns:xmi="http://www.omg.org/spec/XMI/20131001" xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML" '
          'xmlns:Blocks="http://www.eclipse.org/papyrus/sysml/1.6/SysML/Blocks" '
          'xmlns:PortsAndFlows="http://www.eclipse.org/papyrus/sysml/1.6/SysML/PortsAndFlows">\n')


def _load(tmp_path: Path, body: str, apps: str = ""):
    path = tmp_path / "m.uml"
    path.write_text(HEADER + '<uml:Model xmi:id="m" name="M">' + body + "</uml:Model>" + apps + "</xmi:XMI>",
                    encoding="utf-8")
    return importers.load(path)


def _findings(model):
    return [d for d in run_rules(model, ["architecture"])]


def _block(ident: str, name: str, inner: str = "") -> str:
    return f'<packagedElement xmi:type="uml:Class" xmi:id="{ident}" name="{name}">{inner}</packagedElement>'


def _stereo(*ids: str) -> str:
    return "".join(f'<Blocks:Block xmi:id="s{i}" base_Class="{i}"/>' for i in ids)


def test_only_stereotyped_classes_are_blocks_and_tool_libraries_stay_out(tmp_path: Path) -> None:
    library = ('<packagedElement xmi:type="uml:Package" xmi:id="lib" name="MD Customization for SysML">'
               + _block("lb", "Library Block", '<ownedAttribute xmi:type="uml:Port" xmi:id="lp" name="p"/>')
               + _block("lc", "Helper") + "</packagedElement>")
    body = (_block("a", "A", '<ownedAttribute xmi:id="x" name="x" type="plain" aggregation="composite"/>')
            + _block("plain", "Plain", '<ownedAttribute xmi:type="uml:Port" xmi:id="pp" name="p"/>') + library)
    model, report = _load(tmp_path, body, _stereo("a", "lb"))
    assert isinstance(model["a"], Block) and "pp" not in model
    assert isinstance(model["plain"], Unmapped) and model["plain"].source_type == "Class"
    assert model["lb"].library and model["lp"].library
    assert any("Class without a SysML stereotype" in e.reason for e in report.entries)
    assert [d for d in _findings(model) if d.element_id in ("lb", "lp", "lc")] == []


def test_item_flows_wire_ports(tmp_path: Path) -> None:
    ports = ('<ownedAttribute xmi:type="uml:Port" xmi:id="po" name="out" type="t"/>'
             '<ownedAttribute xmi:type="uml:Port" xmi:id="pi" name="in" type="t"/>'
             '<ownedAttribute xmi:type="uml:Port" xmi:id="lone" name="spare" type="t"/>')
    body = (_block("a", "A", ports) + '<packagedElement xmi:type="uml:DataType" xmi:id="t" name="T"/>'
            + _block("ctx", "Context", '<ownedAttribute xmi:id="use" name="a" type="a" aggregation="composite"/>')
            + '<packagedElement xmi:type="uml:InformationFlow" xmi:id="f" name="f" informationSource="po" '
            'informationTarget="pi" conveyed="t"/>')
    model, _ = _load(tmp_path, body, _stereo("a", "ctx") + '<PortsAndFlows:ItemFlow xmi:id="sf" '
                     'base_InformationFlow="f"/>')
    unconnected = [d.element_id for d in _findings(model) if d.code == "AR103"]
    assert unconnected == ["lone"]
    assert not any(d.code == "AR108" for d in _findings(model))


def test_duplicate_names_per_owner_and_kind_as_written(tmp_path: Path) -> None:
    inner = ('<ownedAttribute xmi:type="uml:Port" xmi:id="p1" name="Vehicle Speed" type="a"/>'
             '<ownedAttribute xmi:type="uml:Port" xmi:id="p2" name="vehicle_speed" type="a"/>'
             '<ownedAttribute xmi:id="q1" name="wheel" type="a"/><ownedAttribute xmi:id="q2" name="wheel" type="a"/>'
             '<ownedAttribute xmi:id="q3" name="wheel" type="a"/>'
             '<nestedClassifier xmi:type="uml:Class" xmi:id="n" name="Vehicle Speed"/>')
    model, _ = _load(tmp_path, _block("a", "A", inner), _stereo("a", "n"))
    clashes = [d for d in _findings(model) if d.code == "AR111"]
    assert len(clashes) == 1  # the three 'wheel' parts: one cause, one finding
    assert clashes[0].element_id == "q1" and set(clashes[0].related) == {"q2", "q3"}


def test_composition_cycles_respect_multiplicities(tmp_path: Path) -> None:
    tree = ('<ownedAttribute xmi:id="kids" name="children" type="node" aggregation="composite">'
            '<lowerValue xmi:type="uml:LiteralInteger" xmi:id="l1"/>'
            '<upperValue xmi:type="uml:LiteralUnlimitedNatural" xmi:id="u1" value="*"/></ownedAttribute>')
    loop = '<ownedAttribute xmi:id="again" name="again" type="bad" aggregation="composite"/>'
    model, _ = _load(tmp_path, _block("node", "Node", tree) + _block("bad", "Bad", loop), _stereo("node", "bad"))
    cycles = [d for d in _findings(model) if d.code == "AR110"]
    assert [d.element_id for d in cycles] == ["bad"]


def test_invalid_bounds_are_kept_and_flagged(tmp_path: Path) -> None:
    inner = ('<ownedAttribute xmi:id="p" name="p" type="a"><lowerValue xmi:type="uml:LiteralInteger" xmi:id="l" '
             'value="1,5"/></ownedAttribute><ownedAttribute xmi:id="q" name="q" type="a">'
             '<lowerValue xmi:type="uml:LiteralInteger" xmi:id="l2" value="-2"/></ownedAttribute>')
    model, report = _load(tmp_path, _block("a", "A", inner), _stereo("a"))
    assert model["p"].invalid == {"lower": "1,5"} and model["q"].lower == -2
    flagged = {d.element_id: d.message for d in _findings(model) if d.code == "AR113"}
    assert set(flagged) == {"p", "q"} and "[1,5..1]" in flagged["p"]
    assert not any("used" in e.reason for e in report.entries)  # nothing repaired behind the user's back


def test_one_missing_file_is_one_finding(tmp_path: Path) -> None:
    inner = "".join(f'<ownedAttribute xmi:id="p{n}" name="p{n}"><type href="gone.uml#t{n}"/></ownedAttribute>'
                    for n in range(5))
    model, _ = _load(tmp_path, _block("a", "A", inner), _stereo("a"))
    dangling = [d for d in _findings(model) if d.code == "AR101"]
    assert len(dangling) == 1 and "gone.uml" in dangling[0].message and len(dangling[0].related) == 4


CAPELLA = """<?xml version="1.0" encoding="UTF-8"?>
<org.polarsys.capella.core.data.capellamodeller:Project xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:org.polarsys.capella.core.data.capellamodeller="http://www.polarsys.org/capella/core/modeller/7.0.0"
    xmlns:la="http://www.polarsys.org/capella/core/la/7.0.0" xmlns:cs="http://www.polarsys.org/capella/core/cs/7.0.0"
    xmlns:information="http://www.polarsys.org/capella/core/information/7.0.0"
    xmlns:cp="http://www.polarsys.org/capella/core/information/datavalue/7.0.0"
    xmlns:re="http://www.polarsys.org/capella/common/re/7.0.0" id="proj" name="P">
  <ownedModelRoots xsi:type="org.polarsys.capella.core.data.capellamodeller:SystemEngineering" id="se" name="P">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical Architecture">
      <ownedDataPkg xsi:type="information:DataPkg" id="dp" name="Data">
        <ownedDataPkgs xsi:type="information:DataPkg" id="pt" name="Predefined Types">
          <ownedDataTypes xsi:type="information.datatype:NumericType" xmlns:information.datatype="http://x" id="int"
              name="Integer"/>
        </ownedDataPkgs>
      </ownedDataPkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys" name="System">
          <ownedFeatures xsi:type="cs:Part" id="pa" name="A" abstractType="#a">
            <ownedMinCard xsi:type="cp:LiteralNumericValue" id="m1" value="-2"/>
            <ownedMaxCard xsi:type="cp:LiteralNumericValue" id="m2" value="test"/>
          </ownedFeatures>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="a" name="A"/>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="a2" name="Twin"/>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="a3" name="Twin"/>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
  <ownedExtensions xsi:type="re:RecCatalog" id="cat" name="Catalog">
    <ownedElementPkgs xsi:type="re:CatalogElementPkg" id="cp" name="RECs">
      <ownedElements xsi:type="re:CatalogElement" id="rec" name="R">
        <ownedLinks xsi:type="re:CatalogElementLink" id="l1" source="#rec" target="#a2"/>
      </ownedElements>
      <ownedElements xsi:type="re:CatalogElement" id="rpl" name="R" kind="RPL" origin="#rec">
        <ownedLinks xsi:type="re:CatalogElementLink" id="l2" source="#rpl" target="#a3" origin="#l1"/>
      </ownedElements>
    </ownedElementPkgs>
  </ownedExtensions>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def test_capella_cardinalities_replicas_and_predefined_types(tmp_path: Path) -> None:
    path = tmp_path / "p.capella"
    path.write_text(CAPELLA, encoding="utf-8")
    model, _ = importers.load(path)
    part = model["pa"]
    assert isinstance(part, Part) and part.lower == -2 and part.invalid == {"upper": "test"}
    assert model["int"].library
    codes = Counter(d.code for d in _findings(model))
    assert codes["AR113"] == 1  # the bounds as written: [-2..test]
    assert codes["AR111"] == 0  # Twin is a replica of Twin (REC/RPL), A's part is named after its type
    assert any("[-2..test]" in d.message for d in _findings(model))


def test_findings_on_features_of_one_name_name_their_owner(tmp_path: Path) -> None:
    ports = '<ownedAttribute xmi:type="uml:Port" xmi:id="{}" name="x"/>'
    body = (_block("a", "A", ports.format("ax")) + _block("b", "B", ports.format("bx"))
            + _block("ctx", "Ctx", '<ownedAttribute xmi:id="ua" name="ua" type="a" aggregation="composite"/>'
                     '<ownedAttribute xmi:id="ub" name="ub" type="b" aggregation="composite"/>')
            + '<packagedElement xmi:type="uml:InformationFlow" xmi:id="f" name="F" informationSource="ax" '
            'informationTarget="bx"/>')
    model, _ = _load(tmp_path, body, _stereo("a", "b", "ctx")
                     + '<PortsAndFlows:ItemFlow xmi:id="sf" base_InformationFlow="f"/>')
    messages = {d.code: [] for d in _findings(model)}
    for d in _findings(model):
        messages[d.code].append(d.message)
    assert sorted(messages["AR102"]) == ["port 'x' of 'A' has no type", "port 'x' of 'B' has no type"]
    assert messages["AR107"] == ["item flow 'F' from 'x' of 'A' to 'x' of 'B' conveys nothing"]


def test_values_written_as_child_elements(tmp_path: Path) -> None:
    """OMG's canonical XMI (the SysML QUDV library) writes names and literal values as child elements."""
    path = tmp_path / "canonical.uml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<xmi:XMI xmlns:xmi="http://www.omg.org/spec/XMI/20131001" '
                    'xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML">'
                    '<uml:Package xmi:id="P" xmi:type="uml:Package"><name>P</name>'
                    '<packagedElement xmi:id="U" xmi:type="uml:Class"><name>Unit</name>'
                    '<ownedAttribute xmi:id="f" xmi:type="uml:Property"><name>factor</name>'
                    '<upperValue xmi:id="fu" xmi:type="uml:LiteralUnlimitedNatural"><value>*</value></upperValue>'
                    '<type xmi:idref="U"/></ownedAttribute></packagedElement></uml:Package></xmi:XMI>',
                    encoding="utf-8")
    model, _ = importers.load(path)
    assert (model["U"].name, model["f"].name, model["f"].lower, model["f"].upper) == ("Unit", "factor", 1, None)
    assert _findings(model) == []


def _value(ident: str, name: str) -> str:
    return f'<ownedAttribute xmi:id="{ident}" name="{name}" aggregation="composite"/>'


def _rule(ident: str, body: str, language: str) -> str:
    return (f'<ownedRule xmi:type="uml:Constraint" xmi:id="{ident}" name="{ident}">'
            f'<specification xmi:type="uml:OpaqueExpression" xmi:id="{ident}s"><language>{language}</language>'
            f'<body>{body}</body></specification></ownedRule>')


def _architecture(model) -> list:
    from solvers.architecture import diagnose

    return diagnose(model)


def test_generalizations_make_inherited_values_known(tmp_path: Path) -> None:
    """A constraint of a block may name a value property its general block owns (UML generalization)."""
    body = (_block("base", "Base", _value("x", "x"))
            + _block("d", "Derived", _rule("c", "x = 3", "") + '<generalization xmi:id="g" general="base"/>'))
    model, _ = _load(tmp_path, body, _stereo("base", "d"))
    assert (model["g"].relation, model["g"].sources, model["g"].targets) == ("specialization", ["d"], ["base"])
    assert [d for d in _architecture(model) if d.code == "PA002"] == []


def test_ocl_invariants_of_blocks_are_kept_but_not_solved(tmp_path: Path) -> None:
    """An OCL constraint of an ordinary block is a UML invariant (here inherited through a generalization),
    not a parametric equation; a constraint block's constraint stays parametric in any language."""
    invariants = (_rule("inv1", "self.units-&gt;forAll(u | u.factor &lt;&gt; 0)", "OCL2.0")
                  + _rule("inv2", "referenceUnit.oclIsTypeOf(SimpleUnit)", "OCL"))
    body = (_block("base", "Base", _value("units", "units") + invariants)
            + _block("d", "Derived", '<generalization xmi:id="g" general="base"/>')
            + _block("cb", "Law", _value("f", "f") + _rule("law", "f-&gt;size() = 1", "OCL2.0"))
            + _block("ctx", "Ctx", '<ownedAttribute xmi:id="use" name="law" type="cb" aggregation="composite"/>'))
    model, report = _load(tmp_path, body, _stereo("base", "d", "ctx")
                          + '<Blocks:ConstraintBlock xmi:id="scb" base_Class="cb"/>')
    assert model["inv1"].body.startswith("self.units") and model["inv2"].language == "OCL"
    assert not any("inv" in e.reason for e in report.entries)
    refused = [d for d in _architecture(model) if d.code == "PA001"]
    assert [d.element_id for d in refused] == ["law"]


def test_an_unreadable_constraint_is_one_finding_however_many_parts_use_its_block(tmp_path: Path) -> None:
    """A block typed by two parts holds one constraint: a body that cannot be read is one PA001, naming the
    block, not one per part."""
    body = (_block("tank", "Tank", _value("level", "level") + _rule("law", "level := level + 1 ?", ""))
            + _block("plant", "Plant", '<ownedAttribute xmi:id="t1" name="tank1" type="tank" aggregation="composite"/>'
                     '<ownedAttribute xmi:id="t2" name="tank2" type="tank" aggregation="composite"/>'))
    model, _ = _load(tmp_path, body, _stereo("tank", "plant"))
    refused = [d for d in _architecture(model) if d.code == "PA001"]
    assert [d.element_id for d in refused] == ["law"]
    assert "of Tank" in refused[0].message and "tank1" not in refused[0].message
