"""Capella's rules on the nature of physical components (AR212-AR217 and AR219, Capella's
DWF_DC_21/22/30-32/39/44): a node component (hardware) holds physical ports and no component ports, and
component exchanges do not end at it; a behaviour component (software) holds no physical port; nodes
and behaviour components hold, deploy and sit in one another only as Capella allows; the physical
system has no nature. Actors are exempt where Capella exempts them. The import keeps a physical
component's nature (``NODE``, ``BEHAVIOR``, ``UNSET``).
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import Block, Connector, Part, Port, Relation
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _layer
from metamodel.validation.registry import Diagnostic, of_kind, rule


def _physical(model: Model, element_id: str | None, nature: str, actors: bool) -> Block | None:
    """The physical component ``element_id`` names when it has ``nature`` (and is no actor, unless
    ``actors``), else None."""
    block = model.get(element_id) if element_id else None
    if isinstance(block, Block) and block.stereotype == "PhysicalComponent" and \
            block.properties.get("nature") == nature and (actors or block.properties.get("actor") != "true"):
        return block
    return None


@rule("AR212", "error", "Capella component port on a node physical component", domain="architecture")
def component_port_on_node(model: Model) -> Iterator[Diagnostic]:
    """A physical component of nature NODE that is not an actor holds no component port (Capella's
    DWF_DC_31, ComponentPortOnNodePC)."""
    for port in of_kind(model, Port):
        node = _physical(model, port.owner, "NODE", actors=False) if port.stereotype == "ComponentPort" else None
        if node is not None:
            yield Diagnostic("AR212", "error", f"component port {port.name or port.id!r} is on node physical "
                             f"component {node.name!r}{_layer(model, node)}", port.id, port.name, related=(node.id,))


@rule("AR213", "error", "Capella physical port on a behaviour physical component", domain="architecture")
def physical_port_on_behaviour(model: Model) -> Iterator[Diagnostic]:
    """A physical component of nature BEHAVIOR holds no physical port (Capella's DWF_DC_30,
    PhysicalPortOnBehaviourPC)."""
    for port in of_kind(model, Port):
        behaviour = _physical(model, port.owner, "BEHAVIOR", actors=True) if port.stereotype == "PhysicalPort" \
            else None
        if behaviour is not None:
            yield Diagnostic("AR213", "error", f"physical port {port.name or port.id!r} is on behaviour physical "
                             f"component {behaviour.name!r}{_layer(model, behaviour)}", port.id, port.name,
                             related=(behaviour.id,))


def _component_of_end(model: Model, ref: str | None) -> str | None:
    """The component an exchange end belongs to: a port's owner, a part's type, or the component."""
    element = model.get(ref) if ref else None
    if isinstance(element, Port):
        return element.owner
    if isinstance(element, Part):
        return element.type
    return ref


@rule("AR214", "error", "Capella component exchange ending at a node physical component", domain="architecture")
def component_exchange_at_node(model: Model) -> Iterator[Diagnostic]:
    """Neither end of a component exchange is a physical component of nature NODE that is not an actor
    (Capella's DWF_DC_32, ComponentExchagneWithmOutPortOnNodePC): nodes are joined by physical links."""
    for connector in of_kind(model, Connector):
        if connector.properties.get("metaclass") != "ComponentExchange":
            continue
        nodes = [n for end in connector.ends
                 if (n := _physical(model, _component_of_end(model, end.role), "NODE", actors=False)) is not None]
        if nodes:
            names = " and ".join(repr(n.name) for n in nodes)
            yield Diagnostic("AR214", "error", f"component exchange {connector.name or connector.id!r}"
                             f"{_layer(model, connector)} ends at node physical component {names}", connector.id,
                             connector.name, related=tuple(n.id for n in nodes))


def _deployments(model: Model) -> dict[str, set[str]]:
    """Physical component id -> the physical components that deploy it (Capella's part deployment
    links, imported as allocations from the deployed part to the part it is deployed on)."""
    found: dict[str, set[str]] = {}
    for relation in of_kind(model, Relation):
        if relation.relation != "allocate":
            continue
        for source in relation.sources:
            deployed = model.get(source)
            if not isinstance(deployed, Part):
                continue
            for target in relation.targets:
                location = model.get(target)
                if isinstance(location, Part) and _physical_any(model, deployed.type) and \
                        _physical_any(model, location.type):
                    found.setdefault(deployed.type, set()).add(location.type)
    return found


def _physical_any(model: Model, element_id: str | None) -> bool:
    block = model.get(element_id) if element_id else None
    return isinstance(block, Block) and block.stereotype == "PhysicalComponent"


def _holders(model: Model) -> dict[str, set[str]]:
    """Physical component id -> the physical components holding a part typed by it."""
    found: dict[str, set[str]] = {}
    for part in of_kind(model, Part):
        if part.stereotype == "Part" and _physical_any(model, part.type) and _physical_any(model, part.owner):
            found.setdefault(part.type, set()).add(part.owner)
    return found


@rule("AR215", "warning", "Capella physical component contained and deployed in the same parent",
      domain="architecture")
def contained_and_deployed(model: Model) -> Iterator[Diagnostic]:
    """A node or behaviour physical component that is not an actor is not both held by a physical
    component and deployed on it (Capella's DWF_DC_44, PhysicalComponentContainedAndDeployed)."""
    deploying = _deployments(model)
    for block in of_kind(model, Block):
        if block.stereotype != "PhysicalComponent" or block.properties.get("actor") == "true" or \
                block.properties.get("nature") not in ("NODE", "BEHAVIOR"):
            continue
        if block.owner in deploying.get(block.id, ()):
            parent = model[block.owner]
            yield Diagnostic("AR215", "warning", f"{block.properties['nature'].lower()} physical component "
                             f"{block.name!r}{_layer(model, block)} is both held by {parent.name!r} and deployed on it",
                             block.id, block.name, related=(parent.id,))


def _roots(model: Model) -> set[str]:
    """The root physical components: those a part held by a package (not by a component) is typed by."""
    return {p.type for p in of_kind(model, Part) if p.type and _physical_any(model, p.type)
            and not isinstance(model.get(p.owner), Block)}


def _nature(model: Model, element_id: str) -> str:
    return model[element_id].properties.get("nature", "UNSET")


@rule("AR216", "error", "Capella physical component holding or deploying components of the other nature",
      domain="architecture")
def parent_of_the_other_nature(model: Model) -> Iterator[Diagnostic]:
    """A node physical component holds no behaviour component it does not deploy; a behaviour component
    holds and deploys no node (Capella's DWF_DC_22, DeploymentParentPCChecks). One finding per parent."""
    deploying = _deployments(model)
    held: dict[str, set[str]] = {}
    for child, holders in _holders(model).items():
        for holder in holders:
            held.setdefault(holder, set()).add(child)
    deployed: dict[str, set[str]] = {}
    for child, locations in deploying.items():
        for location in locations:
            deployed.setdefault(location, set()).add(child)
    for block in of_kind(model, Block):
        nature = block.properties.get("nature") if block.stereotype == "PhysicalComponent" else None
        if nature not in ("NODE", "BEHAVIOR"):
            continue
        mine = deployed.get(block.id, set())
        if nature == "NODE":
            wrong = sorted(c for c in held.get(block.id, ()) if _nature(model, c) == "BEHAVIOR" and c not in mine)
            what = "holds behaviour components"
        else:
            wrong = sorted(c for c in held.get(block.id, set()) | mine if _nature(model, c) == "NODE")
            what = "holds or deploys nodes"
        if wrong:
            names = ", ".join(repr(model[c].name) for c in wrong)
            yield Diagnostic("AR216", "error", f"{nature.lower()} physical component {block.name!r}"
                             f"{_layer(model, block)} {what} {names}", block.id, block.name, related=tuple(wrong))


def _ancestors(holders: dict[str, set[str]], component: str) -> set[str]:
    """The physical components that hold ``component`` through parts, and those that hold them."""
    found: set[str] = set()
    todo = list(holders.get(component, ()))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(holders.get(current, ()))
    return found


@rule("AR217", "error", "Capella physical component inside one of the other nature", domain="architecture")
def child_of_the_other_nature(model: Model) -> Iterator[Diagnostic]:
    """A node physical component is neither deployed on nor held (at any depth) by a behaviour component; a
    behaviour component is not held by a node (Capella's DWF_DC_21, DeploymentChildPCChecks; the root
    physical component does not count as a holder)."""
    deploying, holders, roots = _deployments(model), _holders(model), _roots(model)
    for block in of_kind(model, Block):
        nature = block.properties.get("nature") if block.stereotype == "PhysicalComponent" else None
        if nature not in ("NODE", "BEHAVIOR"):
            continue
        other = "BEHAVIOR" if nature == "NODE" else "NODE"
        around = sorted(a for a in _ancestors(holders, block.id) - roots if _nature(model, a) == other)
        on = sorted(d for d in deploying.get(block.id, ()) if _nature(model, d) == "BEHAVIOR") \
            if nature == "NODE" else []
        if on or around:
            where = f"deployed on {model[on[0]].name!r}" if on else f"held by {model[around[0]].name!r}"
            yield Diagnostic("AR217", "error", f"{nature.lower()} physical component {block.name!r}"
                             f"{_layer(model, block)} is {where}, of nature {other}", block.id, block.name,
                             related=tuple(on or around))


@rule("AR219", "error", "Capella root physical component of a nature other than UNSET", domain="architecture")
def root_physical_component_nature(model: Model) -> Iterator[Diagnostic]:
    """The physical system, the root physical component (typed by a part a package holds, not an actor),
    is of nature UNSET (Capella's DWF_DC_39, IsUnsetPhysicalComponentCheck)."""
    for root_id in sorted(_roots(model)):
        root = model[root_id]
        nature = root.properties.get("nature", "UNSET")
        if root.properties.get("actor") != "true" and nature != "UNSET":
            yield Diagnostic("AR219", "error", f"root physical component {root.name!r}{_layer(model, root)} is of "
                             f"nature {nature}; the physical system is of nature UNSET", root.id, root.name)
