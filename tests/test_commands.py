"""Commands: each do/undo restores the model exactly, Rename rewrites equations, observers hear it all."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metamodel import io
from metamodel.commands import (
    AddElement,
    AddView,
    Command,
    ConnectFlow,
    Macro,
    RemoveElement,
    RemoveElements,
    Rename,
    SetAttribute,
    SetLink,
    SetNote,
    SetShape,
    SetSimSpec,
    UndoStack,
    set_equation,
)
from metamodel.elements import (
    Aux,
    Behavior,
    Block,
    Connector,
    ConnectorEnd,
    Flow,
    FlowProperty,
    FlowSpec,
    FlowStep,
    GraphicalFunction,
    Interface,
    ItemFlow,
    Module,
    Package,
    Part,
    Port,
    Relation,
    Requirement,
    SimSpec,
    Stock,
    ValueType,
)
from metamodel.errors import ModelError
from metamodel.index import ModelIndex
from metamodel.model import Model, ModelEvent
from metamodel.views import Link, Note, Shape, View


def model() -> Model:
    m = Model(name="pop")
    m.add(Stock("pop", "Population", equation="100", units="people", inflows=["births"]))
    m.add(Flow("births", "births", equation="Population * birth rate"))
    m.add(Aux("br", "birth rate", equation="0.03", element_equations={"north": "birth rate * 2"}))
    m.add(Aux("out", "report", equation="(birth rate) + births"))
    m.views.append(View("v1", "Main", shapes={"pop": Shape(10, 20, 40, 30), "br": Shape(50, 60)},
                        links={"l1": Link("br", "births", angle=30.0), "l2": Link("pop", "births")}))
    return m


COMMANDS: dict[str, Callable[[], Command]] = {
    "add": lambda: AddElement(Aux("k", "k", equation="1"), "v1", Shape(1, 2)),
    "remove aux": lambda: RemoveElement("br"),
    "remove flow": lambda: RemoveElement("births"),
    "remove stock": lambda: RemoveElement("pop"),
    "rename": lambda: Rename("br", "fertility"),
    "set equation": lambda: set_equation("br", "0.05"),
    "set gf": lambda: SetAttribute("br", "gf", GraphicalFunction(ypts=[1, 2])),
    "set units": lambda: SetAttribute("pop", "units", "persons"),
    "connect to": lambda: ConnectFlow("births", None, "to"),
    "connect from": lambda: ConnectFlow("births", "pop", "from"),
    "move": lambda: SetShape("v1", "pop", Shape(99, 99)),
    "unplace": lambda: SetShape("v1", "pop", None),
    "place": lambda: SetShape("v1", "out", Shape(5, 5)),
    "link": lambda: SetLink("v1", "l3", Link("out", "pop")),
    "unlink": lambda: SetLink("v1", "l1", None),
    "view": lambda: AddView(View("v2", "Second")),
    "note": lambda: SetNote("v1", "n1", Note("remember the units", 3, 4)),
    "sim spec": lambda: SetSimSpec(SimSpec(start=1, stop=9, dt=0.5, method="rk4")),
    "macro": lambda: Macro([set_equation("br", "2"), Rename("pop", "People"), RemoveElement("out")]),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_do_undo_redo_restore_exactly(name: str) -> None:
    m = model()
    before = io.dumps(m)
    order = list(m.elements)
    stack = UndoStack(m)
    stack.push(COMMANDS[name]())
    after = io.dumps(m)
    assert after != before
    assert stack.undo()
    assert io.dumps(m) == before
    assert list(m.elements) == order
    assert stack.redo()
    assert io.dumps(m) == after
    assert stack.undo()
    assert io.dumps(m) == before


@pytest.mark.parametrize("name", COMMANDS)
def test_observers_hear_do_and_undo(name: str) -> None:
    m = model()
    events: list[ModelEvent] = []
    m.subscribe(events.append)
    command = COMMANDS[name]()
    command.do(m)
    done = len(events)
    assert done >= 1
    command.undo(m)
    assert len(events) == 2 * done
    m.unsubscribe(events.append)
    command.do(m)
    assert len(events) == 2 * done


def test_event_kinds_and_ids() -> None:
    m = model()
    events: list[ModelEvent] = []
    m.subscribe(events.append)
    RemoveElement("br").do(m)
    SetAttribute("pop", "units", "x").do(m)
    SetShape("v1", "pop", Shape(1, 1)).do(m)
    assert [(e.kind, e.ids) for e in events] == [("remove", ("br",)), ("change", ("pop",)), ("layout", ("pop",))]
    assert events[1].detail == {"attribute": "units"}
    assert events[2].detail == {"view": "v1"}


def test_rename_rewrites_equations_and_reports_changed_ids() -> None:
    m = model()
    events: list[ModelEvent] = []
    m.subscribe(events.append)
    Rename("br", "fertility rate").do(m)
    assert m.elements["births"].equation == "Population * fertility rate"
    assert m.elements["out"].equation == "(fertility rate) + births"
    assert m.elements["br"].element_equations == {"north": "fertility rate * 2"}
    assert m.elements["br"].name == "fertility rate"
    assert m.find("fertility rate") is m.elements["br"]
    assert events[0].kind == "rename"
    assert set(events[0].ids) == {"br", "births", "out"}


def test_rename_quotes_names_that_need_it() -> None:
    m = model()
    Rename("pop", "if then").do(m)
    assert m.elements["births"].equation == '"if then" * birth rate'


def test_remove_stock_detaches_flows_and_links_undo_restores() -> None:
    m = model()
    command = RemoveElement("births")
    command.do(m)
    assert m.elements["pop"].inflows == []
    assert m.views[0].links == {}
    command.undo(m)
    assert m.elements["pop"].inflows == ["births"]
    assert set(m.views[0].links) == {"l1", "l2"}


def test_connect_flow_moves_the_end() -> None:
    m = model()
    m.add(Stock("s2", "Other"))
    ConnectFlow("births", "s2", "to").do(m)
    assert m.elements["pop"].inflows == []
    assert m.elements["s2"].inflows == ["births"]
    with pytest.raises(ValueError, match="end must be"):
        ConnectFlow("births", "s2", "sideways").do(m)
    with pytest.raises(TypeError, match="not a stock"):
        ConnectFlow("births", "br", "to").do(m)


def test_bad_commands_raise_clearly() -> None:
    m = model()
    with pytest.raises(AttributeError, match="no attribute 'colour'"):
        SetAttribute("br", "colour", "red").do(m)
    with pytest.raises(KeyError, match="no view 'nope'"):
        SetShape("nope", "br", Shape()).do(m)
    with pytest.raises(ValueError, match="duplicate element id"):
        AddElement(Aux("br", "again")).do(m)


def test_set_attribute_copies_values() -> None:
    m = model()
    gf = GraphicalFunction(ypts=[1, 2])
    SetAttribute("br", "gf", gf).do(m)
    gf.ypts.append(3)
    assert m.elements["br"].gf.ypts == [1, 2]


def test_undo_stack_flags_and_redo_cleared_by_push() -> None:
    m = model()
    stack = UndoStack(m)
    assert not stack.can_undo and not stack.undo()
    stack.push(set_equation("br", "1"))
    stack.undo()
    assert stack.can_redo
    stack.push(set_equation("br", "2"))
    assert not stack.can_redo and not stack.redo()
    assert m.elements["br"].equation == "2"


# -- all or nothing ----------------------------------------------------------------------------------


def snapshot(m: Model) -> tuple:
    """Everything a command may touch, order included."""
    return (io.dumps(m), list(m.elements), [(v.id, list(v.shapes), list(v.links)) for v in m.views],
            m.elements.index.state())


def test_a_failing_macro_child_undoes_the_ones_before_it_and_nothing_reaches_the_stack() -> None:
    m = model()
    before = snapshot(m)
    stack = UndoStack(m)
    events: list[ModelEvent] = []
    m.subscribe(events.append)
    macro = Macro([set_equation("br", "2"), Rename("pop", "People"), RemoveElement("births"),
                   ConnectFlow("births", "pop", "to")])
    with pytest.raises(KeyError, match="births"):
        stack.push(macro)
    assert snapshot(m) == before
    assert not stack.can_undo
    assert [e.kind for e in events] == ["change", "rename", "remove", "add", "rename", "change"]


@pytest.mark.parametrize(("command", "error"), [
    (lambda: ConnectFlow("births", "br", "to"), TypeError),
    (lambda: ConnectFlow("br", "pop", "to"), TypeError),
    (lambda: ConnectFlow("births", "nope", "from"), KeyError),
    (lambda: AddElement(Aux("k", "k"), "no view", Shape()), KeyError),
    (lambda: AddElement(Aux("br", "again")), ValueError),
    (lambda: RemoveElements(["out", "nope"]), KeyError),
    (lambda: Rename("nope", "x"), KeyError),
    (lambda: AddView(View("v1")), ValueError),
    (lambda: SetAttribute("br", "id", "other"), ModelError),
])
def test_a_failing_command_leaves_the_model_as_it_was(command: Callable[[], Command], error: type) -> None:
    m = model()
    before = snapshot(m)
    with pytest.raises(error):
        command().do(m)
    assert snapshot(m) == before


# -- removal takes what references the element with it, undo puts it all back ---------------------------


def plant() -> Model:
    m = Model(name="plant")
    m.add(Package("pkg", "System"))
    m.add(Module("pump_sd", "pump behaviour", model_name="pump"))
    m.add(Block("pump", "Pump", owner="pkg", behavior="pump_sd"))
    m.add(Port("pump_out", "out", owner="pump", direction="out", type="water"))
    m.add(ValueType("litres", "litres"))
    m.add(Interface("water", "Water", owner="pkg", flow_properties=[FlowProperty("q", type="litres")]))
    m.add(Block("tank", "Tank", owner="pkg"))
    m.add(Port("tank_in", "in", owner="tank", direction="in", type="water"))
    m.add(Block("plant", "Plant", owner="pkg"))
    m.add(Part("plant_pump", "pump", owner="plant", type="pump"))
    m.add(Part("plant_tank", "tank", owner="plant", type="tank"))
    m.add(Connector("pipe", "pipe", owner="plant",
                    ends=[ConnectorEnd("pump_out", "plant_pump"), ConnectorEnd("tank_in", "plant_tank")]))
    m.add(ItemFlow("water_flow", "water", owner="plant", conveyed=["water"], source="pump_out", target="tank_in",
                   realizing_connectors=["pipe"]))
    m.add(Requirement("r1", "Deliver water"))
    m.add(Relation("sat", "satisfy", relation="satisfy", sources=["pump", "tank"], targets=["r1"]))
    m.add(Relation("alloc", "allocate", relation="allocate", sources=["pump"], targets=["plant"]))
    m.views.append(View("bdd", "Plant", "block", shapes={k: Shape(i, i) for i, k in enumerate(
        ["pump", "pump_out", "tank", "tank_in", "plant", "plant_pump", "plant_tank", "pipe", "r1"])},
        links={"trace": Link("r1", "pump"), "other": Link("tank", "plant")}))
    return m


@pytest.mark.parametrize(("removed", "gone", "changed"), [
    (["pump"], {"pump", "pump_out", "plant_pump", "pipe", "water_flow", "alloc"}, {"sat": {"sources": ["tank"]}}),
    (["water"], {"water"}, {"pump_out": {"type": None}, "tank_in": {"type": None},
                            "water_flow": {"conveyed": []}}),
    (["litres"], {"litres"}, {"water": {"flow_properties": [FlowProperty("q")]}}),
    (["pump_sd"], {"pump_sd"}, {"pump": {"behavior": None}}),
    (["r1"], {"r1", "sat"}, {}),
    (["pipe"], {"pipe"}, {"water_flow": {"realizing_connectors": []}}),
    (["pkg"], {"pkg", "pump", "pump_out", "water", "tank", "tank_in", "plant", "plant_pump", "plant_tank", "pipe",
               "water_flow", "sat", "alloc"}, {}),
    (["pump", "tank"], {"pump", "pump_out", "plant_pump", "tank", "tank_in", "plant_tank", "pipe", "water_flow",
                        "sat", "alloc"}, {}),
])
def test_removal_cascades_and_undo_restores_exactly(removed: list[str], gone: set[str],
                                                     changed: dict[str, dict]) -> None:
    m = plant()
    before = snapshot(m)
    untouched = {k: copy.deepcopy(e) for k, e in m.elements.items() if k not in gone and k not in changed}
    stack = UndoStack(m)
    stack.push(RemoveElements(removed))
    assert set(plant().elements) - set(m.elements) == gone
    for key, fields in changed.items():
        assert {f: getattr(m.elements[key], f) for f in fields} == fields
    assert {k: e for k, e in m.elements.items() if k in untouched} == untouched
    view = m.views[0]
    assert not gone & set(view.shapes)
    assert all(link.source not in gone and link.target not in gone for link in view.links.values())
    assert not any(m.referrers(key) for key in gone)  # nothing left pointing at what went
    assert m.elements.index.state() == rebuilt_index(m)
    stack.undo()
    assert snapshot(m) == before
    stack.redo()
    assert set(plant().elements) - set(m.elements) == gone


def test_removing_a_function_takes_its_exchanges_and_leaves_its_chains_and_flows() -> None:
    m = plant()
    m.add(Behavior("f1", "pump water", owner="pump"))
    m.add(Behavior("f2", "store water", owner="tank"))
    m.add(Behavior("fx", "water", behavior_kind="functional_exchange", source="f1", target="f2"))
    m.add(Behavior("chain", "supply", behavior_kind="functional_chain", members=["f1", "fx", "f2"]))
    m.add(FlowSpec("path", "through", owner="tank", entry="tank_in",
                   steps=[FlowStep("pipe", "plant_tank"), FlowStep("x")]))
    before = snapshot(m)
    command = RemoveElement("f1")
    command.do(m)
    assert "fx" not in m.elements and m.elements["chain"].members == ["f2"]
    command.undo(m)
    assert snapshot(m) == before
    RemoveElement("pipe").do(m)
    assert "path" not in m.elements  # an end-to-end flow through a removed connector goes with it


def test_removing_a_flow_detaches_it_from_every_stock_and_view() -> None:
    m = model()
    m.add(Stock("s2", "Other", outflows=["births"]))
    m.views.append(View("v2", "Second", shapes={"births": Shape()}, links={"x": Link("births", "s2")}))
    before = snapshot(m)
    command = RemoveElement("births")
    command.do(m)
    assert m.elements["pop"].inflows == [] and m.elements["s2"].outflows == []
    assert "births" not in m.views[1].shapes and m.views[1].links == {} and set(m.views[0].links) == set()
    command.undo(m)
    assert snapshot(m) == before


def rebuilt_index(m: Model) -> tuple[dict, dict]:
    return ModelIndex.build(m.elements.values()).state()


# -- any sequence of commands, undone, gives the model back ------------------------------------------------

NAMES = st.sampled_from(["a", "B", "c c", "C_C", "pump", "births", "x y"])


def random_command(data: st.DataObject, m: Model, depth: int = 0) -> Command:
    present = sorted(m.elements) or ["none"]
    some_id = st.sampled_from([*present, "none"])
    kind = data.draw(st.sampled_from(["add", "remove", "remove many", "rename", "equation", "owner", "type",
                                      "flows", "connect", "shape", "link", "macro"]))
    if kind == "add":
        key = data.draw(st.text("xyz", min_size=1, max_size=3))
        cls = data.draw(st.sampled_from([Aux, Stock, Block, Port, Part]))
        element = cls(key, data.draw(NAMES), owner=data.draw(st.none() | some_id))
        return AddElement(element, data.draw(st.sampled_from([None, "v1", "bdd"])), Shape(1, 2))
    if kind == "remove":
        return RemoveElement(data.draw(some_id))
    if kind == "remove many":
        return RemoveElements(data.draw(st.lists(st.sampled_from(present), max_size=3, unique=True)))
    if kind == "rename":
        return Rename(data.draw(some_id), data.draw(NAMES))
    if kind == "equation":
        return set_equation(data.draw(some_id), data.draw(st.sampled_from(["a + B", "pump * 2", "1"])))
    if kind == "owner":
        return SetAttribute(data.draw(some_id), "owner", data.draw(st.none() | some_id))
    if kind == "type":
        return SetAttribute(data.draw(some_id), "type", data.draw(st.none() | some_id))
    if kind == "flows":
        return SetAttribute(data.draw(some_id), "inflows", data.draw(st.lists(some_id, max_size=3)))
    if kind == "connect":
        return ConnectFlow(data.draw(some_id), data.draw(st.none() | some_id), data.draw(st.sampled_from(
            ["to", "from"])))
    if kind == "shape":
        return SetShape(data.draw(st.sampled_from(["v1", "bdd"])), data.draw(some_id),
                        data.draw(st.none() | st.just(Shape(3, 4))))
    if kind == "link":
        return SetLink("bdd", data.draw(st.sampled_from(["trace", "new"])),
                       data.draw(st.none() | st.builds(Link, some_id, some_id)))
    if depth > 1:
        return RemoveElement(data.draw(some_id))
    return Macro([random_command(data, m, depth + 1) for _ in range(data.draw(st.integers(1, 3)))])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_command_sequences_undo_to_the_same_model_and_keep_the_index(data: st.DataObject) -> None:
    m = model()
    for element in plant().elements.values():
        m.add(element)
    m.views.append(plant().views[0])
    original = snapshot(m)
    stack = UndoStack(m)
    states = [original]
    for _ in range(data.draw(st.integers(1, 12))):
        command = random_command(data, m)
        try:
            stack.push(command)
        except (KeyError, ValueError, TypeError, AttributeError, ModelError):
            assert snapshot(m) == states[-1]  # a command that fails changes nothing
            continue
        assert m.elements.index.state() == rebuilt_index(m)
        states.append(snapshot(m))
    while stack.can_undo:
        stack.undo()
        states.pop()
        assert snapshot(m) == states[-1]
    assert snapshot(m) == original
    while stack.can_redo:
        stack.redo()
        assert m.elements.index.state() == rebuilt_index(m)
