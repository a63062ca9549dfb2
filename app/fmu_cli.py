"""``salver export MODEL OUT.fmu``, and what ``salver info`` says of FMU components."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from metamodel.elements import FmuComponent
from metamodel.model import Model


def describe_fmus(model: Model) -> list[dict[str, object]]:
    """Per FMU component: its file, FMI version, interfaces, default experiment and variables (name,
    unit, start value, what feeds an input)."""
    described = []
    for component in model.of_kind(FmuComponent):
        start, stop, step = component.experiment
        described.append({
            "name": component.name, "path": component.path, "fmi_version": component.fmi_version,
            "interface": component.interface, "interfaces": list(component.interfaces),
            "states": component.states, "event_indicators": component.event_indicators,
            "default_experiment": {"start": start, "stop": stop, "step": step},
            **{group: [asdict(v) for v in getattr(component, group)] for group in ("inputs", "outputs", "parameters")},
        })
    return described


def print_fmus(described: list[dict[str, object]]) -> None:
    """The text form of ``describe_fmus`` for ``salver info``."""
    for fmu in described:
        kinds = {"cs": "co-simulation", "me": "model exchange"}
        offered = ", ".join(kinds[i] for i in fmu["interfaces"])  # type: ignore[union-attr]
        experiment = fmu["default_experiment"]
        print(f"  FMU '{fmu['name']}' ({fmu['path']}): FMI {fmu['fmi_version']}, {offered}; runs as "
              f"{kinds[str(fmu['interface'])]}; default experiment {experiment['start']} to {experiment['stop']}"  # type: ignore[index]
              f" step {experiment['step']}")  # type: ignore[index]
        for group in ("inputs", "outputs", "parameters"):
            for variable in fmu[group]:  # type: ignore[union-attr]
                unit = f" [{variable['units']}]" if variable["units"] else ""
                start = f" start {variable['start']}" if variable["start"] is not None else ""
                fed = f" = {variable['equation']}" if variable["equation"] else ""
                print(f"    {group[:-1]} {variable['name']}{unit} ({variable['type']}){start}{fed}")


def cmd_export(args: argparse.Namespace) -> int:
    from app.cli import _load, _require_complete
    from solvers.fmu_export import export_fmu

    model, report = _load(args.model)
    _require_complete(report, args)
    path = export_fmu(model, args.output, inputs=args.input or [])
    print(f"wrote {path}")
    return 0


def add_export_parser(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser("export", help="export a model as an FMI 2.0 co-simulation FMU")
    export.add_argument("model")
    export.add_argument("output", help="the .fmu file to write")
    export.add_argument("--input", action="append", metavar="NAME",
                        help="a parameter to export as an FMU input (repeatable); the others are parameters")
    from app.cli import add_placeholder_option

    add_placeholder_option(export, "export anyway, with a warning for each")
    export.set_defaults(handler=cmd_export)
