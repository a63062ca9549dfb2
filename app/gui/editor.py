"""The diagram area: one tab per view of the model, each a scene with its select interaction."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from app.gui import sd_layout
from app.gui.document import Document
from app.gui.interactions import SelectInteraction
from app.gui.modes import start_mode
from app.gui.scene import DiagramScene
from app.gui.view import DiagramView
from metamodel.commands import Macro
from metamodel.model import Model, ModelEvent


class DiagramTabs(QTabWidget):
    """Tabs of ``DiagramView``; ``sigSelection`` carries the selected keys of the current tab."""

    sigSelection = Signal(list)
    sigStatus = Signal(str)
    sigModeEnded = Signal()
    sigContextMenu = Signal(list, QPoint)
    sigOpen = Signal(str)  # a part or module double-clicked in a diagram

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.tabCloseRequested.connect(self.close_tab)
        self.document: Document | None = None
        self.currentChanged.connect(lambda _i: self._emit_selection())

    def set_document(self, document: Document) -> None:
        """Show the views of ``document`` (replacing what was shown); internal views of blocks open when
        asked for (``open_view``)."""
        if self.document is not None:
            self.document.sigChanged.disconnect(self._on_model_event)
        self.document = document
        while self.count():
            self.close_tab(0)
        for view in document.model.views:
            if not view.subject:
                self._add_tab(view.id, view.name)
        document.sigChanged.connect(self._on_model_event)

    def close_tab(self, index: int) -> None:
        """Take a diagram's tab away (the view stays in the model; the browser opens it again)."""
        widget = self.widget(index)
        self.removeTab(index)
        if widget is not None:
            widget.deleteLater()

    def open_view(self, view_id: str) -> bool:
        """Show view ``view_id``, opening a tab for it when it has none."""
        if self.show_view(view_id):
            return True
        view = self.document.model.view(view_id) if self.document is not None else None
        if view is None:
            return False
        self._add_tab(view.id, view.name)
        return self.show_view(view_id)

    def _add_tab(self, view_id: str, name: str) -> None:
        assert self.document is not None
        self._add_scene(self.document, view_id, name)

    def _add_scene(self, document: Document, view_id: str, name: str) -> None:
        scene = DiagramScene(document, view_id)
        scene.set_default_interaction(SelectInteraction(scene))
        scene.selectionChanged.connect(self._emit_selection)
        scene.sigStatus.connect(self.sigStatus)
        scene.sigInteractionEnded.connect(self.sigModeEnded)
        scene.sigContextMenu.connect(self.sigContextMenu)
        scene.sigOpen.connect(self.sigOpen)
        view = DiagramView(scene)
        self.addTab(view, name)

    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind != "view" or self.document is None:
            return
        shown = [self.view_at(i).diagram().view_id for i in range(self.count())
                 if self.view_at(i).diagram().document is self.document]
        existing = {v.id for v in self.document.model.views}
        for index in reversed(range(self.count())):
            scene = self.view_at(index).diagram()
            if scene.document is self.document and scene.view_id not in existing:
                self.close_tab(index)
        for view in self.document.model.views:
            if view.id in event.ids and view.id not in shown:  # a view just added
                self._add_tab(view.id, view.name)

    def show_view(self, view_id: str) -> bool:
        """Make the tab of the document's view ``view_id`` current."""
        for index in range(self.count()):
            scene = self.view_at(index).diagram()
            if scene.document is self.document and scene.view_id == view_id:
                self.setCurrentIndex(index)
                return True
        return False

    def open_module(self, name: str, submodel: Model) -> bool:
        """Show the diagram of a module's model (``submodel``) in a tab of its own, read-only (edits go to
        the model's own file); laid out when the model has no diagram."""
        for index in range(self.count()):
            scene = self.view_at(index).diagram()
            if scene.document.model is submodel:
                self.setCurrentIndex(index)
                return True
        if sd_layout.needs_layout(submodel):
            _view_id, commands = sd_layout.new_stock_flow_view_commands(submodel)
            Macro(commands, "arrange").do(submodel)
        view = submodel.views[0] if submodel.views else None
        if view is None:
            return False
        document = Document(submodel, read_only=True, parent=self)
        document.sigRefused.connect(self.sigStatus)
        self._add_scene(document, view.id, f"{name} (module)")
        self.setCurrentIndex(self.count() - 1)
        return True

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
        """The scenes of the document's views (not those of modules' models)."""
        return [scene for i in range(self.count()) if (scene := self.view_at(i).diagram()).document is self.document]

    def set_mode(self, mode: str, sticky: bool = False) -> None:
        scene = self.current_scene()
        if scene is not None:
            start_mode(scene, mode, sticky)

    def show_element(self, element_id: str) -> bool:
        """Switch to a tab that draws ``element_id``, select it and scroll to it."""
        for index in range(self.count()):
            scene = self.view_at(index).diagram()
            item = scene.item_for(element_id) if scene.document is self.document else None
            if item is not None:
                self.setCurrentIndex(index)
                scene.select_keys([element_id])
                self.view_at(index).centerOn(item.sceneBoundingRect().center())
                return True
        return False

    def _emit_selection(self) -> None:
        scene = self.current_scene()
        self.sigSelection.emit(scene.selected_keys() if scene is not None else [])
