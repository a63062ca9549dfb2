"""The Model: owner of elements by stable id, views, dimensions, sim specs and submodels."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from metamodel.elements import Dimension, Element, SimSpec, Variable
from metamodel.names import canonical
from metamodel.views import View

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
    """A system model. Elements are keyed by id; names resolve through their canonical form."""

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
        """The SD variable or module with this name (canonical comparison), else any element of it."""
        key = canonical(name)
        fallback = None
        for element in self.elements.values():
            if element.canonical == key:
                if isinstance(element, Variable):
                    return element
                fallback = fallback or element
        return fallback

    def dimension(self, name: str) -> Dimension | None:
        key = canonical(name)
        return next((d for d in self.dimensions if d.canonical == key), None)

    def view(self, view_id: str) -> View | None:
        return next((v for v in self.views if v.id == view_id), None)

    # -- ids ----------------------------------------------------------------------------------------
    def new_id(self, hint: str) -> str:
        """A fresh stable id derived from ``hint`` (a name or kind), unique in this model."""
        base = re.sub(r"\W+", "_", canonical(hint) or "element").strip("_") or "element"
        candidate, n = base, 1
        while candidate in self.elements or any(v.id == candidate for v in self.views):
            n += 1
            candidate = f"{base}_{n}"
        return candidate

    def add(self, element: E) -> E:
        """Insert an element directly (importers, tests); interactive edits go through commands."""
        if element.id in self.elements:
            raise ValueError(f"duplicate element id {element.id!r}")
        self.elements[element.id] = element
        return element

    def equal_content(self, other: Model) -> bool:
        """True when both models hold the same elements, views, dimensions, specs and submodels."""
        return (self.name, self.elements, self.views, self.dimensions, self.sim_spec, self.submodels,
                self.units_defs, self.doc) == (other.name, other.elements, other.views, other.dimensions,
                                              other.sim_spec, other.submodels, other.units_defs, other.doc)
