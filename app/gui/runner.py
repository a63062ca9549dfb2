"""Compile and run the model off the GUI thread, and verify its requirements on the results; Stop cancels
through the engine's progress callback."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.gui import workers
from app.gui.document import snapshot
from metamodel.elements import Requirement
from metamodel.errors import SalverError
from metamodel.model import Model


class RunCancelled(Exception):
    """Raised inside the engine's progress callback when the user pressed Stop."""


@dataclass
class RunOutcome:
    compiled: object  # solvers.CompiledModel
    results: object  # solvers.Results
    seconds: float
    verdicts: list = field(default_factory=list)  # solvers.verify.RequirementResult, one per requirement
    verify_error: str = ""  # why the requirements could not be verified


def compile_and_run(model: Model, cancelled: list[bool]) -> RunOutcome:
    """Compile ``model`` and run it with its sim specs (the engine is imported here, on first use)."""
    import solvers

    began = time.perf_counter()
    compiled = solvers.compile(model)

    def progress(_fraction: float) -> None:
        if cancelled[0]:
            raise RunCancelled("run stopped")

    results = compiled.run(progress=progress)
    outcome = RunOutcome(compiled, results, time.perf_counter() - began)
    if any(True for _r in model.of_kind(Requirement)):
        from solvers.verify import verify

        try:
            outcome.verdicts = verify(compiled, results)
        except SalverError as exc:
            outcome.verify_error = f"The requirements could not be verified: {exc}"
    return outcome


class RunController(QObject):
    """Runs the document's model in the thread pool; one run at a time."""

    sigStarted = Signal()
    sigFinished = Signal(object)  # RunOutcome
    sigFailed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancelled = [False]
        self.running = False

    def run(self, model: Model) -> bool:
        """Start a run of a snapshot of ``model``; False when one is already running."""
        if self.running:
            return False
        self.running = True
        self._cancelled = cancelled = [False]
        copied = snapshot(model)
        self.sigStarted.emit()
        workers.submit(lambda: compile_and_run(copied, cancelled), self._done, self._failed, self)
        return True

    def stop(self) -> None:
        self._cancelled[0] = True

    def _done(self, outcome: RunOutcome) -> None:
        self.running = False
        self.sigFinished.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.sigFailed.emit(describe_failure(exc))


def describe_failure(exc: BaseException) -> str:
    """A message for the user: the error and, for model errors, the first diagnostics."""
    if isinstance(exc, RunCancelled):
        return "Run stopped."
    if isinstance(exc, ImportError):
        return f"The simulation engine is not available: {exc}"
    return f"{type(exc).__name__}: {exc}"
