"""Names on diagrams: the box a wrapped name takes, a font size that fits a name in a box, where a name
goes beside its symbol, and the side of a symbol where it covers the least of what is drawn there."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from PySide6.QtCore import QRectF, QSizeF, Qt
from PySide6.QtGui import QFontMetricsF

from app.gui import style

SIDES = ("bottom", "top", "right", "left")
CORNERS = ("bottom right", "top right", "bottom left", "top left")  # off a pipe that runs through a side
PLACES = SIDES + CORNERS
GAP = 2.0
WRAP_WIDTH = 124.0
POINT_SIZE = 9.0
SMALLEST = 6.5
WRAP = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignHCenter)


@lru_cache(maxsize=8192)
def text_size(text: str, width: float = WRAP_WIDTH, point: float = POINT_SIZE, bold: bool = False) -> QSizeF:
    """The size ``text`` takes wrapped at word breaks within ``width`` (wider when one word is)."""
    metrics = QFontMetricsF(style.label_font(point, bold=bold))
    if not text:
        return QSizeF(0.0, 0.0)
    box = metrics.boundingRect(QRectF(0, 0, width, 10_000), WRAP, text)
    return QSizeF(box.width() + 2, box.height())


@lru_cache(maxsize=8192)
def fitted_point_size(text: str, width: float, height: float, largest: float = POINT_SIZE,
                      smallest: float = SMALLEST) -> float:
    """The largest font size (down to ``smallest``) at which ``text`` fits ``width`` × ``height`` wrapped at
    word breaks; ``smallest`` when none does (the text then runs over the box rather than being cut)."""
    point = largest
    while point > smallest:
        size = text_size(text, width, point)
        if size.width() <= width + 0.5 and size.height() <= height + 0.5:
            return point
        point -= 0.5
    return smallest


def beside(body: QRectF, size: QSizeF, side: str, gap: float = GAP) -> QRectF:
    """The box of a name of ``size`` on ``side`` of ``body`` (centred on it for ``center``; off a corner
    for the two-word sides of :data:`CORNERS`)."""
    w, h = size.width(), size.height()
    c = body.center()
    if " " in side:
        vertical, horizontal = side.split()
        x = body.right() + gap if horizontal == "right" else body.left() - gap - w
        y = body.bottom() + gap if vertical == "bottom" else body.top() - gap - h
        return QRectF(x, y, w, h)
    if side == "top":
        return QRectF(c.x() - w / 2, body.top() - gap - h, w, h)
    if side == "left":
        return QRectF(body.left() - gap - w, c.y() - h / 2, w, h)
    if side == "right":
        return QRectF(body.right() + gap, c.y() - h / 2, w, h)
    if side == "center":
        return QRectF(c.x() - w / 2, c.y() - h / 2, w, h)
    return QRectF(c.x() - w / 2, body.bottom() + gap, w, h)


def choose_side(preferred: str, boxes: dict[str, QRectF], cost: Callable[[QRectF], float]) -> str:
    """The side for a name: ``preferred`` when its box costs nothing; otherwise the first free place in
    the order below, above, right, left, then off the corners; otherwise the cheapest (the earlier in
    that order on a tie)."""
    order = [preferred, *(s for s in PLACES if s != preferred)]
    best, best_cost = preferred, float("inf")
    for side in order:
        if side not in boxes:
            continue
        spent = cost(boxes[side])
        if spent <= 0.0:
            return side
        if spent < best_cost:
            best, best_cost = side, spent
    return best


def overlap(a: QRectF, b: QRectF) -> float:
    """The area two rectangles share."""
    shared = a.intersected(b)
    return max(0.0, shared.width()) * max(0.0, shared.height())
