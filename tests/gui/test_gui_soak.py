"""A soak: thousands of random edits, moves, undos and redos through real mouse and keyboard events on a
1,000-element diagram. The process must not abort, the incrementally updated scene must equal a scene
built from scratch, and the model must equal the undo stack replayed on the file as it was opened."""

from __future__ import annotations

import copy
import os
import random

import pytest
from conftest import Mouse, answer_modal, drawn_afresh
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.gui.document import Document
from app.gui.items import AuxItem, BlockItem, DiagramItem, StockItem
from app.gui.scene import DiagramScene
from metamodel import io
from tests.big_diagram import big_diagram
from tests.paths import MBSE_SAMPLES

STEPS = 2000
SEED = int(os.environ.get("SALVER_SOAK_SEED", "20240611"))  # another seed walks another path
CHECK_EVERY = 250
CTRL = Qt.KeyboardModifier.ControlModifier


def scene_state(scene: DiagramScene) -> dict:
    """What the scene draws, in comparable form: nodes, pipes, arcs and notes by key."""
    return {
        "nodes": {k: (type(i).__name__, i.scenePos().toTuple(), i.size, i.label) for k, i in scene.nodes.items()},
        "flows": {k: (i.points, i.clouds, i.label) for k, i in scene.flows.items()},
        "links": {k: (i.isVisible(), i.points if i.isVisible() else None) for k, i in scene.links.items()},
        "notes": {k: (i.scenePos().toTuple(), i.size, i.label) for k, i in scene.notes.items()},
    }


def fresh_state(document: Document, view_id: str) -> dict:
    """The state of a scene built from nothing on the document as it is now."""
    return drawn_afresh(document, view_id, scene_state)


