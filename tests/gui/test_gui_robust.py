"""Gestures that used to take the process down: a link between overlapping shapes, and an exception
raised by C code inside a Qt override (PySide6 aborts when such an exception reaches it)."""

from __future__ import annotations

from conftest import draw, place

from metamodel.elements import Stock


def test_link_between_overlapping_shapes_is_drawn_as_a_chord(window, mouse):
    place(window, mouse, "stock", (300, 150), "Tank")
    place(window, mouse, "aux", (150, 260), "valve")
    draw(window, mouse, "link", (150, 260), (300, 150))
    scene = window.tabs.current_scene()
    (link_id,) = scene.links
    mouse.drag((150, 260), (300, 150), steps=5)  # the variable now lies on the stock: nothing to clip
    assert scene.links[link_id].isVisible() and len(scene.links[link_id].points) >= 2
    assert window.document.undo_stack.count() == 6


def test_an_error_inside_a_drag_is_reported_and_editing_goes_on(window, mouse, qtbot, monkeypatch):
    place(window, mouse, "stock", (300, 150), "Tank")
    scene = window.tabs.current_scene()

    def broken(item) -> None:  # noqa: ANN001
        [][1]  # an IndexError raised by C code, as a real bug would raise it

    monkeypatch.setattr(scene, "node_moved", broken)
    with qtbot.capture_exceptions() as caught:
        mouse.drag((300, 150), (400, 200), steps=3)
    assert caught and all(isinstance(exc, IndexError) for _type, exc, _tb in caught)
    monkeypatch.undo()
    place(window, mouse, "stock", (300, 400), "Second")
    assert {s.name for s in window.document.model.of_kind(Stock)} == {"Tank", "Second"}
