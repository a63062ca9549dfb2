"""Headless plots of results as PNG files (pyqtgraph on an offscreen Qt platform)."""

from __future__ import annotations

import os

from metamodel import atomic
from metamodel.errors import SaveError
from solvers.results import Results

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _application():  # noqa: ANN202 - the QApplication
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def save_plot(results: Results, path: str, variables: list[str] | None = None, title: str = "",
              width: int = 1000, height: int = 600, max_series: int = 8) -> list[str]:
    """Plot ``variables`` (default: the first ``max_series`` variables) of every run into a PNG.

    Returns the names plotted.
    """
    _application()
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter

    names = variables or results.names[:max_series]
    widget = pg.PlotWidget(background="w", title=title)
    widget.resize(width, height)
    widget.addLegend(offset=(10, 10))
    widget.showGrid(x=True, y=True, alpha=0.3)
    widget.setLabel("bottom", "time")
    for index, name in enumerate(names):
        values = results[name]
        color = PALETTE[index % len(PALETTE)]
        for run in range(values.shape[1]):
            widget.plot(results.time, values[:, run], pen=pg.mkPen(color, width=2),
                        name=name if run == 0 else None)
    exporter = ImageExporter(widget.plotItem)
    exporter.parameters()["width"] = width
    with atomic.replacing_path(path) as temp:
        if exporter.export(str(temp)) is False:
            raise SaveError(path, "the plot image could not be written")
    widget.close()
    return names
