"""What every shared sample and rule-test model imports to and what the checks find on it, as a
snapshot (``tests/data/sample_snapshot.json``) that ``test_sample_snapshot`` compares against.

Importers are reworked for speed without changing what they produce: element counts per kind, the
import report and the findings must stay as recorded. A change meant to alter them (a false finding
fixed) rewrites the snapshot in the same commit, so the diff shows each finding gained or lost:
``.venv/bin/python -m tests.sample_snapshot --write``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import importers
from metamodel.io import to_dict
from metamodel.validation import run_rules
from tests.paths import MBSE_SAMPLES, ROOT

SNAPSHOT = ROOT / "tests" / "data" / "sample_snapshot.json"
DATA = ROOT / "tests" / "data"
_SUFFIXES = {".uml", ".xmi", ".mdzip", ".capella", ".xml", ".sysml", ".aadl"}


def sample_files() -> list[Path]:
    """The shared MBSE samples and the rule-test models, in a stable order."""
    found = [p for folder in (MBSE_SAMPLES, DATA / "rules", DATA / "aadl") for p in sorted(folder.rglob("*"))
             if p.suffix.lower() in _SUFFIXES]
    return sorted(found, key=_key)


def _key(path: Path) -> str:
    return (f"shared/{path.relative_to(MBSE_SAMPLES)}" if path.is_relative_to(MBSE_SAMPLES)
            else f"tests/{path.relative_to(DATA)}")


def summary(path: Path) -> dict[str, Any]:
    """Element counts per kind, library elements, a digest of every element's saved form (ids, names,
    owners, references, values, in model order), the import report and the architecture findings."""
    model, report = importers.load(path)
    kinds = Counter(element.kind for element in model.elements.values())
    findings = run_rules(model, ["architecture"])
    return {
        "elements": dict(sorted(kinds.items())),
        "library": sum(1 for element in model.elements.values() if element.library),
        "content": hashlib.sha256(json.dumps(to_dict(model), sort_keys=True).encode()).hexdigest(),
        "report": sorted(f"{e.severity} {e.line or ''} {e.reason}" for e in report.entries),
        "findings": sorted(f"{d.code} {d.severity} {d.element_id} {' '.join(d.related)}".rstrip()
                           for d in findings),
    }


def snapshot() -> dict[str, Any]:
    return {_key(path): summary(path) for path in sample_files()}


if __name__ == "__main__":
    current = snapshot()
    if "--write" in sys.argv:
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({name: {k: len(v) if isinstance(v, list) else v for k, v in entry.items()}
                      for name, entry in current.items()}, indent=1))
