"""Requirements verified by simulation in the workbench: after a run, each requirement's verdict (pass,
fail with the time and value of the first violation, not verified and why) in the requirements panel and
on the requirement's box in the diagrams."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.gui.block_items import RequirementItem
from tests.test_verify import heater


def _set_stop(window, value: str) -> None:
    spin = window.run_settings.stop
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, value)
    QTest.keyClick(spin, Qt.Key.Key_Return)


def _rows(window) -> dict[str, list[str]]:
    tree = window.requirements.tree
    return {tree.topLevelItem(i).text(1): [tree.topLevelItem(i).text(c) for c in range(6)]
            for i in range(tree.topLevelItemCount())}


def _run(window, qtbot) -> None:
    runs = len(window.requirements.verdicts), window.plots.latest
    QTest.mouseClick(window.run_settings.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.running and (window.plots.latest is not runs[1]), timeout=60000)


def test_a_run_shows_each_requirement_verdict_with_its_first_violation(window, qtbot, tmp_path):
    window.open_path(str(heater(tmp_path)), background=False)
    assert window.requirements_dock.isVisible()
    _set_stop(window, "60")
    assert window.document.model.sim_spec.stop == 60
    _run(window, qtbot)
    rows = _rows(window)
    assert rows["REQ-1"][:5] == ["MaxTemp", "REQ-1", "FAIL", "41", "102"]
    assert "temperature <= 100" in rows["REQ-1"][5] and "Heater" in rows["REQ-1"][5]
    assert rows["REQ-2"][2] == "NOT VERIFIED" and "no condition checks it" in rows["REQ-2"][5]
    assert window.requirements.summary.text() == "0 passed, 1 failed, 1 not verified"
    window.open_view(next(v.id for v in window.document.model.views if v.name == "Requirements"))
    scene = window.tabs.current_scene()
    boxes = {window.document.model[k].req_id: i for k, i in scene.nodes.items() if isinstance(i, RequirementItem)}
    assert (boxes["REQ-1"].verdict, boxes["REQ-1"].verdict_caption) == ("fail", "FAIL at 41: 102")
    assert boxes["REQ-2"].verdict == "not verified"
    # a shorter run keeps the temperature under 100: the requirement passes
    _set_stop(window, "30")
    _run(window, qtbot)
    assert _rows(window)["REQ-1"][2:5] == ["PASS", "", ""]
    assert boxes["REQ-1"].verdict_caption == "PASS"
    # a double-click on a verdict shows the requirement
    tree = window.requirements.tree
    row = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(1) == "REQ-1")
    window.requirements_dock.raise_()
    qtbot.waitUntil(tree.isVisible, timeout=3000)
    at = QPoint(20, tree.visualItemRect(row).center().y())
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    assert window.properties.element_id == boxes["REQ-1"].key
