"""Items of the block diagram: parts, requirements, neural components, ports on borders, connectors and
relations. Like every item they only draw what the scene gives them."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.gui import style
from app.gui.block_layout import port_side
from app.gui.geometry import Point, midpoint
from app.gui.guard import guarded
from app.gui.items import BlockItem, DiagramItem, NodeItem, PolylineItem

PORT = 12.0
NOT_RUN = "not run yet"
COMPACT_HEIGHT = 90.0


class PartItem(BlockItem):
    """A part property drawn inside its owner block: a box labelled ``name : Type``."""

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, "part")
        self.setZValue(4)

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self._paint_box(painter, style.PART_FILL, 4)
        self._draw_label(painter, rect.adjusted(6, 2, -6, -2), Qt.AlignmentFlag.AlignCenter)
        self._paint_problem(painter, rect.topRight())


class RequirementItem(BlockItem):
    """A requirement: «requirement» name, then its id and text."""

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, "requirement")
        self.text = ""

    def set_text(self, text: str) -> None:
        self.text = text
        self.update()

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        super().paint(painter, option, widget)
        painter.setFont(style.label_font(8))
        painter.setPen(style.INK_SOFT)
        body = self.rect().adjusted(6, 40, -6, -4)
        painter.drawText(body, int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap), self.text)


class NeuralItem(BlockItem):
    """A neural component: «neural» name, its ONNX file and the onnxruntime provider it runs on."""

    stereotype = "neural"
    caption = "runs on"

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, self.stereotype)
        self.file = ""
        self.provider = NOT_RUN

    def set_details(self, file: str, provider: str) -> None:
        self.file, self.provider = file, provider
        self.update()

    @property
    def compact(self) -> bool:
        """A box too small for the details: they go above it as a caption."""
        return self.size[1] < COMPACT_HEIGHT

    def _details_rect(self) -> QRectF:
        rect = self.rect()
        if self.compact:
            return QRectF(rect.center().x() - 90, rect.top() - 32, 180, 30)
        return rect.adjusted(14, 40, -14, -4)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return super().boundingRect().united(self._details_rect())

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        super().paint(painter, option, widget)
        body = self._details_rect()
        painter.setFont(style.label_font(7.5))
        painter.setPen(style.INK)
        painter.drawText(body, int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWrapAnywhere), f"file: {self.file}")
        painter.setPen(style.SPARK_INK if self.provider != NOT_RUN else style.INK_SOFT)
        painter.drawText(body.adjusted(0, 14, 0, 0), int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap),
                         f"{self.caption}: {self.provider}")


class FmuItem(NeuralItem):
    """An FMU component: «FMU» name, its file and the interface it runs through."""

    stereotype = "FMU"
    caption = "runs as"


class PortItem(DiagramItem):
    """A port on its host's border (a child of the host item): a small square with a direction arrow and
    its name outside the host. ``fraction`` is its place as a fraction of the host's size."""

    def __init__(self, key: str, host: NodeItem, element_id: str | None) -> None:
        super().__init__(key)
        self.host = host
        self.element_id = element_id
        self.label = ""
        self.direction = "inout"
        self.fraction: Point = (0.5, 0.0)
        self.setParentItem(host)
        self.setZValue(6)

    def set_state(self, fraction: Point, direction: str, label: str) -> None:
        self.prepareGeometryChange()
        self.fraction, self.direction, self.label = fraction, direction, label
        self.place()

    def place(self) -> None:
        """Follow the host's size."""
        w, h = self.host.size
        self.setPos(self.fraction[0] * w, self.fraction[1] * h)
        self.update()

    @property
    def side(self) -> str:
        return port_side(*self.fraction)

    def outward(self) -> Point:
        """The unit vector pointing away from the host at this port."""
        return {"left": (-1.0, 0.0), "right": (1.0, 0.0), "top": (0.0, -1.0), "bottom": (0.0, 1.0)}[self.side]

    def anchor(self) -> Point:
        p = self.scenePos()
        return p.x(), p.y()

    def _label_rect(self) -> QRectF:
        ox, oy = self.outward()
        if ox:
            return QRectF(6 if ox > 0 else -126, -18, 120, 14)
        return QRectF(-60, 8 if oy > 0 else -22, 120, 14)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return QRectF(-PORT, -PORT, 2 * PORT, 2 * PORT).united(self._label_rect())

    @guarded(lambda _self: QPainterPath())
    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(QRectF(-PORT / 2 - 2, -PORT / 2 - 2, PORT + 4, PORT + 4))
        return path

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = style.SELECTION if self.isSelected() else style.INK
        painter.setPen(style.pen(ink, 1.3))
        painter.setBrush(style.PORT_FILL)
        painter.drawRect(QRectF(-PORT / 2, -PORT / 2, PORT, PORT))
        ox, oy = self.outward()
        painter.setBrush(ink)
        painter.setPen(Qt.PenStyle.NoPen)
        heads = {"in": [(-ox, -oy)], "out": [(ox, oy)]}.get(self.direction, [(ox, oy), (-ox, -oy)])
        for dx, dy in heads:
            tip = QPointF(dx * 4, dy * 4)
            base = QPointF(-dx * 1.5, -dy * 1.5)
            side = QPointF(-dy * 3.2, dx * 3.2)
            painter.drawPolygon(QPolygonF([tip, base + side, base - side]))
        painter.setFont(style.label_font(7.5))
        painter.setPen(style.INK)
        align = Qt.AlignmentFlag.AlignLeft if ox > 0 else Qt.AlignmentFlag.AlignRight if ox < 0 else \
            Qt.AlignmentFlag.AlignHCenter
        painter.drawText(self._label_rect(), int(align | Qt.AlignmentFlag.AlignVCenter), self.label)
        self._paint_problem(painter, QPointF(PORT / 2, -PORT / 2))


