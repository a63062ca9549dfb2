"""The requirements panel: each requirement's verdict after a run (pass, fail with the time and value of
the first violation, or not verified and why); double-click shows the requirement."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

COLUMNS = ["Requirement", "Id", "Verdict", "First violation at", "Value there", "Condition or reason"]
COLOURS = {"pass": QColor("#3C9A5F"), "fail": QColor("#D64541"), "not verified": QColor("#8A94A6")}


def verdict_text(verdict) -> tuple[str, str, str]:  # noqa: ANN001 - solvers.verify.RequirementResult
    """The verdict, and the time and value of the first violation (empty when it held or was not checked)."""
    failed = next((c for c in verdict.checks if not c.passed), None)
    if failed is None:
        return verdict.status.upper(), "", ""
    run = f" (run {failed.run})" if failed.run else ""
    return verdict.status.upper(), f"{_number(failed.time)}{run}", _number(failed.value)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


class RequirementsPanel(QWidget):
    """The verdicts of the last run; ``sigActivated(requirement_id)`` on double-click."""

    sigActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Run the model to verify its requirements.")
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(COLUMNS)
        for column, width in enumerate((150, 70, 90, 110, 80)):
            self.tree.setColumnWidth(column, width)
        self.tree.itemDoubleClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)
        self.verdicts: list = []

    def clear(self, message: str = "Run the model to verify its requirements.") -> None:
        self.verdicts = []
        self.tree.clear()
        self.summary.setText(message)

    def set_verdicts(self, verdicts: list) -> None:
        """Show one row per requirement verdict (``solvers.verify.RequirementResult``)."""
        self.verdicts = list(verdicts)
        self.tree.clear()
        for verdict in verdicts:
            status, time, value = verdict_text(verdict)
            failed = next((c for c in verdict.checks if not c.passed), None)
            detail = f"{failed.condition} on {failed.instance}" if failed is not None else \
                "; ".join(f"{c.condition} on {c.instance}" for c in verdict.checks) or verdict.reason
            row = QTreeWidgetItem([verdict.name, verdict.req_id, status, time, value, detail])
            row.setForeground(2, QBrush(COLOURS.get(verdict.status, COLOURS["not verified"])))
            row.setToolTip(5, detail if not verdict.text else f"{verdict.text}\n\n{detail}")
            row.setData(0, Qt.ItemDataRole.UserRole, verdict.requirement_id)
            self.tree.addTopLevelItem(row)
        counts = {s: sum(v.status == s for v in verdicts) for s in COLOURS}
        self.summary.setText(f"{counts['pass']} passed, {counts['fail']} failed, {counts['not verified']} not verified"
                             if verdicts else "The model has no requirements to verify.")

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        requirement_id = item.data(0, Qt.ItemDataRole.UserRole)
        if requirement_id:
            self.sigActivated.emit(requirement_id)
