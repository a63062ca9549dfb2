"""Capella component exchanges against their ports' orientation (AR154, Capella's
MDCHK_ComponentPort_Orientation) and against the exchange items of their functional exchanges (AR155,
CE_EIsSameAsItsFEsEIs, system analysis only)."""

from __future__ import annotations

from pathlib import Path

import importers
from metamodel.validation import run_rules
from tests.test_capella import HEADER

CTX = ('xmlns:ctx="http://www.polarsys.org/capella/core/ctx/7.0.0" '
       'xmlns:inf="http://www.polarsys.org/capella/core/information/7.0.0" ')


def _port(pid: str, orientation: str) -> str:
    return (f'<ownedFeatures xsi:type="fa:ComponentPort" id="{pid}" name="{pid}" orientation="{orientation}" '
            'kind="FLOW"/>')


def _exchange(cid: str, source: str, target: str, kind: str = "FLOW", conveyed: str = "", fes: str = "") -> str:
    items = f' convoyedInformations="{conveyed}"' if conveyed else ""
    allocations = "".join(
        '<ownedComponentExchangeFunctionalExchangeAllocations '
        f'xsi:type="fa:ComponentExchangeFunctionalExchangeAllocation" id="{cid}_{fe}" targetElement="#{fe}" '
        f'sourceElement="#{cid}"/>' for fe in fes.split())
    return (f'<ownedComponentExchanges xsi:type="fa:ComponentExchange" id="{cid}" name="{cid}" source="#{source}" '
            f'target="#{target}" kind="{kind}"{items}>{allocations}</ownedComponentExchanges>')


def model_text(layer: str = "ctx:SystemAnalysis", component: str = "ctx:SystemComponent") -> str:
    """Components a and b inside sys, with exchanges of every orientation and exchange items."""
    exchanges = "".join((
        _exchange("ce_ok", "a_out", "b_in", conveyed="#ei1", fes="fe1"),
        _exchange("ce_reversed", "a_in", "b_out", conveyed="#ei2", fes="fe1"),
        _exchange("ce_from_in", "a_in2", "b_io"),
        _exchange("ce_same", "a_out2", "b_out2"),
        _exchange("ce_delegation", "sys_in", "a_in3", kind="DELEGATION"),
        _exchange("ce_items_missing", "a_out3", "b_in2", fes="fe1 fe2"),
    ))
    return HEADER.replace('id="p1"', CTX + 'id="p1"') + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="{layer}" id="layer" name="Layer">
      <ownedDataPkg xsi:type="inf:DataPkg" id="data" name="Data">
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei1" name="Speed"/>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei2" name="Torque"/>
      </ownedDataPkg>
      <ownedFunctionPkg xsi:type="la:LogicalFunctionPkg" id="fpkg" name="Functions">
        <ownedLogicalFunctions xsi:type="la:LogicalFunction" id="root" name="Root">
          <ownedFunctionalExchanges xsi:type="fa:FunctionalExchange" id="fe1" name="fe1" exchangedItems="#ei1"/>
          <ownedFunctionalExchanges xsi:type="fa:FunctionalExchange" id="fe2" name="fe2" exchangedItems="#ei2"/>
        </ownedLogicalFunctions>
      </ownedFunctionPkg>
      <ownedSystemComponentPkg xsi:type="ctx:SystemComponentPkg" id="pkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="part-sys" name="Sys" abstractType="#sys"/>
        <ownedSystemComponents xsi:type="{component}" id="sys" name="Sys">
          <ownedFeatures xsi:type="cs:Part" id="part-a" name="A" abstractType="#a"/>
          <ownedFeatures xsi:type="cs:Part" id="part-b" name="B" abstractType="#b"/>
          {_port("sys_in", "IN")}
          {exchanges}
          <ownedSystemComponents xsi:type="{component}" id="a" name="A">
            {_port("a_out", "OUT")}{_port("a_in", "IN")}{_port("a_in2", "IN")}{_port("a_out2", "OUT")}
            {_port("a_in3", "IN")}{_port("a_out3", "OUT")}
          </ownedSystemComponents>
          <ownedSystemComponents xsi:type="{component}" id="b" name="B">
            {_port("b_in", "IN")}{_port("b_out", "OUT")}{_port("b_io", "INOUT")}{_port("b_out2", "OUT")}
            {_port("b_in2", "IN")}
          </ownedSystemComponents>
        </ownedSystemComponents>
      </ownedSystemComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def _findings(tmp_path: Path, text: str, code: str) -> dict:
    path = tmp_path / "exchanges.capella"
    path.write_text(text, encoding="utf-8")
    model, _ = importers.load(path)
    return {d.element_id: d for d in run_rules(model, ["architecture"]) if d.code == code}


