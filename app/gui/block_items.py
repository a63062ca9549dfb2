"""Items of the block diagram: parts, requirements, neural components, ports on borders, connectors and
relations. Like every item they only draw what the scene gives them."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.gui import labels, style
from app.gui.block_layout import port_side
from app.gui.geometry import Point, midpoint
from app.gui.guard import guarded
from app.gui.items import BlockItem, DiagramItem, NodeItem, PolylineItem

PORT = 12.0
NOT_RUN = "not run yet"
COMPACT_HEIGHT = 90.0


class PartItem(BlockItem):
    """A part property drawn inside its owner block: a box labelled ``name : Type`` (at its top when the
    box is tall enough to hold the names of its ports below)."""

    HEADER = 26.0  # for a caption of one line; 13 more for each further line

    def header(self) -> float:
        return self.HEADER + 13.0 * self.label.count("\n")

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, "part")
        self.setZValue(4)

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self._paint_box(painter, style.PART_FILL, 4)
        header = self.header()
        if rect.height() > header + 20:
            self._draw_fitted_label(painter, QRectF(rect.left() + 6, rect.top() + 2, rect.width() - 12, header - 4))
        else:
            self._draw_fitted_label(painter, rect.adjusted(6, 2, -6, -2))
        self._paint_problem(painter, rect.topRight())


VERDICT_COLOURS = {"pass": "#3C9A5F", "fail": "#D64541", "not verified": "#8A94A6"}


class RequirementItem(BlockItem):
    """A requirement: «requirement» name, then its id and text; after a run, its verdict in a tag on the
    top border (``FAIL at 41: 102``: the time and value of the first violation)."""

    def __init__(self, key: str, size: tuple[float, float]) -> None:
        super().__init__(key, size, "requirement")
        self.text = ""
        self.verdict = ""
        self.verdict_caption = ""

    def set_text(self, text: str) -> None:
        self.text = text
        self.update()

    def set_verdict(self, status: str, texts: tuple[str, str, str]) -> None:
        word, time, value = texts
        caption = f"{word} at {time}: {value}" if time else word
        if (status, caption) != (self.verdict, self.verdict_caption):
            self.prepareGeometryChange()
            self.verdict, self.verdict_caption = status, caption
            self.update()

    def _verdict_rect(self) -> QRectF:
        width = labels.text_size(self.verdict_caption, 400.0, 7.5).width() + 10
        rect = self.rect()
        return QRectF(rect.right() - width - 4, rect.top() - 9, width, 16)

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        box = super().boundingRect()
        return box.united(self._verdict_rect()) if self.verdict else box

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        super().paint(painter, option, widget)
        painter.setFont(style.label_font(8))
        painter.setPen(style.INK_SOFT)
        body = self.rect().adjusted(6, self.header_height() + 4, -6, -4)
        painter.drawText(body, int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap), self.text)
        if self.verdict:
            tag = self._verdict_rect()
            colour = QColor(VERDICT_COLOURS.get(self.verdict, VERDICT_COLOURS["not verified"]))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(tag, 7, 7)
            painter.setFont(style.label_font(7.5, bold=True))
            painter.setPen(QColor("white"))
            painter.drawText(tag, int(Qt.AlignmentFlag.AlignCenter), self.verdict_caption)


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

    @property
    def inside(self) -> bool:
        """A part's port has its name inside the part, where no connector runs."""
        return isinstance(self.host, PartItem)

    def _label_rect(self) -> QRectF:
        ox, oy = self.outward()
        if self.inside:
            if ox:
                return QRectF(9 if ox < 0 else -169, -7, 160, 14)
            return QRectF(-80, -22 if oy > 0 else 8, 160, 14)
        width = max(120.0, labels.text_size(self.label, 400.0, 7.5).width() + 4)  # the whole name, never cut
        if ox:
            return QRectF(6 if ox > 0 else -6 - width, -18, width, 14)
        return QRectF(-width / 2, 8 if oy > 0 else -22, width, 14)

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
        toward = -ox if self.inside else ox
        align = Qt.AlignmentFlag.AlignLeft if toward > 0 else Qt.AlignmentFlag.AlignRight if toward < 0 else \
            Qt.AlignmentFlag.AlignHCenter
        painter.drawText(self._label_rect(), int(align | Qt.AlignmentFlag.AlignVCenter), self.label)
        self._paint_problem(painter, QPointF(PORT / 2, -PORT / 2))


