"""The Sensitivity dialog: vary constants, run a study off the GUI thread, see confidence bands or indices.

The user lists constants with a distribution each (text as in ``salver sensitivity --vary``), chooses
the runs, the design and the seed, and either a Monte Carlo study (bands of the chosen variable, as
Vensim and Stella draw them) or Sobol'/Morris indices of one output (a bar chart). The study runs in
the thread pool on a snapshot of the model; the progress bar follows it and Cancel stops it between two
time steps. Runs are kept in memory, or streamed to a Parquet file when one is named.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui import workers
from app.gui.document import snapshot
from app.gui.runner import describe_failure
from metamodel.model import Model

ANALYSES = {"Confidence bands": None, "Sobol' indices": "sobol", "Morris indices": "morris"}
SAMPLINGS = ("lhs", "sobol", "random", "grid")
STATISTICS = ("final", "max", "min", "mean", "integral")


class StudyCancelled(Exception):
    """Raised inside the study's progress callback when the user pressed Cancel."""


class _Progress(QObject):
    """Carries the study's progress from the pool thread to the GUI thread (a queued signal)."""

    sigFraction = Signal(float)


def default_distribution(value: float) -> str:
    """A first guess for a constant: uniform from half to one and a half times its value."""
    if value == 0:
        return "uniform(0, 1)"
    low, high = sorted((0.5 * value, 1.5 * value))
    return f"uniform({low:g}, {high:g})"


