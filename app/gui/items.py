"""Diagram items. They only draw what the scene tells them and expose handles; they never edit the model.

Node items are centred on their position. Edge items (flows, links) are placed at the origin and get
their geometry in scene coordinates from the scene.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from app.gui import labels, style
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
        if label != self.label:
            self.prepareGeometryChange()
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
        painter.setFont(style.label_font(labels.POINT_SIZE))
        painter.setPen(style.INK)
        painter.drawText(rect, int(flags | Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextDontClip), self.label)

    def _draw_fitted_label(self, painter: QPainter, rect: QRectF) -> None:
        """The name centred in ``rect``, in the largest font size that fits it there (never cut)."""
        point = labels.fitted_point_size(self.label, rect.width(), rect.height())
        painter.setFont(style.label_font(point))
        painter.setPen(style.INK)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap | Qt.TextFlag.TextDontClip
        painter.drawText(rect, int(flags), self.label)


class LabelledItem:
    """What the scene needs of an item whose name sits beside its symbol: the side the model asks for,
    the boxes the name would take on each side, and the side chosen (where it covers least)."""

    side: str = "bottom"
    label_side: str = ""

    def label_body(self) -> QRectF | None:
        """The box the name goes beside, in item coordinates (None: the name sits inside the symbol)."""
        return None

    def label_boxes(self) -> dict[str, QRectF]:
        """The box of the name on each side it may take, in item coordinates (none: it sits inside)."""
        body = self.label_body()
        if body is None:
            return {}
        size = self.name_size()
        return {side: labels.beside(body, size, side) for side in labels.PLACES}

    def preferred_box(self) -> QRectF | None:
        """The box of the name on the side the view asks for, in item coordinates (None: inside)."""
        body = self.label_body()
        return None if body is None else labels.beside(body, self.name_size(), self.preferred_side())

    def preferred_side(self) -> str:
        return self.label_side if self.label_side in labels.SIDES else "bottom"

    def set_side(self, side: str) -> bool:
        """Put the name on ``side``; True when it moved."""
        if side == self.side:
            return False
        self.prepareGeometryChange()  # type: ignore[attr-defined]
        self.side = side
        self.update()  # type: ignore[attr-defined]
        return True

    def set_label_side(self, label_side: str) -> None:
        """The side the view gives (``center``: inside, or in place of the symbol)."""
        if label_side != self.label_side:
            self.prepareGeometryChange()  # type: ignore[attr-defined]
            self.label_side = label_side
            self.side = self.preferred_side()
            self.update()  # type: ignore[attr-defined]

    def name_size(self) -> QSizeF:
        return labels.text_size(self.label)  # type: ignore[attr-defined]


def _with_names(item: LabelledItem, rect: QRectF) -> QRectF:
    """``rect`` grown to hold ``item``'s name where it is and where the view asks for it (the scene looks
    for names in their preferred places by bounding boxes)."""
    rect = rect.united(item.label_rect())  # type: ignore[attr-defined]
    preferred = item.preferred_box()
    return rect if preferred is None else rect.united(preferred)


class StockItem(LabelledItem, NodeItem):
    """A stock: a rectangle with its name inside (or beside it when the view says so) and, after a run,
    a sparkline."""

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, resizable=True)
        self.sparkline: np.ndarray | None = None
        self.label_side = ""

    @property
    def outside(self) -> bool:
        return self.label_side in labels.SIDES

    def label_body(self) -> QRectF | None:
        return self.rect() if self.outside else None

    def label_rect(self) -> QRectF:
        if self.outside:
            return labels.beside(self.rect(), self.name_size(), self.side)
        return self.rect().adjusted(4, 2, -4, -2)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return _with_names(self, self.rect()).adjusted(-6, -6, 6, 6)

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
        if self.outside:
            self._draw_label(painter, self.label_rect(), Qt.AlignmentFlag.AlignHCenter)
        else:
            self._draw_fitted_label(painter, text_rect)
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


class AuxItem(LabelledItem, NodeItem):
    """An auxiliary (circle) or a parameter (diamond) with its name beside it; a view that puts the name
    in the centre (a Vensim sketch's plain variable) draws the name alone, in place of the symbol."""

    TEXT_ONLY_WIDTH = 40.0
    SKETCH_FONT_WIDTH = 1.25  # a name's box in a Vensim sketch is measured in a narrower font
    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size)
        self.is_parameter = False
        self.label_side = ""

    def set_parameter(self, flag: bool) -> None:
        if flag != self.is_parameter:
            self.is_parameter = flag
            self.update()

    @property
    def text_only(self) -> bool:
        return self.label_side == "center"

    def rect(self) -> QRectF:
        """The symbol: a square as tall as the shape's smaller side (a Vensim sketch gives the box of
        the name, wide and flat, which would squash the circle or diamond); for a name drawn alone, the
        name wrapped at the shape's width."""
        if self.text_only:
            width = max(self.size[0] * self.SKETCH_FONT_WIDTH, self.TEXT_ONLY_WIDTH)
            size = labels.text_size(self.label or " ", width)
            w, h = size.width(), max(size.height(), 10.0)
            return QRectF(-w / 2, -h / 2, w, h)
        side = min(self.size)
        return QRectF(-side / 2, -side / 2, side, side)

    def label_body(self) -> QRectF | None:
        return None if self.text_only else self.rect()

    def label_rect(self) -> QRectF:
        if self.text_only:
            return self.rect()
        return labels.beside(self.rect(), self.name_size(), self.side)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return _with_names(self, self.rect()).adjusted(-6, -6, 6, 6)

    def _body(self) -> QPainterPath:
        path = QPainterPath()
        rect = self.rect()
        if self.text_only:
            path.addRect(rect)
        elif self.is_parameter:
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
        if self.text_only:
            if self.isSelected():
                painter.setPen(style.pen(style.SELECTION, 1.0))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(self.rect().adjusted(-2, -1, 2, 1), 3, 3)
            self._draw_label(painter, self.rect(), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter)
            self._paint_problem(painter, self.rect().topRight())
            return
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
    """An architecture element (block, part, port, requirement …): a box with its stereotype and name,
    and the compartments it has room for (a block in an overview: its parts, values and ports)."""

    HEADER = 36.0
    LINE = 13.0

    def __init__(self, key: str, size: tuple[float, float], stereotype: str) -> None:
        super().__init__(key, size, resizable=True)
        self.stereotype = stereotype
        self.compartments: list[tuple[str, list[str]]] = []

    def header_height(self) -> float:
        """The stereotype and the name, wrapped within the box's width (a line more for each wrap)."""
        lines = labels.text_size(self.label, max(1.0, self.rect().width() - 4), labels.POINT_SIZE, bold=True).height()
        return self.HEADER + max(0.0, lines - self.LINE - 2)

    def set_compartments(self, compartments: list[tuple[str, list[str]]]) -> None:
        if compartments != self.compartments:
            self.compartments = compartments
            self.update()

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self._paint_box(painter, style.BLOCK_FILL)
        header = QRectF(rect.left(), rect.top(), rect.width(), min(self.header_height(), rect.height()))
        painter.setFont(style.label_font(8))
        painter.setPen(style.INK_SOFT)
        painter.drawText(header.adjusted(0, 2, 0, 0), int(Qt.AlignmentFlag.AlignHCenter), f"«{self.stereotype}»")
        painter.setFont(style.label_font(labels.POINT_SIZE, bold=True))
        painter.setPen(style.INK)
        painter.drawText(header.adjusted(2, 14, -2, 0), int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap),
                         self.label)
        painter.setPen(style.pen(style.INK, 1.0))
        painter.drawLine(QPointF(rect.left(), header.bottom()), QPointF(rect.right(), header.bottom()))
        self._paint_compartments(painter, rect, header.bottom())
        self._paint_problem(painter, rect.topRight())

    def _paint_compartments(self, painter: QPainter, rect: QRectF, top: float) -> None:
        """Each compartment under a line, its title in italics, as far as the box has room."""
        y = top + 2
        for title, lines in self.compartments:
            needed = self.LINE * (len(lines) + 1) + 4
            if y + needed > rect.bottom() + 1:
                return
            title_font = style.label_font(7.5)
            title_font.setItalic(True)
            painter.setFont(title_font)
            painter.setPen(style.INK_SOFT)
            painter.drawText(QRectF(rect.left(), y, rect.width(), self.LINE), int(Qt.AlignmentFlag.AlignHCenter), title)
            painter.setFont(style.label_font(7.5))
            painter.setPen(style.INK)
            for index, line in enumerate(lines):
                painter.drawText(QRectF(rect.left() + 8, y + self.LINE * (index + 1), rect.width() - 12, self.LINE),
                                 int(Qt.AlignmentFlag.AlignLeft), line)
            y += needed
            if y < rect.bottom() - self.LINE:
                painter.setPen(style.pen(style.INK_SOFT, 0.8))
                painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))


