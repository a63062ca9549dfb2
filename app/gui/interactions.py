"""Editing modes of the diagram, one object each (select/move, create, connect, resize, re-attach, bend,
rename). The scene hands them its mouse and key events; they turn finished gestures into commands."""

from __future__ import annotations

import dataclasses
import math

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent, QPen, QTextCursor
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsSceneMouseEvent, QGraphicsTextItem

from app.gui import geometry, neural, style
from app.gui.guard import guarded
from app.gui.items import AuxItem, FlowItem, Handle, LinkItem, NodeItem, NoteItem, StockItem
from app.gui.scene import DiagramScene
from metamodel.commands import AddElement, Command, ConnectFlow, Rename, SetLink, SetNote, SetShape
from metamodel.elements import Aux, Block, Flow, Module, Part, Stock, Variable
from metamodel.errors import SalverError
from metamodel.model import Model
from metamodel.views import Link, Note, Shape, arc_angle

CLICK_DISTANCE = 6.0
DEFAULT_FLOW_LENGTH = 150.0
MIN_SIZE = (24.0, 18.0)

_NEW_VARIABLES: dict[str, tuple[type[Variable], str, str]] = {
    "stock": (Stock, "Stock", ""),
    "flow": (Flow, "Flow", ""),
    "aux": (Aux, "Variable", ""),
    "parameter": (Aux, "Parameter", "1"),
}


def unique_name(model: Model, base: str) -> str:
    """``base 1``, ``base 2`` … : the first name no element uses yet."""
    n = 1
    while model.find(f"{base} {n}") is not None:
        n += 1
    return f"{base} {n}"


def new_variable(model: Model, kind: str) -> Variable:
    """A fresh stock, flow, auxiliary or parameter with a unique name."""
    cls, base, equation = _NEW_VARIABLES[kind]
    name = unique_name(model, base)
    return cls(id=model.new_id(name), name=name, equation=equation)


def unique_key(existing: object, base: str) -> str:
    n = 1
    while f"{base}_{n}" in existing:  # type: ignore[operator]
        n += 1
    return f"{base}_{n}"


def _p(pos: QPointF) -> geometry.Point:
    return pos.x(), pos.y()


def _descendants(item: NodeItem) -> list[NodeItem]:
    found = []
    for child in item.childItems():
        if isinstance(child, NodeItem):
            found += [child, *_descendants(child)]
    return found


