"""Vensim external data resolved at import time into ordinary model content.

``GET XLS/DIRECT CONSTANTS`` become numbers, ``GET XLS/DIRECT LOOKUPS`` lookup tables, ``GET XLS/DIRECT
DATA`` and data variables without equation (values from ``data.tab``/``data.csv`` beside the model)
tables of (time, value) read at ``TIME``, and ``GET XLS/DIRECT SUBSCRIPT`` the elements of a dimension.

Vensim's layout rules: a data or lookup series runs along the time axis, given as a row number
(``'4'``: times in that row, from the first data cell's column on), a column letter (``'A'``) or a
named range; the series of the next array element is in the next row (or column). Constants fill
the last subscript along a row and the one before it down the columns; a trailing ``*`` on the cell
reference transposes. Cell references are ``A1`` addresses or named ranges (the sheet's own names
first, then the workbook's). Empty or non-numeric cells in a series drop that point, as Vensim
interpolates over them. Data files are read only from the model's folder tree.
"""

from __future__ import annotations

import re
from pathlib import Path

from importers.sheets import Area, Sheet, SheetError, Workbook, cell_address, column_index, number, open_workbook
from importers.vensim_arrays import Dimensions, Lhs, element_tuples
from importers.vensim_defs import Definition
from importers.vensim_expr import Unsupported
from importers.vensim_lex import Token
from importers.vensim_pieces import Piece
from metamodel.access import AccessError, confined
from metamodel.elements import GraphicalFunction
from metamodel.equations.ast import Name, Num
from metamodel.names import canonical

_KINDS = {"get_xls_data": "data", "get_direct_data": "data", "get_xls_lookups": "lookups",
          "get_direct_lookups": "lookups", "get_xls_constants": "constants", "get_direct_constants": "constants"}
_ARITY = {"data": 4, "lookups": 4, "constants": 3}
_SUBSCRIPTS = ("get_xls_subscript", "get_direct_subscript")
DATA_FILES = ("data.tab", "data.csv")

Points = list[tuple[float, float]]


def is_lookup_source(definition: Definition) -> bool:
    """True when a definition makes its variable a lookup table (written out or read from a file)."""
    if definition.kind == "lookup":
        return True
    head = definition.rhs[0] if definition.rhs else None
    return head is not None and head.kind == "name" and _KINDS.get(canonical(head.text)) == "lookups"


