"""What a module shows on its border (no Qt): its inputs (the names its connections bind inside it) and its
outputs (the names of it that other modules' connections and equations read, ``module.name``), and
which of them a drawn link stands for."""

from __future__ import annotations

import re

from metamodel.elements import Module, Variable
from metamodel.model import Model
from metamodel.names import canonical, display


def inputs(module: Module) -> list[str]:
    return [display(c.to) for c in module.connections]


def outputs(model: Model, module: Module) -> list[str]:
    """The names of ``module`` read outside it (``module.name`` in connections and equations), in the
    order they are first read."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(canonical(module.name))}\.(\w+)")
    texts = [c.source for m in model.of_kind(Module) for c in m.connections]
    texts += [t for v in model.of_kind(Variable) for t in v.equations()]
    found: list[str] = []
    for text in texts:
        for match in pattern.finditer(canonical(text)):
            shown = display(match.group(1).strip("_"))
            if shown and shown not in found:
                found.append(shown)
    return found


def link_ports(model: Model, source_id: str, target_id: str) -> tuple[str | None, str | None]:
    """For a link from ``source_id`` to ``target_id``: the output of the source module and the input of
    the target module it stands for (None where an end is not a module or no connection says)."""
    source, target = model.get(source_id), model.get(target_id)
    output = entry = None
    if isinstance(target, Module) and source is not None:
        for connection in target.connections:
            origin = canonical(connection.source.lstrip("."))
            if isinstance(source, Module) and origin.startswith(canonical(source.name) + "."):
                entry, output = display(connection.to), display(origin.split(".", 1)[1])
                break
            if origin == source.canonical:
                entry = display(connection.to)
                break
    elif isinstance(source, Module) and target is not None:
        names = outputs(model, source)
        equations = " ".join(getattr(target, "equations", list)())
        output = next((n for n in names if canonical(f"{source.name}.{n}") in canonical(equations)), None)
    return output, entry
