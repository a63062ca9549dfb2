"""A document: one model, its undo stack and file path; turns model notifications into Qt signals."""

from __future__ import annotations

import copy

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from app.gui.undo import ModelCommand
from metamodel.commands import Command, Macro
from metamodel.model import Model, ModelEvent
from metamodel.views import View


def new_model(name: str = "untitled") -> Model:
    """An empty model with one stock-flow view."""
    return Model(name=name, views=[View("main", "Main", "stock_flow")])


def snapshot(model: Model) -> Model:
    """An independent copy of ``model`` (no observers) that a worker thread may read."""
    return copy.deepcopy(model, {id(model._observers): []})


class Document(QObject):
    """The open model. Every edit goes through :meth:`push`; ``sigChanged`` fires after each one."""

    sigChanged = Signal(object)  # ModelEvent
    sigPathChanged = Signal(str)
    sigRefused = Signal(str)  # an edit of a read-only document, refused

    def __init__(self, model: Model | None = None, path: str | None = None, parent: QObject | None = None,
                 read_only: bool = False):
        super().__init__(parent)
        self.read_only = read_only
        self.model = model if model is not None else new_model()
        if not self.model.views:
            self.model.views.append(View("main", "Main", "stock_flow"))
        self.path = path
        self.undo_stack = QUndoStack(self)
        self.model.subscribe(self._forward)

    def _forward(self, event: ModelEvent) -> None:
        self.sigChanged.emit(event)

    def close(self) -> None:
        """Stop listening to the model (the window drops this document)."""
        self.model.unsubscribe(self._forward)

    def push(self, command: Command | list[Command], text: str | None = None) -> None:
        """Apply an edit (several commands become one undo step) and put it on the undo stack; a read-only
        document refuses it and has its diagrams drawn again as the model is."""
        if self.read_only:
            self.sigRefused.emit("This diagram is read-only: open the module's own model to edit it")
            self.sigChanged.emit(ModelEvent("refresh"))
            return
        if isinstance(command, list):
            if not command:
                return
            command = command[0] if len(command) == 1 else Macro(command, text or command[0].text)
        wrapper = ModelCommand(self.model, command, text)
        wrapper.apply()
        self.undo_stack.push(wrapper)

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_saved(self, path: str) -> None:
        self.path = path
        self.undo_stack.setClean()
        self.sigPathChanged.emit(path)

    @property
    def title(self) -> str:
        from pathlib import Path

        return Path(self.path).name if self.path else f"{self.model.name} (unsaved)"
