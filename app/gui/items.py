"""Diagram items. They only draw what the scene tells them and expose handles; they never edit the model.

Node items are centred on their position. Edge items (flows, links) are placed at the origin and get
their geometry in scene coordinates from the scene.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPainterPathStroker, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from app.gui import style
from app.gui.geometry import Point, distance_to_polyline, midpoint
from app.gui.guard import guarded

HANDLE = 8.0


class Handle(QGraphicsItem):
    """A small square or round grip; ``role`` tells the select interaction what dragging it does."""

    def __init__(self, parent: QGraphicsItem, role: str, end: str = "", round_: bool = False) -> None:
        super().__init__(parent)
        self.role = role
        self.end = end
        self.round = round_
        self.setZValue(10)
        self.setVisible(False)
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if role == "resize" else Qt.CursorShape.CrossCursor)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return QRectF(-HANDLE / 2 - 1, -HANDLE / 2 - 1, HANDLE + 2, HANDLE + 2)

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setPen(style.pen(style.SELECTION, 1.2))
        painter.setBrush(QBrush(QColor("white")))
        rect = QRectF(-HANDLE / 2, -HANDLE / 2, HANDLE, HANDLE)
        if self.round:
            painter.drawEllipse(rect)
        else:
            painter.drawRect(rect)


class DiagramItem(QGraphicsObject):
    """Base of every item: the id of what it draws and a problem marker."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.problem: str | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)

    def set_problem(self, severity: str | None) -> None:
        if severity != self.problem:
            self.problem = severity
            self.update()

    def _paint_problem(self, painter: QPainter, at: QPointF) -> None:
        if self.problem:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.SEVERITY_COLOURS.get(self.problem, style.ERROR))
            painter.drawEllipse(at, 4.5, 4.5)

    @guarded(lambda _self, _change, value: value)
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            for child in self.childItems():
                if isinstance(child, Handle):
                    child.setVisible(bool(value))
        return super().itemChange(change, value)


