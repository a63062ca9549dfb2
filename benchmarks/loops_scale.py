"""Benchmark: Loops That Matter on generated models of growing size, against a plain run of the same model.

A model of ``n`` sectors: each sector's stock grows through a reinforcing inflow, drains through an outflow
and adjusts to a smoothed (SMTH3) perception of its neighbours' stocks, three sectors on each side, so
the loops multiply with the sectors (millions at 100 sectors): beyond ``max_loops`` the strongest-path
search finds the ones that matter. Each row gives the seconds to find the structure (compile with hidden
values, causal graph, loop enumeration up to the cap), to analyse a run (run saving every step, polarity,
link and loop scores, discovery, dominance), the loops reported, and the analysis time over the time of a
plain run of the same model measured in the same process (the floor: LTM needs that run and more).

Run: ``.venv/bin/python benchmarks/loops_scale.py [--sizes 5,20,100] [--max-loops 1000]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import solvers  # noqa: E402
from metamodel.elements import Aux, Flow, SimSpec, Stock  # noqa: E402
from metamodel.model import Model  # noqa: E402
from solvers.analysis.ltm import LoopsThatMatter  # noqa: E402


def sectors(count: int, reach: int = 3) -> Model:
    """``count`` sectors coupled to ``reach`` neighbours on each side (see the module docstring)."""
    model = Model(name=f"{count} sectors", sim_spec=SimSpec(start=0, stop=50, dt=0.25))
    model.add(Aux("growth", "Growth", equation="0.04"))
    model.add(Aux("life", "Lifetime", equation="20"))
    for i in range(count):
        near = [j % count for j in range(i - reach, i + reach + 1) if j % count != i]
        model.add(Stock(f"s{i}", f"Stock {i}", equation=str(100 + 10 * i), inflows=[f"in{i}"],
                        outflows=[f"out{i}"]))
        model.add(Flow(f"in{i}", f"Inflow {i}", equation=f"Stock_{i} * Growth + (Perceived_{i} - Stock_{i}) / 5"))
        model.add(Flow(f"out{i}", f"Outflow {i}", equation=f"Stock_{i} / Lifetime"))
        model.add(Aux(f"p{i}", f"Perceived {i}",
                      equation=f"SMTH3(({' + '.join(f'Stock_{j}' for j in near)}) / {len(near)}, 4)"))
    return model


def measure(count: int, max_loops: int) -> dict[str, object]:
    model = sectors(count)
    began = time.perf_counter()
    ltm = LoopsThatMatter(model, max_loops=max_loops)
    structure = time.perf_counter() - began
    began = time.perf_counter()
    analysis = ltm.analyze()
    analyse = time.perf_counter() - began
    compiled = solvers.compile(model)
    compiled.run()
    began = time.perf_counter()
    compiled.run(save_per=model.sim_spec.dt)
    floor = time.perf_counter() - began
    variables = sum(1 for _ in model.variables())
    return {"sectors": count, "variables": variables, "links": len(ltm.graph.variable_links),
            "mode": analysis.mode, "loops": len(analysis.loops), "structure_s": round(structure, 3),
            "analyse_s": round(analyse, 3), "run_s": round(floor, 4), "analyse_over_run": round(analyse / floor, 1),
            "dominance_periods": len(analysis.dominance[0]), "notes": analysis.notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,20,100")
    parser.add_argument("--max-loops", type=int, default=1000)
    args = parser.parse_args()
    LoopsThatMatter(sectors(3)).analyze()  # imports and first-use costs stay out of the first row
    for count in (int(s) for s in args.sizes.split(",")):
        print(json.dumps(measure(count, args.max_loops)), flush=True)


if __name__ == "__main__":
    main()
