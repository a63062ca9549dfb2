"""Capella's validator on the data model and on exchange items (AR185-AR199): unions, associations, the
types of properties, exchange item elements and communication links, each rule's planted cases and the
elements Capella passes."""

from __future__ import annotations

from pathlib import Path

import pytest

import importers
from metamodel.elements import Block, Interface, Part, Relation
from metamodel.model import Model
from metamodel.validation import Diagnostic, run_rules
from tests.test_capella import HEADER

NS = ('xmlns:inf="http://www.polarsys.org/capella/core/information/7.0.0" '
      'xmlns:dv="http://www.polarsys.org/capella/core/information/datavalue/7.0.0" '
      'xmlns:com="http://www.polarsys.org/capella/core/information/communication/7.0.0" ')


def _card(low: str, high: str) -> str:
    return (f'<ownedMinCard xsi:type="dv:LiteralNumericValue" id="{{id}}-min" value="{low}"/>'
            f'<ownedMaxCard xsi:type="dv:LiteralNumericValue" id="{{id}}-max" value="{high}"/>')


def _property(kind: str, pid: str, name: str, type_: str, aggregation: str = "", card: tuple[str, str] = ("1", "1"),
              extra: str = "") -> str:
    written = f' aggregationKind="{aggregation}"' if aggregation else ""
    bounds = _card(*card).replace("{id}", pid)
    return (f'<{kind} xsi:type="inf:Property" id="{pid}" name="{name}" abstractType="#{type_}"{written}{extra}>'
            f'{bounds}</{kind}>')


