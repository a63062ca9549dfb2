"""``salver causes``, ``salver uses`` and ``salver loops``: the structure of a model and the loops that drive it.

``causes``/``uses MODEL VAR [--depth N]`` print the tree of what a variable is computed from (what is computed
from it); ``loops MODEL`` lists the feedback loops with their polarity and, from a run, the periods in which
each loop or set of loops dominates (Loops That Matter); ``--runs-from STUDY.parquet`` adds the dominance of
every run of a sensitivity study. ``--json`` prints JSON. Exit status 0, 1 when the model cannot be compiled or
run, 2 for an unreadable file or a variable the model does not have.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli import UsageError, _load, _parse_sets, _require_complete, add_placeholder_option


def add_loops_parsers(subparsers: Any) -> None:
    """Register ``causes``, ``uses`` and ``loops`` on an ``argparse`` subparsers object."""
    for name, what in (("causes", "what a variable is computed from"), ("uses", "what is computed from a variable")):
        tree = subparsers.add_parser(name, help=f"the tree of {what}",
                                     description=f"Print the tree of {what}, as Vensim's {name.title()} Tree.")
        tree.add_argument("model")
        tree.add_argument("variable")
        tree.add_argument("--depth", type=int, default=2, help="levels of the tree (default 2)")
        tree.add_argument("--json", action="store_true", help="print the tree as JSON")
        tree.set_defaults(handler=tree_command, upward=name == "causes")

    loops = subparsers.add_parser("loops", help="feedback loops, their polarity and dominance (Loops That Matter)",
                                  description="List the feedback loops of a model with their polarity and the "
                                              "periods in which they dominate a run (Loops That Matter).")
    loops.add_argument("model")
    loops.add_argument("--json", action="store_true", help="print loops and dominance as JSON")
    loops.add_argument("--max-loops", type=int, default=None,
                       help="loops listed before the strongest-path search takes over (default 1000)")
    loops.add_argument("--flow-scores", choices=("2020", "2023"), default="2020",
                       help="flow-to-stock link scores: 2020 (the paper, the default) or 2023 (the correction "
                            "Stella and Simlin use)")
    loops.add_argument("--set", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    loops.add_argument("--stop", type=float, help="stop time")
    loops.add_argument("--dt", type=float, help="time step")
    loops.add_argument("--runs-from", metavar="STUDY.parquet",
                       help="also the dominance of every run of a sensitivity study (salver sensitivity --out)")
    add_placeholder_option(loops, "analyse anyway")
    loops.set_defaults(handler=loops_command)


def tree_command(args: argparse.Namespace) -> int:
    from metamodel.errors import ModelError
    from solvers.analysis.structure import VariableGraph, causes, uses

    model, _report = _load(args.model)
    graph = VariableGraph(model)
    try:
        graph.node(args.variable)
    except ModelError as exc:
        raise UsageError(str(exc)) from None
    if args.depth < 0:
        raise UsageError(f"--depth must be 0 or more, not {args.depth}")
    tree = (causes if args.upward else uses)(graph, args.variable, args.depth)
    if args.json:
        print(json.dumps(tree.to_json(), indent=2))
    else:
        print("\n".join(tree.lines()))
    return 0


def loops_command(args: argparse.Namespace) -> int:
    from solvers.analysis.loops import MAX_LOOPS
    from solvers.analysis.ltm import LoopsThatMatter

    model, report = _load(args.model)
    _require_complete(report, args)
    max_loops = MAX_LOOPS if args.max_loops is None else args.max_loops
    if max_loops < 1:
        raise UsageError(f"--max-loops must be at least 1, not {max_loops}")
    ltm = LoopsThatMatter(model, max_loops=max_loops, flow_scores=args.flow_scores)
    options = {"params": _parse_sets(args.set or []), "stop": args.stop, "dt": args.dt}
    analysis = ltm.analyze(**options)
    output = analysis.to_json()
    if args.runs_from:
        output["runs"] = _per_run(ltm, args.runs_from, options)
    if args.json:
        print(json.dumps(output, indent=2))
    else:
        _print(output)
    return 0


def _per_run(ltm: Any, path: str, options: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: ANN401
    from solvers.output.parquet import OutputError, RunTable

    try:
        parameters = RunTable(path).parameters()
    except (OutputError, OSError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    fixed = dict(options["params"])
    varied = {name: values for name, values in parameters.items() if name not in fixed}
    _loops, periods = ltm.per_run(varied, params=fixed, stop=options["stop"], dt=options["dt"])
    return [{"run": run, "parameters": {name: float(values[run]) for name, values in varied.items()},
             "dominance": [period.to_json() for period in found]} for run, found in enumerate(periods)]


def _print(output: dict[str, Any]) -> None:
    loops = output["loops"]
    print(f"{len(loops)} feedback loop{'s' if len(loops) != 1 else ''} ({output['mode']}):")
    for loop in loops:
        chain = " -> ".join(loop["variables"] + loop["variables"][:1])
        print(f"  {loop['id']:>5}  mean share {100 * loop['mean_share']:5.1f} %  {chain}")
    print("dominance:")
    for period in output["dominance"]:
        print(f"  {period['start']:>10g} to {period['end']:<10g} {' + '.join(period['loops'])} "
              f"({100 * period['share']:.0f} %)")
    for run in output.get("runs", []):
        periods = ", ".join(f"{p['start']:g}-{p['end']:g} {'+'.join(p['loops'])}" for p in run["dominance"])
        print(f"  run {run['run']}: {periods}")
    for note in output["notes"]:
        print(f"note: {note}")