class Soak:
    """Random user actions on the window's current diagram."""

    def __init__(self, window, rng: random.Random) -> None:
        self.window = window
        self.rng = rng
        self.view = window.tabs.current_view()
        self.scene = window.tabs.current_scene()
        self.mouse = Mouse(self.view)
        self.names = 0
        self.done: dict[str, int] = {}

    def _nodes(self, kinds=(StockItem, AuxItem, BlockItem)):
        return [item for item in self.scene.nodes.values() if isinstance(item, kinds) and item.parentItem() is None]

    def _look_at(self, x: float, y: float) -> None:
        self.view.centerOn(QPointF(x, y))

    def _name(self) -> str:
        self.names += 1
        return f"soak {self.names}"

    def _grip(self, item) -> tuple[float, float] | None:
        """A point where a press reaches ``item`` itself (parts, ports and labels may cover a block)."""
        cx, cy = item.scenePos().toTuple()
        w, h = item.size
        for x, y in ((cx, cy), (cx, cy - h / 2 + 6), (cx - w / 2 + 6, cy), (cx + w / 2 - 6, cy),
                     (cx, cy + h / 2 - 6), (cx - w / 2 + 8, cy - h / 2 + 8)):
            top = next((i for i in self.scene.items(QPointF(x, y)) if isinstance(i, DiagramItem)), None)
            if top is item:
                return x, y
        return None

    def move(self) -> None:
        grips = [(item, grip) for item in self.rng.sample(self._nodes(), min(8, len(self._nodes())))
                 if (grip := self._grip(item)) is not None]
        if not grips:
            return
        _item, (x, y) = grips[0]
        self._look_at(x, y)
        self.mouse.drag((x, y), (x + self.rng.uniform(-120, 120), y + self.rng.uniform(-90, 90)), steps=3)

    def add(self) -> None:
        x, y = self.rng.uniform(0, 8000), self.rng.uniform(0, 3000)
        self._look_at(x, y)
        self.window.set_mode(self.rng.choice(["stock", "aux", "parameter", "flow"]))
        self.mouse.click(x, y)
        self.mouse.type(self._name())

    def rename(self) -> None:
        item = self.rng.choice(self._nodes())
        x, y = item.scenePos().toTuple()
        self._look_at(x, y)
        self.mouse.double_click(x, y)
        self.mouse.type(self._name())

    def link(self) -> None:
        source = self.rng.choice(self._nodes())
        sx, sy = source.scenePos().toTuple()
        near = [i for i in self._nodes() if i is not source
                and abs(i.scenePos().x() - sx) < 350 and abs(i.scenePos().y() - sy) < 250]
        if not near:
            return
        tx, ty = self.rng.choice(near).scenePos().toTuple()
        self._look_at((sx + tx) / 2, (sy + ty) / 2)
        self.window.set_mode("link")
        self.mouse.drag((sx, sy), (tx, ty), steps=3)

    def remove_from_view(self) -> None:
        item = self.rng.choice(self._nodes())
        x, y = item.scenePos().toTuple()
        self._look_at(x, y)
        self.mouse.click(x, y)
        self.shortcut(Qt.Key.Key_Delete, CTRL | Qt.KeyboardModifier.ShiftModifier)

    def delete_from_model(self) -> None:
        item = self.rng.choice(self._nodes())
        x, y = item.scenePos().toTuple()
        self._look_at(x, y)
        self.mouse.click(x, y)
        if not any(key in self.scene.view.shapes for key in self.scene.selected_keys()):
            return
        seen = answer_modal("Delete from model", delay_ms=5)
        self.shortcut(Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
        assert seen, "the delete question was not asked"

    def shortcut(self, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
        """Press a shortcut on the diagram, the window active (as it is again after a dialog closes)."""
        if QApplication.activeWindow() is not self.window:
            self.window.windowHandle().requestActivate()
            QApplication.processEvents()
        self.view.viewport().setFocus()
        QTest.keyClick(self.view.viewport(), key, modifiers)

    def undo(self) -> None:
        stack = self.window.document.undo_stack
        for _ in range(self.rng.randint(1, 4)):
            before = stack.index()
            self.shortcut(Qt.Key.Key_Z, CTRL)
            assert stack.index() == max(before - 1, 0)

    def redo(self) -> None:
        stack = self.window.document.undo_stack
        for _ in range(self.rng.randint(1, 3)):
            before = stack.index()
            self.shortcut(Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
            assert stack.index() == min(before + 1, stack.count())

    def step(self) -> None:
        action = self.rng.choices(
            [self.move, self.add, self.rename, self.link, self.remove_from_view, self.delete_from_model,
             self.undo, self.redo], weights=[30, 12, 8, 8, 4, 2, 20, 16])[0]
        action()
        self.done[action.__name__] = self.done.get(action.__name__, 0) + 1


def test_soak_random_edits_on_a_large_diagram(window, tmp_path, qtbot):
    path = tmp_path / "big.salver"
    io.save(big_diagram(1000), path)
    window.open_path(str(path), background=False)
    opened = io.to_dict(io.load(path))
    assert len(window.document.model.elements) == 1000
    soak = Soak(window, random.Random(SEED))
    stack = window.document.undo_stack
    for step in range(1, STEPS + 1):
        soak.step()
        if step % CHECK_EVERY == 0:
            assert scene_state(soak.scene) == fresh_state(window.document, soak.scene.view_id), f"step {step}"
    qtbot.wait(10)
    assert min(soak.done.values()) > 0 and stack.count() > 0, soak.done
    final = io.to_dict(window.document.model)
    final_scene = scene_state(soak.scene)
    index = stack.index()

    # every step back through the real stack ends on the file as opened, and the scene follows
    for _ in range(index):
        soak.shortcut(Qt.Key.Key_Z, CTRL)
    assert stack.index() == 0
    assert io.to_dict(window.document.model) == opened
    assert scene_state(soak.scene) == fresh_state(window.document, soak.scene.view_id)

    # the commands on the stack, copied and replayed on the file freshly loaded, give the same model
    replayed = io.load(path)
    for i in range(index):
        copy.deepcopy(stack.command(i).command).do(replayed)
    assert io.to_dict(replayed) == final

    stack.setIndex(index)
    assert io.to_dict(window.document.model) == final
    assert scene_state(soak.scene) == final_scene


@pytest.mark.parametrize("name", ["capella/In-Flight Entertainment System.capella",
                                  "sysml1-cameo/CoffeeDispenser.mdzip", "sysml1-cameo/CoffeeDispenser_MD19_native.xmi",
                                  "sysml1-papyrus/ElectricKettle.uml"])
def test_large_public_models_open_and_take_edits(window, name):
    """Public SysML and Capella models open (their block views drawn), every view can be shown, and a
    drag and an undo on the largest view work."""
    window.open_path(str(MBSE_SAMPLES / name), background=False)
    assert not window.messages, window.messages
    model = window.document.model
    assert len(model.elements) > 50
    scenes = window.tabs.scenes()
    assert any(scene.view.kind == "block" for scene in scenes)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
    biggest = max(scenes, key=lambda scene: len(scene.nodes))
    window.tabs.show_view(biggest.view_id)
    window.tabs.current_view().resetTransform()  # at 100 %: zoomed to fit, a short drag is under the threshold
    soak = Soak(window, random.Random(7))
    before = io.to_dict(model)
    soak.move()
    assert window.document.undo_stack.count() == 1
    soak.shortcut(Qt.Key.Key_Z, CTRL)
    assert io.to_dict(model) == before
    assert scene_state(biggest) == fresh_state(window.document, biggest.view_id)
