"""The diagram scene of one view: listens to the document and keeps one item per shape, link and note.

Mouse and key events go to the current interaction first (``interactions.py``); items never edit the
model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsSceneDragDropEvent, QGraphicsSceneMouseEvent

from app.gui import block_layout, geometry, neural, style
from app.gui.block_items import NeuralItem, PartItem, RequirementItem
from app.gui.block_scene import EDGE_KINDS, BlockLayer, node_label
from app.gui.document import Document
from app.gui.geometry import Point
from app.gui.items import AuxItem, BlockItem, DiagramItem, FlowItem, LinkItem, NodeItem, NoteItem, StockItem
from metamodel.elements import Aux, Element, Flow, NeuralComponent, Part, Requirement, Stock, Variable
from metamodel.model import ModelEvent
from metamodel.views import Shape, View

SCENE_MARGIN = 400.0
GRID_STEP = 100
PIPE_LINK_BEND = 40.0  # degrees: a link along its own flow's pipe is drawn bent by this much


def node_size(element: Element, shape: Shape) -> tuple[float, float]:
    """The drawn size of an element's shape (defaults by kind when the view gives none)."""
    if isinstance(element, Stock):
        default = geometry.STOCK_SIZE
    elif isinstance(element, Variable):
        default = geometry.AUX_SIZE
    else:
        default = block_layout.node_size(element)
    return (shape.width or default[0], shape.height or default[1])


def node_class(element: Element) -> type[NodeItem]:
    """The item class that draws ``element`` as a node."""
    for kind, cls in ((Stock, StockItem), (Variable, AuxItem), (Part, PartItem), (Requirement, RequirementItem),
                      (NeuralComponent, NeuralItem)):
        if isinstance(element, kind):
            return cls
    return BlockItem


class DiagramScene(QGraphicsScene):
    """Shows ``document``'s view ``view_id`` and routes user input to interactions."""

    sigInteractionEnded = Signal()
    sigStatus = Signal(str)

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
        self.blocks = BlockLayer(self)
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
        if self.document.model.view(self.view_id) is not None:
            self.sync()

    def sync(self) -> None:
        """Bring the items in line with the model's view (create, update, remove)."""
        self._syncing = True
        try:
            model, view = self.document.model, self.view
            seen_nodes: set[str] = set()
            seen_flows: set[str] = set()
            drawn = [(model.get(key), shape) for key, shape in view.shapes.items()]
            # parts after the blocks that hold them: a part item is a child of its owner's item
            drawn.sort(key=lambda pair: isinstance(pair[0], Part))
            for element, shape in drawn:
                if element is None or isinstance(element, EDGE_KINDS):
                    continue
                if isinstance(element, Flow):
                    seen_flows.add(element.id)
                    self._flow_item(element.id).set_label(element.name)
                    continue
                seen_nodes.add(element.id)
                item = self._node_item(element, shape)
                parent = self.nodes.get(element.owner or "") if isinstance(element, Part) else None
                if item.parentItem() is not parent:
                    item.setParentItem(parent)
                item.set_state((shape.x, shape.y), node_size(element, shape), node_label(model, element))
                if isinstance(item, AuxItem):
                    item.set_parameter(isinstance(element, Aux) and element.is_parameter)
            for note_id, note in view.notes.items():
                item = self.notes.get(note_id)
                if item is None:
                    item = self.notes[note_id] = NoteItem(note_id, geometry.NOTE_SIZE)
                    self.addItem(item)
                item.set_state((note.x, note.y), (note.width or geometry.NOTE_SIZE[0],
                                                  note.height or geometry.NOTE_SIZE[1]), note.text)
            for link_id in view.links:
                if link_id not in self.links:
                    self.links[link_id] = LinkItem(link_id)
                    self.addItem(self.links[link_id])
            self._drop(self.nodes, seen_nodes)
            self._drop(self.flows, seen_flows)
            self._drop(self.notes, set(view.notes))
            self._drop(self.links, set(view.links))
            self.blocks.sync()
        finally:
            self._syncing = False
        self.refresh_edges()
        self._grow_rect()

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
        if item.scene() is self:
            self.removeItem(item)

    def _flow_item(self, flow_id: str) -> FlowItem:
        item = self.flows.get(flow_id)
        if item is None:
            item = self.flows[flow_id] = FlowItem(flow_id)
            self.addItem(item)
        return item

    def _drop(self, items: dict[str, DiagramItem], keep: set[str]) -> None:
        for key in [k for k in items if k not in keep]:
            self._remove_node(items.pop(key))

    def _grow_rect(self) -> None:
        bounds = self.itemsBoundingRect().adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN)
        if not self.sceneRect().contains(bounds):
            self.setSceneRect(self.sceneRect().united(bounds))

    # -- edge geometry ------------------------------------------------------------------------------
    def flow_ends(self, flow_id: str) -> tuple[str | None, str | None]:
        """The stocks a flow drains (``from``) and fills (``to``), when they are drawn in this view."""
        source = target = None
        for stock in self.document.model.of_kind(Stock):
            if flow_id in stock.outflows and stock.id in self.nodes:
                source = stock.id
            if flow_id in stock.inflows and stock.id in self.nodes:
                target = stock.id
        return source, target

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
        """The drawn arc of a link between two drawn items, clipped at their outlines."""
        source, target = self.anchor_item(source_id), self.anchor_item(target_id)
        if source is None or target is None:
            return None
        if angle is None and self._along_pipe(source_id, target_id):
            (ax, ay), (bx, by) = source.anchor(), target.anchor()
            angle = math.degrees(math.atan2(-(by - ay), bx - ax)) + PIPE_LINK_BEND
        arc = geometry.arc_points(source.anchor(), target.anchor(), angle)
        return geometry.clip_path(arc, source.contains_scene_point, target.contains_scene_point)

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
        for flow_id, item in self.flows.items():
            if touched is None or flow_id in touched or touched & set(self.flow_ends(flow_id)):
                item.set_geometry(*self.flow_points(flow_id))
        for link_id, item in self.links.items():
            link = self.view.links.get(link_id)
            if link is None:
                continue
            if touched is not None and not touched & {link.source, link.target, *self._flows_of(touched)}:
                continue
            points = self.link_points(link.source, link.target, link.angle)
            item.setVisible(points is not None)
            if points is not None:
                item.set_geometry(points)
        self.blocks.refresh()

    def _flows_of(self, ids: set[str]) -> set[str]:
        return {f for f in self.flows if set(self.flow_ends(f)) & ids}

    def node_moved(self, item: NodeItem) -> None:
        """A node is being dragged: redraw the edges attached to it."""
        if not self._syncing and not isinstance(item, NoteItem):
            self.refresh_edges({item.key})

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
        """Install ``interaction`` (``None``: back to selecting); the previous one is cancelled."""
        previous = self.interaction
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

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_move(event):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_release(event):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.interaction is None or not self.interaction.mouse_double_click(event):
            super().mouseDoubleClickEvent(event)

    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(bool(neural.onnx_paths(event.mimeData())))

    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(bool(neural.onnx_paths(event.mimeData())))

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        paths = neural.onnx_paths(event.mimeData())
        handler = self._default_interaction
        event.setAccepted(bool(paths) and handler is not None and handler.drop_files(paths, event.scenePos()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.interaction is None or not self.interaction.key_press(event):
            super().keyPressEvent(event)

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
