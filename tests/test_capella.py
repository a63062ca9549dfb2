"""Capella import: the public In-Flight Entertainment sample, planted models and bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import importers
from importers.capella import REASONS
from importers.capella_behaviour import behaviour_handlers
from metamodel.elements import Behavior, Block, Connector, Interface, Part, Port, Relation, Requirement, Unmapped
from metamodel.model import Model
from metamodel.validation import run_rules
from tests.bad_input import load_fails
from tests.paths import MBSE_SAMPLES

IFE = MBSE_SAMPLES / "capella" / "In-Flight Entertainment System.capella"

# Counted with grep on xsi:type in the file: blocks = SystemComponent 5 + LogicalComponent 23 +
# PhysicalComponent 64 + Entity 8 + ConfigurationItem 11 + Class 34; parts = cs:Part 111 + information:Property
# 88 (74 of classes, 14 ends owned by associations); ports = ComponentPort 52 + PhysicalPort 37;
# connectors = ComponentExchange 23 + CommunicationMean 2 + PhysicalLink 21; packages = SystemEngineering,
# 5 architectures, 5 component/entity/CI packages, DataPkg 16, InterfacePkg 5; value types = Boolean 2 +
# Enumeration 9 + Numeric 5 + PhysicalQuantity 4 + String 2; interfaces = ExchangeItem 17 + Interface 4.
# ports also count the function ports, 482 FunctionInputPort/FunctionOutputPort.
EXPECTED = {"block": 145, "part": 199, "port": 571, "connector": 46, "package": 32, "value_type": 22,
            "interface": 21, "relation": 623, "requirement": 0}
# behaviour: functions of the four layers, functional exchanges, chains, state machines with their regions,
# states and transitions, scenarios with their messages; the chains' involvements of functions (176) and exchanges
# (161), control nodes and sequence links; capabilities = OperationalCapability 3 + Capability 13 +
# CapabilityRealization 23, the 5 missions and the 2 physical paths
BEHAVIOUR = {"function": 235, "functional_exchange": 272, "functional_chain": 37, "state_machine": 5, "region": 61,
             "state": 73, "transition": 85, "scenario": 13, "message": 80, "capability": 39, "mission": 5,
             "physical_path": 2, "involvement": 337, "control_node": 4, "sequence_link": 12}
# allocate = ComponentFunctionalAllocation 179 + PortAllocation 69 + ComponentPortAllocation 2 +
# ComponentExchangeAllocation 1 + ComponentExchangeFunctionalExchangeAllocation 26 + PartDeploymentLink 22;
# realization = ComponentRealization 33 + PortRealization 219 + InformationRealization 26; copy: REC/RPL
# replicas to their originals; association = information:Association 14; specialization: the 7
# Generalizations (of classes); include: the one AbstractCapabilityInclude.
RELATIONS = {"allocate": 299, "realization": 278, "copy": 24, "association": 14, "specialization": 7, "include": 1}

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<org.polarsys.capella.core.data.capellamodeller:Project xmlns:xmi="http://www.omg.org/XMI" '
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          'xmlns:m="http://www.polarsys.org/capella/core/modeller/7.0.0" '
          'xmlns:org.polarsys.capella.core.data.capellamodeller="http://www.polarsys.org/capella/core/modeller/7.0.0" '
          'xmlns:la="http://www.polarsys.org/capella/core/la/7.0.0" '
          'xmlns:cs="http://www.polarsys.org/capella/core/cs/7.0.0" '
          'xmlns:fa="http://www.polarsys.org/capella/core/fa/7.0.0" '
          'xmlns:Requirements="http://www.polarsys.org/capella/requirements" id="p1" name="Planted">\n')
PLANTED = HEADER + """
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="part-sys" name="Sys" abstractType="#sys"/>
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys" name="Sys"
            description="&lt;p&gt;The &amp;amp; system&lt;/p&gt;">
          <ownedFeatures xsi:type="cs:Part" id="part-a" name="A" abstractType="#a">
            <ownedMaxCard xsi:type="x:LiteralNumericValue" xmlns:x="http://x" id="c1" value="*"/>
          </ownedFeatures>
          <ownedFeatures xsi:type="cs:Part" id="part-b" name="B" abstractType="#b"/>
          <ownedFeatures xsi:type="fa:ComponentPort" id="sys-in" name="in" orientation="IN" kind="FLOW"/>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce1" name="A to B" source="#a-out"
              target="#b-in" kind="FLOW"/>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce2" name="delegate" source="#sys-in"
              target="#b-in" kind="DELEGATION"/>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce3" name="broken" source="#a-out"
              target="#nowhere" kind="FLOW"/>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="a" name="A">
            <ownedFeatures xsi:type="fa:ComponentPort" id="a-out" name="out" orientation="OUT" kind="FLOW"/>
            <ownedFunctionalAllocation xsi:type="fa:ComponentFunctionalAllocation" id="alloc"
                targetElement="#f1" sourceElement="#a"/>
            <ownedStateMachines xsi:type="x:StateMachine" xmlns:x="http://x" id="sm" name="Modes"/>
          </ownedLogicalComponents>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="b" name="B">
            <ownedFeatures xsi:type="fa:ComponentPort" id="b-in" name="in" orientation="IN" kind="FLOW"/>
          </ownedLogicalComponents>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
      <ownedFunctionPkg xsi:type="la:LogicalFunctionPkg" id="fpkg" name="Functions">
        <ownedLogicalFunctions xsi:type="la:LogicalFunction" id="f1" name="Compute"/>
      </ownedFunctionPkg>
      <ownedExtensions xsi:type="Requirements:Requirement" id="r1" ReqIFIdentifier="REQ-7"
          ReqIFLongName="Fast" ReqIFText="&lt;b&gt;Answer&lt;/b&gt; in 1 s"/>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def checked(tmp_path: Path, text: str, name: str = "model.capella") -> tuple[Model, dict[str, dict[str, str]]]:
    """Load the Capella text written to ``name`` and run the architecture checks: the model and the
    messages of its findings, by code and element id."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    model, _ = importers.load(path)
    found: dict[str, dict[str, str]] = {}
    for d in run_rules(model, ["architecture"]):
        found.setdefault(d.code, {})[d.element_id] = d.message
    return model, found


@pytest.fixture(scope="module")
def ife():
    return importers.load(IFE)


def test_sample_counts(ife) -> None:
    model, report = ife
    counts = Counter(e.kind for e in model.elements.values())
    for kind, expected in EXPECTED.items():
        assert counts[kind] == expected, kind
    assert Counter(r.relation for r in model.of_kind(Relation)) == RELATIONS
    assert model.name == "In-Flight Entertainment System"
    assert report.ok and {e.severity for e in report.entries} == {"info"}
    # every entry explains itself: a count, a kind and a reason other than the catch-all
    assert all(" x " in e.reason and "not mapped to Salver" not in e.reason for e in report.entries)
    assert Counter(b.behavior_kind for b in model.of_kind(Behavior)) == BEHAVIOUR
    assert Counter(b.detail for b in model.of_kind(Behavior) if b.behavior_kind == "function")["LogicalFunction"] == 64


def test_sample_ports_connectors_and_references_resolve(ife) -> None:
    model, _ = ife
    for connector in model.of_kind(Connector):
        assert len(connector.ends) == 2, connector.name
        for end in connector.ends:
            assert end.role in model.elements
            assert end.part_with_port is None or isinstance(model[end.part_with_port], Part)
    exchange = model["254072d9-3ac4-4dc6-8261-21e5ecc12710"]  # "Audio-Video Streams"
    source = model[exchange.ends[0].role]
    assert isinstance(source, Port) and (source.name, source.direction, source.port_kind) == ("CP 3", "inout", "flow")
    assert model[exchange.ends[0].part_with_port].type == source.owner
    assert Counter(p.port_kind for p in model.of_kind(Port)) == {"flow": 52, "physical": 37, "function": 482}
    # the relations' ends all exist: functions, function ports and exchanges are elements now
    for relation in model.of_kind(Relation):
        assert all(ref in model.elements for ref in (*relation.sources, *relation.targets))
    assert not list(model.of_kind(Unmapped))  # the physical path a component exchange is allocated to is imported
    allocation = model["422a9e43-315b-47f4-82f9-b4813871d235"]  # PortAllocation of CP 3: a function port
    assert allocation.targets == ["10e3cfb4-54a0-491c-9f4b-0f626f17393b"]
    assert model[allocation.sources[0]].port_kind == "function"


def test_sample_checks_find_only_real_problems(ife) -> None:
    model, _ = ife
    codes = Counter(d.code for d in run_rules(model, ("architecture",)))
    # as published: 15 functional chains still empty ("[NOT DONE]", "[TODO]"), warnings as in Capella, and
    # 'Broadcast Audio Announcement' (system analysis) involves two functions that no involvement link
    # reaches (Capella's DWF_DF_03: a function involvement alone)
    assert not [d for d in run_rules(model, ("architecture",)) if d.severity == "error"]
    assert codes["AR142"] == 16
    # as published: component exchange 'Commands' goes from Streaming Server's IN port CP 4 to the Seat TV
    # Interactions Manager's OUT port CP 5 (Capella's MDCHK_ComponentPort_Orientation reports it too)
    assert [(d.element_name, d.related) for d in run_rules(model, ("architecture",)) if d.code == "AR154"] == [
        ("Commands", ("c781fc0c-fbb5-489e-83dc-1def672b03b4", "a61aa702-5251-4a4b-9661-acea2aa9becc"))]
    assert (model["c781fc0c-fbb5-489e-83dc-1def672b03b4"].direction,
            model["a61aa702-5251-4a4b-9661-acea2aa9becc"].direction) == ("in", "out")
    assert "AR101" not in codes and "AR104" not in codes and "AR111" not in codes  # no dangling ends
    # component ports are typed by optional interfaces, physical ports have no type: only a class property
    assert codes["AR102"] == 1
    # two function ports of replicas and a physical port no exchange or link reaches; the component ports
    # no exchange reaches all provide or require an interface
    assert codes["AR103"] == 3
    # exchanges between components of the logical and physical architectures on no component exchange,
    # one finding per pair of components and layer (none between two actors)
    assert codes["AR141"] == 57


def test_planted_model(tmp_path: Path) -> None:
    path = tmp_path / "planted.capella"
    path.write_text(PLANTED, encoding="utf-8")
    model, report = importers.load(path)
    assert model["sys"].doc == "The & system"
    assert isinstance(model["sys"], Block) and model["sys"].stereotype == "LogicalComponent"
    assert (model["part-a"].lower, model["part-a"].upper) == (1, None)
    ends = model["ce1"].ends
    assert [(e.role, e.part_with_port) for e in ends] == [("a-out", "part-a"), ("b-in", "part-b")]
    # the owner's own boundary port is reached without a part: a delegation
    assert [(e.role, e.part_with_port) for e in model["ce2"].ends] == [("sys-in", None), ("b-in", "part-b")]
    relation = model["alloc"]
    assert (relation.relation, relation.sources, relation.targets) == ("allocate", ["f1"], ["a"])
    assert isinstance(model["f1"], Behavior) and model["f1"].detail == "LogicalFunction"
    requirement = model["r1"]
    assert isinstance(requirement, Requirement)
    assert (requirement.name, requirement.req_id, requirement.text) == ("Fast", "REQ-7", "Answer  in 1 s")
    reasons = [e.reason for e in report.entries]
    assert any("end 'nowhere' of ComponentExchange is not a mapped port" in r for r in reasons)
    assert model["sm"].behavior_kind == "state_machine" and model["sm"].owner == "a"
    assert any(r.startswith("1 x LogicalFunctionPkg not imported") for r in reasons)
    codes = Counter(d.code for d in run_rules(model, ("architecture",)))
    assert codes["AR101"] == 1  # the broken exchange end, found by the checks as well


def test_exchange_item_is_an_interface(tmp_path: Path) -> None:
    text = HEADER + """
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedDataPkg xsi:type="i:DataPkg" xmlns:i="http://www.polarsys.org/capella/core/information/7.0.0"
        id="d" name="Data">
      <ownedClasses xsi:type="i:Class" id="cls" name="Frame"/>
      <ownedExchangeItems xsi:type="i:ExchangeItem" id="ei" name="Video">
        <ownedElements xsi:type="i:ExchangeItemElement" id="eie" name="frame" abstractType="#cls" direction="OUT"/>
      </ownedExchangeItems>
    </ownedDataPkg>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""
    path = tmp_path / "data.capella"
    path.write_text(text, encoding="utf-8")
    model, report = importers.load(path)
    interface = model["ei"]
    assert isinstance(interface, Interface)
    assert [(fp.name, fp.direction, fp.type) for fp in interface.flow_properties] == [("frame", "out", "cls")]
    assert report.entries == []


