"""``salver check FILE``: run the architecture checks on any file Salver reads.

Output as text, JSON or SARIF 2.1.0. Exit status 0 when no errors are found, 1 when errors are found,
2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from app.cli import add_placeholder_option
from metamodel.errors import ParseError

if TYPE_CHECKING:
    from metamodel.validation.registry import Diagnostic

DOMAINS = ("architecture",)


def add_check_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``check`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser("check", help="run the architecture checks on a model file",
                                   description="Check a model (SysML XMI, .salver, …) for architecture "
                                               "problems. Exit status 1 when errors are found, 2 when the "
                                               "file cannot be read.")
    parser.add_argument("file", help="model file (.xmi, .uml, .mdzip, .salver, …)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="output format on stdout (default text)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("--sarif", metavar="OUT", help="also write a SARIF 2.1.0 report to OUT")
    add_placeholder_option(parser, "report them as warnings")
    parser.set_defaults(handler=check_command)
    return parser


def check_command(args: argparse.Namespace) -> int:
    """Run the checks for parsed ``args``; print the findings and return the exit status."""
    import importers
    from app.sarif import to_sarif
    from metamodel import atomic
    from metamodel.validation import arch_rules  # noqa: F401  (registers the AR rules)
    from metamodel.validation.registry import RULES, run_rules

    try:
        model, report = importers.load(args.file)
    except ParseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from solvers.architecture import diagnose

    diagnostics = report.diagnostics(allow_placeholders=args.allow_placeholders) + run_rules(model, DOMAINS)
    diagnostics += diagnose(model)  # what keeps the architecture from running: wiring, behaviours, parametrics
    output_format = "json" if args.json else args.format
    rules = {code: r for code, r in RULES.items() if r.domain in DOMAINS}
    sarif = to_sarif(diagnostics, rules, args.file, report.lines)
    if args.sarif:
        try:
            atomic.write_text(args.sarif, json.dumps(sarif, indent=2))
        except OSError as exc:
            print(f"error: cannot write {args.sarif}: {exc.strerror}", file=sys.stderr)
            return 2
    if output_format == "sarif":
        print(json.dumps(sarif, indent=2))
    elif output_format == "json":
        print(json.dumps({"file": args.file, "import_report": report.to_json(),
                          "diagnostics": [d.to_json() for d in diagnostics],
                          "summary": _summary(diagnostics)}, indent=2))
    else:
        for diagnostic in diagnostics:
            print(f"{args.file}: {diagnostic}")
        counts = _summary(diagnostics)
        print(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    return 1 if any(d.severity == "error" for d in diagnostics) else 0


def _summary(diagnostics: list[Diagnostic]) -> dict[str, int]:
    return {severity: sum(1 for d in diagnostics if d.severity == severity)
            for severity in ("error", "warning", "info")}
