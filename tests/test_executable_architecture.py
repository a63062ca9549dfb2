"""Executable architectures: blocks with SD behaviour, values carried along connectors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import solvers
from importers import load
from metamodel.elements import Module, Port
from metamodel.errors import ModelError

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "water_tower" / "water_tower.uml"


def test_sample_imports_blocks_with_sd_behaviour() -> None:
    model, report = load(SAMPLE)
    assert report.ok, [str(e) for e in report.entries]
    assert set(model.submodels) == {"tank", "pump", "controller"}
    behaviours = {model[b.behavior].name for b in model.elements.values() if getattr(b, "behavior", None)}
    assert behaviours == {"tank", "pump", "controller"}
    assert model.sim_spec.stop == 48 and model.sim_spec.dt == 0.0625


def test_values_flow_along_connectors() -> None:
    results = solvers.load(SAMPLE).run()
    np.testing.assert_array_equal(results["tank.inflow"], results["pump.flow"])
    np.testing.assert_array_equal(results["controller.level"], results["tank.level"])
    np.testing.assert_array_equal(results["pump.speed"], results["controller.speed"])
    level = results["tank.level"][:, 0]
    assert level.min() > 50 and level.max() < 80  # the controller keeps the tower from running dry


def test_compiling_leaves_the_model_untouched() -> None:
    model, _ = load(SAMPLE)
    before = set(model.elements)
    solvers.compile(model)
    assert set(model.elements) == before
    assert sum(isinstance(e, Module) for e in model.elements.values()) == 3


def test_parameters_of_parts_can_be_swept() -> None:
    compiled = solvers.load(SAMPLE)
    assert compiled.parameters["pump.capacity"] == 25
    results = compiled.run(params={"pump.capacity": [5.0, 25.0]})
    assert results["tank.level"][-1, 0] < results["tank.level"][-1, 1]


def test_connector_joining_two_outputs_is_an_error() -> None:
    model, _ = load(SAMPLE)
    port = next(p for p in model.of_kind(Port) if p.id == "Tank_inflow")
    port.direction = "out"
    with pytest.raises(ModelError, match="joins two outputs"):
        solvers.compile(model)


def test_behaviour_file_outside_the_model_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(SAMPLE.parent, folder)
    text = (folder / "water_tower.uml").read_text().replace("<body>tank.xmile</body>", "<body>../tank.xmile</body>")
    (folder / "water_tower.uml").write_text(text)
    shutil.copy(folder / "tank.xmile", tmp_path / "tank.xmile")
    model, report = load(folder / "water_tower.uml")
    assert any("outside the model's folder" in e.reason for e in report.entries)
    assert "tank" not in model.submodels


def test_missing_behaviour_file_is_reported(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE.parent, tmp_path / "m")
    (tmp_path / "m" / "pump.xmile").unlink()
    model, report = load(tmp_path / "m" / "water_tower.uml")
    assert any(e.severity == "error" and "pump" in e.element for e in report.entries)
    assert "pump" not in model.submodels


def test_parts_typed_by_value_types_are_not_behaviour() -> None:
    from metamodel.elements import Part, ValueType
    from metamodel.model import Model

    model = Model()
    model.add(ValueType("vt", "Volume", units="m^3"))
    model.add(Part("p", "capacity", type="vt", aggregation="value"))
    assert solvers.compile(model).variables == []
