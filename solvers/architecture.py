"""Executable architectures: blocks whose behaviour is an SD submodel, wired by port connectors.

A part typed by a block with a ``behavior`` (a Module naming a submodel) becomes an instance of that
submodel named after the part. A connector from an ``out`` port of one part to an ``in`` port of
another binds the submodel variable named like the in-port to the variable named like the out-port:
values flow along connectors. The model itself is left untouched; the compiler runs a bound copy.
"""

from __future__ import annotations

from dataclasses import replace

from metamodel.elements import Block, Connector, Module, ModuleConnection, Part, Port
from metamodel.errors import ModelError
from metamodel.model import Model
from metamodel.validation.registry import Diagnostic


def _behaviour(model: Model, block: object) -> Module | None:
    """The SD module bound to ``block`` (a part's type), or None for anything else."""
    if not isinstance(block, Block) or block.behavior is None:
        return None
    behaviour = model.elements.get(block.behavior)
    return behaviour if isinstance(behaviour, Module) else None


def _direction(port: Port) -> str:
    if port.direction == "inout" or not port.conjugated:
        return port.direction
    return "out" if port.direction == "in" else "in"


def has_behaviour(model: Model) -> bool:
    """True when some part is typed by a block whose behaviour is an SD submodel."""
    return any(_behaviour(model, model.elements.get(p.type or "")) is not None for p in model.of_kind(Part))


def bind_architecture(model: Model) -> Model:
    """A copy of ``model`` with one module instance per behavioural part, bound along connectors."""
    if not has_behaviour(model):
        return model
    instances: dict[str, Module] = {}
    for part in model.of_kind(Part):
        behaviour = _behaviour(model, model.elements.get(part.type or ""))
        if behaviour is not None:
            instances[part.id] = Module(f"{part.id}#instance", part.name, model_name=behaviour.model_name)
    for connector in model.of_kind(Connector):
        _bind(model, connector, instances)
    bound = replace(model, elements=dict(model.elements), _observers=[])
    for module in instances.values():
        bound.elements[module.id] = module
    return bound


def _bind(model: Model, connector: Connector, instances: dict[str, Module]) -> None:
    ends = []
    for end in connector.ends:
        port = model.elements.get(end.role or "")
        if isinstance(port, Port) and end.part_with_port in instances:
            ends.append((port, instances[end.part_with_port]))
    if len(ends) != 2:
        return
    directions = {_direction(port) for port, _ in ends}
    if directions != {"in", "out"}:
        message = f"connector '{connector.name}' must join an out port to an in port to carry a value"
        raise ModelError(message, [Diagnostic("AR001", "error", message, connector.id, connector.name)])
    (source_port, source), (target_port, target) = sorted(ends, key=lambda e: _direction(e[0]) != "out")
    target.connections.append(ModuleConnection(to=target_port.name, source=f"{source.name}.{source_port.name}"))
