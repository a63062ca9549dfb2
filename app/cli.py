"""The ``salver`` command line: run, validate, info, convert, check, verify, serve, gui, loops, causes, uses.

Exit codes: 0 ok, 1 model errors (or a failed run), 2 usage errors or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from metamodel.errors import ModelError, ParseError, SalverError, SimulationError

if TYPE_CHECKING:
    import numpy as np

EXIT_OK, EXIT_MODEL, EXIT_USAGE = 0, 1, 2


class UsageError(SalverError):
    """A command line that names something impossible (bad --set syntax, unknown format)."""


def _load(path: str):  # noqa: ANN202 - (Model, ImportReport)
    from importers import load

    return load(path)


def _require_complete(report, args: argparse.Namespace) -> None:  # noqa: ANN001 - ImportReport
    """Refuse a model whose import reported errors, or say loudly that its placeholders are used."""
    if not args.allow_placeholders:
        report.require_complete()
    for entry in report.errors:
        print(f"salver: warning: {report.source}: placeholder in use: {entry}", file=sys.stderr)


# -- run ----------------------------------------------------------------------------------------------
def _parse_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"expected NAME=VALUE, got '{text}'")
    return name.strip(), value.strip()


def _parse_sets(items: Sequence[str]) -> dict[str, float]:
    values = {}
    for item in items:
        name, value = _parse_assignment(item)
        try:
            values[name] = float(value)
        except ValueError:
            raise UsageError(f"--set {name}: '{value}' is not a number") from None
    return values


def _parse_sweep(text: str) -> tuple[str, np.ndarray]:
    name, spec = _parse_assignment(text)
    parts = spec.split(":")
    try:
        low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        raise UsageError(f"--sweep {name}: expected LOW:HIGH:N, got '{spec}'") from None
    if count < 1 or len(parts) != 3:
        raise UsageError(f"--sweep {name}: N must be a positive whole number")
    import numpy as np

    return name, np.linspace(low, high, count)


class ProgressBar:
    """A one-line progress bar on a terminal (silent when stderr is not a terminal)."""

    def __init__(self, label: str, stream=None) -> None:  # noqa: ANN001 - a text stream
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = self.stream.isatty()

    def __call__(self, fraction: float) -> None:
        if self.enabled:
            filled = int(fraction * 30)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def cmd_run(args: argparse.Namespace) -> int:
    import warnings

    import solvers
    from solvers.backends import NativeFallbackWarning
    from solvers.stability import StiffnessWarning

    model, report = _load(args.model)
    _require_complete(report, args)
    compiled = solvers.compile(model)
    for entry in report.entries:  # behaviour the model has and the run leaves out (state machines, activities)
        if "not executed" in entry.reason:
            print(f"salver: note: {entry.reason}", file=sys.stderr)
    if not compiled.variables:
        raise ModelError(f"'{args.model}' has nothing to simulate: no stocks, flows or auxiliaries "
                         "(an architecture runs when its blocks have SD behaviour or constraints)")
    params: dict[str, object] = dict(_parse_sets(args.set or []))
    swept = None
    if args.sweep:
        swept, values = _parse_sweep(args.sweep)
        params[swept] = values
    progress = ProgressBar(f"{Path(args.model).name}: {len(params.get(swept, [1])) if swept else 1} run(s)")
    try:
        with warnings.catch_warnings():  # the notes below say it once, without a source line
            warnings.simplefilter("ignore", NativeFallbackWarning)
            warnings.simplefilter("ignore", StiffnessWarning)
            results = compiled.run(params=params, method=args.method, stop=args.stop, dt=args.dt,
                                   save_per=args.save_per, seed=args.seed, require_gpu=args.require_gpu,
                                   progress=progress if progress.enabled else None, backend=args.backend)
    finally:
        progress.close()
    if results.metadata.get("backend_note") and args.backend == "native":
        print(f"salver: note: ran in Python: {results.metadata['backend_note']}", file=sys.stderr)
    for warning in results.metadata.get("warnings", []):
        print(f"salver: warning: {args.model}: {warning}", file=sys.stderr)
    if args.out:
        if Path(args.out).suffix.lower() == ".parquet":
            from solvers.output.parquet import write_results

            write_results(results, args.out, {swept: params[swept]} if swept else {}, {"model": model.name})
        elif swept:
            _write_sweep_csv(results, swept, params[swept], args.out)  # type: ignore[arg-type]
        else:
            results.to_csv(args.out)
    if args.plot:
        from app.plotting import save_plot

        save_plot(results, args.plot, title=model.name)
    if not args.out and not args.plot:
        results.write_csv(sys.stdout)
    return EXIT_OK


def _write_sweep_csv(results, name: str, values: np.ndarray, path: str) -> None:  # noqa: ANN001 - Results
    import csv

    from metamodel import atomic

    with atomic.replacing(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["run", name, "time", *results.names])
        columns = [results[n] for n in results.names]
        for run in range(results.runs):
            for step, time in enumerate(results.time):
                writer.writerow([run, repr(float(values[run])), repr(float(time)),
                                 *(repr(float(c[step, run])) for c in columns)])


# -- validate / info -----------------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from metamodel.validation import validate

    status = EXIT_OK
    documents = []
    for path in args.files:
        model, report = _load(path)
        diagnostics = report.diagnostics(allow_placeholders=args.allow_placeholders) + validate(model)
        if any(d.severity == "error" for d in diagnostics):
            status = EXIT_MODEL
        if args.json:
            documents.append({"file": path, "diagnostics": [d.to_json() for d in diagnostics],
                              "import_report": report.to_json()})
        else:
            for diagnostic in diagnostics:
                print(f"{path}: {diagnostic}")
            errors = sum(d.severity == "error" for d in diagnostics)
            print(f"{path}: {errors} error(s), {len(diagnostics) - errors} warning(s)")
    if args.json:
        print(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
    return status


def model_info(path: str) -> dict[str, object]:
    """Summary of a model file: element counts by kind, sim specs, views, import report, providers."""
    from dataclasses import asdict

    from metamodel.elements import ELEMENT_TYPES

    model, report = _load(path)
    counts = dict.fromkeys(sorted(ELEMENT_TYPES), 0)
    for element in model.elements.values():
        counts[element.kind] = counts.get(element.kind, 0) + 1
    info: dict[str, object] = {
        "file": path, "name": model.name, "counts": counts, "sim_spec": asdict(model.sim_spec),
        "views": [{"name": v.name, "kind": v.kind, "shapes": len(v.shapes)} for v in model.views],
        "submodels": sorted(model.submodels), "import_report": report.to_json(),
    }
    neural = [e for e in model.elements.values() if e.kind == "neural"]
    if neural:
        from solvers.neural import describe_providers

        info["neural"] = describe_providers(model)
    if any(e.kind == "fmu" for e in model.elements.values()):
        from app.fmu_cli import describe_fmus

        info["fmus"] = describe_fmus(model)
    return info


def cmd_info(args: argparse.Namespace) -> int:
    info = model_info(args.file)
    if args.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    print(f"{info['file']}: model '{info['name']}'")
    spec = info["sim_spec"]
    print(f"  time {spec['start']} to {spec['stop']} step {spec['dt']} ({spec['method']}) {spec['time_units']}")
    for kind, count in info["counts"].items():  # type: ignore[union-attr]
        if count:
            print(f"  {kind}: {count}")
    for component in info.get("neural", []):  # type: ignore[union-attr]
        print(f"  neural component '{component['name']}' runs on {component['provider']}")
    if "fmus" in info:
        from app.fmu_cli import print_fmus

        print_fmus(info["fmus"])  # type: ignore[arg-type]
    for entry in info["import_report"]["entries"]:  # type: ignore[index]
        print(f"  import: {entry['severity']}: {entry['element']} line {entry['line']}: {entry['reason']}")
    return EXIT_OK


# -- convert -------------------------------------------------------------------------------------------
def cmd_convert(args: argparse.Namespace) -> int:
    model, report = _load(args.input)
    _require_complete(report, args)
    suffix = Path(args.output).suffix.lower()
    if suffix == ".salver":
        from metamodel import io

        io.save(model, args.output)
    elif suffix in (".xmile", ".stmx"):
        from importers import xmile

        xmile.save(model, args.output)
    else:
        raise UsageError(f"cannot write '{suffix}' files; write .salver, .xmile or .stmx")
    print(f"wrote {args.output}")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from app.gui.launch import run_gui

    return run_gui(args.file, screenshot=args.screenshot)


# -- parser --------------------------------------------------------------------------------------------
def add_placeholder_option(parser: argparse.ArgumentParser, effect: str) -> None:
    """The ``--allow-placeholders`` opt-in: a model whose import reported errors (dropped elements,
    equations replaced by the placeholder 0) is an error without it."""
    parser.add_argument("--allow-placeholders", action="store_true",
                        help=f"when the import reported errors (dropped elements, equations replaced by the "
                             f"placeholder 0): {effect} (without it they are errors)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salver", description="Executable system models: run, check, serve.")
    parser.add_argument("--allow-path", action="append", metavar="DIR", default=[],
                        help="let models read files under DIR too (data, ONNX, behaviours, referenced XMI files); "
                             "by default only their own folder (also: SALVER_ALLOW_PATHS)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="simulate a model")
    run.add_argument("model")
    run.add_argument("--set", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    run.add_argument("--sweep", metavar="NAME=LOW:HIGH:N", help="N runs over a parameter range, vectorized")
    run.add_argument("--method", help="euler, rk2, rk4, rk45, lsoda, bdf, radau")
    run.add_argument("--stop", type=float, help="stop time")
    run.add_argument("--dt", type=float, help="time step")
    run.add_argument("--save-per", type=float, metavar="PERIOD", help="save results every PERIOD (default: each step)")
    run.add_argument("--seed", type=int, help="seed of the random functions")
    run.add_argument("--out", help="CSV file of the results, or .parquet (every run of a sweep, streamed)")
    run.add_argument("--plot", help="PNG file with a plot of the results")
    run.add_argument("--require-gpu", action="store_true", help="fail unless neural components run on a GPU")
    add_placeholder_option(run, "run anyway, with a warning for each")
    run.add_argument("--backend", choices=("auto", "python", "native"), default="auto",
                     help="auto (by size, the default), python, or native (compiled C, cached)")
    run.set_defaults(handler=cmd_run)

    validate = sub.add_parser("validate", help="check a model and print its diagnostics")
    validate.add_argument("files", nargs="+")
    validate.add_argument("--json", action="store_true")
    add_placeholder_option(validate, "report them as warnings")
    validate.set_defaults(handler=cmd_validate)

    info = sub.add_parser("info", help="summarise a model")
    info.add_argument("file")
    info.add_argument("--json", action="store_true")
    info.set_defaults(handler=cmd_info)

    convert = sub.add_parser("convert", help="convert between formats")
    convert.add_argument("input")
    convert.add_argument("output")
    add_placeholder_option(convert, "write the file anyway, with a warning for each")
    convert.set_defaults(handler=cmd_convert)

    gui = sub.add_parser("gui", help="open the workbench")
    gui.add_argument("file", nargs="?")
    gui.add_argument("--screenshot", metavar="OUT.png", help="render the window, save a screenshot and exit")
    gui.set_defaults(handler=cmd_gui)

    for add in _extensions():
        add(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands defined beside their front ends (check, serve, analyses)."""
    from app.analysis_cli import add_analysis_parsers
    from app.check_cli import add_check_parser
    from app.fmu_cli import add_export_parser
    from app.loops_cli import add_loops_parsers
    from app.server.cli import add_serve_parser
    from app.verify_cli import add_verify_parser

    return [add_check_parser, add_serve_parser, add_analysis_parsers, add_verify_parser, add_loops_parsers,
            add_export_parser]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.allow_path:
        from metamodel import access

        access.allow(args.allow_path)
    try:
        return int(args.handler(args))
    except (ParseError, UsageError, FileNotFoundError) as exc:
        print(f"salver: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ModelError, SimulationError) as exc:
        print(f"salver: error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except SalverError as exc:
        print(f"salver: error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, never a traceback
        if os.environ.get("SALVER_DEBUG"):
            raise
        print(f"salver: internal error: {type(exc).__name__}: {exc} (set SALVER_DEBUG=1 for the details)",
              file=sys.stderr)
        return EXIT_MODEL


if __name__ == "__main__":
    sys.exit(main())
