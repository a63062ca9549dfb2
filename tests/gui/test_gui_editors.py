"""The equation editor (completion, error underline, commit) and the graphical-function editor."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from app.gui.equation_editor import EquationEdit
from app.gui.gf_editor import GraphicalFunctionEditor
from metamodel.elements import GraphicalFunction


def test_completion_offers_model_names_and_builtins(qtbot):
    editor = EquationEdit()
    qtbot.addWidget(editor)
    editor.show()
    editor.set_names(["Population", "birth rate"])
    QTest.keyClicks(editor, "Pop")
    assert editor.completer.popup().isVisible()
    assert editor.completer.currentCompletion() == "Population"
    QTest.keyClick(editor.completer.popup(), Qt.Key.Key_Return)
    assert editor.toPlainText() == "Population"
    QTest.keyClicks(editor, " * smt")
    assert editor.completer.currentCompletion() == "SMTH1"
    editor.completer.popup().hide()


def test_completing_a_builtin_shows_its_signature_and_what_it_does(qtbot):
    from PySide6.QtWidgets import QToolTip

    from metamodel.equations.builtins import BUILTINS

    editor = EquationEdit()
    qtbot.addWidget(editor)
    editor.show()
    editor.set_names(["Population"])
    QTest.keyClicks(editor, "smt")
    popup = editor.completer.popup()
    assert popup.isVisible()
    QTest.keyClick(popup, Qt.Key.Key_Down)  # SMTH1 -> SMTH3
    current = popup.currentIndex()
    assert current.data() == "SMTH3"
    tip = current.data(Qt.ItemDataRole.ToolTipRole)
    assert tip == f"{BUILTINS['smth3'].signature}\n{BUILTINS['smth3'].description}"
    assert "SMTH3(input, averaging time" in tip and "smoothing" in tip
    qtbot.waitUntil(lambda: QToolTip.isVisible() and "SMTH3(" in QToolTip.text(), timeout=3000)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert editor.toPlainText() == "SMTH3("


def test_syntax_error_is_underlined_at_the_parser_offset_and_commit_on_enter(qtbot):
    editor = EquationEdit()
    qtbot.addWidget(editor)
    committed: list[str] = []
    editor.sigCommitted.connect(committed.append)
    QTest.keyClicks(editor, "2 * (3 +")
    assert editor.error.startswith("expected")
    (selection,) = editor.extraSelections()
    # the parser stops at the end of the text; the underline covers the last character
    assert (selection.cursor.selectionStart(), selection.cursor.selectionEnd()) == (7, 8)
    QTest.keyClick(editor, Qt.Key.Key_Backspace)
    QTest.keyClicks(editor, "+ 4)")
    assert editor.error == "" and editor.extraSelections() == []
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert committed == ["2 * (3 + 4)"]


def test_dragging_a_point_edits_the_graphical_function(qtbot):
    editor = GraphicalFunctionEditor()
    qtbot.addWidget(editor)
    editor.resize(500, 260)
    editor.show()
    qtbot.waitExposed(editor)
    editor.set_function(GraphicalFunction(ypts=[0.0, 1.0, 0.0], xpts=[0.0, 1.0, 2.0]))
    editor.plot.setXRange(0, 2, padding=0.1)
    editor.plot.setYRange(0, 2, padding=0.1)
    qtbot.wait(20)
    changed: list[GraphicalFunction] = []
    editor.sigChanged.connect(changed.append)
    view_box = editor.plot.getPlotItem().vb
    viewport = editor.plot.viewport()

    def at(x: float, y: float):
        return editor.plot.mapFromScene(view_box.mapViewToScene(QPointF(x, y)))

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(1.0, 1.0))
    for y in (1.2, 1.4, 1.6):
        QTest.mouseMove(viewport, at(1.0, y))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(1.0, 1.6))
    assert changed, "a finished drag emits the new function"
    assert abs(changed[-1].ypts[1] - 1.6) < 0.1
    assert float(editor.table.item(1, 1).text()) == changed[-1].ypts[1]
