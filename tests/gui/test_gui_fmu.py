"""FMU components in the diagrams: drop an FMU to add one with its ports, undo it, and run a model that
wires an FMU to SD variables and a neural component from the workbench."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from app.gui.block_items import FmuItem
from metamodel.elements import FmuComponent
from tests.fmus import build
from tests.gui.test_gui_neural import ARTIFACTS, _drop


def test_dropping_an_fmu_adds_a_block_with_its_ports(window, tmp_path):
    fmu = tmp_path / "fmus" / "Feedthrough.fmu"
    fmu.parent.mkdir()
    shutil.copy(build.build("Feedthrough", 3), fmu)
    assert window.save_to(str(tmp_path / "plant.salver"))
    assert _drop(window, fmu, (220, 160))
    components = list(window.document.model.of_kind(FmuComponent))
    assert len(components) == 1
    component = components[0]
    assert component.path == "fmus/Feedthrough.fmu", "stored relative to the model file"
    assert component.fmi_version == "3.0"
    scene = window.tabs.current_scene()
    item = scene.nodes[component.id]
    assert isinstance(item, FmuItem) and item.file == "Feedthrough.fmu" and item.provider == "co-simulation"
    drawn = {p.label: p.direction for (host, _k), p in scene.blocks.ports.items() if host == component.id}
    assert drawn == {"real_in": "in", "int_in": "in", "bool_in": "in", "real_out": "out", "int_out": "out",
                     "bool_out": "out"}
    window.act_undo.trigger()
    assert list(window.document.model.of_kind(FmuComponent)) == []


def test_dropping_a_broken_fmu_is_refused_with_a_message(window, tmp_path):
    broken = tmp_path / "broken.fmu"
    broken.write_bytes(b"PK not really a zip")
    _drop(window, broken, (100, 100))
    assert list(window.document.model.of_kind(FmuComponent)) == []
    assert "broken.fmu" in window.statusBar().currentMessage()


@pytest.mark.usefixtures("no_gpu")
def test_a_model_with_an_fmu_sd_and_a_neural_component_runs_from_the_gui(window, qtbot, tmp_path):
    from solvers.compiler import compile_model
    from tests.fmu_hybrid import direct, write_hybrid

    path = write_hybrid(tmp_path / "hybrid", "me")
    window.open_path(str(path), background=False)
    window.act_run.trigger()
    qtbot.waitUntil(lambda: window.plots.latest is not None or bool(window.messages), timeout=30000)
    assert window.messages == []
    _xs, ys = window.plots.curve_data("Infected")
    twin = compile_model(direct(tmp_path / "twin")).run()
    assert np.max(np.abs(np.asarray(ys) - twin["Infected"][:, 0])) < 1e-6 * np.max(twin["Infected"])
    ARTIFACTS.mkdir(exist_ok=True)
    from app.gui.screenshot import save_screenshot

    assert save_screenshot(window, ARTIFACTS / "workbench_fmu.png", (1400, 900))
