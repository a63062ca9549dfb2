"""Commands: each do/undo restores the model exactly, Rename rewrites equations, observers hear it all."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from metamodel import io
from metamodel.commands import (
    AddElement,
    AddView,
    Command,
    ConnectFlow,
    Macro,
    RemoveElement,
    Rename,
    SetAttribute,
    SetLink,
    SetNote,
    SetShape,
    SetSimSpec,
    UndoStack,
    set_equation,
)
from metamodel.elements import Aux, Flow, GraphicalFunction, SimSpec, Stock
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