class ModuleItem(BlockItem):
    """A module (an instance of another model): «module» and its name, its inputs as small ports on the
    left border and its outputs on the right, named inside the box; a double-click opens its model."""

    ROW = 16.0
    PORT = 7.0

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, "module")
        self.inputs: list[str] = []
        self.outputs: list[str] = []

    @classmethod
    def needed_size(cls, inputs: list[str], outputs: list[str], size: tuple[float, float]) -> tuple[float, float]:
        """``size`` grown to hold the header and one row per input or output."""
        return size[0], max(size[1], cls.HEADER + cls.ROW * max(len(inputs), len(outputs), 1) + 8)

    def set_ports(self, inputs: list[str], outputs: list[str]) -> None:
        if (inputs, outputs) != (self.inputs, self.outputs):
            self.inputs, self.outputs = inputs, outputs
            self.setToolTip("\n".join([f"{self.label}: a module", *(f"in: {n}" for n in inputs),
                                       *(f"out: {n}" for n in outputs)]))
            self.update()

    def port_point(self, name: str, output: bool) -> Point | None:
        """Where a link to the input (or from the output) ``name`` attaches, in scene coordinates."""
        names = self.outputs if output else self.inputs
        if name not in names:
            return None
        rect = self.rect()
        y = rect.top() + self.HEADER + self.ROW * (names.index(name) + 0.5)
        p = self.mapToScene(QPointF(rect.right() if output else rect.left(), y))
        return p.x(), p.y()

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        super().paint(painter, option, widget)
        rect = self.rect()
        font = style.label_font(7.5)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        column = rect.width() / 2 - self.PORT - 4
        for output, names in ((False, self.inputs), (True, self.outputs)):
            for index, name in enumerate(names):
                y = rect.top() + self.HEADER + self.ROW * (index + 0.5)
                x = rect.right() if output else rect.left()
                painter.setPen(style.pen(style.INK, 1.1))
                painter.setBrush(style.PORT_FILL)
                painter.drawRect(QRectF(x - self.PORT / 2, y - self.PORT / 2, self.PORT, self.PORT))
                text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, column)
                painter.setPen(style.INK)
                box = QRectF(x - column - self.PORT, y - 7, column, 14) if output else \
                    QRectF(x + self.PORT, y - 7, column, 14)
                align = Qt.AlignmentFlag.AlignRight if output else Qt.AlignmentFlag.AlignLeft
                painter.drawText(box, int(align | Qt.AlignmentFlag.AlignVCenter), text)


