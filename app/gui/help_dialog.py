"""Help: the function reference, generated from the builtin table the equation parser uses."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QLineEdit, QTextBrowser, QVBoxLayout, QWidget

from metamodel.equations.builtins import BUILTINS


def reference_html(needle: str = "") -> str:
    """An HTML table of the builtin functions whose name or description contains ``needle``."""
    key = needle.strip().casefold()
    rows = [f"<tr><td><b>{html.escape(b.signature)}</b></td><td>{html.escape(b.arity)}</td>"
            f"<td>{'yes' if b.stateful else ''}</td><td>{html.escape(b.description)}</td></tr>"
            for b in sorted(BUILTINS.values(), key=lambda b: b.name)
            if not key or key in b.name.casefold() or key in b.signature.casefold() or key in b.description.casefold()]
    return ("<table cellpadding='4'><tr><th align='left'>Function</th><th align='left'>Arguments</th>"
            "<th align='left'>Keeps state</th><th align='left'>What it does</th></tr>"
            + "".join(rows) + "</table>")


class FunctionReference(QDialog):
    """Every function equations may call, with a search box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Function reference")
        self.resize(760, 560)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search functions…")
        self.text = QTextBrowser()
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.text)
        self.search.textChanged.connect(lambda text: self.text.setHtml(reference_html(text)))
        self.text.setHtml(reference_html())
