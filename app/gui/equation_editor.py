"""The equation editor: highlighting, completion of names and builtins (each builtin with its signature
and what it does as a tooltip), the parser's error underlined."""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QKeyEvent,
    QStandardItem,
    QStandardItemModel,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QCompleter, QPlainTextEdit, QTextEdit, QToolTip, QWidget

from app.gui import style
from app.gui.guard import guarded
from metamodel.equations.builtins import BUILTINS
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.names import canonical

_WORD = re.compile(r"[^\W\d][\w]*", re.UNICODE)
_NUMBER = re.compile(r"\b\d+\.?\d*(?:[eE][-+]?\d+)?\b|\.\d+")
_KEYWORDS = {"if", "then", "else", "and", "or", "not", "mod"}


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(700)
    fmt.setFontItalic(italic)
    return fmt


class EquationHighlighter(QSyntaxHighlighter):
    """Colours numbers, keywords, builtin functions, known names and comments."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.names: set[str] = set()
        self.formats = {
            "number": _format("#A0522D"),
            "keyword": _format("#8A2BE2", bold=True),
            "builtin": _format("#1F6FB2", bold=True),
            "name": _format("#2F4B6E"),
            "unknown": _format("#2F4B6E", italic=True),
            "comment": _format("#7A8A99", italic=True),
        }

    def set_names(self, names: set[str]) -> None:
        """Canonical names of the model's variables (shown as known)."""
        self.names = names
        self.rehighlight()

    @guarded()
    def highlightBlock(self, text: str) -> None:
        for match in _NUMBER.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), self.formats["number"])
        for match in _WORD.finditer(text):
            word = canonical(match.group())
            kind = ("keyword" if word in _KEYWORDS else "builtin" if word in BUILTINS
                    else "name" if word in self.names else "unknown")
            self.setFormat(match.start(), match.end() - match.start(), self.formats[kind])
        for match in re.finditer(r"\{[^}]*\}?", text):
            self.setFormat(match.start(), match.end() - match.start(), self.formats["comment"])


class EquationEdit(QPlainTextEdit):
    """A small code editor for one equation.

    Enter commits (``sigCommitted``), Escape asks to revert (``sigReverted``), Shift+Enter breaks the
    line, Ctrl+Space completes. While typing the
    text is parsed; a syntax error is underlined at the parser's offset and ``sigError`` carries the
    message ('' when the text parses).
    """

    sigCommitted = Signal(str)
    sigError = Signal(str)
    sigReverted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setFont(style.label_font(10))
        self.setPlaceholderText("equation, e.g. population * birth rate")
        self.setMaximumHeight(90)
        self.highlighter = EquationHighlighter(self.document())
        self.completer = QCompleter(self)
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated.connect(self._insert_completion)
        self.completer.highlighted.connect(self._explain)
        self._names: list[str] = []
        self._committed = ""
        self.error = ""
        self.textChanged.connect(self.check)

    def set_names(self, display_names: list[str]) -> None:
        """Model variable names offered by completion and coloured as known."""
        names = sorted(display_names, key=str.casefold)
        self.highlighter.set_names({canonical(n) for n in display_names})
        if names == self._names and self.completer.model() is not None:
            return  # the same names: the completion list stays (it costs a row per name)
        self._names = names
        words = QStandardItemModel(self.completer)
        for name in self._names:
            words.appendRow(QStandardItem(name))
        for name in sorted(BUILTINS):
            item = QStandardItem(name.upper())
            item.setToolTip(builtin_help(name))
            words.appendRow(item)
        self.completer.setModel(words)

    def _explain(self, word: str) -> None:
        """Beside the completion list: the signature and description of the builtin highlighted in it."""
        popup = self.completer.popup()
        if canonical(word) in BUILTINS and popup.isVisible():
            at = popup.mapToGlobal(QPoint(popup.width() + 4, popup.visualRect(popup.currentIndex()).top()))
            QToolTip.showText(at, builtin_help(canonical(word)), popup)
        else:
            QToolTip.hideText()

    def set_equation(self, text: str) -> None:
        """Show ``text`` without committing it."""
        self._committed = text
        self.blockSignals(True)
        self.setPlainText(text)
        self.blockSignals(False)
        self.check()

    def check(self) -> str:
        """Parse the text, underline the error (if any) and return its message."""
        text = self.toPlainText()
        selections = []
        message = ""
        if text.strip():
            try:
                parse(text)
            except ParseError as exc:
                message = exc.message
                offset = min(exc.offset or 0, max(len(text) - 1, 0))
                selection = QTextEdit.ExtraSelection()
                fmt = QTextCharFormat()
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                fmt.setUnderlineColor(style.ERROR)
                fmt.setBackground(QColor("#FBE3E2"))
                selection.format = fmt
                cursor = QTextCursor(self.document())
                cursor.setPosition(offset)
                cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor,
                                    max(1, min(len(text) - offset, _token_length(text, offset))))
                selection.cursor = cursor
                selections.append(selection)
        self.setExtraSelections(selections)
        self.setToolTip(message)
        if message != self.error:
            self.error = message
            self.sigError.emit(message)
        return message

    def commit(self) -> None:
        """Emit ``sigCommitted`` when the text differs from the last shown or committed text."""
        text = self.toPlainText().strip()
        if text != self._committed:
            self._committed = text
            self.sigCommitted.emit(text)

    @guarded()
    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self.completer.popup()
        if popup.isVisible() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab,
                                                 Qt.Key.Key_Escape):
            event.ignore()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.commit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.sigReverted.emit()
            return
        if event.key() == Qt.Key.Key_Space and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._complete(force=True)
            return
        super().keyPressEvent(event)
        if event.text() and (event.text().isalnum() or event.text() == "_"):
            self._complete()
        elif popup.isVisible():
            popup.hide()

    def _prefix(self) -> str:
        cursor = self.textCursor()
        before = self.toPlainText()[:cursor.position()]
        match = re.search(r"[^\W\d]\w*$", before)
        return match.group() if match else ""

    def _complete(self, force: bool = False) -> None:
        prefix = self._prefix()
        if len(prefix) < 3 and not force:
            self.completer.popup().hide()
            return
        self.completer.setCompletionPrefix(prefix)
        if self.completer.completionCount() == 0:
            self.completer.popup().hide()
            return
        self.completer.popup().setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.cursorRect()
        rect.setWidth(self.completer.popup().sizeHintForColumn(0) + 30)
        self.completer.complete(rect)

    def _insert_completion(self, word: str) -> None:
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(self._prefix()))
        builtin = canonical(word) in BUILTINS and BUILTINS[canonical(word)].max_args > 0
        cursor.insertText(word + ("(" if builtin else ""))
        self.setTextCursor(cursor)

    @guarded()
    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if not self.completer.popup().isVisible():
            self.commit()


def builtin_help(name: str) -> str:
    """A builtin's signature and what it does, on two lines."""
    builtin = BUILTINS[name]
    return f"{builtin.signature}\n{builtin.description}"


def _token_length(text: str, offset: int) -> int:
    match = re.match(r"\w+|\S", text[offset:])
    return len(match.group()) if match else 1
