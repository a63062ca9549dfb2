"""A generated stock-and-flow model with a laid-out diagram of a chosen size, for the GUI soak test and
the edit-latency benchmark."""

from __future__ import annotations

from metamodel.elements import Aux, Flow, SimSpec, Stock
from metamodel.model import Model
from metamodel.views import Link, Shape, View

CELL = (420.0, 260.0)  # one chain's cell in the grid
COLUMNS = 20


def big_diagram(elements: int = 1000) -> Model:
    """``elements // 4`` chains, each a stock with an inflow from a cloud, a rate parameter and an
    auxiliary that reads the stock, drawn on a grid with two links per chain."""
    model = Model(name="big diagram", sim_spec=SimSpec(start=0, stop=10, dt=0.25))
    view = View("main", "Main", "stock_flow")
    model.views.append(view)
    for i in range(elements // 4):
        x0, y0 = (i % COLUMNS) * CELL[0], (i // COLUMNS) * CELL[1]
        stock, flow, rate, aux = f"level_{i}", f"inflow_{i}", f"rate_{i}", f"ratio_{i}"
        model.add(Aux(rate, f"rate {i}", equation=f"{0.01 * (i % 7 + 1)}"))
        model.add(Flow(flow, f"inflow {i}", equation=f"rate {i} * level {i}"))
        model.add(Stock(stock, f"level {i}", equation="10", inflows=[flow]))
        model.add(Aux(aux, f"ratio {i}", equation=f"level {i} / 10"))
        view.shapes[stock] = Shape(x0 + 280, y0 + 60, 90, 55)
        view.shapes[flow] = Shape(x0 + 150, y0 + 60, points=[(x0 + 40, y0 + 60), (x0 + 235, y0 + 60)])
        view.shapes[rate] = Shape(x0 + 110, y0 + 170, 34, 34)
        view.shapes[aux] = Shape(x0 + 300, y0 + 180, 34, 34)
        view.links[f"link_r{i}"] = Link(rate, flow, None)
        view.links[f"link_a{i}"] = Link(stock, aux, -20.0)
    return model
