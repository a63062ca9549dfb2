"""The import report shown after importing a foreign file: what was not mapped, where and why."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.gui import style
from importers.report import ImportReport


class ImportReportDialog(QDialog):
    """A non-modal table of the report's entries."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import report")
        self.resize(720, 360)
        summary = QLabel(f"{report.source} ({report.format}): {len(report.entries)} item(s) were not imported "
                         "as they were.")
        summary.setWordWrap(True)
        self.table = QTableWidget(len(report.entries), 4)
        self.table.setHorizontalHeaderLabels(["Severity", "Line", "Element", "Reason"])
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, entry in enumerate(report.entries):
            severity = QTableWidgetItem(entry.severity)
            severity.setIcon(style.icon(entry.severity))
            self.table.setItem(row, 0, severity)
            self.table.setItem(row, 1, QTableWidgetItem("" if entry.line is None else str(entry.line)))
            self.table.setItem(row, 2, QTableWidgetItem(entry.element))
            self.table.setItem(row, 3, QTableWidgetItem(entry.reason))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