@pytest.mark.parametrize("text, message", [
    (HEADER + "<ownedModelRoots", "malformed XML"),
    ('<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n<Project>&b;</Project>',
     "entity declarations"),
    ('<?xml version="1.0"?>\n<uml:Model xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML" name="m"/>',
     "not a Capella model: root element <Model>"),
])
def test_bad_input_is_a_parse_error(tmp_path: Path, text: str, message: str) -> None:
    load_fails(tmp_path / "bad.capella", text, message)


def test_elements_without_ids_get_fresh_ones_and_the_model_saves(tmp_path: Path) -> None:
    """A damaged file whose elements lost their ids: every mapped one gets a fresh id (reported), so
    ports, catalog links and value types with units keyed by id still map and the model saves."""
    import json
    import re

    from metamodel import io

    path = tmp_path / "damaged.capella"
    path.write_bytes(re.sub(rb'\sid="[^"]*"', b"", IFE.read_bytes()))
    model, report = importers.load(path)
    fresh = [e for e in report.entries if "without an id" in e.reason]
    assert fresh and all(e.severity == "warning" for e in fresh)
    assert len(list(model.of_kind(Block))) > 10 and all(isinstance(key, str) and key for key in model.elements)
    assert io.from_dict(json.loads(io.dumps(model))).equal_content(model)


