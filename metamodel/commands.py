"""Edits as command objects with ``do``/``undo``; no Qt. The GUI wraps them in ``QUndoCommand``.

Each command notifies the model's observers after it is applied or undone.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, ClassVar

from metamodel.elements import Element, SimSpec, Stock, Variable
from metamodel.equations.deps import rename_in_text
from metamodel.model import Model, ModelEvent
from metamodel.views import Shape, View


class Command:
    """An undoable edit of a model."""

    text: str = "edit"

    def do(self, model: Model) -> None:
        raise NotImplementedError

    def undo(self, model: Model) -> None:
        raise NotImplementedError


@dataclass
class AddElement(Command):
    """Add ``element``; with ``view_id`` and ``shape`` also draw it in that view."""

    element: Element
    view_id: str | None = None
    shape: Shape | None = None

    @property
    def text(self) -> str:  # type: ignore[override]
        return f"add {self.element.kind} {self.element.name}"

    def do(self, model: Model) -> None:
        model.add(self.element)
        view = model.view(self.view_id) if self.view_id else None
        if view is not None and self.shape is not None:
            view.shapes[self.element.id] = self.shape
        model.notify(ModelEvent("add", (self.element.id,)))

    def undo(self, model: Model) -> None:
        del model.elements[self.element.id]
        view = model.view(self.view_id) if self.view_id else None
        if view is not None:
            view.shapes.pop(self.element.id, None)
        model.notify(ModelEvent("remove", (self.element.id,)))


@dataclass
class RemoveElement(Command):
    """Remove an element from the model, its shapes and links in every view, and references to it."""

    element_id: str
    _saved: dict[str, Any] = field(default_factory=dict, repr=False)

    text = "delete element"

    def do(self, model: Model) -> None:
        index = list(model.elements).index(self.element_id)
        element = model.elements.pop(self.element_id)
        self._saved = {"element": element, "index": index, "shapes": {}, "links": {}, "stocks": {}}
        for view in model.views:
            if self.element_id in view.shapes:
                self._saved["shapes"][view.id] = view.shapes.pop(self.element_id)
            gone = {k: v for k, v in view.links.items() if self.element_id in (v.source, v.target)}
            for key in gone:
                del view.links[key]
            self._saved["links"][view.id] = gone
        for stock in model.of_kind(Stock):
            if self.element_id in stock.inflows or self.element_id in stock.outflows:
                self._saved["stocks"][stock.id] = (list(stock.inflows), list(stock.outflows))
                stock.inflows = [f for f in stock.inflows if f != self.element_id]
                stock.outflows = [f for f in stock.outflows if f != self.element_id]
        model.notify(ModelEvent("remove", (self.element_id,)))

    def undo(self, model: Model) -> None:
        items = list(model.elements.items())
        items.insert(self._saved["index"], (self.element_id, self._saved["element"]))
        model.elements.clear()
        model.elements.update(items)  # back in its old place: views and lists keep their order
        for view in model.views:
            if view.id in self._saved["shapes"]:
                view.shapes[self.element_id] = self._saved["shapes"][view.id]
            view.links.update(self._saved["links"].get(view.id, {}))
        for stock_id, (inflows, outflows) in self._saved["stocks"].items():
            stock = model.elements[stock_id]
            assert isinstance(stock, Stock)
            stock.inflows, stock.outflows = inflows, outflows
        model.notify(ModelEvent("add", (self.element_id,)))


@dataclass
class Rename(Command):
    """Rename an element and rewrite every equation (in this model) that mentions the old name."""

    element_id: str
    new_name: str
    _old_name: str = ""
    _old_equations: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict, repr=False)

    text = "rename"

    def do(self, model: Model) -> None:
        element = model.elements[self.element_id]
        self._old_name = element.name
        self._old_equations = {}
        for variable in model.variables():
            new_eq = rename_in_text(variable.equation, self._old_name, self.new_name)
            new_elems = {k: rename_in_text(v, self._old_name, self.new_name)
                         for k, v in variable.element_equations.items()}
            if new_eq != variable.equation or new_elems != variable.element_equations:
                self._old_equations[variable.id] = (variable.equation, dict(variable.element_equations))
                variable.equation, variable.element_equations = new_eq, new_elems
        element.name = self.new_name
        model.notify(ModelEvent("rename", (self.element_id, *self._old_equations)))

    def undo(self, model: Model) -> None:
        model.elements[self.element_id].name = self._old_name
        for variable_id, (equation, per_element) in self._old_equations.items():
            variable = model.elements[variable_id]
            assert isinstance(variable, Variable)
            variable.equation, variable.element_equations = equation, per_element
        model.notify(ModelEvent("rename", (self.element_id, *self._old_equations)))


@dataclass
class SetAttribute(Command):
    """Set one attribute of an element (``equation``, ``units``, ``non_negative``, ``gf`` …)."""

    element_id: str
    attribute: str
    value: Any
    _old: Any = None

    @property
    def text(self) -> str:  # type: ignore[override]
        return f"set {self.attribute}"

    def do(self, model: Model) -> None:
        element = model.elements[self.element_id]
        if not hasattr(element, self.attribute):
            raise AttributeError(f"{element.kind} has no attribute {self.attribute!r}")
        self._old = copy.deepcopy(getattr(element, self.attribute))
        setattr(element, self.attribute, copy.deepcopy(self.value))
        model.notify(ModelEvent("change", (self.element_id,), {"attribute": self.attribute}))

    def undo(self, model: Model) -> None:
        setattr(model.elements[self.element_id], self.attribute, self._old)
        model.notify(ModelEvent("change", (self.element_id,), {"attribute": self.attribute}))


def set_equation(element_id: str, equation: str) -> SetAttribute:
    """The command that changes a variable's equation."""
    return SetAttribute(element_id, "equation", equation)


