"""Capella parts of a component typed by components of its own level (AR157, Capella's DWF_DC_06,
MDCHK_Component_PartTypeLevel)."""

from __future__ import annotations

from pathlib import Path

import importers
from metamodel.validation import run_rules
from tests.test_capella import HEADER

PA = ('xmlns:pa="http://www.polarsys.org/capella/core/pa/7.0.0" '
      'xmlns:inf="http://www.polarsys.org/capella/core/information/7.0.0" ')
MODEL = HEADER.replace('id="p1"', PA + 'id="p1"') + """
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedDataPkg xsi:type="inf:DataPkg" id="data" name="Data">
        <ownedClasses xsi:type="inf:Class" id="cls" name="Record"/>
      </ownedDataPkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="lpkg" name="Structure">
        <ownedParts xsi:type="cs:Part" id="part-sys" name="Sys" abstractType="#sys"/>
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys" name="Sys">
          <ownedFeatures xsi:type="cs:Part" id="p_ok" name="Controller" abstractType="#ctrl"/>
          <ownedFeatures xsi:type="cs:Part" id="p_board" name="Board" abstractType="#board"/>
          <ownedFeatures xsi:type="cs:Part" id="p_record" name="Record" abstractType="#cls"/>
          <ownedLogicalComponents xsi:type="la:LogicalComponent" id="ctrl" name="Controller">
            <ownedFeatures xsi:type="cs:Part" id="p_nowhere" name="Ghost" abstractType="#missing"/>
          </ownedLogicalComponents>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
    <ownedArchitectures xsi:type="pa:PhysicalArchitecture" id="pa" name="Physical">
      <ownedPhysicalComponentPkg xsi:type="pa:PhysicalComponentPkg" id="ppkg" name="Structure">
        <ownedPhysicalComponents xsi:type="pa:PhysicalComponent" id="board" name="Board"/>
      </ownedPhysicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def test_parts_typed_by_another_level_are_reported_once_per_component(tmp_path: Path) -> None:
    path = tmp_path / "levels.capella"
    path.write_text(MODEL, encoding="utf-8")
    model, _ = importers.load(path)
    findings = run_rules(model, ["architecture"])
    found = [d for d in findings if d.code == "AR157"]
    assert [(d.element_id, d.related) for d in found] == [("sys", ("p_board", "p_record"))]
    assert "'Board' (PhysicalComponent)" in found[0].message and "(logical architecture)" in found[0].message
    assert any(d.code == "AR101" for d in findings)  # the part typed by nothing in the file: AR101's, not AR157's