class SensitivityDialog(QDialog):
    """Set up, run, cancel and show a sensitivity study of ``model``."""

    sigStudyDone = Signal(object)  # SensitivityStudy or Indices

    def __init__(self, model: Model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sensitivity — {model.name}")
        self.resize(900, 640)
        self.model = snapshot(model)
        self.compiled: Any = None
        self.outcome: Any = None
        self._cancelled = [False]
        self.running = False
        self._progress = _Progress(self)
        self._progress.sigFraction.connect(self._show_progress)
        self._build()
        self._set_running(True, "Compiling the model…")
        workers.submit(self._compile, self._compiled, self._failed)

    # -- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Constant", "Distribution"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 170)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(lambda: self.add_parameter())
        self.remove_button.clicked.connect(self._remove_parameter)
        self.runs = QSpinBox()
        self.runs.setRange(1, 10_000_000)
        self.runs.setValue(200)
        self.sampling = QComboBox()
        self.sampling.addItems(SAMPLINGS)
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("random (recorded)")
        self.analysis = QComboBox()
        self.analysis.addItems(list(ANALYSES))
        self.analysis.currentTextChanged.connect(self._analysis_changed)
        self.variable = QComboBox()
        self.variable.currentTextChanged.connect(lambda _t: self.redraw())
        self.statistic = QComboBox()
        self.statistic.addItems(STATISTICS)
        self.out = QLineEdit()
        self.out.setPlaceholderText("keep runs in memory")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel(" ")
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)

        rows = QHBoxLayout()
        rows.addWidget(self.add_button)
        rows.addWidget(self.remove_button)
        rows.addStretch(1)
        saving = QHBoxLayout()
        saving.addWidget(self.out, 1)
        saving.addWidget(browse)
        form = QFormLayout()
        for label, field in (("Runs", self.runs), ("Sampling", self.sampling), ("Seed", self.seed),
                             ("Analysis", self.analysis), ("Variable", self.variable),
                             ("Statistic", self.statistic)):
            form.addRow(label, field)
        form.addRow("Save runs to", saving)
        side = QVBoxLayout()
        side.addWidget(self.table, 1)
        side.addLayout(rows)
        side.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        side.addLayout(buttons)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.addLayout(side, 2)
        layout.addWidget(self.plot, 3)
        self._analysis_changed(self.analysis.currentText())

    def _analysis_changed(self, text: str) -> None:
        indices = ANALYSES[text] is not None
        self.statistic.setEnabled(indices)
        self.sampling.setEnabled(not indices)
        self.runs.setToolTip("SALib's base sample N" if indices else "number of runs")

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save runs", "", "Parquet (*.parquet)")
        if path:
            self.out.setText(path if path.endswith(".parquet") else f"{path}.parquet")

    # -- parameters ---------------------------------------------------------------------------------
    def add_parameter(self, name: str | None = None, distribution: str | None = None) -> None:
        """A row for a constant (the first one not yet listed by default) and its distribution."""
        constants = self.compiled.parameters if self.compiled is not None else {}
        listed = set(self.chosen())
        name = name or next((n for n in constants if n not in listed), None)
        if name is None:
            return
        row = self.table.rowCount()
        self.table.insertRow(row)
        choice = QComboBox()
        choice.addItems(list(constants))
        choice.setCurrentText(name)
        self.table.setCellWidget(row, 0, choice)
        self.table.setItem(row, 1, QTableWidgetItem(distribution or default_distribution(constants.get(name, 1.0))))

    def _remove_parameter(self) -> None:
        row = self.table.currentRow()
        self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)

    def chosen(self) -> dict[str, str]:
        """Constant -> distribution text of every row."""
        found = {}
        for row in range(self.table.rowCount()):
            widget = self.table.cellWidget(row, 0)
            item = self.table.item(row, 1)
            if widget is not None:
                found[widget.currentText()] = item.text() if item is not None else ""
        return found

    # -- running ------------------------------------------------------------------------------------
    def _compile(self) -> Any:  # noqa: ANN401 - CompiledModel
        import solvers

        return solvers.compile(self.model)

    def _compiled(self, compiled: Any) -> None:  # noqa: ANN401
        self.compiled = compiled
        self.variable.addItems(compiled.variables)
        self._set_running(False, f"{len(compiled.parameters)} constants can vary.")

    def start(self) -> bool:
        """Start the study as set up; False (with the reason shown) when it cannot start."""
        if self.running or self.compiled is None:
            return False
        vary = self.chosen()
        if not vary:
            self.status.setText("Add at least one constant to vary.")
            return False
        seed_text = self.seed.text().strip()
        if seed_text and not seed_text.isdigit():
            self.status.setText("The seed is a whole number (or empty for a random one).")
            return False
        seed = int(seed_text) if seed_text else None
        self._cancelled = cancelled = [False]
        signal = self._progress.sigFraction

        def progress(fraction: float) -> None:
            if cancelled[0]:
                raise StudyCancelled("study cancelled")
            signal.emit(fraction)

        job = self._job(vary, seed, progress)
        self.outcome = None
        self.progress.setValue(0)
        self._set_running(True, "Running…")
        workers.submit(job, self._done, self._failed)
        return True

    def _job(self, vary: dict[str, str], seed: int | None, progress: Any) -> Any:  # noqa: ANN401
        compiled, runs, indices = self.compiled, self.runs.value(), ANALYSES[self.analysis.currentText()]
        out = self.out.text().strip() or None
        if indices is not None:
            from solvers.analysis.indices import global_sensitivity

            output, statistic = self.variable.currentText(), self.statistic.currentText()
            return lambda: global_sensitivity(compiled, vary, output, indices=indices, samples=runs,
                                              statistic=statistic, seed=seed, out=out, progress=progress)
        from solvers.analysis.sensitivity import sensitivity

        sampling = self.sampling.currentText()
        return lambda: sensitivity(compiled, vary, runs, sampling=sampling, seed=seed, out=out, progress=progress)

    def cancel(self) -> None:
        """Stop the running study at its next time step (nothing is written)."""
        if self.running:
            self._cancelled[0] = True
            self.status.setText("Cancelling…")

    def _show_progress(self, fraction: float) -> None:
        if self.running:
            self.progress.setValue(int(fraction * 1000))

    def _done(self, outcome: Any) -> None:  # noqa: ANN401
        self.outcome = outcome
        self.progress.setValue(1000)
        runs = getattr(outcome, "runs", 0)
        where = f", saved to {outcome.path}" if getattr(outcome, "path", None) else ""
        self._set_running(False, f"{runs} runs done{where}.")
        self.redraw()
        self.sigStudyDone.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        message = "Study cancelled." if isinstance(exc, StudyCancelled) else describe_failure(exc)
        self._set_running(False, message)

    def _set_running(self, running: bool, message: str) -> None:
        self.running = running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.status.setText(message)

    # -- drawing ------------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Bands of the chosen variable (a study) or the bar chart of the indices."""
        from app.analysis_plots import draw_bands, draw_indices

        self.plot.clear()
        item = self.plot.getPlotItem()
        if item.legend is not None:
            item.legend.clear()
        if self.outcome is None:
            return
        if hasattr(self.outcome, "summary"):
            name = self.variable.currentText()
            if name in self.outcome.variables:
                draw_bands(item, self.outcome.summary(name))
        else:
            draw_indices(item, self.outcome)

    def closeEvent(self, event: Any) -> None:  # noqa: ANN401, N802 - Qt's name
        self.cancel()
        super().closeEvent(event)


def open_sensitivity(parent: QWidget, model: Model) -> SensitivityDialog:
    """Show a non-modal Sensitivity dialog for (a snapshot of) ``model``; the caller keeps it."""
    dialog = SensitivityDialog(model, parent)
    dialog.show()
    return dialog
