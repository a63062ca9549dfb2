"""Deleting a selection: shapes go from the view only, or their elements go from the model too."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from metamodel.commands import Command, RemoveElements, SetLink, SetNote, SetShape
from metamodel.model import Model

FROM_MODEL = "model"
FROM_VIEW = "view"


def delete_commands(model: Model, view_id: str, keys: list[str], mode: str) -> list[Command]:
    """Commands deleting ``keys`` (links, notes, element shapes) of a view; ``mode`` says whether
    elements are removed from the model (``model``) or only their shapes from this view (``view``)."""
    view = model.view(view_id)
    if view is None:
        return []
    shapes = [k for k in keys if k in view.shapes and k in model.elements]
    gone = set(shapes)
    links = {k for k in keys if k in view.links}
    links |= {k for k, link in view.links.items() if mode == FROM_VIEW and {link.source, link.target} & gone}
    commands: list[Command] = [SetLink(view_id, k, None) for k in sorted(links)]
    commands += [SetNote(view_id, k, None) for k in keys if k in view.notes]
    if mode == FROM_MODEL and shapes:
        commands.append(RemoveElements(shapes))  # one step: what one removal takes away, the next must not miss
    elif mode != FROM_MODEL:
        commands += [SetShape(view_id, key, None) for key in shapes]
    return commands


def ask_mode(parent: QWidget, count: int) -> str | None:
    """Ask whether the selected elements leave the model or only this view (None: cancelled)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Delete")
    what = "this element" if count == 1 else f"these {count} elements"
    box.setText(f"Delete {what} from the model, or only remove the shapes from this diagram?")
    box.setInformativeText("Removing from the diagram keeps the equations and the other views intact.")
    model_button = box.addButton("Delete from model", QMessageBox.ButtonRole.DestructiveRole)
    view_button = box.addButton("Remove from diagram", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(view_button)
    box.exec()
    clicked = box.clickedButton()
    if clicked is model_button:
        return FROM_MODEL
    if clicked is view_button:
        return FROM_VIEW
    return None
