"""Requirements verified by a run show their verdict beside them in the model browser."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.test_verify import heater


def _requirement_rows(window) -> dict[str, object]:
    tree = window.browser.tree
    groups = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    group = next(g for g in groups if g.text(0) == "Requirements")
    return {group.child(i).data(0, Qt.ItemDataRole.UserRole): group.child(i) for i in range(group.childCount())}


def test_a_run_shows_each_requirement_verdict_in_the_browser(window, qtbot, tmp_path):
    window.open_path(str(heater(tmp_path)), background=False)
    stop = window.run_settings.stop  # the user types the stop time
    stop.selectAll()
    QTest.keyClicks(stop, "60")
    QTest.keyClick(stop, Qt.Key.Key_Return)
    assert window.document.model.sim_spec.stop == 60
    QTest.mouseClick(window.run_settings.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20000)
    rows = _requirement_rows(window)
    assert rows["R1"].text(0) == "MaxTemp  [fail]"
    assert "temperature <= 100 on Heater: violated at time 41 (value 102)" in rows["R1"].toolTip(0)
    assert rows["R2"].text(0) == "Quiet  [not verified]"
