"""The model browser: the diagrams, then the elements grouped by kind, filtered by a search box."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.gui import style
from app.gui.block_scene import node_label
from app.gui.document import Document
from metamodel.elements import Aux, Element, Part
from metamodel.model import ModelEvent

DIAGRAMS = "Diagrams"
VIEW_ROLE = Qt.ItemDataRole.UserRole + 1

_ICONS = {"stock": "stock", "flow": "flow", "aux": "aux", "block": "block", "port": "port", "part": "block"}
_TITLES = {"stock": "Stocks", "flow": "Flows", "aux": "Variables", "module": "Modules", "block": "Blocks",
           "part": "Parts", "port": "Ports", "connector": "Connectors", "interface": "Interfaces",
           "requirement": "Requirements", "relation": "Relations", "neural": "Neural components",
           "fmu": "FMU components", "value_type": "Value types", "package": "Packages", "item_flow": "Item flows"}


def display_name(element: Element, model) -> str:  # noqa: ANN001 - Model
    """How the browser names an element: its name; an unnamed part by its type (``: Type``)."""
    if isinstance(element, Part) and not element.name:
        return node_label(model, element)
    return element.name or element.id


class ModelBrowser(QWidget):
    """Lists the model's diagrams and elements; ``sigActivated(element_id)`` and ``sigOpenView(view_id)``
    on double-click."""

    sigActivated = Signal(str)
    sigOpenView = Signal(str)

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
        self._diagrams: QTreeWidgetItem | None = None
        self.search.textChanged.connect(lambda _t: self.rebuild())

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.sigChanged.disconnect(self._on_model_event)
        self.document = document
        document.sigChanged.connect(self._on_model_event)
        self.rebuild()

    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind == "view":
            self._fill_diagrams()
            return
        self._pending.update(event.ids)
        self._refresh.start()

    def rebuild(self) -> None:
        """Refill the tree from the model and the search text."""
        self.tree.clear()
        self._rows.clear()
        self._groups.clear()
        self._pending.clear()
        self._diagrams = None
        if self.document is None:
            return
        self._fill_diagrams()
        for element in self.document.model.elements.values():
            if self._matches(element):
                self._group(self._kind(element)).addChild(self._row(element))

    def _fill_diagrams(self) -> None:
        """The group of diagrams: one row per view (double-click opens it)."""
        if self.document is None:
            return
        if self._diagrams is None:
            self._diagrams = QTreeWidgetItem([DIAGRAMS])
            self._diagrams.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self._diagrams.setIcon(0, style.icon("arrange"))
            self.tree.insertTopLevelItem(0, self._diagrams)
            self._diagrams.setExpanded(True)
        self._diagrams.takeChildren()
        needle = self.search.text().strip().casefold()
        for view in self.document.model.views:
            if not needle or needle in view.name.casefold():
                row = QTreeWidgetItem([view.name])
                row.setData(0, VIEW_ROLE, view.id)
                row.setToolTip(0, f"{'internal view' if view.subject else view.kind.replace('_', '-') + ' view'} "
                                  f"{view.id}")
                self._diagrams.addChild(row)

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
                row.setText(0, display_name(element, self.document.model))

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
            self.tree.insertTopLevelItem(at + (1 if self._diagrams is not None else 0), group)
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
        model = self.document.model if self.document is not None else None
        item = self._rows[element.id] = QTreeWidgetItem([display_name(element, model)])
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
        view_id = item.data(0, VIEW_ROLE)
        if view_id:
            self.sigOpenView.emit(view_id)
            return
        element_id = item.data(0, Qt.ItemDataRole.UserRole)
        if element_id:
            self.sigActivated.emit(element_id)
