"""``salver verify FILE``: run a model and check its requirements against the run.

One line per requirement: pass, fail (with the condition, time, run and value of the first violation) or
not verified (no condition checks it). ``--json`` prints the verdicts as JSON, ``--sarif OUT`` writes them
as SARIF 2.1.0 (failures are errors). Exit status 0 when no requirement fails, 1 when one fails or the
model cannot run, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli import _load, _parse_sets, _require_complete, add_placeholder_option

_LEVELS = {"fail": "error", "pass": "note", "not verified": "warning"}


def add_verify_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``verify`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser("verify", help="run a model and check its requirements",
                                   description="Run a model and check each requirement against the run. Exit "
                                               "status 1 when a requirement fails or the model cannot run, 2 when "
                                               "the file cannot be read.")
    parser.add_argument("file", help="model file (.uml, .xmi, .sysml, .salver, …)")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    parser.add_argument("--stop", type=float, help="stop time")
    parser.add_argument("--dt", type=float, help="time step")
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    parser.add_argument("--sarif", metavar="OUT", help="also write the verdicts as SARIF 2.1.0 to OUT")
    add_placeholder_option(parser, "verify anyway")
    parser.set_defaults(handler=verify_command)
    return parser


def verify_command(args: argparse.Namespace) -> int:
    """Run, verify, print; the exit status as the module docstring says."""
    import solvers
    from metamodel import atomic
    from solvers.verify import FAIL, verify

    model, report = _load(args.file)
    _require_complete(report, args)
    compiled = solvers.compile(model)
    results = compiled.run(params=_parse_sets(args.set or []), stop=args.stop, dt=args.dt)
    verdicts = verify(compiled, results)
    if args.sarif:
        atomic.write_text(args.sarif, json.dumps(_sarif(verdicts, args.file, report.lines), indent=2))
    if args.json:
        print(json.dumps({"file": args.file, "requirements": [v.to_json() for v in verdicts]}, indent=2))
    else:
        for verdict in verdicts:
            print(_line(verdict))
        counts = {status: sum(v.status == status for v in verdicts) for status in ("pass", "fail", "not verified")}
        print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['not verified']} not verified")
    return 1 if any(v.status == FAIL for v in verdicts) else 0


def _line(verdict: Any) -> str:
    name = f"{verdict.req_id} {verdict.name}".strip()
    if verdict.status == "not verified":
        return f"NOT VERIFIED  {name}: {verdict.reason}"
    if verdict.status == "pass":
        return f"PASS          {name} ({len(verdict.checks)} condition(s) hold throughout the run)"
    failed = next(c for c in verdict.checks if not c.passed)
    value = f": the left side is {failed.value:g}" if failed.value is not None else ""
    at = f" at time {failed.time:g} (run {failed.run})" if failed.time is not None else " (not computed)"
    return f"FAIL          {name}: '{failed.condition}' on {failed.instance} is violated{at}{value}"


def _sarif(verdicts: list[Any], source: str, lines: dict[str, int]) -> dict[str, Any]:
    from app.sarif import SARIF_SCHEMA, artifact_uri

    uri = artifact_uri(source)
    results = []
    for verdict in verdicts:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri, "index": 0}},
                                    "logicalLocations": [{"name": verdict.name, "kind": "element",
                                                          "fullyQualifiedName": verdict.requirement_id}]}
        line = lines.get(verdict.requirement_id)
        if line:
            location["physicalLocation"]["region"] = {"startLine": line}
        results.append({"ruleId": "VERIFY", "level": _LEVELS[verdict.status], "message": {"text": _line(verdict)},
                        "locations": [location], "properties": {"status": verdict.status}})
    driver = {"name": "salver", "rules": [{"id": "VERIFY", "shortDescription": {
        "text": "requirement checked against a run of the model"}}]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "artifacts": [{"location": {"uri": uri}}], "results": results}]}