DATA = """
        <ownedClasses xsi:type="inf:Class" id="point" name="Point" isPrimitive="true"/>
        <ownedClasses xsi:type="inf:Class" id="item" name="Item"/>
        <ownedClasses xsi:type="inf:Class" id="pair" name="Pair" isPrimitive="true">
          {pair_item}
        </ownedClasses>
        <ownedClasses xsi:type="inf:Class" id="record" name="Record">
          {origin}{owner}{parts}{parts_bad}{aggregated}{shared_a}{shared_b}{history}{vector}{unset_nav}
        </ownedClasses>
        <ownedCollections xsi:type="inf:Collection" id="points" name="Points" type="#point"/>
        <ownedCollections xsi:type="inf:Collection" id="vec" name="Vec" type="#point" isPrimitive="true"/>
        <ownedClasses xsi:type="inf:Union" id="u_none" name="NoDiscriminant">
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_none_a" name="a" abstractType="#point"/>
        </ownedClasses>
        <ownedClasses xsi:type="inf:Union" id="u_ok" name="Tagged" discriminant="#u_ok_tag" defaultProperty="#u_ok_def">
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_ok_tag" name="tag" abstractType="#point"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_ok_def" name="other" abstractType="#point"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_ok_a" name="a" abstractType="#point" qualifier="#one"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_ok_b" name="b" abstractType="#point" qualifier="#two"/>
        </ownedClasses>
        <ownedClasses xsi:type="inf:Union" id="u_bare" name="Bare" discriminant="#u_bare_tag">
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_bare_tag" name="tag" abstractType="#point"
              qualifier="#one"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_bare_a" name="a" abstractType="#point"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_bare_b" name="b" abstractType="#point" qualifier="#two"/>
        </ownedClasses>
        <ownedClasses xsi:type="inf:Union" id="u_twice" name="Twice" discriminant="#u_twice_tag">
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_twice_tag" name="tag" abstractType="#point"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_twice_a" name="a" abstractType="#point" qualifier="#one"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_twice_b" name="b" abstractType="#point"
              qualifier="#two #one"/>
        </ownedClasses>
        <ownedClasses xsi:type="inf:Union" id="u_variant" name="Variant" kind="VARIANT" discriminant="#u_var_tag">
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_var_tag" name="tag" abstractType="#point"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_var_a" name="a" abstractType="#point" qualifier="#one"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_var_b" name="b" abstractType="#point" qualifier="#one"/>
          <ownedFeatures xsi:type="inf:UnionProperty" id="u_var_c" name="c" abstractType="#point"/>
        </ownedClasses>
        <ownedAssociations xsi:type="inf:Association" id="a_ok" name="composed of" navigableMembers="#parts">
          {whole}
        </ownedAssociations>
        <ownedAssociations xsi:type="inf:Association" id="a_card" name="many wholes" navigableMembers="#parts_bad">
          {wholes}
        </ownedAssociations>
        <ownedAssociations xsi:type="inf:Association" id="a_prim" name="of points" navigableMembers="#aggregated">
          {point_end}
        </ownedAssociations>
        <ownedAssociations xsi:type="inf:Association" id="a_hidden" name="hidden">
          {hidden_whole}{hidden_part}
        </ownedAssociations>
        <ownedAssociations xsi:type="inf:Association" id="a_shared" name="shared"
            navigableMembers="#shared_a #shared_b"/>
        <ownedAssociations xsi:type="inf:Association" id="a_lonely" name="lonely">{lonely}</ownedAssociations>
        <ownedAssociations xsi:type="inf:Association" id="a_unset" name="unset" navigableMembers="#unset_nav">
          {unset_end}
        </ownedAssociations>
        <ownedDataValues xsi:type="dv:LiteralNumericValue" id="one" name="one" value="1"/>
        <ownedDataValues xsi:type="dv:LiteralNumericValue" id="two" name="two" value="2"/>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_flow" name="Video" exchangeMechanism="FLOW">
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_flow_e" name="frame" abstractType="#point"
              direction="UNSET"/>
        </ownedExchangeItems>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_op" name="Compute" exchangeMechanism="OPERATION">
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_op_x" name="x" abstractType="#point" kind="MEMBER"
              direction="IN"/>
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_op_y" name="y" abstractType="#point" kind="MEMBER"
              direction="RETURN"/>
        </ownedExchangeItems>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_op_bad" name="Reset" exchangeMechanism="OPERATION">
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_op_bad_e" name="how" abstractType="#point"
              direction="IN"/>
        </ownedExchangeItems>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_op_unset" name="Stop" exchangeMechanism="OPERATION">
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_op_unset_e" name="why" abstractType="#point"
              kind="MEMBER" direction="UNSET"/>
        </ownedExchangeItems>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_event" name="Alarm" exchangeMechanism="EVENT">
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_event_e" name="level" abstractType="#point"
              kind="MEMBER" direction="OUT"/>
        </ownedExchangeItems>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_plain" name="Status">
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_plain_e" name="code" abstractType="#point"/>
          <ownedElements xsi:type="inf:ExchangeItemElement" id="ei_plain_f" name="text" abstractType="#point"
              direction="UNSET"/>
        </ownedExchangeItems>
        <ownedExchangeItems xsi:type="inf:ExchangeItem" id="ei_data" name="Table" exchangeMechanism="SHARED_DATA"/>
"""
LINKS = """
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_send" kind="SEND" protocol="UNICAST"
              exchangeItem="#ei_event"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_send2" kind="SEND" protocol="UNICAST"
              exchangeItem="#ei_event"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_send3" kind="SEND" protocol="BROADCAST"
              exchangeItem="#ei_event"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_call" kind="CALL" exchangeItem="#ei_flow"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_produce" kind="PRODUCE"
              protocol="SYNCHRONOUS" exchangeItem="#ei_flow"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_transmit" kind="TRANSMIT"
              exchangeItem="#ei_op"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_unset" exchangeItem="#ei_plain"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_access" kind="ACCESS" protocol="READ"
              exchangeItem="#ei_data"/>
          <ownedCommunicationLinks xsi:type="com:CommunicationLink" id="l_execute" kind="EXECUTE"
              exchangeItem="#ei_op"/>
"""


