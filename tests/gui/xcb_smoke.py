"""Workbench smoke test on a real X server: ``make test-xcb`` runs it under ``xvfb-run`` (xcb platform).

Not collected by the default suite (offscreen); it opens a sample, edits an equation with the keyboard,
runs the model, saves and quits, as a user would on a desktop.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from metamodel import io

SIR = Path(__file__).resolve().parents[2] / "samples" / "sir.salver"


def test_open_edit_run_save_quit_on_xcb(window, qtbot, tmp_path):
    assert QGuiApplication.platformName() == "xcb", os.environ.get("QT_QPA_PLATFORM")
    window.open_path(str(SIR), background=False)
    contact = window.document.model.find("Contact Rate")
    window.show_element(contact.id)
    editor = window.properties.equation
    QTest.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton)
    editor.selectAll()
    QTest.keyClicks(editor, "7")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert contact.equation == "7"

    QTest.mouseClick(window.run_settings.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20000)
    assert window.plots.latest is not None, window.messages
    assert window.plots.curve_data("Infected")[1].max() > 0

    path = tmp_path / "edited.salver"
    assert window.save_to(str(path))
    assert io.load(path).find("Contact Rate").equation == "7"
    window.act_quit.trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
