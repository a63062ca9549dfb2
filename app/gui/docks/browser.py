"""The model browser: elements grouped by kind, filtered by a search box."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.gui import style
from app.gui.document import Document
from metamodel.elements import Aux, Element
from metamodel.model import ModelEvent

_ICONS = {"stock": "stock", "flow": "flow", "aux": "aux", "block": "block", "port": "port", "part": "block"}
_TITLES = {"stock": "Stocks", "flow": "Flows", "aux": "Variables", "module": "Modules", "block": "Blocks",
           "part": "Parts", "port": "Ports", "connector": "Connectors", "interface": "Interfaces",
           "requirement": "Requirements", "relation": "Relations", "neural": "Neural components",
           "fmu": "FMU components", "value_type": "Value types", "package": "Packages", "item_flow": "Item flows"}


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
        self.tree.setUniformRowHeights(True)  # an edited row does not lay out the whole tree again
        self.tree.itemDoubleClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.document: Document | None = None
        self._refresh = QTimer(self, singleShot=True, interval=0)
        self._refresh.timeout.connect(self.update_rows)
        self._rows: dict[str, QTreeWidgetItem] = {}
        self._groups: dict[str, QTreeWidgetItem] = {}
        self._pending: set[str] = set()
        self.search.textChanged.connect(lambda _t: self.rebuild())

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.sigChanged.disconnect(self._on_model_event)
        self.document = document
        document.sigChanged.connect(self._on_model_event)
        self.rebuild()

    def _on_model_event(self, event: ModelEvent) -> None:
        self._pending.update(event.ids)
        self._refresh.start()

    def rebuild(self) -> None:
        """Refill the tree from the model and the search text."""
        self.tree.clear()
        self._rows.clear()
        self._groups.clear()
        self._pending.clear()
        if self.document is None:
            return
        for element in self.document.model.elements.values():
            if self._matches(element):
                self._group(self._kind(element)).addChild(self._row(element))

    def update_rows(self) -> None:
        """Bring the rows of the elements edited since the last update (and of any element added or
        removed meanwhile) in line with the model."""
        if self.document is None:
            return
        elements = self.document.model.elements
        touched = self._pending | (self._rows.keys() - elements.keys())
        touched |= {k for k in elements.keys() - self._rows.keys() if self._matches(elements[k])}
        self._pending = set()
        for key in touched:
            element = elements.get(key)
            row = self._rows.get(key)
            wanted = self._kind(element) if element is not None and self._matches(element) else None
            if row is not None and (wanted is None or row.parent() is not self._groups.get(wanted)):
                self._remove(key)
                row = None
            if wanted is None:
                continue
            if row is None:
                self._insert(element, wanted)
            else:
                row.setText(0, element.name or element.id)

    def _matches(self, element: Element) -> bool:
        needle = self.search.text().strip().casefold()
        return not needle or needle in element.name.casefold() or needle in element.id.casefold()

    @staticmethod
    def _kind(element: Element) -> str:
        return "parameter" if isinstance(element, Aux) and element.is_parameter else element.kind

    def _group(self, kind: str) -> QTreeWidgetItem:
        group = self._groups.get(kind)
        if group is None:
            title = "Parameters" if kind == "parameter" else _TITLES.get(kind, kind.title())
            group = self._groups[kind] = QTreeWidgetItem([title])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setIcon(0, style.icon(_ICONS.get(kind, kind)))
            order = list(_TITLES)
            rank = order.index(kind) if kind in order else len(order)
            at = sum(1 for k in self._groups if k != kind and (order.index(k) if k in order else len(order)) <= rank)
            self.tree.insertTopLevelItem(at, group)
            group.setExpanded(True)
        return group

    def _insert(self, element: Element, kind: str) -> None:
        """Add ``element``'s row to its group, in the model's order."""
        group = self._group(kind)
        before = 0
        for other in self.document.model.elements.values() if self.document else ():
            if other.id == element.id:
                break
            if other.id in self._rows and self._rows[other.id].parent() is group:
                before += 1
        row = self._row(element)
        group.insertChild(before, row)

    def _remove(self, key: str) -> None:
        row = self._rows.pop(key)
        group = row.parent()
        group.removeChild(row)
        if group.childCount() == 0:
            kind = next(k for k, g in self._groups.items() if g is group)
            del self._groups[kind]
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(group))

    def _row(self, element: Element) -> QTreeWidgetItem:
        item = self._rows[element.id] = QTreeWidgetItem([element.name or element.id])
        item.setData(0, Qt.ItemDataRole.UserRole, element.id)
        item.setToolTip(0, f"{element.kind} {element.id}")
        return item

    def show_verdicts(self, verdicts: list) -> None:  # list[solvers.verify.RequirementResult]
        """Show each requirement's verdict from the last run beside it: pass, fail or not verified, with the
        first violation (or why it is not verified) in the tooltip."""
        for verdict in verdicts:
            row = self._rows.get(verdict.requirement_id)
            if row is None:
                continue
            row.setText(0, f"{verdict.name or verdict.requirement_id}  [{verdict.status}]")
            lines = [f"{verdict.req_id} {verdict.text}".strip()]
            for check in verdict.checks:
                at = "" if check.passed else f": violated at time {check.time:g}" + (
                    f" (value {check.value:g})" if check.value is not None else "") if check.time is not None else \
                    ": not computed"
                lines.append(f"{check.condition} on {check.instance}{at}")
            if verdict.reason:
                lines.append(verdict.reason)
            row.setToolTip(0, "\n".join(line for line in lines if line))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        element_id = item.data(0, Qt.ItemDataRole.UserRole)
        if element_id:
            self.sigActivated.emit(element_id)
