"""Copy and paste of diagram fragments (elements, their shapes, links and notes) within and across
models, through the system clipboard as native JSON."""

from __future__ import annotations

import copy
import dataclasses
import json

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from metamodel import io
from metamodel.commands import AddElement, Command, SetLink, SetNote
from metamodel.elements import Stock, Variable
from metamodel.equations.deps import rename_in_text
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.views import Shape, View

MIME = "application/x-salver-fragment"
PASTE_OFFSET = 30.0


def fragment(model: Model, view: View, keys: list[str]) -> dict:
    """The native document of the selected part of ``view``: elements, shapes, links between them, notes."""
    chosen = [k for k in keys if k in model.elements and k in view.shapes]
    part = Model(name="fragment", sim_spec=model.sim_spec)
    part.elements = {k: copy.deepcopy(model.elements[k]) for k in chosen}
    links = {k: copy.deepcopy(v) for k, v in view.links.items()
             if k in keys or (v.source in part.elements and v.target in part.elements)}
    links = {k: v for k, v in links.items() if v.source in part.elements and v.target in part.elements}
    part.views = [View("fragment", "fragment", view.kind, {k: copy.deepcopy(view.shapes[k]) for k in chosen},
                       links, {k: copy.deepcopy(view.notes[k]) for k in keys if k in view.notes})]
    return io.to_dict(part)


def copy_to_clipboard(model: Model, view: View, keys: list[str]) -> bool:
    """Put the fragment on the system clipboard; False when nothing copyable is selected."""
    data = fragment(model, view, keys)
    if not data["elements"] and not data["views"][0]["notes"]:
        return False
    mime = QMimeData()
    text = json.dumps(data)
    mime.setData(MIME, text.encode("utf-8"))
    mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)
    return True


def clipboard_fragment() -> dict | None:
    """The fragment on the clipboard, or None."""
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None or not mime.hasFormat(MIME):
        return None
    try:
        return json.loads(bytes(mime.data(MIME)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def paste_commands(model: Model, view_id: str, data: dict, at: tuple[float, float] | None = None
                   ) -> tuple[list[Command], list[str]]:
    """Commands that add a copy of the fragment to ``view_id`` (new ids, clashing names made unique,
    references among the pasted elements kept), and the keys of the new items. The copy is centred on
    ``at`` (the mouse), else shifted a little from where it was copied."""
    try:
        part = io.from_dict(data)
    except ParseError:
        return [], []
    source_view = part.views[0] if part.views else View("fragment")
    offset = _offset(source_view, at)
    target_view = model.view(view_id)
    if target_view is None:
        return [], []
    taken_ids = set(model.elements)
    taken_names = {e.canonical for e in model.elements.values()}
    new_ids: dict[str, str] = {}
    renamed: dict[str, str] = {}
    elements = []
    for old_id, element in part.elements.items():
        name = _free_name(element.name, taken_names)
        taken_names.add(name.casefold())
        new_id = _free_id(model.new_id(name), taken_ids)
        taken_ids.add(new_id)
        new_ids[old_id] = new_id
        if name != element.name:
            renamed[element.name] = name
        elements.append(dataclasses.replace(element, id=new_id, name=name))
    commands: list[Command] = []
    for element in elements:
        if isinstance(element, Variable):
            equation = element.equation
            for old, new in renamed.items():
                equation = rename_in_text(equation, old, new)
            element.equation = equation
        if isinstance(element, Stock):
            element.inflows = [new_ids[f] for f in element.inflows if f in new_ids]
            element.outflows = [new_ids[f] for f in element.outflows if f in new_ids]
        old_id = next(k for k, v in new_ids.items() if v == element.id)
        shape = source_view.shapes.get(old_id)
        moved = _moved(shape, offset) if shape is not None else None
        commands.append(AddElement(element, view_id if moved else None, moved))
    keys = list(new_ids.values())
    used_links = set(target_view.links)
    for link in source_view.links.values():
        key = _free_key(used_links, "link")
        used_links.add(key)
        commands.append(SetLink(view_id, key, dataclasses.replace(
            link, source=new_ids[link.source], target=new_ids[link.target],
            points=[(x + offset[0], y + offset[1]) for x, y in link.points])))
        keys.append(key)
    used_notes = set(target_view.notes)
    for note in source_view.notes.values():
        key = _free_key(used_notes, "note")
        used_notes.add(key)
        commands.append(SetNote(view_id, key, dataclasses.replace(note, x=note.x + offset[0],
                                                                  y=note.y + offset[1])))
        keys.append(key)
    return commands, keys


def _offset(view: View, at: tuple[float, float] | None) -> tuple[float, float]:
    """The shift that centres the fragment's layout on ``at`` (``PASTE_OFFSET`` both ways without)."""
    places = [(s.x, s.y) for s in view.shapes.values()] + [(n.x, n.y) for n in view.notes.values()]
    if at is None or not places:
        return PASTE_OFFSET, PASTE_OFFSET
    xs, ys = [p[0] for p in places], [p[1] for p in places]
    return at[0] - (min(xs) + max(xs)) / 2, at[1] - (min(ys) + max(ys)) / 2


def _moved(shape: Shape, offset: tuple[float, float]) -> Shape:
    dx, dy = offset
    return dataclasses.replace(shape, x=shape.x + dx, y=shape.y + dy,
                               points=[(x + dx, y + dy) for x, y in shape.points])


def _free_name(name: str, taken: set[str]) -> str:
    from metamodel.names import canonical

    if canonical(name) not in taken:
        return name
    n = 2
    while canonical(f"{name} {n}") in taken:
        n += 1
    return f"{name} {n}"


def _free_id(candidate: str, taken: set[str]) -> str:
    result, n = candidate, 1
    while result in taken:
        n += 1
        result = f"{candidate}_{n}"
    return result


def _free_key(taken: set[str], base: str) -> str:
    n = 1
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"
