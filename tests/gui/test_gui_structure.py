"""Structure tools in the workbench: causes and uses trees from a variable's menu, the loops list, loop
outlines on the diagram and the loop-dominance chart under the plot, through real widgets."""

from __future__ import annotations

import threading
from pathlib import Path

from conftest import Mouse, choose_in_menu, right_click
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsPathItem

from app.gui.document import Document, new_model
from metamodel.errors import ModelError
from tests.paths import SD_MODELS

SIR = Path(__file__).resolve().parents[2] / "samples" / "sir.salver"


def _open_sir(window) -> Mouse:  # noqa: ANN001 - MainWindow
    window.open_path(str(SIR), background=False)
    return Mouse(window.tabs.current_view())


def _right_click_entry(window, mouse: Mouse, element_id: str, text: str) -> list[str]:  # noqa: ANN001
    """Right-click the element's item and trigger the menu entry ``text``; returns the entries shown."""
    shape = window.document.model.views[0].shapes[element_id]
    mouse.view.centerOn(QPointF(shape.x, shape.y))
    seen = choose_in_menu(text)
    right_click(mouse, shape.x, shape.y)
    return seen


def _rows(tree) -> list[str]:  # noqa: ANN001 - QTreeWidget
    names, stack = [], [tree.topLevelItem(i) for i in reversed(range(tree.topLevelItemCount()))]
    while stack:
        item = stack.pop()
        names.append(item.text(0))
        stack.extend(item.child(i) for i in reversed(range(item.childCount())))
    return names


def _analysed(window, qtbot) -> None:  # noqa: ANN001
    tools = window.structure
    tools.loops_dock.show()
    tools.loops_dock.raise_()
    QTest.mouseClick(tools.loops.analyse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tools.loops.dominance is not None, timeout=60_000)


def test_causes_tree_from_the_right_click_menu_of_a_stock(window, qtbot):
    mouse = _open_sir(window)
    seen = _right_click_entry(window, mouse, "infected", "Causes Tree")
    assert {"Causes Tree", "Uses Tree", "Loops Through Infected"} <= set(seen)
    panel = window.structure.causes
    assert window.structure.causes_dock.isVisible()
    assert panel.title.text() == "Causes of Infected"
    rows = _rows(panel.tree)
    assert rows[:2] == ["Infected", "Infection"] and "Recovery" in rows and "Infected (cycle)" in rows
    panel.direction.setCurrentIndex(1)  # the same variable's uses
    assert panel.title.text() == "Uses of Infected" and "Total Population" in _rows(panel.tree)
    panel.depth.setValue(1)
    assert all(not row.startswith("Susceptible") or row.endswith("…") for row in _rows(panel.tree))


def test_loops_listed_outlined_and_charted(window, qtbot):
    _open_sir(window)
    assert not window.structure.chart.isVisible()  # nothing to chart yet: the plot has the room
    _analysed(window, qtbot)
    panel = window.structure.loops
    ids = [panel.list.topLevelItem(i).text(0) for i in range(panel.list.topLevelItemCount())]
    assert "R1" in ids and "B1" in ids
    assert "Dominant: 0–19.75: R1" in panel.status.text()
    row = panel.list.findItems("R1", Qt.MatchFlag.MatchExactly, 0)[0]
    QTest.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     panel.list.visualItemRect(row).center())
    assert panel.list.currentItem() is row
    scene = window.tabs.current_scene()
    outlines = [item for item in scene.items() if isinstance(item, QGraphicsPathItem) and item.zValue() == 50]
    stock = scene.nodes["infected"].sceneBoundingRect().center()
    assert outlines and any(item.shape().contains(stock) for item in outlines)
    assert not any(item.shape().contains(scene.nodes["recovered"].sceneBoundingRect().center()) for item in outlines)
    chart = window.structure.chart
    assert chart.isVisible() and {"R1", "B1"} <= set(chart.curves) and len(chart.bands) == 3
    assert chart.plot.getPlotItem().getAxis("bottom").labelText == "time (day)"  # as the results plot says
    panel.list.setCurrentItem(None)
    assert not [item for item in scene.items() if isinstance(item, QGraphicsPathItem) and item.zValue() == 50]


def test_loops_through_a_variable_and_analysis_after_a_run(window, qtbot):
    mouse = _open_sir(window)
    _analysed(window, qtbot)
    _right_click_entry(window, mouse, "recovery", "Loops Through Recovery")
    panel = window.structure.loops
    shown = [panel.list.topLevelItem(i).text(2) for i in range(panel.list.topLevelItemCount())]
    assert shown and all("Recovery" in row for row in shown) and panel.show_all.isVisible()
    QTest.mouseClick(panel.show_all, Qt.MouseButton.LeftButton)
    assert panel.list.topLevelItemCount() == 6
    panel.dominance = None
    window.run_model()  # a run while the Loops dock is shown analyses again
    qtbot.waitUntil(lambda: panel.dominance is not None, timeout=60_000)
    window.set_document(Document(new_model()))
    chart = window.structure.chart
    assert panel.dominance is None and panel.list.topLevelItemCount() == 0 and not chart.curves
    assert not chart.isVisible()


def _held_analysis(monkeypatch) -> tuple[threading.Event, list]:
    """Make Loops That Matter wait for the returned event; the first analysis then fails. The list gets
    the name of each model analysed."""
    from app.gui.docks import structure

    release, seen, real = threading.Event(), [], structure.analyse

    def held(model, params=None):  # noqa: ANN001 - structure.analyse's signature
        seen.append(model.name)
        assert release.wait(30)
        if len(seen) == 1:
            raise ModelError(f"model '{model.name}' cannot be compiled:", [])
        return real(model, params)

    monkeypatch.setattr(structure, "analyse", held)
    return release, seen


def test_an_analysis_of_the_file_shown_before_does_not_report_on_the_next(window, qtbot, monkeypatch):
    release, seen = _held_analysis(monkeypatch)
    _open_sir(window)
    tools = window.structure
    tools.loops_dock.show()
    QTest.mouseClick(tools.loops.analyse_button, Qt.MouseButton.LeftButton)
    window.open_path(str(SD_MODELS / "samples" / "teacup" / "teacup.mdl"), background=False)
    release.set()
    qtbot.waitUntil(lambda: not tools.running, timeout=30_000)
    qtbot.wait(20)
    assert len(seen) == 1, "nothing is analysed that was not asked for"
    assert "run the model or press Analyse" in tools.loops.status.text(), "the failure of SIR's analysis is not shown"
    assert tools.loops.analyse_button.isEnabled()


def test_an_analysis_asked_for_while_one_runs_starts_after_it(window, qtbot, monkeypatch):
    release, seen = _held_analysis(monkeypatch)
    _open_sir(window)
    tools = window.structure
    tools.loops_dock.show()
    QTest.mouseClick(tools.loops.analyse_button, Qt.MouseButton.LeftButton)
    window.run_model()  # a run while the first analysis is held: its analysis waits for the first
    qtbot.waitUntil(lambda: window.act_run.isEnabled() and window.plots.latest is not None, timeout=30_000)
    release.set()
    qtbot.waitUntil(lambda: tools.loops.dominance is not None, timeout=60_000)
    assert len(seen) == 2 and "R1" in tools.loops.status.text()
