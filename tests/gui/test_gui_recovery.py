"""Autosave and recovery: one recovery file per window and process, offered after an abnormal exit (a
workbench killed with SIGKILL in a child process), never while its workbench still runs; damaged files
are kept and reported; autosave failures are reported once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import answer_modal, place
from PySide6.QtCore import QPointF

from app.gui import autosave
from metamodel import io

ROOT = Path(__file__).resolve().parents[2]

# A workbench that edits, autosaves, then dies (``kill``) or waits for its standard input to close.
CHILD = """
import os, signal, sys
from app.gui.launch import application
from app.gui.main_window import MainWindow
from app.gui.document import Document
from metamodel.commands import AddElement
from metamodel.elements import Stock
from metamodel.views import Shape
application()
window = MainWindow()
document = window.document
document.push(AddElement(Stock("tank", "Tank in " + sys.argv[1], equation="5"), "main", Shape(100, 100)))
assert window.autosaver.save_now()
print("saved", flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
document.undo_stack.setClean()
"""


def child(data_dir: Path, label: str, ending: str) -> subprocess.Popen:
    env = dict(os.environ, SALVER_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-c", CHILD, label, ending], cwd=ROOT, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout.readline().strip() == "saved"
    return process


def test_work_of_a_killed_workbench_is_offered_and_recovered(window, isolated_settings, qtbot):
    process = child(isolated_settings / "data", "crash", "kill")
    assert process.wait(timeout=60) == -signal.SIGKILL
    seen = answer_modal("Yes")
    shown = window.offer_recovery()
    assert seen and "did not close normally" in seen[0]
    assert shown == [window]
    assert window.document.model.find("Tank in crash") is not None
    assert window.document.modified and window.isWindowModified()
    assert autosave.orphaned() == [], "once recovered, the work is this window's"
    assert window.autosaver.path.is_file()


def test_a_running_workbench_keeps_its_recovery_file(window, isolated_settings, qtbot):
    process = child(isolated_settings / "data", "running", "wait")
    try:
        assert window.offer_recovery() == []  # no question asked: the other workbench still runs
        assert autosave.orphaned() == []
    finally:
        process.kill()
        process.wait(timeout=60)
    (left,) = autosave.orphaned()  # killed now: its work is offered
    answer_modal("No")
    assert window.offer_recovery() == []
    assert not left.path.exists(), "declined work is removed"


def test_each_window_has_its_own_recovery_file(window, mouse, qtbot, tmp_path):
    from app.gui.main_window import MainWindow

    other = MainWindow(autosave_ms=3_600_000)
    try:
        place(window, mouse, "stock", (200, 150), "First")
        other.set_mode("stock")
        view = other.tabs.current_view()
        other.show()
        qtbot.waitExposed(other)
        from conftest import Mouse

        second = Mouse(view)
        view.centerOn(QPointF(200, 150))
        second.click(200, 150)
        second.type("Second")
        assert window.autosaver.save_now() and other.autosaver.save_now()
        assert window.autosaver.path != other.autosaver.path
        assert io.load(window.autosaver.path).find("First") is not None
        assert io.load(other.autosaver.path).find("Second") is not None
        assert window.save_to(str(tmp_path / "first.salver"))
        assert not window.autosaver.path.exists(), "saved: nothing left to recover"
        assert other.autosaver.path.is_file(), "the other window's unsaved work stays"
    finally:
        other.document.undo_stack.setClean()
        other.close()
    assert not other.autosaver.path.exists()


def test_autosave_after_an_edit_and_none_once_undone_to_the_saved_state(window, mouse, qtbot):
    place(window, mouse, "stock", (200, 150), "Edited")
    qtbot.waitUntil(window.autosaver.path.is_file, timeout=autosave.AFTER_EDIT_MS + 3000)
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert not window.document.modified and not window.isWindowModified()
    assert not window.autosaver.path.exists()


def test_a_damaged_recovery_file_is_kept_and_reported(window, isolated_settings, qtbot):
    process = child(isolated_settings / "data", "damaged", "kill")
    process.wait(timeout=60)
    (left,) = autosave.orphaned()
    left.path.write_text("{ not json", encoding="utf-8")
    answer_modal("Yes")
    assert window.offer_recovery() == []
    kept = left.path.with_name(left.path.name + autosave.DAMAGED)
    assert kept.read_text(encoding="utf-8") == "{ not json"
    assert any("damaged" in message and str(kept) in message for message in window.messages)
    assert autosave.orphaned() == [], "a damaged file is not offered again"


def test_autosave_failure_is_reported_once(window, mouse, qtbot):
    window.autosaver.path.mkdir()  # a folder where the file should go: every write fails
    place(window, mouse, "stock", (200, 150), "Unsaved")
    with qtbot.waitSignal(window.autosaver.sigFailed) as failure:
        assert not window.autosaver.save_now()
    assert "Autosave failed" in failure.args[0]
    assert window.statusBar().currentMessage().startswith("Autosave failed")
    reports: list[str] = []
    window.autosaver.sigFailed.connect(reports.append)
    for _ in range(3):
        assert not window.autosaver.save_now()
    assert reports == []
    window.autosaver.path.rmdir()
    assert window.autosaver.save_now(), "writable again: saved, and a later failure is reported anew"
