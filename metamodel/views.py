"""Views hold only layout: shapes and edge points keyed by element id, plus free text notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

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
    """A diagram of the model: layout only. ``kind`` is ``stock_flow`` or ``block``."""

    VIEW_KINDS: ClassVar[tuple[str, ...]] = VIEW_KINDS
    id: str
    name: str = "View"
    kind: str = "stock_flow"
    shapes: dict[str, Shape] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
