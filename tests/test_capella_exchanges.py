"""Capella functional exchanges against component exchanges (AR141), per layer, and the findings on
elements that Capella's layers repeat by name: each one says which layer it is in."""

from __future__ import annotations

from pathlib import Path

import importers
from metamodel.elements import Connector, ConnectorEnd, Port, Relation
from metamodel.validation import run_rules

NS = ('xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'xmlns:m="http://www.polarsys.org/capella/core/modeller/7.0.0" '
      'xmlns:ctx="http://www.polarsys.org/capella/core/ctx/7.0.0" '
      'xmlns:la="http://www.polarsys.org/capella/core/la/7.0.0" '
      'xmlns:pa="http://www.polarsys.org/capella/core/pa/7.0.0" '
      'xmlns:cs="http://www.polarsys.org/capella/core/cs/7.0.0" '
      'xmlns:fa="http://www.polarsys.org/capella/core/fa/7.0.0"')


def _component(kind: str, ident: str, name: str, functions: tuple[str, ...], inner: str = "",
               actor: bool = False) -> str:
    allocations = "".join(f'<ownedFunctionalAllocation xsi:type="fa:ComponentFunctionalAllocation" '
                          f'id="al-{f}" targetElement="#{f}" sourceElement="#{ident}"/>' for f in functions)
    flag = ' actor="true"' if actor else ""
    return (f'<ownedComponents xsi:type="{kind}" id="{ident}" name="{name}"{flag}>{allocations}{inner}'
            '</ownedComponents>')


def _exchange(ident: str, source: str, target: str) -> str:
    return (f'<ownedFunctionalExchanges xsi:type="fa:FunctionalExchange" id="{ident}" name="Data" '
            f'source="#{source}" target="#{target}"/>')


def _layer(prefix: str, kind: str, function: str, extra: str = "") -> str:
    """One layer: components A and B inside the system S, actors User and Grid; functions on each, one
    function on no component; exchanges A-B, A-A, User-Grid, User-A, A-nowhere."""
    p = prefix
    functions = "".join(f'<ownedFunctions xsi:type="{function}" id="{p}{f}" name="{f}"/>'
                        for f in ("fa", "fa2", "fb", "fu", "fg", "free"))
    exchanges = (_exchange(f"{p}ab", f"{p}fa", f"{p}fb") + _exchange(f"{p}aa", f"{p}fa", f"{p}fa2")
                 + _exchange(f"{p}ug", f"{p}fu", f"{p}fg") + _exchange(f"{p}ua", f"{p}fu", f"{p}fa")
                 + _exchange(f"{p}af", f"{p}fa", f"{p}free"))
    inner = (f'<ownedFeatures xsi:type="cs:Part" id="{p}pa" name="A" abstractType="#{p}a"/>'
             f'<ownedFeatures xsi:type="cs:Part" id="{p}pb" name="B" abstractType="#{p}b"/>'
             + _component(kind, f"{p}a", "A", (f"{p}fa", f"{p}fa2"))
             + _component(kind, f"{p}b", "B", (f"{p}fb",)))
    return (f'<ownedFunctions xsi:type="{function}" id="{p}root" name="Root">{functions}{exchanges}</ownedFunctions>'
            + _component(kind, f"{p}s", "S", (), inner)
            + _component(kind, f"{p}u", "User", (f"{p}fu",), actor=True)
            + _component(kind, f"{p}g", "Grid", (f"{p}fg",), actor=True) + extra)


def _model(tmp_path: Path):
    chain = '<ownedFunctionalChains xsi:type="fa:FunctionalChain" id="{}chain" name="Later"/>'
    layers = (("ctx:SystemAnalysis", "System Analysis", _layer("s-", "ctx:SystemComponent", "ctx:SystemFunction")
               + chain.format("s-")),
              ("la:LogicalArchitecture", "Logical Architecture",
               _layer("l-", "la:LogicalComponent", "la:LogicalFunction") + chain.format("l-")),
              ("pa:PhysicalArchitecture", "Physical Architecture",
               _layer("p-", "pa:PhysicalComponent", "pa:PhysicalFunction")))
    body = "".join(f'<ownedArchitectures xsi:type="{kind}" id="{kind}" name="{name}">{inner}</ownedArchitectures>'
                   for kind, name, inner in layers)
    path = tmp_path / "layers.capella"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<m:Project {NS} id="p" name="P">'
                    f'<ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">{body}</ownedModelRoots>'
                    '</m:Project>', encoding="utf-8")
    model, _ = importers.load(path)
    return model


def test_exchanges_between_components_of_the_logical_and_physical_architectures(tmp_path: Path) -> None:
    findings = [d for d in run_rules(_model(tmp_path), ["architecture"]) if d.code == "AR141"]
    # A-B and User-A, in the logical and the physical architecture; not the system analysis, not an exchange
    # inside A, between two actors, or to a function on no component (that one is AR140's)
    assert sorted((d.element_id, d.related) for d in findings) == [
        ("l-ab", ()), ("l-ua", ()), ("p-ab", ()), ("p-ua", ())]
    assert all(d.severity == "warning" for d in findings)
    messages = [d.message for d in findings]
    assert len(set(messages)) == len(messages)
    assert any("'A' and 'B' (logical architecture)" in m for m in messages)
    assert any("'A' and 'B' (physical architecture)" in m for m in messages)


def test_carried_exchange_and_an_exchange_on_the_wrong_component_exchange(tmp_path: Path) -> None:
    model = _model(tmp_path)
    model.add(Port("l-cpa", "p", owner="l-a"))
    model.add(Port("l-cpb", "p", owner="l-b"))
    model.add(Connector("l-ce", "A to B", ends=[ConnectorEnd("l-cpa"), ConnectorEnd("l-cpb")]))
    model.add(Relation("l-carry", relation="allocate", sources=["l-ab", "l-ua"], targets=["l-ce"]))
    findings = {d.element_id: d.message for d in run_rules(model, ["architecture"]) if d.code == "AR141"}
    assert "l-ab" not in findings
    assert "does not join the components of its functions" in findings["l-ua"]


def test_chains_of_each_layer_say_which_layer_and_warn(tmp_path: Path) -> None:
    findings = [d for d in run_rules(_model(tmp_path), ["architecture"]) if d.code == "AR142"]
    assert sorted(d.element_id for d in findings) == ["l-chain", "s-chain"]
    assert {d.severity for d in findings} == {"warning"}  # Capella's DWF_DF_03 is a warning
    assert sorted(d.message for d in findings) == [
        "functional chain 'Later' (logical architecture) involves nothing",
        "functional chain 'Later' (system analysis) involves nothing"]


def test_component_port_providing_an_interface_is_in_use(tmp_path: Path) -> None:
    model = _model(tmp_path)
    model.add(Port("l-cpa", "served", owner="l-a", stereotype="ComponentPort", type="l-itf"))
    model.add(Port("l-cpb", "spare", owner="l-b", stereotype="ComponentPort"))
    unconnected = {d.element_id: d.message for d in run_rules(model, ["architecture"]) if d.code == "AR103"}
    assert "l-cpa" not in unconnected  # Capella's DCOV_09: used by no exchange, but it provides an interface
    assert unconnected["l-cpb"] == "port 'spare' of 'B' is not connected"
