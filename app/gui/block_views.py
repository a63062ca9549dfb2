"""The views an architecture opens on (no Qt): an overview of its blocks (a block definition diagram:
each block with compartments listing its parts, values and ports, composition lines from a block to the
types of its parts), its requirements with what satisfies, verifies or refines them, and one internal
view per block that has parts (an internal block diagram: the block as a frame with its ports on the
border, its parts inside with the ports of their types, and the connectors and item flows between them).

Shapes of the overview: blocks sized to their compartments; a part gets an empty shape (a composition
line). Shapes of an internal view (``View.subject`` is the block): the frame, the parts (and the value
properties that connectors or item flows reach) as boxes inside, ports as border fractions (left and
right, on the side facing what they connect to), and empty shapes for connectors and item flows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from app.gui.block_layout import caption_lines, end_part, layers, part_caption, part_label_text, ports_of
from app.gui.geometry import Point
from metamodel.commands import AddView, Command, SetShape
from metamodel.elements import (
    Block,
    Connector,
    ConnectorEnd,
    Element,
    ItemFlow,
    NeuralComponent,
    Part,
    Port,
    Relation,
    Requirement,
)
from metamodel.model import Model
from metamodel.views import Shape, View

CHAR = 6.9  # average width of a character of the 9 pt label font
BOLD_CHAR = 7.6  # of its bold face (names of requirements)
SMALL_CHAR = 6.2  # of the 7.5 pt font of port names and compartments
LINE = 13.0  # height of a compartment line
WRAP_FILL = 0.8
HEADER = 40.0  # stereotype and name of a box
PART_HEADER = 26.0  # a part's caption of one line; each more line adds ``LINE``
PORT_PITCH = 22.0
MAX_LINES = 8  # compartment lines shown before "… n more"
BLOCK_MIN = (170.0, 56.0)
PART_MIN = (150.0, 56.0)
VALUE_SIZE_H = 30.0
REQUIREMENT_WIDTH = 220.0
LAYER_GAP = 90.0
NODE_GAP = 60.0
PART_COLUMN_GAP = 130.0
PART_ROW_GAP = 56.0
FRAME_PADDING = 70.0
ROW_WIDTH = 1900.0  # a layer wider than this wraps into rows


# -- what is drawn where ----------------------------------------------------------------------------
def is_composition(model: Model, part: Element, shape: Shape | None) -> bool:
    """A part drawn as a line from its owner to its type (an overview's composition): an empty shape."""
    return isinstance(part, Part) and shape is not None and not shape.width and not shape.height \
        and part.type is not None and isinstance(model.get(part.owner or ""), Block)


def compartments(model: Model, block: Block) -> list[tuple[str, list[str]]]:
    """The compartments of a block in an overview: ``parts``, ``values``, ``ports``, each a list of lines."""
    parts, values = [], []
    for element in model.elements.values():
        if isinstance(element, Part) and element.owner == block.id:
            text = part_label_text(element, model)
            (values if element.aggregation == "value" else parts).append(text)
    ports = [f"{p.name} ({p.direction})" if p.direction in ("in", "out") else p.name for p in ports_of(model, block.id)]
    result = []
    for title, lines in (("parts", parts), ("values", values), ("ports", ports)):
        if lines:
            shown = lines[:MAX_LINES] + ([f"… {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else [])
            result.append((title, shown))
    return result


def _width(text: str, char: float = CHAR) -> float:
    return char * len(text)


def block_box(model: Model, block: Block) -> tuple[float, float]:
    """The size of a block with its compartments."""
    boxes = compartments(model, block)
    lines = [line for _title, body in boxes for line in body]
    width = max(BLOCK_MIN[0], _width(block.name) + 30, *(_width(line, SMALL_CHAR) + 24 for line in lines))
    height = HEADER + sum(LINE + 4 + LINE * len(body) for _title, body in boxes) + 8
    return width, max(BLOCK_MIN[1], height)


def requirement_box(requirement: Requirement) -> tuple[float, float]:
    """A requirement's size: its name (wrapped), its id on a line, then its text wrapped at word breaks (a
    line holds about ``WRAP_FILL`` of the characters that would fit it, since words do not break)."""
    per_line = int((REQUIREMENT_WIDTH - 12) / SMALL_CHAR * WRAP_FILL)
    lines = (1 if requirement.req_id else 0) + (-(-len(requirement.text) // per_line) if requirement.text else 0)
    name_lines = -(-int(_width(requirement.name, BOLD_CHAR)) // int(REQUIREMENT_WIDTH * WRAP_FILL))
    return REQUIREMENT_WIDTH, HEADER + 8 + (max(1, name_lines) - 1 + min(lines, 9)) * LINE


# -- layered placement ------------------------------------------------------------------------------
def _rows(grouped: list[list[str]], sizes: dict[str, tuple[float, float]]) -> list[list[str]]:
    """Layers, each wrapped into rows no wider than ``ROW_WIDTH``."""
    rows: list[list[str]] = []
    for layer in grouped:
        row: list[str] = []
        width = 0.0
        for node in layer:
            if row and width + sizes[node][0] > ROW_WIDTH:
                rows.append(row)
                row, width = [], 0.0
            row.append(node)
            width += sizes[node][0] + NODE_GAP
        if row:
            rows.append(row)
    return rows


def _place_rows(rows: list[list[str]], sizes: dict[str, tuple[float, float]]) -> dict[str, Point]:
    centres: dict[str, Point] = {}
    top = 0.0
    for row in rows:
        height = max(sizes[n][1] for n in row)
        span = sum(sizes[n][0] for n in row) + NODE_GAP * (len(row) - 1)
        x = -span / 2
        for node in row:
            w, h = sizes[node]
            centres[node] = (x + w / 2, top + h / 2)
            x += w + NODE_GAP
        top += height + LAYER_GAP
    return centres


# -- the overview -----------------------------------------------------------------------------------
def overview_shapes(model: Model, only: set[str] | None = None) -> dict[str, Shape]:
    """Shapes of a block overview: every block of the author's (or those in ``only``) with its
    compartments, neural components, composition lines and the relations between drawn boxes."""
    boxes = [e for e in model.elements.values() if isinstance(e, Block | NeuralComponent) and not e.library
             and (only is None or e.id in only)]
    sizes = {b.id: block_box(model, b) if isinstance(b, Block) else (190.0, 110.0) for b in boxes}
    ids = set(sizes)
    compositions = [p for p in model.elements.values()
                    if isinstance(p, Part) and p.aggregation != "value" and p.owner in ids and p.type in ids]
    relations = [r for r in model.elements.values() if isinstance(r, Relation)
                 and any(s in ids for s in r.sources) and any(t in ids for t in r.targets)]
    edges = [(p.owner, p.type) for p in compositions if p.owner != p.type]
    edges += [(s, t) for r in relations for s in r.sources for t in r.targets if s in ids and t in ids]
    centres = _place_rows(_rows(layers([b.id for b in boxes], edges), sizes), sizes)  # type: ignore[arg-type]
    shapes = {key: Shape(x, y, *sizes[key]) for key, (x, y) in centres.items()}
    for element in [*compositions, *relations]:
        shapes[element.id] = Shape()
    return shapes


# -- requirements -----------------------------------------------------------------------------------
def requirements_shapes(model: Model) -> dict[str, Shape]:
    """Shapes of a requirements view: the requirements, the elements related to them (drawn as plain
    boxes) and the relations."""
    requirements = [r for r in model.of_kind(Requirement) if not r.library]
    ids = {r.id for r in requirements}
    relations = [r for r in model.elements.values() if isinstance(r, Relation)
                 and (ids & set(r.sources) or ids & set(r.targets))]
    related = []
    for relation in relations:
        for key in [*relation.sources, *relation.targets]:
            element = model.get(key)
            if key not in ids and element is not None and element not in related \
                    and isinstance(element, Block | Part | NeuralComponent | Requirement):
                related.append(element)
    sizes: dict[str, tuple[float, float]] = {r.id: requirement_box(r) for r in requirements}
    for element in related:
        sizes[element.id] = (max(BLOCK_MIN[0], _width(element.name) + 30), HEADER + 6)
    edges = [(t, s) for r in relations for s in r.sources for t in r.targets if s in sizes and t in sizes]
    nodes = [r.id for r in requirements] + [e.id for e in related]
    centres = _place_rows(_rows(layers(nodes, edges), sizes), sizes)
    shapes = {key: Shape(x, y, *sizes[key]) for key, (x, y) in centres.items()}
    for relation in relations:
        if any(s in shapes for s in relation.sources) and any(t in shapes for t in relation.targets):
            shapes[relation.id] = Shape()
    return shapes


# -- internal views ---------------------------------------------------------------------------------
@dataclass
class EndPlace:
    """Where a connector or item flow end attaches in an internal view: on ``host`` (the frame block or a
    part), at ``role`` (a port of the host's type, a property reached through it, or the host itself)."""

    host: str
    role: str | None


def connector_place(model: Model, block: Block, end: ConnectorEnd) -> EndPlace | None:
    """Where a connector end of ``block``'s attaches in its internal view."""
    part = end_part(end)
    if part is not None and part != end.role:
        element = model.get(part)
        if isinstance(element, Port) and element.owner == block.id:
            return EndPlace(block.id, part)  # a property of a port of the frame: at that port
        return EndPlace(part, end.role)
    role = model.get(end.role or "")
    if isinstance(role, Port) and role.owner == block.id:
        return EndPlace(block.id, role.id)
    if isinstance(role, Part) and role.owner == block.id:
        return EndPlace(role.id, None)
    return None


def flow_place(model: Model, block: Block, element_id: str | None) -> EndPlace | None:
    """Where an item flow end (a port or property of ``block`` or of a part's type) attaches in
    ``block``'s internal view; None when no single place holds it."""
    element = model.get(element_id or "")
    if element is None:
        return None
    owner = element.owner
    if owner == block.id:
        return EndPlace(block.id, element.id) if isinstance(element, Port) else EndPlace(element.id, None)
    holders = [p for p in _parts(model, block) if p.type == owner]
    if len(holders) != 1:
        return None
    return EndPlace(holders[0].id, element.id)


def _parts(model: Model, block: Block) -> list[Part]:
    return [p for p in model.elements.values()
            if isinstance(p, Part) and p.owner == block.id and p.aggregation != "value"]


def internal_connections(model: Model, block: Block) -> list[tuple[Element, EndPlace, EndPlace]]:
    """The connectors and item flows drawn in ``block``'s internal view, with where their ends attach
    (item flows that a drawn connector realizes are that connector's label instead)."""
    result: list[tuple[Element, EndPlace, EndPlace]] = []
    realized: set[str] = set()
    for element in model.elements.values():
        if isinstance(element, Connector) and element.owner == block.id and len(element.ends) == 2:
            a, b = (connector_place(model, block, end) for end in element.ends)
            if a is not None and b is not None:
                result.append((element, a, b))
                realized.add(element.id)
    for element in model.elements.values():
        if isinstance(element, ItemFlow) and not realized & set(element.realizing_connectors):
            a, b = flow_place(model, block, element.source), flow_place(model, block, element.target)
            if a is not None and b is not None and a.host != b.host:
                result.append((element, a, b))
    return result


def has_insides(model: Model, block: Block) -> bool:
    """Whether a block has something for an internal view to show: parts."""
    return bool(_parts(model, block))


def internal_shapes(model: Model, block: Block) -> dict[str, Shape]:
    """Shapes of ``block``'s internal view."""
    parts = _parts(model, block)
    connections = internal_connections(model, block)
    boxes: dict[str, Element] = {p.id: p for p in parts}
    for _element, *ends in connections:
        for place in ends:
            host = model.get(place.host)
            if isinstance(host, Part) and host.owner == block.id:
                boxes.setdefault(host.id, host)  # a value property that a connector reaches
    # which ports of each part's type face which way: toward the part at the other end
    graph: list[tuple[str, str]] = []
    for element, a, b in connections:
        if a.host in boxes and b.host in boxes:
            graph.append(_directed(model, element, a, b))
    grouped = layers(list(boxes), graph)
    column = {key: float(i) for i, layer in enumerate(grouped) for key in layer}
    middle = (len(grouped) - 1) / 2
    partners: dict[tuple[str, str], list[EndPlace]] = defaultdict(list)  # (host, role) -> the other ends
    for _element, a, b in connections:
        partners[(a.host, a.role or "")].append(b)
        partners[(b.host, b.role or "")].append(a)
    own = ports_of(model, block.id)
    sides: dict[str, str] = {}  # port id -> left or right (the frame's ports, then those of parts' types)
    for port in own:
        columns = [column[o.host] for o in partners[(block.id, port.id)] if o.host in column]
        if port.direction == "inout" and columns:
            sides[port.id] = "left" if sum(columns) / len(columns) < middle else "right"
        else:
            sides[port.id] = _default_side(port)
    nested: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # host -> side -> names
    for (host, role), others in partners.items():
        if host == block.id or not role or role in sides:
            continue
        columns = [column[o.host] if o.host in column else
                   (-1.0 if sides.get(o.role or "") == "left" else float(len(grouped))) for o in others]
        mean, here = sum(columns) / len(columns), column.get(host, middle)
        side = "right" if mean > here or (mean == here and _direction(model, role) == "out") else "left"
        if isinstance(model.get(role), Port):
            sides[role] = side
        elif model.get(role) is not None:  # a property of the part's type: a small port the scene adds
            nested[host][side].append(model.elements[role].name)
    sizes = {key: _box_size(model, element, sides, nested.get(key, {})) for key, element in boxes.items()}
    centres = _place_columns(grouped, sizes)
    shapes: dict[str, Shape] = {}
    if centres:
        left = min(x - sizes[k][0] / 2 for k, (x, _y) in centres.items())
        right = max(x + sizes[k][0] / 2 for k, (x, _y) in centres.items())
        top = min(y - sizes[k][1] / 2 for k, (_x, y) in centres.items())
        bottom = max(y + sizes[k][1] / 2 for k, (_x, y) in centres.items())
    else:
        left = top = 0.0
        right = bottom = 0.0
    per_side = {s: sum(1 for p in own if sides.get(p.id, _default_side(p)) == s) for s in ("left", "right")}
    frame_w = max(right - left + 2 * FRAME_PADDING, _width(block.name) + 60, BLOCK_MIN[0])
    frame_h = max(bottom - top + 2 * FRAME_PADDING * 0.6 + HEADER,
                  HEADER + (max(per_side.values(), default=0) + 1) * PORT_PITCH)
    cx, cy = (left + right) / 2, (top + bottom) / 2 - HEADER / 2
    shapes[block.id] = Shape(cx, cy, frame_w, frame_h)
    for key, (x, y) in centres.items():
        shapes[key] = Shape(x, y, *sizes[key])
    _port_fractions(own, sides, connections, centres, shapes, block.id, HEADER)
    for element, _a, _b in connections:
        shapes[element.id] = Shape()
    for part in parts:
        header = PART_HEADER + LINE * (caption_lines(part_caption(part, model)) - 1)
        _port_fractions(ports_of(model, part.type or ""), sides, connections, centres, shapes, part.id, header)
    return shapes


def _directed(model: Model, element: Element, a: EndPlace, b: EndPlace) -> tuple[str, str]:
    """The two hosts of a connection in the direction things flow (out port to in port)."""
    if isinstance(element, ItemFlow):
        return a.host, b.host
    first, second = _direction(model, a.role or ""), _direction(model, b.role or "")
    if (first == "in" and second != "in") or (second == "out" and first != "out"):
        return b.host, a.host
    return a.host, b.host  # as written when the ports do not say (both out, both in, inout)


def _direction(model: Model, port_id: str) -> str:
    port = model.get(port_id)
    return port.direction if isinstance(port, Port) else "inout"


def _is_left(model: Model, place: EndPlace) -> bool:
    return _direction(model, place.role or "") == "in"


def _default_side(port: Port) -> str:
    return "right" if port.direction == "out" else "left"


def _box_size(model: Model, element: Element, sides: dict[str, str],
              nested: dict[str, list[str]]) -> tuple[float, float]:
    """A part's box: its name above the names of its ports (and of the ``nested`` properties connectors
    reach), left and right, inside the box."""
    label = part_caption(element, model) if isinstance(element, Part) else element.name
    lines = caption_lines(label)
    longest = max(_width(line) for line in label.split("\n"))
    if isinstance(element, Part) and element.aggregation == "value" and not nested:
        return max(90.0, longest + 24), VALUE_SIZE_H + LINE * (lines - 1)
    typed = ports_of(model, element.type or "") if isinstance(element, Part) else []
    left = [p.name for p in typed if sides.get(p.id, _default_side(p)) == "left"] + nested.get("left", [])
    right = [p.name for p in typed if sides.get(p.id, _default_side(p)) == "right"] + nested.get("right", [])
    widest = (max((_width(n, SMALL_CHAR) for n in left), default=0.0)
              + max((_width(n, SMALL_CHAR) for n in right), default=0.0))
    width = max(PART_MIN[0], longest + 30, widest + 50)
    header = PART_HEADER + LINE * (lines - 1)
    height = max(PART_MIN[1], header + max(len(left), len(right)) * PORT_PITCH + 12)
    return width, height


def _place_columns(grouped: list[list[str]], sizes: dict[str, tuple[float, float]]) -> dict[str, Point]:
    """Columns left to right, each centred vertically."""
    centres: dict[str, Point] = {}
    x = 0.0
    for layer in grouped:
        width = max(sizes[n][0] for n in layer)
        span = sum(sizes[n][1] for n in layer) + PART_ROW_GAP * (len(layer) - 1)
        y = -span / 2
        for node in layer:
            w, h = sizes[node]
            centres[node] = (x + width / 2, y + h / 2)
            y += h + PART_ROW_GAP
        x += width + PART_COLUMN_GAP
    return centres


def _port_fractions(ports: list[Port], sides: dict[str, str], connections: list[tuple[Element, EndPlace, EndPlace]],
                    centres: dict[str, Point], shapes: dict[str, Shape], host: str, header: float) -> None:
    """Border fractions for ``ports`` (of ``host`` or of its type) on the left and right sides below the
    ``header``, each side ordered by the height of what they connect to (fewer crossings); ports placed
    already (the same type's, for another part) keep their place."""
    partner_y: dict[str, list[float]] = defaultdict(list)
    for _element, a, b in connections:
        for mine, other in ((a, b), (b, a)):
            if mine.host == host and mine.role and other.host in centres:
                partner_y[mine.role].append(centres[other.host][1])
    by_side: dict[str, list[Port]] = defaultdict(list)
    for port in ports:
        if port.id not in shapes:
            by_side[sides.get(port.id, _default_side(port))].append(port)
    for side, members in by_side.items():
        members.sort(key=lambda p: sum(partner_y[p.id]) / len(partner_y[p.id]) if partner_y[p.id] else 0.0)
        for rank, port in enumerate(members):
            t = (rank + 1) / (len(members) + 1) - 0.5
            shapes[port.id] = Shape(-0.5 if side == "left" else 0.5, _below(t, shapes[host].height, header))


def _below(t: float, height: float, header: float) -> float:
    """A side fraction ``t`` (-0.5 … 0.5) moved into the part of a box of ``height`` below its header."""
    top = min(header / height, 0.5) if height else 0.0
    return -0.5 + top + (t + 0.5) * (1 - top)


# -- the views an architecture opens on -------------------------------------------------------------
def internal_view(model: Model, block: Block) -> View:
    """A new internal view of ``block`` (its id unique in ``model``)."""
    return View(_next_free(model, "internal", set()), internal_view_names(model, [block])[block.id], "block",
                shapes=internal_shapes(model, block), subject=block.id)


def internal_view_names(model: Model, blocks: list[Block]) -> dict[str, str]:
    """Names of internal views of ``blocks`` by block id: ``Name (internal)``, with the owning package's
    name added where another block has the same name (Capella's layers repeat names), and the block's id
    where the package names the namesakes alike too."""
    namesakes: dict[str, list[Block]] = {}
    for block in model.of_kind(Block):
        namesakes.setdefault(block.name, []).append(block)
    names: dict[str, str] = {}
    for block in blocks:
        same = namesakes.get(block.name, [block])
        if len(same) < 2:
            names[block.id] = f"{block.name} (internal)"
            continue
        places = [_owner_name(model, b) for b in same]
        where = _owner_name(model, block)
        if not where or places.count(where) > 1:
            where = block.id
        names[block.id] = f"{block.name} (internal, {where})"
    return names


def _owner_name(model: Model, element: Block) -> str:
    owner = model.get(element.owner) if element.owner else None
    return owner.name if owner is not None else ""


def opening_views(model: Model) -> list[View]:
    """The views an architecture without block views opens on: the overview, the requirements, and an
    internal view of each block that has parts."""
    taken: set[str] = set()
    views = [View(_next_free(model, "blocks", taken), "Blocks", "block", shapes=overview_shapes(model))]
    if any(not r.library for r in model.of_kind(Requirement)):
        views.append(View(_next_free(model, "requirements", taken), "Requirements", "block",
                          shapes=requirements_shapes(model)))
    shown = [block for block in model.of_kind(Block) if not block.library and has_insides(model, block)]
    names = internal_view_names(model, shown)
    for block in shown:
        views.append(View(_next_free(model, "internal", taken), names[block.id], "block",
                          shapes=internal_shapes(model, block), subject=block.id))
    return views


def _next_free(model: Model, base: str, taken: set[str]) -> str:
    """``base_1``, ``base_2`` …: the first view id neither the model nor ``taken`` has (then taken)."""
    n = 1
    while model.view(f"{base}_{n}") is not None or f"{base}_{n}" in taken:
        n += 1
    taken.add(f"{base}_{n}")
    return f"{base}_{n}"


def internal_view_of(model: Model, block_id: str) -> View | None:
    """The first internal view of a block."""
    return next((v for v in model.views if v.subject == block_id), None)


def new_internal_view_commands(model: Model, block: Block) -> tuple[str, list[Command]]:
    view = internal_view(model, block)
    shapes, view.shapes = view.shapes, {}
    return view.id, [AddView(view), *(SetShape(view.id, k, s) for k, s in shapes.items())]


def arrange_commands(model: Model, view: View) -> list[Command]:
    """Commands that lay view ``view`` out again: an internal view as a new one of its block, another
    block view with what it draws (the requirements view's and the overview's layouts)."""
    subject = model.get(view.subject) if view.subject else None
    if isinstance(subject, Block):
        layout = internal_shapes(model, subject)
    elif any(isinstance(model.get(k), Requirement) for k in view.shapes):
        layout = requirements_shapes(model)
    else:
        layout = overview_shapes(model, {k for k in view.shapes if isinstance(model.get(k), Block | NeuralComponent)})
    commands: list[Command] = [SetShape(view.id, key, shape) for key, shape in layout.items()
                               if view.shapes.get(key) != shape]
    return commands