class Interaction:
    """Base: an editing mode with start/end/cancel and mouse and key hooks that return True when used."""

    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, scene: DiagramScene) -> None:
        self.scene = scene
        self.document = scene.document

    def start(self) -> None:
        for view in self.scene.views():
            view.viewport().setCursor(self.cursor)

    def end(self) -> None:
        """Finish: clean up and give the scene back to the select interaction."""
        self.cleanup()
        if self.scene.interaction is self:
            self.scene.set_interaction(None)

    def cancel(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Remove temporary items."""

    def push(self, commands: list[Command], text: str) -> bool:
        """Apply the edit as one undo step; a refused edit is shown in the status bar."""
        try:
            self.document.push(commands, text)
        except (ValueError, KeyError, TypeError) as exc:
            self.scene.sigStatus.emit(f"{text}: {exc}")
            return False
        return True

    def push_then_rename(self, commands: list[Command], text: str, key: str) -> None:
        """Apply the edit that adds ``key``; once applied, leave this mode and edit its name in place."""
        if self.push(commands, text):
            self.cleanup()
            start_rename(self.scene, key)  # ends this mode; a kept tool comes back after the rename

    def refuse(self, message: str) -> bool:
        """Say in the status bar why the gesture did nothing and leave this mode."""
        self.scene.sigStatus.emit(message)
        self.end()
        return True

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def mouse_double_click(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def drop_files(self, paths: list[str], pos: QPointF) -> bool:
        """Files dropped on the canvas at ``pos``; True when they were used."""
        return False

    def key_press(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Escape and self.scene.interaction is self:
            self.scene.sticky = self.scene.shift_sticky = None
            self.end()
            return True
        return False


class SelectInteraction(Interaction):
    """The default mode: select (click, rubber band), move (one command on release), grab handles."""

    def __init__(self, scene: DiagramScene) -> None:
        super().__init__(scene)
        self._start: dict[NodeItem, QPointF] = {}
        self._flows: list[FlowItem] = []

    def key_press(self, event: QKeyEvent) -> bool:
        return False

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        if event.button() == Qt.MouseButton.LeftButton:
            handle = next((i for i in self.scene.items(event.scenePos())
                           if isinstance(i, Handle) and i.isVisible()), None)
            if handle is not None:
                started = self._for_handle(handle)
                self.scene.set_interaction(started)
                event.accept()
                return started.mouse_press(event)
        self.scene.default_mouse_press(event)
        selected = [item for item in self.scene.selectedItems() if isinstance(item, NodeItem)]
        # parts inside a moved block move with it: their scene positions are recorded too
        inside = [child for item in selected for child in _descendants(item)]
        self._start = {item: item.scenePos() for item in [*selected, *inside]}
        self._flows = [item for item in self.scene.selectedItems() if isinstance(item, FlowItem)]
        return True

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        self.scene.default_mouse_move(event)
        offset = self._offset()
        if offset is not None:
            for flow in self._flows:
                flow.set_geometry(*self.scene.flow_points(flow.key, offset=offset))
        return True

    def _offset(self) -> geometry.Point | None:
        """How far the dragged nodes have moved (``None`` when nothing moves)."""
        for item, before in self._start.items():
            if item.scene() is self.scene and item.isSelected():
                delta = item.scenePos() - before
                return (delta.x(), delta.y()) if not delta.isNull() else None
        return None

    def _for_handle(self, handle: Handle) -> Interaction:
        parent = handle.parentItem()
        if handle.role == "resize" and isinstance(parent, NodeItem):
            return ResizeInteraction(self.scene, parent)
        if handle.role == "flow_end" and isinstance(parent, FlowItem):
            return FlowEndInteraction(self.scene, parent, handle.end)
        assert isinstance(parent, LinkItem)
        return LinkCurveInteraction(self.scene, parent)

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        self.scene.default_mouse_release(event)
        offset = self._offset()
        moved = {item: item.scenePos() for item, before in self._start.items()
                 if item.scene() is self.scene and item.scenePos() != before}
        commands = [self._move_command(item, pos) for item, pos in moved.items()]
        if offset is not None:
            commands += [self._shift_flow(flow.key, offset) for flow in self._flows if flow.scene() is self.scene]
        self._start, self._flows = {}, []
        if any(commands):
            self.push([c for c in commands if c is not None], "move")
        return True

    def _shift_flow(self, flow_id: str, offset: geometry.Point) -> Command | None:
        shape = self.scene.view.shapes.get(flow_id)
        if shape is None:
            return None
        dx, dy = offset
        return SetShape(self.scene.view_id, flow_id, dataclasses.replace(
            shape, x=shape.x + dx, y=shape.y + dy, points=[(x + dx, y + dy) for x, y in shape.points]))

    def _move_command(self, item: NodeItem, pos: QPointF) -> Command | None:
        view = self.scene.view
        if isinstance(item, NoteItem):
            note = view.notes.get(item.key)
            return SetNote(view.id, item.key, dataclasses.replace(note, x=pos.x(), y=pos.y())) if note else None
        shape = view.shapes.get(item.key)
        if shape is None:
            return None
        return SetShape(view.id, item.key, dataclasses.replace(shape, x=pos.x(), y=pos.y()))

    def drop_files(self, paths: list[str], pos: QPointF) -> bool:
        """Each dropped ``.onnx`` (``.fmu``) file becomes a neural (FMU) component, one undo step per file."""
        used = False
        for index, path in enumerate(paths):
            at = (pos.x() + 30 * index, pos.y() + 30 * index)
            try:
                command = neural.add_component_command(self.document.model, self.scene.view_id, path, at,
                                                       self.document.path)
            except SalverError as exc:
                self.scene.sigStatus.emit(f"Cannot add {path}: {exc}")
                continue
            used = self.push([command], f"add {command.element.name}") or used
        return used

    def mouse_double_click(self, event: QGraphicsSceneMouseEvent) -> bool:
        """Open a part (its type's internal view) or a module (its model); rename anything else."""
        item = self.scene.item_at(event.scenePos(), (NodeItem, FlowItem))
        if item is None:
            return False
        element = self.document.model.get(item.key)  # type: ignore[union-attr]
        if isinstance(element, Module) or (isinstance(element, Part) and element.type
                                           and isinstance(self.document.model.get(element.type), Block)):
            self.scene.sigOpen.emit(element.id)
            return True
        self.scene.set_interaction(RenameInteraction(self.scene, item))  # type: ignore[arg-type]
        return True


class PressInteraction(Interaction):
    """Base of the modes that act on a left-button press at a scene position (``press``)."""

    cursor = Qt.CursorShape.CrossCursor

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        event.accept()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.scene.shift_sticky = self.again()
        self.press(event.scenePos())
        return True

    def again(self):  # noqa: ANN201 - a factory of this mode
        """A factory that starts this mode afresh (a tool kept after a placement)."""
        return type(self)

    def press(self, pos: QPointF) -> None:
        """Act on a left-button press at ``pos``."""
        raise NotImplementedError


class CreateNodeInteraction(PressInteraction):
    """Click on the canvas to place a stock, an auxiliary or a parameter, then type its name."""

    def __init__(self, scene: DiagramScene, kind: str) -> None:
        super().__init__(scene)
        self.kind = kind

    def again(self):  # noqa: ANN201
        kind = self.kind
        return lambda scene: CreateNodeInteraction(scene, kind)

    def press(self, pos: QPointF) -> None:
        element = new_variable(self.document.model, self.kind)
        size = geometry.STOCK_SIZE if self.kind == "stock" else geometry.AUX_SIZE
        shape = Shape(pos.x(), pos.y(), *size)
        self.push_then_rename([AddElement(element, self.scene.view_id, shape)], f"add {element.name}", element.id)


class CreateNoteInteraction(PressInteraction):
    """Click to place a text note, then type its text."""

    cursor = Qt.CursorShape.IBeamCursor

    def press(self, pos: QPointF) -> None:
        key = unique_key(self.scene.view.notes, "note")
        note = Note("Note", pos.x(), pos.y(), *geometry.NOTE_SIZE)
        self.push_then_rename([SetNote(self.scene.view_id, key, note)], "add note", key)


class DragLine(PressInteraction):
    """Shared rubber line of the press-drag-release gestures (new flow, link, connector)."""

    def __init__(self, scene: DiagramScene) -> None:
        super().__init__(scene)
        self.line: QGraphicsLineItem | None = None
        self.origin = QPointF()

    def _begin_line(self, pos: QPointF) -> None:
        self.origin = pos
        self.line = QGraphicsLineItem(pos.x(), pos.y(), pos.x(), pos.y())
        pen = QPen(style.SELECTION, 1.5, Qt.PenStyle.DashLine)
        self.line.setPen(pen)
        self.line.setZValue(20)
        self.scene.addItem(self.line)

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self.line is not None:
            self.line.setLine(self.origin.x(), self.origin.y(), event.scenePos().x(), event.scenePos().y())
        return True

    def cleanup(self) -> None:
        if self.line is not None:
            self.scene.retire(self.line)
        self.line = None


class CreateFlowInteraction(DragLine):
    """Press on a stock or the canvas, drag, release on a stock or the canvas: a flow between them
    (unattached ends get clouds). A plain click makes a flow between two clouds."""

    def __init__(self, scene: DiagramScene) -> None:
        super().__init__(scene)
        self.source: str | None = None

    def press(self, pos: QPointF) -> None:
        item = self.scene.item_at(pos, (StockItem,))
        self.source = item.key if isinstance(item, StockItem) else None
        self._begin_line(pos)

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self.line is None:
            return False
        start, stop = _p(self.origin), _p(event.scenePos())
        target_item = self.scene.item_at(event.scenePos(), (StockItem,))
        target = target_item.key if isinstance(target_item, StockItem) else None
        if math.dist(start, stop) < CLICK_DISTANCE:
            stop, target = (start[0] + DEFAULT_FLOW_LENGTH, start[1]), None
        if target == self.source:
            target = None
        if self.source is not None:
            start = self.scene.nodes[self.source].anchor()
        if target is not None:
            stop = self.scene.nodes[target].anchor()
        flow = new_variable(self.document.model, "flow")
        middle = geometry.midpoint([start, stop])
        commands: list[Command] = [AddElement(flow, self.scene.view_id, Shape(*middle, points=[start, stop]))]
        if self.source is not None:
            commands.append(ConnectFlow(flow.id, self.source, "from"))
        if target is not None:
            commands.append(ConnectFlow(flow.id, target, "to"))
        self.cleanup()
        self.push_then_rename(commands, f"add {flow.name}", flow.id)
        return True


class CreateLinkInteraction(DragLine):
    """Press on a variable, drag to another, release: an influence link, gently curved."""

    BEND = 20.0

    def __init__(self, scene: DiagramScene) -> None:
        super().__init__(scene)
        self.source: str | None = None

    def press(self, pos: QPointF) -> None:
        item = self.scene.item_at(pos, (StockItem, AuxItem, FlowItem))
        if item is None:
            self.scene.sigStatus.emit("A link starts on a stock, flow or variable")
            return
        self.source = item.key  # type: ignore[attr-defined]
        self._begin_line(pos)

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self.line is None or self.source is None:
            return True
        item = self.scene.item_at(event.scenePos(), (StockItem, AuxItem, FlowItem))
        target = item.key if item is not None else None  # type: ignore[attr-defined]
        self.cleanup()
        if target is None or target == self.source:
            return self.refuse("A link ends on another stock, flow or variable")
        a = self.scene.anchor_item(self.source).anchor()  # type: ignore[union-attr]
        b = self.scene.anchor_item(target).anchor()  # type: ignore[union-attr]
        angle = math.degrees(math.atan2(-(b[1] - a[1]), b[0] - a[0])) + self.BEND
        key = unique_key(self.scene.view.links, "link")
        self.push([SetLink(self.scene.view_id, key, Link(self.source, target, angle))], "add link")
        self.end()
        return True


class ResizeInteraction(Interaction):
    """Drag a node's corner handle; the new size is one command on release."""

    def __init__(self, scene: DiagramScene, item: NodeItem) -> None:
        super().__init__(scene)
        self.item = item
        self.original = item.size

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        return True

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        centre = self.item.pos()
        width = max(MIN_SIZE[0], 2 * abs(event.scenePos().x() - centre.x()))
        height = max(MIN_SIZE[1], 2 * abs(event.scenePos().y() - centre.y()))
        self.item.set_size((width, height))
        self.scene.refresh_edges({self.item.key})
        return True

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        width, height = self.item.size
        view = self.scene.view
        command: Command | None = None
        if isinstance(self.item, NoteItem):
            note = view.notes.get(self.item.key)
            if note is not None:
                command = SetNote(view.id, self.item.key, dataclasses.replace(note, width=width, height=height))
        elif self.item.key in view.shapes:
            shape = view.shapes[self.item.key]
            command = SetShape(view.id, self.item.key, dataclasses.replace(shape, width=width, height=height))
        if command is not None and self.item.size != self.original:
            self.push([command], "resize")
        self.end()
        return True

    def cancel(self) -> None:
        self.item.set_size(self.original)
        self.scene.refresh_edges({self.item.key})


class FlowEndInteraction(Interaction):
    """Drag one end of a flow: dropped on a stock it attaches there, elsewhere it becomes a cloud."""

    def __init__(self, scene: DiagramScene, item: FlowItem, end: str) -> None:
        super().__init__(scene)
        self.item = item
        self.end_name = end

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        return True

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        self.item.set_geometry(*self.scene.flow_points(self.item.key, {self.end_name: _p(event.scenePos())}))
        return True

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        flow_id = self.item.key
        stock_item = self.scene.item_at(event.scenePos(), (StockItem,))
        stock = stock_item.key if isinstance(stock_item, StockItem) else None
        other = self.scene.flow_ends(flow_id)[1 if self.end_name == "from" else 0]
        if stock is not None and stock == other:
            return self.refuse("A flow cannot drain and fill the same stock")
        point = self.scene.nodes[stock].anchor() if stock is not None else _p(event.scenePos())
        shape = self.scene.view.shapes[flow_id]
        points, _clouds = self.scene.flow_points(flow_id)
        points = [points[0], *shape.points[1:-1], points[-1]]
        points[0 if self.end_name == "from" else -1] = point
        new_shape = dataclasses.replace(shape, x=geometry.midpoint(points)[0], y=geometry.midpoint(points)[1],
                                        points=points)
        self.push([ConnectFlow(flow_id, stock, self.end_name), SetShape(self.scene.view_id, flow_id, new_shape)],
                  "attach flow" if stock else "detach flow")
        self.end()
        return True

    def cancel(self) -> None:
        self.scene.refresh_edges({self.item.key})


class LinkCurveInteraction(Interaction):
    """Drag the middle of a link to bend it; the new angle is one command on release."""

    def __init__(self, scene: DiagramScene, item: LinkItem) -> None:
        super().__init__(scene)
        self.item = item
        self.link = scene.view.links[item.key]
        self.angle = self.link.angle

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        return True

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        a = self.scene.anchor_item(self.link.source)
        b = self.scene.anchor_item(self.link.target)
        if a is None or b is None:
            return True
        self.angle = arc_angle(a.anchor(), _p(event.scenePos()), b.anchor())
        points = self.scene.link_points(self.link.source, self.link.target, self.angle)
        if points is not None:
            self.item.set_geometry(points)
        return True

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self.angle != self.link.angle:
            bent = dataclasses.replace(self.link, angle=self.angle, points=[])
            self.push([SetLink(self.scene.view_id, self.item.key, bent)], "bend link")
        self.end()
        return True

    def cancel(self) -> None:
        self.scene.refresh_edges({self.link.source})


class _InlineEditor(QGraphicsTextItem):
    """The text field of the rename interaction; loses focus -> commit."""

    def __init__(self, text: str, on_focus_out) -> None:  # noqa: ANN001 - a plain callback
        super().__init__(text)
        self.on_focus_out = on_focus_out
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextEditorInteraction)
        self.setFont(style.label_font(9))
        self.setZValue(30)
        self.setDefaultTextColor(style.INK)

    @guarded()
    def paint(self, painter, option, widget=None) -> None:  # noqa: ANN001 - Qt signature
        painter.setPen(QPen(style.SELECTION, 1))
        painter.setBrush(Qt.GlobalColor.white)
        painter.drawRect(self.boundingRect())
        super().paint(painter, option, widget)

    @guarded()
    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.on_focus_out()


class RenameInteraction(Interaction):
    """Edit a name (or a note's text) in place: Enter commits, Escape cancels, clicking away commits."""

    def __init__(self, scene: DiagramScene, item: NodeItem | FlowItem) -> None:
        super().__init__(scene)
        self.item = item
        self.is_note = isinstance(item, NoteItem)
        self.editor: _InlineEditor | None = None
        self.done = False

    def start(self) -> None:
        super().start()
        rect = self.item.mapRectToScene(self.item.label_rect()) if not isinstance(self.item, FlowItem) \
            else self.item.label_rect()
        self.editor = _InlineEditor(self.item.label, self.commit)
        self.editor.setTextWidth(max(rect.width(), 80.0))
        self.editor.setPos(rect.left(), rect.top())
        self.scene.addItem(self.editor)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        cursor = self.editor.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        self.editor.setTextCursor(cursor)

    def key_press(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                self.is_note and event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.commit()
            return True
        if event.key() == Qt.Key.Key_Escape:
            self.done = True
            self.end()
            return True
        return False

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        if self.editor is not None and self.editor.sceneBoundingRect().contains(event.scenePos()):
            return False
        self.commit()
        interaction = self.scene.interaction
        return interaction.mouse_press(event) if interaction is not None and interaction is not self else False

    def commit(self) -> None:
        """Apply the typed text as a rename (or note text) once."""
        if self.done or self.editor is None:
            return
        self.done = True
        text = self.editor.toPlainText().strip()
        if text and text != self.item.label:
            if self.is_note:
                note = self.scene.view.notes[self.item.key]
                self.push([SetNote(self.scene.view_id, self.item.key, dataclasses.replace(note, text=text))],
                          "edit note")
            else:
                self._rename(text)
        self.end()

    def _rename(self, name: str) -> None:
        clash = self.document.model.find(name)
        if clash is not None and clash.id != self.item.key:
            self.scene.sigStatus.emit(f"The name {name!r} is already used by another element")
            return
        self.push([Rename(self.item.key, name)], f"rename to {name}")

    def cleanup(self) -> None:
        if self.editor is not None and self.editor.scene() is self.scene:
            editor, self.editor = self.editor, None
            editor.on_focus_out = lambda: None
            self.scene.retire(editor)


def start_rename(scene: DiagramScene, key: str) -> None:
    item = scene.item_for(key)
    if isinstance(item, NodeItem | FlowItem):
        scene.select_keys([key])
        scene.set_interaction(RenameInteraction(scene, item))


MODES = {
    "stock": lambda scene: CreateNodeInteraction(scene, "stock"),
    "aux": lambda scene: CreateNodeInteraction(scene, "aux"),
    "parameter": lambda scene: CreateNodeInteraction(scene, "parameter"),
    "flow": CreateFlowInteraction,
    "link": CreateLinkInteraction,
    "note": CreateNoteInteraction,
}

