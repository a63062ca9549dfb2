"""Capella interfaces: every provided and required interface of a component port and every interface use
of a component is imported, and AR153 (Capella's DCOV_01) reports the interfaces no component uses.
Also the recall measurement on Capella's validation test model, run on a planted stand-in."""

from __future__ import annotations

from pathlib import Path

import importers
from benchmarks import capella_recall
from metamodel.elements import Block, Port
from metamodel.validation import run_rules
from tests.test_capella import HEADER

# i_first and i_second are required by one port (second in its list), i_used is used by a component,
# i_provided is only provided by a port, i_implemented only implemented by a component, i_alone is
# nothing's; the exchange item is not an interface
INTERFACES = HEADER + """
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedInterfacePkg xsi:type="cs:InterfacePkg" id="ipkg" name="Interfaces">
        <ownedInterfaces xsi:type="cs:Interface" id="i_first" name="First"/>
        <ownedInterfaces xsi:type="cs:Interface" id="i_second" name="Second"/>
        <ownedInterfaces xsi:type="cs:Interface" id="i_used" name="Used"/>
        <ownedInterfaces xsi:type="cs:Interface" id="i_provided" name="Provided"/>
        <ownedInterfaces xsi:type="cs:Interface" id="i_implemented" name="Implemented"/>
        <ownedInterfaces xsi:type="cs:Interface" id="i_alone" name="Alone"/>
        <ownedExchangeItems xsi:type="x:ExchangeItem" xmlns:x="http://www.polarsys.org/capella/core/information/7.0.0"
            id="ei" name="Item"/>
      </ownedInterfacePkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys" name="Sys">
          <ownedFeatures xsi:type="cs:Part" id="part-a" name="A" abstractType="#a"/>
          <ownedFeatures xsi:type="cs:Part" id="part-b" name="B" abstractType="#b"/>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="a" name="A">
            <ownedInterfaceUses xsi:type="cs:InterfaceUse" id="use" usedInterface="#i_used"/>
            <ownedFeatures xsi:type="fa:ComponentPort" id="a_port" name="p" orientation="INOUT"
                kind="STANDARD" requiredInterfaces="#i_first #i_second" providedInterfaces="#i_provided"/>
          </ownedLogicalComponents>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="b" name="B">
            <ownedInterfaceImplementations xsi:type="cs:InterfaceImplementation" id="impl"
                implementedInterface="#i_implemented"/>
          </ownedLogicalComponents>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def _load(tmp_path: Path, text: str = INTERFACES):
    path = tmp_path / "interfaces.capella"
    path.write_text(text, encoding="utf-8")
    return importers.load(path)


def test_every_interface_of_a_port_and_a_component_is_imported(tmp_path: Path) -> None:
    model, report = _load(tmp_path)
    port = model["a_port"]
    assert isinstance(port, Port) and port.type == "i_provided"  # the provided one types the port, as before
    assert port.properties["requiredInterfaces"].split() == ["i_first", "i_second"]
    assert port.properties["providedInterfaces"] == "i_provided"
    assert isinstance(model["a"], Block) and model["a"].properties["usedInterfaces"] == "i_used"
    assert model["b"].properties["implementedInterfaces"] == "i_implemented"
    assert not any("InterfaceUse" in e.reason or "InterfaceImplementation" in e.reason for e in report.entries)


def test_interfaces_no_component_uses_are_reported(tmp_path: Path) -> None:
    model, _ = _load(tmp_path)
    found = {d.element_id: d for d in run_rules(model, ["architecture"]) if d.code == "AR153"}
    assert set(found) == {"i_provided", "i_implemented", "i_alone"}
    assert found["i_provided"].related == ("a_port",) and "1 port(s) provide it" in found["i_provided"].message
    assert "(logical architecture)" in found["i_alone"].message


def test_an_interface_required_only_second_in_a_list_is_used(tmp_path: Path) -> None:
    """The importer once kept only a port's first interface: the second was then reported as unused."""
    model, _ = _load(tmp_path, INTERFACES.replace('requiredInterfaces="#i_first #i_second"',
                                                  'requiredInterfaces="#i_second #i_first"'))
    found = {d.element_id for d in run_rules(model, ["architecture"]) if d.code == "AR153"}
    assert "i_first" not in found and "i_second" not in found


