"""A model reads only files in its own folder tree, or in folders the user allows (``--allow-path``,
``SALVER_ALLOW_PATHS``): XMI hrefs, ONNX networks and Vensim data files
(SD behaviours: tests/test_executable_architecture.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import solvers
from app.cli import main
from importers import load
from metamodel import access
from metamodel.errors import ModelError

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(autouse=True)
def no_allowed_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(access.ALLOW_ENV, raising=False)
    monkeypatch.setattr(access, "_ALLOWED", [])


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """The model's folder, and a folder beside it that holds someone's private files."""
    (tmp_path / "model").mkdir()
    (tmp_path / "private").mkdir()
    return tmp_path / "model", tmp_path / "private"


def _xmi(path: Path, href: str) -> Path:
    path.write_text(f'''<?xml version="1.0"?>
<xmi:XMI xmi:version="2.1" xmlns:xmi="http://www.omg.org/spec/XMI/20131001"
         xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML">
  <uml:Model xmi:id="m" name="M">
    <packagedElement xmi:type="uml:Class" xmi:id="pump" name="Pump">
      <ownedAttribute xmi:type="uml:Property" xmi:id="motor" name="motor"><type href="{href}"/></ownedAttribute>
    </packagedElement>
  </uml:Model>
</xmi:XMI>''', encoding="utf-8")
    return path


def _other_file(path: Path) -> Path:
    path.write_text('''<?xml version="1.0"?>
<xmi:XMI xmi:version="2.1" xmlns:xmi="http://www.omg.org/spec/XMI/20131001"
         xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML">
  <uml:Model xmi:id="o" name="O"><packagedElement xmi:type="uml:Class" xmi:id="secret" name="TopSecretName"/>
  </uml:Model>
</xmi:XMI>''', encoding="utf-8")
    return path


def _names(model: object) -> str:
    return " ".join(str(e.name) for e in model.elements.values())  # type: ignore[attr-defined]


@pytest.mark.parametrize("absolute", [True, False])
def test_an_xmi_href_outside_the_folder_is_not_followed(folders: tuple[Path, Path], absolute: bool) -> None:
    model_dir, private = folders
    other = _other_file(private / "other.uml")
    href = f"{other}#secret" if absolute else "../private/other.uml#secret"
    model, report = load(_xmi(model_dir / "pump.uml", href))
    assert "TopSecretName" not in _names(model)
    assert any("not followed" in e.reason and "outside the model's folder" in e.reason for e in report.entries)
    access.allow([private])
    model, _report = load(_xmi(model_dir / "pump.uml", href))
    assert "TopSecretName" in _names(model)


def test_an_xmi_href_inside_the_folder_is_followed(folders: tuple[Path, Path]) -> None:
    model_dir, _ = folders
    _other_file(model_dir / "other.uml")
    model, _report = load(_xmi(model_dir / "pump.uml", "other.uml#secret"))
    assert "TopSecretName" in _names(model)


def test_a_link_inside_the_folder_to_a_file_outside_is_refused(folders: tuple[Path, Path]) -> None:
    model_dir, private = folders
    (model_dir / "other.uml").symlink_to(_other_file(private / "other.uml"))
    model, report = load(_xmi(model_dir / "pump.uml", "other.uml#secret"))
    assert "TopSecretName" not in _names(model)
    assert any("outside the model's folder" in e.reason for e in report.entries)


def _thermal_plant(model_dir: Path, onnx_path: str) -> Path:
    data = json.loads((SAMPLES / "thermal_plant" / "thermal_plant.salver").read_text(encoding="utf-8"))
    component = next(e for e in data["elements"].values() if e["kind"] == "neural")
    component["path"] = onnx_path
    path = model_dir / "plant.salver"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_onnx_file_outside_the_folder_is_not_read(folders: tuple[Path, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir, private = folders
    network = private / "controller.onnx"
    shutil.copy(SAMPLES / "thermal_plant" / "controller.onnx", network)
    network.write_bytes(network.read_bytes() + b"x")  # a different file: its digest must not be shown
    for written in (str(network), "../private/controller.onnx"):
        with pytest.raises(ModelError, match="outside the model's folder") as info:
            solvers.load(_thermal_plant(model_dir, written)).run(stop=1)
        assert "sha256" not in str(info.value)
    shutil.copy(SAMPLES / "thermal_plant" / "controller.onnx", network)
    monkeypatch.setenv(access.ALLOW_ENV, str(private))
    assert solvers.load(_thermal_plant(model_dir, str(network))).run(stop=1).time[-1] == 1.0


def test_the_onnx_element_type_recorded_in_the_model_is_checked(folders: tuple[Path, Path]) -> None:
    model_dir, _ = folders
    shutil.copy(SAMPLES / "thermal_plant" / "controller.onnx", model_dir / "controller.onnx")
    path = _thermal_plant(model_dir, "controller.onnx")
    data = json.loads(path.read_text(encoding="utf-8"))
    component = next(e for e in data["elements"].values() if e["kind"] == "neural")
    component["inputs"][0]["dtype"] = "float64"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="element type float64 in the model, float32 in the ONNX file"):
        solvers.load(path).run(stop=1)


def test_a_vensim_data_file_outside_is_refused_unless_allowed(folders: tuple[Path, Path],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    model_dir, private = folders
    (private / "data.csv").write_text("time,1\nx,5\n", encoding="utf-8")
    path = model_dir / "m.mdl"
    path.write_text("{UTF-8}\nx = GET DIRECT CONSTANTS('../private/data.csv', ',', 'B2') ~ ~ |\n"
                    "INITIAL TIME = 0 ~ ~ |\nFINAL TIME = 1 ~ ~ |\nTIME STEP = 1 ~ ~ |\n", encoding="utf-8")
    assert main(["run", str(path)]) == 1
    assert "outside the model's folder" in capsys.readouterr().err
    assert main(["--allow-path", str(private), "run", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split(",")[1] == "5.0"
