"""Read-only access to spreadsheet and delimited-text data files: cell grids and named ranges.

``.xlsx``/``.xlsm`` are read with openpyxl (read-only, cached values only: no formula is evaluated;
openpyxl parses the workbook's XML through defusedxml, which refuses entity tricks),
``.xls`` with xlrd, ``.csv``/``.tab``/``.txt`` with the csv module (one sheet named after the file).
Rows and columns are 0-based here; ``cell_address`` converts Excel's ``C5`` notation.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_CELLS = 5_000_000
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024  # all parts of an .xlsx, inflated
EXCEL = (".xlsx", ".xlsm")
TEXT = (".csv", ".tab", ".txt")
SUFFIXES = (*EXCEL, ".xls", *TEXT)

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?$")


class SheetError(Exception):
    """A data file that cannot be read, or a sheet, cell or name it lacks."""


@dataclass(frozen=True)
class Area:
    """A rectangle of cells on one sheet (inclusive bounds, 0-based)."""

    sheet: str
    top: int
    left: int
    bottom: int
    right: int


@dataclass
class Sheet:
    """One sheet's values by row; missing cells read as ``None``."""

    name: str
    rows: list[list[object]] = field(default_factory=list)

    def value(self, row: int, column: int) -> object:
        if 0 <= row < len(self.rows) and 0 <= column < len(self.rows[row]):
            return self.rows[row][column]
        return None

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    @property
    def height(self) -> int:
        return len(self.rows)


@dataclass
class Workbook:
    """Sheets by name plus named ranges: ``names[(sheet or "", name)]`` (casefolded keys)."""

    sheets: dict[str, Sheet]
    names: dict[tuple[str, str], Area] = field(default_factory=dict)
    single: bool = False  # a delimited-text file: its one sheet answers to any sheet name

    def sheet(self, name: str) -> Sheet:
        if self.single:
            return next(iter(self.sheets.values()))
        for sheet in self.sheets.values():
            if sheet.name.casefold() == name.strip().casefold():
                return sheet
        raise SheetError(f"no sheet named {name!r} (sheets: {', '.join(self.sheets)})")

    def named(self, sheet: str, name: str) -> Area | None:
        """A named range, the sheet's own name first, then the workbook's."""
        key = name.strip().casefold()
        return self.names.get((sheet.strip().casefold(), key)) or self.names.get(("", key))


def column_index(letters: str) -> int:
    """``A`` -> 0, ``AA`` -> 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def cell_address(text: str) -> tuple[int, int] | None:
    """``C5`` (or ``$C$5``) -> ``(4, 2)``; ``None`` when ``text`` is not a single cell address."""
    match = _CELL.match(text.strip())
    if match is None:
        return None
    return int(match.group(2)) - 1, column_index(match.group(1))


def number(value: object) -> float | None:
    """A cell's value as a number, ``None`` when empty or not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def open_workbook(path: Path) -> Workbook:
    """Read a data file; ``SheetError`` when it is too large, of an unknown kind or unreadable."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SheetError(f"unsupported data file type {suffix!r} (expected one of {', '.join(SUFFIXES)})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SheetError(f"cannot read data file: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise SheetError(f"data file larger than {MAX_FILE_BYTES} bytes")
    try:
        if suffix in EXCEL:
            return _read_xlsx(path)
        if suffix == ".xls":
            return _read_xls(path)
        return _read_text(path)
    except SheetError:
        raise
    except Exception as exc:  # noqa: BLE001 - the readers raise many kinds for corrupt files
        raise SheetError(f"cannot read data file: {exc}") from None


def _checked(rows: list[list[object]]) -> list[list[object]]:
    if sum(len(r) for r in rows) > MAX_CELLS:
        raise SheetError(f"data file has more than {MAX_CELLS} cells")
    return rows


def _check_archive(path: Path) -> None:
    """Refuse a workbook whose parts would inflate past ``MAX_UNCOMPRESSED_BYTES`` (a zip bomb), before
    openpyxl reads any of them."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SheetError(f"data file inflates to {total} bytes, more than the {MAX_UNCOMPRESSED_BYTES} allowed")


def _read_xlsx(path: Path) -> Workbook:
    import openpyxl

    _check_archive(path)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets: dict[str, Sheet] = {}
        names: dict[tuple[str, str], Area] = {}
        cells = 0
        for ws in book.worksheets:
            rows = []
            for row in ws.iter_rows(values_only=True):
                rows.append(list(row))
                cells += len(row)
                if cells > MAX_CELLS:
                    raise SheetError(f"data file has more than {MAX_CELLS} cells")
            sheets[ws.title] = Sheet(ws.title, rows)
            for name, defined in getattr(ws, "defined_names", {}).items():
                _add_name(names, ws.title.casefold(), name, defined.destinations)
        for name, defined in book.defined_names.items():
            _add_name(names, "", name, defined.destinations)
        return Workbook(sheets, names)
    finally:
        book.close()


def _add_name(names: dict[tuple[str, str], Area], scope: str, name: str, destinations: object) -> None:
    for sheet, ref in destinations:  # type: ignore[attr-defined]
        match = _RANGE.match(ref)
        if match is None:
            continue
        top, left = int(match.group(2)) - 1, column_index(match.group(1))
        bottom = int(match.group(4)) - 1 if match.group(4) else top
        right = column_index(match.group(3)) if match.group(3) else left
        names[(scope, name.casefold())] = Area(sheet, min(top, bottom), min(left, right), max(top, bottom),
                                               max(left, right))
        return


def _read_xls(path: Path) -> Workbook:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        sheets: dict[str, Sheet] = {}
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            rows = _checked([[None if v == "" else v for v in ws.row_values(r)] for r in range(ws.nrows)])
            sheets[ws.name] = Sheet(ws.name, rows)
        names: dict[tuple[str, str], Area] = {}
        for name in book.name_obj_list:
            try:
                ws, top, bottom, left, right = name.area2d()
            except Exception:  # noqa: BLE001, S112 - a name that is not a plain cell range is skipped
                continue
            scope = "" if name.scope < 0 else book.sheet_by_index(name.scope).name.casefold()
            names[(scope, name.name.casefold())] = Area(ws.name, top, left, bottom - 1, right - 1)
        return Workbook(sheets, names)
    finally:
        book.release_resources()


def _read_text(path: Path) -> Workbook:
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        rows = _checked([[cell if cell.strip() else None for cell in row]
                         for row in csv.reader(handle, delimiter=delimiter)])
    return Workbook({path.stem: Sheet(path.stem, rows)}, single=True)
