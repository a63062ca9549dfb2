"""A list that runs a hook after every change in place: the base of the lists a model keeps indexed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex


class ObservedList(list):  # type: ignore[type-arg]
    """Calls ``_changed()`` after each change in place; copies, slices and pickles are plain lists."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (list, (list(self),))

    def _changed(self) -> None:
        raise NotImplementedError

    def append(self, item: Any) -> None:
        super().append(item)
        self._changed()

    def extend(self, items: Iterable[Any]) -> None:
        super().extend(items)
        self._changed()

    def insert(self, index: SupportsIndex, item: Any) -> None:
        super().insert(index, item)
        self._changed()

    def remove(self, item: Any) -> None:
        super().remove(item)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> Any:
        item = super().pop(index)
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._changed()

    def reverse(self) -> None:
        super().reverse()
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, items: Iterable[Any]) -> ObservedList:  # type: ignore[override]
        super().__iadd__(items)
        self._changed()
        return self

    def __imul__(self, times: SupportsIndex) -> ObservedList:
        super().__imul__(times)
        self._changed()
        return self
