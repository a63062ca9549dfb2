"""The sketch part of an ``.mdl`` file as stock-and-flow views.

Records, one a line: ``10`` variable (``10,id,name,x,y,w,h,shape,bits,hid,hasf,tpos,…``: centre, half
width and height, shape, text position), ``11`` valve, ``12`` cloud or comment (a comment's text on the
next line when bit 2 of its bits is set), ``1`` arrow (id, from, to, …, points ``n|(x,y)|…``); an arrow
with thickness field ``22`` is a flow pipe, any other an influence link. ``*Name`` starts a view.

Where names go (``Shape.label_side``): a flow's name is a record of its own beside its valve, so its side
is where that record lies; a box (shape 3) or a name without a shape (shape 8) holds its text
(``center``); other shapes take the text position field (1 top, 2 bottom, 3 left, 4 right; 0 and -1 the
default, below).
"""

from __future__ import annotations

import re

from importers.report import ImportReport
from importers.vensim_records import SETTINGS_MARK
from metamodel.elements import Flow
from metamodel.model import Model
from metamodel.views import Link, Note, Shape, View, arc_angle

_POINT = re.compile(r"\((-?[\d.]+),(-?[\d.]+)\)")
_POINTS = re.compile(r"\d+\|((?:\(-?[\d.]+,-?[\d.]+\)\|?)+)\s*$")  # an arrow's ``n|(x,y)|…`` at the end
MAX_SKETCH_LINES = 1_000_000
ATTACHED = 1 << 5  # shape bit: a variable attached to a valve (a flow's name)
TEXT_SHAPES = {3, 8}  # a box and no shape: the name is drawn in place
TEXT_POSITIONS = {1: "top", 2: "bottom", 3: "left", 4: "right"}
SCRATCH_TEXT = 1 << 2  # comment bit: the text is the next line
CLOUD = "48"


def label_side(shape: int, text_position: int) -> str:
    """Where a variable's name goes, from its sketch shape and text position fields."""
    if (shape & ~ATTACHED) in TEXT_SHAPES:
        return "center"
    return TEXT_POSITIONS.get(text_position, "bottom")


def side_of(label: tuple[float, float], anchor: tuple[float, float]) -> str:
    """The side of ``anchor`` on which ``label`` lies (a flow's name beside its valve)."""
    dx, dy = label[0] - anchor[0], label[1] - anchor[1]
    if abs(dy) >= abs(dx):
        return "top" if dy < 0 else "bottom"
    return "left" if dx < 0 else "right"


def _int(fields: list[str], index: int, default: int = 0) -> int:
    try:
        return int(fields[index])
    except (IndexError, ValueError):
        return default