LINKED = HEADER.replace('id="p1"', 'xmlns:R="http://www.polarsys.org/kitalpha/requirements" '
                        'xmlns:CR="http://www.polarsys.org/capella/requirements" '
                        'xmlns:ctx="http://www.polarsys.org/capella/core/ctx/7.0.0" id="p1"') + """
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedExtensions xsi:type="CR:CapellaModule" id="mod">
        <ownedRequirements xsi:type="R:Requirement" id="r1" ReqIFName="Fast">
          <ownedRelations xsi:type="CR:CapellaIncomingRelation" id="l1" relationType="#t1" source="#r1"
              target="#f1"/>
        </ownedRequirements>
        <ownedRequirements xsi:type="R:Requirement" id="r2" ReqIFName="Tested"/>
        <ownedRequirements xsi:type="R:Requirement" id="r3" ReqIFName="Forgotten"/>
        <ownedRequirements xsi:type="R:Requirement" id="r4" ReqIFName="Capable">
          <ownedRelations xsi:type="CR:CapellaIncomingRelation" id="l4" source="#r4" target="#cap"/>
        </ownedRequirements>
      </ownedExtensions>
      <ownedExtensions xsi:type="CR:CapellaTypesFolder" id="types">
        <ownedTypes xsi:type="R:RelationType" id="t1" ReqIFLongName="allocatedTo"/>
        <ownedTypes xsi:type="R:RelationType" id="t2" ReqIFLongName="verifiedBy"/>
      </ownedExtensions>
      <ownedFunctionPkg xsi:type="la:LogicalFunctionPkg" id="fpkg" name="Functions">
        <ownedLogicalFunctions xsi:type="la:LogicalFunction" id="f1" name="Compute"/>
      </ownedFunctionPkg>
      <ownedAbstractCapabilityPkg xsi:type="la:CapabilityRealizationPkg" id="cpkg" name="Capabilities">
        <ownedCapabilityRealizations xsi:type="la:CapabilityRealization" id="cap" name="Serve"/>
      </ownedAbstractCapabilityPkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys" name="Sys">
          <ownedExtensions xsi:type="CR:CapellaOutgoingRelation" id="l2" relationType="#t2" source="#sys"
              target="#r2"/>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def test_requirements_allocated_to_elements_are_covered(tmp_path: Path) -> None:
    """Capella's requirements viewpoint allocates requirements to the elements that address them, with
    links of a user-defined type: satisfy, or the SysML relation the type names."""
    path = tmp_path / "linked.capella"
    path.write_text(LINKED, encoding="utf-8")
    model, _ = importers.load(path)
    links = [(model[i].relation, model[i].name, model[i].sources, model[i].targets) for i in ("l1", "l2", "l4")]
    assert links == [("satisfy", "allocatedTo", ["f1"], ["r1"]), ("verify", "verifiedBy", ["sys"], ["r2"]),
                     ("satisfy", "", ["cap"], ["r4"])]
    found = [d for d in run_rules(model, ("architecture",)) if d.code in ("AR101", "AR114")]
    assert [(d.code, d.element_id) for d in found] == [("AR114", "r3")]  # the capability is a stub, not missing


def _model_root(functions: str, suffix: str = "") -> str:
    """One SystemEngineering root with a logical layer: a component and the root function holding functions."""
    return f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se{suffix}" name="SE{suffix}">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la{suffix}" name="Logical">
      <ownedFunctionPkg xsi:type="la:LogicalFunctionPkg" id="fpkg{suffix}" name="Logical Functions">
        <ownedLogicalFunctions xsi:type="la:LogicalFunction" id="root{suffix}" name="Root Logical Function">{functions}
        </ownedLogicalFunctions>
      </ownedFunctionPkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg{suffix}" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys{suffix}" name="Sys"/>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>"""


