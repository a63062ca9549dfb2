"""Running long work (compile, run, import, validation) off the GUI thread."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import Shiboken

_live: set[Task] = set()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    """Calls ``function()`` on a pool thread; ``done(result)`` or ``failed(exception)`` on the GUI thread."""

    def __init__(self, function: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.function = function
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.function()
        except Exception as exc:  # reported to the GUI, which shows it
            exc.__salver_traceback__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._deliver("failed", exc)
        else:
            self._deliver("done", result)

    def _deliver(self, signal: str, value: Any) -> None:
        """Emit ``value`` unless the application shut down while the work ran (no one is left to tell)."""
        if not Shiboken.isValid(self.signals):
            return
        try:
            getattr(self.signals, signal).emit(value)
        except RuntimeError:  # the signals object was deleted between the check and the emit
            if Shiboken.isValid(self.signals):
                raise


def submit(function: Callable[[], Any], on_done: Callable[[Any], None],
           on_failed: Callable[[BaseException], None], owner: QObject | None = None) -> Task:
    """Run ``function`` in the global thread pool and deliver its outcome to the callbacks (not at all
    when ``owner``, the object the callbacks belong to, was deleted meanwhile)."""
    task = Task(function)

    def deliver(callback: Callable[[Any], None], value: Any) -> None:
        _live.discard(task)
        if owner is None or Shiboken.isValid(owner):
            callback(value)

    task.signals.done.connect(lambda result: deliver(on_done, result))
    task.signals.failed.connect(lambda exc: deliver(on_failed, exc))
    _live.add(task)
    QThreadPool.globalInstance().start(task)
    return task


def wait_all(msecs: int = 30000) -> bool:
    """Wait for every pool task (tests and shutdown)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
