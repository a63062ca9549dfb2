"""Capella's rules on architecture levels, allocation and ownership (AR170-AR178): one model of four
levels where each rule has elements Capella flags and elements it passes."""

from __future__ import annotations

import pytest

import importers
from metamodel.validation import Diagnostic, run_rules
from tests.test_capella import HEADER

NAMESPACES = ('xmlns:ctx="http://www.polarsys.org/capella/core/ctx/7.0.0" '
              'xmlns:pa="http://www.polarsys.org/capella/core/pa/7.0.0" '
              'xmlns:epbs="http://www.polarsys.org/capella/core/epbs/7.0.0" '
              'xmlns:inf="http://www.polarsys.org/capella/core/information/7.0.0" '
              'xmlns:pa.deployment="http://www.polarsys.org/capella/core/pa/deployment/7.0.0" '
              'xmlns:com="http://www.polarsys.org/capella/core/information/communication/7.0.0" ')
ALLOCATION = 'xsi:type="fa:ComponentFunctionalAllocation"'
CE_FE = 'xsi:type="fa:ComponentExchangeFunctionalExchangeAllocation"'
MODEL = HEADER.replace('id="p1"', NAMESPACES + 'id="p1"') + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="ctx:SystemAnalysis" id="sa" name="System Analysis">
      <ownedFunctionPkg xsi:type="ctx:SystemFunctionPkg" id="sa_fpkg" name="System Functions">
        <ownedSystemFunctions xsi:type="ctx:SystemFunction" id="sf_root" name="Root">
          <ownedFunctions xsi:type="ctx:SystemFunction" id="sf_leaf" name="Leaf">
            <outputs xsi:type="fa:FunctionOutputPort" id="sf_out" name="out"/>
          </ownedFunctions>
          <ownedFunctions xsi:type="ctx:SystemFunction" id="sf_parent" name="Parent">
            <ownedFunctions xsi:type="ctx:SystemFunction" id="sf_child" name="Child">
              <inputs xsi:type="fa:FunctionInputPort" id="sf_in" name="in"/>
            </ownedFunctions>
          </ownedFunctions>
          <ownedFunctions xsi:type="ctx:SystemFunction" id="sf_stray" name="Stray"/>
          <ownedFunctionalExchanges xsi:type="fa:FunctionalExchange" id="fe_sa" name="Order" source="#sf_out"
              target="#sf_in"/>
        </ownedSystemFunctions>
      </ownedFunctionPkg>
      <ownedInterfacePkg xsi:type="cs:InterfacePkg" id="sa_ipkg" name="Interfaces">
        <ownedInterfaces xsi:type="cs:Interface" id="itf_sa" name="Orders">
          <ownedExchangeItemAllocations xsi:type="cs:ExchangeItemAllocation" id="eia_ok" allocatedItem="#ei_sa"/>
          <ownedExchangeItemAllocations xsi:type="cs:ExchangeItemAllocation" id="eia_low" allocatedItem="#ei_la"/>
        </ownedInterfaces>
      </ownedInterfacePkg>
      <ownedDataPkg xsi:type="inf:DataPkg" id="sa_data" name="Data">
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_sa" name="Order"/>
      </ownedDataPkg>
      <ownedSystemComponentPkg xsi:type="ctx:SystemComponentPkg" id="sa_pkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="p_sys" name="System" abstractType="#sys"/>
        <ownedSystemComponents xsi:type="ctx:SystemComponent" id="sys" name="System">
          <ownedFunctionalAllocation {ALLOCATION} id="al_leaf" targetElement="#sf_leaf" sourceElement="#sys"/>
          <ownedFunctionalAllocation {ALLOCATION} id="al_parent" targetElement="#sf_parent" sourceElement="#sys"/>
          <ownedInterfaceUses xsi:type="cs:InterfaceUse" id="use_low" usedInterface="#itf_la"/>
          <ownedInterfaceImplementations xsi:type="cs:InterfaceImplementation" id="impl_ok"
              implementedInterface="#itf_sa"/>
        </ownedSystemComponents>
      </ownedSystemComponentPkg>
    </ownedArchitectures>
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical Architecture">
      <ownedFunctionPkg xsi:type="la:LogicalFunctionPkg" id="la_fpkg" name="Logical Functions">
        <ownedLogicalFunctions xsi:type="la:LogicalFunction" id="lf_root" name="Root">
          <ownedFunctions xsi:type="la:LogicalFunction" id="lf_a" name="Acquire">
            <outputs xsi:type="fa:FunctionOutputPort" id="lf_a_out" name="out"/>
          </ownedFunctions>
          <ownedFunctions xsi:type="la:LogicalFunction" id="lf_b" name="Process">
            <inputs xsi:type="fa:FunctionInputPort" id="lf_b_in" name="in"/>
          </ownedFunctions>
          <ownedFunctions xsi:type="la:LogicalFunction" id="lf_c" name="Compute">
            <inputs xsi:type="fa:FunctionInputPort" id="lf_c_in" name="in"/>
          </ownedFunctions>
          <ownedFunctionalExchanges xsi:type="fa:FunctionalExchange" id="fe_la" name="Sample" source="#lf_a_out"
              target="#lf_b_in"/>
        </ownedLogicalFunctions>
      </ownedFunctionPkg>
      <ownedInterfacePkg xsi:type="cs:InterfacePkg" id="la_ipkg" name="Interfaces">
        <ownedInterfaces xsi:type="cs:Interface" id="itf_la" name="Samples">
          <ownedExchangeItemAllocations xsi:type="cs:ExchangeItemAllocation" id="eia_up" allocatedItem="#ei_sa"/>
        </ownedInterfaces>
      </ownedInterfacePkg>
      <ownedDataPkg xsi:type="inf:DataPkg" id="la_data" name="Data">
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_la" name="Sample"/>
      </ownedDataPkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="la_pkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="p_ls" name="Logical System" abstractType="#ls"/>
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="ls" name="Logical System">
          <ownedFeatures xsi:type="cs:Part" id="p_lc1" name="Sensor" abstractType="#lc1"/>
          <ownedFeatures xsi:type="cs:Part" id="p_lc2" name="Computer" abstractType="#lc2"/>
          <ownedFeatures xsi:type="fa:ComponentPort" id="ls_p" name="out" orientation="OUT">
            <ownedPortAllocations xsi:type="inf:PortAllocation" id="pal_nested" targetElement="#lf_a_out"
                sourceElement="#ls_p"/>
          </ownedFeatures>
          <ownedInterfaceUses xsi:type="cs:InterfaceUse" id="use_up" usedInterface="#itf_sa"/>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce_ok" name="Samples" source="#cp1"
              target="#cp2" kind="FLOW">
            <ownedComponentExchangeFunctionalExchangeAllocations {CE_FE}
                id="cefe_ok" targetElement="#fe_la" sourceElement="#ce_ok"/>
          </ownedComponentExchanges>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce_level" name="Orders" source="#cp1"
              target="#cp2" kind="FLOW">
            <ownedComponentExchangeFunctionalExchangeAllocations {CE_FE}
                id="cefe_sa" targetElement="#fe_sa" sourceElement="#ce_level"/>
          </ownedComponentExchanges>
          <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce_delegation" name="Out" source="#cp1"
              target="#ls_p" kind="DELEGATION"/>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="lc1" name="Sensor">
            <ownedFeatures xsi:type="fa:ComponentPort" id="cp1" name="cp1" orientation="OUT">
              <ownedPortAllocations xsi:type="inf:PortAllocation" id="pal_ok" targetElement="#lf_a_out"
                  sourceElement="#cp1"/>
            </ownedFeatures>
            <ownedFeatures xsi:type="fa:ComponentPort" id="cp_other" name="other" orientation="OUT">
              <ownedPortAllocations xsi:type="inf:PortAllocation" id="pal_other" targetElement="#lf_b_in"
                  sourceElement="#cp_other"/>
              <ownedPortAllocations xsi:type="inf:PortAllocation" id="pal_port" targetElement="#cp2"
                  sourceElement="#cp_other"/>
              <ownedPortAllocations xsi:type="inf:PortAllocation" id="pal_missing" targetElement="#nowhere"
                  sourceElement="#cp_other"/>
            </ownedFeatures>
            <ownedFunctionalAllocation {ALLOCATION} id="al_a" targetElement="#lf_a" sourceElement="#lc1"/>
            <ownedInterfacePkg xsi:type="cs:InterfacePkg" id="lc1_ipkg" name="Sensor Interfaces">
              <ownedInterfaces xsi:type="cs:Interface" id="itf_lc1" name="Raw"/>
            </ownedInterfacePkg>
            <ownedInterfaceUses xsi:type="cs:InterfaceUse" id="use_own" usedInterface="#itf_lc1"/>
            <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="cl_up" kind="SEND" exchangeItem="#ei_sa"/>
            <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="cl_low" kind="SEND" exchangeItem="#ei_pa"/>
            <ownedComponentExchanges xsi:type="fa:ComponentExchange" id="ce_misplaced" name="Misplaced"
                source="#cp_other" target="#cp2" kind="FLOW"/>
          </ownedLogicalComponents>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="lc2" name="Computer">
            <ownedFeatures xsi:type="fa:ComponentPort" id="cp2" name="cp2" orientation="IN">
              <ownedPortAllocations xsi:type="inf:PortAllocation" id="pal_inner" targetElement="#lf_c_in"
                  sourceElement="#cp2"/>
            </ownedFeatures>
            <ownedLogicalComponentPkgs xsi:type="la:LogicalComponentPkg" id="lc2_pkg" name="Inside">
              <ownedParts xsi:type="cs:Part" id="p_lc21" name="Core" abstractType="#lc21"/>
              <ownedLogicalComponents xsi:type="la:LogicalComponent" id="lc21" name="Core">
                <ownedFunctionalAllocation {ALLOCATION} id="al_c" targetElement="#lf_c" sourceElement="#lc21"/>
                <ownedInterfaceUses xsi:type="cs:InterfaceUse" id="use_above" usedInterface="#itf_lc2"/>
              </ownedLogicalComponents>
            </ownedLogicalComponentPkgs>
            <ownedFunctionalAllocation {ALLOCATION} id="al_b" targetElement="#lf_b" sourceElement="#lc2"/>
            <ownedInterfaceUses xsi:type="cs:InterfaceUse" id="use_sibling" usedInterface="#itf_lc1"/>
            <ownedInterfacePkg xsi:type="cs:InterfacePkg" id="lc2_ipkg" name="Computer Interfaces">
              <ownedInterfacePkgs xsi:type="cs:InterfacePkg" id="lc2_ipkg_sub" name="Inner">
                <ownedInterfaces xsi:type="cs:Interface" id="itf_lc2" name="Jobs"/>
              </ownedInterfacePkgs>
            </ownedInterfacePkg>
            <ownedFunctionalAllocation {ALLOCATION} id="al_stray" targetElement="#sf_stray" sourceElement="#lc2"/>
          </ownedLogicalComponents>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
    <ownedArchitectures xsi:type="pa:PhysicalArchitecture" id="pa" name="Physical Architecture">
      <ownedFunctionPkg xsi:type="pa:PhysicalFunctionPkg" id="pa_fpkg" name="Physical Functions">
        <ownedPhysicalFunctions xsi:type="pa:PhysicalFunction" id="pf_root" name="Root">
          <ownedFunctions xsi:type="pa:PhysicalFunction" id="pf_run" name="Run">
            <outputs xsi:type="fa:FunctionOutputPort" id="pf_out" name="out"/>
          </ownedFunctions>
        </ownedPhysicalFunctions>
      </ownedFunctionPkg>
      <ownedDataPkg xsi:type="inf:DataPkg" id="pa_data" name="Data">
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_pa" name="Frame"/>
      </ownedDataPkg>
      <ownedPhysicalComponentPkg xsi:type="pa:PhysicalComponentPkg" id="pa_pkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="p_ps" name="Physical System" abstractType="#ps"/>
        <ownedPhysicalLinks xsi:type="cs:PhysicalLink" id="pl_bad" name="Cable B" linkEnds="#pp1 #pp2"/>
        <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="ps" name="Physical System">
          <ownedFeatures xsi:type="cs:Part" id="p_n1" name="Board 1" abstractType="#n1">
            <ownedDeploymentLinks xsi:type="pa.deployment:PartDeploymentLink" id="deploy_sw" deployedElement="#p_sw"
                location="#p_n1"/>
          </ownedFeatures>
          <ownedFeatures xsi:type="cs:Part" id="p_n2" name="Board 2" abstractType="#n2"/>
          <ownedFeatures xsi:type="cs:Part" id="p_sw" name="Software" abstractType="#sw"/>
          <ownedPhysicalLinks xsi:type="cs:PhysicalLink" id="pl_ok" name="Cable A" linkEnds="#pp1 #pp2"/>
          <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="n1" name="Board 1" nature="NODE">
            <ownedFeatures xsi:type="cs:PhysicalPort" id="pp1" name="pp1"/>
            <ownedFeatures xsi:type="fa:ComponentPort" id="n1_cp" name="cp">
              <ownedPortAllocations xsi:type="inf:PortAllocation" id="pal_deployed" targetElement="#pf_out"
                  sourceElement="#n1_cp"/>
            </ownedFeatures>
          </ownedPhysicalComponents>
          <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="sw" name="Software" nature="BEHAVIOR">
            <ownedFunctionalAllocation {ALLOCATION} id="al_run" targetElement="#pf_run" sourceElement="#sw"/>
          </ownedPhysicalComponents>
          <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="n2" name="Board 2" nature="NODE">
            <ownedFeatures xsi:type="cs:PhysicalPort" id="pp2" name="pp2"/>
          </ownedPhysicalComponents>
        </ownedPhysicalComponents>
      </ownedPhysicalComponentPkg>
    </ownedArchitectures>
    <ownedArchitectures xsi:type="epbs:EPBSArchitecture" id="epbs" name="EPBS Architecture">
      <ownedInterfacePkg xsi:type="cs:InterfacePkg" id="epbs_ipkg" name="Interfaces"/>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""
