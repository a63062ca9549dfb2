"""Capella control functions (AR156, Capella's DWF_DF_01 and DWF_DF_02): a duplicate, split or select
function takes one incoming exchange on one input port, a gather or route function gives one outgoing
exchange on one output port."""

from __future__ import annotations

from pathlib import Path

import importers
from metamodel.validation import run_rules
from tests.test_capella import HEADER


def _function(fid: str, kind: str, inputs: int, outputs: int) -> str:
    ports = "".join(f'<inputs xsi:type="fa:FunctionInputPort" id="{fid}_i{n}" name="in {n}"/>' for n in range(inputs))
    ports += "".join(f'<outputs xsi:type="fa:FunctionOutputPort" id="{fid}_o{n}" name="out {n}"/>'
                     for n in range(outputs))
    written = f' kind="{kind}"' if kind else ""
    return f'<ownedFunctions xsi:type="la:LogicalFunction" id="{fid}" name="{fid}"{written}>{ports}</ownedFunctions>'


def _exchange(eid: str, source: str, target: str) -> str:
    return (f'<ownedFunctionalExchanges xsi:type="fa:FunctionalExchange" id="{eid}" source="#{source}" '
            f'target="#{target}"/>')


FUNCTIONS = "".join((
    _function("src", "", 0, 3),
    _function("dup_two_in", "DUPLICATE", 1, 1),     # two exchanges into its one input port
    _function("split_ok", "SPLIT", 1, 2),           # one in, two out: a split's purpose
    _function("select_two_ports", "SELECT", 2, 1),  # two input ports, no exchange yet
    _function("gather_two_out", "GATHER", 1, 1),    # two exchanges out of its one output port
    _function("route_ok", "ROUTE", 2, 1),           # a route may take several inputs
    _function("plain", "", 2, 2),                   # an ordinary function takes any number
    _function("sink", "", 3, 0),
))
EXCHANGES = "".join((
    _exchange("e1", "src_o0", "dup_two_in_i0"), _exchange("e2", "src_o1", "dup_two_in_i0"),
    _exchange("e3", "src_o2", "split_ok_i0"),
    _exchange("e4", "gather_two_out_o0", "sink_i0"), _exchange("e5", "gather_two_out_o0", "sink_i1"),
    _exchange("e6", "route_ok_o0", "sink_i2"),
))
MODEL = HEADER + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedFunctionPkg xsi:type="la:LogicalFunctionPkg" id="fpkg" name="Functions">
        <ownedLogicalFunctions xsi:type="la:LogicalFunction" id="root" name="Root">{FUNCTIONS}{EXCHANGES}
        </ownedLogicalFunctions>
      </ownedFunctionPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def test_control_functions_take_one_input_or_give_one_output(tmp_path: Path) -> None:
    path = tmp_path / "control.capella"
    path.write_text(MODEL, encoding="utf-8")
    model, _ = importers.load(path)
    assert model["dup_two_in"].properties["kind"] == "DUPLICATE" and "kind" not in model["plain"].properties
    found = {d.element_id: d for d in run_rules(model, ["architecture"]) if d.code == "AR156"}
    assert set(found) == {"dup_two_in", "select_two_ports", "gather_two_out"}
    assert found["dup_two_in"].related == ("e1", "e2") and "2 incoming functional exchanges" in \
        found["dup_two_in"].message
    assert "2 input ports" in found["select_two_ports"].message and found["select_two_ports"].related == ()
    assert found["gather_two_out"].related == ("e4", "e5")
