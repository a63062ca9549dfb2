"""Capella's rules on the nature of physical components (AR212-AR214, Capella's DWF_DC_30-32): the
import keeps the nature, and each rule reports the port or exchange its nature forbids, not the same
construct on a component of the other nature or on an actor."""

from __future__ import annotations

from pathlib import Path

import importers
from metamodel.validation import run_rules
from tests.test_capella import HEADER, checked

PA = 'xmlns:pa="http://www.polarsys.org/capella/core/pa/7.0.0"'


def _pc(cid: str, nature: str | None, ports: str, actor: bool = False) -> str:
    written = (f' nature="{nature}"' if nature else "") + (' actor="true"' if actor else "")
    return (f'<ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="{cid}" name="{cid}"{written}>{ports}'
            '</ownedPhysicalComponents>')


def _cp(pid: str) -> str:
    return f'<ownedFeatures xsi:type="fa:ComponentPort" id="{pid}" name="{pid}" orientation="INOUT" kind="FLOW"/>'


def _pp(pid: str) -> str:
    return f'<ownedFeatures xsi:type="cs:PhysicalPort" id="{pid}" name="{pid}"/>'


def _ce(cid: str, source: str, target: str) -> str:
    return (f'<ownedComponentExchanges xsi:type="fa:ComponentExchange" id="{cid}" name="{cid}" kind="FLOW" '
            f'source="#{source}" target="#{target}"/>')


COMPONENTS = "".join((
    _pc("node", "NODE", _pp("node_pp") + _cp("node_cp")),  # a component port on a node
    _pc("node_actor", "NODE", _cp("actor_cp"), actor=True),  # an actor may hold one
    _pc("sw", "BEHAVIOR", _cp("sw_cp") + _cp("sw_cp2") + _pp("sw_pp")),  # a physical port on software
    _pc("sw2", "BEHAVIOR", _cp("sw2_cp")),
    _ce("ce_to_node", "sw_cp", "node_cp"), _ce("ce_ok", "sw_cp2", "sw2_cp"), _ce("ce_to_actor", "sw2_cp", "actor_cp"),
))
MODEL = HEADER.replace("<org.polarsys.capella.core.data.capellamodeller:Project ",
                       f"<org.polarsys.capella.core.data.capellamodeller:Project {PA} ") + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="pa:PhysicalArchitecture" id="pa" name="Physical">
      <ownedPhysicalComponentPkg xsi:type="pa:PhysicalComponentPkg" id="ppkg" name="Structure">
        <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="root" name="Root">{COMPONENTS}
        </ownedPhysicalComponents>
      </ownedPhysicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def _found(tmp_path: Path) -> dict[str, dict[str, str]]:
    model, found = checked(tmp_path, MODEL, "natures.capella")
    assert (model["node"].properties["nature"], model["sw"].properties["nature"],
            model["root"].properties.get("nature", "UNSET")) == ("NODE", "BEHAVIOR", "UNSET")
    return found


def test_node_components_hold_no_component_port(tmp_path: Path) -> None:
    found = _found(tmp_path)["AR212"]
    assert found == {"node_cp": "component port 'node_cp' is on node physical component 'node' "
                                "(physical architecture)"}


def test_behaviour_components_hold_no_physical_port(tmp_path: Path) -> None:
    assert set(_found(tmp_path)["AR213"]) == {"sw_pp"}


def test_component_exchanges_do_not_end_at_nodes(tmp_path: Path) -> None:
    found = _found(tmp_path)["AR214"]
    assert set(found) == {"ce_to_node"}
    assert "ends at node physical component 'node'" in found["ce_to_node"]


def _deploy(lid: str, deployed: str, location: str) -> str:
    return (f'<ownedDeploymentLinks xsi:type="dp:PartDeploymentLink" id="{lid}" deployedElement="#{deployed}" '
            f'location="#{location}"/>')


