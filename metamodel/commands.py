"""Edits as command objects with ``do``/``undo``; no Qt. The GUI wraps them in ``QUndoCommand``.

Each command applies whole or not at all: it checks what it needs before it changes anything, and a
``Macro`` whose child fails undoes the children applied before it and re-raises. Each command notifies
the model's observers after it is applied or undone.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from metamodel.elements import Element, Flow, SimSpec, Stock, Variable
from metamodel.equations.deps import rename_in_text
from metamodel.model import Model, ModelEvent
from metamodel.references import without
from metamodel.views import Link, Shape, View


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
        view = _view(model, self.view_id) if self.view_id else None
        model.add(self.element)
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
class RemoveElements(Command):
    """Remove elements together with everything that references them, in one step.

    What goes with them follows each reference field's rule (``metamodel.references``): owned elements,
    parts typed by a removed element, connectors whose ends go, item flows whose ends go and relations
    left with no source or no target are removed too (and, in turn, what references those); removed ids
    leave stocks' flow lists and the other lists; a block whose behaviour goes keeps no behaviour. Every
    view loses the shapes of the removed elements and the links that touch them. Undo puts all of it
    back as it was, order included.
    """

    element_ids: list[str]
    _saved: dict[str, Any] = field(default_factory=dict, repr=False)

    text = "delete"

    def do(self, model: Model) -> None:
        missing = [i for i in self.element_ids if i not in model.elements]
        if missing:
            raise KeyError(f"no element {missing[0]!r} in the model")
        gone, changes = removal(model, self.element_ids)
        elements = model.elements
        removed = [(position, elements.index.order(key), elements[key]) for key, position in elements.positions(gone)]
        old_fields = {key: {attr: getattr(elements[key], attr) for attr in new} for key, new in changes.items()}
        views: dict[str, tuple[dict[str, Shape], dict[str, Link]]] = {}
        for view in model.views:
            if any(key in gone for key in view.shapes) or any(
                    link.source in gone or link.target in gone for link in view.links.values()):
                views[view.id] = (view.shapes, view.links)
        for key, new in changes.items():
            for attr, value in new.items():
                setattr(elements[key], attr, value)
        for _, _, element in removed:
            del elements[element.id]
        for view_id, (shapes, links) in views.items():
            view = _view(model, view_id)
            view.shapes = {k: v for k, v in shapes.items() if k not in gone}
            view.links = {k: v for k, v in links.items() if v.source not in gone and v.target not in gone}
        self._saved = {"removed": removed, "fields": old_fields, "views": views}
        model.notify(ModelEvent("remove", tuple(gone), {"changed": tuple(changes)}))

    def undo(self, model: Model) -> None:
        model.elements.restore(self._saved["removed"])
        for key, old in self._saved["fields"].items():
            for attr, value in old.items():
                setattr(model.elements[key], attr, value)
        for view_id, (shapes, links) in self._saved["views"].items():
            view = _view(model, view_id)
            view.shapes, view.links = shapes, links
        gone = tuple(element.id for _, _, element in self._saved["removed"])
        model.notify(ModelEvent("add", gone, {"changed": tuple(self._saved["fields"])}))


class RemoveElement(RemoveElements):
    """Remove one element with everything that references it (see ``RemoveElements``)."""

    def __init__(self, element_id: str) -> None:
        super().__init__([element_id])

    @property
    def element_id(self) -> str:
        return self.element_ids[0]

    text = "delete element"


def removal(model: Model, element_ids: Iterable[str]) -> tuple[dict[str, None], dict[str, dict[str, Any]]]:
    """What removing ``element_ids`` takes away: the ids that go (in the order found) and, for each
    element that stays but referenced one of them, the new values of its reference fields."""
    gone = dict.fromkeys(element_ids)
    queue = list(gone)
    touched: dict[str, None] = {}
    while queue:
        while queue:
            for referrer in model.referrers(queue.pop()):
                if referrer.id not in gone:
                    touched[referrer.id] = None
                    if without(referrer, gone.keys()) is None:
                        gone[referrer.id] = None
                        queue.append(referrer.id)
        # a relation loses its last target only once all of them are gone: look at the others again
        queue = [key for key in touched if key not in gone and without(model.elements[key], gone.keys()) is None]
        gone.update(dict.fromkeys(queue))
    changes = {}
    for key in touched:
        if key not in gone:
            new = without(model.elements[key], gone.keys())
            if new:
                changes[key] = new
    return gone, changes


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
        old_name = element.name
        rewritten: dict[str, tuple[str, dict[str, str]]] = {}
        for variable in model.variables():
            new_eq = rename_in_text(variable.equation, old_name, self.new_name)
            new_elems = {k: rename_in_text(v, old_name, self.new_name) for k, v in variable.element_equations.items()}
            if new_eq != variable.equation or new_elems != variable.element_equations:
                rewritten[variable.id] = (new_eq, new_elems)
        self._old_name, self._old_equations = old_name, {}
        for variable_id, (new_eq, new_elems) in rewritten.items():
            variable = model.elements[variable_id]
            assert isinstance(variable, Variable)
            self._old_equations[variable_id] = (variable.equation, variable.element_equations)
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
    _saved: dict[str, list[str]] = field(default_factory=dict, repr=False)

    text = "connect flow"

    def do(self, model: Model) -> None:
        if self.end not in ("to", "from"):
            raise ValueError("end must be 'to' or 'from'")
        flow = model.elements[self.flow_id]
        if not isinstance(flow, Flow):
            raise TypeError(f"{self.flow_id!r} is not a flow")
        target = model.elements[self.stock_id] if self.stock_id is not None else None
        if target is not None and not isinstance(target, Stock):
            raise TypeError(f"{self.stock_id!r} is not a stock")
        attribute = "inflows" if self.end == "to" else "outflows"
        holders = [model.elements[r.id] for r in model.referrers(self.flow_id) if isinstance(r, Stock)]
        stocks = {s.id: s for s in (*holders, *([target] if target is not None else []))}
        self._saved = {key: getattr(stock, attribute) for key, stock in stocks.items()}
        for key, stock in stocks.items():
            flows = [f for f in self._saved[key] if f != self.flow_id]
            setattr(stock, attribute, [*flows, self.flow_id] if stock is target else flows)
        model.notify(ModelEvent("connect", (self.flow_id,)))

    def undo(self, model: Model) -> None:
        attribute = "inflows" if self.end == "to" else "outflows"
        for stock_id, flows in self._saved.items():
            setattr(model.elements[stock_id], attribute, flows)
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

    _position: int = field(default=-1, repr=False)

    def do(self, model: Model) -> None:
        entries = self._entries(model)
        self._old = entries.get(self.key)
        self._position = list(entries).index(self.key) if self.value is None and self._old is not None else -1
        _put(entries, self.key, self.value)
        model.notify(ModelEvent("layout", (self.key,), {"view": self.view_id}))

    def undo(self, model: Model) -> None:
        entries = self._entries(model)
        _put(entries, self.key, self._old)
        if self._position >= 0:  # a removed entry goes back to its place
            items = [(k, v) for k, v in entries.items() if k != self.key]
            items.insert(self._position, (self.key, self._old))
            entries.clear()
            entries.update(items)
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
        if model.view(self.view.id) is not None:
            raise ValueError(f"duplicate view id {self.view.id!r}")
        model.views.append(self.view)
        model.notify(ModelEvent("view", (self.view.id,)))

    def undo(self, model: Model) -> None:
        model.views.remove(self.view)
        model.notify(ModelEvent("view", (self.view.id,)))


@dataclass
class Macro(Command):
    """Several commands applied as one (undone in reverse order); when a child fails, the children
    applied before it are undone and the failure is raised: the model is as it was."""

    children: list[Command]
    text: str = "edit"  # type: ignore[assignment]

    def do(self, model: Model) -> None:
        applied: list[Command] = []
        try:
            for child in self.children:
                child.do(model)
                applied.append(child)
        except BaseException:
            for child in reversed(applied):
                child.undo(model)
            raise

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
