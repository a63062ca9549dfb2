"""Run settings: start, stop, dt and method (one command per change), Run and Stop buttons."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui import style
from app.gui.document import Document
from metamodel.commands import SetSimSpec
from metamodel.elements import INTEGRATION_METHODS
from metamodel.model import ModelEvent


def _spin(decimals: int = 4) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(-1e9, 1e9)
    spin.setDecimals(decimals)
    spin.setKeyboardTracking(False)
    return spin


class RunSettingsPanel(QWidget):
    """Edits ``Model.sim_spec``; ``sigRun`` / ``sigStop`` from the buttons."""

    sigRun = Signal()
    sigStop = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.start, self.stop, self.dt = _spin(), _spin(), _spin(6)
        self.dt.setRange(1e-9, 1e6)
        self.method = QComboBox()
        self.method.addItems(INTEGRATION_METHODS)
        self.run_button = QPushButton(style.icon("run"), "Run")
        self.stop_button = QPushButton(style.icon("stop"), "Stop")
        self.stop_button.setEnabled(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Start", self.start)
        form.addRow("Stop", self.stop)
        form.addRow("dt", self.dt)
        form.addRow("Method", self.method)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)
        for spin in (self.start, self.stop, self.dt):
            spin.valueChanged.connect(lambda _v: self._edited())
        self.method.currentTextChanged.connect(lambda _t: self._edited())
        self.run_button.clicked.connect(self.sigRun)
        self.stop_button.clicked.connect(self.sigStop)

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.sigChanged.disconnect(self._on_model_event)
        self.document = document
        document.sigChanged.connect(self._on_model_event)
        self._load()

    def set_running(self, running: bool, message: str = "") -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.status.setText(message)

    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind == "sim_spec":
            self._load()

    def _load(self) -> None:
        if self.document is None:
            return
        spec = self.document.model.sim_spec
        widgets = (self.start, self.stop, self.dt, self.method)
        for widget in widgets:
            widget.blockSignals(True)
        self.start.setValue(spec.start)
        self.stop.setValue(spec.stop)
        self.dt.setValue(spec.dt)
        if spec.method not in INTEGRATION_METHODS:
            self.method.addItem(spec.method)
        self.method.setCurrentText(spec.method)
        for widget in widgets:
            widget.blockSignals(False)

    def _edited(self) -> None:
        if self.document is None:
            return
        spec = self.document.model.sim_spec
        new = dataclasses.replace(spec, start=self.start.value(), stop=self.stop.value(), dt=self.dt.value(),
                                  method=self.method.currentText())
        if new == spec:
            return
        if new.stop <= new.start:
            self.status.setText("Stop must be after start")
            self._load()
            return
        self.document.push([SetSimSpec(new)], "simulation specs")