def _data() -> str:
    return DATA.format(
        pair_item=_property("ownedFeatures", "pair_item", "item", "item"),
        origin=_property("ownedFeatures", "origin", "origin", "point"),
        owner=_property("ownedFeatures", "owner", "owner", "item"),
        parts=_property("ownedFeatures", "parts", "parts", "item", "COMPOSITION", ("0", "*")),
        parts_bad=_property("ownedFeatures", "parts_bad", "parts", "item", "COMPOSITION", ("0", "*")),
        aggregated=_property("ownedFeatures", "aggregated", "points", "point", "AGGREGATION", ("0", "*")),
        shared_a=_property("ownedFeatures", "shared_a", "left", "item", "AGGREGATION"),
        shared_b=_property("ownedFeatures", "shared_b", "right", "record", "AGGREGATION"),
        history=_property("ownedFeatures", "history", "history", "points"),
        vector=_property("ownedFeatures", "vector", "vector", "vec"),
        whole=_property("ownedMembers", "whole", "", "record", "ASSOCIATION", ("0", "1")),
        wholes=_property("ownedMembers", "wholes", "", "record", "ASSOCIATION", ("0", "*")),
        point_end=_property("ownedMembers", "point_end", "", "record", "ASSOCIATION"),
        hidden_whole=_property("ownedMembers", "hidden_whole", "", "record", "ASSOCIATION"),
        hidden_part=_property("ownedMembers", "hidden_part", "", "item", "COMPOSITION"),
        lonely=_property("ownedMembers", "lonely", "", "record", "ASSOCIATION"),
        unset_end=_property("ownedMembers", "unset_end", "", "record"),
        unset_nav=_property("ownedFeatures", "unset_nav", "items", "item", "ASSOCIATION"),
    )


MODEL = HEADER.replace('id="p1"', NS + 'id="p1"') + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedDataPkg xsi:type="inf:DataPkg" id="data" name="Data">{_data()}
      </ownedDataPkg>
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="lpkg" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sender" name="Sender">
          <ownedFeatures xsi:type="cs:Part" id="log" name="log" abstractType="#record"/>{LINKS}
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, list[Diagnostic]]:
    path = tmp_path_factory.mktemp("capella_data") / "data.capella"
    path.write_text(MODEL, encoding="utf-8")
    model, _ = importers.load(path)
    return model, run_rules(model, ["architecture"])


def _of(found: list[Diagnostic], code: str) -> list[tuple[str | None, tuple[str, ...]]]:
    return sorted((d.element_id, d.related) for d in found if d.code == code)


def test_unions_relations_and_links_are_imported(findings) -> None:
    model, _ = findings
    union = model["u_ok"]
    assert isinstance(union, Block) and union.stereotype == "Union"
    assert (union.properties["discriminant"], union.properties["defaultProperty"]) == ("u_ok_tag", "u_ok_def")
    assert model["point"].properties["isPrimitive"] == "true" and "isPrimitive" not in model["item"].properties
    assert model["u_twice_b"].stereotype == "UnionProperty" and model["u_twice_b"].properties["qualifier"] == "two one"
    assert model["one"].name == "one"  # a qualifier value is a stub, named in the findings
    association = model["a_ok"]
    assert isinstance(association, Relation) and association.relation == "association"
    assert (association.sources, association.targets) == (["whole"], ["parts"])
    whole = model["whole"]
    assert isinstance(whole, Part) and whole.owner == "a_ok" and whole.properties["aggregationKind"] == "ASSOCIATION"
    assert (whole.lower, whole.upper) == (0, 1)
    link = model["l_produce"]
    assert isinstance(link, Relation) and (link.relation, link.sources, link.targets) == \
        ("communication", ["sender"], ["ei_flow"])
    assert link.properties == {"kind": "PRODUCE", "protocol": "SYNCHRONOUS"}
    item = model["ei_op"]
    assert isinstance(item, Interface) and item.properties["exchangeMechanism"] == "OPERATION"
    assert [fp.properties for fp in item.flow_properties] == [{"kind": "MEMBER", "direction": "IN"},
                                                              {"kind": "MEMBER", "direction": "RETURN"}]


