"""Structure of the model in the workbench: causes and uses trees, feedback loops, loop dominance.

``install(window)`` adds the Causes and Uses dock and the Loops dock, a loop-dominance chart under the results
plot, and right-click entries on variables ("Causes Tree", "Uses Tree", "Loops Through …"). Loops That Matter
runs off the GUI thread on a snapshot of the model, when asked and after each run while the Loops dock is
shown. Selecting a loop outlines its variables and links on the diagram in the colour of its polarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QGraphicsPathItem,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui import context_menu, workers
from app.gui.document import snapshot
from app.gui.items import PolylineItem
from metamodel.elements import Module, Variable
from metamodel.model import Model

if TYPE_CHECKING:
    from solvers.analysis.ltm import LoopAnalysis

POLARITY_COLOURS = {"R": QColor(214, 39, 40), "B": QColor(31, 119, 180), "U": QColor(127, 127, 127)}
CHART_LOOPS = 8  # loops drawn on the dominance chart (the strongest on average)
MIN_CHART_SHARE = 0.01  # loops that never explain this much of the behaviour are left off the chart
_LINE_COLOURS = {"R": [(214, 39, 40), (255, 127, 14), (227, 119, 194), (140, 86, 75)],  # warm: reinforcing
                 "B": [(31, 119, 180), (44, 160, 44), (23, 190, 207), (148, 103, 189)],  # cool: balancing
                 "U": [(127, 127, 127), (80, 80, 80)]}


@dataclass
class LoopView:
    """What the panels show of one loop: its id, polarity, names, and the element ids to outline."""

    id: str
    polarity: str
    names: list[str]
    elements: list[str]
    links: list[tuple[str, str]]
    mean_share: float
    share: np.ndarray


@dataclass
class Dominance:
    """An analysis as the panels show it (built on the worker thread from a LoopAnalysis)."""

    loops: list[LoopView]
    time: np.ndarray
    periods: list[dict[str, Any]]
    notes: list[str]
    mode: str
    time_units: str = ""


def analyse(model: Model, params: dict[str, Any] | None = None) -> Dominance:
    """Loops That Matter on ``model`` (a snapshot), in the form the panels show."""
    from solvers.analysis.ltm import LoopsThatMatter

    analysis: LoopAnalysis = LoopsThatMatter(model).analyze(params or None)
    graph = analysis.graph
    output = analysis.to_json()
    views = []
    for index, (loop, entry) in enumerate(zip(analysis.loops, output["loops"], strict=True)):
        element = {key: graph.nodes[key].element_id for key in loop.variables}
        views.append(LoopView(loop.id, loop.polarity, entry["variables"],
                              [e for e in element.values() if e is not None],
                              [(element[a], element[b]) for a, b in loop.links if element[a] and element[b]],
                              entry["mean_share"], analysis.relative[index, :, 0]))
    return Dominance(views, analysis.time, output["dominance"], output["notes"], output["mode"],
                     model.sim_spec.time_units)


# -- causes and uses ---------------------------------------------------------------------------------------------
class CausesPanel(QWidget):
    """The causes or uses tree of one variable, as Vensim's Causes Tree and Uses Tree tools show it."""

    sigShowElement = Signal(str)  # element id of a double-clicked row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: Model | None = None
        self.element_id: str | None = None
        self.title = QLabel("Right-click a variable: Causes Tree or Uses Tree")
        self.direction = QComboBox()
        self.direction.addItems(["Causes", "Uses"])
        self.depth = QSpinBox()
        self.depth.setRange(1, 20)
        self.depth.setValue(2)
        self.depth.setPrefix("depth ")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Variable", "Link", "Kind"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        controls = QHBoxLayout()
        controls.addWidget(self.direction)
        controls.addWidget(self.depth)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(controls)
        layout.addWidget(self.tree)
        self.direction.currentIndexChanged.connect(lambda _i: self.refresh())
        self.depth.valueChanged.connect(lambda _v: self.refresh())
        self.tree.itemDoubleClicked.connect(self._double_clicked)

    def show_tree(self, model: Model, element_id: str, upward: bool) -> None:
        self.model, self.element_id = model, element_id
        self.direction.blockSignals(True)
        self.direction.setCurrentIndex(0 if upward else 1)
        self.direction.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        from metamodel.errors import ModelError
        from solvers.analysis.structure import causes, uses

        self.tree.clear()
        if self.model is None or self.element_id is None:
            return
        upward = self.direction.currentIndex() == 0
        try:
            root = (causes if upward else uses)(self.model, self.element_id, self.depth.value())
        except ModelError as exc:
            self.title.setText(str(exc))
            return
        self.title.setText(f"{'Causes' if upward else 'Uses'} of {root.name}")
        stack = [(root, self.tree.invisibleRootItem())]
        while stack:
            node, parent = stack.pop()
            marks = " (cycle)" if node.cycle else " …" if node.more else ""
            row = QTreeWidgetItem(parent, [node.name + marks, node.link or "", node.kind])
            row.setData(0, Qt.ItemDataRole.UserRole, node.id)
            stack.extend((child, row) for child in reversed(node.children))
        self.tree.expandAll()

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        element_id = item.data(0, Qt.ItemDataRole.UserRole)
        if element_id:
            self.sigShowElement.emit(element_id)


