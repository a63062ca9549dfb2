"""Stock-flow editing with the mouse and keyboard: create, connect, move, re-attach, bend, delete, undo."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import answer_modal, draw, place
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from metamodel.elements import Aux, Flow, Stock


def _stocks(window):
    return {s.name: s for s in window.document.model.of_kind(Stock)}


def _flows(window):
    return {f.name: f for f in window.document.model.of_kind(Flow)}


def test_create_stock_and_flow_by_clicking_and_connect(window, mouse):
    place(window, mouse, "stock", (300, 150), "Population")
    assert list(_stocks(window)) == ["Population"]
    assert window.mode_actions["select"].isChecked()

    draw(window, mouse, "flow", (100, 150), (300, 150), "births")
    flows = _flows(window)
    assert list(flows) == ["births"]
    population = _stocks(window)["Population"]
    assert population.inflows == [flows["births"].id]
    assert population.outflows == []
    scene = window.tabs.current_scene()
    assert scene.flows[flows["births"].id].clouds == (True, False)

    draw(window, mouse, "flow", (300, 150), (500, 150), "deaths")
    assert _stocks(window)["Population"].outflows == [_flows(window)["deaths"].id]
    # add + rename per element: each gesture is its own undo step
    assert window.document.undo_stack.count() == 6


def test_undo_redo_of_creation_by_keyboard_shortcuts(window, mouse):
    place(window, mouse, "parameter", (200, 200), "rate")
    assert window.document.model.find("rate") is not None
    window.activateWindow()
    QTest.keyClick(window.tabs.current_view().viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.model.find("rate") is None
    assert window.document.model.find("Parameter 1") is not None
    QTest.keyClick(window.tabs.current_view().viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not window.document.model.elements
    window.act_redo.trigger()
    window.act_redo.trigger()
    parameter = window.document.model.find("rate")
    assert isinstance(parameter, Aux) and parameter.is_parameter


def test_drag_moves_selection_as_one_command(window, mouse):
    place(window, mouse, "stock", (200, 150), "A")
    stock_id = _stocks(window)["A"].id
    before = window.document.undo_stack.count()
    mouse.drag((200, 150), (320, 230), steps=6)
    shape = window.document.model.views[0].shapes[stock_id]
    assert (round(shape.x), round(shape.y)) == (320, 230)
    assert window.document.undo_stack.count() == before + 1
    window.act_undo.trigger()
    shape = window.document.model.views[0].shapes[stock_id]
    assert (round(shape.x), round(shape.y)) == (200, 150)
    assert window.tabs.current_scene().nodes[stock_id].pos().x() == 200


def test_flow_end_reattaches_to_stock_and_back_to_cloud(window, mouse):
    place(window, mouse, "flow", (100, 100), "outflow")  # a click makes a flow between two clouds, 150 wide
    place(window, mouse, "stock", (400, 100), "Tank")
    flow = _flows(window)["outflow"]
    scene = window.tabs.current_scene()
    scene.select_keys([flow.id])
    end = scene.flows[flow.id].points[-1]
    mouse.drag(end, (400, 100))
    assert _stocks(window)["Tank"].inflows == [flow.id]
    assert scene.flows[flow.id].clouds == (True, False)
    scene.select_keys([flow.id])
    end = scene.flows[flow.id].points[-1]
    mouse.drag(end, (330, 260))
    assert _stocks(window)["Tank"].inflows == []
    assert window.document.model.views[0].shapes[flow.id].points[-1] == (330.0, 260.0)


def test_resize_handle_changes_size_in_one_command(window, mouse):
    place(window, mouse, "stock", (200, 150), "S")
    stock_id = _stocks(window)["S"].id
    scene = window.tabs.current_scene()
    scene.select_keys([stock_id])
    corner = (200 + 45, 150 + 27.5)
    count = window.document.undo_stack.count()
    mouse.drag(corner, (200 + 80, 150 + 40))
    shape = window.document.model.views[0].shapes[stock_id]
    assert (round(shape.width), round(shape.height)) == (160, 80)
    assert window.document.undo_stack.count() == count + 1


def test_link_is_drawn_between_variables_and_bent_by_its_handle(window, mouse):
    for x, name in ((100, "a"), (300, "b")):
        place(window, mouse, "aux", (x, 200), name)
    draw(window, mouse, "link", (100, 200), (300, 200))
    links = window.document.model.views[0].links
    assert len(links) == 1
    key, link = next(iter(links.items()))
    ids = {window.document.model.find("a").id, window.document.model.find("b").id}
    assert {link.source, link.target} == ids
    scene = window.tabs.current_scene()
    scene.select_keys([key])
    handle = scene.links[key].curve_handle.scenePos()
    mouse.drag((handle.x(), handle.y()), (200, 120))
    bent = window.document.model.views[0].links[key]
    # the arc through (100,200), (200,120), (300,200) leaves its start at 2*atan(80/100)
    assert bent.angle == pytest.approx(math.degrees(2 * math.atan(80 / 100)), abs=1.0)
    window.act_undo.trigger()
    assert window.document.model.views[0].links[key].angle == link.angle


def test_link_must_end_on_a_variable(window, mouse):
    place(window, mouse, "aux", (100, 200), "a")
    draw(window, mouse, "link", (100, 200), (400, 400))
    assert window.document.model.views[0].links == {}


def test_rubber_band_then_delete_shape_or_element(window, mouse):
    for x, name in ((100, "one"), (250, "two")):
        place(window, mouse, "stock", (x, 150), name)
    scene = window.tabs.current_scene()
    scene.clearSelection()
    mouse.drag((20, 60), (330, 240))  # rubber band around both stocks
    assert len(scene.selected_keys()) == 2

    answer_modal("Remove from diagram")
    window.delete_selection()
    model = window.document.model
    assert len(list(model.of_kind(Stock))) == 2, "elements stay in the model"
    assert model.views[0].shapes == {}
    assert scene.nodes == {}

    window.act_undo.trigger()
    assert len(scene.nodes) == 2
    scene.select_keys(list(scene.nodes))
    answer_modal("Delete from model")
    window.delete_selection()
    assert list(model.of_kind(Stock)) == []


def test_rename_in_place_rejects_a_used_name(window, mouse):
    for x, name in ((100, "alpha"), (260, "beta")):
        place(window, mouse, "aux", (x, 200), name)
    mouse.double_click(260, 200)
    mouse.type("alpha")
    names = sorted(v.name for v in window.document.model.variables())
    assert names == ["alpha", "beta"]
    assert "already used" in window.statusBar().currentMessage()


def test_copy_paste_within_and_across_models(window, mouse):
    place(window, mouse, "stock", (300, 150), "Stock")
    draw(window, mouse, "flow", (100, 150), (300, 150), "inflow")
    scene = window.tabs.current_scene()
    scene.select_keys(list(scene.nodes) + list(scene.flows))
    assert window.copy()
    window.paste()
    stocks = sorted(s.name for s in window.document.model.of_kind(Stock))
    assert stocks == ["Stock", "Stock 2"]
    pasted = window.document.model.find("Stock 2")
    assert pasted.inflows == [window.document.model.find("inflow 2").id]

    seen = answer_modal("Discard")  # the old document has unsaved changes
    window.new_file()
    assert seen and "Save the changes" in seen[0]
    assert not window.document.model.elements
    window.paste()
    assert sorted(s.name for s in window.document.model.of_kind(Stock)) == ["Stock"]
    assert window.document.model.find("Stock").inflows == [window.document.model.find("inflow").id]


def test_unsaved_changes_prompt_can_cancel(window, mouse):
    place(window, mouse, "stock", (200, 150), "Keep me")
    answer_modal("Cancel")
    window.new_file()
    assert window.document.model.find("Keep me") is not None


def test_cloud_ends_move_with_a_selection_that_includes_the_flow(window, mouse):
    place(window, mouse, "stock", (300, 150), "Tank")
    draw(window, mouse, "flow", (100, 150), (300, 150), "fill")
    flow = _flows(window)["fill"]
    scene = window.tabs.current_scene()
    cloud_before = scene.flows[flow.id].points[0]
    scene.select_keys([flow.id, _stocks(window)["Tank"].id])
    mouse.drag((300, 150), (300, 250))
    shape = window.document.model.views[0].shapes
    dy = shape[_stocks(window)["Tank"].id].y - 150
    assert abs(dy - 100) < 3
    assert scene.flows[flow.id].points[0] == (cloud_before[0], cloud_before[1] + dy)
    assert shape[flow.id].points[0] == (cloud_before[0], cloud_before[1] + dy)
    assert window.document.undo_stack.count() == 5, "stock and flow moved in one command"


def test_link_from_a_stock_to_its_own_flow_is_bent_off_the_pipe(window):
    from pathlib import Path

    from app.gui.geometry import distance_to_polyline

    window.open_path(str(Path(__file__).resolve().parents[2] / "samples" / "sir.salver"), background=False)
    scene = window.tabs.current_scene()
    view = scene.view
    key = next(k for k, link in view.links.items() if (link.source, link.target) == ("susceptible", "infection"))
    assert view.links[key].angle is None
    points = scene.links[key].points
    pipe = scene.flows["infection"].points
    assert max(distance_to_polyline(p, pipe) for p in points) > 15
    other = next(k for k, link in view.links.items() if (link.source, link.target) == ("duration", "recovery"))
    straight = scene.links[other].points
    assert max(distance_to_polyline(p, [straight[0], straight[-1]]) for p in straight) < 1, "others stay straight"


def test_opening_a_foreign_file_shows_the_import_report(window):

    from importers import load

    path = Path(__file__).resolve().parents[3] / "shared" / "mbse-samples" / "sysml1-cameo" / \
        "CoffeeDispenser_MD19_native.xmi"
    window.open_path(str(path), background=False)
    dialog = window.report_dialog
    assert dialog is not None and dialog.isVisible()
    entries = load(str(path))[1].entries
    assert dialog.table.rowCount() == len(entries) > 0
    assert dialog.table.item(0, 3).text() == entries[0].reason
    assert window.document.path is None, "a foreign file is saved as a new .salver"
    teacup = Path(__file__).resolve().parents[3] / "shared" / "sd-test-models" / "samples" / "teacup" / "teacup.mdl"
    window.open_path(str(teacup), background=False)  # a file with nothing to report
    assert not dialog.isVisible() and window.report_dialog is None, "the earlier file's report does not stay up"


def test_wheel_zooms_and_middle_button_pans(window, mouse):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view = window.tabs.current_view()
    zoom = view.zoom
    centre = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(centre, view.viewport().mapToGlobal(centre), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom == pytest.approx(zoom * 1.2 ** 2)
    h, v = view.horizontalScrollBar().value(), view.verticalScrollBar().value()
    start = view.viewport().rect().center()
    QTest.mousePress(view.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(view.viewport(), start + QPoint(-40, -30))
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(-40, -30))
    assert (view.horizontalScrollBar().value(), view.verticalScrollBar().value()) == (h + 40, v + 30)
    assert window.document.undo_stack.count() == 0, "panning edits nothing"
