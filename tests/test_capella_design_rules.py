"""Capella's design rules on functions, exchanges, components and interfaces (AR205-AR211) on a model
that holds, beside each violation, the same construct done right."""

from __future__ import annotations

from pathlib import Path

from tests.test_capella import HEADER, checked

PA = ('xmlns:pa="http://www.polarsys.org/capella/core/pa/7.0.0" '
      'xmlns:interaction="http://www.polarsys.org/capella/core/interaction/7.0.0"')


def _function(fid: str, kind: str = "", ports: str = "", inner: str = "") -> str:
    written = f' kind="{kind}"' if kind else ""
    return (f'<ownedFunctions xsi:type="la:LogicalFunction" id="{fid}" name="{fid}"{written}>{ports}{inner}'
            '</ownedFunctions>')


def _port(pid: str, way: str) -> str:
    tag, kind = ("inputs", "FunctionInputPort") if way == "in" else ("outputs", "FunctionOutputPort")
    return f'<{tag} xsi:type="fa:{kind}" id="{pid}" name="{pid}"/>'


def _fe(eid: str, source: str, target: str) -> str:
    return (f'<ownedFunctionalExchanges xsi:type="fa:FunctionalExchange" id="{eid}" name="{eid}" '
            f'source="#{source}" target="#{target}"/>')


def _ce(cid: str, source: str, target: str, kind: str | None, *allocated: str) -> str:
    written = f' kind="{kind}"' if kind else ""
    allocations = "".join(f'<ownedComponentExchangeFunctionalExchangeAllocations xsi:type="fa:ComponentExchangeFunctionalExchangeAllocation" id="{cid}_{fe}" sourceElement="#{cid}" targetElement="#{fe}"/>'  # noqa: E501
                          for fe in allocated)
    return (f'<ownedComponentExchanges xsi:type="fa:ComponentExchange" id="{cid}" name="{cid}"{written} '
            f'source="#{source}" target="#{target}">{allocations}</ownedComponentExchanges>')


def _component(cid: str, ports: str = "", inner: str = "") -> str:
    return f'<ownedLogicalComponents xsi:type="la:LogicalComponent" id="{cid}" name="{cid}">{ports}{inner}</ownedLogicalComponents>'  # noqa: E501


def _part(pid: str, of: str) -> str:
    return f'<ownedFeatures xsi:type="cs:Part" id="{pid}" name="{pid}" abstractType="#{of}"/>'


FUNCTIONS = "".join((
    _function("f_a", ports=_port("fa_o", "out") + _port("fa_i", "in")),
    _function("f_b", ports=_port("fb_i", "in") + _port("fb_i2", "in")),
    _function("dup_parent", "DUPLICATE", inner=_function("dup_sub")),  # a control function with a sub-function
    _function("split_leaf", "SPLIT"),
    _fe("fe_twice", "fa_o", "fb_i"),  # allocated to two component exchanges
    _fe("fe_once", "fa_o", "fb_i2"),
    _fe("fe_loop", "fa_o", "fa_i"),  # from f_a to f_a
))
COMPONENTS = _component("sys", inner="".join((
    _part("p_a", "c_a"), _part("p_b", "c_b"),
    _ce("ce_flow", "cp_a", "cp_b", "FLOW", "fe_twice", "fe_once"),
    _ce("ce_unset", "cp_a2", "cp_b2", None, "fe_twice"),
    _component("c_a", '<ownedFeatures xsi:type="fa:ComponentPort" id="cp_a" name="a" orientation="OUT" kind="FLOW"/>'
                      '<ownedFeatures xsi:type="fa:ComponentPort" id="cp_a2" name="a2" orientation="OUT" kind="FLOW"/>',
               '<ownedInterfaceImplementations xsi:type="cs:InterfaceImplementation" id="impl" '
               'implementedInterface="#i_implemented"/>'),
    _component("c_b", '<ownedFeatures xsi:type="fa:ComponentPort" id="cp_b" name="b" orientation="IN" kind="FLOW"/>'
                      '<ownedFeatures xsi:type="fa:ComponentPort" id="cp_b2" name="b2" orientation="IN" kind="FLOW" '
                      'providedInterfaces="#i_provided"/>'),
    _component("c_orphan"),  # no part is typed by it
)))
PHYSICAL = """
    <ownedArchitectures xsi:type="pa:PhysicalArchitecture" id="pa" name="Physical">
      <ownedPhysicalComponentPkg xsi:type="pa:PhysicalComponentPkg" id="ppkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="p_psys" name="psys" abstractType="#psys"/>
        <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="psys" name="psys">
          <ownedFeatures xsi:type="cs:Part" id="p_n1" name="n1" abstractType="#n1"/>
          <ownedFeatures xsi:type="cs:Part" id="p_n2" name="n2" abstractType="#n2"/>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="pce_twice" name="pce_twice" kind="FLOW"
              source="#n1_cp" target="#n2_cp"/>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="pce_once" name="pce_once" kind="FLOW"
              source="#n1_cp" target="#n2_cp"/>
          <ownedPhysicalLinks xsi:type="cs:PhysicalLink" id="pl1" name="pl1" linkEnds="#n1_pp #n2_pp">
            <ownedComponentExchangeAllocations xsi:type="fa:ComponentExchangeAllocation" id="cea1"
                sourceElement="#pl1" targetElement="#pce_twice"/>
            <ownedComponentExchangeAllocations xsi:type="fa:ComponentExchangeAllocation" id="cea3"
                sourceElement="#pl1" targetElement="#pce_once"/>
          </ownedPhysicalLinks>
          <ownedPhysicalLinks xsi:type="cs:PhysicalLink" id="pl2" name="pl2" linkEnds="#n1_pp #n2_pp">
            <ownedComponentExchangeAllocations xsi:type="fa:ComponentExchangeAllocation" id="cea2"
                sourceElement="#pl2" targetElement="#pce_twice"/>
          </ownedPhysicalLinks>
          <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="n1" name="n1">
            <ownedFeatures xsi:type="fa:ComponentPort" id="n1_cp" name="out" orientation="OUT" kind="FLOW"/>
            <ownedFeatures xsi:type="cs:PhysicalPort" id="n1_pp" name="pp"/>
          </ownedPhysicalComponents>
          <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="n2" name="n2">
            <ownedFeatures xsi:type="fa:ComponentPort" id="n2_cp" name="in" orientation="IN" kind="FLOW"/>
            <ownedFeatures xsi:type="cs:PhysicalPort" id="n2_pp" name="pp"/>
          </ownedPhysicalComponents>
        </ownedPhysicalComponents>
      </ownedPhysicalComponentPkg>
    </ownedArchitectures>"""