def _layer_with_functions(functions: str) -> str:
    return HEADER + _model_root(functions) + "\n</org.polarsys.capella.core.data.capellamodeller:Project>\n"


def test_a_layer_without_functional_analysis_has_no_unallocated_leaf(tmp_path: Path) -> None:
    """Capella creates every layer with a root function: alone, it is not a leaf function to allocate."""
    path = tmp_path / "layer.capella"
    found = []
    for functions in ("", '<ownedFunctions xsi:type="la:LogicalFunction" id="f" name="Filter"/>'):
        path.write_text(_layer_with_functions(functions), encoding="utf-8")
        model, _ = importers.load(path)
        found.append([d.element_id for d in run_rules(model, ("architecture",)) if d.code == "AR140"])
    assert found == [[], ["f"]]


def test_root_functions_are_counted_per_model_root(tmp_path: Path) -> None:
    """A file with two model roots: the root function alone in its root's layer is not reported, however
    many functions the other root's layer has."""
    path = tmp_path / "roots.capella"
    filter_function = '<ownedFunctions xsi:type="la:LogicalFunction" id="f" name="Filter"/>'
    path.write_text(HEADER + _model_root("", "A") + _model_root(filter_function, "B")
                    + "\n</org.polarsys.capella.core.data.capellamodeller:Project>\n", encoding="utf-8")
    model, _ = importers.load(path)
    assert [d.element_id for d in run_rules(model, ("architecture",)) if d.code == "AR140"] == ["f"]


