"""Live-mode latency: from a slider move to the redrawn plot, for a generated 100-variable model over
1,000 steps (target: under 50 ms). Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/live_latency.py``."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from metamodel.elements import Aux, Flow, SimSpec, Stock  # noqa: E402
from metamodel.model import Model  # noqa: E402

CHAINS = 20  # each chain: stock, inflow, outflow, 2 auxiliaries = 5 variables -> 100 variables


def generated_model() -> Model:
    """20 coupled stock chains with flows, auxiliaries and parameters: 100 variables, 1,000 steps."""
    model = Model(name="live benchmark", sim_spec=SimSpec(start=0, stop=100, dt=0.1))
    for i in range(CHAINS):
        nxt = (i + 1) % CHAINS
        model.add(Aux(f"gain_{i}", f"gain{i}", equation=f"{0.02 + 0.001 * i}"))
        model.add(Aux(f"loss_{i}", f"loss{i}", equation=f"0.01 + 0.0005 * {i}"))
        model.add(Flow(f"in_{i}", f"in{i}", equation=f"gain{i} * level{nxt} * (1 - level{i} / 1000)"))
        model.add(Flow(f"out_{i}", f"out{i}", equation=f"loss{i} * level{i}"))
        model.add(Stock(f"level_{i}", f"level{i}", equation=f"{10 + i}", inflows=[f"in_{i}"], outflows=[f"out_{i}"]))
    return model


def main() -> int:
    import solvers
    from app.gui.docks.plots import PlotPanel
    from app.gui.launch import application
    from app.gui.live import LiveSession, ParameterSlider, parameter_range

    application()
    model = generated_model()
    compiled = solvers.compile(model)
    session = LiveSession(compiled)
    panel = PlotPanel()
    panel.resize(900, 400)
    panel.show()
    first = session.run()
    panel.add_results(first, [f"level{i}" for i in range(5)])
    name = "gain0"
    slider = ParameterSlider(name, session.defaults[name], parameter_range(model, name, session.defaults[name]))
    slider.sigValue.connect(session.set_value)
    session.sigResults.connect(panel.replace_latest)
    application().processEvents()
    timings = []
    for step in range(60):
        began = time.perf_counter()
        slider.slider.setValue(100 + step * 10)  # emits -> run -> replace curves
        panel.plot.repaint()  # synchronous redraw of the plot
        timings.append((time.perf_counter() - began) * 1000)
    timings = timings[5:]
    print(f"variables: {len(list(model.variables()))}, steps: {len(first.time) - 1}, "
          f"curves: {len(panel.selected_variables())}")
    print(f"slider move -> redraw: median {statistics.median(timings):.1f} ms, "
          f"p90 {sorted(timings)[int(0.9 * len(timings))]:.1f} ms, run alone {session.last_seconds * 1000:.1f} ms "
          f"(target < 50 ms)")
    session.sigResults.disconnect(panel.replace_latest)
    for widget in (slider, panel):
        widget.close()
        widget.deleteLater()
    application().processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