CODES = {f"AR{n}" for n in range(170, 179)}


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[Diagnostic]:
    path = tmp_path_factory.mktemp("levels") / "levels.capella"
    path.write_text(MODEL, encoding="utf-8")
    model, _ = importers.load(path)
    return [d for d in run_rules(model, ["architecture"]) if d.code in CODES]


def _about(findings: list[Diagnostic], code: str, element_id: str) -> list[Diagnostic]:
    return [d for d in findings if d.code == code and d.element_id == element_id]


def test_exactly_the_planted_elements_are_reported(findings: list[Diagnostic]) -> None:
    assert sorted((d.code, d.element_id) for d in findings) == [
        ("AR170", "sf_parent"), ("AR171", "sf_stray"), ("AR172", "ce_level"), ("AR173", "cp_other"),
        ("AR173", "cp_other"), ("AR174", "ce_misplaced"), ("AR174", "pl_bad"), ("AR175", "sys"),
        ("AR176", "epbs_ipkg"), ("AR177", "itf_sa"), ("AR178", "lc1"), ("AR178", "lc2")]


def test_allocated_functions_are_leaves_of_the_component_level(findings: list[Diagnostic]) -> None:
    [parent] = _about(findings, "AR170", "sf_parent")
    [stray] = _about(findings, "AR171", "sf_stray")
    assert parent.related == ("sys", "al_parent") and stray.related == ("lc2", "al_stray")
    assert "SystemFunction 'Stray' (system analysis) is allocated to LogicalComponent 'Computer' (logical " \
           "architecture)" in stray.message