class EdgeItem(PolylineItem):
    """A polyline between two items with a label beside one of its segments (connectors, relations)."""

    def __init__(self, key: str) -> None:
        super().__init__(key, 5)
        self.label = ""
        self.directed = False
        self._label_at: QRectF | None = None

    def set_geometry(self, points: list[Point]) -> None:
        self.prepareGeometryChange()
        self.points = points
        self._label_at = None
        self.update()

    def set_label(self, label: str) -> None:
        self.prepareGeometryChange()
        self.label = label
        self._label_at = None
        self.update()

    def set_directed(self, directed: bool) -> None:
        if directed != self.directed:
            self.directed = directed
            self.update()

    def _label_size(self) -> tuple[float, float]:
        lines = self.label.split("\n") if self.label else []
        size = labels.text_size(self.label, 240.0, 7.5) if lines else None
        return (size.width(), size.height()) if size is not None else (0.0, 0.0)

    def label_boxes(self) -> list[QRectF]:
        """Where the label may go: beside each segment, longest first (above a horizontal one, right of a
        vertical one), at its middle and then a third of the way from either end; last, at the middle of
        the whole line."""
        w, h = self._label_size()
        segments = sorted(zip(self.points, self.points[1:], strict=False),
                          key=lambda s: -abs(s[1][0] - s[0][0]) - abs(s[1][1] - s[0][1]))
        boxes = []
        for along in (0.5, 0.3, 0.7):  # the middle of each segment first, then a third from either end
            for (ax, ay), (bx, by) in segments:
                mx, my = ax + (bx - ax) * along, ay + (by - ay) * along
                if ay == by:
                    boxes += [QRectF(mx - w / 2, my - h - 3, w, h), QRectF(mx - w / 2, my + 3, w, h)]
                else:
                    boxes += [QRectF(mx + 4, my - h / 2, w, h), QRectF(mx - w - 4, my - h / 2, w, h)]
        x, y = midpoint(self.points)
        boxes.append(QRectF(x - w / 2, y - 6 - h, w, h))
        return boxes

    def place_label(self, cost: Callable[[QRectF], float]) -> None:
        """Put the label where it covers least of what ``cost`` measures (the first free place)."""
        if not self.label:
            self._label_at = None
            return
        best, best_cost = None, float("inf")
        for box in self.label_boxes():
            spent = cost(box)
            if spent <= 0.0:
                best = box
                break
            if spent < best_cost:
                best, best_cost = box, spent
        self.prepareGeometryChange()
        self._label_at = best

    def crosses(self, rect: QRectF) -> bool:
        """Whether the line runs through ``rect``."""
        return any(_segment_crosses(a, b, rect) for a, b in zip(self.points, self.points[1:], strict=False))

    def placed_label(self) -> QRectF | None:
        """Where :meth:`place_label` put the label (None before it is placed)."""
        return self._label_at

    def label_rect(self) -> QRectF:
        if self._label_at is not None:
            return self._label_at
        boxes = self.label_boxes()
        return boxes[0] if boxes else QRectF()

    @guarded(lambda _self: QRectF())
    def boundingRect(self) -> QRectF:
        return self._path().boundingRect().adjusted(-12, -12, 12, 12).united(self.label_rect())

    def _paint_label(self, painter: QPainter) -> None:
        if self.label:
            painter.setFont(style.label_font(7.5))
            painter.setPen(style.INK_SOFT)
            painter.drawText(self.label_rect(), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextDontClip),
                             self.label)

    def _paint_arrow(self, painter: QPainter, ink, open_: bool = True) -> None:  # noqa: ANN001 - QColor
        (ax, ay), (bx, by) = self.points[-2], self.points[-1]
        angle = math.atan2(by - ay, bx - ax)
        tails = [QPointF(bx - 11 * math.cos(angle + turn), by - 11 * math.sin(angle + turn)) for turn in (-0.45, 0.45)]
        painter.setPen(style.pen(ink, 1.3))
        if open_:
            for tail in tails:
                painter.drawLine(QPointF(bx, by), tail)
        else:
            painter.setBrush(ink)
            painter.drawPolygon(QPolygonF([QPointF(bx, by), *tails]))


def _segment_crosses(a: Point, b: Point, rect: QRectF) -> bool:
    """Whether the segment ``a``–``b`` meets ``rect`` (sampled finely enough for label-sized boxes)."""
    steps = max(1, int(math.dist(a, b) / 4))
    return any(rect.contains(a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps)
               for i in range(steps + 1))


class ConnectorItem(EdgeItem):
    """A connector: an orthogonal route between two ports; item flows show as a label with an arrow."""

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = style.SELECTION if self.isSelected() else style.INK
        painter.setPen(style.pen(ink, 2.0 if self.isSelected() else 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path())
        if self.directed:
            self._paint_arrow(painter, ink, open_=False)
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
        self._paint_arrow(painter, ink)
        self._paint_label(painter)


class CompositionItem(EdgeItem):
    """A part in an overview: a line from its owner (a filled diamond there; none for a reference) to its
    type, with the part's name near the type."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.reference = False

    def set_reference(self, reference: bool) -> None:
        if reference != self.reference:
            self.reference = reference
            self.update()

    def label_boxes(self) -> list[QRectF]:
        w, h = self._label_size()
        (ax, _ay), (bx, by) = self.points[-2], self.points[-1]
        if ax == bx:  # the last segment comes down onto the type
            return [QRectF(bx + 4, by - h - 4, w, h), QRectF(bx - w - 4, by - h - 4, w, h), *super().label_boxes()]
        return super().label_boxes()

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = style.SELECTION if self.isSelected() else style.INK_SOFT
        painter.setPen(style.pen(ink, 1.3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path())
        (ax, ay), (bx, by) = self.points[0], self.points[1]
        angle = math.atan2(by - ay, bx - ax)
        ux, uy = math.cos(angle), math.sin(angle)
        diamond = [QPointF(ax, ay), QPointF(ax + 7 * ux - 4.5 * uy, ay + 7 * uy + 4.5 * ux),
                   QPointF(ax + 14 * ux, ay + 14 * uy), QPointF(ax + 7 * ux + 4.5 * uy, ay + 7 * uy - 4.5 * ux)]
        if not self.reference:
            painter.setBrush(ink)
            painter.drawPolygon(QPolygonF(diamond))
        self._paint_label(painter)
