"""Results: pyqtgraph plots (choose variables, runs overlaid, legend, crosshair readout), a table, and
export to CSV, PNG and SVG."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui import style
from app.gui.checklist import fill_checklist
from metamodel import atomic
from metamodel.errors import SaveError
from solvers.results import Results

MAX_KEPT_RUNS = 8
LEGEND_COLUMN = 9  # plot item layout column of the legend: after the axes added on the right
EXPORT_SIZE = (1600, 1000)  # pixels of an exported PNG, whatever the size on screen
EXPORT_SCALE = 1.6  # pixels per layout unit in an exported PNG: text and lines that much larger than on screen
TABLE_MAX_ROWS = 5000


@dataclass
class RunRecord:
    label: str
    results: Results
    kept: bool = False  # kept by name (live mode): stays when new runs come


def save_image(image: QImage | QPixmap, path: str) -> None:
    """Write ``image`` to ``path`` as a PNG, atomically; a ``SaveError`` when Qt cannot write it."""
    with atomic.replacing_path(path) as temp:
        if not image.save(str(temp), "PNG"):
            raise SaveError(path, "the image could not be written")


class PlotPanel(QWidget):
    """Shows results; ``sigExport(kind)`` asks the window for a file name (``csv``, ``png``, ``svg``)."""

    sigExport = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[RunRecord] = []
        self._curves: dict[tuple[int, str, int], pg.PlotDataItem] = {}
        self._run_counter = 0
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter variables…")
        self.variables = QListWidget()
        self.keep_runs = QCheckBox("Keep previous runs")
        self.units: dict[str, str] = {}
        self.time_units = ""
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(320, 220)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "time")
        item = self.plot.getPlotItem()
        self.legend = pg.LegendItem(offset=None, labelTextColor=style.INK.name())
        self.legend.setParentItem(None)
        item.layout.addItem(self.legend, 2, LEGEND_COLUMN)  # beside the plot, never over the curves
        # as tall as its entries, at the top: stretched over a tall plot its names drift from their lines
        self.legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        item.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.extra_axes: list[tuple[pg.AxisItem, pg.ViewBox]] = []
        item.vb.sigResized.connect(self._align_views)
        self.readout = QLabel(" ")
        self.readout.setStyleSheet("color: #2F4B6E; font-family: 'DejaVu Sans Mono';")
        self.v_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#9AA7B8", style=Qt.PenStyle.DashLine))
        self.h_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#9AA7B8", style=Qt.PenStyle.DashLine))
        for line in (self.v_line, self.h_line):
            self.plot.addItem(line, ignoreBounds=True)
            line.setVisible(False)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.table = QTableWidget()
        self.tabs = QTabWidget()
        plot_page = QWidget()
        plot_layout = QVBoxLayout(plot_page)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.addWidget(self.plot, 1)
        plot_layout.addWidget(self.readout)
        self.tabs.addTab(plot_page, "Plot")
        self.tabs.addTab(self.table, "Table")
        self.tabs.currentChanged.connect(lambda _i: self._fill_table())
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.filter)
        side_layout.addWidget(self.variables, 1)
        side_layout.addWidget(self.keep_runs)
        buttons = QHBoxLayout()
        for kind in ("csv", "png", "svg"):
            button = QPushButton(kind.upper())
            button.setToolTip(f"Export as {kind.upper()}")
            button.clicked.connect(lambda _c=False, k=kind: self.sigExport.emit(k))
            buttons.addWidget(button)
        side_layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(side)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([170, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)
        self.filter.textChanged.connect(self._apply_filter)
        self.variables.itemChanged.connect(lambda _i: self.redraw())

    # -- data ---------------------------------------------------------------------------------------
    @property
    def latest(self) -> Results | None:
        return self.records[-1].results if self.records else None

    def add_results(self, results: Results, default_variables: list[str] | None = None,
                    units: dict[str, str] | None = None, time_units: str = "") -> None:
        """Show a new run (overlaid on the kept ones when 'Keep previous runs' is on, and always on
        the runs kept by name); ``units`` by variable name label the axes."""
        self._run_counter += 1
        record = RunRecord(f"Run {self._run_counter}", results)
        if units is not None:
            self.units, self.time_units = dict(units), time_units
        earlier = self.records if self.keep_runs.isChecked() else [r for r in self.records if r.kept]
        self.records = [*earlier, record][-MAX_KEPT_RUNS:]
        self._fill_variables(results, default_variables or [])
        self.redraw()

    def keep_latest(self, name: str) -> None:
        """Keep the newest run under ``name``; the next live results draw as a new run beside it."""
        if not self.records:
            return
        newest = self.records[-1]
        newest.label, newest.kept = name, True
        self.records = [*self.records, RunRecord("current", newest.results)][-MAX_KEPT_RUNS:]
        self.redraw()

    def replace_latest(self, results: Results) -> None:
        """Swap the newest run's data in place (live mode): existing curves get new data, nothing else."""
        if not self.records or self.records[-1].kept:
            self.add_results(results)
            return
        self.records[-1].results = results
        index = len(self.records) - 1
        updated = False
        for (record, name, run), curve in self._curves.items():
            if record == index and name in results and run < results.runs:
                curve.setData(results.time, results[name][:, run])
                updated = True
        if not updated:
            self.redraw()
        if self.tabs.currentWidget() is self.table:
            self._fill_table()

    def clear(self) -> None:
        self.records = []
        self.variables.clear()
        self.redraw()

    def selected_variables(self) -> list[str]:
        return [self.variables.item(i).text() for i in range(self.variables.count())
                if self.variables.item(i).checkState() == Qt.CheckState.Checked]

    def set_selected(self, names: list[str]) -> None:
        wanted = set(names)
        self.variables.blockSignals(True)
        for i in range(self.variables.count()):
            item = self.variables.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in wanted else Qt.CheckState.Unchecked)
        self.variables.blockSignals(False)
        self.redraw()

    def _fill_variables(self, results: Results, defaults: list[str]) -> None:
        previous = set(self.selected_variables())
        chosen = previous & set(results.names) or {n for n in defaults if n in results} or set(results.names[:3])
        fill_checklist(self.variables, results.names, chosen)
        self._apply_filter(self.filter.text())

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.variables.count()):
            item = self.variables.item(i)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    # -- drawing ------------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Rebuild every curve from the kept runs and the chosen variables: one y-axis per unit (the
        first on the left, the others on the right), the legend beside the plot."""
        for curve in self._curves.values():
            if curve.getViewBox() is not None:
                curve.getViewBox().removeItem(curve)
        self._curves.clear()
        self.legend.clear()
        names = self.selected_variables()
        groups = list(dict.fromkeys(self.units.get(n, "") for n in names))
        self._set_axes(groups)
        views = [self.plot.getPlotItem().vb, *(view for _axis, view in self.extra_axes)]
        newest = len(self.records) - 1
        for index, record in enumerate(self.records):
            results = record.results
            for colour_index, name in enumerate(names):
                if name not in results:
                    continue
                colour = style.PLOT_COLOURS[colour_index % len(style.PLOT_COLOURS)]
                older = index != newest
                pen = pg.mkPen(colour, width=1.4 if older else 2.2,
                               style=Qt.PenStyle.DashLine if older else Qt.PenStyle.SolidLine)
                view = views[groups.index(self.units.get(name, ""))]
                for run in range(results.runs):
                    label = name if len(self.records) == 1 else f"{name} ({record.label})"
                    if results.runs > 1:
                        label = f"{label} #{run + 1}"
                    curve = pg.PlotDataItem(results.time, results[name][:, run], pen=pen)
                    view.addItem(curve)
                    if run < 4:
                        self.legend.addItem(curve, label)
                    self._curves[(index, name, run)] = curve
        self._fill_table()

    def _set_axes(self, groups: list[str]) -> None:
        """Axis titles with units; an extra right-hand axis (and view) for each further unit."""
        item = self.plot.getPlotItem()
        item.setLabel("bottom", f"time ({self.time_units})" if self.time_units else "time")
        names = self.selected_variables()

        def title(unit: str) -> str:
            """``name (unit)`` for one variable; the unit alone for several (the legend names them)."""
            members = [n for n in names if self.units.get(n, "") == unit]
            if len(members) == 1:
                return f"{members[0]} ({unit})" if unit else members[0]
            return unit or "no units"

        item.setLabel("left", title(groups[0]) if groups else "")
        while len(self.extra_axes) > max(0, len(groups) - 1):
            axis, view = self.extra_axes.pop()
            item.layout.removeItem(axis)
            for gone in (axis, view):
                if gone.scene() is not None:
                    gone.scene().removeItem(gone)
        while len(self.extra_axes) < len(groups) - 1:
            axis, view = pg.AxisItem("right"), pg.ViewBox()
            item.layout.addItem(axis, 2, 3 + len(self.extra_axes))
            item.scene().addItem(view)
            axis.linkToView(view)
            view.setXLink(item.vb)
            self.extra_axes.append((axis, view))
        for (axis, _view), unit in zip(self.extra_axes, groups[1:], strict=True):
            axis.setLabel(title(unit))
        self._align_views()

    def _align_views(self) -> None:
        base = self.plot.getPlotItem().vb
        for _axis, view in self.extra_axes:
            view.setGeometry(base.sceneBoundingRect())
            view.linkedViewChanged(base, view.XAxis)

    def curve_data(self, name: str, run: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
        """The (x, y) data drawn for ``name`` in the newest run (tests and export)."""
        curve = self._curves.get((len(self.records) - 1, name, run))
        if curve is None:
            return None
        x, y = curve.getData()
        return (np.asarray(x), np.asarray(y)) if x is not None else None

    def _fill_table(self) -> None:
        if self.tabs.currentWidget() is not self.table:
            return
        results = self.latest
        names = [n for n in self.selected_variables() if results is not None and n in results]
        self.table.clear()
        if results is None:
            self.table.setRowCount(0)
            return
        rows = min(len(results.time), TABLE_MAX_ROWS)
        self.table.setColumnCount(1 + len(names))
        self.table.setRowCount(rows)
        self.table.setHorizontalHeaderLabels(["time", *names])
        columns = [results.time, *(results[n][:, 0] for n in names)]
        for col, values in enumerate(columns):
            for row in range(rows):
                self.table.setItem(row, col, QTableWidgetItem(f"{values[row]:.6g}"))

    def _mouse_moved(self, pos) -> None:  # noqa: ANN001 - a QPointF from pyqtgraph
        results = self.latest
        names = [n for n in self.selected_variables() if results is not None and n in results]
        if results is None or not names or not self.plot.sceneBoundingRect().contains(pos):
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(pos)
        i = int(np.clip(np.searchsorted(results.time, point.x()), 0, len(results.time) - 1))
        self.v_line.setPos(results.time[i])
        self.h_line.setPos(point.y())
        self.v_line.setVisible(True)
        self.h_line.setVisible(True)
        values = ", ".join(f"{n} = {results[n][i, 0]:.5g}" for n in names[:4])
        self.readout.setText(f"t = {results.time[i]:.5g}: {values}")

    # -- export -------------------------------------------------------------------------------------
    def export(self, kind: str, path: str) -> str:
        """Write the newest run (CSV) or the plot with its legend and axes (PNG at ``EXPORT_SIZE``,
        SVG) to ``path``, with the kind's extension added when it has none; returns the path."""
        if kind not in ("csv", "png", "svg"):
            raise ValueError(f"unknown export kind {kind!r}")
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        if kind == "csv":
            if self.latest is None:
                raise ValueError("nothing to export: run the model first")
            self.latest.to_csv(path)
        elif kind == "png":
            self._render(path)
        else:
            self._render_svg(path)
        return path

    @contextmanager
    def _laid_out_for_export(self) -> Iterator[QRectF]:
        """The plot (axes, curves, legend) laid out again at the export size, whatever its size on
        screen, and put back afterwards; yields the scene rectangle to draw."""
        item = self.plot.getPlotItem()
        old = item.geometry()
        item.setGeometry(QRectF(0, 0, EXPORT_SIZE[0] / EXPORT_SCALE, EXPORT_SIZE[1] / EXPORT_SCALE))
        try:
            yield item.sceneBoundingRect()
        finally:
            item.setGeometry(old)

    def _render(self, path: str) -> None:
        """Draw the whole plot (axes, legend) laid out for ``EXPORT_SIZE`` into a PNG of that size."""
        image = QImage(*EXPORT_SIZE, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            with self._laid_out_for_export() as source:
                self.plot.scene().render(painter, QRectF(0, 0, *EXPORT_SIZE), source)
        finally:
            painter.end()
        save_image(image, path)

    def _render_svg(self, path: str) -> None:
        """Write the whole plot laid out as for a PNG export as SVG (in layout units), atomically."""
        with atomic.replacing_path(path) as temp, self._laid_out_for_export() as source:
            generator = QSvgGenerator()
            generator.setFileName(str(temp))
            generator.setSize(QSize(round(source.width()), round(source.height())))
            generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
            generator.setTitle("Salver plot")
            painter = QPainter(generator)
            try:
                self.plot.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
            finally:
                painter.end()
