"""The diagram scene of one view: listens to the document and keeps one item per shape, link and note.

Mouse and key events go to the current interaction first (``interactions.py``); items never edit the
model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
)

from app.gui import block_layout, block_views, geometry, labels, modules, neural, style
from app.gui.block_items import FmuItem, NeuralItem, PartItem, RequirementItem
from app.gui.block_scene import EDGE_KINDS, BlockLayer, node_label
from app.gui.document import Document
from app.gui.geometry import Point
from app.gui.guard import guarded
from app.gui.items import (
    AuxItem,
    BlockItem,
    DiagramItem,
    FlowItem,
    LabelledItem,
    LinkItem,
    ModuleItem,
    NodeItem,
    NoteItem,
    StockItem,
)
from metamodel.elements import (
    Aux,
    Element,
    Flow,
    FmuComponent,
    Module,
    NeuralComponent,
    Part,
    Requirement,
    Stock,
    Variable,
)
from metamodel.model import ModelEvent
from metamodel.views import Shape, View

SCENE_MARGIN = 400.0
GRID_STEP = 100
PIPE_LINK_BEND = 40.0  # degrees: a link along its own flow's pipe is drawn bent by this much
QUIET_EVENTS = frozenset({"sim_spec", "view"})  # edits that change nothing a diagram draws
KNOWN_EVENTS = frozenset({"add", "remove", "rename", "change", "connect", "layout"})  # their ids say what changed


def node_size(element: Element, shape: Shape) -> tuple[float, float]:
    """The drawn size of an element's shape (defaults by kind when the view gives none)."""
    if isinstance(element, Stock):
        default = geometry.STOCK_SIZE
    elif isinstance(element, Variable):
        default = geometry.AUX_SIZE
    else:
        default = block_layout.node_size(element)
    return (shape.width or default[0], shape.height or default[1])


def _nowhere(_point: Point) -> bool:
    return False


def node_class(element: Element) -> type[NodeItem]:
    """The item class that draws ``element`` as a node."""
    for kind, cls in ((Stock, StockItem), (Variable, AuxItem), (Part, PartItem), (Requirement, RequirementItem),
                      (NeuralComponent, NeuralItem), (FmuComponent, FmuItem), (Module, ModuleItem)):
        if isinstance(element, kind):
            return cls
    return BlockItem


