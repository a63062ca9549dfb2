"""Build the hybrid thermal-plant sample: a heated room whose heater controller is a neural network.

The controller maps (temperature error, integral of the error) to heater power. The script samples a
saturating PI law with a soft limit (0 .. 6 kW), fits a 2-24-1 tanh network to it with numpy, writes
controller.onnx, and builds thermal_plant.salver, whose single two-feature input port is fed by
``setpoint - Temperature; Error integral``. Re-running it reproduces both files (fixed seed).

Run: ``python samples/thermal_plant/make_onnx.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

from mlp_onnx import fit_and_write  # noqa: E402

from metamodel import io  # noqa: E402
from metamodel.elements import Aux, Flow, SimSpec, Stock  # noqa: E402
from metamodel.model import Model  # noqa: E402
from metamodel.views import Shape, View  # noqa: E402
from solvers.neural import add_neural_component  # noqa: E402

ONNX_FILE = HERE / "controller.onnx"
MODEL_FILE = HERE / "thermal_plant.salver"
MAX_POWER = 6.0  # kW
KP, KI = 1.5, 0.25  # kW/K, kW/(K*h)


def pi_law(error: np.ndarray, integral: np.ndarray) -> np.ndarray:
    """The controller the network imitates: PI action squashed smoothly into 0 .. MAX_POWER."""
    demand = KP * error + KI * integral
    return 0.5 * MAX_POWER * (1.0 + np.tanh(2.0 * demand / MAX_POWER - 1.0))


def training_data(samples: int = 3000, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    error = rng.uniform(-10.0, 25.0, samples)
    integral = rng.uniform(-20.0, 80.0, samples)
    return np.column_stack([error, integral]), pi_law(error, integral)[:, None]


def build_model() -> Model:
    """Room temperature, heat loss to the outside, and the network-controlled heater."""
    model = Model(name="Thermal plant with neural controller",
                  doc="Hybrid sample: a room heated by a heater whose controller is a neural network.",
                  sim_spec=SimSpec(start=0.0, stop=48.0, dt=0.05, method="euler", time_units="hour"))
    for element in (
        Stock("temperature", "Temperature", equation="12", units="degC", inflows=["heating"],
              outflows=["heat_loss"]),
        Stock("error_integral", "Error integral", equation="0", units="degC*hour", inflows=["integration"]),
        Flow("heating", "Heating", equation="controller.power / heat capacity", units="degC/hour"),
        Flow("heat_loss", "Heat loss", units="degC/hour",
             equation="(Temperature - ambient) * conductance / heat capacity"),
        Flow("integration", "Integration", equation="setpoint - Temperature", units="degC"),
        Aux("setpoint", "setpoint", equation="21", units="degC"),
        Aux("ambient", "ambient", equation="5", units="degC"),
        Aux("conductance", "conductance", equation="0.15", units="kW/degC"),
        Aux("heat_capacity", "heat capacity", equation="2", units="kW*hour/degC"),
    ):
        model.add(element)
    component = add_neural_component(model, ONNX_FILE, name="controller", model_dir=HERE)
    component.inputs[0].equation = "setpoint - Temperature; Error integral"
    component.inputs[0].units = "degC; degC*hour"
    component.outputs[0].units = "kW"
    model.views.append(View("main", "Thermal plant", shapes={
        "temperature": Shape(350, 200, 80, 50), "error_integral": Shape(350, 380, 80, 50),
        "heating": Shape(200, 200, points=[(60, 200), (310, 200)]),
        "heat_loss": Shape(500, 200, points=[(390, 200), (640, 200)]),
        "integration": Shape(200, 380, points=[(60, 380), (310, 380)]),
        "setpoint": Shape(120, 300), "ambient": Shape(560, 100), "conductance": Shape(640, 130),
        "heat_capacity": Shape(360, 80), component.id: Shape(170, 90, 90, 60),
    }))
    return model


def main() -> None:
    rmse = fit_and_write(*training_data(), ONNX_FILE, inputs=[("state", 2)], outputs=[("power", 1)],
                         doc="heater power (kW) from [temperature error (degC), error integral (degC*h)]",
                         hidden=(24,), steps=4000, seed=3)
    io.save(build_model(), MODEL_FILE)
    print(f"wrote {ONNX_FILE.name} (fit RMSE {rmse:.3f} kW) and {MODEL_FILE.name}")


if __name__ == "__main__":
    main()
