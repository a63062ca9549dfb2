"""The architecture part of a diagram scene: ports on their hosts' borders, connector routes, relation
arrows, requirement texts and neural component details. The scene owns the node items; this layer adds
what hangs off them and re-routes edges whenever a node moves or is resized."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.gui import geometry
from app.gui.block_items import (
    NOT_RUN,
    ConnectorItem,
    EdgeItem,
    FmuItem,
    NeuralItem,
    PortItem,
    RelationItem,
    RequirementItem,
)
from app.gui.block_layout import auto_port_fractions, end_part, part_label_text, ports_of
from app.gui.geometry import Point
from app.gui.items import NodeItem
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

EDGE_KINDS = (Port, Connector, Relation)


def node_label(model: Model, element: object) -> str:
    """The text a node shows: ``name : Type`` for parts, the name otherwise."""
    if isinstance(element, Part):
        return part_label_text(element, model)
    return getattr(element, "name", "")


FMU_INTERFACES = {"cs": "co-simulation", "me": "model exchange"}


def neural_port_key(component_id: str, port_name: str) -> str:
    return f"{component_id}:{port_name}"


class BlockLayer:
    """Keeps ports, connectors and relations of one scene in line with the model."""

    def __init__(self, scene: DiagramScene) -> None:
        self.scene = scene
        self.ports: dict[tuple[str, str], PortItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self.providers: dict[str, str] = {}

    # -- sync ---------------------------------------------------------------------------------------
    def sync(self) -> None:
        model, view = self.scene.document.model, self.scene.view
        wanted: dict[tuple[str, str], tuple[str | None, Point, str, str]] = {}
        for host_id, item in self.scene.nodes.items():
            element = model.get(host_id)
            if isinstance(element, Block):
                for port in ports_of(model, host_id):
                    shape = view.shapes.get(port.id)
                    if shape is not None:
                        wanted[(host_id, port.id)] = (port.id, (shape.x, shape.y), port.direction, port.name)
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
        stale = [k for k, port in self.ports.items() if k not in wanted or port.host is not self.scene.nodes.get(k[0])]
        for key in stale:
            port = self.ports.pop(key)
            self.scene.retire(port)
        for key, (element_id, fraction, direction, label) in wanted.items():
            port = self.ports.get(key)
            if port is None:
                port = self.ports[key] = PortItem(element_id or key[1], self.scene.nodes[key[0]], element_id)
            port.set_state(fraction, direction, label)
        self._sync_edges(model, view.shapes)

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
                    conveyed = ", ".join(model.elements[c].name if c in model.elements else c for c in element.conveyed)
                    flows.setdefault(connector_id, []).append(f"flow: {conveyed or element.name}")
        for key in shapes:
            element = model.get(key)
            if isinstance(element, Connector | Relation):
                keep.add(key)
                cls = ConnectorItem if isinstance(element, Connector) else RelationItem
                item = self.edges.get(key)
                if item is None or type(item) is not cls:
                    if item is not None:
                        self.scene.retire(item)
                    item = self.edges[key] = cls(key)
                    self.scene.addItem(item)
                if isinstance(element, Relation):
                    item.set_label(f"«{element.relation}»")
                else:
                    item.set_label("\n".join([element.name, *flows.get(key, [])]).strip())
        for key in [k for k in self.edges if k not in keep]:
            self.scene.retire(self.edges.pop(key))

    # -- geometry -----------------------------------------------------------------------------------
    def refresh(self, only: set[str] | None = None) -> None:
        """Re-place ports on resized hosts and re-route connectors and relations: all of them, or those
        attached to the nodes in ``only`` (and to what those nodes hold)."""
        if not self.ports and not self.edges:
            return
        ports, edges = self.ports.values(), self.edges.items()
        if only is not None:
            moved = self._with_contents(only)
            ports = [p for (host, _key), p in self.ports.items() if host in moved]
            ends = moved | {p.element_id for p in ports if p.element_id} | {p.key for p in ports}
            edges = [(k, e) for k, e in self.edges.items() if k in only or self._edge_ends(k) & ends]
        for port in ports:
            port.place()
        model = self.scene.document.model
        for key, item in edges:
            element = model.get(key)
            points = self.connector_route(element) if isinstance(element, Connector) else \
                self.relation_route(element) if isinstance(element, Relation) else None
            item.setVisible(points is not None)
            if points is not None:
                item.set_geometry(points)

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
        """The ids a connector or relation attaches to."""
        element = self.scene.document.model.get(key)
        if isinstance(element, Connector):
            return {i for end in element.ends for i in (end_part(end), end.role) if i}
        if isinstance(element, Relation):
            return {*element.sources, *element.targets}
        return set()

    def end_anchor(self, end: ConnectorEnd) -> tuple[Point, Point | None, NodeItem | None] | None:
        """Where a connector end attaches: a port's point and outward direction, or a node to clip at."""
        part = end_part(end)
        role = end.role or ""
        if part is not None and (part, role) in self.ports:
            port = self.ports[(part, role)]
            return port.anchor(), port.outward(), None
        model = self.scene.document.model
        for wanted in (role, part):  # a nested end may stop at a port (its role a flow property)
            port = next((p for (host, _key), p in self.ports.items() if p.element_id == wanted
                         and not isinstance(model.get(host), Part)), None)
            if port is not None:
                return port.anchor(), port.outward(), None
        node = self.scene.nodes.get(part or role)
        if node is not None:
            return node.anchor(), None, node
        return None

    def connector_route(self, connector: Connector) -> list[Point] | None:
        if len(connector.ends) != 2:
            return None
        a, b = (self.end_anchor(end) for end in connector.ends)
        if a is None or b is None:
            return None
        (p0, d0), (p1, d1) = _resolve(a, b), _resolve(b, a)
        return geometry.orthogonal_route(p0, d0, p1, d1, detour=self._below(connector))

    def _below(self, connector: Connector) -> float | None:
        """A level just under the boxes a connector joins (its detour when it must double back)."""
        bottoms = [item.sceneBoundingRect().bottom() for end in connector.ends
                   for item in [self.scene.nodes.get(end_part(end) or end.role or "")] if item is not None]
        return max(bottoms) + 10 if bottoms else None

    def relation_route(self, relation: Relation) -> list[Point] | None:
        nodes = self.scene.nodes
        source = next((nodes[s] for s in relation.sources if s in nodes), None)
        target = next((nodes[t] for t in relation.targets if t in nodes), None)
        if source is None or target is None or source is target:
            return None
        a, b = source.anchor(), target.anchor()
        return [geometry.rect_border(a, source.size, b), geometry.rect_border(b, target.size, a)]

    def set_providers(self, providers: dict[str, str]) -> None:
        """Show which onnxruntime provider each neural component ran on (by component name)."""
        self.providers = dict(providers)
        model = self.scene.document.model
        for key, item in self.scene.nodes.items():
            element = model.get(key)
            if isinstance(item, NeuralItem) and isinstance(element, NeuralComponent):
                item.set_details(item.file, self.providers.get(element.name, NOT_RUN))


def _resolve(end: tuple[Point, Point | None, NodeItem | None],
             other: tuple[Point, Point | None, NodeItem | None]) -> tuple[Point, Point]:
    """A port end as it is; a node end clipped at the node's border toward the other end."""
    point, direction, node = end
    if direction is not None:
        return point, direction
    assert node is not None
    border = geometry.rect_border(node.anchor(), node.size, other[0])
    return border, geometry.side_vector(node.anchor(), node.size, border)