def test_union_rules(findings) -> None:
    _, found = findings
    assert _of(found, "AR185") == [("u_bare", ("u_bare_a",))]  # not the discriminant, not a VARIANT's
    assert _of(found, "AR186") == [("u_twice", ("u_twice_b",))]
    assert "'one' (again on 'b')" in next(d.message for d in found if d.code == "AR186")
    assert _of(found, "AR187") == [("u_bare", ("u_bare_tag",))]
    assert _of(found, "AR188") == [("u_none", ())]


def test_association_rules(findings) -> None:
    _, found = findings
    assert _of(found, "AR189") == [("a_card", ("wholes",))]  # 'composed of' has its whole at 0..1
    assert "cardinality 0..*" in next(d.message for d in found if d.code == "AR189")
    assert _of(found, "AR190") == [("a_prim", ("point",))]
    assert _of(found, "AR191") == [("a_hidden", ("hidden_part",))]
    assert _of(found, "AR192") == [("a_shared", ("shared_a", "shared_b"))]
    assert _of(found, "AR199") == [("a_lonely", ()), ("a_unset", ("unset_end",))]
    assert "has 1 end" in next(d.message for d in found if d.element_id == "a_lonely")


def test_property_typed_by_a_class_without_association(findings) -> None:
    _, found = findings
    # 'owner' and 'history' (a collection) of Record and the component's part 'log': no association;
    # 'pair_item' is in a primitive class, 'origin' and 'vector' typed by primitive types, the navigable and
    # owned association ends are ends
    assert _of(found, "AR193") == [("history", ("points",)), ("log", ("record",)), ("owner", ("item",))]
    assert "non-primitive collection 'Points'" in next(d.message for d in found if d.element_id == "history")


def test_exchange_item_rules(findings) -> None:
    _, found = findings
    assert _of(found, "AR194") == [("ei_event", ("ei_event_e",)), ("ei_op_bad", ("ei_op_bad_e",))]
    # an element written without a direction is IN: wrong outside an OPERATION, right in one ('Compute'),
    # where UNSET is wrong ('Stop')
    assert _of(found, "AR195") == [("ei_event", ("ei_event_e",)), ("ei_op_unset", ("ei_op_unset_e",)),
                                   ("ei_plain", ("ei_plain_e",))]
    assert "elements without a direction: 'why'" in next(d.message for d in found if d.element_id == "ei_op_unset")


def test_communication_link_rules(findings) -> None:
    _, found = findings
    assert _of(found, "AR196") == [("sender", ("l_send", "l_send2"))]  # BROADCAST is another signature
    assert _of(found, "AR197") == [("l_call", ("ei_flow",))]  # TRANSMIT takes any mechanism, UNSET an UNSET one
    assert _of(found, "AR198") == [("l_produce", ())]


def test_rules_stay_quiet_on_models_without_unions_or_links(tmp_path: Path) -> None:
    empty = HEADER + """
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE"/>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""
    path = tmp_path / "empty.capella"
    path.write_text(empty, encoding="utf-8")
    model, _ = importers.load(path)
    codes = {d.code for d in run_rules(model, ["architecture"])}
    assert not codes & {f"AR{n}" for n in range(185, 200)}


def test_association_relationships_of_other_tools_are_not_capella_associations() -> None:
    model = Model(name="archimate")
    model.add(Block("a", "Actor"))
    model.add(Block("b", "Service"))
    model.add(Relation("r", "uses", relation="association", sources=["a"], targets=["b"]))
    codes = {d.code for d in run_rules(model, ["architecture"])}
    assert not codes & {"AR189", "AR190", "AR191", "AR192", "AR199"}