def test_a_used_interface_left_unused_is_reported(tmp_path: Path) -> None:
    model, _ = _load(tmp_path, INTERFACES.replace('usedInterface="#i_used"', 'usedInterface="#i_alone"'))
    found = {d.element_id for d in run_rules(model, ["architecture"]) if d.code == "AR153"}
    assert "i_used" in found and "i_alone" not in found


def test_recall_counts_planted_caught_and_extra_findings(tmp_path: Path) -> None:
    """The measurement on a stand-in for Capella's test model: its rule DCOV_01 run on two interfaces,
    one planted (i_alone); a scope element Capella passes but Salver flags counts as extra."""
    model, _ = _load(tmp_path)
    oracle = {"rules": [
        {"capella": "DCOV_01", "scope": ["i_first", "i_alone"], "oracle": {"i_alone": 1}, "salver_rule": "AR153"},
        {"capella": "DCOV_01b", "scope": ["i_provided", "i_used"], "oracle": {"i_used": 1}, "salver_rule": "AR153"},
        {"capella": "DCOV_02", "scope": ["cap"], "oracle": {"cap": 1}, "salver_rule": None},
        {"capella": "DCOV_01c", "scope": ["i_alone"], "oracle": {"i_alone": 1}, "salver_rule": "AR102",
         "also": ["AR153"]},
        {"capella": "DCOV_01d", "scope": ["i_alone"], "oracle": {"i_alone": 1}, "salver_rule": "AR102"},
    ]}
    results = {r.capella: r for r in capella_recall.measure(model, oracle)}
    assert (results["DCOV_01"].planted, results["DCOV_01"].caught, results["DCOV_01"].extra) == (1, 1, ())
    assert (results["DCOV_01b"].caught, results["DCOV_01b"].extra) == (0, ("i_provided",))
    assert (results["DCOV_02"].caught, results["DCOV_02"].missing) == (0, ("cap",))
    # AR153's finding counts for the rule that names it under 'also', and only for that one
    assert (results["DCOV_01c"].caught, results["DCOV_01d"].caught) == (1, 0)


def test_the_oracle_names_its_source_and_maps_rules_that_exist() -> None:
    import json

    from metamodel.validation.registry import RULES

    oracle = json.loads(capella_recall.ORACLE.read_text(encoding="utf-8"))
    assert "RulesOnDesignTest.capella" in oracle["source"]
    for entry in oracle["rules"]:
        assert set(entry["oracle"]) <= set(entry["scope"]), entry["capella"]
        assert entry["salver_rule"] is None and entry["why"] or entry["salver_rule"] in RULES
        assert set(entry.get("also", ())) <= set(RULES) and (entry["salver_rule"] or not entry.get("also"))


def test_an_exchange_item_allocation_without_its_item_is_reported_by_id(tmp_path: Path) -> None:
    """Capella's DWF_I_11: an interface's exchange item allocation with no allocated item. AR102 names the
    allocation (a flow property of the interface) among its related ids, so the recall counts it caught
    and present; the allocation that names its item is not reported."""
    allocations = ('<ownedInterfaces xsi:type="cs:Interface" id="i_alone" name="Alone">'
                   '<ownedExchangeItemAllocations xsi:type="cs:ExchangeItemAllocation" id="eia_ok" name="ok"'
                   ' allocatedItem="#ei"/>'
                   '<ownedExchangeItemAllocations xsi:type="cs:ExchangeItemAllocation" id="eia_ko" name="ko"/>'
                   '</ownedInterfaces>')
    model, _ = _load(tmp_path, INTERFACES.replace(
        '<ownedInterfaces xsi:type="cs:Interface" id="i_alone" name="Alone"/>', allocations))
    found = [d for d in run_rules(model, ["architecture"]) if d.code == "AR102"]
    assert [(d.element_id, d.related) for d in found] == [("i_alone", ("eia_ko",))]
    assert "'ko'" in found[0].message
    oracle = {"rules": [{"capella": "DWF_I_11", "scope": ["eia_ok", "eia_ko"], "oracle": {"eia_ko": 1},
                         "salver_rule": "AR102"}]}
    (result,) = capella_recall.measure(model, oracle)
    assert (result.caught, result.extra, result.missing) == (1, (), ())