class PolylineItem(DiagramItem):
    """An item drawn along ``points`` in scene coordinates (flows, links, connectors, relations); it is
    hit within ``HIT_WIDTH`` of its line."""

    HIT_WIDTH = 8.0

    def __init__(self, key: str, z: float) -> None:
        super().__init__(key)
        self.setZValue(z)
        self.points: list[Point] = [(0, 0), (1, 0)]
        self._path_cache = QPainterPath()
        self._path_of: list[Point] | None = None  # the points list the cached path was made from

    def _path(self) -> QPainterPath:
        """The line through ``points``, made again only when they are replaced (bounding boxes ask often)."""
        if self._path_of is not self.points:
            path = QPainterPath(QPointF(*self.points[0]))
            for p in self.points[1:]:
                path.lineTo(QPointF(*p))
            self._path_cache, self._path_of = path, self.points
        return self._path_cache

    @guarded(lambda _self: QPainterPath())
    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(self.HIT_WIDTH)
        return stroker.createStroke(self._path())


class FlowItem(LabelledItem, PolylineItem):
    """A flow: a double-line pipe with an arrow, a valve halfway, clouds at unattached ends, the name
    beside the valve."""

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
        if label != self.label:
            self.prepareGeometryChange()
        self.label = label
        self.update()

    def valve(self) -> Point:
        return midpoint(self.points)

    def anchor(self) -> Point:
        return self.valve()

    def contains_scene_point(self, p: Point) -> bool:
        """On the valve or the name (links end where they meet either, as in Vensim)."""
        v = self.valve()
        return math.dist(p, v) <= self.VALVE + 2 or self.label_rect().contains(QPointF(*p))

    def _valve_rect(self) -> QRectF:
        vx, vy = self.valve()
        return QRectF(vx - self.VALVE, vy - self.VALVE, 2 * self.VALVE, 2 * self.VALVE)

    def label_body(self) -> QRectF | None:
        return self._valve_rect()

    def label_rect(self) -> QRectF:
        return labels.beside(self._valve_rect(), self.name_size(), self.side)

    def pipe_shape(self) -> QPainterPath:
        """The pipe's outline (labels of other items keep off it)."""
        stroker = QPainterPathStroker()
        stroker.setWidth(self.PIPE + 2)
        return stroker.createStroke(self._path())

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return _with_names(self, self._path().boundingRect().adjusted(-30, -30, 30, 30))

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
        painter.drawText(self.label_rect(), int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
                                                | Qt.TextFlag.TextDontClip), self.label)
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
