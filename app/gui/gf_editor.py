"""The graphical-function editor: a table of points and a small plot whose points can be dragged."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.guard import guarded
from metamodel.elements import GF_TYPES, GraphicalFunction


class DraggablePoints(pg.ScatterPlotItem):
    """Scatter points that can be dragged; y freely, x between its neighbours. Calls back on release."""

    def __init__(self, on_drag, on_release) -> None:  # noqa: ANN001 - plain callbacks
        super().__init__(size=11, brush=pg.mkBrush("#2F6DB5"), pen=pg.mkPen("w", width=1.5))
        self.on_drag = on_drag
        self.on_release = on_release
        self.xs: list[float] = []
        self.ys: list[float] = []
        self._dragged: int | None = None

    def set_points(self, xs: list[float], ys: list[float]) -> None:
        self.xs, self.ys = list(xs), list(ys)
        self.setData(self.xs, self.ys)

    @guarded()
    def mouseDragEvent(self, ev) -> None:  # noqa: ANN001 - pyqtgraph event
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            found = self.pointsAt(ev.buttonDownPos())
            if len(found) == 0:
                ev.ignore()
                return
            self._dragged = int(found[0].index())
        if self._dragged is None:
            ev.ignore()
            return
        ev.accept()
        pos = ev.pos()
        i = self._dragged
        lo = self.xs[i - 1] if i > 0 else -float("inf")
        hi = self.xs[i + 1] if i + 1 < len(self.xs) else float("inf")
        if 0 < i < len(self.xs) - 1:
            self.xs[i] = min(max(pos.x(), lo), hi)
        self.ys[i] = pos.y()
        self.setData(self.xs, self.ys)
        self.on_drag(self.xs, self.ys)
        if ev.isFinish():
            self._dragged = None
            self.on_release(self.xs, self.ys)


class GraphicalFunctionEditor(QWidget):
    """Edits a ``GraphicalFunction``; ``sigChanged`` carries the new one after each finished edit."""

    sigChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["x", "y"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumWidth(170)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(140)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.line = self.plot.plot(pen=pg.mkPen("#2F6DB5", width=2))
        self.points = DraggablePoints(self._show_line, self._points_released)
        self.plot.addItem(self.points)
        self.kind = QComboBox()
        self.kind.addItems(GF_TYPES)
        add, remove = QPushButton("Add point"), QPushButton("Remove point")
        add.clicked.connect(self.add_point)
        remove.clicked.connect(self.remove_point)
        self.kind.currentTextChanged.connect(lambda _t: self._emit())
        buttons = QHBoxLayout()
        for widget in (self.kind, add, remove):
            buttons.addWidget(widget)
        body = QHBoxLayout()
        body.addWidget(self.table)
        body.addWidget(self.plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(body)
        layout.addLayout(buttons)
        self.table.itemChanged.connect(self._table_edited)
        self._loading = False

    def set_function(self, gf: GraphicalFunction) -> None:
        """Show ``gf`` (no signal)."""
        xs, ys = gf.points()
        self._loading = True
        self.kind.setCurrentText(gf.type)
        self._fill(xs, ys)
        self._loading = False

    def function(self) -> GraphicalFunction:
        """The function as edited (explicit x points)."""
        xs, ys = self._table_points()
        return GraphicalFunction(ypts=ys, xpts=xs, type=self.kind.currentText())

    def _fill(self, xs: list[float], ys: list[float]) -> None:
        was = self._loading
        self._loading = True
        self.table.setRowCount(len(xs))
        for row, (x, y) in enumerate(zip(xs, ys, strict=True)):
            self.table.setItem(row, 0, QTableWidgetItem(f"{x:g}"))
            self.table.setItem(row, 1, QTableWidgetItem(f"{y:g}"))
        self._loading = was
        self.points.set_points(xs, ys)
        self._show_line(xs, ys)

    def _table_points(self) -> tuple[list[float], list[float]]:
        xs, ys = [], []
        for row in range(self.table.rowCount()):
            try:
                x = float(self.table.item(row, 0).text())
                y = float(self.table.item(row, 1).text())
            except (AttributeError, ValueError):
                continue
            xs.append(x)
            ys.append(y)
        order = sorted(range(len(xs)), key=lambda i: xs[i])
        return [xs[i] for i in order], [ys[i] for i in order]

    def _show_line(self, xs: list[float], ys: list[float]) -> None:
        if self.kind.currentText() == "discrete" and xs:
            step_x = [v for x in xs for v in (x, x)][1:] + [xs[-1]]
            step_y = [v for y in ys for v in (y, y)]
            self.line.setData(step_x, step_y)
        else:
            self.line.setData(xs, ys)

    def _points_released(self, xs: list[float], ys: list[float]) -> None:
        self._fill(xs, ys)
        self._emit()

    def _table_edited(self, _item: QTableWidgetItem) -> None:
        if self._loading:
            return
        xs, ys = self._table_points()
        self.points.set_points(xs, ys)
        self._show_line(xs, ys)
        self._emit()

    def add_point(self) -> None:
        xs, ys = self._table_points()
        x = (xs[-1] + 1.0) if xs else 0.0
        self._fill([*xs, x], [*ys, ys[-1] if ys else 0.0])
        self._emit()

    def remove_point(self) -> None:
        xs, ys = self._table_points()
        if len(xs) > 2:
            self._fill(xs[:-1], ys[:-1])
            self._emit()

    def _emit(self) -> None:
        if not self._loading:
            self.sigChanged.emit(self.function())
