"""The diagram area: one tab per view of the model, each a scene with its select interaction."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from app.gui.document import Document
from app.gui.interactions import SelectInteraction
from app.gui.modes import start_mode
from app.gui.scene import DiagramScene
from app.gui.view import DiagramView
from metamodel.model import ModelEvent


class DiagramTabs(QTabWidget):
    """Tabs of ``DiagramView``; ``sigSelection`` carries the selected keys of the current tab."""

    sigSelection = Signal(list)
    sigStatus = Signal(str)
    sigModeEnded = Signal()
    sigContextMenu = Signal(list, QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.document: Document | None = None
        self.currentChanged.connect(lambda _i: self._emit_selection())

    def set_document(self, document: Document) -> None:
        """Show the views of ``document`` (replacing what was shown)."""
        if self.document is not None:
            self.document.sigChanged.disconnect(self._on_model_event)
        self.document = document
        while self.count():
            widget = self.widget(0)
            self.removeTab(0)
            widget.deleteLater()
        for view in document.model.views:
            self._add_tab(view.id, view.name)
        document.sigChanged.connect(self._on_model_event)

    def _add_tab(self, view_id: str, name: str) -> None:
        assert self.document is not None
        scene = DiagramScene(self.document, view_id)
        scene.set_default_interaction(SelectInteraction(scene))
        scene.selectionChanged.connect(self._emit_selection)
        scene.sigStatus.connect(self.sigStatus)
        scene.sigInteractionEnded.connect(self.sigModeEnded)
        scene.sigContextMenu.connect(self.sigContextMenu)
        view = DiagramView(scene)
        self.addTab(view, name)

    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind != "view" or self.document is None:
            return
        shown = [self.view_at(i).diagram().view_id for i in range(self.count())]
        existing = {v.id for v in self.document.model.views}
        for index in reversed(range(self.count())):
            if shown[index] not in existing:
                self.removeTab(index)
        for view in self.document.model.views:
            if view.id not in shown:
                self._add_tab(view.id, view.name)

    def show_view(self, view_id: str) -> bool:
        """Make the tab of view ``view_id`` current."""
        for index in range(self.count()):
            if self.view_at(index).diagram().view_id == view_id:
                self.setCurrentIndex(index)
                return True
        return False

    def view_at(self, index: int) -> DiagramView:
        widget = self.widget(index)
        assert isinstance(widget, DiagramView)
        return widget

    def current_view(self) -> DiagramView | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, DiagramView) else None

    def current_scene(self) -> DiagramScene | None:
        view = self.current_view()
        return view.diagram() if view is not None else None

    def scenes(self) -> list[DiagramScene]:
        return [self.view_at(i).diagram() for i in range(self.count())]

    def set_mode(self, mode: str, sticky: bool = False) -> None:
        scene = self.current_scene()
        if scene is not None:
            start_mode(scene, mode, sticky)

    def show_element(self, element_id: str) -> bool:
        """Switch to a tab that draws ``element_id``, select it and scroll to it."""
        for index in range(self.count()):
            scene = self.view_at(index).diagram()
            item = scene.item_for(element_id)
            if item is not None:
                self.setCurrentIndex(index)
                scene.select_keys([element_id])
                self.view_at(index).centerOn(item.sceneBoundingRect().center())
                return True
        return False

    def _emit_selection(self) -> None:
        scene = self.current_scene()
        self.sigSelection.emit(scene.selected_keys() if scene is not None else [])
