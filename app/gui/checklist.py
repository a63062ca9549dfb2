"""Lists of checkable names (variables to plot, parameters to get sliders)."""

from __future__ import annotations

from collections.abc import Container, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem


def fill_checklist(widget: QListWidget, names: Iterable[str], checked: Container[str]) -> None:
    """Replace the items of ``widget`` by one checkable item per name, ticked when in ``checked``; no
    ``itemChanged`` signal is sent while filling."""
    widget.blockSignals(True)
    widget.clear()
    for name in names:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
        widget.addItem(item)
    widget.blockSignals(False)
