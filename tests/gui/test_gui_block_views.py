"""Imported architectures open on views a reader can take in at 100 %: an overview of the blocks with
their compartments and composition lines, the requirements, and one internal view per block (its parts
inside a frame, ports on the borders named inside the parts, connectors routed around the parts); the
browser lists every view, a double-click on a part opens its type's internal view."""

from __future__ import annotations

from itertools import pairwise

from conftest import Mouse
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtTest import QTest

from app.gui.block_items import CompositionItem, ConnectorItem, PartItem, PortItem
from app.gui.block_views import opening_views
from app.gui.docks.browser import DIAGRAMS, VIEW_ROLE
from app.gui.items import BlockItem
from metamodel.elements import Block, ItemFlow, Package, Part
from metamodel.model import Model
from tests.paths import MBSE_SAMPLES

CAMEO = MBSE_SAMPLES / "sysml1-cameo" / "CoffeeDispenser.mdzip"
PAPYRUS = MBSE_SAMPLES / "sysml1-papyrus" / "ElectricKettle.uml"


def _scene_rect(item) -> QRectF:
    return item.mapRectToScene(item.rect())


def _open_from_browser(window, qtbot, name: str) -> None:
    """Double-click the browser's row of the diagram ``name``."""
    tree = window.browser.tree
    tops = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    group = next(top for top in tops if top.text(0) == DIAGRAMS)
    row = next(group.child(i) for i in range(group.childCount()) if group.child(i).text(0) == name)
    assert row.data(0, VIEW_ROLE)
    tree.scrollToItem(row)
    at = QPoint(30, tree.visualItemRect(row).center().y())
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    qtbot.waitUntil(lambda: window.tabs.tabText(window.tabs.currentIndex()) == name, timeout=5000)


def _segments_clear_of(points, rects) -> bool:
    """Whether no segment of a route runs through the inside of any of ``rects``."""
    for (ax, ay), (bx, by) in pairwise(points):
        segment = QRectF(min(ax, bx) - 0.5, min(ay, by) - 0.5, abs(bx - ax) + 1, abs(by - ay) + 1)
        if any(r.adjusted(1.5, 1.5, -1.5, -1.5).intersects(segment) for r in rects):
            return False
    return True


def test_cameo_opens_on_an_overview_with_compartments_and_lists_every_view(window, qtbot):
    window.open_path(str(CAMEO), background=False)
    model = window.document.model
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Blocks", "Requirements"], "internal views open when asked for, not all at once"
    scene = window.tabs.current_scene()
    blocks = {e.id for e in model.of_kind(Block) if not e.library}
    assert set(scene.nodes) == blocks
    rects = [_scene_rect(scene.nodes[k]) for k in blocks]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    heater = next(b for b in model.of_kind(Block) if b.name == "Water Heater")
    compartments = dict(scene.nodes[heater.id].compartments)
    assert "Inlet : Water" in compartments["parts"] and "Heat Addition : Number" in compartments["values"]
    lines = [e for e in scene.blocks.edges.values() if isinstance(e, CompositionItem) and e.isVisible()]
    assert len(lines) >= 8  # Product's and Water Heater's parts, Water's constraint
    for line in lines:  # orthogonal and around the boxes
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(line.points))
        ends = {model[k].owner for k in [line.key]} | {model[line.key].type}
        assert _segments_clear_of(line.points, [_scene_rect(scene.nodes[k]) for k in blocks - ends])
    internal = {v.name for v in model.views if v.subject}
    assert internal == {"Product (internal)", "Water Heater (internal)", "Water (internal)"}
    _open_from_browser(window, qtbot, "Product (internal)")
    assert window.tabs.current_scene().view.subject == next(b.id for b in model.of_kind(Block) if b.name == "Product")
    assert not window.document.modified, "the views made on opening are not an edit"


def test_an_internal_view_routes_around_its_parts_and_names_ports_inside_them(window, qtbot):
    window.open_path(str(CAMEO), background=False)
    _open_from_browser(window, qtbot, "Product (internal)")
    scene = window.tabs.current_scene()
    model = window.document.model
    frame = scene.nodes[scene.view.subject]
    parts = [i for i in scene.nodes.values() if isinstance(i, PartItem)]
    assert {p.label for p in parts} >= {": Product", ": Water Heater", "Water Heater\n: Water Heater"}
    assert all(p.parentItem() is frame and _scene_rect(frame).contains(_scene_rect(p)) for p in parts)
    part_rects = [_scene_rect(p) for p in parts]
    assert not any(a.intersects(b) for i, a in enumerate(part_rects) for b in part_rects[i + 1:])
    connectors = [e for e in scene.blocks.edges.values() if isinstance(e, ConnectorItem) and e.isVisible()]
    assert len(connectors) == 3
    for connector in connectors:
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(connector.points))
        assert _segments_clear_of(connector.points, part_rects)
    drawn = [(p.mapRectToScene(p._label_rect()), p) for p in scene.blocks.ports.values()
             if isinstance(p.host, PartItem)]
    for box, port in drawn:  # named inside its part, where no connector runs
        ox = port.outward()[0]
        start = box.left() if ox < 0 else box.right()
        assert _scene_rect(port.host).contains(start - ox, box.center().y())
    # at 100 % zoom the names of a part's ports do not run into one another
    for i, (a, pa) in enumerate(drawn):
        for b, pb in drawn[i + 1:]:
            if pa.host is pb.host and pa.side == pb.side:
                assert abs(a.center().y() - b.center().y()) >= 14
    # a double-click on a part opens the internal view of its type
    heater = next(p for p in parts if p.label == "Water Heater\n: Water Heater")
    Mouse(window.tabs.current_view()).double_click(*heater.anchor())
    qtbot.waitUntil(lambda: window.tabs.current_scene().view.subject == model[heater.key].type, timeout=5000)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Water Heater (internal)"


