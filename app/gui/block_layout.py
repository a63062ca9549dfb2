"""Automatic layout of block views (no Qt): which elements a block view draws, where ports sit on their
owner's border, and a small layered (Sugiyama-style) layout for Arrange.

Port shapes are relative: a port's ``Shape.x, Shape.y`` are fractions of its owner's width and height
measured from the owner's centre (-0.5 … 0.5), so a port stays on the border when the owner moves or is
resized, and the same fractions place it on every part typed by that block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from app.gui.geometry import Point
from metamodel.commands import AddView, Command, SetShape
from metamodel.elements import (
    Block,
    Connector,
    ConnectorEnd,
    Element,
    FmuComponent,
    NeuralComponent,
    Part,
    Port,
    Relation,
    Requirement,
)
from metamodel.model import Model
from metamodel.views import Shape, View

BLOCK_SIZE = (170.0, 96.0)
PART_SIZE = (150.0, 60.0)
REQUIREMENT_SIZE = (190.0, 96.0)
NEURAL_SIZE = (190.0, 110.0)
PORT_PITCH = 26.0
HEADER = 42.0
PADDING = 46.0
LAYER_GAP = 110.0
NODE_GAP = 70.0
PART_LAYER_GAP = 150.0
PART_GAP = 44.0
SWEEPS = 4


# -- what a block view draws ------------------------------------------------------------------------
def is_drawn_part(model: Model, element: Element) -> bool:
    """Parts drawn inside their owner block: part and reference properties of a block."""
    return (isinstance(element, Part) and element.aggregation != "value"
            and isinstance(model.get(element.owner or ""), Block))


def top_level(model: Model) -> list[Element]:
    """The boxes a block view lays out at its top level: blocks, requirements, neural and FMU components."""
    return [e for e in model.elements.values() if isinstance(e, Block | Requirement | NeuralComponent | FmuComponent)]


def end_part(end: ConnectorEnd) -> str | None:
    """The part through which a connector end reaches its role (``partWithPort`` or the nested path)."""
    return end.part_with_port or (end.nested_path[-1] if end.nested_path else None)


def node_size(element: Element) -> tuple[float, float]:
    """The default size of an architecture element's box."""
    if isinstance(element, Requirement):
        return REQUIREMENT_SIZE
    if isinstance(element, NeuralComponent | FmuComponent):
        return NEURAL_SIZE
    return BLOCK_SIZE


def part_label_text(part: Part, model: Model | None) -> str:
    """``name : Type`` of a part (the type's name when the model knows it); ``: Type`` when it has no
    name."""
    type_name = ""
    if part.type:
        typed = model.get(part.type) if model is not None else None
        type_name = typed.name if typed is not None else part.type.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    if not type_name:
        return part.name
    return f"{part.name} : {type_name}" if part.name else f": {type_name}"


LONG_CAPTION = 26  # characters: a longer ``name : Type`` goes on two lines


def part_caption(part: Part, model: Model | None) -> str:
    """What a part's box says: ``name : Type``, on two lines (name, then ``: Type``) when long."""
    text = part_label_text(part, model)
    if part.name and " : " in text and len(text) > LONG_CAPTION:
        name, type_name = text.split(" : ", 1)
        return f"{name}\n: {type_name}"
    return text


def caption_lines(text: str) -> int:
    return text.count("\n") + 1


# -- ports on borders -------------------------------------------------------------------------------
def auto_port_fractions(directions: list[str]) -> list[Point]:
    """Border fractions for ports in order: inputs on the left, outputs on the right, others below."""
    sides = {"in": "left", "out": "right"}
    by_side: dict[str, list[int]] = defaultdict(list)
    for index, direction in enumerate(directions):
        by_side[sides.get(direction, "bottom")].append(index)
    result: list[Point] = [(0.0, 0.0)] * len(directions)
    for side, indices in by_side.items():
        for rank, index in enumerate(indices):
            t = (rank + 1) / (len(indices) + 1) - 0.5
            result[index] = {"left": (-0.5, t), "right": (0.5, t), "bottom": (t, 0.5)}[side]
    return result


def snap_to_border(fx: float, fy: float) -> Point:
    """Move a fraction point (from the centre) onto the nearest side of the border."""
    fx, fy = max(-0.5, min(0.5, fx)), max(-0.5, min(0.5, fy))
    if 0.5 - abs(fx) <= 0.5 - abs(fy):
        return (0.5 if fx >= 0 else -0.5), fy
    return fx, (0.5 if fy >= 0 else -0.5)