# -- loops ---------------------------------------------------------------------------------------------------------
class LoopsPanel(QWidget):
    """The feedback loops of the model with their polarity and share of the behaviour; the selected loop is
    outlined on the diagram (``sigLoopSelected``)."""

    sigAnalyse = Signal()
    sigLoopSelected = Signal(object)  # LoopView or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dominance: Dominance | None = None
        self.only: str | None = None  # element id: show only the loops through it
        self.analyse_button = QPushButton("Analyse Loops")
        self.status = QLabel("Loops That Matter: run the model or press Analyse.")
        self.status.setWordWrap(True)
        self.show_all = QPushButton("Show All")
        self.show_all.setVisible(False)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Loop", "Mean share", "Variables"])
        self.list.setRootIsDecorated(False)
        self.list.setColumnWidth(0, 60)
        self.list.setColumnWidth(1, 80)
        buttons = QHBoxLayout()
        buttons.addWidget(self.analyse_button)
        buttons.addWidget(self.show_all)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.list)
        self.analyse_button.clicked.connect(self.sigAnalyse.emit)
        self.show_all.clicked.connect(lambda: self.filter_to(None))
        self.list.currentItemChanged.connect(self._selected)

    def set_busy(self, text: str) -> None:
        self.analyse_button.setEnabled(False)
        self.status.setText(text)

    def set_failed(self, text: str) -> None:
        self.analyse_button.setEnabled(True)
        self.status.setText(text)

    def set_dominance(self, dominance: Dominance | None) -> None:
        self.analyse_button.setEnabled(True)
        self.dominance = dominance
        if dominance is None:
            self.status.setText("Loops That Matter: run the model or press Analyse.")
        else:
            periods = "; ".join(f"{p['start']:g}–{p['end']:g}: {' + '.join(p['loops'])}" for p in dominance.periods)
            count = f"{len(dominance.loops)} loop{'s' if len(dominance.loops) != 1 else ''}"
            self.status.setText(f"{count} ({dominance.mode}). Dominant: {periods or 'none'}."
                                + "".join(f"\n{note}" for note in dominance.notes))
        self._fill()

    def filter_to(self, element_id: str | None) -> None:
        self.only = element_id
        self.show_all.setVisible(element_id is not None)
        self._fill()

    def loops(self) -> list[LoopView]:
        if self.dominance is None:
            return []
        return [loop for loop in self.dominance.loops if self.only is None or self.only in loop.elements]

    def select(self, loop_id: str) -> None:
        for index in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(index)
            if item.text(0) == loop_id:
                self.list.setCurrentItem(item)

    def _fill(self) -> None:
        self.list.clear()
        for loop in self.loops():
            path = " → ".join([*loop.names, loop.names[0]])
            row = QTreeWidgetItem([loop.id, f"{100 * loop.mean_share:.1f} %", path])
            row.setToolTip(2, path)
            row.setForeground(0, QBrush(POLARITY_COLOURS.get(loop.polarity, POLARITY_COLOURS["U"])))
            row.setData(0, Qt.ItemDataRole.UserRole, loop.id)
            self.list.addTopLevelItem(row)
        self.sigLoopSelected.emit(None)

    def _selected(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        loop_id = current.data(0, Qt.ItemDataRole.UserRole) if current is not None else None
        self.sigLoopSelected.emit(next((loop for loop in self.loops() if loop.id == loop_id), None))


class DominanceChart(QWidget):
    """Relative loop scores over the run (the loops that reach ``MIN_CHART_SHARE``, strongest first), over bands
    in the colour of the dominant loop's polarity, each named by its dominant loops."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(110)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "time")
        self.plot.setLabel("left", "share %")
        self.plot.setYRange(-100, 100)
        self.plot.setMouseEnabled(y=False)
        self.legend = pg.LegendItem(offset=None)
        self.legend.setParentItem(None)
        self.plot.getPlotItem().layout.addItem(self.legend, 2, 3)  # beside the plot, never over the curves
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel("Loop dominance (Loops That Matter): relative loop scores; + reinforcing, - balancing")
        layout.addWidget(self.caption)
        layout.addWidget(self.plot)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.bands: list[pg.LinearRegionItem] = []

    def set_dominance(self, dominance: Dominance | None) -> None:
        """Chart ``dominance``; with nothing to chart the chart is hidden and the plot has the room."""
        self.plot.clear()
        self.legend.clear()
        self.curves, self.bands = {}, []
        self.setVisible(dominance is not None and bool(dominance.loops))
        if dominance is None or not dominance.loops:
            return
        self.plot.setLabel("bottom", f"time ({dominance.time_units})" if dominance.time_units else "time")
        polarity = {loop.id: loop.polarity for loop in dominance.loops}
        span = float(dominance.time[-1] - dominance.time[0]) if dominance.time.size > 1 else 1.0
        for period in dominance.periods:
            colour = QColor(POLARITY_COLOURS.get(polarity.get(period["loop"], "U"), POLARITY_COLOURS["U"]))
            colour.setAlpha(30)
            band = pg.LinearRegionItem((period["start"], period["end"]), movable=False, brush=colour,
                                       pen=pg.mkPen(None))
            band.setZValue(-10)
            self.plot.addItem(band)
            self.bands.append(band)
            if period["end"] - period["start"] >= 0.08 * span:
                label = pg.TextItem(" + ".join(period["loops"]), color=POLARITY_COLOURS.get(
                    polarity.get(period["loop"], "U")), anchor=(0.5, 1))
                label.setPos((period["start"] + period["end"]) / 2, -72)
                self.plot.addItem(label)
        shown = [loop for loop in sorted(dominance.loops, key=lambda loop: -loop.mean_share)
                 if np.abs(loop.share).max(initial=0) >= MIN_CHART_SHARE][:CHART_LOOPS]
        used = {"R": 0, "B": 0, "U": 0}
        for loop in shown:
            kind = loop.polarity if loop.polarity in used else "U"
            colours = _LINE_COLOURS[kind]
            pen = pg.mkPen(colours[used[kind] % len(colours)], width=2,
                           style=Qt.PenStyle.SolidLine if kind == "R" else Qt.PenStyle.DashLine)
            used[kind] += 1
            self.curves[loop.id] = self.plot.plot(dominance.time, 100 * loop.share, pen=pen)
            self.legend.addItem(self.curves[loop.id], loop.id)
        self.plot.setYRange(-100, 100)
        self.plot.setXRange(float(dominance.time[0]) - (dominance.time[1] - dominance.time[0] if
                            dominance.time.size > 1 else 0), float(dominance.time[-1]), padding=0.01)


class LoopOverlay:
    """Outlines of one loop's variables and links over a diagram scene (items only draw; the scene is not
    changed)."""

    def __init__(self) -> None:
        self.items: list[QGraphicsPathItem] = []
        self.scene: Any = None

    def clear(self) -> None:
        for item in self.items:
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.items = []

    def show(self, scene: Any, loop: LoopView | None) -> None:  # noqa: ANN401 - DiagramScene
        self.clear()
        if scene is None or loop is None:
            return
        colour = POLARITY_COLOURS.get(loop.polarity, POLARITY_COLOURS["U"])
        fill = QColor(colour)
        fill.setAlpha(45)
        for element_id in dict.fromkeys(loop.elements):
            item = scene.nodes.get(element_id)
            if item is not None and item.isVisible():
                path = QPainterPath()
                body = item.mapRectToScene(item.rect().united(item.label_rect()))
                path.addRoundedRect(body.adjusted(-4, -4, 4, 4), 6, 6)
                self._add(scene, path, colour, fill)
        links = set(loop.links)
        for link_id, link in scene.view.links.items():
            item = scene.links.get(link_id)
            if (link.source, link.target) in links and item is not None and item.isVisible():
                self._add(scene, item.mapToScene(item.shape()), colour, fill)
        for key in {k for link in links for k in link}:  # a flow's pipe carries the links to and from its stocks
            flow = scene.flows.get(key)
            if flow is not None and flow.isVisible():
                pipe = PolylineItem.shape(flow)  # the pipe and valve, not the name below it
                x, y = flow.valve()
                pipe.addEllipse(QRectF(x - flow.VALVE - 3, y - flow.VALVE - 3, 2 * flow.VALVE + 6, 2 * flow.VALVE + 6))
                self._add(scene, flow.mapToScene(pipe.simplified()), colour, fill)

    def _add(self, scene: Any, path: QPainterPath, colour: QColor, fill: QColor) -> None:  # noqa: ANN401
        item = QGraphicsPathItem(path)
        item.setPen(QPen(colour, 2.5))
        item.setBrush(fill)
        item.setZValue(50)
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        scene.addItem(item)
        self.items.append(item)


# -- wiring --------------------------------------------------------------------------------------------------------
class StructureTools:
    """The docks, the chart and the menu entries of one main window."""

    def __init__(self, window: Any) -> None:  # noqa: ANN401 - MainWindow
        self.window = window
        self.causes = CausesPanel()
        self.loops = LoopsPanel()
        self.chart = DominanceChart()
        self.overlay = LoopOverlay()
        self.running = False
        self.waiting: tuple[dict[str, Any] | None] | None = None  # the analysis asked for while one ran
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.causes_dock = self._dock("Causes and Uses", "causes", self.causes, bottom)
        self.loops_dock = self._dock("Loops", "loops", self.loops, bottom)
        window.tabifyDockWidget(window.problems_dock, self.loops_dock)
        window.tabifyDockWidget(self.loops_dock, self.causes_dock)
        window.problems_dock.raise_()
        self._chart_under_plot()
        self.causes.sigShowElement.connect(window.show_element)
        self.loops.sigAnalyse.connect(lambda: self.analyse())
        self.loops.sigLoopSelected.connect(self._highlight)
        window.runner.sigFinished.connect(self._run_finished)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        return dock

    def _chart_under_plot(self) -> None:
        from PySide6.QtWidgets import QSplitter

        split = self.window.results_split
        index = split.indexOf(self.window.plots)
        column = QSplitter(Qt.Orientation.Vertical)
        split.insertWidget(index, column)
        column.addWidget(self.window.plots)
        column.addWidget(self.chart)
        self.chart.hide()  # until there is a dominance to chart
        column.setStretchFactor(0, 3)
        column.setStretchFactor(1, 2)
        self.column = column

    def set_document(self, _document: Any) -> None:  # noqa: ANN401 - Document
        """A new document: what was shown of the previous one goes, and an analysis asked for it."""
        self.waiting = None
        self.overlay.clear()
        self.loops.filter_to(None)
        self.loops.set_dominance(None)
        self.chart.set_dominance(None)
        self.causes.model = self.causes.element_id = None
        self.causes.tree.clear()

    @property
    def docks(self) -> tuple[QDockWidget, QDockWidget]:
        return self.causes_dock, self.loops_dock

    def menu_entries(self, keys: list[str]) -> list[context_menu.Entry]:
        window = self.window
        if len(keys) != 1 or window.document is None:
            return []
        element = window.document.model.get(keys[0])
        if not isinstance(element, Variable | Module):
            return []
        return [("Causes Tree", lambda: self.show_tree(element.id, upward=True)),
                ("Uses Tree", lambda: self.show_tree(element.id, upward=False)),
                (f"Loops Through {element.name}", lambda: self.loops_through(element.id))]

    def show_tree(self, element_id: str, upward: bool) -> None:
        self.causes.show_tree(self.window.document.model, element_id, upward)
        self.causes_dock.show()
        self.causes_dock.raise_()

    def loops_through(self, element_id: str) -> None:
        self.loops_dock.show()
        self.loops_dock.raise_()
        self.loops.filter_to(element_id)
        if self.loops.dominance is None:
            self.analyse()

    def analyse(self, params: dict[str, Any] | None = None) -> bool:
        """Start Loops That Matter on a snapshot of the document's model; False while one is running,
        in which case this one starts when that one ends (the latest asked for wins)."""
        if self.window.document is None:
            return False
        if self.running:
            self.waiting = (params,)
            return False
        self.running = True
        self.loops.set_busy("Analysing loops…")
        document = self.window.document
        model = snapshot(document.model)
        workers.submit(lambda: analyse(model, params), lambda found: self._analysed(document, found),
                       lambda exc: self._failed(document, exc), self.loops)
        return True

    def _run_finished(self, outcome: Any) -> None:  # noqa: ANN401 - RunOutcome
        if self.loops_dock.isVisible():
            params = getattr(outcome.results, "metadata", {}).get("params") or None
            self.analyse(params)

    def _analysed(self, document: Any, dominance: Dominance) -> None:  # noqa: ANN401 - Document
        if self._ended(document):
            self.loops.set_dominance(dominance)
            self.chart.set_dominance(dominance)

    def _failed(self, document: Any, exc: BaseException) -> None:  # noqa: ANN401 - Document
        if self._ended(document):
            self.loops.set_failed(f"Loops That Matter failed: {exc}")
            self.chart.set_dominance(None)

    def _ended(self, document: Any) -> bool:  # noqa: ANN401 - Document
        """An analysis of ``document`` ended: True when its outcome is to be shown, False when another file
        was opened meanwhile (its outcome is dropped) or another analysis was asked for (it starts now)."""
        self.running = False
        if self.waiting is not None:
            (params,), self.waiting = self.waiting, None
            self.analyse(params)
            return False
        if document is not self.window.document:
            self.loops.set_dominance(None)
            return False
        return True

    def _highlight(self, loop: LoopView | None) -> None:
        self.overlay.show(self.window.tabs.current_scene() if loop is not None else None, loop)


@context_menu.register
def _menu_entries(window: Any, keys: list[str]) -> list[context_menu.Entry]:  # noqa: ANN401 - MainWindow
    tools = getattr(window, "structure", None)
    return tools.menu_entries(keys) if isinstance(tools, StructureTools) else []


def install(window: Any) -> StructureTools:  # noqa: ANN401 - MainWindow
    """Add the structure tools to a main window (see the module docstring)."""
    tools = StructureTools(window)
    window.structure = tools
    return tools
