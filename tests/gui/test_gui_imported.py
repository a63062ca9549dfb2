"""Imported diagrams read as their authors drew them: a Vensim model opens on its own sketch with its
shapes at their sketch sizes, names where the sketch puts them (in the box, in place of a symbol, beside
a valve) and arrows bent as drawn; names move off symbols and pipes; XMILE modules show their inputs and
outputs and open on a double-click."""

from __future__ import annotations

from conftest import Mouse, place

from app.gui import labels
from app.gui.items import AuxItem, ModuleItem, StockItem
from app.gui.view import READABLE_ZOOM
from tests.paths import SD_MODELS

TEACUP = SD_MODELS / "samples" / "teacup" / "teacup.mdl"
QUERY = SD_MODELS / "samples" / "Query_file" / "Query_file.mdl"
MODULES = SD_MODELS / "samples" / "bpowers-hares_and_lynxes_modules" / "model.xmile"


def _by_name(window, items):
    return {window.document.model[k].name: i for k, i in items.items()}


def test_a_vensim_sketch_keeps_its_sizes_and_name_positions(window):
    window.open_path(str(TEACUP), background=False)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["View 1"]
    scene = window.tabs.current_scene()
    nodes = _by_name(window, scene.nodes)
    cup = nodes["Teacup Temperature"]
    assert isinstance(cup, StockItem) and cup.size == (80.0, 40.0)  # 2 × the sketch's half sizes
    inside = cup.label_rect()  # the name fits the box (a smaller font rather than a cut word)
    point = labels.fitted_point_size(cup.label, inside.width(), inside.height())
    fitted = labels.text_size(cup.label, inside.width(), point)
    assert fitted.width() <= inside.width() + 0.5 and fitted.height() <= inside.height() + 0.5
    room = nodes["Room Temperature"]  # a plain name in the sketch: drawn in place of a symbol
    assert isinstance(room, AuxItem) and room.text_only
    assert room.scenePos().toTuple() == (469.0, 304.0)
    assert room.mapRectToScene(room.rect()).contains(469.0, 304.0)
    flow = _by_name(window, scene.flows)["Heat Loss to Room"]
    assert flow.side == "bottom", "the sketch puts the name below its valve"
    assert not flow.pipe_shape().intersects(flow.label_rect())
    links = window.document.model.views[0].links
    assert sum(link.angle is not None for link in links.values()) == 2, "the two curved arrows stay curved"


def test_sketch_comments_become_notes(window):
    window.open_path(str(QUERY), background=False)
    texts = {item.label for item in window.tabs.current_scene().notes.values()}
    assert {"TA: travel Allowance", "FO: Field Officer"} <= texts


def test_a_name_moves_off_a_symbol_and_back_when_the_symbol_goes(window, mouse):
    place(window, mouse, "stock", (200, 200), "Reservoir")
    place(window, mouse, "aux", (200, 140), "inflow rate of water")
    scene = window.tabs.current_scene()
    aux = _by_name(window, scene.nodes)["inflow rate of water"]
    stock = _by_name(window, scene.nodes)["Reservoir"]
    stock_box = stock.mapRectToScene(stock.rect())
    below = aux.mapRectToScene(aux.label_boxes()["bottom"])
    assert below.intersects(stock_box), "the default place would cover the stock"
    assert aux.side != "bottom" and not aux.mapRectToScene(aux.label_rect()).intersects(stock_box)
    Mouse(window.tabs.current_view()).drag(stock.anchor(), (420, 420))
    assert aux.side == "bottom", "with the stock gone the name goes back below"
    window.act_undo.trigger()
    assert aux.side != "bottom"


def test_modules_show_their_inputs_and_outputs_and_open_on_double_click(window, qtbot):
    window.open_path(str(MODULES), background=False)
    scene = window.tabs.current_scene()
    modules = _by_name(window, scene.nodes)
    hares, lynxes = modules["hares"], modules["lynxes"]
    assert isinstance(hares, ModuleItem)
    assert hares.inputs == ["area", "lynxes"] and hares.outputs == ["hare density"]
    assert lynxes.inputs == ["hare density", "size of one time lynx harvest"] and lynxes.outputs == ["lynxes"]
    # the links end at the ports they stand for
    area_link = next(i for k, i in scene.links.items()
                     if scene.view.links[k].source == "area" and scene.view.links[k].target == "hares")
    assert area_link.points[-1] == hares.port_point("area", False)
    between = next(i for k, i in scene.links.items()
                   if scene.view.links[k].source == "hares" and scene.view.links[k].target == "lynxes")
    assert between.points[0] == hares.port_point("hare density", True)
    assert between.points[-1] == lynxes.port_point("hare density", False)
    Mouse(window.tabs.current_view()).double_click(*hares.anchor())
    qtbot.waitUntil(lambda: window.tabs.tabText(window.tabs.currentIndex()) == "hares (module)", timeout=5000)
    inner = window.tabs.current_scene()
    assert inner.document.model is window.document.model.submodels["hares"]
    names = {inner.document.model[k].name for k in [*inner.nodes, *inner.flows]}
    assert {"hares", "births", "deaths", "hare density"} <= names
    # the module's model is shown, not edited here: a drag is refused and the diagram stays as it was
    stock = next(i for k, i in inner.nodes.items() if inner.document.model[k].name == "hares")
    before = stock.scenePos().toTuple()
    Mouse(window.tabs.current_view()).drag(stock.anchor(), (before[0] + 80, before[1] + 60))
    assert stock.scenePos().toTuple() == before
    assert "read-only" in window.statusBar().currentMessage()
    assert not window.document.modified


def test_flow_names_sit_on_a_pipe_only_when_every_side_would(window):
    window.open_path(str(QUERY), background=False)
    scene = window.tabs.current_scene()
    pipes = [f.pipe_shape() for f in scene.flows.values()]
    assert len(pipes) > 10
    on_pipe = 0
    for flow in scene.flows.values():
        if any(pipe.intersects(flow.label_rect()) for pipe in pipes):
            on_pipe += 1
            assert all(any(p.intersects(box) for p in pipes) for box in flow.label_boxes().values()), flow.label
    assert on_pipe < len(pipes) / 4


def test_a_large_diagram_opens_readable_at_its_top_left_and_a_small_one_whole(window):
    window.resize(1200, 800)
    window.show()
    window.open_path(str(QUERY), background=False)  # 124 names: whole, they would be unreadable
    view = window.tabs.current_view()
    assert view.zoom == READABLE_ZOOM
    bounds = view.diagram().itemsBoundingRect()
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(bounds.topLeft()), "it opens on the diagram's top-left"
    assert not shown.contains(bounds), "the whole diagram is not squeezed in"
    window.act_zoom_fit.trigger()  # asked for, the whole diagram is shown however small
    assert view.zoom < READABLE_ZOOM
    window.open_path(str(TEACUP), background=False)
    view = window.tabs.current_view()
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert READABLE_ZOOM <= view.zoom <= 1.0 and shown.contains(view.diagram().itemsBoundingRect())
