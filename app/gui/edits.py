"""Edits the metamodel has no command for yet: free text notes and the simulation specs.

Plain metamodel ``Command`` subclasses (no Qt), so they go through the same undo wrapper.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from metamodel.commands import Command
from metamodel.elements import SimSpec
from metamodel.model import Model, ModelEvent
from metamodel.views import Note


@dataclass
class SetNote(Command):
    """Add, change or (``note=None``) remove a text note of a view."""

    view_id: str
    note_id: str
    note: Note | None
    _old: Note | None = None

    text = "note"

    def do(self, model: Model) -> None:
        notes = _notes(model, self.view_id)
        self._old = notes.get(self.note_id)
        _put(notes, self.note_id, self.note)
        model.notify(ModelEvent("layout", (self.note_id,), {"view": self.view_id}))

    def undo(self, model: Model) -> None:
        _put(_notes(model, self.view_id), self.note_id, self._old)
        model.notify(ModelEvent("layout", (self.note_id,), {"view": self.view_id}))


@dataclass
class SetSimSpec(Command):
    """Replace the model's simulation specs."""

    spec: SimSpec
    _old: SimSpec | None = None

    text = "simulation specs"

    def do(self, model: Model) -> None:
        self._old = model.sim_spec
        model.sim_spec = copy.deepcopy(self.spec)
        model.notify(ModelEvent("sim_spec"))

    def undo(self, model: Model) -> None:
        assert self._old is not None
        model.sim_spec = self._old
        model.notify(ModelEvent("sim_spec"))


def _notes(model: Model, view_id: str) -> dict[str, Note]:
    view = model.view(view_id)
    if view is None:
        raise KeyError(f"no view {view_id!r}")
    return view.notes


def _put(notes: dict[str, Note], key: str, value: Note | None) -> None:
    if value is None:
        notes.pop(key, None)
    else:
        notes[key] = value
