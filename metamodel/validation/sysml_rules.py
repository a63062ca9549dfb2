"""Typing rules that SysML's own constraints (and Cameo's validation suite) apply per element kind, and
the compatibility of item flows with the flow properties of the ports they run between (AR13x).

- ProxyPort typed by an InterfaceBlock; FullPort not typed by an InterfaceBlock;
- PartProperty typed by a block, ValueProperty by a value type, ConstraintProperty by a constraint block;
- an item flow between ports typed by interface blocks conveys what their flow properties carry, out of
  the source and into the target (conjugation flips a port's directions).
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import Block, Element, FlowProperty, Interface, ItemFlow, Part, Port, ValueType
from metamodel.model import Model
from metamodel.validation.registry import Diagnostic, of_kind, rule

_FLIP = {"in": "out", "out": "in", "inout": "inout"}
# property stereotype -> (what its type must be, the check)
_PROPERTY_TYPES = {
    "PartProperty": ("a block", lambda t: isinstance(t, Block) and t.stereotype != "ConstraintBlock"),
    "ValueProperty": ("a value type", lambda t: isinstance(t, ValueType)),
    "ConstraintProperty": ("a constraint block", lambda t: isinstance(t, Block) and t.stereotype == "ConstraintBlock"),
}


def _resolved(model: Model, type_id: str | None) -> Element | None:
    """The type when the model defines it (library stubs and foreign elements are not judged)."""
    found = model.get(type_id)
    return None if found is None or found.kind == "unmapped" else found


@rule("AR130", "error", "element typed by the wrong kind of type", domain="architecture")
def typing_per_kind(model: Model) -> Iterator[Diagnostic]:
    """SysML: a proxy port is typed by an interface block, a full port by anything but one; part, value
    and constraint properties by blocks, value types and constraint blocks."""
    for element in of_kind(model, Port | Part):
        if element.library:
            continue
        if isinstance(element, Port) and element.stereotype in ("ProxyPort", "FullPort"):
            found = _resolved(model, element.type)
            if found is None:
                continue
            if element.stereotype == "ProxyPort" and not isinstance(found, Interface | ValueType):
                yield Diagnostic("AR130", "error", f"proxy port {element.name!r} is typed by {found.kind} "
                                 f"{found.name!r}, not by an interface block", element.id, element.name,
                                 related=(found.id,))
            elif element.stereotype == "FullPort" and isinstance(found, Interface):
                yield Diagnostic("AR130", "error", f"full port {element.name!r} is typed by interface block "
                                 f"{found.name!r}", element.id, element.name, related=(found.id,))
        elif isinstance(element, Part) and element.stereotype in _PROPERTY_TYPES:
            found = _resolved(model, element.type)
            wanted, check = _PROPERTY_TYPES[element.stereotype]
            if found is not None and not check(found):
                yield Diagnostic("AR130", "error", f"{element.stereotype} {element.name!r} is typed by "
                                 f"{found.kind} {found.name!r}, not by {wanted}", element.id, element.name,
                                 related=(found.id,))


def _port_flows(model: Model, port: Port) -> list[tuple[FlowProperty, str]] | None:
    """A port's flow properties with their direction seen from its owner, or None when not typed by an
    interface block with flow properties."""
    interface = model.get(port.type)
    if not isinstance(interface, Interface) or not interface.flow_properties:
        return None
    return [(fp, _FLIP[fp.direction] if port.conjugated else fp.direction) for fp in interface.flow_properties]


@rule("AR131", "error", "item flow conveys what its ports' flow properties do not carry", domain="architecture")
def item_flow_against_flow_properties(model: Model) -> Iterator[Diagnostic]:
    """Each conveyed type needs a flow property of that type going out of the source port and into the
    target port (an ``inout`` one serves both)."""
    for flow in of_kind(model, ItemFlow):
        if flow.library or not flow.conveyed:
            continue
        for end, wanted in ((flow.source, "out"), (flow.target, "in")):
            port = model.get(end)
            flows = _port_flows(model, port) if isinstance(port, Port) else None
            if flows is None:
                continue
            for conveyed in flow.conveyed:
                if model.get(conveyed) is None:
                    continue
                carried = [d for fp, d in flows if fp.type == conveyed]
                if not carried or not any(d in (wanted, "inout") for d in carried):
                    problem = "no flow property of that type" if not carried else \
                        f"its flow property goes {carried[0]}"
                    yield Diagnostic("AR131", "error", f"item flow {flow.name!r} conveys "
                                     f"{model[conveyed].name!r} {wanted} of port {port.name!r}, which has "
                                     f"{problem}", flow.id, flow.name, related=(port.id, conveyed))
