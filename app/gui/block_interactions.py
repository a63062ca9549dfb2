"""Editing modes of block diagrams: place blocks (and parts inside blocks), add ports by clicking a
border, draw connectors from port to port. Each finished gesture is one undoable command."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsSceneMouseEvent

from app.gui.block_items import NeuralItem, PartItem, PortItem, RequirementItem
from app.gui.block_layout import BLOCK_SIZE, PART_SIZE, snap_to_border
from app.gui.interactions import DragLine, PressInteraction, unique_name
from app.gui.items import BlockItem
from metamodel.commands import AddElement
from metamodel.elements import Block, Connector, ConnectorEnd, Part, Port
from metamodel.views import Shape

BORDER_TOLERANCE = 10.0


def _blocks_at(scene, pos: QPointF) -> list[BlockItem]:  # noqa: ANN001 - DiagramScene
    """Block and part boxes under ``pos`` (topmost first; requirements and neural components excluded)."""
    return [i for i in scene.items(pos) if isinstance(i, BlockItem)
            and not isinstance(i, RequirementItem | NeuralItem)]


class CreateBlockInteraction(PressInteraction):
    """Click on the canvas to place a block, or inside a block to give it a part; then type its name."""

    def press(self, pos: QPointF) -> None:
        model = self.document.model
        owner = next((i for i in _blocks_at(self.scene, pos) if not isinstance(i, PartItem)), None)
        if owner is None:
            name = unique_name(model, "Block")
            element = Block(id=model.new_id(name), name=name)
            shape = Shape(pos.x(), pos.y(), *BLOCK_SIZE)
        else:
            name = unique_name(model, "part")
            element = Part(id=model.new_id(name), name=name, owner=owner.key)
            shape = Shape(pos.x(), pos.y(), *PART_SIZE)
        self.push_then_rename([AddElement(element, self.scene.view_id, shape)], f"add {name}", element.id)


class CreatePortInteraction(PressInteraction):
    """Click on a block's (or part's) border to add a port there: on the left an input, on the right an
    output, above or below an in-out port. A part's port belongs to the block that types it."""

    def press(self, pos: QPointF) -> None:
        near = [i for i in self.scene.items(pos.x() - BORDER_TOLERANCE, pos.y() - BORDER_TOLERANCE,
                                            2 * BORDER_TOLERANCE, 2 * BORDER_TOLERANCE,
                                            Qt.ItemSelectionMode.IntersectsItemShape,
                                            Qt.SortOrder.DescendingOrder)
                if isinstance(i, BlockItem) and not isinstance(i, RequirementItem | NeuralItem)]
        for item in near:
            local = item.mapFromScene(pos)
            w, h = item.size
            gap = min(w / 2 - abs(local.x()), h / 2 - abs(local.y()))
            if abs(gap) <= BORDER_TOLERANCE and abs(local.x()) <= w / 2 + BORDER_TOLERANCE \
                    and abs(local.y()) <= h / 2 + BORDER_TOLERANCE:
                self._add_port(item, snap_to_border(local.x() / w, local.y() / h))
                return
        self.scene.sigStatus.emit("Click on the border of a block to add a port")

    def _add_port(self, item: BlockItem, fraction: tuple[float, float]) -> None:
        model = self.document.model
        owner = item.key
        if isinstance(item, PartItem):
            part = model.get(item.key)
            if not isinstance(part, Part) or not isinstance(model.get(part.type or ""), Block):
                self.scene.sigStatus.emit("A port on a part needs the part to be typed by a block")
                return
            owner = part.type  # type: ignore[assignment]
        direction = "in" if fraction[0] == -0.5 else "out" if fraction[0] == 0.5 else "inout"
        name = unique_name(model, "port")
        port = Port(id=model.new_id(name), name=name, owner=owner, direction=direction)
        if self.push([AddElement(port, self.scene.view_id, Shape(*fraction))], f"add {name}"):
            self.end()


class CreateConnectorInteraction(DragLine):
    """Press on a port, drag to another port, release: a connector between them."""

    def __init__(self, scene) -> None:  # noqa: ANN001 - DiagramScene
        super().__init__(scene)
        self.source: PortItem | None = None

    def _port_at(self, pos: QPointF) -> PortItem | None:
        return next((i for i in self.scene.items(pos) if isinstance(i, PortItem)), None)

    def press(self, pos: QPointF) -> None:
        self.source = self._port_at(pos)
        if self.source is None or self.source.element_id is None:
            self.source = None
            self.scene.sigStatus.emit("A connector starts on a port")
            return
        self._begin_line(pos)

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self.line is None or self.source is None:
            return True
        target = self._port_at(event.scenePos())
        self.cleanup()
        if target is None or target.element_id is None or target is self.source:
            return self.refuse("A connector ends on another port")
        model = self.document.model
        ends = [self._end(self.source), self._end(target)]
        owner = next((model.elements[e.part_with_port].owner for e in ends if e.part_with_port), None)
        name = unique_name(model, "connector")
        connector = Connector(id=model.new_id(name), name="", owner=owner, ends=ends)
        self.push([AddElement(connector, self.scene.view_id, Shape())], "add connector")
        self.end()
        return True

    def _end(self, port: PortItem) -> ConnectorEnd:
        host = self.document.model.get(port.host.key)
        return ConnectorEnd(role=port.element_id, part_with_port=host.id if isinstance(host, Part) else None)


MODES = {
    "block": CreateBlockInteraction,
    "port": CreatePortInteraction,
    "connector": CreateConnectorInteraction,
}
