"""Live mode: sliders for chosen parameters; moving one re-runs the kept compiled model and re-plots."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.gui.checklist import fill_checklist
from metamodel.model import Model

SLIDER_STEPS = 1000


def parameter_range(model: Model | None, name: str, value: float) -> tuple[float, float]:
    """The slider range of a parameter: the variable's ``range``, else 0..2×value (0..1 for zero)."""
    element = model.find(name) if model is not None else None
    declared = getattr(element, "range", None)
    if declared and declared[1] > declared[0]:
        return float(declared[0]), float(declared[1])
    if value > 0:
        return 0.0, 2.0 * value
    if value < 0:
        return 2.0 * value, 0.0
    return 0.0, 1.0


class LiveSession(QObject):
    """Holds a compiled model and the current parameter values; ``set_value`` re-runs at once."""

    sigResults = Signal(object)
    sigFailed = Signal(str)

    def __init__(self, compiled, parent: QObject | None = None) -> None:  # noqa: ANN001 - CompiledModel
        super().__init__(parent)
        self.compiled = compiled
        self.values: dict[str, float] = {}
        self.last_seconds = 0.0

    @property
    def defaults(self) -> dict[str, float]:
        return dict(self.compiled.parameters)

    def set_value(self, name: str, value: float) -> None:
        """Set one parameter and run; ``sigResults`` carries the new results."""
        self.values[name] = value
        self.run()

    def run(self):  # noqa: ANN201 - Results
        began = time.perf_counter()
        try:
            results = self.compiled.run(params=dict(self.values))
        except Exception as exc:  # the engine's SimulationError/ModelError: shown, live mode keeps going
            self.sigFailed.emit(str(exc))
            return None
        self.last_seconds = time.perf_counter() - began
        self.sigResults.emit(results)
        return results


class ParameterSlider(QWidget):
    """One labelled slider mapping ``SLIDER_STEPS`` positions onto a value range."""

    sigValue = Signal(str, float)

    def __init__(self, name: str, value: float, bounds: tuple[float, float]) -> None:
        super().__init__()
        self.name = name
        self.low, self.high = bounds
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.label = QLabel(name)
        self.label.setMinimumWidth(110)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(70)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.set_value(value)
        self.slider.valueChanged.connect(self._moved)

    def value(self) -> float:
        return self.low + (self.high - self.low) * self.slider.value() / SLIDER_STEPS

    def set_value(self, value: float) -> None:
        span = self.high - self.low
        position = round((value - self.low) / span * SLIDER_STEPS) if span else 0
        self.slider.blockSignals(True)
        self.slider.setValue(max(0, min(SLIDER_STEPS, position)))
        self.slider.blockSignals(False)
        self.value_label.setText(f"{value:.4g}")

    def _moved(self, _position: int) -> None:
        value = self.value()
        self.value_label.setText(f"{value:.4g}")
        self.sigValue.emit(self.name, value)


class LivePanel(QWidget):
    """Pick parameters (checklist) and move their sliders; needs a run first to have a compiled model."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: LiveSession | None = None
        self.model: Model | None = None
        self.sliders: dict[str, ParameterSlider] = {}
        self.choices = QListWidget()
        self.hint = QLabel("Run the model once to get live sliders.")
        self.hint.setWordWrap(True)
        self.slider_box = QWidget()
        self.slider_layout = QVBoxLayout(self.slider_box)
        self.slider_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.slider_box)
        splitter = QSplitter()
        splitter.addWidget(self.choices)
        splitter.addWidget(scroll)
        splitter.setSizes([150, 450])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.hint)
        layout.addWidget(splitter, 1)
        self.choices.itemChanged.connect(self._choice_changed)

    def set_session(self, session: LiveSession, model: Model | None, chosen: list[str] | None = None) -> None:
        """Offer the compiled model's parameters; keep the earlier choice of sliders when possible."""
        keep = [n for n in (chosen if chosen is not None else list(self.sliders)) if n in session.defaults]
        self.session = session
        self.model = model
        self.hint.setText("Tick parameters to get sliders; moving a slider re-runs the model." if
                          session.defaults else "This model has no constant parameters.")
        fill_checklist(self.choices, session.defaults, keep)
        for name in list(self.sliders):
            self._remove_slider(name)
        for name in keep:
            self._add_slider(name)

    def _choice_changed(self, item: QListWidgetItem) -> None:
        if item.checkState() == Qt.CheckState.Checked:
            self._add_slider(item.text())
        else:
            self._remove_slider(item.text())

    def _add_slider(self, name: str) -> None:
        if self.session is None or name in self.sliders:
            return
        value = self.session.values.get(name, self.session.defaults[name])
        slider = ParameterSlider(name, value, parameter_range(self.model, name, self.session.defaults[name]))
        slider.sigValue.connect(self.session.set_value)
        self.sliders[name] = slider
        self.slider_layout.insertWidget(self.slider_layout.count() - 1, slider)

    def _remove_slider(self, name: str) -> None:
        slider = self.sliders.pop(name, None)
        if slider is not None:
            slider.setParent(None)
            slider.deleteLater()
        if self.session is not None:
            self.session.values.pop(name, None)
