"""Headless screenshots of the workbench window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

SIZE = (1400, 900)


def save_screenshot(window: QWidget, path: str | Path, size: tuple[int, int] = SIZE) -> bool:
    """Resize and show ``window``, let it lay out and paint, and save it as a PNG at ``path``."""
    window.resize(*size)
    window.show()
    for _ in range(5):
        QApplication.processEvents()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return window.grab().save(str(target), "PNG")