_FA = "org.polarsys.capella.core.data.fa"
_CHAIN_FUNCTIONS = "".join(
    f'<ownedFunctions xsi:type="la:LogicalFunction" id="f{n}" name="F{n}">'
    f'<inputs xsi:type="{_FA}:FunctionInputPort" id="i{n}" name="in"/>'
    f'<outputs xsi:type="{_FA}:FunctionOutputPort" id="o{n}" name="out"/></ownedFunctions>' for n in (1, 2, 3, 4)) + (
    f'<ownedFunctionalExchanges xsi:type="{_FA}:FunctionalExchange" id="fe12" name="FE12" source="#o1" target="#i2"/>'
    f'<ownedFunctionalExchanges xsi:type="{_FA}:FunctionalExchange" id="fe34" name="FE34" source="#o3" target="#i4"/>')


def _chain(involved: str) -> str:
    """A chain involving the listed functions and exchanges (ids, space separated)."""
    involvements = "".join(
        f'<ownedFunctionalChainInvolvements xsi:type="{_FA}:FunctionalChainInvolvement'
        f'{"Link" if ref.startswith("fe") else "Function"}" id="inv-{ref}" involved="#{ref}"/>'
        for ref in involved.split())
    return f'<ownedFunctionalChains xsi:type="{_FA}:FunctionalChain" id="chain" name="Chain">{involvements}' \
           '</ownedFunctionalChains>'


@pytest.mark.parametrize(("involved", "reported"), [
    ("f1 fe12 f2", False),  # one exchange joining its two functions
    ("f1 fe12 f2 f3 fe34 f4", True),  # two pieces: F1-F2 and F3-F4 are not joined
    ("f1 f2", True),  # two functions, no exchange between them (Capella's own KO case)
    ("f1", True),  # a function alone
    ("f1 fe12 f2 f3", True),  # F3 is joined to nothing
])
def test_functional_chain_is_one_connected_whole(tmp_path: Path, involved: str, reported: bool) -> None:
    """Capella's DWF_DF_03: a chain's exchanges join all its functions into one connected whole."""
    path = tmp_path / "chain.capella"
    path.write_text(_layer_with_functions(_CHAIN_FUNCTIONS + _chain(involved)), encoding="utf-8")
    model, _ = importers.load(path)
    found = [d for d in run_rules(model, ("architecture",)) if d.code == "AR142"]
    assert [d.element_id for d in found] == (["chain"] if reported else [])


