"""Recall of Salver's checks on Capella's own validation test model, rule by rule.

The model and its expected findings come from the eclipse-capella/capella repository, plug-in
``tests/plugins/org.polarsys.capella.test.validation.rules.ju``: the model is
``model/RulesOnDesignTest/RulesOnDesignTest.capella`` (2.8 MB; the ``.aird`` and ``.afm`` beside it are
not needed), and each ``src/.../testcases/<family>/Rule_<ID>.java`` names the Capella rule, the elements
it is run on (``getScopeDefinition``) and those it must flag (``getOracleDefinitions``). Those lists are
transcribed in ``benchmarks/data/capella_rules_on_design.json``, with the Salver rule that answers each
Capella rule (or none, and why) and, under ``also``, other Salver rules whose findings report some of its
planted violations (a use of a lower-level interface is AR175's, not AR178's, though Capella's DWF_I_13
plants it). The model is not in this repository: give its path.

    .venv/bin/python -m benchmarks.capella_recall PATH/RulesOnDesignTest.capella [--json]

For each Capella rule: planted (oracle elements), caught (oracle elements a finding of the mapped rule
is about: the finding's element, one of its related elements, or the element's owner, as Salver reports
a region's initial states on the region and Capella on its state machine), and the mapped rule's extra
findings on the rule's other scope elements (Capella says they are fine). Findings on elements outside
every scope are counted per rule code as ``other``, to be judged by reading the model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import importers
from metamodel.elements import Interface
from metamodel.model import Model
from metamodel.validation import Diagnostic, run_rules
from metamodel.validation.registry import of_kind

ORACLE = Path(__file__).parent / "data" / "capella_rules_on_design.json"


@dataclass(frozen=True)
class RuleRecall:
    """What one Capella rule's test plants and what Salver's mapped rule finds of it."""

    capella: str
    salver: str | None
    planted: int
    caught: int
    extra: tuple[str, ...]  # scope elements Capella does not flag that the mapped rule reports
    missing: tuple[str, ...]  # planted elements of the scope not in the model

    def to_json(self) -> dict[str, object]:
        return {"capella": self.capella, "salver": self.salver, "planted": self.planted, "caught": self.caught,
                "extra": list(self.extra), "missing": list(self.missing)}


def _about(model: Model, finding: Diagnostic) -> set[str]:
    """The elements a finding is about: its element, the element's owner, and its related elements."""
    element = model.get(finding.element_id)
    owner = element.owner if element is not None and element.owner else None
    return {i for i in (finding.element_id, owner, *finding.related) if i}


def measure(model: Model, oracle: dict, findings: list[Diagnostic] | None = None) -> list[RuleRecall]:
    """Planted and caught per Capella rule of ``oracle`` (the data file's content) on ``model``."""
    findings = run_rules(model, ["architecture"]) if findings is None else findings
    about: dict[str, set[str]] = {}
    for finding in findings:
        about.setdefault(finding.code, set()).update(_about(model, finding))
    # an exchange item allocation is a flow property of its interface, not an element of its own
    present = set(model.elements) | {fp.id for i in of_kind(model, Interface) for fp in i.flow_properties if fp.id}
    results = []
    for entry in oracle["rules"]:
        flagged = set().union(*(about.get(code, ()) for code in (entry["salver_rule"], *entry.get("also", ()))))
        planted = list(entry["oracle"])
        results.append(RuleRecall(
            entry["capella"], entry["salver_rule"], len(planted), sum(1 for i in planted if i in flagged),
            tuple(i for i in entry["scope"] if i not in entry["oracle"] and i in flagged),
            tuple(i for i in planted if i not in present)))
    return results


def other_findings(model: Model, oracle: dict, findings: list[Diagnostic]) -> Counter:
    """Findings about no element of any rule's scope, per rule code."""
    scoped = {i for entry in oracle["rules"] for i in entry["scope"]}
    return Counter(f.code for f in findings if not _about(model, f) & scoped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="RulesOnDesignTest.capella")
    parser.add_argument("--oracle", type=Path, default=ORACLE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    oracle = json.loads(args.oracle.read_text(encoding="utf-8"))
    model, _ = importers.load(args.model)
    findings = run_rules(model, ["architecture"])
    results = measure(model, oracle, findings)
    mapped = [r for r in results if r.salver]
    totals = {"planted": sum(r.planted for r in results), "caught": sum(r.caught for r in results),
              "planted_mapped": sum(r.planted for r in mapped), "extra": sum(len(r.extra) for r in results),
              "present_mapped": sum(r.planted - len(r.missing) for r in mapped)}
    if args.json:
        print(json.dumps({"rules": [r.to_json() for r in results], "totals": totals,
                          "other": dict(other_findings(model, oracle, findings))}, indent=1))
        return 0
    for r in results:
        note = f"  missing from the model: {', '.join(r.missing)}" if r.missing else ""
        counts = f"planted {r.planted}  caught {r.caught}  extra {len(r.extra)}"
        print(f"{r.capella:<12} {r.salver or '-':<6} {counts}{note}")
    print(f"caught {totals['caught']} of {totals['planted']} planted ({totals['planted_mapped']} under a mapped "
          f"rule, {totals['present_mapped']} of those in this file); {totals['extra']} extra findings on scope "
          "elements Capella passes")
    print("findings outside every scope:", dict(other_findings(model, oracle, findings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
