"""Results: pyqtgraph plots (choose variables, runs overlaid, legend, crosshair readout), a table, and
export to CSV, PNG and SVG."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui import style
from app.gui.checklist import fill_checklist
from solvers.results import Results

MAX_KEPT_RUNS = 8
TABLE_MAX_ROWS = 5000


@dataclass
class RunRecord:
    label: str
    results: Results


def export_svg(widget: QWidget, path: str) -> None:
    """Write ``widget`` as SVG by rendering it through ``QSvgGenerator``."""
    generator = QSvgGenerator()
    generator.setFileName(path)
    size = widget.size()
    generator.setSize(QSize(size.width(), size.height()))
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle("Salver plot")
    painter = QPainter(generator)
    try:
        widget.render(painter)
    finally:
        painter.end()


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
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "time")
        self.legend = self.plot.addLegend(offset=(10, 10))
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

    def add_results(self, results: Results, default_variables: list[str] | None = None) -> None:
        """Show a new run (overlaid on the kept ones when 'Keep previous runs' is on)."""
        self._run_counter += 1
        record = RunRecord(f"Run {self._run_counter}", results)
        if self.keep_runs.isChecked():
            self.records = [*self.records, record][-MAX_KEPT_RUNS:]
        else:
            self.records = [record]
        self._fill_variables(results, default_variables or [])
        self.redraw()

    def replace_latest(self, results: Results) -> None:
        """Swap the newest run's data in place (live mode): existing curves get new data, nothing else."""
        if not self.records:
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
        """Rebuild every curve from the kept runs and the chosen variables."""
        for curve in self._curves.values():
            self.plot.removeItem(curve)
        self._curves.clear()
        self.legend.clear()
        names = self.selected_variables()
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
                for run in range(results.runs):
                    label = name if len(self.records) == 1 else f"{name} ({record.label})"
                    if results.runs > 1:
                        label = f"{label} #{run + 1}"
                    curve = self.plot.plot(results.time, results[name][:, run], pen=pen,
                                           name=label if run < 4 else None)
                    self._curves[(index, name, run)] = curve
        self._fill_table()

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
    def export(self, kind: str, path: str) -> None:
        """Write the newest run (CSV) or the plot (PNG, SVG) to ``path``."""
        if kind == "csv":
            if self.latest is None:
                raise ValueError("nothing to export: run the model first")
            self.latest.to_csv(path)
        elif kind == "png":
            if not self.plot.grab().save(path, "PNG"):
                raise OSError(f"could not write {path}")
        elif kind == "svg":
            export_svg(self.plot, path)
        else:
            raise ValueError(f"unknown export kind {kind!r}")
