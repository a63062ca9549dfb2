"""Live mode: sliders for chosen parameters; moving one re-runs the kept compiled model and re-plots."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.checklist import fill_checklist
from metamodel.model import Model

SLIDER_STEPS = 1000  # positions of a new slider
MAX_POSITIONS = 100_000  # the finest step a range may be cut into
CHOICE_ROWS = 5  # rows of the parameter list shown before it scrolls


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


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class ParameterSlider(QWidget):
    """One parameter's slider with editable minimum, maximum and step, its value, and a reset to the
    model's value. Moving the slider (also while dragging) emits ``sigValue(name, value)``."""

    sigValue = Signal(str, float)

    def __init__(self, name: str, value: float, bounds: tuple[float, float], default: float | None = None) -> None:
        super().__init__()
        self.name = name
        self.default = value if default is None else default
        self.low, self.high = bounds
        self.step = (self.high - self.low) / SLIDER_STEPS
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setTracking(True)
        self.label = QLabel(name)
        self.label.setToolTip(name)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(60)
        self.min_edit, self.max_edit, self.step_edit = QLineEdit(), QLineEdit(), QLineEdit()
        for edit, tip in ((self.min_edit, "minimum"), (self.max_edit, "maximum"), (self.step_edit, "step")):
            edit.setToolTip(f"Slider {tip} (Enter applies)")
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("-0.0001") + 12)
            edit.setMaximumWidth(max(64, edit.minimumWidth()))
            edit.editingFinished.connect(self._bounds_edited)
        self.reset_button = QToolButton()
        self.reset_button.setText("↺")
        self.reset_button.setToolTip(f"Reset to the model's value ({self.default:.4g})")
        self.reset_button.clicked.connect(self.reset)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.value_label)
        top.addWidget(self.reset_button)
        bounds = QHBoxLayout()
        bounds.setContentsMargins(0, 0, 0, 0)
        for text, edit in (("min", self.min_edit), ("max", self.max_edit), ("step", self.step_edit)):
            bounds.addWidget(QLabel(text))
            bounds.addWidget(edit)
        bounds.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 6)
        layout.addLayout(top)
        layout.addWidget(self.slider)
        layout.addLayout(bounds)
        self._apply_bounds(value)
        self.slider.valueChanged.connect(self._moved)

    def value(self) -> float:
        return min(self.high, self.low + self.step * self.slider.value())

    def set_value(self, value: float) -> None:
        """Show ``value`` (clamped to the range) without emitting."""
        position = round((value - self.low) / self.step) if self.step else 0
        self.slider.blockSignals(True)
        self.slider.setValue(max(0, min(self.slider.maximum(), position)))
        self.slider.blockSignals(False)
        self.value_label.setText(f"{value:.4g}")

    def set_bounds(self, low: float, high: float, step: float) -> None:
        """Change the range and step (an invalid combination is refused: the fields show the old ones)."""
        if high > low and step > 0 and (high - low) / step <= MAX_POSITIONS:
            self.low, self.high, self.step = low, high, step
        self._apply_bounds(self.value_shown())

    def value_shown(self) -> float:
        return _number(self.value_label.text()) or 0.0

    def reset(self) -> None:
        """Back to the model's value, and run."""
        self.set_value(self.default)
        self.sigValue.emit(self.name, self.default)

    def _apply_bounds(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(1, round((self.high - self.low) / self.step)))
        self.slider.blockSignals(False)
        for edit, number in ((self.min_edit, self.low), (self.max_edit, self.high), (self.step_edit, self.step)):
            edit.setText(f"{number:.6g}")
        self.set_value(value)

    def _bounds_edited(self) -> None:
        low, high, step = (_number(e.text()) for e in (self.min_edit, self.max_edit, self.step_edit))
        if low is None or high is None or step is None:
            self._apply_bounds(self.value_shown())
            return
        if (low, high, step) != (self.low, self.high, self.step):
            self.set_bounds(low, high, step)

    def _moved(self, _position: int) -> None:
        value = self.value()
        self.value_label.setText(f"{value:.4g}")
        self.sigValue.emit(self.name, value)