@dataclass
class ConnectFlow(Command):
    """Attach flow ``flow_id`` to a stock as its inflow (``end='to'``) or outflow (``end='from'``).

    ``stock_id=None`` attaches that end to a cloud (detaches it from whichever stock held it).
    """

    flow_id: str
    stock_id: str | None
    end: str  # "to" (the flow fills the stock) or "from" (the flow drains it)
    _saved: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict, repr=False)

    text = "connect flow"

    def do(self, model: Model) -> None:
        if self.end not in ("to", "from"):
            raise ValueError("end must be 'to' or 'from'")
        self._saved = {s.id: (list(s.inflows), list(s.outflows)) for s in model.of_kind(Stock)}
        attribute = "inflows" if self.end == "to" else "outflows"
        for stock in model.of_kind(Stock):
            setattr(stock, attribute, [f for f in getattr(stock, attribute) if f != self.flow_id])
        if self.stock_id is not None:
            stock = model.elements[self.stock_id]
            if not isinstance(stock, Stock):
                raise TypeError(f"{self.stock_id!r} is not a stock")
            getattr(stock, attribute).append(self.flow_id)
        model.notify(ModelEvent("connect", (self.flow_id,)))

    def undo(self, model: Model) -> None:
        for stock_id, (inflows, outflows) in self._saved.items():
            stock = model.elements[stock_id]
            assert isinstance(stock, Stock)
            stock.inflows, stock.outflows = inflows, outflows
        model.notify(ModelEvent("connect", (self.flow_id,)))


@dataclass
class SetViewEntry(Command):
    """Add, change or (``value=None``) remove one entry of a view's ``collection`` (layout only)."""

    view_id: str
    key: str
    value: Any
    _old: Any = None

    collection: ClassVar[str] = "shapes"
    text = "layout"

    def _entries(self, model: Model) -> dict[str, Any]:
        return getattr(_view(model, self.view_id), self.collection)

    def do(self, model: Model) -> None:
        entries = self._entries(model)
        self._old = entries.get(self.key)
        _put(entries, self.key, self.value)
        model.notify(ModelEvent("layout", (self.key,), {"view": self.view_id}))

    def undo(self, model: Model) -> None:
        _put(self._entries(model), self.key, self._old)
        model.notify(ModelEvent("layout", (self.key,), {"view": self.view_id}))


class SetShape(SetViewEntry):
    """Place, move or resize an element's shape in a view (``None`` removes it from the view only)."""

    collection = "shapes"
    text = "move"


class SetLink(SetViewEntry):
    """Add, change or (``None``) remove a drawn link in a view."""

    collection = "links"
    text = "link"


class SetNote(SetViewEntry):
    """Add, change or (``None``) remove a free text note in a view."""

    collection = "notes"
    text = "note"


@dataclass
class SetSimSpec(Command):
    """Replace the model's simulation specs."""

    spec: SimSpec
    _old: SimSpec | None = None

    text = "simulation specs"

    def do(self, model: Model) -> None:
        self._old = model.sim_spec
        model.sim_spec = copy.deepcopy(self.spec)
        model.notify(ModelEvent("sim_spec"))

    def undo(self, model: Model) -> None:
        assert self._old is not None
        model.sim_spec = self._old
        model.notify(ModelEvent("sim_spec"))


@dataclass
class AddView(Command):
    view: View
    text = "add view"

    def do(self, model: Model) -> None:
        model.views.append(self.view)
        model.notify(ModelEvent("view", (self.view.id,)))

    def undo(self, model: Model) -> None:
        model.views.remove(self.view)
        model.notify(ModelEvent("view", (self.view.id,)))


@dataclass
class Macro(Command):
    """Several commands applied as one (undone in reverse order)."""

    children: list[Command]
    text: str = "edit"  # type: ignore[assignment]

    def do(self, model: Model) -> None:
        for child in self.children:
            child.do(model)

    def undo(self, model: Model) -> None:
        for child in reversed(self.children):
            child.undo(model)


class UndoStack:
    """A plain undo/redo history for scripts and tests (the GUI uses ``QUndoStack`` instead)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._done: list[Command] = []
        self._undone: list[Command] = []

    def push(self, command: Command) -> None:
        command.do(self.model)
        self._done.append(command)
        self._undone.clear()

    def undo(self) -> bool:
        if not self._done:
            return False
        command = self._done.pop()
        command.undo(self.model)
        self._undone.append(command)
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        command.do(self.model)
        self._done.append(command)
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)


def _view(model: Model, view_id: str) -> View:
    view = model.view(view_id)
    if view is None:
        raise KeyError(f"no view {view_id!r}")
    return view


def _put(mapping: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value
