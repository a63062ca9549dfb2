"""References between elements: the fields that name other elements by id, what removing the named
element does to them, and the tracking that keeps every model holding an element informed of changes.

An element class lists its reference fields in ``references`` (field name -> removal rule). While an
element belongs to a model, assigning its name, id or a reference field, or changing a reference list
in place, tells the model's index at once; nothing has to remember to call it.
"""

from __future__ import annotations

import copy
import dataclasses
import weakref
from collections.abc import Container, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from metamodel.errors import ModelError
from metamodel.lists import ObservedList

if TYPE_CHECKING:
    from metamodel.index import ElementTable

# What removing the element a field names does to the element holding the field:
DELETE = "delete"  # the holder goes too (a port of a removed block, a connector whose end goes away)
DROP = "drop"  # the id leaves the list (a removed flow leaves a stock's inflows)
PRUNE = "prune"  # the id leaves the list, and the holder goes when the list is left empty (a relation)
CLEAR = "clear"  # the field goes back to its default (a block whose behaviour module is removed)
NESTED = "nested"  # a list of parts with reference fields of their own (connector ends)
_UNSET = object()


class TrackedList(ObservedList):
    """A reference list of an element in a model: every change in place is reported to the element."""

    __slots__ = ("_holder",)

    def __init__(self, items: Iterable[Any] = (), holder: Tracked | None = None) -> None:
        super().__init__(items)
        self._holder = holder

    def _changed(self) -> None:
        if self._holder is not None:
            self._holder._changed()