class ExternalData:
    """Reads the data files of one model; workbooks are opened once and kept."""

    def __init__(self, model_path: str) -> None:
        self.folder = Path(model_path).resolve().parent
        self.books: dict[Path, Workbook] = {}
        self.data_series: dict[str, Points] | None = None
        self.data_file = ""
        self.aliases: dict[str, str] = {}  # ``?name`` file references -> file, from the model's settings

    def read_aliases(self, settings: str) -> None:
        """The file aliases of the settings block after the sketch (``30:?data=data.xlsx`` lines)."""
        for match in re.finditer(r"^30:\?([^=\n]+)=([^\n]+)$", settings, re.MULTILINE):
            self.aliases[canonical(match.group(1))] = match.group(2).strip()

    # -- entry points --------------------------------------------------------------------------------
    def subscript_elements(self, definition: Definition) -> list[str] | None:
        """Elements of a dimension defined by ``GET XLS/DIRECT SUBSCRIPT``; ``None`` for other dimensions."""
        call = _call(definition.rhs, _SUBSCRIPTS)
        if call is None:
            return None
        name, args, offset = call
        if len(args) != 5:
            raise Unsupported(f"{name.upper()} takes 5 arguments, got {len(args)}", offset)
        try:
            book = self.workbook(args[0])
            sheet, row, column = self.corner(book, args[1], args[2])
            return _labels(sheet, row, column, args[3].strip(), args[4])
        except SheetError as exc:
            raise Unsupported(f"{name.upper()}: {exc}", offset) from None

    def piece(self, definition: Definition, dims: Dimensions) -> Piece | None:
        """The translated right side of a definition that reads external data, else ``None``.

        Raises ``Unsupported`` (with the source offset) when the data cannot be read."""
        if definition.kind == "data" and definition.rhs and definition.rhs[0].kind == "end":
            return self.data_without_equation(definition, dims)
        tokens = definition.rhs[1:] if definition.kind == "lookup" else definition.rhs
        call = _call(tokens, tuple(_KINDS), closing=1 if definition.kind == "lookup" else 0)
        if call is None:
            return None
        name, args, offset = call
        kind = _KINDS[canonical(name)]
        if len(args) != _ARITY[kind]:
            raise Unsupported(f"{name.upper()} takes {_ARITY[kind]} arguments, got {len(args)}", offset)
        lhs = definition.lhs
        try:
            book = self.workbook(args[0])
            if kind == "constants":
                values = _constants(self.corner(book, args[1], args[2]), args[2].strip().endswith("*"), lhs, dims)
                if not lhs.subscripts:
                    return Piece(lhs, "expr", node=Num(values[0]))
                return Piece(lhs, "numbers", values=values)
            count = len(element_tuples(lhs, dims))
            tables = [_table(p) for p in self.series(book, args[1], args[2], args[3], count)]
        except SheetError as exc:
            raise Unsupported(f"{name.upper()}({', '.join(repr(a) for a in args)}): {exc}", offset) from None
        if kind == "lookups":
            if not lhs.subscripts:
                return Piece(lhs, "lookup", gf=tables[0])
            return Piece(lhs, "tables", tables=tables)
        return Piece(lhs, "tables", node=Name("TIME"), tables=tables, mode=_mode(definition))

    def data_without_equation(self, definition: Definition, dims: Dimensions) -> Piece:
        """A data variable whose values come from the model's data file (``data.tab`` or ``data.csv``)."""
        offset = definition.record.offset
        try:
            series = self.load_data_file()
        except SheetError as exc:
            raise Unsupported(f"a data variable without equation: {exc}", offset) from None
        tables = []
        for combo in element_tuples(definition.lhs, dims):
            key = _series_key(definition.name, combo)
            if key not in series:
                raise Unsupported(f"{self.data_file} has no column for {key!r}", offset)
            tables.append(_table(series[key]))
        return Piece(definition.lhs, "tables", node=Name("TIME"), tables=tables, mode=_mode(definition))

    # -- files -----------------------------------------------------------------------------------------
    def resolve(self, reference: str) -> Path:
        """The data file a model names, refused when it lies outside the model's folder tree."""
        text = reference.strip().replace("\\", "/")
        if text.startswith("?"):
            if canonical(text[1:]) not in self.aliases:
                raise SheetError(f"indirect file reference {reference!r} has no file alias in the model's settings")
            text = self.aliases[canonical(text[1:])].replace("\\", "/")
        if not text:
            raise SheetError("empty file reference")
        try:
            path = confined(text, self.folder, "data file")
        except AccessError as exc:
            raise SheetError(str(exc)) from None
        if not path.is_file():
            raise SheetError(f"data file {reference!r} not found")
        return path

    def workbook(self, reference: str) -> Workbook:
        path = self.resolve(reference)
        if path not in self.books:
            self.books[path] = open_workbook(path)
        return self.books[path]

    def load_data_file(self) -> dict[str, Points]:
        if self.data_series is None:
            found = next((n for n in DATA_FILES if (self.folder / n).is_file()), None)
            if found is None:
                raise SheetError(f"its values come from a data file, and none of {', '.join(DATA_FILES)} "
                                 "is beside the model")
            self.data_file = found
            sheet = next(iter(self.workbook(found).sheets.values()))
            self.data_series = _columns(sheet)
        return self.data_series

    # -- cells -----------------------------------------------------------------------------------------
    def corner(self, book: Workbook, sheet_name: str, reference: str) -> tuple[Sheet, int, int]:
        """The sheet and top-left cell of an ``A1`` address or a named range (a trailing ``*`` ignored)."""
        area = self.area(book, sheet_name, reference)
        return book.sheet(area.sheet), area.top, area.left

    @staticmethod
    def area(book: Workbook, sheet_name: str, reference: str) -> Area:
        text = reference.strip().rstrip("*").strip()
        sheet = book.sheet(sheet_name)
        cell = cell_address(text)
        if cell is not None:
            return Area(sheet.name, cell[0], cell[1], cell[0], cell[1])
        named = book.named(sheet.name, text)
        if named is None:
            raise SheetError(f"{reference!r} is neither a cell address nor a named range of sheet {sheet.name!r}")
        return named

    def series(self, book: Workbook, sheet_name: str, time_ref: str, first_ref: str, count: int) -> list[Points]:
        """``count`` series of (time, value) along the time axis, one per array element."""
        sheet, row, column = self.corner(book, sheet_name, first_ref)
        text = time_ref.strip()
        if text.isdigit():
            times = [(int(text) - 1, c) for c in range(column, sheet.width)]
            across = True
        elif text.isalpha() and len(text) <= 3:
            times = [(r, column_index(text)) for r in range(row, sheet.height)]
            across = False
        else:
            area = self.area(book, sheet_name, text)
            across = area.top == area.bottom
            if not across and area.left != area.right:
                raise SheetError(f"time range {time_ref!r} is neither one row nor one column")
            sheet = book.sheet(area.sheet)
            times = [(r, c) for r in range(area.top, area.bottom + 1) for c in range(area.left, area.right + 1)]
        result = []
        for k in range(count):
            points = []
            for r, c in times:
                x = number(sheet.value(r, c))
                y = number(sheet.value(row + k, c) if across else sheet.value(r, column + k))
                if x is not None and y is not None:
                    points.append((x, y))
            if not points:
                raise SheetError(f"no numbers in the series of element {k + 1} from {first_ref!r}")
            result.append(points)
        return result


