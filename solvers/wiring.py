"""The value network of an instance tree: every value a feature holds, and which of them are one value.

Each value property, value port, flow property of a port and constraint parameter of each instance
is an *occurrence*. Connectors (binding or not), item flows between features and delegation
connectors from a block's port to a part's port make occurrences equal; a union-find merges them into
*quantities*. A port of a block whose behaviour is an SD model is that model's variable of the same
name: an ``out`` port provides the quantity's value, an ``in`` port consumes it.

Strict wiring: a port that names no variable of its block's behaviour, a behaviour port without a
direction, two outputs driving one value and ends that do not resolve are problems naming the
elements, never a silent gap.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from metamodel.elements import Aux, Block, Connector, ConnectorEnd, Element, ItemFlow, Part, Port, Variable
from metamodel.model import Model
from metamodel.names import canonical
from metamodel.validation.registry import Diagnostic
from solvers.instances import Instance, ModelIndex, is_constraint_block, is_value


@dataclass
class Occurrence:
    """One value held by a feature of an instance.

    ``kind``: ``value`` (value property), ``port``, ``flow`` (a flow property of a port) or
    ``parameter`` (of a constraint block). ``sd`` names its role when it is a variable of an SD
    behaviour: ``out`` (provides), ``in`` (consumes), ``param`` (a constant it may override).
    """

    key: str
    display: str
    kind: str
    element: Element
    instance: Instance
    default: str = ""
    units: str = ""
    sd: str = ""
    order: int = 0

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """Which occurrence names a quantity: value properties near the root first."""
        kinds = {"value": 0, "port": 1, "flow": 2, "parameter": 3}
        return (self.sd == "in", kinds.get(self.kind, 4), len(self.instance.path), self.order)


@dataclass
class Network:
    """Occurrences by key, merged by bindings (union-find)."""

    occurrences: dict[str, Occurrence] = field(default_factory=dict)
    by_feature: dict[tuple[tuple[str, ...], str], list[str]] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)  # root -> keys of the SD outputs merged in it
    problems: list[Diagnostic] = field(default_factory=list)

    def add(self, occurrence: Occurrence, feature_id: str) -> None:
        """Register ``occurrence`` of feature ``feature_id`` (a port's flow properties share the port's id)."""
        occurrence.order = len(self.occurrences)
        if occurrence.key in self.occurrences:  # two features spelled alike: kept apart by id
            occurrence.key = f"{occurrence.key}#{occurrence.element.id}"
        self.occurrences[occurrence.key] = occurrence
        self.parent[occurrence.key] = occurrence.key
        if occurrence.sd == "out":
            self.outputs[occurrence.key] = [occurrence.key]
        self.by_feature.setdefault((occurrence.instance.path, feature_id), []).append(occurrence.key)

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str, connector: Element) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        outputs = self.outputs.get(ra, []) + self.outputs.get(rb, [])
        if len(outputs) > 1:
            shown = " and ".join(f"'{self.occurrences[k].display}'" for k in outputs)
            self.problem("AR001", f"'{connector.name or connector.id}' joins two outputs: {shown} both drive "
                                  "one value", connector)
            return
        self.parent[rb] = ra
        self.outputs[ra] = outputs

    def groups(self) -> dict[str, list[Occurrence]]:
        found: dict[str, list[Occurrence]] = {}
        for key, occurrence in self.occurrences.items():
            found.setdefault(self.find(key), []).append(occurrence)
        return found

    def problem(self, code: str, message: str, element: Element | None) -> None:
        self.problems.append(Diagnostic(code, "error", message, element.id if element else None,
                                        element.name if element else ""))


class Wiring:
    """Builds the network of the instance trees of one model."""

    def __init__(self, model: Model, index: ModelIndex) -> None:
        self.model = model
        self.index = index
        self.network = Network()
        self.instances: dict[str, list[Instance]] = {}  # block id -> its instances
        self.sd_variables: dict[tuple[str, ...], dict[str, Variable]] = {}  # instance path -> variables

    # -- occurrences ------------------------------------------------------------------------------
    def add_tree(self, root: Instance) -> None:
        for instance in root.walk():
            for source in instance.sources:
                self.instances.setdefault(source, []).append(instance)
            self._features(instance)

    def _features(self, instance: Instance) -> None:
        block = instance.block
        behaviour = self.index.behaviour(block)
        variables: dict[str, Variable] | None = None
        if behaviour is not None:
            submodel = self.model.submodels.get(behaviour.model_name)
            if submodel is None:
                self.network.problem("SD021", f"the behaviour of {instance.name} names the model "
                                              f"'{behaviour.model_name}', which is not loaded", behaviour)
            else:
                variables = {v.canonical: v for v in submodel.variables()}
                self.sd_variables[instance.path] = variables
        constraint = is_constraint_block(block)
        for part in self.index.features(instance.sources, Part):
            if is_value(self.index, part):
                kind = "parameter" if constraint else "value"
                occurrence = Occurrence(canonical(instance.display(part.name)), instance.display(part.name), kind,
                                        part, instance, part.default, self._units(part.type))
                if variables is not None and part.canonical in variables:
                    self._sd_value(occurrence, variables[part.canonical], instance)
                self.network.add(occurrence, part.id)
        for port in self.index.features(instance.sources, Port):
            if self.index.block(port.type) is not None:
                continue  # a full port typed by a block is an instance of its own
            self._port(instance, port, variables, constraint)

    def _port(self, instance: Instance, port: Port, variables: dict[str, Variable] | None, constraint: bool) -> None:
        interface = self.index.interface(port.type)
        flows = interface.flow_properties if interface is not None else []
        if not flows:
            kind = "parameter" if constraint else "port"
            occurrence = Occurrence(canonical(instance.display(port.name)), instance.display(port.name), kind, port,
                                    instance, units=port.units)
            if variables is not None:
                self._sd_port(occurrence, port, port.name, _direction(port), variables, instance)
            self.network.add(occurrence, port.id)
            return
        for flow in flows:
            display = instance.display(f"{port.name}.{flow.name}")
            occurrence = Occurrence(canonical(display), display, "flow", port, instance, units=flow.units)
            if variables is not None:
                name = port.name if len(flows) == 1 and port.canonical in variables else flow.name
                direction = flow.direction
                if port.conjugated and direction in ("in", "out"):
                    direction = "out" if direction == "in" else "in"
                self._sd_port(occurrence, port, name, direction, variables, instance)
            self.network.add(occurrence, port.id)

    def _sd_port(self, occurrence: Occurrence, port: Port, name: str, direction: str, variables: dict[str, Variable],
                 instance: Instance) -> None:
        variable = variables.get(canonical(name))
        behaviour = self.index.behaviour(instance.block)
        model_name = behaviour.model_name if behaviour else ""
        if variable is None:
            close = [k for k in variables if k.replace("_", "") == canonical(name).replace("_", "")]
            close = close or difflib.get_close_matches(canonical(name), list(variables), n=1, cutoff=0.5)
            hint = f"; the closest is '{variables[close[0]].name}'" if close else ""
            self.network.problem("AR120", f"port '{port.name}' of {instance.name} matches no variable of its "
                                          f"behaviour '{model_name}'{hint}", port)
            return
        if direction not in ("in", "out"):
            self.network.problem("AR121", f"port '{port.name}' of {instance.name} has no direction: a port "
                                          "of a block with SD behaviour must be 'in' or 'out'", port)
            return
        occurrence.sd = direction
        occurrence.key = _sd_key(instance, variable)
        occurrence.display = instance.display(variable.name)

    def _sd_value(self, occurrence: Occurrence, variable: Variable, instance: Instance) -> None:
        occurrence.sd = "param" if isinstance(variable, Aux) and variable.is_parameter else "out"
        occurrence.key = _sd_key(instance, variable)
        occurrence.display = instance.display(variable.name)

    def _units(self, type_id: str | None) -> str:
        element = self.model.get(type_id)
        return getattr(element, "units", "") if element is not None else ""

    # -- bindings ---------------------------------------------------------------------------------
    def bind(self) -> None:
        """Merge occurrences along every connector of every instance, then along item flows."""
        for source, instances in self.instances.items():
            for connector in self.index.children(source, Connector):
                for instance in instances:
                    self._connector(instance, connector)
        for flow in self.model.of_kind(ItemFlow):
            if not flow.realizing_connectors:
                self._item_flow(flow)

    def _connector(self, instance: Instance, connector: Connector) -> None:
        if len(connector.ends) != 2:
            return  # AR104 reports it
        resolved = [self._end(instance, end) for end in connector.ends]
        if any(r is None for r in resolved):
            missing = next(e for e, r in zip(connector.ends, resolved, strict=True) if r is None)
            what = repr(self.model.get(missing.role).name) if self.model.get(missing.role) else \
                "an end without a role" if not missing.role else repr(missing.role)
            self.network.problem("AR122", f"connector '{connector.name or connector.id}' of {instance.name}: "
                                          f"{what} is not a feature reachable from {instance.label}", connector)
            return
        self._pair(resolved[0], resolved[1], connector)  # type: ignore[arg-type]

    def _end(self, instance: Instance, end: ConnectorEnd) -> list[str] | None:
        """Keys of the occurrences a connector end reaches (empty for a part without values)."""
        path = list(end.nested_path)
        if end.part_with_port and (not path or path[-1] != end.part_with_port):
            path.append(end.part_with_port)
        current = instance
        for step in path:
            child = current.children.get(step)
            if child is None:
                return None
            current = child
        role = self.model.get(end.role)
        if role is None:
            return None
        if role.id in current.children:
            return []  # a part or full port: a structural link, no value
        return self.network.by_feature.get((current.path, role.id))

    def _pair(self, left: list[str], right: list[str], connector: Element) -> None:
        if not left or not right:
            return
        if len(left) == 1 and len(right) == 1:
            self.network.union(left[0], right[0], connector)
            return
        names = {self._flow_name(k): k for k in right}
        unmatched = []
        for key in left:
            partner = names.get(self._flow_name(key))
            if partner is None:
                unmatched.append(self.network.occurrences[key].display)
            else:
                self.network.union(key, partner, connector)
        if unmatched:
            self.network.problem("AR123", f"'{connector.name or connector.id}' joins ports whose flow properties do "
                                          f"not pair up: {', '.join(unmatched)} has no partner", connector)

    def _flow_name(self, key: str) -> str:
        return canonical(self.network.occurrences[key].display.rpartition(".")[2])

    def _item_flow(self, flow: ItemFlow) -> None:
        ends = [self._feature_occurrences(flow.source), self._feature_occurrences(flow.target)]
        if ends[0] is None or ends[1] is None:
            return  # between blocks or parts: a structural flow, no value
        if not ends[0] or not ends[1]:
            self.network.problem("AR124", f"item flow '{flow.name or flow.id}' joins features of blocks used more "
                                          "than once; draw it on a connector so its ends are known", flow)
            return
        self._pair(ends[0], ends[1], flow)

    def _feature_occurrences(self, feature_id: str | None) -> list[str] | None:
        """Occurrences of a feature whose block has exactly one instance; [] when it has several."""
        feature = self.model.get(feature_id)
        if not isinstance(feature, Part | Port) or not isinstance(self.model.get(feature.owner), Block | Part):
            return None
        instances = self.instances.get(feature.owner or "", [])
        if len(instances) != 1:
            return [] if instances else None
        return self.network.by_feature.get((instances[0].path, feature.id))


def _direction(port: Port) -> str:
    if port.direction == "inout" or not port.conjugated:
        return port.direction
    return "out" if port.direction == "in" else "in"


def _sd_key(instance: Instance, variable: Variable) -> str:
    """The flat key the flattener gives ``variable`` of the module instance for ``instance``."""
    return f"{canonical('.'.join(instance.path))}.{variable.canonical}" if instance.path else variable.canonical


