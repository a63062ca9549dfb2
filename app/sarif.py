"""SARIF 2.1.0 output of validation findings, for code-scanning tools (GitHub, GitLab, IDE viewers).

Each rule carries its help text; each result its file and line, the model element (logical location),
the further elements of the same cause (related locations), a stable fingerprint, its baseline state
and, when silenced, a suppression with the reason.
"""

from __future__ import annotations

import inspect
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


def rule_help(rule: Rule) -> str:
    """The help text of a rule: its summary, what its function documents, and how to silence it."""
    doc = inspect.getdoc(rule.check) or ""
    parts = [f"{rule.code}: {rule.summary}.", doc,
             f"Select or leave out with --select/--ignore {rule.code}; change its level under [severity] in "
             f"salver-check.toml; silence it on one element with a [[suppress]] entry or "
             f"'salver-ignore: {rule.code}' in the element's documentation."]
    return "\n\n".join(p for p in parts if p)


def _location(uri: str, diagnostic_id: str | None, name: str, lines: Mapping[str, int]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "index": 0}}
    if not uri.startswith("file:"):
        physical["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    line = lines.get(diagnostic_id or "")
    if line and line > 0:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if diagnostic_id:
        location["logicalLocations"] = [{"name": name or diagnostic_id, "fullyQualifiedName": diagnostic_id,
                                         "kind": "element"}]
    return location


def to_sarif(diagnostics: Iterable[Diagnostic], rules: Mapping[str, Rule], source: str,
             lines: Mapping[str, int] | None = None, *, fingerprints: Mapping[int, str] | None = None,
             suppressed: Mapping[int, str] | None = None, baseline_state: Mapping[int, str] | None = None,
             names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One SARIF run: the rules that exist, one result per diagnostic located in ``source``.

    ``lines`` maps element ids to their line in the source file (from the import report); the other
    mappings are keyed by the diagnostic's position: its fingerprint, why it is suppressed, and its
    baseline state (``new`` or ``unchanged``); ``names`` gives related elements' names.
    """
    lines, names = lines or {}, names or {}
    codes = sorted(rules)
    rule_index = {code: n for n, code in enumerate(codes)}
    uri = artifact_uri(source)
    results = []
    for n, diagnostic in enumerate(diagnostics):
        result: dict[str, Any] = {"ruleId": diagnostic.code, "level": _LEVELS[diagnostic.severity],
                                  "message": {"text": diagnostic.message},
                                  "locations": [_location(uri, diagnostic.element_id, diagnostic.element_name, lines)]}
        if diagnostic.code in rule_index:
            result["ruleIndex"] = rule_index[diagnostic.code]
        if diagnostic.related:
            result["relatedLocations"] = [{"id": k, **_location(uri, ref, names.get(ref, ""), lines)}
                                          for k, ref in enumerate(diagnostic.related, 1)]
        if fingerprints and n in fingerprints:
            result["partialFingerprints"] = {"salverFinding/v1": fingerprints[n]}
        if baseline_state and n in baseline_state:
            result["baselineState"] = baseline_state[n]
        if suppressed and suppressed.get(n):
            result["suppressions"] = [{"kind": "external", "justification": suppressed[n]}]
        results.append(result)
    driver = {"name": "salver",
              "rules": [_rule(rules[code]) for code in codes]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "artifacts": [{"location": {"uri": uri}}],
                      "columnKind": "unicodeCodePoints", "results": results}]}


def _rule(rule: Rule) -> dict[str, Any]:
    text = rule_help(rule)
    return {"id": rule.code, "name": rule.check.__name__, "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": inspect.getdoc(rule.check) or rule.summary},
            "help": {"text": text, "markdown": text},
            "defaultConfiguration": {"level": _LEVELS[rule.severity]},
            "properties": {"domain": rule.domain, "tags": [rule.domain]}}
