"""The architecture part of a diagram scene: ports on their hosts' borders, connector and item flow
routes around the boxes, composition lines of an overview, relation arrows, block compartments,
requirement texts and neural component details. The scene owns the node items; this layer adds what
hangs off them and re-routes edges whenever a node moves or is resized."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from app.gui import block_views, geometry
from app.gui.block_items import (
    NOT_RUN,
    CompositionItem,
    ConnectorItem,
    EdgeItem,
    FmuItem,
    NeuralItem,
    PartItem,
    PortItem,
    RelationItem,
    RequirementItem,
)
from app.gui.block_layout import auto_port_fractions, end_part, part_caption, ports_of
from app.gui.block_views import PART_HEADER, PORT_PITCH
from app.gui.geometry import Point
from app.gui.items import BlockItem, NodeItem
from app.gui.routing import Router
from metamodel.elements import (
    Block,
    Connector,
    ConnectorEnd,
    FmuComponent,
    ItemFlow,
    NeuralComponent,
    Part,
    Port,
    Relation,
    Requirement,
)
from metamodel.model import Model

if TYPE_CHECKING:
    from app.gui.scene import DiagramScene

EDGE_KINDS = (Port, Connector, Relation, ItemFlow)
RELATION_GAP = 16.0  # px between parallel relation arrows
Anchor = tuple[Point, Point | None, NodeItem | None, NodeItem | None]  # point, outward, node to clip at, host


def node_label(model: Model, element: object) -> str:
    """The text a node shows: ``name : Type`` for parts (``: Type`` when unnamed; on two lines when
    long), the name otherwise."""
    if isinstance(element, Part):
        return part_caption(element, model)
    return getattr(element, "name", "")


FMU_INTERFACES = {"cs": "co-simulation", "me": "model exchange"}


def neural_port_key(component_id: str, port_name: str) -> str:
    return f"{component_id}:{port_name}"


class BlockLayer:
    """Keeps ports, connectors, item flows, compositions and relations of one scene in line with the
    model."""

    def __init__(self, scene: DiagramScene) -> None:
        self.scene = scene
        self.ports: dict[tuple[str, str], PortItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self.providers: dict[str, str] = {}
        self.verdicts: dict[str, tuple[str, tuple[str, str, str]]] = {}  # requirement id -> status, texts
        self.flow_ends: dict[str, tuple[ConnectorEnd, ConnectorEnd]] = {}  # item flows drawn, as connector ends

    # -- sync ---------------------------------------------------------------------------------------
    def sync(self) -> None:
        model, view = self.scene.document.model, self.scene.view
        wanted: dict[tuple[str, str], tuple[str | None, Point, str, str]] = {}
        frame = model.get(view.subject) if view.subject else None
        connections = block_views.internal_connections(model, frame) if isinstance(frame, Block) else []
        for host_id, item in self.scene.nodes.items():
            element = model.get(host_id)
            if isinstance(element, Block):
                for port in ports_of(model, host_id):
                    shape = view.shapes.get(port.id)
                    if shape is not None:
                        wanted[(host_id, port.id)] = (port.id, (shape.x, shape.y), port.direction, port.name)
                if isinstance(item, BlockItem):
                    inside = any(isinstance(c, NodeItem) for c in item.childItems())
                    item.set_compartments([] if inside else block_views.compartments(model, element))
            elif isinstance(element, Part) and element.type:
                typed = ports_of(model, element.type)
                auto = auto_port_fractions([p.direction for p in typed])
                for port, fraction in zip(typed, auto, strict=True):
                    shape = view.shapes.get(port.id)
                    place = (shape.x, shape.y) if shape is not None else fraction
                    wanted[(host_id, port.id)] = (port.id, place, port.direction, port.name)
            elif isinstance(element, NeuralComponent | FmuComponent):
                self._neural(element, item, wanted)
            elif isinstance(element, Requirement) and isinstance(item, RequirementItem):
                item.set_text("\n".join(t for t in (f"id = {element.req_id}" if element.req_id else "",
                                                    element.text) if t))
                item.set_verdict(*self.verdicts.get(element.id, ("", ("", "", ""))))
        self._nested(model, connections, wanted)
        stale = [k for k, port in self.ports.items() if k not in wanted or port.host is not self.scene.nodes.get(k[0])]
        for key in stale:
            port = self.ports.pop(key)
            self.scene.retire(port)
        for key, (element_id, fraction, direction, label) in wanted.items():
            port = self.ports.get(key)
            if port is None:
                port = self.ports[key] = PortItem(element_id or key[1], self.scene.nodes[key[0]], element_id)
            port.set_state(fraction, direction, label)
        self.flow_ends = {element.id: (_as_end(model, a), _as_end(model, b)) for element, a, b in connections
                          if isinstance(element, ItemFlow)}
        self._sync_edges(model, view.shapes)

    def _nested(self, model: Model, connections: list, wanted: dict) -> None:  # noqa: ANN001
        """Small ports for the properties of a part's type that connectors reach (a value or flow property):
        on the side of the part facing the other end, in the free places between its ports."""
        extra: dict[tuple[str, str], list[tuple[float, str]]] = {}  # (host, side) -> (partner y, role)
        for _element, *places in connections:
            for mine, other in (places, places[::-1]):
                host = self.scene.nodes.get(mine.host)
                if not isinstance(model.get(mine.host), Part) or host is None or not mine.role:
                    continue
                if (mine.host, mine.role) in wanted or isinstance(model.get(mine.role), Port):
                    continue
                partner = self._place_point(other)
                side = "right" if partner is not None and partner[0] > host.scenePos().x() else "left"
                roles = extra.setdefault((mine.host, side), [])
                if mine.role not in (r for _y, r in roles):
                    roles.append((partner[1] if partner is not None else 0.0, mine.role))
        for (host, side), roles in extra.items():
            item = self.scene.nodes[host]
            taken = [fy for (h, _k), (_e, (fx, fy), _d, _l) in wanted.items()
                     if h == host and (fx > 0) == (side == "right") and abs(fx) == 0.5]
            header = item.header() if isinstance(item, PartItem) else PART_HEADER
            slots = _free_slots(item.size[1], header, taken, len(roles))
            fx = 0.5 if side == "right" else -0.5
            for (_y, role), fy in zip(sorted(roles), slots, strict=False):
                element = model.get(role)
                wanted[(host, role)] = (role, (fx, fy), "inout", element.name if element is not None else role)

    def _place_point(self, place: block_views.EndPlace) -> Point | None:
        """Roughly where an end lies (its host's centre, or the frame port it names)."""
        port = self.ports.get((place.host, place.role or ""))
        if port is not None:
            return port.anchor()
        node = self.scene.nodes.get(place.host)
        if node is None:
            return None
        if place.role and place.host == self.scene.view.subject:
            shape = self.scene.view.shapes.get(place.role)
            if shape is not None:
                return node.scenePos().x() + shape.x * node.size[0], node.scenePos().y() + shape.y * node.size[1]
        return node.anchor()

    def _neural(self, component: NeuralComponent | FmuComponent, item: NodeItem,
                wanted: dict[tuple[str, str], tuple[str | None, Point, str, str]]) -> None:
        """A component's file and ports (inputs on the left, outputs on the right)."""
        if isinstance(item, FmuItem) and isinstance(component, FmuComponent):
            item.set_details(component.path.rsplit("/", 1)[-1], FMU_INTERFACES[component.interface])
        elif isinstance(item, NeuralItem):
            item.set_details(component.path.rsplit("/", 1)[-1], self.providers.get(component.name, NOT_RUN))
        ports = [(p, "in") for p in component.inputs] + [(p, "out") for p in component.outputs]
        for (port, direction), fraction in zip(ports, auto_port_fractions([d for _p, d in ports]), strict=True):
            key = neural_port_key(component.id, port.name)
            wanted[(component.id, key)] = (None, fraction, direction, port.name)

    def _sync_edges(self, model: Model, shapes: dict) -> None:  # noqa: ANN001 - view shapes
        keep: set[str] = set()
        flows: dict[str, list[str]] = {}
        for element in model.elements.values():
            if isinstance(element, ItemFlow):
                for connector_id in element.realizing_connectors:
                    flows.setdefault(connector_id, []).append(f"flow: {_conveyed(model, element) or element.name}")
        for key, shape in shapes.items():
            element = model.get(key)
            if isinstance(element, Connector | Relation) or key in self.flow_ends \
                    or block_views.is_composition(model, element, shape):
                keep.add(key)
                cls = RelationItem if isinstance(element, Relation) else \
                    CompositionItem if isinstance(element, Part) else ConnectorItem
                item = self.edges.get(key)
                if item is None or type(item) is not cls:
                    if item is not None:
                        self.scene.retire(item)
                    item = self.edges[key] = cls(key)
                    self.scene.addItem(item)
                if isinstance(element, Relation):
                    item.set_label(f"«{element.relation}»")
                elif isinstance(element, Part):
                    item.set_label(element.name)
                    item.set_reference(element.aggregation == "reference")
                elif isinstance(element, ItemFlow):
                    item.set_label(_conveyed(model, element))  # what flows; the arrow says where
                    item.set_directed(True)
                else:
                    item.set_label("\n".join([element.name, *flows.get(key, [])]).strip())
                    item.set_directed(element.directed)
        for key in [k for k in self.edges if k not in keep]:
            self.scene.retire(self.edges.pop(key))

    # -- geometry -----------------------------------------------------------------------------------
    def refresh(self, only: set[str] | None = None) -> None:
        """Re-place ports on resized hosts and re-route connectors, item flows, compositions and relations:
        all of them, or those attached to the nodes in ``only`` (and to what those nodes hold); the
        others stay as they are and are kept clear of."""
        if not self.ports and not self.edges:
            return
        ports, edges = list(self.ports.values()), list(self.edges.items())
        if only is not None:
            moved = self._with_contents(only)
            ports = [p for (host, _key), p in self.ports.items() if host in moved]
            ends = moved | {p.element_id for p in ports if p.element_id} | {p.key for p in ports}
            edges = [(k, e) for k, e in self.edges.items() if k in only or self._edge_ends(k) & ends]
        for port in ports:
            port.place()
        model = self.scene.document.model
        router = Router(self._obstacles())
        routed = {k for k, _e in edges}
        for key, item in self.edges.items():
            if key not in routed and item.isVisible() and not isinstance(item, RelationItem):
                router.lay(item.points)
        parallel = self._parallel_relations() if any(isinstance(e, RelationItem) for _k, e in edges) else {}
        placing: list[EdgeItem] = []
        for key, item in sorted(edges, key=lambda pair: pair[0]):
            element = model.get(key)
            if isinstance(element, Relation):
                points = self.relation_route(element, *parallel.get(key, (0, 1)))
            elif isinstance(element, Part):
                points = self.composition_route(element, router)
            elif key in self.flow_ends:
                points = self.route_ends(*self.flow_ends[key], router)
            elif isinstance(element, Connector) and len(element.ends) == 2:
                points = self.route_ends(*element.ends, router)
            else:
                points = None
            item.setVisible(points is not None)
            if points is not None:
                item.set_geometry(points)
                placing.append(item)
        for item in placing:  # once every line is where it goes
            item.place_label(lambda rect, edge=item: self._label_cost(rect, edge))

    def _obstacles(self) -> list[tuple[float, float, float, float]]:
        """The boxes routes go around: every node that holds no other node (a frame's parts, the blocks of
        an overview)."""
        boxes = []
        for item in self.scene.nodes.values():
            if item.isVisible() and not any(isinstance(c, NodeItem) for c in item.childItems()):
                r = item.mapRectToScene(item.rect())
                boxes.append((r.left(), r.top(), r.right(), r.bottom()))
        return boxes

    def _label_cost(self, rect, edge: EdgeItem) -> float:  # noqa: ANN001 - QRectF
        """How much of the boxes and of other edges' labels an ``edge``'s label at ``rect`` would cover,
        and a tenth of its area for each other edge's line through it."""
        spent = 0.0
        for other in self.scene.items(rect, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
            if isinstance(other, NodeItem) and not any(isinstance(c, NodeItem) for c in other.childItems()):
                shared = other.mapRectToScene(other.rect()).intersected(rect)
                spent += max(0.0, shared.width()) * max(0.0, shared.height())
            elif isinstance(other, EdgeItem) and other is not edge:
                if other.label and (placed := other.placed_label()) is not None:
                    shared = placed.intersected(rect)
                    spent += max(0.0, shared.width()) * max(0.0, shared.height())
                if other.crosses(rect):
                    spent += rect.width() * rect.height() / 10
        return spent

    def _with_contents(self, keys: set[str]) -> set[str]:
        """``keys`` and the keys of every node drawn inside their items."""
        found = set(keys)
        stack = [self.scene.nodes[k] for k in keys if k in self.scene.nodes]
        while stack:
            for child in stack.pop().childItems():
                if isinstance(child, NodeItem) and child.key not in found:
                    found.add(child.key)
                    stack.append(child)
        return found

    def _edge_ends(self, key: str) -> set[str]:
        """The ids a connector, item flow, composition or relation attaches to."""
        element = self.scene.document.model.get(key)
        if key in self.flow_ends:
            return {i for end in self.flow_ends[key] for i in (end_part(end), end.role) if i}
        if isinstance(element, Connector):
            return {i for end in element.ends for i in (end_part(end), end.role) if i}
        if isinstance(element, Relation):
            return {*element.sources, *element.targets}
        if isinstance(element, Part):
            return {i for i in (element.owner, element.type) if i}
        return set()

    def end_anchor(self, end: ConnectorEnd) -> Anchor | None:
        """Where a connector end attaches: a port's point and outward direction, or a node to clip at."""
        part = end_part(end)
        role = end.role or ""
        if part is not None and (part, role) in self.ports:
            port = self.ports[(part, role)]
            return port.anchor(), port.outward(), None, port.host
        model = self.scene.document.model
        for wanted in (role, part):  # a nested end may stop at a port (its role a flow property)
            port = next((p for (host, _key), p in self.ports.items() if p.element_id == wanted
                         and not isinstance(model.get(host), Part)), None)
            if port is not None:
                return port.anchor(), port.outward(), None, port.host
        node = self.scene.nodes.get(part or role)
        if node is not None:
            return node.anchor(), None, node, None
        return None

    def route_ends(self, first: ConnectorEnd, second: ConnectorEnd, router: Router) -> list[Point] | None:
        """An orthogonal route between two connector ends around the boxes."""
        a, b = self.end_anchor(first), self.end_anchor(second)
        if a is None or b is None:
            return None
        (p0, d0), (p1, d1) = _resolve(a, b), _resolve(b, a)
        return router.route(p0, d0, p1, d1)

    def connector_route(self, connector: Connector) -> list[Point] | None:
        """The route of one connector (around the boxes, not minding other routes)."""
        if len(connector.ends) != 2:
            return None
        return self.route_ends(*connector.ends, Router(self._obstacles()))

    def composition_route(self, part: Part, router: Router) -> list[Point] | None:
        """From the owner's lower side to the top of the part's type, spread along both sides."""
        nodes = self.scene.nodes
        owner, typed = nodes.get(part.owner or ""), nodes.get(part.type or "")
        if owner is None or typed is None or owner is typed:
            return None
        siblings = sorted((k for k, e in self.edges.items() if isinstance(e, CompositionItem)
                           and self._owner_of(k) == part.owner), key=lambda k: self._type_x(k))
        users = sorted((k for k, e in self.edges.items() if isinstance(e, CompositionItem)
                        and self._type_of(k) == part.type), key=lambda k: self._owner_x(k))
        o, t = owner.mapRectToScene(owner.rect()), typed.mapRectToScene(typed.rect())
        start = (o.left() + o.width() * (siblings.index(part.id) + 1) / (len(siblings) + 1), o.bottom())
        end = (t.left() + t.width() * (users.index(part.id) + 1) / (len(users) + 1), t.top())
        return router.route(start, (0.0, 1.0), end, (0.0, -1.0))

    def _owner_of(self, key: str) -> str | None:
        element = self.scene.document.model.get(key)
        return element.owner if element is not None else None

    def _type_of(self, key: str) -> str | None:
        element = self.scene.document.model.get(key)
        return getattr(element, "type", None)

    def _type_x(self, key: str) -> float:
        item = self.scene.nodes.get(self._type_of(key) or "")
        return item.scenePos().x() if item is not None else 0.0

    def _owner_x(self, key: str) -> float:
        item = self.scene.nodes.get(self._owner_of(key) or "")
        return item.scenePos().x() if item is not None else 0.0

    def _relation_ends(self, relation: Relation) -> tuple[NodeItem, NodeItem] | None:
        nodes = self.scene.nodes
        source = next((nodes[s] for s in relation.sources if s in nodes), None)
        target = next((nodes[t] for t in relation.targets if t in nodes), None)
        if source is None or target is None or source is target:
            return None
        return source, target

    def _parallel_relations(self) -> dict[str, tuple[int, int]]:
        """For each drawn relation: its rank among the relations joining the same two boxes, and their
        number (parallel ones are drawn side by side, not on top of one another)."""
        model = self.scene.document.model
        pairs: dict[frozenset[str], list[str]] = defaultdict(list)
        for key, item in self.edges.items():
            relation = model.get(key)
            if isinstance(item, RelationItem) and isinstance(relation, Relation):
                ends = self._relation_ends(relation)
                if ends is not None:
                    pairs[frozenset((ends[0].key, ends[1].key))].append(key)
        return {key: (rank, len(keys)) for keys in pairs.values() for rank, key in enumerate(sorted(keys))}

    def relation_route(self, relation: Relation, rank: int = 0, count: int = 1) -> list[Point] | None:
        """A straight arrow between the borders of the two boxes, moved sideways by ``RELATION_GAP`` for
        each parallel relation (``rank`` of ``count``)."""
        ends = self._relation_ends(relation)
        if ends is None:
            return None
        source, target = ends
        (ax, ay), (bx, by) = source.anchor(), target.anchor()
        length = math.hypot(bx - ax, by - ay) or 1.0
        shift = (rank - (count - 1) / 2) * RELATION_GAP
        nx, ny = -(by - ay) / length * shift, (bx - ax) / length * shift
        a, b = (ax + nx, ay + ny), (bx + nx, by + ny)
        return [_leave(a, b, source), _leave(b, a, target)]

    def set_verdicts(self, verdicts: dict[str, tuple[str, tuple[str, str, str]]]) -> None:
        """Show each requirement's verdict of the last run on its box (by requirement id)."""
        self.verdicts = dict(verdicts)
        for key, item in self.scene.nodes.items():
            if isinstance(item, RequirementItem):
                item.set_verdict(*self.verdicts.get(key, ("", ("", "", ""))))

    def set_providers(self, providers: dict[str, str]) -> None:
        """Show which onnxruntime provider each neural component ran on (by component name)."""
        self.providers = dict(providers)
        model = self.scene.document.model
        for key, item in self.scene.nodes.items():
            element = model.get(key)
            if isinstance(item, NeuralItem) and isinstance(element, NeuralComponent):
                item.set_details(item.file, self.providers.get(element.name, NOT_RUN))


def _leave(start: Point, toward: Point, node: NodeItem) -> Point:
    """Where the ray from ``start`` (inside ``node``'s box, or its centre) toward ``toward`` leaves the box."""
    (cx, cy), (w, h) = node.anchor(), node.size
    dx, dy = toward[0] - start[0], toward[1] - start[1]
    steps = [((cx + math.copysign(w / 2, d) - start[0]) / d) for d in (dx,) if d] + \
        [((cy + math.copysign(h / 2, d) - start[1]) / d) for d in (dy,) if d]
    t = max(0.0, min(steps)) if steps else 0.0
    return start[0] + dx * t, start[1] + dy * t


def _free_slots(height: float, header: float, taken: list[float], count: int) -> list[float]:
    """Side fractions for ``count`` more ports below a part's header, a port's pitch apart and clear of
    the ports ``taken`` there already."""
    slots: list[float] = []
    y = header + PORT_PITCH / 2
    while y < height - 4 and len(slots) < count:
        fraction = y / height - 0.5
        if all(abs(fraction - t) * height >= PORT_PITCH * 0.8 for t in [*taken, *slots]):
            slots.append(fraction)
        y += PORT_PITCH / 4
    return slots


def _conveyed(model: Model, flow: ItemFlow) -> str:
    """The names of what an item flow conveys."""
    return ", ".join(model.elements[c].name if c in model.elements else c for c in flow.conveyed)


def _as_end(model: Model, place: block_views.EndPlace) -> ConnectorEnd:
    """An item flow end placed in an internal view, as the connector end that would attach there."""
    host = model.get(place.host)
    if isinstance(host, Part) and place.role:
        return ConnectorEnd(role=place.role, part_with_port=host.id)
    return ConnectorEnd(role=place.role or place.host)


def _resolve(end: Anchor, other: Anchor) -> tuple[Point, Point]:
    """A port end as it is, facing into its host when the other end lies inside the host (a frame's port
    in an internal view); a node end clipped at the node's border toward the other end."""
    point, direction, node, host = end
    if direction is not None:
        if host is not None and host.mapRectToScene(host.rect()).contains(*other[0]):
            return point, (-direction[0], -direction[1])
        return point, direction
    assert node is not None
    border = geometry.rect_border(node.anchor(), node.size, other[0])
    return border, geometry.side_vector(node.anchor(), node.size, border)

