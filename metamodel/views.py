"""Views hold only layout: shapes and edge points keyed by element id, plus free text notes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from metamodel.errors import ModelError
from metamodel.lists import ObservedList

VIEW_KINDS = ("stock_flow", "block")


@dataclass
class Shape:
    """Where an element is drawn: centre ``x, y``, size, and for edges (flows, links) the points."""

    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    points: list[tuple[float, float]] = field(default_factory=list)
    label_side: str = ""


def arc_angle(p0: tuple[float, float], middle: tuple[float, float], p1: tuple[float, float]) -> float | None:
    """The XMILE angle at ``p0`` of the circle through the three points (``None``: nearly straight)."""
    ax, ay = middle[0] - p0[0], middle[1] - p0[1]
    bx, by = p1[0] - p0[0], p1[1] - p0[1]
    cross = ax * by - ay * bx
    chord = math.hypot(bx, by)
    if chord < 1e-9:
        return None
    if abs(cross) / chord < 2.0:  # middle within 2 px of the chord: a straight link
        return None
    d = 2 * cross
    ux = (by * (ax * ax + ay * ay) - ay * (bx * bx + by * by)) / d
    uy = (ax * (bx * bx + by * by) - bx * (ax * ax + ay * ay)) / d
    # tangent at p0 is perpendicular to the radius (p0 - centre) = (-ux, -uy)
    tx, ty = -uy, ux
    if tx * ax + ty * ay < 0:
        tx, ty = -tx, -ty
    return math.degrees(math.atan2(-ty, tx))


@dataclass
class Link:
    """A drawn influence arrow from one element to another; ``angle`` bends it (degrees, XMILE)."""

    source: str
    target: str
    angle: float | None = None
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Note:
    text: str
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0


@dataclass
class View:
    """A diagram of the model: layout only. ``kind`` is ``stock_flow`` or ``block``; ``id`` is fixed once
    made (models look views up by it); ``subject`` is the element whose insides the view shows (the block
    of an internal block diagram), empty for other views."""

    VIEW_KINDS: ClassVar[tuple[str, ...]] = VIEW_KINDS
    id: str
    name: str = "View"
    kind: str = "stock_flow"
    shapes: dict[str, Shape] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    subject: str = ""

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr == "id" and "id" in self.__dict__ and value != self.id:
            raise ModelError(f"the id of view {self.id!r} is fixed; make a new view instead")
        object.__setattr__(self, attr, value)


class ViewList(ObservedList):
    """``Model.views``: a list of views that finds a view by id without scanning."""

    __slots__ = ("_by_id",)

    def __init__(self, views: Iterable[View] = ()) -> None:
        super().__init__(views)
        self._by_id: dict[str, View] | None = None

    def get(self, view_id: str) -> View | None:
        """The first view with this id, or None."""
        if self._by_id is None:
            self._by_id = {}
            for view in self:
                self._by_id.setdefault(view.id, view)
        return self._by_id.get(view_id)

    def _changed(self) -> None:
        self._by_id = None