def test_a_part_whose_type_has_no_internal_view_gets_one_on_double_click(window, qtbot):
    window.open_path(str(CAMEO), background=False)
    _open_from_browser(window, qtbot, "Product (internal)")
    model = window.document.model
    scene = window.tabs.current_scene()
    receptacle = next(i for i in scene.nodes.values() if isinstance(i, PartItem)
                      and model[i.key].name == "Water Receptical")
    views = len(model.views)
    Mouse(window.tabs.current_view()).double_click(*receptacle.anchor())
    qtbot.waitUntil(lambda: len(model.views) == views + 1, timeout=5000)
    opened = window.tabs.current_scene()
    assert opened.view.subject == model[receptacle.key].type
    assert isinstance(opened.nodes[opened.view.subject], BlockItem)
    assert [p.label for p in opened.blocks.ports.values()] == ["Water Out"]
    window.act_undo.trigger()
    assert len(model.views) == views
    assert window.tabs.tabText(window.tabs.currentIndex()) != "Water Receptical (internal)"


def test_papyrus_item_flows_are_arrows_between_the_ports_of_an_internal_view(window, qtbot):
    window.open_path(str(PAPYRUS), background=False)
    _open_from_browser(window, qtbot, "Electric Kettle (internal)")
    scene = window.tabs.current_scene()
    model = window.document.model
    flows = [e for k, e in scene.blocks.edges.items() if isinstance(model.get(k), ItemFlow) and e.isVisible()]
    assert len(flows) >= 12 and all(f.directed for f in flows)
    part_rects = [_scene_rect(i) for i in scene.nodes.values() if isinstance(i, PartItem)]
    ports = {p.anchor() for p in scene.blocks.ports.values()}
    values = [i for k, i in scene.nodes.items() if isinstance(model.get(k), Part) and model[k].aggregation == "value"]
    assert {i.label for i in values} >= {"target_temperature\n: Integer", "heat_power : Real"}
    borders = [_scene_rect(v).adjusted(-0.5, -0.5, 0.5, 0.5) for v in values]

    def attached(point) -> bool:  # at a port, or on the border of a value property's box
        return point in ports or any(b.contains(*point) and not b.adjusted(1, 1, -1, -1).contains(*point)
                                     for b in borders)

    for flow in flows:
        assert attached(flow.points[0]) and attached(flow.points[-1])
        assert _segments_clear_of(flow.points, part_rects)


def test_arrange_lays_an_internal_view_out_again_in_one_undo_step(window, qtbot):
    window.open_path(str(CAMEO), background=False)
    _open_from_browser(window, qtbot, "Product (internal)")
    scene = window.tabs.current_scene()
    view = scene.view
    part = next(i for i in scene.nodes.values() if isinstance(i, PartItem))
    before = view.shapes[part.key].x, view.shapes[part.key].y
    Mouse(window.tabs.current_view()).drag(part.anchor(), (part.anchor()[0] + 40, part.anchor()[1] + 300))
    assert view.shapes[part.key].y != before[1]
    window.act_arrange.trigger()
    assert (view.shapes[part.key].x, view.shapes[part.key].y) == before
    window.act_undo.trigger()
    assert view.shapes[part.key].y != before[1]
    assert isinstance(next(iter(scene.blocks.ports.values())), PortItem)


def test_internal_views_of_namesake_blocks_are_told_apart_by_their_package():
    model = Model()
    model.add(Package("la", "Logical Architecture"))
    model.add(Package("pa", "Physical Architecture"))
    blocks = [Block("movie_la", "Movie", owner="la"), Block("screen_la", "Screen", owner="la"),
              Block("movie_pa1", "Movie", owner="pa"), Block("movie_pa2", "Movie", owner="pa")]
    for block in blocks:
        model.add(block)
        model.add(Part(f"frame_{block.id}", "frame", owner=block.id, type=block.id))
    names = sorted(v.name for v in opening_views(model) if v.subject)
    # another Movie elsewhere: the package; two in one package: only their ids tell them apart
    assert names == ["Movie (internal, Logical Architecture)", "Movie (internal, movie_pa1)",
                     "Movie (internal, movie_pa2)", "Screen (internal)"]