class DiagramScene(QGraphicsScene):
    """Shows ``document``'s view ``view_id`` and routes user input to interactions."""

    sigInteractionEnded = Signal()
    sigStatus = Signal(str)
    sigContextMenu = Signal(list, QPoint)  # keys of the items the menu is for, screen position
    sigOpen = Signal(str)  # a part or module asked to be opened (double-click): its id

    def __init__(self, document: Document, view_id: str) -> None:
        super().__init__()
        self.document = document
        self.view_id = view_id
        self.nodes: dict[str, NodeItem] = {}
        self.flows: dict[str, FlowItem] = {}
        self.links: dict[str, LinkItem] = {}
        self.notes: dict[str, NoteItem] = {}
        self.interaction = None
        self._default_interaction = None
        self._syncing = False
        self._ends: dict[str, tuple[str | None, str | None]] = {}
        self._links_at: dict[str, set[str]] = {}
        self._retired: list[QGraphicsItem] = []
        self.sticky = None  # the tool's factory while a tool is locked (double-click on the palette)
        self.shift_sticky = None  # the tool to return to after a placement made with Shift held
        self.blocks = BlockLayer(self)
        self._footprints: dict[str, QRectF] = {}  # what each name keeps off, as last placed
        self._reaches: dict[str, QRectF] = {}  # where each name may go, as last placed
        self._reach_span = 0.0  # the widest of those
        self.setSceneRect(QRectF(-1000, -800, 3000, 2000))
        document.sigChanged.connect(self._on_model_event)
        self.sync()

    # -- model -> items -----------------------------------------------------------------------------
    @property
    def view(self) -> View:
        view = self.document.model.view(self.view_id)
        if view is None:
            raise KeyError(f"no view {self.view_id!r}")
        return view

    def _on_model_event(self, event: ModelEvent) -> None:
        if self.document.model.view(self.view_id) is None:
            return
        if event.kind in QUIET_EVENTS or (event.kind == "layout" and event.detail.get("view") != self.view_id):
            return
        self.sync(set(event.ids) if event.kind in KNOWN_EVENTS else None)

    def sync(self, touched: set[str] | None = None) -> None:
        """Bring the items in line with the model's view: all of them, or (``touched``) those of the ids an
        edit named, plus whatever appeared, disappeared or was re-attached in the same edit."""
        self._syncing = True
        try:
            model, view = self.document.model, self.view
            old_ends = self._ends
            self._ends = self._compute_ends()
            if touched is not None:
                touched = self._widen(touched, old_ends)
                if not self._sd_only(touched):
                    touched = None  # architecture edits may relabel parts and move ports: all of it
            keys = list(view.shapes) if touched is None else [k for k in view.shapes if k in touched]
            drawn = [(model.get(key), view.shapes[key]) for key in keys]
            # parts after the blocks that hold them: a part item is a child of its owner's item
            drawn.sort(key=lambda pair: isinstance(pair[0], Part))
            for element, shape in drawn:
                if element is None or isinstance(element, EDGE_KINDS) \
                        or block_views.is_composition(model, element, shape):
                    continue
                if isinstance(element, Flow):
                    flow_item = self._flow_item(element.id)
                    flow_item.set_label(element.name)
                    flow_item.set_label_side(shape.label_side)
                    continue
                item = self._node_item(element, shape)
                parent = self.nodes.get(element.owner or "") if isinstance(element, Part) else None
                if item.parentItem() is not parent:
                    item.setParentItem(parent)
                if isinstance(item, LabelledItem):
                    item.set_label_side(shape.label_side)
                size = node_size(element, shape)
                if isinstance(item, ModuleItem) and isinstance(element, Module):
                    ins, outs = modules.inputs(element), modules.outputs(model, element)
                    item.set_ports(ins, outs)
                    size = ModuleItem.needed_size(ins, outs, size)
                item.set_state((shape.x, shape.y), size, node_label(model, element))
                if isinstance(item, AuxItem):
                    item.set_parameter(isinstance(element, Aux) and element.is_parameter)
            for note_id in view.notes if touched is None else touched & set(view.notes):
                note = view.notes[note_id]
                item = self.notes.get(note_id)
                if item is None:
                    item = self.notes[note_id] = NoteItem(note_id, geometry.NOTE_SIZE)
                    self.addItem(item)
                item.set_state((note.x, note.y), (note.width or geometry.NOTE_SIZE[0],
                                                  note.height or geometry.NOTE_SIZE[1]), note.text)
            for link_id in view.links if touched is None else touched & set(view.links):
                if link_id not in self.links:
                    self.links[link_id] = LinkItem(link_id)
                    self.addItem(self.links[link_id])
            self._drop_stale(model, touched)
            if touched is None or not touched.isdisjoint(view.links.keys() | self.links.keys()):
                self._index_links()
            if touched is None:
                self.blocks.sync()
        finally:
            self._syncing = False
        self.refresh_edges(touched)
        self.place_labels(touched)
        self._grow_rect(touched)

    def _widen(self, touched: set[str], old_ends: dict[str, tuple[str | None, str | None]]) -> set[str]:
        """``touched`` plus the keys drawn or no longer drawn, and the flows whose stocks changed."""
        view = self.view
        model = self.document.model
        changed = (self.nodes.keys() | self.flows.keys()) ^ view.shapes.keys()
        wider = set(touched) | {k for k in changed if not isinstance(model.get(k), EDGE_KINDS)}
        wider |= self.links.keys() ^ view.links.keys()
        wider |= self.notes.keys() ^ view.notes.keys()
        wider |= {f for f in self._ends.keys() | old_ends.keys() if self._ends.get(f) != old_ends.get(f)}
        return wider

    def _sd_only(self, touched: set[str]) -> bool:
        """True when every touched key is a stock-and-flow element, link or note (or was drawn as one)."""
        model, view = self.document.model, self.view
        for key in touched:
            if key in view.links or key in view.notes or key in self.links or key in self.notes:
                continue
            element = model.get(key)
            if element is not None and not isinstance(element, Variable):
                return False
            if element is None and (key in self.blocks.edges or any(p.key == key for p in self.blocks.ports.values())
                                    or not isinstance(self.nodes.get(key) or self.flows.get(key),
                                                      StockItem | AuxItem | FlowItem | None)):
                return False
        return True

    def _drop_stale(self, model, touched: set[str] | None) -> None:  # noqa: ANN001 - Model
        """Remove the items of keys (all, or the ``touched`` ones) the view no longer draws, or that now
        draw something else."""
        view = self.view
        for items, entries, stale in (
                (self.nodes, view.shapes, lambda k: isinstance(model.get(k), Flow | None)),
                (self.flows, view.shapes, lambda k: not isinstance(model.get(k), Flow)),
                (self.notes, view.notes, lambda _k: False), (self.links, view.links, lambda _k: False)):
            keys = items.keys() if touched is None else touched & items.keys()
            for key in [k for k in keys if k not in entries or stale(k)]:
                self._remove_node(items.pop(key))

    def _compute_ends(self) -> dict[str, tuple[str | None, str | None]]:
        """For each drawn flow, the drawn stocks it drains and fills."""
        source: dict[str, str] = {}
        target: dict[str, str] = {}
        shapes = self.view.shapes
        for stock in self.document.model.of_kind(Stock):
            if stock.id in shapes:
                for flow_id in stock.outflows:
                    source[flow_id] = stock.id
                for flow_id in stock.inflows:
                    target[flow_id] = stock.id
        return {f: (source.get(f), target.get(f)) for f in source.keys() | target.keys() if f in shapes}

    def _index_links(self) -> None:
        """Which drawn links start or end at each element."""
        self._links_at = {}
        for key, link in self.view.links.items():
            self._links_at.setdefault(link.source, set()).add(key)
            self._links_at.setdefault(link.target, set()).add(key)

    def _node_item(self, element: Element, shape: Shape) -> NodeItem:
        item = self.nodes.get(element.id)
        wanted = node_class(element)
        if item is not None and type(item) is wanted:
            return item
        if item is not None:
            self._remove_node(item)
        size = node_size(element, shape)
        if wanted is BlockItem:
            item = BlockItem(element.id, size, getattr(element, "stereotype", "") or element.kind)
        else:
            item = wanted(element.id, size)
        self.nodes[element.id] = item
        self.addItem(item)
        return item

    def _remove_node(self, item: DiagramItem) -> None:
        """Remove a node item; part items inside it stay in the scene (they are re-parented on sync)."""
        for child in item.childItems():
            if isinstance(child, NodeItem):
                child.setParentItem(None)
        self.retire(item)

    def retire(self, item: QGraphicsItem) -> None:
        """Take ``item`` out of the scene; it is freed once the event being handled is over (an item
        freed inside one of its own handlers, or while Qt still refers to it, takes the process down)."""
        if item.scene() is self:
            self.removeItem(item)
        self._retired.append(item)
        if len(self._retired) == 1:
            QTimer.singleShot(0, self._retired.clear)

    def _flow_item(self, flow_id: str) -> FlowItem:
        item = self.flows.get(flow_id)
        if item is None:
            item = self.flows[flow_id] = FlowItem(flow_id)
            self.addItem(item)
        return item

    def _grow_rect(self, touched: set[str] | None = None) -> None:
        """Make the scene rectangle hold every item (``touched``: those items, after an edit)."""
        if touched is None:
            bounds = self.itemsBoundingRect()
        else:
            bounds = QRectF()
            for key in touched:
                item = self.item_for(key)
                if item is not None:
                    bounds = bounds.united(item.sceneBoundingRect())
            if bounds.isNull():
                return
        bounds = bounds.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN)
        if not self.sceneRect().contains(bounds):
            self.setSceneRect(self.sceneRect().united(bounds))

    # -- edge geometry ------------------------------------------------------------------------------
    def flow_ends(self, flow_id: str) -> tuple[str | None, str | None]:
        """The stocks a flow drains (``from``) and fills (``to``), when they are drawn in this view."""
        source, target = self._ends.get(flow_id, (None, None))
        return (source if source in self.nodes else None), (target if target in self.nodes else None)

    def flow_points(self, flow_id: str, override: dict[str, Point] | None = None,
                    offset: Point = (0.0, 0.0)) -> tuple[list[Point], tuple[bool, bool]]:
        """The drawn pipe of a flow and which ends are clouds; ``override`` moves an end and ``offset``
        shifts the stored points (clouds and bends) while a drag is under way."""
        shape = self.view.shapes[flow_id]
        points = list(shape.points) or [(shape.x - 70, shape.y), (shape.x + 70, shape.y)]
        points = [(x + offset[0], y + offset[1]) for x, y in points]
        if len(points) == 1:
            points.append((points[0][0] + 140, points[0][1]))
        source, target = self.flow_ends(flow_id)
        override = override or {}
        ends: list[Point] = [points[0], points[-1]]
        clouds = [True, True]
        for i, (end, stock_id) in enumerate((("from", source), ("to", target))):
            if end in override:
                ends[i] = override[end]
            elif stock_id is not None:
                clouds[i] = False
                ends[i] = self.nodes[stock_id].anchor()
        middle = [tuple(p) for p in points[1:-1]]
        path: list[Point] = [ends[0], *middle, ends[1]]
        for i, stock_id in ((0, source), (-1, target)):
            if clouds[i] or stock_id is None:
                continue
            item = self.nodes[stock_id]
            neighbour = path[1] if i == 0 else path[-2]
            path[i] = geometry.rect_border(item.anchor(), item.size, neighbour)
        return path, (clouds[0], clouds[1])

    def link_points(self, source_id: str, target_id: str, angle: float | None) -> list[Point] | None:
        """The drawn arc of a link between two drawn items, clipped at their outlines (at a module's port
        when the link stands for one of its inputs or outputs)."""
        source, target = self.anchor_item(source_id), self.anchor_item(target_id)
        if source is None or target is None:
            return None
        start, end = source.anchor(), target.anchor()
        inside_start, inside_end = source.contains_scene_point, target.contains_scene_point
        if isinstance(source, ModuleItem) or isinstance(target, ModuleItem):
            output, entry = modules.link_ports(self.document.model, source_id, target_id)
            at_output = source.port_point(output, True) if isinstance(source, ModuleItem) and output else None
            at_entry = target.port_point(entry, False) if isinstance(target, ModuleItem) and entry else None
            if at_output is not None:
                start, inside_start = at_output, _nowhere
            if at_entry is not None:
                end, inside_end = at_entry, _nowhere
            if angle is None and at_output is not None and end[0] < start[0]:
                angle = 90.0  # an output read to its left: over the top, not through the boxes
        if angle is None and self._along_pipe(source_id, target_id):
            (ax, ay), (bx, by) = start, end
            angle = math.degrees(math.atan2(-(by - ay), bx - ax)) + PIPE_LINK_BEND
        arc = geometry.arc_points(start, end, angle)
        return geometry.clip_path(arc, inside_start, inside_end)

    def _along_pipe(self, source_id: str, target_id: str) -> bool:
        """Whether a straight link would run along a flow's pipe: it joins a flow and a stock it drains or
        fills."""
        for flow_id, stock_id in ((source_id, target_id), (target_id, source_id)):
            if flow_id in self.flows and stock_id in self.flow_ends(flow_id):
                return True
        return False

    def anchor_item(self, element_id: str) -> NodeItem | FlowItem | None:
        return self.nodes.get(element_id) or self.flows.get(element_id)

    def refresh_edges(self, only: Iterable[str] | None = None) -> None:
        """Recompute flow pipes and link arcs (all, or those touching the ids in ``only``)."""
        touched = set(only) if only is not None else None
        if touched is None:
            flows, links = list(self.flows), list(self.links)
        else:
            flows = {f for f in touched if f in self.flows}
            flows |= {f for f, (a, b) in self._ends.items() if f in self.flows and (a in touched or b in touched)}
            links = {k for key in touched | flows for k in self._links_at.get(key, ())}
            links |= {k for k in touched if k in self.links}
        for flow_id in flows:
            self.flows[flow_id].set_geometry(*self.flow_points(flow_id))
        for link_id in links:
            link, item = self.view.links.get(link_id), self.links.get(link_id)
            if link is None or item is None:
                continue
            points = self.link_points(link.source, link.target, link.angle)
            item.setVisible(points is not None)
            if points is not None:
                item.set_geometry(points)
        self.blocks.refresh(touched)

    def node_moved(self, item: NodeItem) -> None:
        """A node is being dragged: redraw the edges attached to it."""
        if not self._syncing and not isinstance(item, NoteItem):
            self.refresh_edges({item.key})
            self.place_labels({item.key}, neighbours=False)

    # -- names beside symbols -----------------------------------------------------------------------
    def place_labels(self, only: Iterable[str] | None = None, neighbours: bool = True) -> None:
        """Put each name beside its symbol (see :meth:`_cost`): all of them, or those of the items in
        ``only`` and (with ``neighbours``) of every name that could go where those items were or are now.
        A name's side depends only on where symbols, pipes and preferred places are, never on where
        other names happen to be, so a diagram edited step by step names as one drawn afresh; a drag
        (``neighbours`` off) places the dragged items' own names until the move is made."""
        every = {**self.nodes, **self.flows}
        if only is None:
            self._footprints.clear()
            self._reaches.clear()
            keys = set(every)
            self._remember(keys)
        elif neighbours:
            changed = set(only)
            changed |= {f for f, (a, b) in self._ends.items() if a in changed or b in changed}
            regions = [self._footprints[k] for k in changed if k in self._footprints]
            self._remember(changed)
            regions += [self._footprints[k] for k in changed if k in self._footprints]
            keys = changed | self._reaching(regions)
        else:
            keys = set(only)
        moved = set()
        for key in keys:
            item = every.get(key)
            if not isinstance(item, LabelledItem) or not (local := item.label_boxes()):
                continue
            boxes = {side: item.mapRectToScene(box) for side, box in local.items()}
            side = labels.choose_side(item.preferred_side(), boxes, lambda box, it=item: self._cost(it, box))
            if item.set_side(side):
                moved.add(key)
        if moved:
            self.refresh_edges(moved)  # links end at names they point to

    def _remember(self, keys: Iterable[str]) -> None:
        """Note, for each of ``keys`` still drawn, what its name would keep off (its symbol, pipe and
        preferred name box) and where its name may go (the boxes on every side), in scene coordinates."""
        for key in keys:
            item = self.nodes.get(key) or self.flows.get(key) or self.notes.get(key)
            if item is None or item.scene() is not self:
                self._footprints.pop(key, None)
                self._reaches.pop(key, None)
                continue
            if isinstance(item, FlowItem):
                footprint = item.pipe_shape().boundingRect().united(item._valve_rect())
            else:
                footprint = item.mapRectToScene(item.rect())
            reach = QRectF()
            if isinstance(item, LabelledItem):
                if (preferred := item.preferred_box()) is not None:
                    footprint = footprint.united(item.mapRectToScene(preferred))
                for box in item.label_boxes().values():
                    reach = reach.united(item.mapRectToScene(box))
            self._footprints[key] = footprint
            if reach.isNull():
                self._reaches.pop(key, None)
            else:
                self._reaches[key] = reach
                self._reach_span = max(self._reach_span, reach.width(), reach.height())

    def _reaching(self, regions: list[QRectF]) -> set[str]:
        """The keys of the names that may go somewhere in one of ``regions``."""
        found: set[str] = set()
        span = self._reach_span
        for region in regions:
            wide = region.adjusted(-span, -span, span, span)
            near = self.items(wide, Qt.ItemSelectionMode.IntersectsItemBoundingRect)
            found |= {o.key for o in near if isinstance(o, DiagramItem) and o.key not in found
                      and (reach := self._reaches.get(o.key)) is not None and reach.intersects(region)}
        return found

    def _cost(self, item: DiagramItem, box: QRectF) -> float:
        """How much a name's ``box`` would cover of the symbols and pipes (its own pipe too) and of the
        places the view asks for the names of items with smaller keys (where those names are now does
        not count: it depends on the order of edits)."""
        spent = 0.0
        area = box.width() * box.height()
        if isinstance(item, FlowItem) and item.pipe_shape().intersects(box):
            spent += area  # its own pipe
        for other in self.items(box, Qt.ItemSelectionMode.IntersectsItemBoundingRect):  # tested exactly below
            if other is item or other.parentItem() is item or not isinstance(other, DiagramItem):
                continue
            if isinstance(other, FlowItem):
                if other.pipe_shape().intersects(box) or other._valve_rect().intersects(box):
                    spent += area
            elif isinstance(other, NodeItem):
                spent += labels.overlap(box, other.mapRectToScene(other.rect()))
            if isinstance(other, LabelledItem) and other.key < item.key \
                    and (preferred := other.preferred_box()) is not None:
                spent += labels.overlap(box, other.mapRectToScene(preferred))
        return spent

    # -- results and problems -----------------------------------------------------------------------
    def set_sparklines(self, series: dict[str, np.ndarray]) -> None:
        """Draw small graphs on the stocks (``series`` by element id; stocks missing are cleared)."""
        for key, item in self.nodes.items():
            if isinstance(item, StockItem):
                item.set_sparkline(series.get(key))

    def set_problems(self, severities: dict[str, str]) -> None:
        """Mark items whose elements have diagnostics (worst severity by element id)."""
        for key, item in [*self.nodes.items(), *self.flows.items()]:
            item.set_problem(severities.get(key))

    # -- queries for interactions -------------------------------------------------------------------
    def item_at(self, pos: QPointF, kinds: tuple[type, ...] = (NodeItem, FlowItem)) -> QGraphicsItem | None:
        """The topmost item of ``kinds`` under ``pos`` (flows only at their valve or pipe)."""
        for item in self.items(pos):
            if isinstance(item, FlowItem) and FlowItem in kinds:
                p = (pos.x(), pos.y())
                if item.contains_scene_point(p) or item.near_pipe(p):
                    return item
            elif isinstance(item, kinds) and not isinstance(item, FlowItem):
                return item
        return None

    def selected_keys(self) -> list[str]:
        return [item.key for item in self.selectedItems() if isinstance(item, DiagramItem)]

    def select_keys(self, keys: Iterable[str]) -> None:
        wanted = set(keys)
        self.clearSelection()
        for items in (self.nodes, self.flows, self.links, self.notes, self.blocks.edges):
            for key, item in items.items():
                if key in wanted:
                    item.setSelected(True)
        for port in self.blocks.ports.values():
            if port.key in wanted:
                port.setSelected(True)

    def item_for(self, key: str) -> DiagramItem | None:
        return (self.nodes.get(key) or self.flows.get(key) or self.links.get(key) or self.notes.get(key)
                or self.blocks.edges.get(key) or next((p for p in self.blocks.ports.values() if p.key == key), None))

    # -- interactions -------------------------------------------------------------------------------
    def set_default_interaction(self, interaction) -> None:  # noqa: ANN001 - interactions import scene
        self._default_interaction = interaction
        if self.interaction is None:
            self.interaction = interaction

    def set_interaction(self, interaction) -> None:  # noqa: ANN001
        """Install ``interaction`` (``None``: back to selecting, or to the sticky tool when one is
        locked, or Shift was held for the last placement); the previous one is cancelled."""
        previous = self.interaction
        if interaction is None and (self.sticky is not None or self.shift_sticky is not None):
            factory = self.sticky or self.shift_sticky
            self.shift_sticky = None
            interaction = factory(self)
            self.interaction = interaction
            if previous is not None and previous is not interaction and previous is not self._default_interaction:
                previous.cancel()
            interaction.start()
            return
        self.interaction = interaction or self._default_interaction
        if previous is not None and previous is not self.interaction and previous is not self._default_interaction:
            previous.cancel()
        if self.interaction is not None:
            self.interaction.start()
        if interaction is None:
            self.sigInteractionEnded.emit()

    def default_mouse_press(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mousePressEvent(event)

    def default_mouse_move(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseMoveEvent(event)

    def default_mouse_release(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)

    @guarded()
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_press(event):
            super().mousePressEvent(event)

    @guarded()
    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_move(event):
            super().mouseMoveEvent(event)

    @guarded()
    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_release(event):
            super().mouseReleaseEvent(event)

    @guarded()
    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_double_click(event):
            super().mouseDoubleClickEvent(event)

    @guarded()
    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        """A right click on an item selects it (unless it is part of the selection) and asks for its menu."""
        item = self.item_at(event.scenePos(), (NodeItem, FlowItem, LinkItem))
        if not isinstance(item, DiagramItem):
            return
        if not item.isSelected():
            self.select_keys([item.key])
        self.sigContextMenu.emit(self.selected_keys(), event.screenPos())
        event.accept()

    @guarded()
    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(bool(neural.component_paths(event.mimeData())))

    @guarded()
    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(bool(neural.component_paths(event.mimeData())))

    @guarded()
    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        paths = neural.component_paths(event.mimeData())
        handler = self._default_interaction
        event.setAccepted(bool(paths) and handler is not None and handler.drop_files(paths, event.scenePos()))

    @guarded()
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.interaction is None or not self.interaction.key_press(event):
            super().keyPressEvent(event)

    @guarded()
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, style.CANVAS)
        painter.setPen(QPen(style.GRID, 0))
        x = math.floor(rect.left() / GRID_STEP) * GRID_STEP
        while x < rect.right():
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += GRID_STEP
        y = math.floor(rect.top() / GRID_STEP) * GRID_STEP
        while y < rect.bottom():
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += GRID_STEP