def test_component_exchanges_against_port_orientation(tmp_path: Path) -> None:
    found = _findings(tmp_path, model_text(), "AR154")
    assert set(found) == {"ce_reversed", "ce_from_in"}
    assert found["ce_reversed"].related == ("a_in", "b_out")
    assert "leaves IN port 'a_in'" in found["ce_reversed"].message and "enters OUT port 'b_out'" in \
        found["ce_reversed"].message
    assert found["ce_from_in"].related == ("a_in2",)
    # out to out is AR001's (one finding per cause); a delegation keeps its direction
    assert "ce_same" in _findings(tmp_path, model_text(), "AR001")


def test_component_exchange_items_against_its_functional_exchanges(tmp_path: Path) -> None:
    found = _findings(tmp_path, model_text(), "AR155")
    assert set(found) == {"ce_reversed", "ce_items_missing"}
    assert found["ce_reversed"].related == ("ei2", "ei1")  # conveys Torque, its functional exchange Speed
    assert "conveys 'Torque'" in found["ce_reversed"].message and "'Speed'" in found["ce_reversed"].message
    assert found["ce_items_missing"].related == ("ei1", "ei2")


def test_exchange_items_are_checked_in_the_system_analysis_only(tmp_path: Path) -> None:
    text = model_text("la:LogicalArchitecture", "la:LogicalComponent")
    assert _findings(tmp_path, text, "AR155") == {}
    assert set(_findings(tmp_path, text, "AR154")) == {"ce_reversed", "ce_from_in"}  # every layer


def test_an_exchange_held_by_one_of_its_ends_is_a_delegation_only_into_that_component(tmp_path: Path) -> None:
    """Capella may hold an exchange between two sibling components in one of them: its port there is not the
    holder's boundary (no delegation, so no AR001 on an OUT-to-IN flow); an exchange from the holder's port to a
    component inside it is a delegation whatever its kind."""
    held_by_a = _exchange("ce_held_by_a", "a_out4", "b_in3")
    into_a = _exchange("ce_into_a", "sys_in2", "a_in4")
    text = (model_text()
            .replace(f'{_port("a_in3", "IN")}', f'{_port("a_in3", "IN")}{_port("a_out4", "OUT")}{_port("a_in4", "IN")}'
                     + held_by_a)
            .replace(f'{_port("b_in2", "IN")}', f'{_port("b_in2", "IN")}{_port("b_in3", "IN")}')
            .replace(f'{_port("sys_in", "IN")}', f'{_port("sys_in", "IN")}{_port("sys_in2", "IN")}{into_a}'))
    path = tmp_path / "held.capella"
    path.write_text(text, encoding="utf-8")
    model, _ = importers.load(path)
    assert model["ce_held_by_a"].owner == "a"
    ends = {c: [(e.role, e.part_with_port) for e in model[c].ends] for c in ("ce_held_by_a", "ce_into_a")}
    assert ends["ce_held_by_a"] == [("a_out4", "part-a"), ("b_in3", "part-b")]
    assert ends["ce_into_a"] == [("sys_in2", None), ("a_in4", "part-a")]
    assert "ce_held_by_a" not in _findings(tmp_path, text, "AR001")
