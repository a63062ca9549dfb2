"""What ``salver check`` reports: rule selection, severities, suppressions and the baseline.

A ``salver-check.toml`` beside the model (or the one ``--config`` names) may hold::

    select = ["AR"]                 # codes or code prefixes to run (default: every rule)
    ignore = ["AR107"]              # codes or prefixes to leave out
    baseline = "check-baseline.json"  # findings already known: they do not fail the run

    [severity]                      # per rule: "error", "warning", "info" or "off"
    AR103 = "error"

    [[suppress]]                    # one finding kind on one element (its id or name)
    rule = "AR103"
    element = "spare port"
    reason = "kept for the next revision"

An element whose documentation holds ``salver-ignore: AR103, AR102`` suppresses those rules on itself.
Suppressed and baseline findings are still listed (JSON, SARIF), but never fail the run.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from metamodel import atomic
from metamodel.errors import SalverError
from metamodel.model import Model
from metamodel.validation.registry import SEVERITIES, Diagnostic

CONFIG_NAME = "salver-check.toml"
BASELINE_VERSION = 1
_INLINE = re.compile(r"salver-ignore:\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)", re.I)


class CheckConfigError(SalverError):
    """A check configuration or baseline file that cannot be used, with the reason."""


@dataclass(frozen=True)
class Suppression:
    rule: str
    element: str
    reason: str = ""


@dataclass
class CheckConfig:
    """The resolved settings of one ``check`` run."""

    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)  # code -> severity or "off"
    suppress: list[Suppression] = field(default_factory=list)
    baseline: Path | None = None
    source: Path | None = None

    def runs(self, code: str) -> bool:
        """Whether rule ``code`` is selected (import errors always are), not ignored and not switched off."""
        if self.select and not code.startswith("IMP") and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore) and self.severity.get(code) != "off"


@dataclass(frozen=True)
class Outcome:
    """A finding as reported: ``suppressed`` names why it is silenced; ``new`` is False when the baseline
    already holds it."""

    diagnostic: Diagnostic
    suppressed: str = ""
    new: bool = True

    @property
    def counts(self) -> bool:
        """Whether this finding can fail the run."""
        return self.new and not self.suppressed


def codes(text: str | None) -> list[str]:
    """Rule codes or prefixes from a comma-separated option value."""
    return [c.strip().upper() for c in (text or "").split(",") if c.strip()]


def load_config(model_path: str, explicit: str | None = None) -> CheckConfig:
    """The configuration ``explicit`` names, else ``salver-check.toml`` beside the model, else defaults."""
    path = Path(explicit) if explicit else Path(model_path).parent / CONFIG_NAME
    if not path.is_file():
        if explicit:
            raise CheckConfigError(f"configuration {explicit}: no such file")
        return CheckConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CheckConfigError(f"configuration {path}: {exc}") from None
    return _parse(data, path)


def _parse(data: Mapping[str, Any], path: Path) -> CheckConfig:
    unknown = set(data) - {"select", "ignore", "severity", "suppress", "baseline"}
    if unknown:
        raise CheckConfigError(f"configuration {path}: unknown keys {sorted(unknown)}")
    config = CheckConfig(source=path)
    for key in ("select", "ignore"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CheckConfigError(f"configuration {path}: {key} must be a list of rule codes")
        setattr(config, key, [v.strip().upper() for v in value])
    severity = data.get("severity", {})
    if not isinstance(severity, dict):
        raise CheckConfigError(f"configuration {path}: [severity] must be a table")
    for code, level in severity.items():
        if level not in (*SEVERITIES, "off"):
            raise CheckConfigError(f"configuration {path}: severity of {code} must be one of "
                                   f"{', '.join((*SEVERITIES, 'off'))}, not {level!r}")
        config.severity[code.upper()] = level
    for entry in data.get("suppress", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str) \
                or not isinstance(entry.get("element"), str):
            raise CheckConfigError(f"configuration {path}: each [[suppress]] needs a rule and an element")
        config.suppress.append(Suppression(entry["rule"].upper(), entry["element"], str(entry.get("reason", ""))))
    if "baseline" in data:
        if not isinstance(data["baseline"], str):
            raise CheckConfigError(f"configuration {path}: baseline must be a file name")
        config.baseline = path.parent / data["baseline"]
    return config


def fingerprint(diagnostic: Diagnostic) -> str:
    """What identifies a finding across runs: its rule and element (ids are stable in model files)."""
    return f"{diagnostic.code}:{diagnostic.element_id or diagnostic.element_name}"


def apply(diagnostics: Iterable[Diagnostic], config: CheckConfig, model: Model,
          baseline: Counter[str] | None = None) -> list[Outcome]:
    """The findings of the selected rules with their configured severity, suppressions and baseline state."""
    known = Counter(baseline or {})
    outcomes = []
    for diagnostic in diagnostics:
        if not config.runs(diagnostic.code):
            continue
        level = config.severity.get(diagnostic.code)
        if level and level != diagnostic.severity:
            diagnostic = replace(diagnostic, severity=level)
        key = fingerprint(diagnostic)
        new = known[key] <= 0
        known[key] -= 1
        outcomes.append(Outcome(diagnostic, _suppressed(diagnostic, config, model), new))
    return outcomes


def _suppressed(diagnostic: Diagnostic, config: CheckConfig, model: Model) -> str:
    element = model.get(diagnostic.element_id)
    for entry in config.suppress:
        if entry.rule == diagnostic.code and entry.element in (diagnostic.element_id, diagnostic.element_name):
            return entry.reason or f"suppressed in {config.source.name if config.source else 'configuration'}"
    if element is not None:
        match = _INLINE.search(element.doc)
        if match and diagnostic.code in codes(match.group(1)):
            return "salver-ignore in the element's documentation"
    return ""


def read_baseline(path: Path) -> Counter[str]:
    """The fingerprints a baseline file holds (with how often each was found)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckConfigError(f"baseline {path}: no such file (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckConfigError(f"baseline {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION \
            or not isinstance(data.get("findings"), list):
        raise CheckConfigError(f"baseline {path}: not a salver check baseline (version {BASELINE_VERSION})")
    return Counter(str(f.get("fingerprint")) for f in data["findings"] if isinstance(f, dict))


def write_baseline(path: Path, diagnostics: Iterable[Diagnostic]) -> None:
    """Record ``diagnostics`` as known findings (sorted, so that the file diffs well)."""
    findings = sorted(({"fingerprint": fingerprint(d), "code": d.code, "element": d.element_name,
                        "message": d.message} for d in diagnostics), key=lambda f: (f["fingerprint"], f["message"]))
    text = json.dumps({"version": BASELINE_VERSION, "findings": findings}, indent=2) + "\n"
    try:
        atomic.write_text(path, text)
    except OSError as exc:
        raise CheckConfigError(f"cannot write baseline {path}: {exc.strerror}") from None
