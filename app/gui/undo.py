"""The one bridge from metamodel commands to Qt's undo stack."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from metamodel.commands import Command
from metamodel.model import Model


class ModelCommand(QUndoCommand):
    """A ``QUndoCommand`` that applies a metamodel ``Command`` to a model.

    The command is applied before it is pushed (so a failing edit raises and never reaches the stack);
    the first ``redo`` that ``QUndoStack.push`` makes is therefore skipped.
    """

    def __init__(self, model: Model, command: Command, text: str | None = None) -> None:
        super().__init__(text or command.text)
        self.model = model
        self.command = command
        self._applied = False

    def apply(self) -> None:
        """Apply the command now; raises what the command raises."""
        self.command.do(self.model)
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.command.do(self.model)

    def undo(self) -> None:
        self.command.undo(self.model)
