"""The model browser: elements grouped by kind, filtered by a search box."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.gui import style
from app.gui.document import Document
from metamodel.elements import Aux, Element

_ICONS = {"stock": "stock", "flow": "flow", "aux": "aux", "block": "block", "port": "port", "part": "block"}
_TITLES = {"stock": "Stocks", "flow": "Flows", "aux": "Variables", "module": "Modules", "block": "Blocks",
           "part": "Parts", "port": "Ports", "connector": "Connectors", "interface": "Interfaces",
           "requirement": "Requirements", "relation": "Relations", "neural": "Neural components",
           "value_type": "Value types", "package": "Packages", "item_flow": "Item flows"}


class ModelBrowser(QWidget):
    """Lists the model's elements; ``sigActivated(element_id)`` on double-click."""

    sigActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search elements…")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.itemDoubleClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.document: Document | None = None
        self._refresh = QTimer(self, singleShot=True, interval=0)
        self._refresh.timeout.connect(self.rebuild)
        self.search.textChanged.connect(lambda _t: self.rebuild())

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.sigChanged.disconnect(self._refresh.start)
        self.document = document
        document.sigChanged.connect(self._refresh.start)
        self.rebuild()

    def rebuild(self) -> None:
        """Refill the tree from the model and the search text."""
        self.tree.clear()
        if self.document is None:
            return
        needle = self.search.text().strip().casefold()
        groups: dict[str, QTreeWidgetItem] = {}
        for element in self.document.model.elements.values():
            if needle and needle not in element.name.casefold() and needle not in element.id.casefold():
                continue
            kind = "parameter" if isinstance(element, Aux) and element.is_parameter else element.kind
            group = groups.get(kind)
            if group is None:
                title = "Parameters" if kind == "parameter" else _TITLES.get(kind, kind.title())
                group = groups[kind] = QTreeWidgetItem([title])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setIcon(0, style.icon(_ICONS.get(kind, kind)))
            group.addChild(self._row(element))
        for kind in sorted(groups, key=lambda k: list(_TITLES).index(k) if k in _TITLES else 99):
            self.tree.addTopLevelItem(groups[kind])
            groups[kind].setExpanded(True)

    @staticmethod
    def _row(element: Element) -> QTreeWidgetItem:
        item = QTreeWidgetItem([element.name or element.id])
        item.setData(0, Qt.ItemDataRole.UserRole, element.id)
        item.setToolTip(0, f"{element.kind} {element.id}")
        return item

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        element_id = item.data(0, Qt.ItemDataRole.UserRole)
        if element_id:
            self.sigActivated.emit(element_id)
