"""The diagram view: wheel zoom around the cursor, middle-button pan, rubber-band selection, fit."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from app.gui.guard import guarded
from app.gui.scene import DiagramScene

ZOOM_STEP = 1.2
ZOOM_RANGE = (0.1, 8.0)
READABLE_ZOOM = 0.6  # below this names are too small to read: a diagram opens no smaller


class DiagramView(QGraphicsView):
    """Shows one ``DiagramScene``."""

    def __init__(self, scene: DiagramScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self._scene = scene
        scene.setParent(self)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._pan_from: QPoint | None = None

    def diagram(self) -> DiagramScene:
        return self._scene

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        """Scale the view by ``factor`` within the allowed range."""
        target = min(max(self.zoom * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        self.scale(target / self.zoom, target / self.zoom)

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def zoom_fit(self) -> None:
        """Show every item, no larger than 100 %."""
        bounds = self.diagram().itemsBoundingRect()
        if bounds.isEmpty():
            self.resetTransform()
            return
        self.fitInView(bounds.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.0:
            self.resetTransform()
            self.centerOn(bounds.center())

    def zoom_readable(self) -> None:
        """Show every item when that is readable, else the top-left of the diagram at ``READABLE_ZOOM``
        (as diagram tools open a large diagram at its origin rather than as a thumbnail)."""
        self.zoom_fit()
        if self.zoom >= READABLE_ZOOM:
            return
        bounds = self.diagram().itemsBoundingRect().adjusted(-40, -40, 40, 40)
        self.resetTransform()
        self.scale(READABLE_ZOOM, READABLE_ZOOM)
        width = self.viewport().width() / READABLE_ZOOM
        height = self.viewport().height() / READABLE_ZOOM
        self.centerOn(bounds.left() + width / 2, bounds.top() + height / 2)

    @guarded()
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP ** steps)
        event.accept()

    @guarded()
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    @guarded()
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position().toPoint() - self._pan_from
            self._pan_from = event.position().toPoint()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    @guarded()
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton and self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)
