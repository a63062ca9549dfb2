"""The import report: everything an importer could not map, with where and why."""

from __future__ import annotations

from dataclasses import dataclass, field


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