def _held(pid: str, of: str, links: str = "") -> str:
    return f'<ownedFeatures xsi:type="cs:Part" id="{pid}" name="{pid}" abstractType="#{of}">{links}</ownedFeatures>'


DEPLOYMENT = HEADER.replace(
    "<org.polarsys.capella.core.data.capellamodeller:Project ",
    f'<org.polarsys.capella.core.data.capellamodeller:Project {PA} '
    'xmlns:dp="http://www.polarsys.org/capella/core/pa/deployment/7.0.0" ') + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="pa:PhysicalArchitecture" id="pa" name="Physical">
      <ownedPhysicalComponentPkg xsi:type="pa:PhysicalComponentPkg" id="ppkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="p_root" name="root" abstractType="#root"/>
        <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="root" name="Root">
          {_held("p_n", "n")}{_held("p_sw_ok", "sw_ok", _deploy("d1", "p_sw_ok", "p_n"))}
          {_held("p_host", "host")}{_held("p_n2", "n2", _deploy("d3", "p_n2", "p_host"))}
          {_pc("sw_ok", "BEHAVIOR", "")}{_pc("host", "BEHAVIOR", "")}{_pc("n2", "NODE", "")}
          <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="n" name="n" nature="NODE">
            {_held("p_sw_both", "sw_both", _deploy("d2", "p_sw_both", "p_n"))}{_held("p_sw_in", "sw_in_node")}
            {_pc("sw_both", "BEHAVIOR", "")}{_pc("sw_in_node", "BEHAVIOR", "")}
          </ownedPhysicalComponents>
        </ownedPhysicalComponents>
      </ownedPhysicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def test_nodes_and_behaviour_components_hold_and_deploy_one_another_as_capella_allows(tmp_path: Path) -> None:
    """sw_ok is deployed on node n and held by the root: fine. sw_both is held by n and deployed on it
    (AR215) and a behaviour component inside a node (AR217); n holds sw_in_node without deploying it
    (AR216 on n, AR217 on sw_in_node); behaviour component host deploys node n2 (AR216, AR217)."""
    _, found = checked(tmp_path, DEPLOYMENT, "deployment.capella")
    assert set(found["AR215"]) == {"sw_both"}
    assert set(found["AR216"]) == {"n", "host"}
    assert "node physical component 'n' (physical architecture) holds behaviour components 'sw_in_node'" \
        in found["AR216"]["n"]
    assert set(found["AR217"]) == {"sw_both", "sw_in_node", "n2"}
    assert "is deployed on 'host', of nature BEHAVIOR" in found["AR217"]["n2"]


def test_the_physical_system_is_of_no_nature(tmp_path: Path) -> None:
    """The root of the deployment model is UNSET: fine; made a node, it is reported (the root actors beside
    it, and the components inside it, are not)."""
    path = tmp_path / "root.capella"
    path.write_text(DEPLOYMENT.replace('id="root" name="Root">', 'id="root" name="Root" nature="NODE">')
                    .replace('<ownedParts xsi:type="cs:Part" id="p_root" name="root" abstractType="#root"/>',
                             '<ownedParts xsi:type="cs:Part" id="p_root" name="root" abstractType="#root"/>'
                             '<ownedParts xsi:type="cs:Part" id="p_actor" name="actor" abstractType="#actor"/>'
                             '<ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="actor" name="Operator" '
                             'actor="true" nature="BEHAVIOR"/>'), encoding="utf-8")
    model, _ = importers.load(path)
    found = {d.element_id: d.message for d in run_rules(model, ["architecture"]) if d.code == "AR219"}
    assert found == {"root": "root physical component 'Root' (physical architecture) is of nature NODE; the "
                             "physical system is of nature UNSET"}
    path.write_text(DEPLOYMENT, encoding="utf-8")
    model, _ = importers.load(path)
    assert not [d for d in run_rules(model, ["architecture"]) if d.code == "AR219"]
