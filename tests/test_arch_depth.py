"""The functional and dynamic side: behaviour imported as elements and the rules tools' validators apply
to it (typing per kind, item flows against flow properties, allocation, functional chains, states)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from metamodel.elements import (
    Behavior,
    Block,
    Connector,
    ConnectorEnd,
    FlowProperty,
    Interface,
    ItemFlow,
    Part,
    Port,
    Relation,
    ValueType,
)
from metamodel.model import Model
from metamodel.validation import run_rules
from tests.test_arch_precision import _block, _load, _stereo


def _codes(model: Model) -> Counter:
    return Counter(d.code for d in run_rules(model, ["architecture"]))


def test_typing_per_kind() -> None:
    model = Model()
    for element in (Block("b", "B"), Block("cb", "C", stereotype="ConstraintBlock"), Interface("i", "I"),
                    ValueType("v", "V"), Block("host", "Host"),
                    Port("p1", "ok", owner="host", type="i", stereotype="ProxyPort"),
                    Port("p2", "bad", owner="host", type="b", stereotype="ProxyPort"),
                    Port("p3", "full", owner="host", type="i", stereotype="FullPort"),
                    Part("x1", "part", owner="host", type="v", stereotype="PartProperty"),
                    Part("x2", "value", owner="host", type="b", stereotype="ValueProperty"),
                    Part("x3", "constraint", owner="host", type="b", stereotype="ConstraintProperty"),
                    Part("x4", "fine", owner="host", type="cb", stereotype="ConstraintProperty")):
        model.add(element)
    flagged = {d.element_id for d in run_rules(model, ["architecture"]) if d.code == "AR130"}
    assert flagged == {"p2", "p3", "x1", "x2", "x3"}


def test_item_flow_against_flow_properties() -> None:
    model = Model()
    for element in (Block("a", "A"), ValueType("water", "Water"), ValueType("heat", "Heat"),
                    Interface("out_if", "Out", flow_properties=[FlowProperty("w", "out", "water")]),
                    Port("src", "src", owner="a", type="out_if"), Port("dst", "dst", owner="a", type="out_if"),
                    Port("cdst", "cdst", owner="a", type="out_if", conjugated=True)):
        model.add(element)
    model.add(ItemFlow("good", "good", conveyed=["water"], source="src", target="cdst"))
    model.add(ItemFlow("backwards", "backwards", conveyed=["water"], source="src", target="dst"))
    model.add(ItemFlow("alien", "alien", conveyed=["heat"], source="src", target="cdst"))
    found = [(d.element_id, d.message) for d in run_rules(model, ["architecture"]) if d.code == "AR131"]
    assert sorted(e for e, _ in found) == ["alien", "alien", "backwards"]
    assert "goes out" in dict(found)["backwards"]


def _functional_model() -> Model:
    model = Model()
    for element in (Block("c1", "C1", stereotype="LogicalComponent"), Block("c2", "C2", stereotype="LogicalComponent"),
                    Block("c3", "C3", stereotype="LogicalComponent"),
                    Behavior("root", "Root", behavior_kind="function", detail="LogicalFunction"),
                    Behavior("f1", "F1", owner="root", behavior_kind="function", detail="LogicalFunction"),
                    Behavior("f2", "F2", owner="root", behavior_kind="function", detail="LogicalFunction"),
                    Behavior("f3", "F3", owner="root", behavior_kind="function", detail="LogicalFunction"),
                    Port("o1", "out", owner="f1", direction="out", port_kind="function",
                         stereotype="FunctionOutputPort"),
                    Port("i2", "in", owner="f2", direction="in", port_kind="function", stereotype="FunctionInputPort"),
                    Port("i3", "in", owner="f3", direction="in", port_kind="function", stereotype="FunctionInputPort"),
                    Behavior("fe12", "FE12", behavior_kind="functional_exchange", source="o1", target="i2"),
                    Behavior("fe13", "FE13", behavior_kind="functional_exchange", source="o1", target="i3"),
                    Port("cp1", "p", owner="c1", stereotype="ComponentPort"),
                    Port("cp2", "p", owner="c2", stereotype="ComponentPort"),
                    Port("cp3", "q", owner="c3", stereotype="ComponentPort"),
                    Connector("ce12", "CE12", ends=[ConnectorEnd("cp1"), ConnectorEnd("cp2")]),
                    Connector("ce13", "CE13", ends=[ConnectorEnd("cp1"), ConnectorEnd("cp3")]),
                    Relation("a5", relation="allocate", sources=["fe12"], targets=["ce12"]),
                    Relation("a1", relation="allocate", sources=["f1"], targets=["c1"]),
                    Relation("a2", relation="allocate", sources=["f2"], targets=["c2"]),
                    Relation("a3", relation="allocate", sources=["f3"], targets=["c3"]),
                    Relation("a4", relation="allocate", sources=["fe13"], targets=["ce13"]),
                    Behavior("chain", "Chain", behavior_kind="functional_chain", members=["f1", "fe12", "f2"])):
        model.add(element)
    return model


def test_allocation_and_chains() -> None:
    model = _functional_model()
    assert _codes(model) == Counter()
    del model.elements["a3"]  # F3 is left without a component
    model.elements["chain"].members = ["f1", "fe12"]  # the chain loses F2, which FE12 reaches
    model.elements["ce13"].ends = [ConnectorEnd("cp1"), ConnectorEnd("cp2")]
    del model.elements["a5"]
    model.elements["a3"] = Relation("a3", relation="allocate", sources=["f3"], targets=["c3"])
    model.add(Behavior("empty", "Empty", behavior_kind="functional_chain"))
    findings = {(d.code, d.element_id) for d in run_rules(model, ["architecture"])}
    assert ("AR142", "chain") in findings and ("AR142", "empty") in findings
    assert ("AR141", "fe13") in findings  # allocated to an exchange that does not reach C3
    assert ("AR141", "fe12") in findings  # between C1 and C2, carried by nothing
    del model.elements["a3"]
    assert ("AR140", "f3") in {(d.code, d.element_id) for d in run_rules(model, ["architecture"])}


def test_states_reached_through_substates(tmp_path: Path) -> None:
    machine = ('<ownedBehavior xmi:type="uml:StateMachine" xmi:id="sm" name="SM"><region xmi:id="r" name="R">'
               '<subvertex xmi:type="uml:Pseudostate" xmi:id="init"/>'
               '<subvertex xmi:type="uml:State" xmi:id="off" name="Off"/>'
               '<subvertex xmi:type="uml:State" xmi:id="on" name="On"><region xmi:id="r2" name="Inner">'
               '<subvertex xmi:type="uml:State" xmi:id="idle" name="Idle"/></region></subvertex>'
               '<subvertex xmi:type="uml:State" xmi:id="lost" name="Lost"/>'
               '<transition xmi:id="t1" source="init" target="off"/><transition xmi:id="t2" source="off" '
               'target="idle"/><transition xmi:id="t3" source="lost" target="off"/></region></ownedBehavior>')
    model, _ = _load(tmp_path, _block("k", "Kettle", machine), _stereo("k"))
    assert {b.behavior_kind for b in model.of_kind(Behavior)} >= {"state_machine", "region", "state", "transition"}
    unreachable = [d.element_id for d in run_rules(model, ["architecture"]) if d.code == "AR143"]
    assert unreachable == ["lost"]  # 'On' is entered through its substate 'Idle'
