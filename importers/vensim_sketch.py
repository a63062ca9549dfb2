"""The sketch part of an ``.mdl`` file as stock-and-flow views.

Records, one a line: ``10`` variable (id, name, x, y, half width, half height …), ``11`` valve,
``12`` cloud or comment, ``1`` arrow (id, from, to, …, points ``n|(x,y)|…``); an arrow with thickness
field ``22`` is a flow pipe, any other an influence link. ``*Name`` starts a view.
"""

from __future__ import annotations

import re

from importers.report import ImportReport
from importers.vensim_records import SETTINGS_MARK
from metamodel.elements import Flow
from metamodel.model import Model
from metamodel.views import Link, Shape, View

_POINT = re.compile(r"\((-?[\d.]+),(-?[\d.]+)\)")
MAX_SKETCH_LINES = 1_000_000


class _ViewReader:
    def __init__(self, view: View, model: Model) -> None:
        self.view = view
        self.model = model
        self.positions: dict[str, tuple[float, float]] = {}
        self.owner: dict[str, str] = {}  # sketch id -> element id
        self.pending_valve: str | None = None

    def record(self, fields: list[str]) -> None:
        kind = fields[0]
        if kind in ("10", "11", "12") and len(fields) >= 6:
            sketch_id, x, y = fields[1], float(fields[3]), float(fields[4])
            self.positions[sketch_id] = (x, y)
            if kind == "11":
                self.pending_valve = sketch_id
            elif kind == "10":
                self.variable(sketch_id, fields, x, y)
        elif kind == "1" and len(fields) >= 4:
            self.arrow(fields)

    def variable(self, sketch_id: str, fields: list[str], x: float, y: float) -> None:
        name = fields[2].strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
        element = self.model.find(name.replace("\\n", " "))
        valve, self.pending_valve = self.pending_valve, None
        if element is None:
            return
        self.owner[sketch_id] = element.id
        if valve is not None and isinstance(element, Flow):
            self.owner[valve] = element.id
            x, y = self.positions[valve]
        if element.id not in self.view.shapes:
            height = 2 * float(fields[6]) if len(fields) > 6 else 0.0
            self.view.shapes[element.id] = Shape(x, y, 2 * float(fields[5]), height)

    def arrow(self, fields: list[str]) -> None:
        source, target = self.owner.get(fields[2]), self.owner.get(fields[3])
        points = [(float(a), float(b)) for a, b in _POINT.findall(fields[-1])]
        if len(fields) > 7 and fields[7] == "22":  # a flow pipe from the valve to a stock or cloud
            flow = source or target
            end = fields[3] if source else fields[2]
            if flow in self.view.shapes and end in self.positions:
                self.view.shapes[flow].points.append(self.positions[end])
            return
        if source and target and source != target:
            link_id = f"{self.view.id}_link_{fields[1]}"
            self.view.links[link_id] = Link(source, target, points=points)


def read_views(sketch: str, model: Model, report: ImportReport, first_line: int) -> list[View]:
    """One ``View`` per ``*View`` of the sketch; unreadable records are reported and skipped."""
    views: list[View] = []
    reader: _ViewReader | None = None
    body = SETTINGS_MARK.split(sketch)[0]
    for number, line in enumerate(body.split("\n")[:MAX_SKETCH_LINES], start=first_line):
        line = line.strip()
        if line.startswith("*"):
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
        try:
            reader.record(fields)
        except (ValueError, IndexError):
            report.add("sketch record not understood; skipped", "", number, "info")
    return views
