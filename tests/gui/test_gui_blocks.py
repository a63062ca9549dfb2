"""Block diagrams: create blocks, ports and connectors with the mouse, undo them, arrange imported
architectures, routes that follow moved blocks, and running an executable architecture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import Mouse, draw, place

from app.gui import main_window
from app.gui.block_items import PartItem, PortItem
from app.gui.block_layout import layers
from importers import supported_extensions
from metamodel.elements import Block, Connector, Part, Port

ROOT = Path(__file__).resolve().parents[2]
MBSE_SAMPLES = ROOT.parent / "shared" / "mbse-samples"
SD_MODELS = ROOT.parent / "shared" / "sd-test-models"
WATER_TOWER = ROOT / "samples" / "water_tower" / "water_tower.uml"
COFFEE = MBSE_SAMPLES / "sysml1-cameo" / "CoffeeDispenser_MD19_native.xmi"
ARTIFACTS = ROOT / "artifacts"


def _block_mouse(window) -> Mouse:
    window.new_block_view()
    view = window.tabs.current_view()
    assert view.diagram().view.kind == "block"
    view.centerOn(150, 0)
    return Mouse(view)


def _of(window, cls):
    return {e.name: e for e in window.document.model.of_kind(cls)}


def test_create_blocks_ports_and_connector_each_undoable(window):
    mouse = _block_mouse(window)
    stack = window.document.undo_stack
    place(window, mouse, "block", (0, 0), "Tank")
    place(window, mouse, "block", (320, 0), "Pump")
    assert sorted(_of(window, Block)) == ["Pump", "Tank"]
    tank, pump = _of(window, Block)["Tank"], _of(window, Block)["Pump"]
    view = window.document.model.view(window.tabs.current_scene().view_id)
    assert (view.shapes[pump.id].x, view.shapes[pump.id].y) == (320.0, 0.0)

    window.set_mode("port")
    mouse.click(320 + 85, 10)  # the pump's right border: an output
    window.set_mode("port")
    mouse.click(-85, -5)  # the tank's left border: an input
    ports = {p.owner: p for p in window.document.model.of_kind(Port)}
    assert ports[pump.id].direction == "out" and ports[tank.id].direction == "in"
    assert view.shapes[ports[pump.id].id].x == 0.5
    scene = window.tabs.current_scene()
    out_port = scene.blocks.ports[(pump.id, ports[pump.id].id)]
    assert abs(out_port.anchor()[0] - 405) < 1e-6

    window.set_mode("port")
    mouse.click(160, 200)  # nowhere near a border: refused
    assert len(list(window.document.model.of_kind(Port))) == 2
    assert "border" in window.statusBar().currentMessage()
    window.set_mode("select")

    count = stack.count()
    draw(window, mouse, "connector", out_port.anchor(), scene.blocks.ports[(tank.id, ports[tank.id].id)].anchor())
    connectors = list(window.document.model.of_kind(Connector))
    assert len(connectors) == 1 and stack.count() == count + 1
    assert [e.role for e in connectors[0].ends] == [ports[pump.id].id, ports[tank.id].id]
    route = scene.blocks.edges[connectors[0].id].points
    assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(route, route[1:], strict=False)), "orthogonal"

    window.act_undo.trigger()
    assert list(window.document.model.of_kind(Connector)) == [] and connectors[0].id not in scene.blocks.edges
    window.act_undo.trigger()
    assert len(list(window.document.model.of_kind(Port))) == 1
    window.act_redo.trigger()
    window.act_redo.trigger()
    assert len(list(window.document.model.of_kind(Connector))) == 1 and connectors[0].id in scene.blocks.edges


def test_connector_must_join_two_ports(window):
    mouse = _block_mouse(window)
    place(window, mouse, "block", (0, 0), "Solo")
    draw(window, mouse, "connector", (0, 0), (300, 0))
    assert list(window.document.model.of_kind(Connector)) == []
    assert "starts on a port" in window.statusBar().currentMessage()


def test_block_mode_inside_a_block_adds_a_part(window):
    mouse = _block_mouse(window)
    place(window, mouse, "block", (0, 0), "System")
    place(window, mouse, "block", (10, 20), "engine")
    part = _of(window, Part)["engine"]
    assert part.owner == _of(window, Block)["System"].id
    assert isinstance(window.tabs.current_scene().nodes[part.id], PartItem)


def test_arrange_restores_the_overview_of_an_imported_architecture(window):
    window.open_path(str(COFFEE), background=False)
    scene = window.tabs.current_scene()
    assert scene.view.kind == "block" and scene.view.name == "Blocks"
    model = window.document.model
    assert not window.document.modified, "the layout made on opening is not an edit"
    block = next(iter(model.of_kind(Block)))
    view = scene.view
    before = (view.shapes[block.id].x, view.shapes[block.id].y)
    Mouse(window.tabs.current_view()).drag(scene.nodes[block.id].anchor(), (before[0] + 500, before[1] + 400))
    assert view.shapes[block.id].x != before[0]
    window.act_arrange.trigger()
    assert (view.shapes[block.id].x, view.shapes[block.id].y) == before
    window.act_undo.trigger()
    assert view.shapes[block.id].x != before[0]


def test_layering_breaks_cycles_and_orders_layers():
    grouped = layers(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "a"), ("a", "d")])
    assert sorted(n for layer in grouped for n in layer) == ["a", "b", "c", "d"]
    level = {n: i for i, layer in enumerate(grouped) for n in layer}
    assert level["a"] < level["b"] < level["c"] and level["a"] < level["d"]


def _internal_view(window, block_id: str):
    """Open the internal view of ``block_id`` and return its scene."""
    window.open_view(next(v.id for v in window.document.model.views if v.subject == block_id))
    return window.tabs.current_scene()


def test_moving_a_block_reroutes_its_connectors(window):
    window.open_path(str(WATER_TOWER), background=False)
    scene = _internal_view(window, "WaterSystem")
    water = scene.blocks.edges["c_water"]
    before = list(water.points)
    system = scene.nodes["WaterSystem"]
    header = system.mapToScene(0, -system.size[1] / 2 + 12)
    view = scene.view
    system_before = view.shapes["WaterSystem"].x, view.shapes["WaterSystem"].y
    tank_before = view.shapes["part_tank"].x, view.shapes["part_tank"].y
    Mouse(window.tabs.current_view()).drag((header.x(), header.y()), (header.x() + 60, header.y() + 120))
    dx = view.shapes["WaterSystem"].x - system_before[0]
    dy = view.shapes["WaterSystem"].y - system_before[1]
    assert abs(dx - 60) < 3 and abs(dy - 120) < 3, "moved by the mouse (to the pixel)"
    assert view.shapes["part_tank"].x == tank_before[0] + dx and view.shapes["part_tank"].y == tank_before[1] + dy
    after = water.points
    assert len(after) == len(before)
    assert all(abs(b[0] - a[0] - dx) < 1e-6 and abs(b[1] - a[1] - dy) < 1e-6
               for a, b in zip(before, after, strict=True))
    assert window.document.undo_stack.count() == 1, "block and parts moved in one command"
    # a part moved alone: only the routes touching it change, still orthogonal and ending on its port
    tank = scene.nodes["part_tank"]
    Mouse(window.tabs.current_view()).drag(tank.anchor(), (tank.anchor()[0], tank.anchor()[1] + 40))
    port = scene.blocks.ports[("part_tank", "Tank_inflow")]
    assert water.points[-1] == port.anchor()
    assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(water.points, water.points[1:], strict=False))
    window.act_undo.trigger()
    assert view.shapes["part_tank"].y == tank_before[1] + dy


def test_open_filter_lists_every_importer():
    text = main_window.import_filter()
    assert all(f"*{ext}" in text for ext in supported_extensions())


def test_water_tower_runs_from_the_gui_and_plots_tank_level(window, qtbot):
    window.open_path(str(WATER_TOWER), background=False)
    scene = _internal_view(window, "WaterSystem")
    assert isinstance(scene.blocks.ports[("part_pump", "Pump_flow")], PortItem)
    assert "item" not in window.document.model.elements
    window.act_run.trigger()
    qtbot.waitUntil(lambda: window.plots.latest is not None, timeout=20000)
    window.plots.set_selected(["tank.level", "pump.flow"])
    xs, ys = window.plots.curve_data("tank.level")
    assert len(xs) == len(ys) > 10 and np.all(np.isfinite(ys)) and np.ptp(ys) > 0
    ARTIFACTS.mkdir(exist_ok=True)
    from app.gui.screenshot import save_screenshot

    window.fit_diagram()
    assert save_screenshot(window, ARTIFACTS / "workbench_blocks.png", (1400, 900))


def test_opening_a_model_without_a_diagram_lays_out_its_stocks_and_flows(window):
    window.open_path(str(SD_MODELS / "samples" / "teacup" / "teacup.xmile"), background=False)
    scene = window.tabs.current_scene()
    model = window.document.model
    assert scene.view.kind == "stock_flow"
    assert {v.id for v in model.variables()} <= set(scene.view.shapes)
    stock = next(v for v in model.variables() if v.kind == "stock")
    flow = next(v for v in model.variables() if v.kind == "flow")
    assert scene.view.shapes[flow.id].points[0][0] > scene.view.shapes[stock.id].x  # the outflow leaves it
    readers = {(link.source, link.target) for link in scene.view.links.values()}
    assert (stock.id, flow.id) in readers
    assert not window.document.modified, "the layout made on opening is not an edit"
