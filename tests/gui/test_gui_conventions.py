"""Conventions of Vensim and Stella users: tools that stay active (Shift, or a double-click on the
palette), paste at the mouse, right-click menus on diagram items with a hook for analysis entries, a
Help menu with the function reference, XMILE in the save dialog."""

from __future__ import annotations

from conftest import choose_in_menu, place, right_click
from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from app.gui import context_menu
from importers import load
from metamodel.elements import Aux, Stock


def _names(window, kind) -> set[str]:
    return {e.name for e in window.document.model.of_kind(kind)}


def test_shift_keeps_the_tool_for_the_next_placement(window, mouse):
    window.set_mode("stock")
    mouse.click(150, 150, Qt.KeyboardModifier.ShiftModifier)
    mouse.type("First")
    assert window.mode_actions["stock"].isChecked()
    mouse.click(400, 150)  # the tool is still there; without Shift it ends after this one
    mouse.type("Second")
    assert _names(window, Stock) == {"First", "Second"}
    assert window.mode_actions["select"].isChecked()


def test_a_double_clicked_tool_stays_until_escape(window, mouse):
    toolbar = next(t for t in window.findChildren(type(window.addToolBar("x"))) if t.objectName() == "palette")
    button = toolbar.widgetForAction(window.mode_actions["aux"])
    QTest.mouseDClick(button, Qt.MouseButton.LeftButton)
    for i, x in enumerate((120, 260, 400)):
        mouse.click(x, 200)
        mouse.type(f"v{i}")
    assert {"v0", "v1", "v2"} <= _names(window, Aux)
    assert window.mode_actions["aux"].isChecked()
    QTest.keyClick(mouse.view.viewport(), Qt.Key.Key_Escape)
    mouse.click(500, 300)
    assert len(_names(window, Aux)) == 3 and window.mode_actions["select"].isChecked()


def test_paste_lands_at_the_mouse(window, mouse):
    place(window, mouse, "stock", (150, 150), "Original")
    mouse.click(150, 150)
    window.copy()
    QCursor.setPos(mouse.view.viewport().mapToGlobal(mouse.at(420, 300)))
    window.paste()
    model = window.document.model
    copy = next(s for s in model.of_kind(Stock) if s.name != "Original")
    shape = model.views[0].shapes[copy.id]
    if mouse.view.viewport().rect().contains(mouse.view.viewport().mapFromGlobal(QCursor.pos())):
        assert (round(shape.x), round(shape.y)) == (420, 300)
    else:  # a platform without a movable pointer: pasted beside the original instead
        assert (shape.x, shape.y) != (150, 150)


def test_right_click_menu_edits_deletes_and_takes_registered_entries(window, mouse):
    place(window, mouse, "aux", (200, 200), "speed")
    called: list[list[str]] = []

    @context_menu.register
    def loops(win, keys):  # noqa: ANN001 - the hook's signature
        return [("Loops through this", lambda: called.append(keys))]

    try:
        seen = choose_in_menu("Loops through this")
        right_click(mouse, 200, 200)
        speed = window.document.model.find("speed")
        assert {"Edit Equation", "Delete from Diagram", "Delete from Model", "Loops through this"} <= set(seen)
        assert called == [[speed.id]]
        choose_in_menu("Edit Equation")
        right_click(mouse, 200, 200)
        assert window.properties.element_id == speed.id
        assert window.focusWidget() is window.properties.equation
        choose_in_menu("Delete from Model")
        right_click(mouse, 200, 200)
        assert window.document.model.find("speed") is None
    finally:
        context_menu.PROVIDERS.remove(loops)


def test_help_menu_lists_every_builtin(window):
    from metamodel.equations.builtins import BUILTINS

    action = next(a for a in window.help_menu.actions() if "Function Reference" in a.text())
    action.trigger()
    text = window.function_reference.text.toPlainText()
    assert all(b.signature and b.description for b in BUILTINS.values())
    assert all(b.signature in text and b.description in text for b in BUILTINS.values())
    QTest.keyClicks(window.function_reference.search, "delay")
    shown = window.function_reference.text.toPlainText()
    assert "DELAY1(input, delay time [, initial])" in shown and "SQRT" not in shown


def test_save_dialog_exports_xmile_that_reads_back_and_runs_the_same(window, tmp_path, monkeypatch):
    import numpy as np

    import solvers
    from metamodel.names import canonical
    from tests.paths import SD_MODELS

    window.open_path(str(SD_MODELS / "samples" / "teacup" / "teacup.mdl"), background=False)
    offered: list[str] = []
    target = tmp_path / "teacup"

    def dialog(_parent, _title, _dir, filters, *_args, **_kw):
        offered.extend(filters.split(";;"))
        return str(target), next(f for f in offered if f.startswith("XMILE"))

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    window.act_save_as.trigger()
    assert any("*.salver" in f for f in offered) and any("*.xmile" in f for f in offered)
    assert window.document.modified is False and window.document.path is None, "an export is not a save"
    written = tmp_path / "teacup.xmile"
    model, report = load(written)
    assert not [e for e in report.entries if e.severity == "error"]
    original = window.document.model
    def equations(m) -> dict[str, str]:  # XMILE writes names with underscores: compare them canonically
        return {canonical(v.name): canonical(v.equation) for v in m.variables()}

    assert equations(model) == equations(original)
    assert len(model.views[0].shapes) == len(original.views[0].shapes)
    again, first = solvers.compile(model).run(), solvers.compile(original).run()
    for name in ("Teacup Temperature", "Heat Loss to Room"):
        assert np.allclose(again[name], first[name], rtol=1e-12, atol=1e-12)
