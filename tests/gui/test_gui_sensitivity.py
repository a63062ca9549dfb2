"""The Sensitivity dialog through its widgets: set up a study, run it, see bands, cancel, chart indices."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.gui import workers

SIR = Path(__file__).resolve().parents[2] / "samples" / "sir.salver"


def open_dialog(window, qtbot):  # noqa: ANN001, ANN201 - fixtures and the dialog
    window.open_path(str(SIR), background=False)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Model")
    next(a for a in menu.actions() if a.text() == "&Sensitivity…").trigger()
    dialog = window.sensitivity
    qtbot.waitUntil(lambda: dialog.compiled is not None and not dialog.running, timeout=60_000)
    return dialog


def click(widget) -> None:  # noqa: ANN001
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def set_distribution(dialog, row: int, constant: str, text: str) -> None:  # noqa: ANN001
    dialog.table.cellWidget(row, 0).setCurrentText(constant)
    dialog.table.item(row, 1).setText(text)


def items_of(dialog, kind: type) -> list:  # noqa: ANN001
    return [i for i in dialog.plot.getPlotItem().items if isinstance(i, kind)]


def test_a_study_runs_from_the_dialog_and_draws_bands(window, qtbot) -> None:  # noqa: ANN001
    dialog = open_dialog(window, qtbot)
    click(dialog.add_button)
    click(dialog.add_button)
    assert dialog.table.rowCount() == 2
    set_distribution(dialog, 0, "Contact Rate", "uniform(2, 6)")
    set_distribution(dialog, 1, "Duration", "normal(5, 1, low=2)")
    dialog.runs.setValue(150)
    dialog.seed.setText("4")
    dialog.variable.setCurrentText("Infected")
    click(dialog.run_button)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=60_000)
    assert dialog.outcome.runs == 150 and dialog.progress.value() == 1000
    assert set(dialog.outcome.parameters) == {"Contact Rate", "Duration"}
    assert len(items_of(dialog, pg.FillBetweenItem)) == 4  # 100, 95, 75 and 50 % bands
    dialog.variable.setCurrentText("Recovered")
    assert dialog.plot.getPlotItem().titleLabel.text.startswith("Recovered")
    dialog.close()


def test_cancel_stops_a_long_study_and_writes_nothing(window, qtbot, tmp_path) -> None:  # noqa: ANN001
    dialog = open_dialog(window, qtbot)
    click(dialog.add_button)
    set_distribution(dialog, 0, "Contact Rate", "uniform(2, 6)")
    dialog.runs.setValue(2_000_000)
    folder = tmp_path / "runs"
    folder.mkdir()
    out = folder / "long.parquet"
    dialog.out.setText(str(out))
    click(dialog.run_button)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=60_000)
    click(dialog.cancel_button)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.status.text() == "Study cancelled." and dialog.outcome is None
    assert dialog.progress.value() < 1000
    workers.wait_all()
    assert list(folder.iterdir()) == []
    dialog.close()


def test_sobol_indices_are_charted(window, qtbot) -> None:  # noqa: ANN001
    dialog = open_dialog(window, qtbot)
    click(dialog.add_button)
    click(dialog.add_button)
    set_distribution(dialog, 0, "Contact Rate", "uniform(2, 6)")
    set_distribution(dialog, 1, "Duration", "uniform(4, 6)")
    dialog.analysis.setCurrentText("Sobol' indices")
    assert not dialog.sampling.isEnabled() and dialog.statistic.isEnabled()
    dialog.variable.setCurrentText("Infected")
    dialog.statistic.setCurrentText("max")
    dialog.runs.setValue(32)
    click(dialog.run_button)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=60_000)
    assert dialog.outcome.runs == 32 * 4
    assert len(items_of(dialog, pg.BarGraphItem)) == 2  # S1 and ST
    dialog.close()


def test_bad_setups_say_why_and_do_not_start(window, qtbot) -> None:  # noqa: ANN001
    dialog = open_dialog(window, qtbot)
    assert dialog.start() is False and "Add at least one" in dialog.status.text()
    click(dialog.add_button)
    set_distribution(dialog, 0, "Contact Rate", "uniform(6, 2)")
    click(dialog.run_button)
    qtbot.waitUntil(lambda: not dialog.running and "a < b" in dialog.status.text(), timeout=60_000)
    assert dialog.outcome is None
    dialog.close()
