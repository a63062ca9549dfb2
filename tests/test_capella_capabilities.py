"""Capella capabilities, missions, generalizations, roles and physical paths: their import, and the rules
that mirror Capella's DCOV_02-08 (AR158-AR164), DWF_DC_17 (AR165), DWF_DC_20 (AR166), DWF_DC_02 (AR167) and part of
DWF_DC_03 (AR168, physical paths) on a planted model whose every other element Capella passes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import importers
from metamodel.elements import Behavior, Relation
from metamodel.validation import run_rules
from tests.test_capella import HEADER

NS = ('xmlns:ctx="http://www.polarsys.org/capella/core/ctx/7.0.0" '
      'xmlns:oa="http://www.polarsys.org/capella/core/oa/7.0.0" '
      'xmlns:pa="http://www.polarsys.org/capella/core/pa/7.0.0" '
      'xmlns:interaction="http://www.polarsys.org/capella/core/interaction/7.0.0" '
      'xmlns:capellacore="http://www.polarsys.org/capella/core/core/7.0.0" ')


def _involves(*components: str) -> str:
    return "".join(f'<ownedCapabilityInvolvements xsi:type="ctx:CapabilityInvolvement" id="ci-{{c}}-{c}" '
                   f'involved="#{c}"/>' for c in components)


def _scenario(capability: str, *parts: str) -> str:
    roles = "".join(f'<ownedInstanceRoles xsi:type="interaction:InstanceRole" id="ir-{capability}-{p}" '
                    f'representedInstance="#{p}"/>' for p in parts)
    return f'<ownedScenarios xsi:type="interaction:Scenario" id="sc-{capability}" name="S">{roles}</ownedScenarios>'


def _capability(cap_id: str, name: str, body: str) -> str:
    return (f'<ownedCapabilities xsi:type="ctx:Capability" id="{cap_id}" name="{name}">'
            f'{body.replace("{c}", cap_id)}</ownedCapabilities>')


CAPABILITIES = "".join((
    # exploited by 'Fly', involves the actor Pilot (shown in its scenario) and the system
    _capability("cap_ok", "Navigate", _involves("pilot", "sys") + _scenario("cap_ok", "part-pilot", "part-sys")
                + '<includes xsi:type="interaction:AbstractCapabilityInclude" id="inc" included="#cap_inc"/>'),
    # exploited through 'Navigate', which includes it
    _capability("cap_inc", "Plan route", _involves("pilot") + _scenario("cap_inc", "part-pilot")),
    # a special case of 'Navigate': exploited and involving an actor through it
    _capability("cap_sub", "Navigate at night", _involves("sys") + '<superGeneralizations xsi:type='
                '"interaction:AbstractCapabilityGeneralization" id="gen-cap" super="#cap_ok"/>'),
    # exploited by nothing, no actor: DCOV_02 and DCOV_07
    _capability("cap_bad", "Self test", _involves("sys")),
    # exploited by 'Fly', which does not involve Crew; Crew is in no scenario of it: DCOV_05, DCOV_08
    _capability("cap_crew", "Serve meals", _involves("crew")),
))
MISSIONS = (
    '<ownedMissions xsi:type="ctx:Mission" id="m_ok" name="Fly">'
    '<ownedMissionInvolvements xsi:type="ctx:MissionInvolvement" id="mi1" involved="#pilot"/>'
    '<ownedCapabilityExploitations xsi:type="ctx:CapabilityExploitation" id="ex1" capability="#cap_ok"/>'
    '<ownedCapabilityExploitations xsi:type="ctx:CapabilityExploitation" id="ex2" capability="#cap_crew"/>'
    '</ownedMissions>'
    # exploits nothing and involves the system only: DCOV_03 and DCOV_04
    '<ownedMissions xsi:type="ctx:Mission" id="m_empty" name="Idle">'
    '<ownedMissionInvolvements xsi:type="ctx:MissionInvolvement" id="mi3" involved="#sys"/>'
    '</ownedMissions>')
COMPONENTS = "".join(
    f'<ownedParts xsi:type="cs:Part" id="part-{c}" name="{c}" abstractType="#{c}"/>'
    for c in ("sys", "pilot", "crew", "idle")) + (
    '<ownedSystemComponents xsi:type="ctx:SystemComponent" id="sys" name="Aircraft"/>'
    '<ownedSystemComponents xsi:type="ctx:SystemComponent" id="pilot" name="Pilot" actor="true"/>'
    '<ownedSystemComponents xsi:type="ctx:SystemComponent" id="crew" name="Crew" actor="true"/>'
    # takes part in no capability: DCOV_06
    '<ownedSystemComponents xsi:type="ctx:SystemComponent" id="idle" name="Tourist" actor="true"/>')


def _physical(comp_id: str, attributes: str, function: str) -> str:
    return (f'<ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="{comp_id}" name="{comp_id}" {attributes}>'
            f'<ownedFunctionalAllocation xsi:type="fa:ComponentFunctionalAllocation" id="alloc-{comp_id}" '
            f'targetElement="#{function}" sourceElement="#{comp_id}"/></ownedPhysicalComponents>')


MODEL = HEADER.replace('id="p1"', NS + 'id="p1"') + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="oa:OperationalAnalysis" id="oa" name="Operational">
      <ownedAbstractCapabilityPkg xsi:type="oa:OperationalCapabilityPkg" id="ocp" name="Capabilities">
        <ownedOperationalCapabilities xsi:type="oa:OperationalCapability" id="ocap" name="Transport"/>
      </ownedAbstractCapabilityPkg>
      <ownedRolePkg xsi:type="oa:RolePkg" id="rpkg" name="Roles">
        <ownedRoles xsi:type="oa:Role" id="driver" name="Driver"/>
        <ownedRoles xsi:type="oa:Role" id="loader" name="Loader"/>
      </ownedRolePkg>
      <ownedEntityPkg xsi:type="oa:EntityPkg" id="epkg" name="Entities">
        <ownedEntities xsi:type="oa:Entity" id="company" name="Company">
          <ownedRoleAllocations xsi:type="oa:RoleAllocation" id="ra1" targetElement="#driver" sourceElement="#company"/>
          <!-- the role allocates itself: Capella's DWF_DC_02 -->
          <ownedRoleAllocations xsi:type="oa:RoleAllocation" id="ra2" targetElement="#loader" sourceElement="#loader"/>
        </ownedEntities>
      </ownedEntityPkg>
    </ownedArchitectures>
    <ownedArchitectures xsi:type="ctx:SystemAnalysis" id="sa" name="System">
      <ownedSystemComponentPkg xsi:type="ctx:SystemComponentPkg" id="spkg" name="Structure">{COMPONENTS}
      </ownedSystemComponentPkg>
      <ownedAbstractCapabilityPkg xsi:type="ctx:CapabilityPkg" id="cpkg" name="Capabilities">{CAPABILITIES}
      </ownedAbstractCapabilityPkg>
      <ownedMissionPkg xsi:type="ctx:MissionPkg" id="mpkg" name="Missions">{MISSIONS}</ownedMissionPkg>
    </ownedArchitectures>
    <ownedArchitectures xsi:type="pa:PhysicalArchitecture" id="pa" name="Physical">
      <ownedFunctionPkg xsi:type="pa:PhysicalFunctionPkg" id="pfp" name="Functions">
        <ownedPhysicalFunctions xsi:type="pa:PhysicalFunction" id="f_root" name="Root">
          <ownedFunctions xsi:type="pa:PhysicalFunction" id="f1" name="Compute"/>
          <ownedFunctions xsi:type="pa:PhysicalFunction" id="f2" name="Sense"/>
          <ownedFunctions xsi:type="pa:PhysicalFunction" id="f3" name="Display"/>
        </ownedPhysicalFunctions>
      </ownedFunctionPkg>
      <ownedPhysicalComponentPkg xsi:type="pa:PhysicalComponentPkg" id="ppkg" name="Structure">
        <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="parent" name="Unit">
          <ownedGeneralizations xsi:type="capellacore:Generalization" id="gen-ok" super="#base" sub="#parent"/>
          <ownedGeneralizations xsi:type="capellacore:Generalization" id="gen-self" super="#parent" sub="#parent"/>
        </ownedPhysicalComponents>
        <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="base" name="Base">
          <ownedPhysicalPath xsi:type="cs:PhysicalPath" id="path_ok" name="Route">
            <ownedPhysicalPathInvolvements xsi:type="cs:PhysicalPathInvolvement" id="ppi1" involved="#part-board"/>
          </ownedPhysicalPath>
          <ownedPhysicalPath xsi:type="cs:PhysicalPath" id="path_empty" name="Nowhere"/>
          <ownedPhysicalPath xsi:type="cs:PhysicalPath" id="path_blank" name="Blank">
            <ownedPhysicalPathInvolvements xsi:type="cs:PhysicalPathInvolvement" id="ppi2"/>
          </ownedPhysicalPath>
        </ownedPhysicalComponents>
        <ownedParts xsi:type="cs:Part" id="part-board" name="board" abstractType="#board"/>
        {_physical("board", 'nature="NODE"', "f1")}
        {_physical("sensor_node", 'nature="NODE" actor="true"', "f2")}
        {_physical("app", 'nature="BEHAVIOR"', "f3")}
      </ownedPhysicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (model and its findings)
    path = tmp_path_factory.mktemp("capabilities") / "capabilities.capella"
    path.write_text(MODEL, encoding="utf-8")
    model, report = importers.load(path)
    return model, report, run_rules(model, ["architecture"])


def test_capabilities_missions_and_their_links_are_imported(planted) -> None:  # noqa: ANN001
    model, report, _ = planted
    kinds = Counter((b.behavior_kind, b.detail) for b in model.of_kind(Behavior) if b.behavior_kind in
                    ("capability", "mission"))
    assert kinds == {("capability", "Capability"): 5, ("capability", "OperationalCapability"): 1,
                     ("mission", "Mission"): 2}
    assert model["cap_ok"].members == ["pilot", "sys"] and model["cap_ok"].owner == "sa"
    assert model["m_ok"].members == ["pilot", "cap_ok", "cap_crew"]
    assert model["sc-cap_ok"].owner == "cap_ok"  # a capability's scenario is owned by it
    links = {r.id: (r.relation, r.sources, r.targets) for r in model.of_kind(Relation) if r.relation != "allocate"}
    assert links == {"inc": ("include", ["cap_ok"], ["cap_inc"]),
                     "gen-cap": ("specialization", ["cap_sub"], ["cap_ok"]),
                     "gen-ok": ("specialization", ["parent"], ["base"]),
                     "gen-self": ("specialization", ["parent"], ["parent"])}
    assert model["board"].properties["nature"] == "NODE"
    assert report.ok and not any("Capability not imported" in e.reason for e in report.entries)


def _found(findings: list, code: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(d.element_id, d.related) for d in findings if d.code == code]


def test_capella_coverage_rules_report_what_capella_plants_and_nothing_else(planted) -> None:  # noqa: ANN001
    model, _, findings = planted
    assert _found(findings, "AR158") == [("cap_bad", ())]  # not 'Plan route' (included) nor 'Navigate at night'
    assert _found(findings, "AR159") == [("m_empty", ())]
    assert _found(findings, "AR160") == [("m_empty", ())]
    # the system, involved in 'Navigate' but not in 'Fly', need not be
    assert _found(findings, "AR161") == [("m_ok", ("crew", "cap_crew"))]
    assert _found(findings, "AR162") == [("idle", ())]
    assert _found(findings, "AR163") == [("cap_bad", ())]  # 'Navigate at night' has Pilot through 'Navigate'
    # Pilot is in both its capabilities' scenarios; the system, in capabilities without any, is left alone
    assert _found(findings, "AR164") == [("crew", ("cap_crew",))]
    assert "'Tourist' (system analysis)" in next(d.message for d in findings if d.code == "AR162")
    assert not any(d.element_id == "ocap" for d in findings if d.code.startswith("AR16"))  # system analysis only


def test_component_generalizing_itself_and_node_allocating_functions_are_reported(planted) -> None:  # noqa: ANN001
    _, _, findings = planted
    assert _found(findings, "AR165") == [("parent", ("gen-self",))]  # 'Unit' also specializes 'Base': no finding
    assert _found(findings, "AR166") == [("board", ("f1",))]  # not the actor node, nor the behaviour component
    assert not any(d.code == "AR101" for d in findings)


def test_a_role_allocated_by_something_other_than_an_entity_is_reported(planted) -> None:  # noqa: ANN001
    model, _, findings = planted
    assert model["loader"].stereotype == "Role" and model["ra1"].sources == ["driver"]
    assert model["ra1"].targets == ["company"]  # the role is allocated to the entity that allocates it
    assert _found(findings, "AR167") == [("loader", ("ra2", "loader"))]  # not 'Driver', allocated by 'Company'


def test_a_physical_path_involving_nothing_is_reported(planted) -> None:  # noqa: ANN001
    model, _, findings = planted
    assert model["path_ok"].members == ["part-board"] and model["path_ok"].owner == "base"
    # no involvement at all, or an involvement that names nothing: Capella's DWF_DC_03 fails both
    assert sorted(_found(findings, "AR168")) == [("path_blank", ()), ("path_empty", ())]


def test_a_mission_exploiting_an_including_capability_covers_the_included_one(tmp_path: Path) -> None:
    """Without the include link, 'Plan route' is exploited by no mission."""
    path = tmp_path / "no-include.capella"
    path.write_text(MODEL.replace('<includes xsi:type="interaction:AbstractCapabilityInclude" id="inc" '
                                  'included="#cap_inc"/>', ""), encoding="utf-8")
    model, _ = importers.load(path)
    assert [d.element_id for d in run_rules(model, ["architecture"]) if d.code == "AR158"] == ["cap_inc", "cap_bad"]
