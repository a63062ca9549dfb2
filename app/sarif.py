"""SARIF 2.1.0 output of validation findings, so that CI systems can show them on the source file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from metamodel.validation.registry import Diagnostic, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def artifact_uri(path: str) -> str:
    """A SARIF artifact URI: relative paths stay relative (POSIX slashes), absolute ones become file URIs."""
    candidate = Path(path)
    return candidate.as_uri() if candidate.is_absolute() else candidate.as_posix()


def to_sarif(diagnostics: Iterable[Diagnostic], rules: Mapping[str, Rule], source: str,
             lines: Mapping[str, int] | None = None) -> dict[str, Any]:
    """One SARIF run: the rules that exist, one result per diagnostic located in ``source``.

    ``lines`` maps element ids to their line in the source file (from the import report).
    """
    lines = lines or {}
    codes = sorted(rules)
    rule_index = {code: n for n, code in enumerate(codes)}
    uri = artifact_uri(source)
    results = []
    for diagnostic in diagnostics:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri, "index": 0}}}
        line = lines.get(diagnostic.element_id or "")
        if line and line > 0:
            location["physicalLocation"]["region"] = {"startLine": line}
        if diagnostic.element_id:
            location["logicalLocations"] = [{"name": diagnostic.element_name or diagnostic.element_id,
                                             "fullyQualifiedName": diagnostic.element_id, "kind": "element"}]
        result: dict[str, Any] = {"ruleId": diagnostic.code, "level": _LEVELS[diagnostic.severity],
                                  "message": {"text": diagnostic.message}, "locations": [location]}
        if diagnostic.code in rule_index:
            result["ruleIndex"] = rule_index[diagnostic.code]
        results.append(result)
    driver = {"name": "salver",
              "rules": [{"id": code, "shortDescription": {"text": rules[code].summary},
                         "defaultConfiguration": {"level": _LEVELS[rules[code].severity]},
                         "properties": {"domain": rules[code].domain}} for code in codes]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "artifacts": [{"location": {"uri": uri}}],
                      "results": results}]}
