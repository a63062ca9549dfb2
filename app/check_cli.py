"""``salver check FILE``: run the architecture checks on any file Salver reads.

Output as text, JSON or SARIF 2.1.0. Which rules run, their severities, suppressions and a baseline of
known findings come from ``--select``/``--ignore``, ``--baseline`` and a ``salver-check.toml`` beside the
model (see :mod:`app.check_config`). Exit status 0 when no new, unsuppressed error is found, 1 when one
is, 2 when the file, the configuration or the baseline cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli import add_placeholder_option
from metamodel.errors import ParseError

if TYPE_CHECKING:  # the check machinery loads when the command runs, not when salver starts
    from app.check_config import Outcome

DOMAINS = ("architecture",)


def add_check_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``check`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser("check", help="run the architecture checks on a model file",
                                   description="Check a model (SysML XMI, Capella, AADL, MTIP, .salver, …) for "
                                               "architecture problems. Exit status 1 when new errors are found, "
                                               "2 when the file cannot be read.")
    parser.add_argument("file", help="model file (.xmi, .uml, .mdzip, .capella, .aadl, .sysml, .xml, .archimate, "
                                     ".salver, …)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="output format on stdout (default text)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("--sarif", metavar="OUT", help="also write a SARIF 2.1.0 report to OUT")
    parser.add_argument("--select", metavar="CODES", help="only these rules (codes or prefixes, comma-separated)")
    parser.add_argument("--ignore", metavar="CODES", help="leave out these rules (codes or prefixes)")
    parser.add_argument("--config", metavar="TOML", help="configuration file (default: salver-check.toml "
                                                         "beside the model, when there is one)")
    parser.add_argument("--baseline", metavar="JSON", help="known findings: only new ones fail the run")
    parser.add_argument("--write-baseline", metavar="JSON", help="record this run's findings as the baseline")
    add_placeholder_option(parser, "report them as warnings")
    parser.set_defaults(handler=check_command)
    return parser


def check_command(args: argparse.Namespace) -> int:
    """Run the checks for parsed ``args``; print the findings and return the exit status."""
    import importers
    from app.check_config import CheckConfigError, apply, codes, load_config, read_baseline, write_baseline
    from metamodel import atomic
    from metamodel.validation import RULES, run_rules  # loads every rule module

    try:
        config = load_config(args.file, args.config)
        config.select = codes(args.select) or config.select
        config.ignore = [*config.ignore, *codes(args.ignore)]
        baseline_path = Path(args.baseline) if args.baseline else config.baseline
        baseline = read_baseline(baseline_path) if baseline_path and not args.write_baseline else None
        model, report = importers.load(args.file)
    except (ParseError, CheckConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from metamodel.gc_pause import gc_paused
    from solvers.architecture import diagnose

    found = report.diagnostics(allow_placeholders=args.allow_placeholders) + run_rules(model, DOMAINS)
    with gc_paused():  # as in the rules: collections would pass over a large model again and again
        found += diagnose(model)  # what keeps the architecture from running: wiring, behaviours, parametrics
    outcomes = apply(found, config, model, baseline)
    if args.write_baseline:
        try:
            write_baseline(Path(args.write_baseline), [o.diagnostic for o in outcomes if not o.suppressed])
        except CheckConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    rules = {code: r for code, r in RULES.items() if r.domain in DOMAINS and config.runs(code)}
    sarif = _sarif(outcomes, rules, args.file, report.lines, model, baseline is not None)
    if args.sarif:
        try:
            atomic.write_text(args.sarif, json.dumps(sarif, indent=2))
        except OSError as exc:
            print(f"error: cannot write {args.sarif}: {exc.strerror}", file=sys.stderr)
            return 2
    output_format = "json" if args.json else args.format
    if output_format == "sarif":
        print(json.dumps(sarif, indent=2))
    elif output_format == "json":
        print(json.dumps({"file": args.file, "import_report": report.to_json(),
                          "diagnostics": [_json(o) for o in outcomes], "summary": _summary(outcomes)}, indent=2))
    else:
        _print_text(args.file, outcomes)
    return 1 if any(o.counts and o.diagnostic.severity == "error" for o in outcomes) else 0


def _sarif(outcomes: list[Outcome], rules: dict, source: str, lines: dict[str, int], model: Any,
           with_baseline: bool) -> dict[str, Any]:
    from app.check_config import fingerprint
    from app.sarif import to_sarif

    return to_sarif([o.diagnostic for o in outcomes], rules, source, lines,
                    fingerprints={n: fingerprint(o.diagnostic) for n, o in enumerate(outcomes)},
                    suppressed={n: o.suppressed for n, o in enumerate(outcomes) if o.suppressed},
                    baseline_state={n: "new" if o.new else "unchanged" for n, o in enumerate(outcomes)}
                    if with_baseline else None,
                    names={e.id: e.name for o in outcomes for ref in o.diagnostic.related
                           if (e := model.get(ref)) is not None})


def _json(outcome: Outcome) -> dict[str, object]:
    from app.check_config import fingerprint

    return {**outcome.diagnostic.to_json(), "fingerprint": fingerprint(outcome.diagnostic),
            "suppressed": outcome.suppressed or None, "new": outcome.new}


def _print_text(source: str, outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.counts:
            print(f"{source}: {outcome.diagnostic}")
    counts = _summary(outcomes)
    hidden = [f"{counts[k]} {k}" for k in ("suppressed", "baseline") if counts[k]]
    print(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes"
          + (f" ({', '.join(hidden)} not shown)" if hidden else ""))


def _summary(outcomes: list[Outcome]) -> dict[str, int]:
    shown = [o.diagnostic for o in outcomes if o.counts]
    summary = {severity: sum(1 for d in shown if d.severity == severity) for severity in ("error", "warning", "info")}
    summary["suppressed"] = sum(1 for o in outcomes if o.suppressed)
    summary["baseline"] = sum(1 for o in outcomes if not o.new and not o.suppressed)
    return summary
