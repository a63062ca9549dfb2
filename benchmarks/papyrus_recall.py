"""Recall of Salver's checks on the models of Papyrus' SysML 1.6 validation tests, constraint by constraint.

Papyrus (eclipse papyrus-sysml16) tests each SysML 1.6 constraint it implements with a small model built
in Java, ``tests/core/org.eclipse.papyrus.sysml16.validation.tests/src/.../rules/<family>/*Test.java``
(and ``.../ocl/*Test.java``): one element the constraint must flag and one it must pass. Each test is
transcribed in ``benchmarks/data/papyrus_sysml16_rules.json`` with the Salver rule that answers its
constraint (or none, and why), and its model is written as the Papyrus ``.uml`` file
``benchmarks/data/papyrus_sysml16/<constraint>.uml``, elements under the xmi:id of the test's variable.

    .venv/bin/python -m benchmarks.papyrus_recall [--json]

For each constraint: whether the invalid element is in the imported model, whether a finding of the
mapped rule is about it (the finding's element or one of its related elements: caught), the mapped
rule's findings about the valid element (false findings), and the codes of other rules that report
on the valid element (to be judged by reading the model).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import importers
from metamodel.validation import Diagnostic, run_rules

DATA = Path(__file__).parent / "data"
ORACLE = DATA / "papyrus_sysml16_rules.json"
MODELS = DATA / "papyrus_sysml16"


@dataclass(frozen=True)
class ConstraintRecall:
    """What one Papyrus test plants and what Salver's mapped rule finds of it."""

    constraint: str
    salver: str | None
    present: bool  # the invalid element is in the imported model
    caught: bool
    false: int  # findings of the mapped rule about the valid element
    others_on_valid: tuple[str, ...]  # codes of other rules reporting on the valid element

    def to_json(self) -> dict[str, object]:
        return {"constraint": self.constraint, "salver": self.salver, "present": self.present,
                "caught": self.caught, "false": self.false, "others_on_valid": list(self.others_on_valid)}


def _about(finding: Diagnostic, element_id: str) -> bool:
    return finding.element_id == element_id or element_id in finding.related


def measure_one(entry: dict, path: Path) -> ConstraintRecall:
    """Import the model of one test, run the architecture checks and compare with its transcription."""
    model, _ = importers.load(path)
    findings = run_rules(model, ["architecture"])
    mapped = entry["salver_rule"]
    invalid, valid = entry["invalid"], entry["valid"]
    caught = any(f.code == mapped and _about(f, invalid) for f in findings) if mapped else False
    false = sum(1 for f in findings if f.code == mapped and _about(f, valid)) if mapped else 0
    others = sorted({f.code for f in findings if f.code != mapped and _about(f, valid)})
    return ConstraintRecall(entry["constraint"], mapped, invalid in model.elements, caught, false, tuple(others))


def measure(oracle: dict, models: Path = MODELS, only: set[str] | None = None) -> list[ConstraintRecall]:
    """Recall per constraint of ``oracle`` (the data file's content), on the models under ``models``."""
    return [measure_one(entry, models / f"{entry['constraint']}.uml") for entry in oracle["constraints"]
            if only is None or entry["constraint"] in only]


def totals(results: list[ConstraintRecall]) -> dict[str, object]:
    """Constraints, how many have a mapped rule, how many are caught, and the false findings."""
    caught = sum(r.caught for r in results)
    return {"constraints": len(results), "mapped": sum(1 for r in results if r.salver),
            "present": sum(r.present for r in results), "caught": caught,
            "recall": round(caught / len(results), 3) if results else 0.0,
            "false": sum(r.false for r in results)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", type=Path, default=ORACLE)
    parser.add_argument("--models", type=Path, default=MODELS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    oracle = json.loads(args.oracle.read_text(encoding="utf-8"))
    results = measure(oracle, args.models)
    summary = totals(results)
    if args.json:
        print(json.dumps({"constraints": [r.to_json() for r in results], "totals": summary}, indent=1))
        return 0
    for r in results:
        state = "caught" if r.caught else ("missed" if r.present else "not imported")
        others = f"  other rules on the valid element: {', '.join(r.others_on_valid)}" if r.others_on_valid else ""
        print(f"{r.constraint:<58} {r.salver or '-':<6} {state:<13} false {r.false}{others}")
    print(f"caught {summary['caught']} of {summary['constraints']} constraints (recall {summary['recall']:.0%}; "
          f"{summary['mapped']} have a mapped rule, {summary['present']} invalid elements imported); "
          f"{summary['false']} false findings on valid elements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