class LivePanel(QWidget):
    """Live mode beside the plot, as in Vensim's SyntheSim: tick parameters to get sliders; the curves
    follow each slider move; ``sigKeep(name)`` asks to keep the current run, named, for comparison."""

    sigKeep = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: LiveSession | None = None
        self.model: Model | None = None
        self.sliders: dict[str, ParameterSlider] = {}
        self.choices = QListWidget()
        self.hint = QLabel("Run the model once to get live sliders.")
        self.hint.setWordWrap(True)
        self.slider_box = QWidget()
        self.slider_box.installEventFilter(self)  # its minimum width is the panel's: see minimumSizeHint
        self.slider_layout = QVBoxLayout(self.slider_box)
        self.slider_layout.addStretch(1)
        self.slider_scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.slider_box)
        self.run_name = QLineEdit()
        self.run_name.setPlaceholderText("name of the run to keep")
        self.keep_button = QPushButton("Keep run")
        self.keep_button.setToolTip("Keep the current curves, under this name, to compare with the next ones")
        self.keep_button.clicked.connect(self._keep)
        keep = QHBoxLayout()
        keep.addWidget(self.run_name, 1)
        keep.addWidget(self.keep_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.hint)
        layout.addWidget(self.choices)
        layout.addWidget(scroll, 1)
        layout.addLayout(keep)
        self.choices.itemChanged.connect(self._choice_changed)
        self._kept = 0

    def _keep(self) -> None:
        self._kept += 1
        name = self.run_name.text().strip() or ", ".join(
            f"{n}={s.value_shown():.3g}" for n, s in self.sliders.items()) or f"kept {self._kept}"
        self.run_name.clear()
        self.sigKeep.emit(name)

    def set_session(self, session: LiveSession, model: Model | None, chosen: list[str] | None = None) -> None:
        """Offer the compiled model's parameters; keep the earlier choice of sliders when possible."""
        keep = [n for n in (chosen if chosen is not None else list(self.sliders)) if n in session.defaults]
        self.session = session
        self.model = model
        self.hint.setText("Tick parameters to get sliders; moving a slider re-runs the model." if
                          session.defaults else "This model has no constant parameters.")
        fill_checklist(self.choices, session.defaults, keep)
        self._fit_choices()
        for name in list(self.sliders):
            self._remove_slider(name)
        for name in keep:
            self._add_slider(name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.slider_box and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # a slider came or went: the splitter reads minimumSizeHint again
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Never narrower than the sliders with their minimum, maximum and step fields, so none is cut."""
        hint = super().minimumSizeHint()
        margins = self.layout().contentsMargins()
        width = (self.slider_box.minimumSizeHint().width() + self.slider_scroll.verticalScrollBar().sizeHint().width()
                 + 2 * self.slider_scroll.frameWidth() + margins.left() + margins.right())
        return QSize(max(hint.width(), width), hint.height())

    def _fit_choices(self) -> None:
        """Make the parameter list as tall as its rows, up to CHOICE_ROWS of them, so that the sliders
        below get the rest of the panel's height."""
        rows = min(max(self.choices.count(), 1), CHOICE_ROWS)
        row = self.choices.sizeHintForRow(0) if self.choices.count() else self.fontMetrics().height()
        self.choices.setFixedHeight(rows * row + 2 * self.choices.frameWidth() + 2)

    def _choice_changed(self, item: QListWidgetItem) -> None:
        if item.checkState() == Qt.CheckState.Checked:
            self._add_slider(item.text())
        else:
            self._remove_slider(item.text())

    def _add_slider(self, name: str) -> None:
        if self.session is None or name in self.sliders:
            return
        value = self.session.values.get(name, self.session.defaults[name])
        default = self.session.defaults[name]
        slider = ParameterSlider(name, value, parameter_range(self.model, name, default), default)
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
