"""Writes the classic sample models of ``samples/`` in the native format.

Run ``python samples/make_samples.py`` from the repository root to regenerate them.
"""

from __future__ import annotations

from pathlib import Path

from metamodel import io
from metamodel.elements import (
    Aux,
    Block,
    Connector,
    ConnectorEnd,
    Flow,
    Part,
    Port,
    Relation,
    Requirement,
    SimSpec,
    Stock,
    ValueType,
)
from metamodel.model import Model
from metamodel.views import Link, Shape, View

HERE = Path(__file__).resolve().parent


class SketchBuilder:
    """Adds SD elements to a model together with their shapes in one stock-flow view."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.view = View(id="main", name="Stock and flow", kind="stock_flow")
        model.views.append(self.view)

    def stock(self, name: str, initial: str, x: float, y: float, units: str, doc: str, **kw: object) -> Stock:
        element = self.model.add(Stock(self.model.new_id(name), name, doc=doc, equation=initial, units=units,
                                       **kw))  # type: ignore[arg-type]
        self.view.shapes[element.id] = Shape(x, y, 90, 50)
        return element

    def flow(self, name: str, equation: str, source: Stock | None, target: Stock | None, points: list[tuple],
             units: str, doc: str) -> Flow:
        element = self.model.add(Flow(self.model.new_id(name), name, doc=doc, equation=equation, units=units))
        if source is not None:
            source.outflows.append(element.id)
        if target is not None:
            target.inflows.append(element.id)
        mid = points[len(points) // 2 - 1] if len(points) > 1 else points[0]
        x = (points[0][0] + points[-1][0]) / 2
        self.view.shapes[element.id] = Shape(x, mid[1], 24, 24, points=points)
        return element

    def aux(self, name: str, equation: str, x: float, y: float, units: str, doc: str,
            range_: tuple[float, float] | None = None) -> Aux:
        element = self.model.add(Aux(self.model.new_id(name), name, doc=doc, equation=equation, units=units,
                                     range=range_))
        self.view.shapes[element.id] = Shape(x, y, 18, 18)
        return element

    def link(self, source: object, target: object, angle: float | None = None) -> None:
        link_id = f"link_{len(self.view.links) + 1}"
        self.view.links[link_id] = Link(source.id, target.id, angle)  # type: ignore[attr-defined]


def teacup() -> Model:
    model = Model(name="Teacup", doc="Newton's law of cooling: a cup of tea cools toward room temperature.",
                  sim_spec=SimSpec(start=0, stop=30, dt=0.125, save_per=0.125, method="euler", time_units="minute"))
    b = SketchBuilder(model)
    tea = b.stock("Teacup Temperature", "180", 300, 200, "degrees", "Temperature of the tea in the cup.")
    loss = b.flow("Heat Loss to Room", "(Teacup Temperature - Room Temperature) / Characteristic Time", tea, None,
                  [(345, 200), (520, 200)], "degrees/minute", "Heat flowing from the tea into the room.")
    room = b.aux("Room Temperature", "70", 560, 300, "degrees", "Temperature of the surrounding room.", (0, 120))
    time = b.aux("Characteristic Time", "10", 430, 320, "minute", "How quickly the tea exchanges heat.", (1, 30))
    for source, target in ((tea, loss), (room, loss), (time, loss)):
        b.link(source, target)
    return model


def sir() -> Model:
    model = Model(name="SIR epidemic", doc="Kermack-McKendrick SIR model of an epidemic in a closed population.",
                  sim_spec=SimSpec(start=0, stop=100, dt=0.25, save_per=1, method="euler", time_units="day"))
    b = SketchBuilder(model)
    s = b.stock("Susceptible", "990", 150, 200, "people", "People who can catch the disease.")
    i = b.stock("Infected", "10", 400, 200, "people", "People who have the disease and spread it.")
    r = b.stock("Recovered", "0", 650, 200, "people", "People who recovered and are immune.")
    infection = b.flow("Infection", "Contact Rate * Infectivity * Susceptible * Infected / Total Population",
                       s, i, [(195, 200), (355, 200)], "people/day", "New infections per day.")
    recovery = b.flow("Recovery", "Infected / Duration", i, r, [(445, 200), (605, 200)], "people/day",
                      "Recoveries per day.")
    contact = b.aux("Contact Rate", "4", 200, 330, "1/day", "Contacts per person per day.", (0, 10))
    infectivity = b.aux("Infectivity", "0.1", 300, 340, "dmnl", "Chance that a contact transmits.", (0, 1))
    total = b.aux("Total Population", "Susceptible + Infected + Recovered", 275, 90, "people",
                  "Everyone in the population.")
    duration = b.aux("Duration", "5", 520, 330, "day", "Average time a person stays infectious.", (1, 20))
    for source, target in ((contact, infection), (infectivity, infection), (total, infection), (s, infection),
                           (i, infection), (i, recovery), (duration, recovery), (s, total), (i, total),
                           (r, total)):
        b.link(source, target)
    return model


def predator_prey() -> Model:
    model = Model(name="Predator-prey", doc="Lotka-Volterra dynamics of hares and lynx.",
                  sim_spec=SimSpec(start=0, stop=50, dt=0.01, save_per=0.1, method="rk4", time_units="year"))
    b = SketchBuilder(model)
    prey = b.stock("Prey", "10", 250, 150, "animals", "Prey population (hares).", non_negative=True)
    predators = b.stock("Predators", "5", 250, 400, "animals", "Predator population (lynx).", non_negative=True)
    births = b.flow("Prey Births", "Prey Birth Rate * Prey", None, prey, [(80, 150), (205, 150)], "animals/year",
                    "Hares born per year.")
    predation = b.flow("Predation", "Predation Rate * Prey * Predators", prey, None, [(295, 150), (450, 150)],
                       "animals/year", "Hares eaten per year.")
    predator_births = b.flow("Predator Births", "Predator Efficiency * Predation Rate * Prey * Predators", None,
                             predators, [(80, 400), (205, 400)], "animals/year", "Lynx born per year.")
    deaths = b.flow("Predator Deaths", "Predator Death Rate * Predators", predators, None,
                    [(295, 400), (450, 400)], "animals/year", "Lynx dying per year.")
    birth_rate = b.aux("Prey Birth Rate", "1", 100, 60, "1/year", "Fractional birth rate of hares.", (0, 3))
    predation_rate = b.aux("Predation Rate", "0.1", 420, 270, "1/(animals*year)",
                           "Fraction of hares a lynx catches per year.", (0, 1))
    efficiency = b.aux("Predator Efficiency", "0.75", 120, 280, "dmnl",
                       "Lynx born per hare eaten.", (0, 1))
    death_rate = b.aux("Predator Death Rate", "1.5", 420, 500, "1/year", "Fractional death rate of lynx.", (0, 2))
    for source, target in ((birth_rate, births), (prey, births), (predation_rate, predation), (prey, predation),
                           (predators, predation), (efficiency, predator_births), (predation_rate, predator_births),
                           (prey, predator_births), (predators, predator_births), (death_rate, deaths),
                           (predators, deaths)):
        b.link(source, target)
    return model


def pump_station() -> Model:
    """A small architecture: a pump station of tank, pump and controller blocks wired by ports."""
    model = Model(name="Pump station", doc="Architecture of a water pump station.")
    view = View(id="blocks", name="Block diagram", kind="block")
    model.views.append(view)

    def add(element, x: float, y: float, w: float = 160, h: float = 90):  # noqa: ANN001, ANN202
        model.add(element)
        view.shapes[element.id] = Shape(x, y, w, h)
        return element

    water = model.add(ValueType("water_flow", "WaterFlow", units="m^3/s", doc="Volumetric flow of water."))
    signal = model.add(ValueType("speed_signal", "SpeedSignal", units="dmnl", doc="Pump speed command, 0..1."))
    station = add(Block("station", "PumpStation", doc="The whole station."), 400, 260, 700, 420)
    tank = add(Block("tank", "Tank", doc="Stores water for the town."), 200, 500)
    pump = add(Block("pump", "Pump", doc="Lifts water from the well into the tank."), 420, 500)
    controller = add(Block("controller", "Controller", doc="Sets the pump speed from the tank level."), 640, 500)
    parts = {}
    for name, block in (("tank", tank), ("pump", pump), ("controller", controller)):
        parts[name] = add(Part(f"station_{name}", name, owner=station.id, type=block.id), 0, 0, 0, 0)
        view.shapes.pop(parts[name].id)

    def port(pid: str, name: str, owner: Block, direction: str, vtype: ValueType, units: str, x: float,
             y: float) -> Port:
        return add(Port(pid, name, owner=owner.id, direction=direction, type=vtype.id, flow_type=vtype.name,
                        units=units, port_kind="proxy"), x, y, 14, 14)

    pump_out = port("pump_out", "outlet", pump, "out", water, "m^3/s", 500, 480)
    tank_in = port("tank_in", "inlet", tank, "in", water, "m^3/s", 120, 480)
    speed_out = port("ctrl_speed", "speed", controller, "out", signal, "dmnl", 560, 520)
    speed_in = port("pump_speed", "speed", pump, "in", signal, "dmnl", 340, 520)
    model.add(Connector("c_water", "water", owner=station.id, ends=[
        ConnectorEnd(pump_out.id, parts["pump"].id), ConnectorEnd(tank_in.id, parts["tank"].id)]))
    model.add(Connector("c_speed", "speed command", owner=station.id, ends=[
        ConnectorEnd(speed_out.id, parts["controller"].id), ConnectorEnd(speed_in.id, parts["pump"].id)]))
    requirement = model.add(Requirement("req_supply", "Supply", req_id="R1",
                                        text="The station shall deliver at least 0.05 m^3/s to the town."))
    model.add(Relation("sat_supply", "satisfies supply", relation="satisfy", sources=[pump.id],
                       targets=[requirement.id]))
    return model


SAMPLES = {"teacup.salver": teacup, "sir.salver": sir, "predator_prey.salver": predator_prey,
           "pump_station.salver": pump_station}


def main() -> None:
    for filename, build in SAMPLES.items():
        io.save(build(), HERE / filename)
        print(f"wrote samples/{filename}")


if __name__ == "__main__":
    main()
