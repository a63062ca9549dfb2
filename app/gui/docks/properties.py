"""The properties panel: name, equation, units (with their check), documentation and graphical function
of the selected element. Each finished field edit is one command."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.document import Document
from app.gui.equation_editor import EquationEdit
from app.gui.gf_editor import GraphicalFunctionEditor
from metamodel.commands import Command, Rename, SetAttribute, set_equation
from metamodel.elements import Aux, Element, Flow, GraphicalFunction, Stock, Variable
from metamodel.model import ModelEvent

UNIT_CODES = ("SD007", "SD008", "SD010")
DEFAULT_GF = GraphicalFunction(ypts=[0.0, 0.5, 1.0], xpts=[0.0, 0.5, 1.0])


def check_units(text: str, definitions: dict[str, str]) -> str:
    """A one-line verdict on a unit expression; says so when the unit checker is not installed."""
    if not text.strip():
        return "no units"
    try:
        from metamodel.units import parse_units
    except ImportError:
        return "unit check not available"
    from metamodel.errors import ParseError

    try:
        return f"✓ {parse_units(text, definitions)}"
    except ParseError as exc:
        return f"✗ {exc.message}"


class PropertiesPanel(QWidget):
    """Edits the one selected element."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.element_id: str | None = None
        self.diagnostics: list = []
        self.title = QLabel("Nothing selected")
        self.title.setStyleSheet("font-weight: 600; color: #2F4B6E;")
        self.name = QLineEdit()
        self.equation = EquationEdit()
        self.equation_error = QLabel()
        self.equation_error.setStyleSheet("color: #C0392B;")
        self.equation_error.setWordWrap(True)
        self.units = QLineEdit()
        self.units_check = QLabel()
        self.units_check.setWordWrap(True)
        self.doc = QLineEdit()
        self.non_negative = QCheckBox("Non-negative")
        self.use_gf = QCheckBox("Graphical function of the equation's value")
        self.gf = GraphicalFunctionEditor()
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Equation", self.equation)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Apply the equation as typed (Enter, or leaving the field, also applies it)")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Show the element's equation and fields as the model has them")
        for button in (self.apply_button, self.revert_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click must not first apply by focus loss
        buttons = QHBoxLayout()
        buttons.addWidget(self.equation_error, 1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.revert_button)
        form.addRow("", buttons)
        form.addRow("Units", self.units)
        form.addRow("", self.units_check)
        form.addRow("Notes", self.doc)
        form.addRow("", self.non_negative)
        self.gf_box = QGroupBox("Graphical function")
        box = QVBoxLayout(self.gf_box)
        box.addWidget(self.use_gf)
        box.addWidget(self.gf)
        self.fields = QWidget()
        fields = QVBoxLayout(self.fields)
        fields.setContentsMargins(0, 0, 0, 0)
        fields.addLayout(form)
        fields.addWidget(self.gf_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.fields)
        layout.addStretch(1)
        self.fields.setEnabled(False)
        self.name.editingFinished.connect(self._name_edited)
        self.equation.sigCommitted.connect(self._equation_edited)
        self.equation.sigError.connect(self.equation_error.setText)
        self.equation.sigReverted.connect(self.revert)
        self.apply_button.clicked.connect(self.commit_pending)
        self.revert_button.clicked.connect(self.revert)
        self.units.editingFinished.connect(lambda: self._set("units", self.units.text().strip()))
        self.doc.editingFinished.connect(lambda: self._set("doc", self.doc.text()))
        self.non_negative.toggled.connect(lambda on: self._set("non_negative", on))
        self.use_gf.toggled.connect(self._gf_toggled)
        self.gf.sigChanged.connect(lambda gf: self._set("gf", gf))

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.sigChanged.disconnect(self._on_model_event)
        self.document = document
        document.sigChanged.connect(self._on_model_event)
        self.show_element(None)

    def set_diagnostics(self, diagnostics: list) -> None:
        self.diagnostics = diagnostics
        self._show_unit_check()

    def commit_pending(self) -> None:
        """Apply what the fields show and the model does not have yet (typed, not yet committed)."""
        if self.document is None or self.document.model.get(self.element_id) is None:
            return
        self.equation.commit()
        self._name_edited()
        if self.units.isEnabled():
            self._set("units", self.units.text().strip())
        self._set("doc", self.doc.text())

    def revert(self) -> None:
        """Drop what was typed: show the element as the model has it."""
        self._load(self.document.model.get(self.element_id) if self.document else None)

    def show_element(self, element_id: str | None) -> None:
        """Show the fields of ``element_id`` (``None`` or a non-element clears the panel); what was typed
        for the element shown before is applied to it first."""
        if element_id != self.element_id:
            self.commit_pending()
        element = self.document.model.get(element_id) if self.document is not None else None
        self.element_id = element.id if element is not None else None
        self.fields.setEnabled(element is not None)
        self._load(element)

    def _on_model_event(self, event: ModelEvent) -> None:
        if self.element_id is not None and self.document is not None:
            element = self.document.model.get(self.element_id)
            if element is None:
                self.show_element(None)
            elif self.element_id in event.ids or event.kind in ("rename", "add", "remove"):
                self._load(element)

    def _load(self, element: Element | None) -> None:
        widgets = (self.name, self.units, self.doc, self.non_negative, self.use_gf, self.gf)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            is_var = isinstance(element, Variable)
            self.title.setText(f"{element.kind.title()}: {element.name}" if element else "Nothing selected")
            self.name.setText(element.name if element else "")
            self.doc.setText(element.doc if element else "")
            self.equation.setEnabled(is_var)
            self.units.setEnabled(is_var)
            self.equation.set_equation(element.equation if isinstance(element, Variable) else "")
            self.units.setText(element.units if isinstance(element, Variable) else "")
            self.non_negative.setVisible(isinstance(element, Stock | Flow))
            self.non_negative.setChecked(bool(getattr(element, "non_negative", False)))
            has_gf = isinstance(element, Aux | Flow)
            self.gf_box.setVisible(has_gf)
            gf = getattr(element, "gf", None)
            self.use_gf.setChecked(gf is not None)
            self.gf.setEnabled(gf is not None)
            self.gf.set_function(gf or DEFAULT_GF)
            if self.document is not None:
                names = [v.name for v in self.document.model.variables() if v is not element]
                self.equation.set_names(names)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._show_unit_check()

    def _show_unit_check(self) -> None:
        element = self.document.model.get(self.element_id) if self.document and self.element_id else None
        if not isinstance(element, Variable):
            self.units_check.setText("")
            return
        verdict = check_units(element.units, self.document.model.units_defs)
        found = [d.message for d in self.diagnostics if d.element_id == element.id and d.code in UNIT_CODES]
        self.units_check.setText("\n".join([verdict, *found]))
        bad = verdict.startswith("✗") or bool(found)
        self.units_check.setStyleSheet("color: #C0392B;" if bad else "color: #2C7447;")

    def _push(self, commands: list[Command], text: str) -> None:
        if self.document is None or self.element_id is None:
            return
        try:
            self.document.push(commands, text)
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            self.title.setText(f"{text} refused: {exc}")

    def _set(self, attribute: str, value: object) -> None:
        element = self.document.model.get(self.element_id) if self.document and self.element_id else None
        if element is None or getattr(element, attribute, None) == value:
            return
        self._push([SetAttribute(element.id, attribute, value)], f"set {attribute} of {element.name}")

    def _name_edited(self) -> None:
        element = self.document.model.get(self.element_id) if self.document and self.element_id else None
        name = self.name.text().strip()
        if element is None or not name or name == element.name:
            return
        clash = self.document.model.find(name)
        if clash is not None and clash.id != element.id:
            self.title.setText(f"The name {name!r} is already used")
            self.name.setText(element.name)
            return
        self._push([Rename(element.id, name)], f"rename to {name}")

    def _equation_edited(self, text: str) -> None:
        element = self.document.model.get(self.element_id) if self.document and self.element_id else None
        if isinstance(element, Variable) and text != element.equation:
            self._push([set_equation(element.id, text)], f"equation of {element.name}")

    def _gf_toggled(self, on: bool) -> None:
        self.gf.setEnabled(on)
        self._set("gf", self.gf.function() if on else None)

