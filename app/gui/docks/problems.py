"""The problems panel: the validator's findings with severity icons; double-click shows the element."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.gui import style


class ProblemsPanel(QWidget):
    """A table of diagnostics; ``sigActivated(element_id)`` on double-click."""

    sigActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Code", "Element", "Message"])
        self.tree.setColumnWidth(0, 90)
        self.tree.setColumnWidth(1, 130)
        self.tree.itemDoubleClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self.diagnostics: list = []

    def set_diagnostics(self, diagnostics: list) -> None:
        """Show ``diagnostics`` (errors first, as the validator orders them)."""
        self.diagnostics = list(diagnostics)
        self.tree.clear()
        for diagnostic in diagnostics:
            item = QTreeWidgetItem([diagnostic.code, diagnostic.element_name or diagnostic.element_id or "",
                                    diagnostic.message])
            item.setIcon(0, style.icon(diagnostic.severity))
            item.setToolTip(2, diagnostic.message)
            item.setData(0, Qt.ItemDataRole.UserRole, diagnostic.element_id)
            self.tree.addTopLevelItem(item)

    def counts(self) -> dict[str, int]:
        found = {"error": 0, "warning": 0, "info": 0}
        for diagnostic in self.diagnostics:
            found[diagnostic.severity] = found.get(diagnostic.severity, 0) + 1
        return found

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        element_id = item.data(0, Qt.ItemDataRole.UserRole)
        if element_id:
            self.sigActivated.emit(element_id)
