"""Counting what an importer does not map: one report entry per kind, with its count and first place."""

from __future__ import annotations

from dataclasses import dataclass, field

from importers.report import ImportReport

DEFAULT_REASON = "not mapped to Salver's architecture metamodel"


@dataclass
class _Tally:
    count: int
    line: int | None
    name: str


@dataclass
class UnmappedCounter:
    """Collects unmapped items by kind; :meth:`report_to` writes one ``info`` entry per kind."""

    reasons: dict[str, str] = field(default_factory=dict)
    tallies: dict[str, _Tally] = field(default_factory=dict)

    def count(self, label: str, line: int | None, name: str = "") -> None:
        """Note one item of kind ``label`` found at ``line``; the first one's name is kept."""
        tally = self.tallies.setdefault(label, _Tally(0, line, name))
        tally.count += 1

    def report_to(self, report: ImportReport) -> None:
        """Add ``"N x kind not imported: reason"`` entries, in the order of their first line."""
        for label, tally in sorted(self.tallies.items(), key=lambda item: item[1].line or 0):
            reason = self.reasons.get(label, DEFAULT_REASON)
            report.add(f"{tally.count} x {label} not imported: {reason}",
                       f"first: {tally.name}" if tally.name else "", tally.line, "info")
