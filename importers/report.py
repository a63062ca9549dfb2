"""The import report: everything an importer could not map, with where and why."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from metamodel.errors import ModelError

if TYPE_CHECKING:
    from metamodel.validation.registry import Diagnostic

IMPORT_ERROR_CODE = "IMP001"


class IncompleteImport(ModelError):
    """A file whose import dropped something or put a placeholder in its place: refused for running,
    since the results would be silently wrong, unless placeholders are allowed explicitly."""


class PlaceholderWarning(UserWarning):
    """A model run although its import reported errors (placeholders allowed explicitly)."""


@dataclass(frozen=True)
class ReportEntry:
    """One thing not mapped (or mapped with a repair): element, line in the source file, reason."""

    reason: str
    element: str = ""
    line: int | None = None
    severity: str = "warning"  # "warning": imported with loss or repair; "error": dropped; "info"

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"line {self.line}" if self.line else "", self.element) if p)
        return f"{self.severity}: {where}: {self.reason}" if where else f"{self.severity}: {self.reason}"

    def to_json(self) -> dict[str, object]:
        return {"severity": self.severity, "element": self.element, "line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    """What an importer did not map faithfully, plus the source format it read."""

    source: str = ""
    format: str = ""
    entries: list[ReportEntry] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # element id -> line in the source file

    def add(self, reason: str, element: str = "", line: int | None = None, severity: str = "warning") -> None:
        self.entries.append(ReportEntry(reason, element, line, severity))

    @property
    def ok(self) -> bool:
        return not any(e.severity == "error" for e in self.entries)

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "format": self.format, "entries": [e.to_json() for e in self.entries]}

    @property
    def errors(self) -> list[ReportEntry]:
        """The entries of things dropped or replaced by a placeholder."""
        return [e for e in self.entries if e.severity == "error"]

    def require_complete(self, *, allow_placeholders: bool = False) -> None:
        """Raise ``IncompleteImport`` when the import reported errors; with ``allow_placeholders`` warn
        (``PlaceholderWarning``) instead."""
        errors = self.errors
        if not errors:
            return
        what = f"{self.source}: the import reported {len(errors)} error(s)"
        if allow_placeholders:
            warnings.warn(f"{what}; running with placeholder values: "
                          + "; ".join(str(e) for e in errors[:20]), PlaceholderWarning, stacklevel=2)
            return
        raise IncompleteImport(f"{what}; what was dropped or replaced by a placeholder would make the results "
                               "wrong (--allow-placeholders, or allow_placeholders=True in Python, runs it anyway)",
                               errors)

    def diagnostics(self, *, allow_placeholders: bool = False) -> list[Diagnostic]:
        """The import errors as validation findings (warnings when placeholders are allowed)."""
        from metamodel.validation.registry import Diagnostic

        severity = "warning" if allow_placeholders else "error"
        return [Diagnostic(IMPORT_ERROR_CODE, severity, f"line {e.line}: {e.reason}" if e.line else e.reason,
                           element_name=e.element) for e in self.errors]