def test_component_exchange_allocates_functional_exchanges_of_its_level(findings: list[Diagnostic]) -> None:
    [wrong] = _about(findings, "AR172", "ce_level")  # ce_ok carries fe_la, of its own level
    assert wrong.related == ("fe_sa",) and "'Order' (system analysis)" in wrong.message


def test_port_allocations_reach_functions_the_component_or_its_parts_allocate(findings: list[Diagnostic]) -> None:
    """cp1 allocates a port of lf_a, which its component allocates, ls_p one of a function that a
    component within ls allocates, cp2 one of a function of a component in a package inside lc2, and n1_cp
    one of a function of the component deployed on n1: all fine; cp_other allocates a port of lf_b
    (allocated to lc2) and a component port, one finding each; its allocation of a missing element is
    AR101's."""
    wrong = sorted(_about(findings, "AR173", "cp_other"), key=lambda d: d.related)
    assert [d.related for d in wrong] == [("pal_other", "lf_b_in"), ("pal_port",)]
    assert "function 'Process'" in wrong[0].message and "not a function port" in wrong[1].message


def test_exchanges_and_links_are_held_by_the_common_ancestor_of_their_ends(findings: list[Diagnostic]) -> None:
    """ce_ok, ce_level and the delegation ce_delegation are held by ls, above both their ends; ce_misplaced
    by lc1, one of its ends; pl_ok by ps; pl_bad by the package above ps."""
    [exchange] = _about(findings, "AR174", "ce_misplaced")
    [link] = _about(findings, "AR174", "pl_bad")
    assert exchange.related == ("ls",) and link.related == ("ps",)
    assert link.message.startswith("physical link 'Cable B' (physical architecture) is held by 'Structure'")


def test_interfaces_and_items_are_of_the_user_level_or_above(findings: list[Diagnostic]) -> None:
    """The system uses a logical interface; the logical system uses a system one, which is fine; the system
    interface allocates a logical exchange item, the logical interface a system one (fine)."""
    [component] = _about(findings, "AR175", "sys")
    [interface] = _about(findings, "AR177", "itf_sa")
    [package] = _about(findings, "AR176", "epbs_ipkg")
    assert component.related == ("itf_la",) and interface.related == ("eia_low", "ei_la")
    assert package.severity == "error" and "EPBS" in package.message


def test_components_use_only_what_their_namespace_shows(findings: list[Diagnostic]) -> None:
    """lc2 uses an interface of lc1's package (a sibling's); lc1 its own and lc21 one of the component
    above it (in a sub-package): fine; lc1's communication links name a system exchange item (fine) and a
    physical one."""
    [sibling] = _about(findings, "AR178", "lc2")
    [lower] = _about(findings, "AR178", "lc1")
    assert sibling.related == ("itf_lc1",) and "held by 'Sensor', which is not above it" in sibling.message
    assert lower.related == ("ei_pa",) and "exchange item 'Frame' (physical architecture)" in lower.message