class _ViewReader:
    def __init__(self, view: View, model: Model) -> None:
        self.view = view
        self.model = model
        self.positions: dict[str, tuple[float, float]] = {}
        self.owner: dict[str, str] = {}  # sketch id -> element id
        self.drawn: set[str] = set()  # sketch ids of the records the view's shapes come from
        self.bends: dict[str, tuple[float, float]] = {}  # link id -> the point its arc passes through
        self.pending_valve: str | None = None

    def record(self, fields: list[str], line: str, next_line: str) -> bool:
        """Read one record; True when it used ``next_line`` (a comment's text)."""
        kind = fields[0]
        if kind in ("10", "11", "12") and len(fields) >= 6:
            sketch_id, x, y = fields[1], float(fields[3]), float(fields[4])
            self.positions[sketch_id] = (x, y)
            if kind == "11":
                self.pending_valve = sketch_id
            elif kind == "10":
                self.variable(sketch_id, fields, x, y)
            elif fields[2] != CLOUD:
                return self.comment(sketch_id, fields, x, y, next_line)
        elif kind == "1" and len(fields) >= 4:
            self.arrow(fields, line)
        return False

    def variable(self, sketch_id: str, fields: list[str], x: float, y: float) -> None:
        name = fields[2].strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
        element = self.model.find(name.replace("\\n", " "))
        valve, self.pending_valve = self.pending_valve, None
        if element is None:
            return
        self.owner[sketch_id] = element.id
        side = label_side(_int(fields, 7), _int(fields, 11, -1))
        if valve is not None and isinstance(element, Flow):
            self.owner[valve] = element.id
            side = side_of((x, y), self.positions[valve])
            x, y = self.positions[valve]
        if element.id not in self.view.shapes:
            height = 2 * float(fields[6]) if len(fields) > 6 else 0.0
            self.view.shapes[element.id] = Shape(x, y, 2 * float(fields[5]), height, label_side=side)
            self.drawn.update({sketch_id, valve} if valve is not None else {sketch_id})

    def comment(self, sketch_id: str, fields: list[str], x: float, y: float, next_line: str) -> bool:
        """A comment as a note: its text is the next line, or the name field when that is not a number."""
        scratch = bool(_int(fields, 8) & SCRATCH_TEXT)
        text = next_line.strip() if scratch else fields[2].strip().strip('"')
        if text and not (not scratch and text.lstrip("-").isdigit()):
            width, height = 2 * float(fields[5]), 2 * float(fields[6]) if len(fields) > 6 else 0.0
            self.view.notes[f"{self.view.id}_note_{sketch_id}"] = Note(text.replace("\\n", "\n"), x, y, width, height)
        return scratch

    def arrow(self, fields: list[str], line: str) -> None:
        source, target = self.owner.get(fields[2]), self.owner.get(fields[3])
        listed = _POINTS.search(line)
        points = [(float(a), float(b)) for a, b in _POINT.findall(listed.group(1))] if listed else []
        if len(fields) > 7 and fields[7] == "22":  # a flow pipe from the valve to a stock or cloud
            flow = source or target
            end = fields[3] if source else fields[2]
            if flow in self.view.shapes and end in self.positions:
                self.view.shapes[flow].points.append(self.positions[end])
            return
        if source and target and source != target:
            link_id = f"{self.view.id}_link_{fields[1]}"
            self.view.links[link_id] = Link(source, target)
            # an arrow from a second copy of a variable (a shadow) is drawn straight from the one shape
            if fields[2] in self.drawn and fields[3] in self.drawn and points and points[0] != (0.0, 0.0):
                self.bends[link_id] = points[0]

    def finish(self) -> None:
        """Bend each arrow into the arc through its point between the shapes drawn (a flow's valve, not
        its name), as the angle at which it leaves its start (XMILE's)."""
        shapes = self.view.shapes
        for link_id, point in self.bends.items():
            link = self.view.links[link_id]
            a, b = shapes.get(link.source), shapes.get(link.target)
            if a is not None and b is not None:
                link.angle = arc_angle((a.x, a.y), point, (b.x, b.y))


def read_views(sketch: str, model: Model, report: ImportReport, first_line: int) -> list[View]:
    """One ``View`` per ``*View`` of the sketch; unreadable records are reported and skipped."""
    views: list[View] = []
    reader: _ViewReader | None = None
    body = SETTINGS_MARK.split(sketch)[0]
    lines = body.split("\n")[:MAX_SKETCH_LINES]
    skip = False
    for number, raw in enumerate(lines, start=first_line):
        if skip:
            skip = False
            continue
        line = raw.strip()
        if line.startswith("*"):
            if reader is not None:
                reader.finish()
            view = View(model.new_id(f"view {len(views) + 1}"), line[1:].strip() or f"View {len(views) + 1}")
            views.append(view)
            reader = _ViewReader(view, model)
            continue
        if reader is None or not re.match(r"^\d+,", line):
            continue
        fields = line.split(",")
        if fields[0] == "10" and '"' in line:  # a quoted name may hold commas
            match = re.match(r'^10,(\d+),("(?:[^"\\]|\\.)*"),(.*)$', line)
            if match:
                fields = ["10", match.group(1), match.group(2), *match.group(3).split(",")]
        following = lines[number - first_line + 1] if number - first_line + 1 < len(lines) else ""
        try:
            skip = reader.record(fields, line, following)
        except (ValueError, IndexError):
            report.add("sketch record not understood; skipped", "", number, "info")
    if reader is not None:
        reader.finish()
    return views
