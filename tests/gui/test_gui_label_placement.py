"""Where a name goes beside its symbol depends on the diagram as it is, never on the edits that made it:
after every drag, undo and redo on a crowded diagram each name is on the side, and each arrow ends where,
a diagram drawn afresh puts them."""

from __future__ import annotations

import random

from conftest import Mouse, drawn_afresh

from app.gui.document import Document
from app.gui.items import AuxItem, LabelledItem, StockItem
from app.gui.scene import DiagramScene
from metamodel.elements import Aux, Flow, SimSpec, Stock
from metamodel.model import Model
from metamodel.views import Link, Shape, View


def crowded() -> Model:
    """Stocks, flows and auxiliaries with long names packed so closely that most names have to move."""
    model = Model(name="crowded", sim_spec=SimSpec(start=0, stop=1, dt=1))
    view = View("main", "Main", "stock_flow")
    model.views.append(view)
    for i in range(4):
        x, y = 60 + 150 * i, 60
        model.add(Flow(f"f{i}", f"flow with a long name {i}", equation="1"))
        model.add(Stock(f"s{i}", f"stock {i}", equation="0", inflows=[f"f{i}"]))
        view.shapes[f"s{i}"] = Shape(x + 70, y + 90, 60, 40, label_side="bottom")
        view.shapes[f"f{i}"] = Shape(x, y + 90, points=[(x - 40, y + 90), (x + 40, y + 90)])
    for i in range(16):
        model.add(Aux(f"a{i:02d}", f"auxiliary number {i}", equation="1"))
        view.shapes[f"a{i:02d}"] = Shape(40 + 45 * (i % 8) + 12 * (i // 8), 40 + 110 * (i // 8), 20, 20)
    for i in range(12):
        view.links[f"l{i}"] = Link(f"a{i:02d}", f"f{i % 4}", None)
    return model


def drawn(scene: DiagramScene) -> dict:
    """The side of every name and the points of every arrow (arrows end at flow names)."""
    return {"sides": {k: i.side for k, i in {**scene.nodes, **scene.flows}.items() if isinstance(i, LabelledItem)},
            "links": {k: i.points for k, i in scene.links.items()}}


def afresh(document: Document, view_id: str) -> dict:
    return drawn_afresh(document, view_id, drawn)


def test_names_after_edits_sit_where_a_fresh_diagram_puts_them(window):
    window.set_document(Document(crowded()))
    scene, view = window.tabs.current_scene(), window.tabs.current_view()
    view.centerOn(300, 150)
    mouse = Mouse(view)
    rng = random.Random(5)
    sides = drawn(scene)["sides"]
    assert sum(side != "bottom" for side in sides.values()) >= 5, "the diagram is crowded enough to move names"
    for step in range(60):
        if step % 5 == 4 and window.document.undo_stack.index() > 0:
            window.act_undo.trigger()
        elif step % 7 == 6:
            window.act_redo.trigger()
        else:
            item = rng.choice([i for i in scene.nodes.values() if isinstance(i, AuxItem | StockItem)])
            x, y = item.anchor()
            mouse.drag((x, y), (x + rng.uniform(-50, 50), y + rng.uniform(-40, 40)), steps=3)
        assert drawn(scene) == afresh(window.document, scene.view_id), f"step {step}"
    assert window.document.undo_stack.count() > 10
