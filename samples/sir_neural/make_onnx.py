"""Build the hybrid SIR sample: fit the contact-rate network, write contact_net.onnx and sir_neural.salver.

The daily contacts per person depend on mobility (0 = lockdown, 1 = normal) and on the season
(-1 summer .. +1 winter). The script draws noisy observations of that relation, fits a 2-16-1 tanh
network to them with numpy, writes it as ONNX, and builds the SIR model whose infection rate reads the
network's output. Re-running it reproduces both files byte for byte (fixed seed).

Run: ``python samples/sir_neural/make_onnx.py``
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

ONNX_FILE = HERE / "contact_net.onnx"
MODEL_FILE = HERE / "sir_neural.salver"


def true_contacts(season: np.ndarray, mobility: np.ndarray) -> np.ndarray:
    """The relation the network learns: more contacts with mobility, more indoors in winter."""
    return 2.0 + 9.0 * mobility**1.3 * (1.0 + 0.3 * season) + 1.5 * np.maximum(season, 0.0) * mobility


def training_data(samples: int = 2000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    season = rng.uniform(-1.0, 1.0, samples)
    mobility = rng.uniform(0.0, 1.2, samples)
    contacts = true_contacts(season, mobility) + rng.normal(0.0, 0.2, samples)
    return np.column_stack([season, mobility]), contacts[:, None]


def build_model() -> Model:
    """The SIR model with its contact-rate network wired in."""
    model = Model(name="SIR with learned contact rate",
                  doc="Hybrid sample: an SIR epidemic whose contact rate is a neural network of "
                      "mobility and season.",
                  sim_spec=SimSpec(start=0.0, stop=200.0, dt=0.25, method="euler", time_units="day"))
    for element in (
        Stock("susceptible", "Susceptible", equation="9990", units="person", outflows=["infection"]),
        Stock("infected", "Infected", equation="10", units="person", inflows=["infection"],
              outflows=["recovery"]),
        Stock("recovered", "Recovered", equation="0", units="person", inflows=["recovery"]),
        Flow("infection", "Infection", units="person/day",
             equation="contact_net.contacts * infectivity * Susceptible * Infected / population"),
        Flow("recovery", "Recovery", units="person/day", equation="Infected / duration"),
        Aux("population", "population", equation="Susceptible + Infected + Recovered", units="person"),
        Aux("infectivity", "infectivity", equation="0.03", units="1/contact"),
        Aux("duration", "duration", equation="7", units="day"),
        Aux("mobility", "mobility", equation="0.6", units="dmnl"),
        Aux("season", "season", equation="COS(2 * PI * (TIME - 15) / 365)", units="dmnl"),
    ):
        model.add(element)
    component = add_neural_component(model, ONNX_FILE, name="contact_net", model_dir=HERE)
    equations = {"season": "season", "mobility": "mobility"}
    for port in component.inputs:
        port.equation = equations[port.name]
    component.outputs[0].units = "contact/day"
    model.views.append(View("main", "SIR", shapes={
        "susceptible": Shape(100, 200, 80, 50), "infected": Shape(350, 200, 80, 50),
        "recovered": Shape(600, 200, 80, 50),
        "infection": Shape(225, 200, points=[(140, 200), (310, 200)]),
        "recovery": Shape(475, 200, points=[(390, 200), (560, 200)]),
        "population": Shape(350, 330), "infectivity": Shape(180, 80), "duration": Shape(520, 80),
        "mobility": Shape(40, 30), "season": Shape(140, 10), component.id: Shape(250, 40, 90, 60),
    }))
    return model


def main() -> None:
    rmse = fit_and_write(*training_data(), ONNX_FILE, inputs=[("season", 1), ("mobility", 1)],
                         outputs=[("contacts", 1)],
                         doc="contacts per person and day from season (-1..1) and mobility (0..1.2)",
                         hidden=(16,), steps=3000, seed=1)
    io.save(build_model(), MODEL_FILE)
    print(f"wrote {ONNX_FILE.name} (fit RMSE {rmse:.3f} contacts/day) and {MODEL_FILE.name}")


if __name__ == "__main__":
    main()
