"""Live diagnostics: validate the model a moment after each edit, off the GUI thread for large models."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.gui import workers
from app.gui.document import Document, snapshot
from metamodel.model import Model

DEBOUNCE_MS = 250
BACKGROUND_FROM = 300  # elements; smaller models are checked at once on the GUI thread


def validate(model: Model) -> list:
    """The validator's findings (imported lazily: the validation package is optional to the GUI)."""
    from metamodel.validation import validate as run

    return run(model)


class DiagnosticsMonitor(QObject):
    """Emits ``sigDiagnostics(list[Diagnostic])`` after edits settle."""

    sigDiagnostics = Signal(list)
    sigFailed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.diagnostics: list = []
        self._generation = 0
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.check_now)

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.sigChanged.disconnect(self.schedule)
        self.document = document
        document.sigChanged.connect(self.schedule)
        self.check_now()

    def schedule(self, *_args: object) -> None:
        """Check again once edits pause."""
        self._timer.start()

    def check_now(self) -> None:
        """Validate now (in the background for large models); stale results are dropped."""
        if self.document is None:
            return
        self._generation += 1
        generation = self._generation
        model = self.document.model
        if len(model.elements) < BACKGROUND_FROM:
            self._deliver(generation, self._safe(model))
            return
        copied = snapshot(model)
        workers.submit(lambda: validate(copied), lambda found: self._deliver(generation, found),
                       lambda exc: self.sigFailed.emit(f"validation failed: {exc}"), self)

    def _safe(self, model: Model) -> list:
        try:
            return validate(model)
        except Exception as exc:  # a broken rule must not break editing
            self.sigFailed.emit(f"validation failed: {exc}")
            return []

    def _deliver(self, generation: int, found: list) -> None:
        if generation != self._generation:
            return
        self.diagnostics = list(found)
        self.sigDiagnostics.emit(self.diagnostics)
