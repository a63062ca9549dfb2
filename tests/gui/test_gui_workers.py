"""Background tasks deliver their outcome to the GUI thread, and stay quiet once the GUI is gone."""

from __future__ import annotations

import shiboken6

from app.gui import workers


def test_a_task_delivers_its_result_and_its_failure(qtbot) -> None:
    results: list[object] = []
    failures: list[BaseException] = []
    workers.submit(lambda: 6 * 7, results.append, failures.append)
    qtbot.waitUntil(lambda: results == [42])

    def broken() -> None:
        raise ValueError("no such variable")

    task = workers.submit(broken, results.append, failures.append)
    qtbot.waitUntil(lambda: len(failures) == 1)
    assert str(failures[0]) == "no such variable" and "Traceback" in failures[0].__salver_traceback__
    assert workers.wait_all() and task.signals is not None


def test_a_task_finishing_after_its_signals_were_deleted_is_silent(qtbot, capfd) -> None:
    task = workers.Task(lambda: "late")
    shiboken6.delete(task.signals)
    task.run()  # as a pool thread would after the application has shut down
    failing = workers.Task(lambda: 1 / 0)
    shiboken6.delete(failing.signals)
    failing.run()
    assert "Signal source has been deleted" not in capfd.readouterr().err
