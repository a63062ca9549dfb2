"""Automatic layout of a stock-and-flow diagram for models that come without one.

Stocks are laid out chain by chain along their flows, a flow sits between the stocks it joins (or
beside its one stock, with a cloud at the free end), auxiliaries go in rows below, each under the first
variable that reads it. The layout is a new view placed by ordinary commands.
"""

from __future__ import annotations

from metamodel.commands import AddView, Command, SetLink, SetShape
from metamodel.elements import Aux, Flow, Stock
from metamodel.equations.deps import referenced_names
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.views import Link, Shape, View

STOCK_SIZE = (90.0, 50.0)
FLOW_SIZE = 24.0
AUX_SIZE = 18.0
COLUMN = 260.0
ROW = 230.0
PER_ROW = 5
CLOUD_GAP = 130.0


def needs_layout(model: Model) -> bool:
    """True when the model has SD variables and no stock-and-flow view draws any of them (a file with
    its own diagram opens on it, even when the diagram leaves some variables out, as Vensim sketches
    leave out the time settings)."""
    shown = {key for view in model.views if view.kind == "stock_flow" for key in view.shapes}
    variables = {v.id for v in model.variables()}
    return bool(variables) and not variables & shown


def _stock_order(model: Model) -> list[Stock]:
    """Stocks chain by chain: a stock, then the stocks its outflows fill, and so on."""
    stocks = list(model.of_kind(Stock))
    fills = {f: s.id for s in stocks for f in s.inflows}
    following = {s.id: [fills[f] for f in s.outflows if f in fills] for s in stocks}
    filled = set(fills.values())
    order: list[Stock] = []
    seen: set[str] = set()
    by_id = {s.id: s for s in stocks}
    for start in [s for s in stocks if s.id not in filled] + stocks:
        pending = [start.id]
        while pending:
            current = pending.pop(0)
            if current not in seen:
                seen.add(current)
                order.append(by_id[current])
                pending.extend(following[current])
    return order


def _readers(model: Model) -> dict[str, list[str]]:
    """Canonical name -> ids of the variables whose equations read it."""
    readers: dict[str, list[str]] = {}
    for variable in model.variables():
        for text in variable.equations():
            try:
                names = referenced_names(parse(text))
            except ParseError:
                continue
            for name in names:
                readers.setdefault(name, []).append(variable.id)
    return readers


def arrange(model: Model) -> dict[str, Shape]:
    """Shapes for every SD variable of ``model``, keyed by element id."""
    shapes: dict[str, Shape] = {}
    for index, stock in enumerate(_stock_order(model)):
        x = 150 + (index % PER_ROW) * COLUMN
        y = 150 + (index // PER_ROW) * 2 * ROW
        shapes[stock.id] = Shape(x, y, *STOCK_SIZE)
    half = STOCK_SIZE[0] / 2
    source = {f: s.id for s in model.of_kind(Stock) for f in s.outflows}
    target = {f: s.id for s in model.of_kind(Stock) for f in s.inflows}
    loose = 0
    for flow in model.of_kind(Flow):
        start, end = shapes.get(source.get(flow.id, "")), shapes.get(target.get(flow.id, ""))
        if start is not None and end is not None:
            points = [(start.x + half, start.y), (end.x - half, end.y)]
        elif start is not None:
            points = [(start.x + half, start.y), (start.x + half + CLOUD_GAP, start.y)]
        elif end is not None:
            points = [(end.x - half - CLOUD_GAP, end.y), (end.x - half, end.y)]
        else:
            y = 150 + (len(shapes) // PER_ROW + 1) * 2 * ROW + loose * 60
            points, loose = [(100.0, y), (100.0 + CLOUD_GAP, y)], loose + 1
        (x0, y0), (x1, y1) = points
        shapes[flow.id] = Shape((x0 + x1) / 2, (y0 + y1) / 2, FLOW_SIZE, FLOW_SIZE, points=points)
    readers = _readers(model)
    taken: dict[tuple[int, int], int] = {}
    for aux in model.of_kind(Aux):
        anchor = next((shapes[r] for r in readers.get(aux.canonical, []) if r in shapes), None)
        x = anchor.x if anchor is not None else 150.0
        y = (anchor.y if anchor is not None else 150.0) + ROW / 2
        slot = (round(x), round(y))
        nth = taken.get(slot, 0)
        taken[slot] = nth + 1
        shapes[aux.id] = Shape(x + (nth % 3 - 1) * 150 + (nth // 3) * 40, y + (nth // 3) * 60, AUX_SIZE, AUX_SIZE)
    return shapes


def links(model: Model) -> list[Link]:
    """An influence arrow from every variable to each variable whose equation reads it."""
    by_name = {v.canonical: v.id for v in model.variables()}
    return [Link(by_name[name], reader) for name, readers in _readers(model).items() if name in by_name
            for reader in readers if reader != by_name[name]]


def new_stock_flow_view_commands(model: Model) -> tuple[str, list[Command]]:
    """A new, arranged stock-and-flow view: its id and the commands that add and fill it."""
    n = sum(v.kind == "stock_flow" for v in model.views) + 1
    view = View(f"stock_flow_{n}", "Stock and flow" if n == 1 else f"Stock and flow {n}", "stock_flow")
    commands: list[Command] = [AddView(view)]
    commands += [SetShape(view.id, key, shape) for key, shape in arrange(model).items()]
    commands += [SetLink(view.id, f"link_{i}", link) for i, link in enumerate(links(model), 1)]
    return view.id, commands

