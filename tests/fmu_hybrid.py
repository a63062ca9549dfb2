"""A model that wires an FMU to an SD model and a neural component, saved with its files in a folder.

The SIR epidemic of ``samples/sir_neural`` gets its mobility through the Feedthrough test FMU: an SD
variable ``travel`` (m) feeds the FMU's input, and the FMU's output over ``reach`` (m) is the mobility
the neural network reads. ``direct`` is the same model with the FMU taken out: the two must agree.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from importers import load
from importers.fmu import build_fmu_component
from metamodel import io
from metamodel.elements import Aux, NeuralComponent
from metamodel.model import Model
from metamodel.views import Shape
from tests.fmus import build

ROOT = Path(__file__).resolve().parents[1]
SIR_NEURAL = ROOT / "samples" / "sir_neural"
TRAVEL = "6 + 2 * SIN(TIME / 10)"


def _sir(folder: Path) -> Model:
    shutil.copy(SIR_NEURAL / "contact_net.onnx", folder / "contact_net.onnx")
    model, _ = load(SIR_NEURAL / "sir_neural.salver")
    model.source_path = str(folder / "hybrid.salver")
    next(iter(model.of_kind(NeuralComponent))).path = "contact_net.onnx"
    model.sim_spec.stop = 60.0
    model.add(Aux(id="travel", name="travel", equation=TRAVEL, units="m"))
    model.add(Aux(id="reach", name="reach", equation="10", units="m"))
    return model


def write_hybrid(folder: Path, interface: str = "cs", version: int = 2) -> Path:
    """``folder/hybrid.salver`` with ``folder/Feedthrough.fmu`` and ``folder/contact_net.onnx``."""
    folder.mkdir(parents=True, exist_ok=True)
    fmu = folder / "Feedthrough.fmu"
    shutil.copy(build.build("Feedthrough", version), fmu)
    model = _sir(folder)
    component = build_fmu_component(model, fmu, name="relay", model_dir=folder)
    component.interface = interface
    for variable in component.inputs:
        variable.equation = {"real_in": "travel", "int_in": "0", "bool_in": "0"}[variable.name]
    model.add(component)
    if model.views:  # drawn beside the neural component
        model.views[0].shapes[component.id] = Shape(120.0, 120.0, 120.0, 90.0)
    model.elements["mobility"].equation = "relay.real_out / reach"
    path = folder / "hybrid.salver"
    io.save(model, path)
    return path


def direct(folder: Path) -> Model:
    """The hybrid model without the FMU: mobility computed in SD."""
    folder.mkdir(parents=True, exist_ok=True)
    model = _sir(folder)
    model.elements["mobility"].equation = "travel / reach"
    return model