class EdgeItem(PolylineItem):
    """A polyline between two items with a label at its middle (connectors, relations)."""

    def __init__(self, key: str) -> None:
        super().__init__(key, 5)
        self.label = ""

    def set_geometry(self, points: list[Point]) -> None:
        self.prepareGeometryChange()
        self.points = points
        self.update()

    def set_label(self, label: str) -> None:
        self.prepareGeometryChange()
        self.label = label
        self.update()

    def label_rect(self) -> QRectF:
        x, y = midpoint(self.points)
        lines = max(1, self.label.count("\n") + 1)
        return QRectF(x - 80, y - 6 - 13 * lines, 160, 13 * lines)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return self._path().boundingRect().adjusted(-12, -12, 12, 12).united(self.label_rect())

    def _paint_label(self, painter: QPainter) -> None:
        if self.label:
            painter.setFont(style.label_font(7.5))
            painter.setPen(style.INK_SOFT)
            painter.drawText(self.label_rect(), int(Qt.AlignmentFlag.AlignCenter), self.label)


class ConnectorItem(EdgeItem):
    """A connector: an orthogonal route between two ports; item flows show as a label with an arrow."""

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = style.SELECTION if self.isSelected() else style.INK
        painter.setPen(style.pen(ink, 2.0 if self.isSelected() else 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path())
        self._paint_label(painter)
        self._paint_problem(painter, QPointF(*midpoint(self.points)))


class RelationItem(EdgeItem):
    """A satisfy, verify, allocate … relation: a dashed arrow with its «keyword»."""

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = style.SELECTION if self.isSelected() else style.INK_SOFT
        pen = style.pen(ink, 1.3)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path())
        (ax, ay), (bx, by) = self.points[-2], self.points[-1]
        angle = math.atan2(by - ay, bx - ax)
        painter.setPen(style.pen(ink, 1.3))
        for turn in (-0.45, 0.45):
            tail = QPointF(bx - 11 * math.cos(angle + turn), by - 11 * math.sin(angle + turn))
            painter.drawLine(QPointF(bx, by), tail)
        self._paint_label(painter)