def test_report_says_what_became_of_functions(tmp_path: Path) -> None:
    """The function package is dropped but its functions are imported; a realization between two
    imported functions is reported as a trace between levels that is not imported, not as a trace of
    elements missing from the model; no kind the importer reads is listed as not imported."""
    realization = ('<ownedFunctionRealizations xsi:type="org.polarsys.capella.core.data.fa:FunctionRealization" '
                   'id="fr" targetElement="#root" sourceElement="#f"/>')
    path = tmp_path / "report.capella"
    path.write_text(_layer_with_functions(f'<ownedFunctions xsi:type="la:LogicalFunction" id="f" name="Filter">'
                                          f'{realization}</ownedFunctions>'), encoding="utf-8")
    model, report = importers.load(path)
    assert {"root", "f"} <= set(model.elements)
    reasons = {e.reason for e in report.entries}
    package = next(r for r in reasons if "LogicalFunctionPkg" in r)
    assert "functions, exchanges and chains are imported" in package and "behaviour" not in package
    trace = next(r for r in reasons if "FunctionRealization" in r)
    assert "realization traces between architecture levels are not imported" in trace
    assert "elements that are not imported" not in trace
    assert not set(behaviour_handlers(None)) & set(REASONS)


FRAGMENTED = HEADER + """
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys" name="Sys">
          <ownedFeatures xsi:type="cs:Part" id="part-a" name="A" abstractType="#a"/>
          <ownedFeatures xsi:type="cs:Part" id="part-b" name="B" abstractType="fragments/B%20part.capellafragment#b"/>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce1" name="A to B" source="#a-out"
              target="fragments/B%20part.capellafragment#b-in" kind="FLOW"/>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="a" name="A">
            <ownedFeatures xsi:type="fa:ComponentPort" id="a-out" name="out" orientation="OUT" kind="FLOW"/>
          </ownedLogicalComponents>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" href="fragments/B%20part.capellafragment#b"/>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""
FRAGMENT = """<?xml version="1.0" encoding="UTF-8"?>
<la:LogicalComponent xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:la="http://www.polarsys.org/capella/core/la/7.0.0" xmlns:fa="http://www.polarsys.org/capella/core/fa/7.0.0"
    id="b" name="B">
  <ownedFeatures xsi:type="fa:ComponentPort" id="b-in" name="in" orientation="IN" kind="FLOW"/>
</la:LogicalComponent>
"""


def test_elements_held_in_fragments_are_read_from_them(tmp_path: Path) -> None:
    """Capella keeps fragmented parts of a model in ``.capellafragment`` files, the model holding an
    ``href`` where the element sits: the element is read from the fragment beside the model and references
    into it resolve; without the fragment it is reported, not made up as a nameless component."""
    path = tmp_path / "fragmented.capella"
    path.write_text(FRAGMENTED, encoding="utf-8")
    (tmp_path / "fragments").mkdir()
    fragment = tmp_path / "fragments" / "B part.capellafragment"
    fragment.write_text(FRAGMENT, encoding="utf-8")
    model, report = importers.load(path)
    block, port = model.get("b"), model.get("b-in")
    assert isinstance(block, Block) and (block.name, block.owner, block.stereotype) == ("B", "sys", "LogicalComponent")
    assert isinstance(port, Port) and port.owner == "b"
    assert model.get("part-b").type == "b"
    connector = model.get("ce1")
    assert isinstance(connector, Connector) and [end.role for end in connector.ends] == ["a-out", "b-in"]
    assert not [d for d in run_rules(model, ("architecture",)) if d.code in ("AR101", "AR103", "AR112")]
    assert not [e for e in report.entries if e.severity != "info"]

    fragment.unlink()
    model, report = importers.load(path)
    assert model.get("b") is None and not [e for e in model.elements.values() if e.id.startswith("_no_id_")]
    held = "element held in 'fragments/B%20part.capellafragment'"
    assert [e.line for e in report.entries if held in e.reason] == [15]
    assert not [d for d in run_rules(model, ("architecture",)) if d.code == "AR112"]


def test_a_fragment_outside_the_model_folder_is_not_read(tmp_path: Path) -> None:
    """A fragment ``href`` that leads out of the model's folder tree (``../``) is refused and reported, like
    every other file a model names; the element it would hold is not imported."""
    model_folder = tmp_path / "model"
    model_folder.mkdir()
    outside = tmp_path / "fragments"
    outside.mkdir()
    (outside / "B part.capellafragment").write_text(FRAGMENT, encoding="utf-8")
    path = model_folder / "fragmented.capella"
    path.write_text(FRAGMENTED.replace('href="fragments/', 'href="../fragments/'), encoding="utf-8")
    model, report = importers.load(path)
    assert model.get("b") is None
    assert any("outside the model's folder" in e.reason and e.severity == "warning" for e in report.entries)
