"""Splits the text of an ``.mdl`` file into equation records, macro blocks and the sketch part.

A record is ``definition ~ units ~ comment |``. Group headers (``****``) are records too and are
skipped; ``:MACRO: name(args)`` … ``:END OF MACRO:`` wrap records that belong to a macro.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from metamodel.errors import ParseError

SKETCH_MARK = re.compile(r"\\{2,3}---///")
SETTINGS_MARK = re.compile(r"///---\\{2,3}")
_MACRO = re.compile(r":MACRO:", re.IGNORECASE)
_END_MACRO = re.compile(r":END OF MACRO:", re.IGNORECASE)


@dataclass
class Record:
    """One equation record; ``offset`` is where ``definition`` starts in the file text."""

    definition: str
    offset: int
    units: str = ""
    doc: str = ""
    macro: str | None = None


@dataclass
class MacroHeader:
    name: str
    params: list[str]
    outputs: list[str]
    line: int
    records: list[Record] = field(default_factory=list)


class Lines:
    """Maps file offsets to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def __call__(self, offset: int | None) -> int | None:
        return None if offset is None else bisect.bisect_right(self.starts, offset)


def split_sections(text: str) -> tuple[str, str]:
    """The equations part and the sketch part (empty when the file has no sketch)."""
    match = SKETCH_MARK.search(text)
    return (text, "") if match is None else (text[:match.start()], text[match.start():])


def _definition_end(text: str, pos: int, lines: Lines) -> int:
    """Offset of the ``~`` or ``|`` ending the definition that starts at ``pos`` (quotes respected)."""
    quoted = False
    for i in range(pos, len(text)):
        char = text[i]
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "~|":
            return i
        elif quoted and char == "\n":
            quoted = False  # a quote never spans lines
    raise ParseError("unterminated equation: no '~' or '|' before the end of the file", line=lines(pos))


def split_records(text: str, lines: Lines) -> tuple[list[Record], list[MacroHeader]]:
    """All records of the equations part, with macro bodies collected in their ``MacroHeader``."""
    records: list[Record] = []
    macros: list[MacroHeader] = []
    current: MacroHeader | None = None
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        if text.startswith("{UTF-8}", pos):
            pos += len("{UTF-8}")
            continue
        if _MACRO.match(text, pos):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            current = _macro_header(text[pos + len(":MACRO:"):end], lines(pos) or 0)
            macros.append(current)
            pos = end
            continue
        if _END_MACRO.match(text, pos):
            if current is None:
                raise ParseError(":END OF MACRO: without :MACRO:", line=lines(pos))
            current = None
            pos += len(":END OF MACRO:")
            continue
        end = _definition_end(text, pos, lines)
        record = Record(text[pos:end], pos, macro=current.name if current else None)
        if text[end] == "~":
            bar = text.find("|", end)
            if bar < 0:
                raise ParseError("unterminated equation: no '|' before the end of the file", line=lines(pos))
            parts = text[end + 1:bar].split("~")
            record.units = parts[0].strip()
            record.doc = parts[1].strip() if len(parts) > 1 else ""
            end = bar
        pos = end + 1
        if record.definition.lstrip().startswith("*"):
            continue  # a group header
        (current.records if current else records).append(record)
    if current is not None:
        raise ParseError(f"macro {current.name!r} has no :END OF MACRO:", line=current.line)
    return records, macros


def _macro_header(text: str, line: int) -> MacroHeader:
    match = re.match(r"\s*([^(]+?)\s*\((.*)\)\s*$", text)
    if not match:
        raise ParseError(f"bad macro header {text.strip()!r}", line=line)
    inputs, _, outputs = match.group(2).partition(":")
    split = [p.strip() for p in inputs.split(",") if p.strip()]
    return MacroHeader(" ".join(match.group(1).split()), split,
                       [p.strip() for p in outputs.split(",") if p.strip()], line)


def parse_units(text: str) -> tuple[str, tuple[float, float] | None]:
    """``Month [0,?]`` -> ("Month", (0, inf)); a range with ``nan`` or no numbers gives None."""
    match = re.search(r"\[([^\]]*)\]\s*$", text)
    if not match:
        return text.strip(), None
    units = text[:match.start()].strip()
    bounds = [b.strip() for b in match.group(1).split(",")]
    if len(bounds) < 2:
        return units, None
    values = []
    for bound, default in zip(bounds[:2], (float("-inf"), float("inf")), strict=True):
        try:
            value = default if bound == "?" else float(bound)
        except ValueError:
            return units, None
        if value != value:  # nan
            return units, None
        values.append(value)
    return units, (values[0], values[1])