MODEL = HEADER.replace("<org.polarsys.capella.core.data.capellamodeller:Project ",
                       f"<org.polarsys.capella.core.data.capellamodeller:Project {PA} ") + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedFunctionPkg xsi:type="la:LogicalFunctionPkg" id="fpkg" name="Functions">
        <ownedLogicalFunctions xsi:type="la:LogicalFunction" id="root" name="Root">{FUNCTIONS}</ownedLogicalFunctions>
      </ownedFunctionPkg>
      <ownedAbstractCapabilityPkg xsi:type="la:CapabilityRealizationPkg" id="crpkg" name="Capabilities">
        <ownedCapabilityRealizations xsi:type="la:CapabilityRealization" id="cr" name="Entertain">
          <ownedScenarios xsi:type="interaction:Scenario" id="sc_functional" name="FS" kind="FUNCTIONAL"/>
          <ownedScenarios xsi:type="interaction:Scenario" id="sc_interaction" name="OES" kind="INTERACTION"/>
          <ownedScenarios xsi:type="interaction:Scenario" id="sc_unset" name="Unset"/>
        </ownedCapabilityRealizations>
      </ownedAbstractCapabilityPkg>
      <ownedInterfacePkg xsi:type="cs:InterfacePkg" id="ipkg" name="Interfaces">
        <ownedInterfaces xsi:type="cs:Interface" id="i_implemented" name="Implemented"/>
        <ownedInterfaces xsi:type="cs:Interface" id="i_provided" name="Provided"/>
        <ownedInterfaces xsi:type="cs:Interface" id="i_alone" name="Alone"/>
      </ownedInterfacePkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="p_sys" name="sys" abstractType="#sys"/>{COMPONENTS}
      </ownedLogicalComponentPkg>
    </ownedArchitectures>{PHYSICAL}
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def _found(tmp_path: Path) -> dict[str, dict[str, str]]:
    return checked(tmp_path, MODEL, "design.capella")[1]


def test_control_functions_are_leaves(tmp_path: Path) -> None:
    found = _found(tmp_path)["AR205"]
    assert set(found) == {"dup_parent"}
    assert "duplicate function 'dup_parent' (logical architecture) has 1 sub-function(s)" in found["dup_parent"]


def test_an_exchange_does_not_loop_on_one_function(tmp_path: Path) -> None:
    found = _found(tmp_path)["AR206"]
    assert set(found) == {"fe_loop"}
    assert "leaves and enters function 'f_a'" in found["fe_loop"]


def test_exchanges_are_allocated_once(tmp_path: Path) -> None:
    found = _found(tmp_path)
    assert set(found["AR207"]) == {"fe_twice"}
    assert "allocated to 2 component exchanges ('ce_flow', 'ce_unset')" in found["AR207"]["fe_twice"]
    assert set(found["AR208"]) == {"pce_twice"}
    assert "('pl1', 'pl2')" in found["AR208"]["pce_twice"]


def test_component_exchanges_have_a_kind(tmp_path: Path) -> None:
    assert set(_found(tmp_path)["AR209"]) == {"ce_unset"}


def test_components_are_represented_by_parts(tmp_path: Path) -> None:
    found = _found(tmp_path)["AR210"]
    assert set(found) == {"c_orphan"}
    assert found["c_orphan"] == "LogicalComponent 'c_orphan' (logical architecture) is the type of no part"


def test_interfaces_are_implemented(tmp_path: Path) -> None:
    """Implemented by a component (c_a) or provided by a port (cp_b2): fine; neither: reported."""
    assert set(_found(tmp_path)["AR211"]) == {"i_alone"}


def test_scenario_kinds_fit_their_layer(tmp_path: Path) -> None:
    """In the logical architecture a functional scenario is fine; an interaction scenario (the operational
    analysis's kind) and one of no kind are not."""
    found = _found(tmp_path)["AR218"]
    assert set(found) == {"sc_interaction", "sc_unset"}
    assert found["sc_unset"] == ("scenario 'Unset' (logical architecture) is of kind UNSET; this layer takes "
                                 "DATA_FLOW, INTERFACE, FUNCTIONAL scenarios")
