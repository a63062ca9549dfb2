"""The workbench around the diagram: equations and problems, files, runs, plots, live mode, recovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import draw, place
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from app.gui import settings
from metamodel import io
from metamodel.elements import Stock

ROOT = Path(__file__).resolve().parents[2]
SIR = ROOT / "samples" / "sir.salver"
ARTIFACTS = ROOT / "artifacts"


def _type_equation(window, text: str) -> None:
    editor = window.properties.equation
    QTest.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton)
    editor.selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)


def _codes_for(window, element_id: str) -> set[str]:
    return {d.code for d in window.problems.diagnostics if d.element_id == element_id}


def test_typed_equation_error_shows_as_problem_then_clears(window, mouse, qtbot):
    place(window, mouse, "parameter", (200, 200), "growth")
    element = window.document.model.find("growth")
    mouse.click(200, 200)
    assert window.properties.element_id == element.id

    _type_equation(window, "0.1 +")
    assert element.equation == "0.1 +"
    assert "expected" in window.properties.equation_error.text()
    qtbot.waitUntil(lambda: "SD001" in _codes_for(window, element.id), timeout=3000)
    assert window.problem_label.text().startswith("✖ 1")
    assert window.tabs.current_scene().nodes[element.id].problem == "error"

    _type_equation(window, "0.1 + 0.2")
    qtbot.waitUntil(lambda: "SD001" not in _codes_for(window, element.id), timeout=3000)
    assert window.properties.equation_error.text() == ""
    assert window.problem_label.text().startswith("✖ 0")


def test_problem_double_click_selects_the_element(window, mouse, qtbot):
    place(window, mouse, "aux", (150, 150), "broken")
    element = window.document.model.find("broken")
    mouse.click(150, 150)
    _type_equation(window, "undefined thing * 2")
    qtbot.waitUntil(lambda: window.problems.tree.topLevelItemCount() > 0, timeout=3000)
    window.tabs.current_scene().clearSelection()
    tree = window.problems.tree
    row = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
               if tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == element.id)
    rect = tree.visualItemRect(row)
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    assert window.tabs.current_scene().selected_keys() == [element.id]


def test_save_and_reopen(window, mouse, tmp_path):
    place(window, mouse, "stock", (300, 150), "Water")
    draw(window, mouse, "flow", (100, 150), (300, 150), "fill")
    path = tmp_path / "tank.salver"
    assert window.save_to(str(path))
    assert not window.document.modified
    assert settings.recent_files()[0] == str(path)
    saved = window.document.model
    window.open_path(str(path), background=False)
    assert window.document.model is not saved
    assert window.document.model.equal_content(io.load(path))
    assert window.document.model.find("Water").inflows == [window.document.model.find("fill").id]
    assert len(window.tabs.current_scene().flows) == 1


def test_damaged_file_gives_a_message_and_the_session_keeps_working(window, mouse, qtbot, tmp_path):
    place(window, mouse, "stock", (200, 150), "Kept")
    window.document.undo_stack.setClean()
    damaged = tmp_path / "broken.salver"
    damaged.write_text('{"format": "salver", "version": 1, "elements": {"x": {"kind": "stock", "id": "x", "equ',
                       encoding="utf-8")
    window.open_path(str(damaged))
    qtbot.waitUntil(lambda: bool(window.messages), timeout=5000)
    assert "damaged model file" in window.messages[-1]
    assert "broken.salver" in window.messages[-1]
    assert window.document.model.find("Kept") is not None
    place(window, mouse, "aux", (350, 250), "still editing")
    assert window.document.model.find("still editing") is not None


def _run(window, qtbot) -> None:
    QTest.mouseClick(window.run_settings.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20000)


def test_run_plots_results_and_draws_sparklines(window, qtbot):
    window.open_path(str(SIR), background=False)
    _run(window, qtbot)
    assert window.plots.latest is not None, window.messages
    x, y = window.plots.curve_data("Infected")
    assert len(x) == len(y) > 10
    assert np.all(np.isfinite(y)) and y.max() > y[0]
    infected = window.document.model.find("Infected")
    sparkline = window.tabs.current_scene().nodes[infected.id].sparkline
    assert sparkline is not None and len(sparkline) == len(x)
    window.plots.tabs.setCurrentWidget(window.plots.table)
    assert window.plots.table.rowCount() == len(x)


def test_live_slider_reruns_and_changes_the_curve(window, qtbot):
    window.open_path(str(SIR), background=False)
    _run(window, qtbot)
    choices = window.live.choices
    name = next(choices.item(i).text() for i in range(choices.count())
                if choices.item(i).text().casefold() == "contact rate")
    item = choices.findItems(name, Qt.MatchFlag.MatchExactly)[0]
    item.setCheckState(Qt.CheckState.Checked)
    slider = window.live.sliders[name].slider
    before = window.plots.curve_data("Infected")[1].copy()
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_PageUp)
    QTest.keyClick(slider, Qt.Key.Key_PageUp)
    after = window.plots.curve_data("Infected")[1]
    assert window.live_session.values[name] > window.live_session.defaults[name]
    assert not np.allclose(before, after)
    assert after.max() > before.max()


def test_a_model_that_cannot_compile_reports_and_keeps_the_session(window, mouse, qtbot):
    place(window, mouse, "aux", (200, 200), "bad")
    mouse.click(200, 200)
    _type_equation(window, "missing * 2")
    _run(window, qtbot)
    assert window.messages and "missing" in window.messages[-1].casefold()
    assert window.act_run.isEnabled()
    assert window.plots.latest is None


def test_exports_csv_png_svg(window, qtbot, tmp_path):
    window.open_path(str(SIR), background=False)
    _run(window, qtbot)
    for kind in ("csv", "png", "svg"):
        window.plots.export(kind, str(tmp_path / f"out.{kind}"))
    assert (tmp_path / "out.csv").read_text().startswith("time,")
    assert not QImage(str(tmp_path / "out.png")).isNull()
    svg = (tmp_path / "out.svg").read_text()
    assert "<svg" in svg and "</svg>" in svg
    with pytest.raises(ValueError):
        window.plots.export("gif", str(tmp_path / "out.gif"))


def test_screenshot_of_the_sir_sample(qtbot):
    from app.gui.launch import main

    out = ARTIFACTS / "workbench_sir.png"
    out.unlink(missing_ok=True)
    assert main([str(SIR), "--screenshot", str(out)]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)


def test_screenshot_of_a_model_built_with_the_mouse(window, mouse, qtbot):
    from app.gui.screenshot import save_screenshot

    place(window, mouse, "stock", (300, 150), "Population")
    draw(window, mouse, "flow", (100, 150), (300, 150), "births")
    place(window, mouse, "parameter", (160, 260), "birth rate")
    draw(window, mouse, "link", (160, 260), (200, 150))
    draw(window, mouse, "link", (300, 150), (200, 150))
    births = window.document.model.find("births")
    window.show_element(births.id)
    _type_equation(window, "Population * birth rate")
    population = window.document.model.find("Population")
    window.show_element(population.id)
    _type_equation(window, "100")
    window.document.model.find("birth rate").equation = "0.03"
    _run(window, qtbot)
    assert isinstance(population, Stock) and window.plots.latest is not None, window.messages
    out = ARTIFACTS / "workbench_editing.png"
    assert save_screenshot(window, out, (1400, 900))
    assert not QImage(str(out)).isNull()