class Tracked:
    """Base of objects with reference fields: elements, and parts of elements such as connector ends.

    ``references`` maps each reference field to its removal rule. Assignments to those fields (and to
    ``name`` and ``id`` on elements) are reported to the element, which reports them to its models.
    """

    references: ClassVar[dict[str, str]] = {}
    _identity: ClassVar[frozenset[str]] = frozenset()
    _watched: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._watched = cls._identity | frozenset(cls.references)

    def __getstate__(self) -> dict[str, Any]:
        """Copies and pickles leave the tracking behind: a copy belongs to no model."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_owners", "_holder")}

    def _element(self) -> TrackedElement | None:
        """The element this object is part of (itself for an element)."""
        return self.__dict__.get("_holder")

    def _changed(self) -> None:
        element = self._element()
        if element is not None:
            element._changed()

    def _claim(self, element: TrackedElement) -> None:
        """Make the reference fields of this object report to ``element``."""
        lists = _WATCHING.get(type(self))
        if lists is None:
            lists = _watch(type(self))
        fields = self.__dict__
        for attr, nested in lists:
            value = fields.get(attr)
            if isinstance(value, list):
                fields[attr] = _tracked_list(value, element, nested)


class TrackedElement(Tracked):
    """An element: besides its references, its ``name`` and ``id`` are watched while it is in a model."""

    _identity: ClassVar[frozenset[str]] = frozenset({"id", "name"})

    def _element(self) -> TrackedElement:
        return self

    def _set_tracked(self, part: Tracked, attr: str, value: Any) -> None:
        if part is self and attr == "id" and value != self.__dict__.get("id"):
            raise ModelError(f"the id of element {self.__dict__.get('id')!r} cannot change while it belongs to "
                             f"a model; add a copy under the new id instead")
        if isinstance(value, list):
            value = _tracked_list(value, self, part.references.get(attr) == NESTED)
        elif (value is None or type(value) is str) and part.__dict__.get(attr, _UNSET) == value:
            part.__dict__[attr] = value  # the same name or id: the index stays as it is
            return
        part.__dict__[attr] = value  # a list assigned is tracked already (``_tracked_list``): nothing to claim
        for table in self._tables():
            table.refresh(self)

    def _changed(self) -> None:
        """A reference list of this element or of one of its parts changed in place."""
        tables = self._tables()
        if tables:
            self._claim(self)  # parts added in place (a new connector end) report from now on
        for table in tables:
            table.refresh(self)

    def _tables(self) -> list[ElementTable]:
        """The live element tables (models) that hold this element; dead ones are forgotten."""
        single = self.__dict__.get("_owners")
        if isinstance(single, weakref.ref):  # the usual case: one table
            table = single()
            if table is not None:
                return [table]
        owners = self._owner_refs()
        live = [t for t in (ref() for ref in owners) if t is not None]
        if len(live) != len(owners):
            self._keep_owners(tuple(ref for ref in owners if ref() is not None))
        return live

    def _adopt(self, owner: weakref.ref[ElementTable]) -> None:
        """Called by an element table that now holds this element."""
        if self.__dict__.get("_owners"):
            self._keep_owners((*(ref for ref in self._owner_refs() if ref() is not None), owner))
        else:
            object.__setattr__(self, "_owners", owner)
        self._claim(self)

    def _release(self, owner: weakref.ref[ElementTable]) -> None:
        """Called by an element table that no longer holds this element."""
        self._keep_owners(tuple(ref for ref in self._owner_refs() if ref is not owner and ref() is not None))

    def _owner_refs(self) -> tuple[weakref.ref[ElementTable], ...]:
        """References to the tables holding this element (a single one, the usual case, is kept bare)."""
        owners = self.__dict__.get("_owners")
        if owners is None:
            return ()
        return (owners,) if isinstance(owners, weakref.ref) else owners

    def _keep_owners(self, owners: tuple[weakref.ref[ElementTable], ...]) -> None:
        object.__setattr__(self, "_owners", owners[0] if len(owners) == 1 else owners)


class _Watched:
    """A watched field of a tracked class: assigning it while its element belongs to a model goes to the
    element, which tells the models. Without ``__get__``, reading the field stays a plain attribute read."""

    __slots__ = ("attr",)

    def __init__(self, attr: str) -> None:
        self.attr = attr

    def __set__(self, holder: Tracked, value: Any) -> None:
        fields = holder.__dict__
        if "_owners" in fields or "_holder" in fields:  # neither: an element not in a model (importers make many)
            element = fields.get("_holder", holder)  # what ``_element()`` gives, without the call
            if element is not None and (fields if element is holder else element.__dict__).get("_owners"):
                element._set_tracked(holder, self.attr, value)
                return
        fields[self.attr] = value


# watched classes -> their reference fields that may hold lists: (name, whether NESTED)
_WATCHING: dict[type, tuple[tuple[str, bool], ...]] = {}


def _watch(cls: type[Tracked]) -> tuple[tuple[str, bool], ...]:
    """Watch the fields of ``cls`` from now on: done when the first object of the class joins a model, so
    that making objects (all an importer does before adding them) assigns plain attributes. Returns the
    reference fields that may hold lists (those of a dataclass whose default is a single value do not)."""
    for attr in cls._watched:
        setattr(cls, attr, _Watched(attr))
    scalar = {f.name for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING
              and not isinstance(f.default, list)} if dataclasses.is_dataclass(cls) else set()
    lists = _WATCHING[cls] = tuple((attr, rule == NESTED) for attr, rule in cls.references.items()
                                   if attr not in scalar)
    return lists


def _tracked_list(value: list[Any], element: TrackedElement, nested: bool) -> TrackedList:
    """``value`` as a list reporting to ``element``; nested parts held by another element are copied."""
    if not nested:
        if isinstance(value, TrackedList) and value._holder is element:
            return value
        return TrackedList(value, element)
    parts = []
    for part in value:
        holder = part.__dict__.get("_holder")
        if holder is not None and holder is not element:
            part = copy.copy(part)
        object.__setattr__(part, "_holder", element)
        part._claim(element)
        parts.append(part)
    unchanged = all(a is b for a, b in zip(parts, value, strict=True))
    if unchanged and isinstance(value, TrackedList) and value._holder is element:
        return value
    return TrackedList(parts, element)


# --------------------------------------------------------------------------------------------------
# Reading references and removing what they name
# --------------------------------------------------------------------------------------------------


def referenced_ids(holder: Tracked) -> Iterator[str]:
    """Every id the reference fields of ``holder`` name (with repeats, in field order)."""
    for attr, rule in holder.references.items():
        value = getattr(holder, attr)
        if not value:
            continue
        if isinstance(value, str):
            yield value
        elif rule == NESTED:
            for part in value:
                yield from referenced_ids(part)
        else:
            yield from (item for item in value if item)


def without(holder: Tracked, gone: Container[str]) -> dict[str, Any] | None:
    """The new values of the reference fields of ``holder`` once the elements ``gone`` are removed.

    ``{}``: nothing changes; ``None``: ``holder`` itself must go (a rule says DELETE, or PRUNE left a list
    empty). Values are new objects: the holder's current ones are left as they are, for undo.
    """
    changes: dict[str, Any] = {}
    for attr, rule in holder.references.items():
        value = getattr(holder, attr)
        if not value:
            continue
        if rule == NESTED:
            parts = []
            for part in value:
                part_changes = without(part, gone)
                if part_changes is None:
                    return None
                parts.append(dataclasses.replace(part, **part_changes) if part_changes else part)
            if any(a is not b for a, b in zip(parts, value, strict=True)):
                changes[attr] = parts
        elif isinstance(value, str):
            if value in gone:
                if rule in (DELETE, PRUNE):
                    return None
                changes[attr] = _default(holder, attr)
        elif any(item in gone for item in value):
            kept = [item for item in value if item not in gone]
            if rule == DELETE or (rule == PRUNE and not kept):
                return None
            changes[attr] = kept if rule != CLEAR else _default(holder, attr)
    return changes


def _default(holder: Tracked, attr: str) -> Any:
    spec = next(f for f in dataclasses.fields(holder) if f.name == attr)  # type: ignore[arg-type]
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return spec.default
