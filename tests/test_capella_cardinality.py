"""Capella's cardinality checks on class properties, association ends and exchange item elements
(AR241: DWF_D_50, a maximum of at least 1; AR242: DWF_D_51, a minimum of at least 0): the planted
cases of Capella's test model and the elements Capella passes."""

from __future__ import annotations

from pathlib import Path

import pytest

import importers
from metamodel.validation import Diagnostic, run_rules
from tests.test_capella import HEADER

NS = ('xmlns:inf="http://www.polarsys.org/capella/core/information/7.0.0" '
      'xmlns:dv="http://www.polarsys.org/capella/core/information/datavalue/7.0.0" ')


def _cards(pid: str, low: str | None, high: str | None) -> str:
    written = ""
    for slot, value in (("ownedMinCard", low), ("ownedMaxCard", high)):
        if value is not None:
            written += f'<{slot} xsi:type="dv:LiteralNumericValue" id="{pid}-{slot}" value="{value}"/>'
    return written


def _feature(tag: str, kind: str, pid: str, low: str | None, high: str | None, extra: str = "") -> str:
    return f'<{tag} xsi:type="inf:{kind}" id="{pid}" name="{pid}" abstractType="#item"{extra}>' \
           f'{_cards(pid, low, high)}</{tag}>'


PROPERTIES = [("ok", "1", "4"), ("ok_zero", "0", "5"), ("max_star", "0", "*"), ("max_comma", "1", "1,5"),
              ("max_neg", "1", "-2"), ("max_zero", "0", "0"), ("max_text", "1", "test"), ("max_none", "1", None),
              ("min_dot", "1.5", "2"), ("min_neg", "-2", "1"), ("min_text", "test", "1"), ("min_none", None, "1"),
              ("min_star", "*", "1")]
ABSTRACT = _feature("ownedFeatures", "Property", "abstract_none", None, None, ' isAbstract="true"')
REFERENCE = ('<ownedFeatures xsi:type="inf:Property" id="by_ref" name="by_ref" abstractType="#item">'
             '<ownedMinCard xsi:type="dv:NumericReference" id="by_ref-min" referencedValue="#n"/>'
             '<ownedMaxCard xsi:type="dv:NumericReference" id="by_ref-max" referencedValue="#n"/></ownedFeatures>')

MODEL = HEADER.replace('id="p1"', NS + 'id="p1"') + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedDataPkg xsi:type="inf:DataPkg" id="data" name="Data">
        <ownedClasses xsi:type="inf:Class" id="item" name="Item"/>
        <ownedClasses xsi:type="inf:Class" id="record" name="Record">
          {"".join(_feature("ownedFeatures", "Property", *p) for p in PROPERTIES)}{ABSTRACT}{REFERENCE}
        </ownedClasses>
        <ownedAssociations xsi:type="inf:Association" id="assoc" name="holds" navigableMembers="#ok">
          {_feature("ownedMembers", "Property", "end_ok", "0", "1")}{_feature("ownedMembers", "Property", "end_bare", None, None)}
        </ownedAssociations>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei" name="Order" exchangeMechanism="EVENT">
          {_feature("ownedElements", "ExchangeItemElement", "eie_ok", "1", "1", ' direction="UNSET"')}{_feature("ownedElements", "ExchangeItemElement", "eie_max_star", "1", "*", ' direction="UNSET"')}{_feature("ownedElements", "ExchangeItemElement", "eie_min_star", "*", "1", ' direction="UNSET"')}
        </ownedExchangeItems>
      </ownedDataPkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="lpkg" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="c" name="C">
          <ownedFeatures xsi:type="cs:Part" id="part_bare" name="part" abstractType="#item"/>
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""  # noqa: E501


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[Diagnostic]:
    path = tmp_path_factory.mktemp("capella_card") / "card.capella"
    path.write_text(MODEL, encoding="utf-8")
    model, _ = importers.load(path)
    return run_rules(model, ["architecture"])


def _of(found: list[Diagnostic], code: str) -> list[tuple[str | None, tuple[str, ...]]]:
    return sorted((d.element_id, d.related) for d in found if d.code == code)


def test_maximum_cardinality(findings) -> None:
    # '*' is an unbounded maximum, right (max_star, eie_max_star); abstract properties, cards given by
    # reference and the parts of components are not checked
    assert _of(findings, "AR241") == sorted(
        [("end_bare", ()), ("max_comma", ()), ("max_neg", ()), ("max_none", ()), ("max_text", ()),
         ("max_zero", ())])
    messages = {d.element_id: d.message for d in findings if d.code == "AR241"}
    assert "property 'max_none' of 'Record'" in messages["max_none"] and "no maximum" in messages["max_none"]
    assert "maximum cardinality '0', not a whole number of at least 1 or '*'" in messages["max_zero"]


def test_minimum_cardinality(findings) -> None:
    assert _of(findings, "AR242") == sorted(
        [("end_bare", ()), ("ei", ("eie_min_star",)), ("min_dot", ()), ("min_neg", ()), ("min_none", ()),
         ("min_star", ()), ("min_text", ())])
    messages = {d.element_id: d.message for d in findings if d.code == "AR242"}
    assert "association end 'end_bare' of 'holds'" in messages["end_bare"]
    assert "minimum cardinality '-2', not a whole number of at least 0" in messages["min_neg"]


def test_cardinalities_stay_quiet_without_data(tmp_path: Path) -> None:
    path = tmp_path / "empty.capella"
    path.write_text(HEADER + '<ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE"/>\n'
                    "</org.polarsys.capella.core.data.capellamodeller:Project>\n", encoding="utf-8")
    model, _ = importers.load(path)
    assert not {d.code for d in run_rules(model, ["architecture"])} & {"AR241", "AR242"}