class NodeItem(DiagramItem):
    """A box-like item centred on its position: stocks, auxiliaries, notes, blocks."""

    def __init__(self, key: str, size: tuple[float, float], resizable: bool = False) -> None:
        super().__init__(key)
        self.size = size
        self.label = ""
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setZValue(2)
        self.resize_handle = Handle(self, "resize") if resizable else None
        self._place_handles()

    def set_state(self, pos: Point, size: tuple[float, float], label: str) -> None:
        """Show the model's layout and name."""
        if size != self.size:
            self.set_size(size)
        self.label = label
        parent = self.parentItem()
        self.setPos(parent.mapFromScene(QPointF(*pos)) if parent is not None else QPointF(*pos))
        self.update()

    def set_size(self, size: tuple[float, float]) -> None:
        self.prepareGeometryChange()
        self.size = size
        self._place_handles()

    def _place_handles(self) -> None:
        if self.resize_handle is not None:
            self.resize_handle.setPos(self.size[0] / 2, self.size[1] / 2)

    def rect(self) -> QRectF:
        w, h = self.size
        return QRectF(-w / 2, -h / 2, w, h)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-6, -6, 6, 6)

    def label_rect(self) -> QRectF:
        """Where the name is drawn, in item coordinates (the in-place editor goes there)."""
        return self.rect()

    def contains_scene_point(self, p: Point) -> bool:
        return self.shape().contains(self.mapFromScene(QPointF(*p)))

    def anchor(self) -> Point:
        p = self.scenePos()
        return p.x(), p.y()

    @guarded(lambda _self, _change, value: value)
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self.scene() is not None:
            self.scene().node_moved(self)  # type: ignore[attr-defined]
        return super().itemChange(change, value)

    @guarded(lambda _self: QPainterPath())
    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.rect())
        return path

    def _outline_pen(self):
        return style.pen(style.SELECTION if self.isSelected() else style.INK, 2.0 if self.isSelected() else 1.4)

    def _paint_box(self, painter: QPainter, fill: QColor, radius: float = 0.0) -> QRectF:
        """Draw the outlined box (rounded by ``radius``) and return its rectangle."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect()
        painter.setPen(self._outline_pen())
        painter.setBrush(fill)
        if radius:
            painter.drawRoundedRect(rect, radius, radius)
        else:
            painter.drawRect(rect)
        return rect

    def _draw_label(self, painter: QPainter, rect: QRectF, flags: Qt.AlignmentFlag) -> None:
        painter.setFont(style.label_font(9))
        painter.setPen(style.INK)
        painter.drawText(rect, int(flags | Qt.TextFlag.TextWordWrap), self.label)


class StockItem(NodeItem):
    """A stock: a rectangle with its name inside and, after a run, a sparkline."""

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, resizable=True)
        self.sparkline: np.ndarray | None = None

    def set_sparkline(self, values: np.ndarray | None) -> None:
        self.sparkline = values
        self.update()

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self._paint_box(painter, style.STOCK_FILL, 2)
        text_rect = rect.adjusted(4, 2, -4, -2)
        if self.sparkline is not None and len(self.sparkline) > 1:
            spark = rect.adjusted(6, rect.height() * 0.5, -6, -4)
            self._draw_sparkline(painter, spark)
            text_rect.setBottom(rect.top() + rect.height() * 0.5)
        self._draw_label(painter, text_rect, Qt.AlignmentFlag.AlignCenter)
        self._paint_problem(painter, rect.topRight())

    def _draw_sparkline(self, painter: QPainter, area: QRectF) -> None:
        values = np.asarray(self.sparkline, dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size < 2:
            return
        lo, hi = float(finite.min()), float(finite.max())
        span = hi - lo or 1.0
        xs = np.linspace(area.left(), area.right(), len(values))
        ys = area.bottom() - (np.nan_to_num(values, nan=lo) - lo) / span * area.height()
        painter.setPen(style.pen(style.SPARK_INK, 1.3))
        painter.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]))


class AuxItem(NodeItem):
    """An auxiliary (circle) or a parameter (diamond); the name is drawn below."""

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size)
        self.is_parameter = False

    def set_parameter(self, flag: bool) -> None:
        if flag != self.is_parameter:
            self.is_parameter = flag
            self.update()

    def rect(self) -> QRectF:
        """The symbol: a square as tall as the shape's smaller side (a Vensim sketch gives the box of
        the name, wide and flat, which would squash the circle or diamond)."""
        side = min(self.size)
        return QRectF(-side / 2, -side / 2, side, side)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-50, -6, 50, 34)

    def label_rect(self) -> QRectF:
        rect = self.rect()
        return QRectF(rect.center().x() - 60, rect.bottom() + 1, 120, 30)

    def _body(self) -> QPainterPath:
        path = QPainterPath()
        rect = self.rect()
        if self.is_parameter:
            c = rect.center()
            path.addPolygon(QPolygonF([QPointF(c.x(), rect.top()), QPointF(rect.right(), c.y()),
                                       QPointF(c.x(), rect.bottom()), QPointF(rect.left(), c.y())]))
            path.closeSubpath()
        else:
            path.addEllipse(rect)
        return path

    @guarded(lambda _self: QPainterPath())
    def shape(self) -> QPainterPath:
        return self._body()

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._outline_pen())
        painter.setBrush(style.PARAM_FILL if self.is_parameter else style.AUX_FILL)
        painter.drawPath(self._body())
        self._draw_label(painter, self.label_rect(), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._paint_problem(painter, self.rect().topRight())


class NoteItem(NodeItem):
    """A free text note."""

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, resizable=True)
        self.setZValue(0)

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = style.pen(style.SELECTION if self.isSelected() else style.INK_SOFT, 1.0)
        pen.setStyle(Qt.PenStyle.SolidLine if self.isSelected() else Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(style.NOTE_FILL)
        painter.drawRect(self.rect())
        painter.setFont(style.label_font(9))
        painter.setPen(style.INK)
        painter.drawText(self.rect().adjusted(6, 4, -6, -4), int(Qt.TextFlag.TextWordWrap), self.label)


class BlockItem(NodeItem):
    """An architecture element (block, part, port, requirement …): a box with its stereotype."""

    def __init__(self, key: str, size: tuple[float, float], stereotype: str) -> None:
        super().__init__(key, size, resizable=True)
        self.stereotype = stereotype

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self._paint_box(painter, style.BLOCK_FILL)
        header = QRectF(rect.left(), rect.top(), rect.width(), min(36.0, rect.height()))
        painter.setFont(style.label_font(8))
        painter.setPen(style.INK_SOFT)
        painter.drawText(header.adjusted(0, 2, 0, 0), int(Qt.AlignmentFlag.AlignHCenter), f"«{self.stereotype}»")
        self._draw_label(painter, header.adjusted(2, 14, -2, 0), Qt.AlignmentFlag.AlignHCenter)
        painter.setPen(style.pen(style.INK, 1.0))
        painter.drawLine(QPointF(rect.left(), header.bottom()), QPointF(rect.right(), header.bottom()))


class PolylineItem(DiagramItem):
    """An item drawn along ``points`` in scene coordinates (flows, links, connectors, relations); it is
    hit within ``HIT_WIDTH`` of its line."""

    HIT_WIDTH = 8.0

    def __init__(self, key: str, z: float) -> None:
        super().__init__(key)
        self.setZValue(z)
        self.points: list[Point] = [(0, 0), (1, 0)]

    def _path(self) -> QPainterPath:
        path = QPainterPath(QPointF(*self.points[0]))
        for p in self.points[1:]:
            path.lineTo(QPointF(*p))
        return path

    @guarded(lambda _self: QPainterPath())
    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(self.HIT_WIDTH)
        return stroker.createStroke(self._path())


class FlowItem(PolylineItem):
    """A flow: a double-line pipe with an arrow, a valve halfway, clouds at unattached ends."""

    PIPE = 7.0
    VALVE = 11.0
    HIT_WIDTH = PIPE + 6

    def __init__(self, key: str) -> None:
        super().__init__(key, 1)
        self.label = ""
        self.clouds: tuple[bool, bool] = (True, True)
        self.from_handle = Handle(self, "flow_end", "from", round_=True)
        self.to_handle = Handle(self, "flow_end", "to", round_=True)

    def set_geometry(self, points: list[Point], clouds: tuple[bool, bool]) -> None:
        """Show the pipe through ``points`` (scene coordinates) with clouds at the flagged ends."""
        self.prepareGeometryChange()
        self.points = points
        self.clouds = clouds
        self.from_handle.setPos(*points[0])
        self.to_handle.setPos(*points[-1])
        self.update()

    def set_label(self, label: str) -> None:
        self.label = label
        self.update()

    def valve(self) -> Point:
        return midpoint(self.points)

    def anchor(self) -> Point:
        return self.valve()

    def contains_scene_point(self, p: Point) -> bool:
        v = self.valve()
        return math.dist(p, v) <= self.VALVE + 2

    def label_rect(self) -> QRectF:
        vx, vy = self.valve()
        return QRectF(vx - 60, vy + self.VALVE + 2, 120, 30)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return self._path().boundingRect().adjusted(-30, -30, 30, 30).united(self.label_rect())

    @guarded(lambda _self: QPainterPath())
    def shape(self) -> QPainterPath:
        path = super().shape()
        vx, vy = self.valve()
        path.addEllipse(QPointF(vx, vy), self.VALVE + 2, self.VALVE + 2)
        path.addRect(self.label_rect())
        return path

    def near_pipe(self, p: Point) -> bool:
        return distance_to_polyline(p, self.points) <= self.PIPE + 3

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = style.SELECTION if self.isSelected() else style.INK
        pipe = self._path()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(style.pen(ink, self.PIPE + 2.4))
        painter.drawPath(pipe)
        painter.setPen(style.pen(style.FLOW_FILL, self.PIPE - 0.6))
        painter.drawPath(pipe)
        self._draw_arrow(painter, ink)
        for at_end, point in zip(self.clouds, (self.points[0], self.points[-1]), strict=True):
            if at_end:
                _draw_cloud(painter, point)
        self._draw_valve(painter, ink)
        painter.setFont(style.label_font(9))
        painter.setPen(style.INK)
        painter.drawText(self.label_rect(), int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap), self.label)
        vx, vy = self.valve()
        self._paint_problem(painter, QPointF(vx + self.VALVE, vy - self.VALVE))

    def _draw_arrow(self, painter: QPainter, ink: QColor) -> None:
        (ax, ay), (bx, by) = self.points[-2], self.points[-1]
        angle = math.atan2(by - ay, bx - ax)
        tip = QPointF(bx, by)
        size = 13.0
        left = QPointF(bx - size * math.cos(angle - 0.55), by - size * math.sin(angle - 0.55))
        right = QPointF(bx - size * math.cos(angle + 0.55), by - size * math.sin(angle + 0.55))
        painter.setPen(style.pen(ink, 1.2))
        painter.setBrush(ink)
        painter.drawPolygon(QPolygonF([tip, left, right]))

    def _draw_valve(self, painter: QPainter, ink: QColor) -> None:
        vx, vy = self.valve()
        r = self.VALVE
        (ax, ay), (bx, by) = self.points[0], self.points[-1]
        vertical = abs(by - ay) > abs(bx - ax)
        painter.setPen(style.pen(ink, 1.4))
        painter.setBrush(QColor("white"))
        if vertical:
            poly = [(-r, -r * 0.8), (r, -r * 0.8), (-r, r * 0.8), (r, r * 0.8)]
        else:
            poly = [(-r * 0.8, -r), (-r * 0.8, r), (r * 0.8, -r), (r * 0.8, r)]
        painter.drawPolygon(QPolygonF([QPointF(vx + x, vy + y) for x, y in poly]))


def _cloud_path() -> QPainterPath:
    """The outline of a cloud centred on the origin (built once)."""
    global _CLOUD
    if _CLOUD is None:
        path = QPainterPath()
        for dx, dy, r in ((-7, 2, 7), (0, -4, 8), (8, 1, 7), (1, 5, 7)):
            path.addEllipse(QPointF(dx, dy), r, r)
        _CLOUD = path.simplified()
    return _CLOUD


_CLOUD: QPainterPath | None = None


def _draw_cloud(painter: QPainter, centre: Point) -> None:
    painter.setPen(style.pen(style.INK_SOFT, 1.2))
    painter.setBrush(style.CLOUD_FILL)
    painter.drawPath(_cloud_path().translated(*centre))


class LinkItem(PolylineItem):
    """An influence link: a curved arrow; its middle handle bends it."""

    def __init__(self, key: str) -> None:
        super().__init__(key, 3)
        self.curve_handle = Handle(self, "link_curve", round_=True)

    def set_geometry(self, points: list[Point]) -> None:
        self.prepareGeometryChange()
        self.points = points
        self.curve_handle.setPos(*midpoint(points))
        self.update()

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return self._path().boundingRect().adjusted(-12, -12, 12, 12)

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = style.SELECTION if self.isSelected() else style.LINK_INK
        painter.setPen(style.pen(ink, 1.3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path())
        (ax, ay), (bx, by) = self.points[-2], self.points[-1]
        angle = math.atan2(by - ay, bx - ax)
        size = 9.0
        painter.setBrush(ink)
        painter.drawPolygon(QPolygonF([
            QPointF(bx, by),
            QPointF(bx - size * math.cos(angle - 0.4), by - size * math.sin(angle - 0.4)),
            QPointF(bx - size * math.cos(angle + 0.4), by - size * math.sin(angle + 0.4)),
        ]))
