"""The element table of a model and its index: canonical name -> ids, id -> ids of the elements that
reference it. Every insertion, removal and change of an element updates the index, so lookups by name
and by reference never scan the model.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, SupportsIndex

from metamodel.references import referenced_ids

if TYPE_CHECKING:
    from metamodel.elements import Element


class ModelIndex:
    """Names and references of the elements of one table.

    ``names[key]`` lists the ids of the elements whose canonical name is ``key``: variables first, then
    the others, each in model order. ``referrers[id]`` maps the id of each element that references
    ``id`` to how many times it does. Both are made when first asked for (importing an architecture
    model and checking it never ask) and kept current from then on.
    """

    def __init__(self, arrivals: Callable[[], dict[str, Element] | None] | None = None) -> None:
        """``arrivals``: gives the dict that lists the elements in the order they arrive, kept by its owner
        (an element table, which adds to it and removes from it before telling the index); without it
        the index keeps that list itself."""
        self._names: dict[str, list[str]] | None = None
        self._keys: dict[str, str] = {}  # id -> canonical name, while ``names`` is kept
        self._referrers: dict[str, dict[str, int]] | None = None
        # Until names, referrers or an order are first asked for, the elements are only listed as they
        # arrive (an element's order is its place there), which is all that importing and checking a
        # model need; ``_arrivals`` is that list when the index keeps it, ``_owned`` gives the owner's.
        # From then on ``_entries`` holds, per id: the element, the ids it
        # references (None while referrers are not kept) and its rank in the name lists; an entry
        # whose references change moves to the end, where the counts put that element among the
        # referrers of each target.
        self._owned = arrivals
        self._arrivals: dict[str, Element] | None = {} if arrivals is None else None
        self._lazy = True
        self._entries: dict[str, tuple[Element, tuple[str, ...] | None, int]] = {}
        self._next = 0

    @classmethod
    def build(cls, elements: Iterable[Element]) -> ModelIndex:
        """The index of ``elements`` made from scratch (in their order)."""
        index = cls()
        for element in elements:
            index.add(element)
        return index

    def _kept(self) -> dict[str, tuple[Element, tuple[str, ...] | None, int]]:
        """The entries, made from the arrivals the first time they are needed."""
        if self._lazy:
            arrivals = self._arrivals if self._owned is None else self._owned()
            self._lazy, self._arrivals = False, None
            self._entries = {element_id: (element, None, order if element.is_variable else order + _OTHERS)
                             for order, (element_id, element) in enumerate((arrivals or {}).items())}
            self._next = len(self._entries)
        return self._entries

    @property
    def names(self) -> dict[str, list[str]]:
        if self._names is None:
            entries = self._kept()
            self._names = {}
            self._keys = {element_id: element.canonical for element_id, (element, _, _) in entries.items()}
            for element_id, _ in sorted(entries.items(), key=lambda item: item[1][2]):
                self._names.setdefault(self._keys[element_id], []).append(element_id)
        return self._names

    @property
    def referrers(self) -> dict[str, dict[str, int]]:
        if self._referrers is None:
            entries = self._kept()
            self._referrers = {}
            for element_id, (element, _, rank) in entries.items():
                targets = tuple(referenced_ids(element))
                entries[element_id] = (element, targets, rank)
                self._count(element_id, targets, 1)
        return self._referrers

    def add(self, element: Element, order: int | None = None) -> None:
        """Index a new element; ``order`` places it among the others (default: after all of them)."""
        if order is None and self._lazy:
            if self._arrivals is not None:
                self._arrivals[element.id] = element
            return
        entries = self._kept()
        if order is None:
            order = self._next
        self._next = max(self._next, order + 1)
        rank = order if element.is_variable else order + _OTHERS
        if self._names is not None:
            key = self._keys[element.id] = element.canonical
            self._file(key, element.id, rank)
        if self._referrers is None:
            entries[element.id] = (element, None, rank)
        else:
            targets = tuple(referenced_ids(element))
            entries[element.id] = (element, targets, rank)
            self._count(element.id, targets, 1)

    def remove(self, element_id: str) -> None:
        if self._lazy:
            if self._arrivals is not None:
                del self._arrivals[element_id]
            return
        _, targets, _ = self._entries.pop(element_id)
        if self._names is not None:
            self._unfile(self._keys.pop(element_id), element_id)
        if targets is not None:  # counted among the referrers
            self._count(element_id, targets, -1)

    def refresh(self, element: Element) -> None:
        """Bring the entry of ``element`` up to date after its name or references changed."""
        if self._lazy:  # neither names nor references are kept yet
            return
        _, targets, rank = self._entries[element.id]
        if self._names is not None:
            key, new_key = self._keys[element.id], element.canonical
            if new_key != key:
                self._unfile(key, element.id)
                self._keys[element.id] = new_key
                self._file(new_key, element.id, rank)
        if targets is None:  # references are not kept yet: the entry stays as it is
            return
        new_targets = tuple(referenced_ids(element))
        if new_targets != targets:
            del self._entries[element.id]
            self._count(element.id, targets, -1)
            self._count(element.id, new_targets, 1)
        self._entries[element.id] = (element, new_targets, rank)

    def order(self, element_id: str) -> int:
        """Where the element stands among the others (for putting it back in its place)."""
        return self._kept()[element_id][2] % _OTHERS

    def state(self) -> tuple[dict[str, list[str]], dict[str, dict[str, int]]]:
        """Names and references, for comparing two indexes."""
        return ({k: list(v) for k, v in self.names.items()}, {k: dict(v) for k, v in self.referrers.items()})

    def _rank(self, element_id: str) -> int:
        return self._entries[element_id][2]

    def _file(self, key: str, element_id: str, rank: int) -> None:
        names = self.names
        ids = names.get(key)
        if ids is None:
            names[key] = [element_id]
        elif self._rank(ids[-1]) < rank:
            ids.append(element_id)
        else:
            ids.insert(bisect.bisect_left(ids, rank, key=self._rank), element_id)

    def _unfile(self, key: str, element_id: str) -> None:
        names = self.names
        ids = names[key]
        ids.remove(element_id)
        if not ids:
            del names[key]

    def _count(self, element_id: str, targets: tuple[str, ...], step: int) -> None:
        referrers = self._referrers
        assert referrers is not None
        for target in targets:
            counts = referrers.setdefault(target, {})
            counts[element_id] = counts.get(element_id, 0) + step
            if not counts[element_id]:
                del counts[element_id]
                if not counts:
                    del referrers[target]


_OTHERS = 1 << 62  # added to the order of elements that are not variables: they rank after all variables


class ElementTable(dict):  # type: ignore[type-arg]
    """``Model.elements``: elements by id, each under its own id, with the index kept current.

    Every way of changing the dict goes through the index; copies and pickles are plain dicts.
    """

    def __init__(self, items: Mapping[str, Element] | Iterable[tuple[str, Element]] = ()) -> None:
        super().__init__()
        self._ref = weakref.ref(self)
        self.index = ModelIndex(self._ref)
        self.update(items)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (dict, (dict(self),))

    def copy(self) -> dict[str, Element]:  # type: ignore[override]
        return dict(self)

    def refresh(self, element: Element) -> None:
        """Called by an element of this table after its name or references changed."""
        if self.get(element.id) is element:
            self.index.refresh(element)

    def __setitem__(self, key: str, element: Element) -> None:
        if key != element.id:
            raise ValueError(f"element key {key!r} does not match its id {element.id!r}")
        old = self.get(key)
        if old is element:
            return
        order = None
        if old is not None:  # replaced in place: the new element takes the old one's position
            order = self.index.order(key)
            self._forget(old)
        super().__setitem__(key, element)
        element._adopt(self._ref)
        self.index.add(element, order)

    def __delitem__(self, key: str) -> None:
        element = self[key]
        super().__delitem__(key)
        self._forget(element)

    def _forget(self, element: Element) -> None:
        self.index.remove(element.id)
        element._release(self._ref)

    def pop(self, key: str, *default: Any) -> Any:
        if key not in self:
            if default:
                return default[0]
            raise KeyError(key)
        element = self[key]
        del self[key]
        return element

    def popitem(self) -> tuple[str, Element]:
        key = next(reversed(self))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, items: Any = (), /, **more: Element) -> None:  # type: ignore[override]
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, element in pairs:
            self[key] = element
        for key, element in more.items():
            self[key] = element

    def __ior__(self, items: Any) -> ElementTable:  # type: ignore[override]
        self.update(items)
        return self

    def restore(self, removed: Iterable[tuple[int, int, Element]]) -> None:
        """Put removed elements back: ``(position in the dict, order in the index, element)`` each."""
        removed = sorted(removed, key=lambda entry: entry[0])
        items = list(self.items())
        for position, _, element in removed:
            items.insert(position, (element.id, element))
        dict.clear(self)
        dict.update(self, items)  # the order the dict had before the removal; no index change for the rest
        for _, order, element in removed:
            element._adopt(self._ref)
            self.index.add(element, order)

    def positions(self, ids: Iterable[str]) -> Iterator[tuple[str, int]]:
        """``(id, position in the dict)`` of each of ``ids`` present."""
        wanted = set(ids)
        return ((key, position) for position, key in enumerate(self) if key in wanted)
