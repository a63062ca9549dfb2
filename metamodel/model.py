"""The Model: owner of elements by stable id, views, dimensions, sim specs and submodels."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from metamodel.elements import Dimension, Element, SimSpec, Variable
from metamodel.index import ElementTable
from metamodel.names import canonical
from metamodel.views import View, ViewList

E = TypeVar("E", bound=Element)
Observer = Callable[["ModelEvent"], None]


@dataclass(frozen=True)
class ModelEvent:
    """What changed: ``kind`` names the command (``add``, ``remove``, ``rename`` …) and the ids touched."""

    kind: str
    ids: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Model:
    """A system model. Elements are keyed by id; names resolve through their canonical form.

    ``elements`` is an ``ElementTable`` and ``views`` a ``ViewList`` whatever is assigned to them: the
    table keeps the index of names and references current through every change (``metamodel.index``).
    """

    name: str = "model"
    elements: dict[str, Element] = field(default_factory=dict)
    views: list[View] = field(default_factory=list)
    dimensions: list[Dimension] = field(default_factory=list)
    sim_spec: SimSpec = field(default_factory=SimSpec)
    submodels: dict[str, Model] = field(default_factory=dict)
    units_defs: dict[str, str] = field(default_factory=dict)
    doc: str = ""
    source_path: str | None = field(default=None, compare=False)
    _observers: list[Observer] = field(default_factory=list, repr=False, compare=False)
    _id_suffixes: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr == "elements" and not isinstance(value, ElementTable):
            value = ElementTable(value)
        elif attr == "views" and not isinstance(value, ViewList):
            value = ViewList(value)
        object.__setattr__(self, attr, value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Copies and unpickled models get their own table and index."""
        for attr, value in state.items():
            setattr(self, attr, value)

    # -- observers ----------------------------------------------------------------------------------
    def subscribe(self, observer: Observer) -> None:
        """Call ``observer(event)`` after every command applied to this model."""
        self._observers.append(observer)

    def unsubscribe(self, observer: Observer) -> None:
        self._observers.remove(observer)

    def notify(self, event: ModelEvent) -> None:
        for observer in list(self._observers):
            observer(event)

    # -- lookup -------------------------------------------------------------------------------------
    def __contains__(self, element_id: object) -> bool:
        return element_id in self.elements

    def __getitem__(self, element_id: str) -> Element:
        return self.elements[element_id]

    def get(self, element_id: str | None) -> Element | None:
        return self.elements.get(element_id) if element_id is not None else None

    def of_kind(self, cls: type[E]) -> Iterator[E]:
        """Elements that are instances of ``cls``, in insertion order."""
        return (e for e in self.elements.values() if isinstance(e, cls))

    def variables(self) -> Iterator[Variable]:
        return self.of_kind(Variable)

    def find(self, name: str) -> Element | None:
        """The SD variable with this name (canonical comparison), else the first element of it."""
        ids = self.elements.index.names.get(canonical(name))
        return self.elements[ids[0]] if ids else None

    def named(self, name: str) -> list[Element]:
        """Every element with this name (canonical comparison): variables first, then in model order."""
        return [self.elements[i] for i in self.elements.index.names.get(canonical(name), ())]

    def referrers(self, element_id: str) -> list[Element]:
        """The elements whose reference fields name ``element_id`` (owned parts, typed parts, flows' stocks…)."""
        return [self.elements[i] for i in self.elements.index.referrers.get(element_id, ())]

    def dimension(self, name: str) -> Dimension | None:
        key = canonical(name)
        return next((d for d in self.dimensions if d.canonical == key), None)

    def view(self, view_id: str) -> View | None:
        return self.views.get(view_id)

    # -- ids ----------------------------------------------------------------------------------------
    def new_id(self, hint: str) -> str:
        """A fresh stable id derived from ``hint`` (a name or kind), unique in this model."""
        base = re.sub(r"\W+", "_", canonical(hint) or "element").strip("_") or "element"
        n = self._id_suffixes.get(base, 1)  # the suffixes below it were all taken when it was stored
        candidate = base if n == 1 else f"{base}_{n}"
        while candidate in self.elements or self.views.get(candidate) is not None:
            n += 1
            candidate = f"{base}_{n}"
        self._id_suffixes[base] = n
        return candidate

    def add(self, element: E) -> E:
        """Insert an element directly (importers, tests); interactive edits go through commands.

        Raises ``ValueError`` when the id is taken."""
        if element.id in self.elements:
            raise ValueError(f"duplicate element id {element.id!r}")
        self.elements[element.id] = element
        return element

    def equal_content(self, other: Model) -> bool:
        """True when both models hold the same elements, views, dimensions, specs and submodels."""
        return (self.name, self.elements, self.views, self.dimensions, self.sim_spec, self.submodels,
                self.units_defs, self.doc) == (other.name, other.elements, other.views, other.dimensions,
                                              other.sim_spec, other.submodels, other.units_defs, other.doc)