def _call(tokens: list[Token], names: tuple[str, ...], closing: int = 0) -> tuple[str, list[str], int] | None:
    """``NAME('a', 'b', …)`` alone on a right side -> (name, texts, offset); ``None`` for other text."""
    if len(tokens) < 2 or tokens[0].kind != "name" or canonical(tokens[0].text) not in names:
        return None
    name, offset = tokens[0].text, tokens[0].start
    if tokens[1].text != "(":
        return None
    args: list[str] = []
    i = 2
    while tokens[i].kind == "str":
        args.append(tokens[i].text[1:-1])
        i += 1
        if tokens[i].text != ",":
            break
        i += 1
    rest = tokens[i:]
    expected = [")"] * (1 + closing)
    if [t.text for t in rest[:-1]] != expected or rest[-1].kind != "end":
        raise Unsupported(f"{name.upper()} needs quoted texts as arguments and must stand alone in the equation",
                          offset)
    return name, args, offset


def _mode(definition: Definition) -> str:
    return str(definition.extra.get("mode", "INTERPOLATE"))


def _table(points: Points) -> GraphicalFunction:
    points = sorted(points, key=lambda p: p[0])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return GraphicalFunction(ypts=ys, xpts=xs, xscale=(xs[0], xs[-1]), yscale=(min(ys), max(ys)))


def _constants(corner: tuple[Sheet, int, int], transpose: bool, lhs: Lhs, dims: Dimensions) -> list[float]:
    sheet, row, column = corner
    varying = [i for i, s in enumerate(lhs.subscripts) if dims.is_dimension(s)]
    if len(varying) > 2:
        raise SheetError("constants for more than two varying subscripts are not supported")
    members = [dims.members(lhs.subscripts[i]) for i in varying]
    values = []
    for combo in element_tuples(lhs, dims):
        position = [m.index(combo[i]) for m, i in zip(members, varying, strict=True)]
        down, across = (0, 0) if not position else (0, position[0]) if len(position) == 1 else tuple(position)
        if transpose:
            down, across = across, down
        value = number(sheet.value(row + down, column + across))
        if value is None:
            raise SheetError(f"cell {_address(row + down, column + across)} of sheet {sheet.name!r} is empty or "
                             "not a number")
        values.append(value)
    return values


def _labels(sheet: Sheet, row: int, column: int, last: str, prefix: str) -> list[str]:
    """Element names: ``prefix`` + each cell's text from the first cell to ``last``. As Vensim reads them: a
    column letter alone (``A``) reads down to a blank cell, a row number alone (``2``) or nothing reads
    across to a blank cell, a cell address reads the rectangle up to it."""
    corner = cell_address(last) if last else None
    if corner is not None:
        cells = [(r, c) for r in range(row, corner[0] + 1) for c in range(column, corner[1] + 1)]
    else:
        down = last.isalpha()
        if last and not down and not last.isdigit():
            raise SheetError(f"last cell {last!r} is neither a cell, a column letter nor a row number")
        cells = []
        r, c = row, column
        while sheet.value(r, c) not in (None, ""):
            cells.append((r, c))
            r, c = (r + 1, c) if down else (r, c + 1)
    labels = []
    for r, c in cells:
        value = sheet.value(r, c)
        if value in (None, ""):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        labels.append(f"{prefix}{value}".strip())
    if not labels:
        raise SheetError(f"no subscript names from {_address(row, column)}")
    return labels


def _columns(sheet: Sheet) -> dict[str, Points]:
    """Series of a Vensim tab/csv export: ``Time`` then one variable per column (or per row)."""
    rows = sheet.rows
    if not rows or str(rows[0][0] or "").strip().casefold() != "time":
        raise SheetError("the data file does not start with a 'Time' header")
    by_column = all(number(r[0]) is not None for r in rows[1:] if r and r[0] is not None)
    grid = rows if by_column else [list(col) for col in zip(*[r + [None] * (sheet.width - len(r)) for r in rows],
                                                            strict=True)]
    times = [number(r[0]) if r else None for r in grid[1:]]
    series: dict[str, Points] = {}
    for j, header in enumerate(grid[0][1:], start=1):
        if header is None:
            continue
        points = [(t, v) for t, r in zip(times, grid[1:], strict=True)
                  if t is not None and (v := number(r[j] if j < len(r) else None)) is not None]
        if points:
            series[_header_key(str(header))] = points
    return series


def _header_key(header: str) -> str:
    name, _, rest = header.partition("[")
    return _series_key(name, tuple(rest.rstrip("]").split(",")) if rest else ())


def _series_key(name: str, combo: tuple[str, ...]) -> str:
    key = canonical(name.strip())
    return f"{key}[{','.join(canonical(e.strip()) for e in combo)}]" if combo else key


def _address(row: int, column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row + 1}"
