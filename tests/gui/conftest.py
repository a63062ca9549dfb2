"""GUI test harness: offscreen Qt, settings and recovery files in a temporary folder, window helpers."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QPointF, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QContextMenuEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox  # noqa: E402

from app.gui.scene import DiagramScene  # noqa: E402
from app.gui.view import DiagramView  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Keep QSettings and the recovery folder of each test apart from the user's."""
    monkeypatch.setenv("SALVER_DATA_DIR", str(tmp_path / "data"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield tmp_path


@pytest.fixture
def window(qtbot):
    """A shown main window; unsaved changes are dropped at the end so closing does not prompt."""
    from app.gui.launch import application
    from app.gui.main_window import MainWindow

    application()
    win = MainWindow(autosave_ms=3_600_000)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.document is not None:
        win.document.undo_stack.setClean()
    win.close()
    QApplication.clipboard().clear()  # offscreen Qt crashes at exit when it still owns clipboard data
    win.deleteLater()
    qtbot.wait(5)
    gc.collect()


class Mouse:
    """Real mouse gestures on a diagram view's viewport, in scene coordinates."""

    def __init__(self, view: DiagramView) -> None:
        self.view = view

    def at(self, x: float, y: float):
        return self.view.mapFromScene(QPointF(x, y))

    def click(self, x: float, y: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        QTest.mouseClick(self.view.viewport(), Qt.MouseButton.LeftButton, modifier, self.at(x, y))

    def double_click(self, x: float, y: float) -> None:
        QTest.mouseDClick(self.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                          self.at(x, y))

    def drag(self, start: tuple[float, float], stop: tuple[float, float], steps: int = 4) -> None:
        viewport = self.view.viewport()
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, self.at(*start))
        for i in range(1, steps + 1):
            x = start[0] + (stop[0] - start[0]) * i / steps
            y = start[1] + (stop[1] - start[1]) * i / steps
            QTest.mouseMove(viewport, self.at(x, y))
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, self.at(*stop))

    def type(self, text: str, enter: bool = True) -> None:
        QTest.keyClicks(self.view.viewport(), text)
        if enter:
            QTest.keyClick(self.view.viewport(), Qt.Key.Key_Return)


def place(window, mouse: Mouse, mode: str, at: tuple[float, float], name: str) -> None:
    """Pick the tool ``mode``, click at ``at`` (scene coordinates) and type the new element's name."""
    window.set_mode(mode)
    mouse.click(*at)
    mouse.type(name)


def draw(window, mouse: Mouse, mode: str, start: tuple[float, float], stop: tuple[float, float],
         name: str | None = None) -> None:
    """Pick the tool ``mode``, drag from ``start`` to ``stop`` and type the new element's name if given."""
    window.set_mode(mode)
    mouse.drag(start, stop)
    if name is not None:
        mouse.type(name)


@pytest.fixture
def mouse(window) -> Mouse:
    view = window.tabs.current_view()
    view.centerOn(QPointF(200, 150))
    return Mouse(view)


def answer_modal(button_text: str, delay_ms: int = 50) -> list[str]:
    """Click the button named ``button_text`` of the next modal message box; returns its text (filled in
    when it was shown)."""
    seen: list[str] = []
    tries = [0]

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            tries[0] += 1
            if tries[0] * delay_ms < 10_000:  # a box that never came must not catch a later test's box
                QTimer.singleShot(delay_ms, click)
            return
        seen.append(box.text())
        wanted = button_text.replace("&", "")
        next(b for b in box.buttons() if b.text().replace("&", "") == wanted).click()

    QTimer.singleShot(delay_ms, click)
    return seen


def choose_in_menu(text: str) -> list[str]:
    """Trigger the entry ``text`` of the next popup menu; returns the entries it showed."""
    seen: list[str] = []

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        seen.extend(a.text().replace("&", "") for a in menu.actions() if a.text())
        action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
        menu.close()
        action.trigger()

    QTimer.singleShot(20, pick)
    return seen


def right_click(mouse: Mouse, x: float, y: float) -> None:
    """A right click at scene point (x, y) of the mouse's view, with the context-menu event it makes."""
    viewport = mouse.view.viewport()
    point = mouse.at(x, y)
    QTest.mouseClick(viewport, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, point)
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                       viewport.mapToGlobal(point)))


def drawn_afresh(document, view_id: str, describe):  # noqa: ANN001, ANN201 - Document, scene -> state
    """``describe`` of a scene built from nothing on the document as it is now (then thrown away)."""
    scene = DiagramScene(document, view_id)
    try:
        return describe(scene)
    finally:
        document.sigChanged.disconnect(scene._on_model_event)
        scene.deleteLater()
