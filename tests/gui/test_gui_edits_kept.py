"""Nothing typed is lost: the equation editor applies on Enter, on focus loss, before a run, a save or
closing, and when the user clicks the canvas; Apply and Revert; undo back to the saved state clears the
modified mark; a file that fails to open leaves the window as it was; an open still loading never
replaces a file opened or made after it, nor edits made while it loaded without asking."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from conftest import place
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from app.gui import sd_layout, workers
from metamodel import io
from tests.paths import SD_MODELS

SIR = Path(__file__).resolve().parents[2] / "samples" / "sir.salver"


def _type_without_enter(window, text: str) -> None:
    editor = window.properties.equation
    QTest.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton)
    editor.selectAll()
    QTest.keyClicks(editor, text)


def _parameter(window, mouse, name: str = "rate"):
    place(window, mouse, "parameter", (200, 200), name)
    mouse.click(200, 200)
    element = window.document.model.find(name)
    assert window.properties.element_id == element.id
    return element


def test_typed_equation_is_applied_when_the_canvas_is_clicked(window, mouse):
    element = _parameter(window, mouse)
    _type_without_enter(window, "0.25")
    mouse.click(500, 400)  # empty canvas: the selection goes away
    assert element.equation == "0.25"
    assert window.properties.element_id is None


def test_typed_equation_is_applied_before_a_run(window, mouse, qtbot):
    element = _parameter(window, mouse)
    _type_without_enter(window, "3")
    QTest.keyClick(window.properties.equation, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert element.equation == "3"
    qtbot.waitUntil(lambda: window.act_run.isEnabled(), timeout=30_000)
    assert float(window.plots.latest["rate"][-1, 0]) == 3.0


def test_typed_equation_is_applied_before_a_save(window, tmp_path):
    path = tmp_path / "sir.salver"
    shutil.copy(SIR, path)
    window.open_path(str(path), background=False)
    window.show_element(window.document.model.find("contact rate").id)
    _type_without_enter(window, "7")
    QTest.keyClick(window.properties.equation, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert io.load(path).find("contact rate").equation == "7"
    assert not window.document.modified


def test_apply_and_revert_buttons(window, mouse):
    element = _parameter(window, mouse)
    _type_without_enter(window, "12")
    QTest.mouseClick(window.properties.apply_button, Qt.MouseButton.LeftButton)
    assert element.equation == "12"
    _type_without_enter(window, "99")
    QTest.mouseClick(window.properties.revert_button, Qt.MouseButton.LeftButton)
    assert window.properties.equation.toPlainText() == "12"
    mouse.click(500, 400)
    assert element.equation == "12", "reverted text is not applied later"
    mouse.click(200, 200)
    _type_without_enter(window, "5 +")
    QTest.keyClick(window.properties.equation, Qt.Key.Key_Escape)
    assert window.properties.equation.toPlainText() == "12" and element.equation == "12"


def test_undo_back_to_the_saved_state_clears_the_modified_mark(window, mouse, tmp_path):
    path = tmp_path / "sir.salver"
    shutil.copy(SIR, path)
    window.open_path(str(path), background=False)
    window.show_element(window.document.model.find("contact rate").id)
    _type_without_enter(window, "8")
    QTest.keyClick(window.properties.equation, Qt.Key.Key_Return)
    assert window.isWindowModified()
    QTest.keyClick(window.tabs.current_view().viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not window.document.modified and not window.isWindowModified()
    assert window.properties.equation.toPlainText() != "8"


def test_a_file_that_fails_to_open_leaves_the_window_as_it_was(window, tmp_path, monkeypatch):
    window.open_path(str(SIR), background=False)
    before = (window.windowTitle(), window.document, window.tabs.count(), window.browser.tree.topLevelItemCount())
    broken = tmp_path / "broken.mdl"
    broken.write_text("{UTF-8}\nx = (\n", encoding="utf-8")
    window.open_path(str(broken), background=False)
    assert (window.windowTitle(), window.document, window.tabs.count(),
            window.browser.tree.topLevelItemCount()) == before
    assert window.messages and "broken.mdl" in window.messages[-1]

    def fails(model) -> bool:  # noqa: ANN001 - a bug while laying the model out
        return [][1]

    monkeypatch.setattr(sd_layout, "needs_layout", fails)
    window.open_path(str(SD_MODELS / "samples" / "teacup" / "teacup.mdl"), background=False)
    assert (window.windowTitle(), window.document, window.tabs.count(),
            window.browser.tree.topLevelItemCount()) == before
    assert "IndexError" in window.messages[-1]
    assert window.tabs.current_scene().nodes, "the old diagram is still drawn"


def test_the_vector_select_model_opens(window):
    window.open_path(str(SD_MODELS / "tests" / "vector_select" / "test_vector_select.mdl"), background=False)
    assert not window.messages
    assert window.tabs.current_scene().nodes


def _slow_load(monkeypatch, slow_path: Path) -> threading.Event:
    """Make opening ``slow_path`` wait until the returned event is set (other files load as usual)."""
    import importers

    release = threading.Event()
    real = importers.load

    def load(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - importers.load's signature
        if Path(path) == slow_path:
            assert release.wait(30)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(importers, "load", load)
    return release


def _loads_finished(qtbot) -> None:
    qtbot.waitUntil(lambda: not workers._live, timeout=30_000)
    qtbot.wait(20)


TEACUP = SD_MODELS / "samples" / "teacup" / "teacup.mdl"


def test_an_open_that_finishes_late_does_not_replace_the_file_opened_after_it(window, qtbot, monkeypatch):
    release = _slow_load(monkeypatch, TEACUP)
    window.open_path(str(TEACUP))  # in the background, held back
    window.open_path(str(SIR), background=False)
    shown = window.document
    release.set()
    _loads_finished(qtbot)
    assert window.document is shown and window.document.model.find("Infected") is not None
    assert window.document.model.find("Teacup Temperature") is None

    release = _slow_load(monkeypatch, TEACUP)
    window.open_path(str(TEACUP))
    window.act_new.trigger()  # File > New after the open: the new model stays
    fresh = window.document
    release.set()
    _loads_finished(qtbot)
    assert window.document is fresh and window.document.model.find("Teacup Temperature") is None


def test_edits_made_while_a_file_loads_are_asked_about_before_it_replaces_them(window, mouse, qtbot, monkeypatch):
    release = _slow_load(monkeypatch, TEACUP)
    window.open_path(str(TEACUP))
    element = _parameter(window, mouse, "edited while loading")
    asked = []

    def question(*args, **kwargs):  # noqa: ANN002, ANN003 - QMessageBox.question's signature
        asked.append(args[2])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    release.set()
    _loads_finished(qtbot)
    assert asked, "the user is asked about the unsaved edit"
    assert window.document.model.get(element.id) is element, "cancel keeps the edited model"

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window.open_path(str(TEACUP))
    _loads_finished(qtbot)
    assert window.document.model.find("Teacup Temperature") is not None
