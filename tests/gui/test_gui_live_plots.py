"""Live mode beside the plot (SyntheSim-like sliders with editable range, step and reset, curves that
follow a drag, runs kept by name) and plots people read (axis titles with units, one y-axis per unit,
legend beside the curves, exports with their extension, PNG at full size)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QScrollArea, QStyle, QStyleOptionSlider

from app.gui.docks.plots import EXPORT_SIZE

SIR = Path(__file__).resolve().parents[2] / "samples" / "sir.salver"


def _run_sir(window, qtbot):
    window.open_path(str(SIR), background=False)
    QTest.keyClick(window.tabs.current_view().viewport(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.plots.latest is not None and window.act_run.isEnabled(), timeout=30_000)


def _slider_for(window, name: str):
    item = window.live.choices.findItems(name, Qt.MatchFlag.MatchExactly)[0]
    item.setCheckState(Qt.CheckState.Checked)
    return window.live.sliders[name]


def _handle(slider) -> QPoint:
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    rect = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                         QStyle.SubControl.SC_SliderHandle, slider)
    return rect.center()


def test_sliders_sit_beside_the_plot_and_curves_follow_a_drag(window, qtbot):
    _run_sir(window, qtbot)
    assert window.plots.plot.isVisible() and window.live.isVisible()
    plot_box = window.plots.plot.mapTo(window, QPoint(0, 0))
    live_box = window.live.mapTo(window, QPoint(0, 0))
    assert live_box.x() > plot_box.x() + window.plots.plot.width() - 5, "the sliders are beside the plot"
    control = _slider_for(window, "Contact Rate")
    before = window.plots.curve_data("Infected")[1].copy()
    slider = control.slider
    start = _handle(slider)
    QTest.mousePress(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    seen = []
    for dx in (20, 40, 60):
        QTest.mouseMove(slider, start + QPoint(dx, 0))
        seen.append(window.plots.curve_data("Infected")[1].copy())
    QTest.mouseRelease(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(60, 0))
    assert not np.allclose(seen[0], before) and not np.allclose(seen[1], seen[0]), "curves move while dragging"
    assert window.live_session.values["Contact Rate"] > 4
    QTest.mouseClick(control.reset_button, Qt.MouseButton.LeftButton)
    assert window.live_session.values["Contact Rate"] == 4
    assert np.allclose(window.plots.curve_data("Infected")[1], before)


def test_slider_range_and_step_are_editable(window, qtbot):
    _run_sir(window, qtbot)
    control = _slider_for(window, "Contact Rate")
    for edit, text in ((control.max_edit, "20"), (control.min_edit, "2"), (control.step_edit, "0.5")):
        edit.selectAll()
        QTest.keyClicks(edit, text)
        QTest.keyClick(edit, Qt.Key.Key_Return)
    assert (control.low, control.high, control.step) == (2.0, 20.0, 0.5)
    assert control.slider.maximum() == 36
    control.slider.setFocus()
    QTest.keyClick(control.slider, Qt.Key.Key_End)
    assert window.live_session.values["Contact Rate"] == 20.0
    control.max_edit.selectAll()
    QTest.keyClicks(control.max_edit, "1")  # below the minimum: refused, the field shows the range again
    QTest.keyClick(control.max_edit, Qt.Key.Key_Return)
    assert control.high == 20.0 and control.max_edit.text() == "20"


def _inside(widget, container) -> bool:
    """Whether ``widget`` is drawn whole inside ``container`` (not cut by its edges)."""
    top_left = widget.mapTo(container, QPoint(0, 0))
    return (top_left.x() >= 0 and top_left.y() >= 0 and top_left.x() + widget.width() <= container.width()
            and top_left.y() + widget.height() <= container.height())


def test_slider_fields_are_not_cut_and_the_sliders_get_the_height(window, qtbot):
    _run_sir(window, qtbot)
    controls = [_slider_for(window, name) for name in ("Contact Rate", "Duration")]
    viewport = window.live.findChild(QScrollArea).viewport()
    fields = [field for control in controls
              for field in (control.min_edit, control.max_edit, control.step_edit, control.reset_button)]

    def cut() -> list:
        return [field for field in fields
                if field.mapTo(viewport, QPoint(field.width(), 0)).x() > viewport.width()]

    qtbot.waitUntil(lambda: not cut(), timeout=5_000)  # the docks are laid out again after a tick
    for control in controls:
        for field in (control.min_edit, control.max_edit, control.step_edit):
            assert field.width() >= field.fontMetrics().horizontalAdvance("0.001"), "a field is too narrow"
    assert _inside(controls[0], viewport), "the first slider is seen whole"
    choices = window.live.choices
    assert all(choices.viewport().rect().contains(choices.visualItemRect(choices.item(row)))
               for row in range(choices.count())) and choices.height() < 4 * choices.sizeHintForRow(0) + 12, \
        "the parameter list is as tall as its rows, no taller"


def test_runs_kept_by_name_are_overlaid(window, qtbot):
    _run_sir(window, qtbot)
    control = _slider_for(window, "Contact Rate")
    QTest.keyClicks(window.live.run_name, "baseline")
    QTest.mouseClick(window.live.keep_button, Qt.MouseButton.LeftButton)
    control.slider.setFocus()
    QTest.keyClick(control.slider, Qt.Key.Key_PageUp)
    labels = [window.plots.records[i].label for i in range(len(window.plots.records))]
    assert labels == ["baseline", "current"]
    legend = [label.text for _sample, label in window.plots.legend.items]
    assert any("baseline" in text for text in legend) and any("current" in text for text in legend)
    kept = window.plots._curves[(0, "Infected", 0)].getData()[1]
    assert not np.allclose(kept, window.plots.curve_data("Infected")[1])


def test_axes_have_units_one_per_unit_and_the_legend_is_outside(window, qtbot):
    _run_sir(window, qtbot)
    plots = window.plots
    plots.set_selected(["Infected", "Susceptible", "Infection", "Contact Rate"])
    qtbot.wait(20)  # the plot lays its legend and axes out
    item = plots.plot.getPlotItem()
    titles = {item.getAxis("left").labelText, *(axis.labelText for axis, _view in plots.extra_axes)}
    assert titles == {"people", "Infection (people/day)", "Contact Rate (1/day)"}
    assert item.getAxis("bottom").labelText == "time (day)"
    curve = plots.curve_data("Infection")
    assert curve is not None and np.nanmax(curve[1]) > 0
    assert not plots.legend.sceneBoundingRect().intersects(item.vb.sceneBoundingRect())
    assert plots.plot.height() >= 200


def test_exports_replace_files_whole_through_links_and_report_failures(window, qtbot, tmp_path, monkeypatch):
    """Plot and diagram exports are atomic saves: a link to the file stays a link, no temporary stays
    behind, and a folder that does not exist is a message, not an exception."""
    _run_sir(window, qtbot)
    real = tmp_path / "real"
    real.mkdir()
    for kind in ("png", "svg"):
        (real / f"plot.{kind}").write_text("old", encoding="utf-8")
        (tmp_path / f"plot.{kind}").symlink_to(real / f"plot.{kind}")
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, k=kind, **_k: (str(tmp_path / f"plot.{k}"), ""))
        window.export_dialog(kind)
        assert (tmp_path / f"plot.{kind}").is_symlink()
        assert (real / f"plot.{kind}").read_bytes() != b"old"
    assert not QImage(str(real / "plot.png")).isNull()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(tmp_path / "diagram.png"), ""))
    window.export_diagram_dialog()
    assert not QImage(str(tmp_path / "diagram.png")).isNull()
    assert [p.name for p in [*tmp_path.iterdir(), *real.iterdir()] if "tmp" in p.name] == []
    missing = tmp_path / "no such folder" / "diagram.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(missing), ""))
    window.export_diagram_dialog()
    assert "cannot save" in window.messages[-1] and not missing.exists()


def _inked(image: QImage, x0: int, x1: int, y0: int, y1: int) -> bool:
    """Whether any pixel of the rectangle is dark (text, axis lines, curves), not background."""
    return any(QColor(image.pixel(x, y)).lightness() < 200 for y in range(y0, y1, 2) for x in range(x0, x1, 2))


def test_exports_get_their_extension_and_png_is_full_size(window, qtbot, tmp_path, monkeypatch):
    _run_sir(window, qtbot)
    for kind in ("png", "svg", "csv"):
        target = tmp_path / f"result_{kind}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, t=target, **_k: (str(t), ""))
        window.export_dialog(kind)
        written = target.with_name(f"{target.name}.{kind}")
        assert written.is_file() and written.stat().st_size > 100
    image = QImage(str(tmp_path / "result_png.png"))
    assert (image.width(), image.height()) == EXPORT_SIZE
    # laid out for the export's size, not the small widget's: the time axis sits in the bottom tenth of the
    # image and the legend in its right fifth
    assert _inked(image, 0, image.width(), int(image.height() * 0.9), image.height())
    assert _inked(image, int(image.width() * 0.8), image.width(), 0, image.height())
    assert "Infected" in (tmp_path / "result_svg.svg").read_text(encoding="utf-8")
    assert (tmp_path / "result_csv.csv").read_text(encoding="utf-8").splitlines()[0].startswith("time")
