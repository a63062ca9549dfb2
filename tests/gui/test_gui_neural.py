"""Neural components in the diagrams: drop an ONNX file to add one, its ports and file shown, the
onnxruntime provider shown after a run; the hybrid samples open and run from the GUI."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.gui.block_items import NOT_RUN, NeuralItem, PortItem
from metamodel.elements import NeuralComponent
from solvers.neural import read_signature

ROOT = Path(__file__).resolve().parents[2]
SIR_NEURAL = ROOT / "samples" / "sir_neural" / "sir_neural.salver"
THERMAL = ROOT / "samples" / "thermal_plant" / "thermal_plant.salver"
ONNX = ROOT / "samples" / "sir_neural" / "contact_net.onnx"
ARTIFACTS = ROOT / "artifacts"


def _drop(window, path: Path, at: tuple[float, float]) -> bool:
    """Drag a file from outside onto the diagram and drop it at scene point ``at``."""
    view = window.tabs.current_view()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = view.mapFromScene(*at)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    drop = QDropEvent(pos.toPointF() if isinstance(pos, QPoint) else pos, Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), drop)
    return enter.isAccepted()


def test_dropping_an_onnx_file_adds_a_component_with_its_ports(window, tmp_path):
    onnx = tmp_path / "nets" / "contact_net.onnx"
    onnx.parent.mkdir()
    shutil.copy(ONNX, onnx)
    assert window.save_to(str(tmp_path / "hybrid.salver"))
    assert _drop(window, onnx, (200, 150))
    components = list(window.document.model.of_kind(NeuralComponent))
    assert len(components) == 1
    component = components[0]
    assert component.path == "nets/contact_net.onnx", "stored relative to the model file"
    inputs, outputs = read_signature(onnx)
    assert [p.name for p in component.inputs] == [p.name for p in inputs]
    assert [p.name for p in component.outputs] == [p.name for p in outputs]
    scene = window.tabs.current_scene()
    item = scene.nodes[component.id]
    assert isinstance(item, NeuralItem) and item.file == "contact_net.onnx" and item.provider == NOT_RUN
    drawn = {p.label: p.direction for (host, _k), p in scene.blocks.ports.items() if host == component.id}
    assert drawn == {**{p.name: "in" for p in inputs}, **{p.name: "out" for p in outputs}}
    assert all(isinstance(p, PortItem) and p.fraction[0] == -0.5 for (h, _k), p in scene.blocks.ports.items()
               if h == component.id and p.direction == "in")
    window.act_undo.trigger()
    assert list(window.document.model.of_kind(NeuralComponent)) == []
    assert not scene.blocks.ports


def test_dropping_a_broken_onnx_file_is_refused_with_a_message(window, tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    _drop(window, broken, (100, 100))
    assert list(window.document.model.of_kind(NeuralComponent)) == []
    assert "broken.onnx" in window.statusBar().currentMessage()
    other = tmp_path / "notes.txt"
    other.write_text("x")
    assert not _drop(window, other, (100, 100)), "only .onnx files are accepted"


@pytest.mark.usefixtures("no_gpu")
def test_sir_neural_runs_and_shows_its_provider(window, qtbot):
    window.open_path(str(SIR_NEURAL), background=False)
    scene = window.tabs.current_scene()
    component = next(iter(window.document.model.of_kind(NeuralComponent)))
    item = scene.nodes[component.id]
    assert isinstance(item, NeuralItem) and item.provider == NOT_RUN
    window.act_run.trigger()
    qtbot.waitUntil(lambda: window.plots.latest is not None, timeout=20000)
    assert item.provider == "CPUExecutionProvider"
    xs, ys = window.plots.curve_data("Infected")
    assert len(ys) > 10 and np.all(np.isfinite(ys))
    ARTIFACTS.mkdir(exist_ok=True)
    from app.gui.screenshot import save_screenshot

    assert save_screenshot(window, ARTIFACTS / "workbench_neural.png", (1400, 900))


@pytest.mark.usefixtures("no_gpu")
def test_thermal_plant_runs_from_the_gui(window, qtbot):
    window.open_path(str(THERMAL), background=False)
    window.act_run.trigger()
    qtbot.waitUntil(lambda: window.plots.latest is not None or bool(window.messages), timeout=20000)
    assert window.messages == []
    component = next(iter(window.document.model.of_kind(NeuralComponent)))
    assert window.tabs.current_scene().nodes[component.id].provider == "CPUExecutionProvider"
