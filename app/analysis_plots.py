"""Pictures of analyses with pyqtgraph: confidence bands, index bar charts, fits against data.

The ``draw_*`` functions fill a ``pg.PlotItem`` (the GUI's dialog draws with them); the ``save_*``
functions render the same drawing headless into a PNG (``salver sensitivity --plot``, ``salver
calibrate --plot``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg

from app.plotting import PALETTE, _application
from metamodel import atomic
from metamodel.errors import SaveError

# Vensim's default colours of the confidence bounds; Stella shades its bands alike.
BAND_COLOURS = {50.0: "#F2D22E", 75.0: "#5CB85C", 95.0: "#4A86C8", 100.0: "#B8BEC6"}
MEDIAN_COLOUR = "#2F4B6E"


def draw_bands(plot: Any, summary: Any, levels: Sequence[float] = (100.0, 95.0, 75.0, 50.0)) -> None:  # noqa: ANN401
    """Shade the ``levels`` % bands of a ``Summary`` (widest first, so narrower ones lie on top), then the
    median as a line."""
    plot.addLegend(offset=(10, 10))
    for level in sorted(levels, reverse=True):
        low, high = summary.band(level)
        lower = pg.PlotCurveItem(summary.time, low, pen=pg.mkPen(None))
        upper = pg.PlotCurveItem(summary.time, high, pen=pg.mkPen(None))
        colour = BAND_COLOURS.get(level, "#CCCCCC")
        plot.addItem(lower)
        plot.addItem(upper)
        plot.addItem(pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(colour)))
        # a legend cannot sample a fill; a bar of the colour (not drawn in the plot) stands for it
        plot.legend.addItem(pg.BarGraphItem(x=[0], height=[1], width=1, brush=colour, pen=pg.mkPen(None)),
                            f"{level:g}%")
    plot.plot(summary.time, summary.median, pen=pg.mkPen(MEDIAN_COLOUR, width=2), name="median")
    plot.setLabel("bottom", "time")
    plot.setTitle(f"{summary.variable}: {summary.runs} runs")


def draw_indices(plot: Any, indices: Any) -> None:  # noqa: ANN401
    """Bars per parameter: first-order and total Sobol' indices, or Morris mu* with sigma beside it."""
    keys = ("S1", "ST") if indices.method == "sobol" else ("mu_star", "sigma")
    names = indices.names
    width = 0.38
    plot.addLegend(offset=(10, 10))
    for k, key in enumerate(keys):
        heights = np.array([np.nan if v is None else v for v in indices.measure(key)], dtype=float)
        x = np.arange(len(names)) + (k - 0.5) * width
        bars = pg.BarGraphItem(x=x, height=np.nan_to_num(heights), width=width, brush=PALETTE[k])
        plot.addItem(bars)
        plot.legend.addItem(bars, key)
    plot.getAxis("bottom").setTicks([list(enumerate(names))])
    plot.setTitle(f"{indices.method} indices of {indices.output} ({indices.statistic}), {indices.runs} runs")


def draw_fit(plot: Any, calibration: Any) -> None:  # noqa: ANN401
    """The best-fit run of each fitted variable as a line, the data as points of the same colour."""
    plot.addLegend(offset=(10, 10))
    for index, (column, variable) in enumerate(calibration.matched.items()):
        colour = PALETTE[index % len(PALETTE)]
        plot.plot(calibration.fit.time, calibration.fit[variable][:, 0], pen=pg.mkPen(colour, width=2),
                  name=f"{variable} (fit)")
        observed = calibration.data.columns[column]
        keep = np.isfinite(observed)
        plot.plot(calibration.data.time[keep], observed[keep], pen=None, symbol="o", symbolSize=6,
                  symbolBrush=colour, symbolPen=None, name=f"{column} (data)")
    plot.setLabel("bottom", "time")
    plot.setTitle("fit against data")


def save_picture(path: str, draw: Callable[[Any], None], width: int = 1000, height: int = 600) -> None:
    """Render ``draw(plot_item)`` on a white plot and write it as a PNG (atomically)."""
    _application()
    from pyqtgraph.exporters import ImageExporter

    widget = pg.PlotWidget(background="w")
    widget.resize(width, height)
    widget.showGrid(x=True, y=True, alpha=0.3)
    draw(widget.plotItem)
    pg.QtWidgets.QApplication.processEvents()  # lay out the title and axes before rendering
    exporter = ImageExporter(widget.plotItem)
    exporter.parameters()["width"] = width
    try:
        with atomic.replacing_path(path) as temp:
            if exporter.export(str(temp)) is False:
                raise SaveError(path, "the plot image could not be written")
    finally:
        widget.close()