def port_side(fx: float, fy: float) -> str:
    """``left``, ``right``, ``top`` or ``bottom``: the side a border fraction lies on."""
    if abs(fx) >= abs(fy):
        return "right" if fx > 0 else "left"
    return "bottom" if fy > 0 else "top"


def ports_of(model: Model, owner_id: str) -> list[Port]:
    return [e for e in model.elements.values() if isinstance(e, Port) and e.owner == owner_id]


def min_height_for_ports(count: int) -> float:
    return (count + 1) * PORT_PITCH + HEADER / 2


# -- layered layout ---------------------------------------------------------------------------------
def layers(nodes: list[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Longest-path layering of a directed graph (back edges found by DFS are reversed), then a few
    barycenter sweeps to reduce crossings. Returns the node ids layer by layer."""
    order = {n: i for i, n in enumerate(nodes)}
    succ: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        if a != b and a in order and b in order:
            succ[a].add(b)
    dag = _acyclic(nodes, succ)
    pred: dict[str, set[str]] = defaultdict(set)
    for a, targets in dag.items():
        for b in targets:
            pred[b].add(a)
    level: dict[str, int] = {}
    for node in _topological(nodes, dag, pred):
        level[node] = max((level[p] + 1 for p in pred[node]), default=0)
    grouped: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for node in nodes:
        grouped[level[node]].append(node)
    for _ in range(SWEEPS):
        for i in range(1, len(grouped)):
            _reorder(grouped[i], grouped[i - 1], pred)
        for i in range(len(grouped) - 2, -1, -1):
            _reorder(grouped[i], grouped[i + 1], dag)
    return grouped


def _acyclic(nodes: list[str], succ: dict[str, set[str]]) -> dict[str, set[str]]:
    dag: dict[str, set[str]] = defaultdict(set)
    state: dict[str, int] = {}
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(sorted(succ[root])))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                dag[child].add(node)  # a back edge: reversed
            else:
                dag[node].add(child)
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(sorted(succ[child]))))
    return dag


def _topological(nodes: list[str], succ: dict[str, set[str]], pred: dict[str, set[str]]) -> list[str]:
    waiting = {n: len(pred[n]) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    result: list[str] = []
    while ready:
        node = ready.pop(0)
        result.append(node)
        for child in sorted(succ[node]):
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return result


def _reorder(layer: list[str], fixed: list[str], neighbours: dict[str, set[str]]) -> None:
    position = {n: i for i, n in enumerate(fixed)}
    current = {n: i for i, n in enumerate(layer)}

    def barycenter(node: str) -> float:
        linked = [position[m] for m in neighbours.get(node, ()) if m in position]
        return sum(linked) / len(linked) if linked else current[node]

    layer.sort(key=lambda n: (barycenter(n), current[n]))


def _place(grouped: list[list[str]], sizes: dict[str, tuple[float, float]], gap_between_layers: float,
           gap_in_layer: float, horizontal: bool) -> dict[str, Point]:
    """Centres for layered nodes: layers go down (or right when ``horizontal``), each layer centred."""
    centres: dict[str, Point] = {}
    along = 0.0
    for layer in grouped:
        depth = max((sizes[n][0 if horizontal else 1] for n in layer), default=0.0)
        span = sum(sizes[n][1 if horizontal else 0] for n in layer) + gap_in_layer * (len(layer) - 1)
        cursor = -span / 2
        for node in layer:
            extent = sizes[node][1 if horizontal else 0]
            across = cursor + extent / 2
            centres[node] = (along + depth / 2, across) if horizontal else (across, along + depth / 2)
            cursor += extent + gap_in_layer
        along += depth + gap_between_layers
    return centres


# -- the whole view ---------------------------------------------------------------------------------
def _connector_edges(model: Model, owner: str, members: set[str]) -> list[tuple[str, str]]:
    edges = []
    for connector in model.elements.values():
        if isinstance(connector, Connector) and connector.owner == owner and len(connector.ends) == 2:
            a, b = (end_part(e) or e.role for e in connector.ends)
            if a in members and b in members:
                edges.append((a, b))  # type: ignore[arg-type]
    return edges


def _inner_layout(model: Model, block: Block) -> tuple[dict[str, Point], tuple[float, float]]:
    """Part centres relative to their block's centre and the block size that holds them."""
    parts = [e for e in model.elements.values() if e.owner == block.id and is_drawn_part(model, e)]
    own_ports = ports_of(model, block.id)
    base_w, base_h = BLOCK_SIZE[0], max(BLOCK_SIZE[1], min_height_for_ports(len(own_ports)))
    if not parts:
        return {}, (base_w, base_h)
    sizes = {p.id: _part_size(model, p) for p in parts}
    grouped = layers([p.id for p in parts], _connector_edges(model, block.id, set(sizes)))
    centres = _place(grouped, sizes, PART_LAYER_GAP, PART_GAP, horizontal=True)
    left = min(x - sizes[k][0] / 2 for k, (x, y) in centres.items())
    right = max(x + sizes[k][0] / 2 for k, (x, y) in centres.items())
    top = min(y - sizes[k][1] / 2 for k, (x, y) in centres.items())
    bottom = max(y + sizes[k][1] / 2 for k, (x, y) in centres.items())
    width = max(base_w, right - left + 2 * PADDING)
    height = max(base_h, bottom - top + 2 * PADDING + HEADER)
    dx, dy = -(left + right) / 2, -(top + bottom) / 2 + HEADER / 2
    return {k: (x + dx, y + dy) for k, (x, y) in centres.items()}, (width, height)


def _part_size(model: Model, part: Part) -> tuple[float, float]:
    width = max(PART_SIZE[0], 7.0 * len(part_label_text(part, model)) + 24)
    typed_ports = ports_of(model, part.type or "")
    sides: dict[str, int] = defaultdict(int)
    for fx, fy in auto_port_fractions([p.direction for p in typed_ports]):
        sides[port_side(fx, fy)] += 1
    height = max(PART_SIZE[1], (max(sides["left"], sides["right"], 0) + 1) * PORT_PITCH)
    return width, height


def arrange(model: Model) -> dict[str, Shape]:
    """A complete block-view layout of ``model``: boxes, parts inside their blocks, ports on borders,
    and empty shapes for the connectors and relations whose ends are drawn."""
    boxes = top_level(model)
    sizes: dict[str, tuple[float, float]] = {}
    inner: dict[str, dict[str, Point]] = {}
    for element in boxes:
        if isinstance(element, Block):
            inner[element.id], sizes[element.id] = _inner_layout(model, element)
        else:
            sizes[element.id] = node_size(element)
    ids = {e.id for e in boxes}
    edges: list[tuple[str, str]] = []
    for element in model.elements.values():
        if isinstance(element, Part) and element.owner in ids and element.type in ids:
            edges.append((element.owner, element.type))  # type: ignore[arg-type]
        elif isinstance(element, Relation):
            edges += [(s, t) for s in element.sources for t in element.targets if s in ids and t in ids]
    grouped = layers([e.id for e in boxes], edges)
    centres = _place(grouped, sizes, LAYER_GAP, NODE_GAP, horizontal=False)
    shapes: dict[str, Shape] = {}
    for key, (x, y) in centres.items():
        shapes[key] = Shape(x, y, *sizes[key])
        for part_id, (px, py) in inner.get(key, {}).items():
            part = model.elements[part_id]
            assert isinstance(part, Part)
            shapes[part_id] = Shape(x + px, y + py, *_part_size(model, part))
        owned = ports_of(model, key)
        for port, (fx, fy) in zip(owned, auto_port_fractions([p.direction for p in owned]), strict=True):
            shapes[port.id] = Shape(fx, fy)
    for element in model.elements.values():
        if _edge_drawn(element, shapes):
            shapes[element.id] = Shape()
    return shapes


def _edge_drawn(element: Element, shapes: dict[str, Shape]) -> bool:
    """Whether a connector's or relation's ends are all among ``shapes``."""
    if isinstance(element, Relation):
        return any(s in shapes for s in element.sources) and any(t in shapes for t in element.targets)
    if not isinstance(element, Connector) or len(element.ends) != 2:
        return False
    connector = element
    for end in connector.ends:
        part = end_part(end)
        if part is not None and part not in shapes:
            return False
        if part is None and end.role not in shapes:
            return False
    return True


def arrange_commands(model: Model, view_id: str) -> list[Command]:
    """Commands that give view ``view_id`` the layout of :func:`arrange` (shapes that change only)."""
    view = model.view(view_id)
    if view is None:
        raise KeyError(f"no view {view_id!r}")
    layout = arrange(model)
    return [SetShape(view_id, key, shape) for key, shape in layout.items() if view.shapes.get(key) != shape]


def has_architecture(model: Model) -> bool:
    return any(isinstance(e, Block) for e in model.elements.values())


def new_block_view_commands(model: Model) -> tuple[str, list[Command]]:
    """A new, arranged block view: its id and the commands (add the view, then place every shape)."""
    n = 1
    while model.view(f"blocks_{n}") is not None:
        n += 1
    view = View(f"blocks_{n}", "Blocks" if n == 1 else f"Blocks {n}", "block")
    commands: list[Command] = [AddView(view)]
    commands += [SetShape(view.id, key, shape) for key, shape in arrange(model).items()]
    return view.id, commands
