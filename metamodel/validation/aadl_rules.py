"""Rules of AADL models: directed connections against feature directions (AR005), inputs of
subcomponents that no connection feeds (AR121), end-to-end flow latency against its bound (AR120) and
packages named in ``with`` clauses that no file beside the model defines (AR126).

The latency of an end-to-end flow is computed as OSATE's flow-latency analysis does for a synchronous
system, per step as ``[minimum, maximum]``:

- a flow specification of a subcomponent: its ``Latency`` when declared; else, for a thread, its
  ``Compute_Execution_Time`` lower bound as minimum and its ``Deadline`` (else ``Period``, else the
  execution time's upper bound) as maximum;
- a connection: its ``Latency`` when declared, plus, when it ends at a periodic thread and is not
  ``Timing => Immediate``, the sampling delay: up to that thread's ``Period`` in the worst case.

The sums are compared with the flow's ``Latency``: a maximum above the bound's upper end is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from metamodel.elements import Block, Connector, FlowSpec, Package, Part, Port, Relation
from metamodel.model import Model
from metamodel.validation.registry import Diagnostic, of_kind, rule

_TIME_UNITS = {"ps": 1e-12, "ns": 1e-9, "us": 1e-6, "ms": 1e-3, "sec": 1.0, "s": 1.0, "min": 60.0, "hr": 3600.0}
_TIME = re.compile(r"([+-]?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)\s*([A-Za-z]+)?")
_INPUTS = ("in", "inout")
MISSING_PACKAGE = "aadl:used by"  # property of the placeholder of a package named in 'with' that no file defines


def time_range(text: str | None) -> tuple[float, float] | None:
    """Seconds of an AADL time or time range (``6 ms .. 10 ms``, ``50 ms``); ``None`` when not a time."""
    if not text:
        return None
    values = []
    for number, unit in _TIME.findall(text.split("delta")[0]):
        factor = _TIME_UNITS.get((unit or "").lower())
        if factor is None:
            return None
        values.append(float(number.replace("_", "")) * factor)
    if not values or len(values) > 2:
        return None
    return values[0], values[-1]


def _aadl(port: object) -> bool:
    return isinstance(port, Port) and port.stereotype.startswith("AADL ")


def _property(model: Model, name: str, part: Part | None, classifier_id: str | None) -> str | None:
    """A property of a subcomponent, else of its classifier, else of that classifier's type."""
    if part is not None and name in part.properties:
        return part.properties[name]
    block = model.get(classifier_id)
    if isinstance(block, Block):
        if name in block.properties:
            return block.properties[name]
        type_id = classifier_id.rpartition(".")[0] if "." in (classifier_id or "").rpartition("::")[2] else None
        type_block = model.get(type_id)
        if isinstance(type_block, Block):
            return type_block.properties.get(name)
    return None


def _is_thread(model: Model, classifier_id: str | None) -> bool:
    block = model.get(classifier_id)
    return isinstance(block, Block) and block.stereotype.split(" implementation")[0] == "thread"


@rule("AR005", "error", "directed connection against the direction of its features", domain="architecture")
def connection_direction(model: Model) -> Iterator[Diagnostic]:
    """A directed connection starts at an output of a part (or an input of its owner) and ends at an input
    of a part (or an output of its owner); access connections go from provides to requires."""
    for connector in of_kind(model, Connector):
        if not connector.directed or len(connector.ends) != 2:
            continue
        source, target = (model.get(end.role) for end in connector.ends)
        if not (_aadl(source) and _aadl(target)) or "inout" in (source.direction, target.direction):
            continue
        source_ok = source.direction == ("out" if connector.ends[0].part_with_port else "in")
        target_ok = target.direction == ("in" if connector.ends[1].part_with_port else "out")
        if source.direction == target.direction and bool(connector.ends[0].part_with_port) == \
                bool(connector.ends[1].part_with_port):
            continue  # out meets out between parts: AR001 reports it
        if not (source_ok and target_ok):
            yield Diagnostic("AR005", "error", f"connection {connector.name!r} goes from {source.name!r} "
                             f"({source.direction}) to {target.name!r} ({target.direction})",
                             connector.id, connector.name, related=(source.id, target.id))


def _extended(model: Model) -> dict[str, list[str]]:
    """Classifier id -> the classifiers it extends, nearest first (AADL ``extends``)."""
    parents = {s: r.targets[0] for r in of_kind(model, Relation) if r.relation == "specialization" and r.targets
               for s in r.sources}
    chains: dict[str, list[str]] = {}
    for start in parents:
        chain, current = [], parents.get(start)
        while current is not None and current not in chain and current != start:
            chain.append(current)
            current = parents.get(current)
        chains[start] = chain
    return chains


@rule("AR121", "warning", "input feature of a subcomponent not connected", domain="architecture")
def unconnected_input(model: Model) -> Iterator[Diagnostic]:
    """Per subcomponent, as in an instance model: an in port or a requires access of its classifier that
    no connection of the enclosing implementation reaches, its own or one it inherits through
    ``extends``; a subcomponent refined in an extension keeps the connections of the one it refines, and
    is reported there."""
    features: dict[str, list[Port]] = {}
    for port in of_kind(model, Port):
        if _aadl(port) and port.direction in _INPUTS and port.owner:
            features.setdefault(port.owner, []).append(port)
    if not features:
        return  # no AADL inputs (a SysML or Capella model): nothing to look for
    parts = {p.id: p for p in of_kind(model, Part)}
    reached = {(parts[end.part_with_port].owner, parts[end.part_with_port].name.lower(), end.role)
               for c in of_kind(model, Connector) for end in c.ends if end.part_with_port in parts}
    extended = _extended(model)
    names = {(p.owner, p.name.lower()) for p in parts.values()}
    for part in parts.values():
        classifier = part.type or ""
        type_id = classifier.rpartition(".")[0] if "." in classifier.rpartition("::")[2] else classifier
        implementations = [part.owner, *extended.get(part.owner or "", [])]
        if any((impl, part.name.lower()) in names for impl in implementations[1:]):
            continue  # a refinement: what its connections leave open is reported on the part it refines
        for port in features.get(type_id, []):
            if not any((impl, part.name.lower(), port.id) in reached for impl in implementations):
                owner = model.get(part.owner)
                yield Diagnostic("AR121", "warning", f"{port.port_kind} {port.name!r} of subcomponent "
                                 f"{part.name!r} in {(owner.name if owner else part.owner)!r} is not connected",
                                 part.id, part.name, related=(port.id,))


def _step_latency(model: Model, spec: FlowSpec, index: int) -> tuple[float, float, str]:
    """``(minimum, maximum, what was missing)`` of one step of an end-to-end flow."""
    step = spec.steps[index]
    element = model.get(step.element)
    part = model.get(step.part) if step.part else None
    part = part if isinstance(part, Part) else None
    if isinstance(element, Connector):
        declared = time_range(element.properties.get("latency")) or (0.0, 0.0)
        receiver = model.get(element.ends[-1].part_with_port) if element.ends else None
        extra = 0.0
        if isinstance(receiver, Part) and _is_thread(model, receiver.type) and \
                (_property(model, "dispatch_protocol", receiver, receiver.type) or "").lower() == "periodic" and \
                (element.properties.get("timing") or "").lower() != "immediate":
            extra = (time_range(_property(model, "period", receiver, receiver.type)) or (0.0, 0.0))[1]
        return declared[0], declared[1] + extra, ""
    if isinstance(element, FlowSpec):
        declared = time_range(element.properties.get("latency"))
        if declared is not None:
            return declared[0], declared[1], ""
    classifier = part.type if part is not None else None
    if _is_thread(model, classifier):
        execution = time_range(_property(model, "compute_execution_time", part, classifier))
        worst = time_range(_property(model, "deadline", part, classifier)) or \
            time_range(_property(model, "period", part, classifier))
        low = execution[0] if execution else 0.0
        high = worst[1] if worst else (execution[1] if execution else 0.0)
        return low, high, "" if (execution or worst) else f"timing of {part.name!r}"
    return 0.0, 0.0, f"latency of {model.get(step.element).name if model.get(step.element) else step.element!r}"


@rule("AR120", "error", "end-to-end flow latency exceeds its bound", domain="architecture")
def end_to_end_latency(model: Model) -> Iterator[Diagnostic]:
    """The computed worst-case latency of each end-to-end flow with a ``Latency`` bound."""
    for spec in of_kind(model, FlowSpec):
        bound = time_range(spec.properties.get("latency"))
        if spec.flow_kind != "end_to_end" or bound is None:
            continue
        low = high = 0.0
        for index in range(len(spec.steps)):
            step_low, step_high, _ = _step_latency(model, spec, index)
            low, high = low + step_low, high + step_high
        if high > bound[1] * (1 + 1e-9):
            yield Diagnostic("AR120", "error", f"end-to-end flow {spec.name!r}: worst-case latency "
                             f"{high * 1e3:g} ms (minimum {low * 1e3:g} ms) exceeds its bound of "
                             f"{bound[1] * 1e3:g} ms", spec.id, spec.name,
                             related=tuple(s.part or s.element for s in spec.steps))


@rule("AR126", "warning", "package named in a 'with' clause is not available", domain="architecture")
def missing_package(model: Model) -> Iterator[Diagnostic]:
    """One finding per package (or property set) that a ``with`` clause names and no ``.aadl`` file beside
    the model defines, naming the files that use it and listing the elements whose classifiers it holds."""
    from metamodel.validation.arch_rules import references

    missing = [p for p in of_kind(model, Package) if p.properties.get(MISSING_PACKAGE) is not None]
    if not missing:
        return  # every package named is there (or the model is not AADL): no reference to go through
    users: dict[str, list[str]] = {}
    for element in model.elements.values():
        for _, ref in references(element):
            if ref.startswith("package:"):
                users.setdefault(ref.partition("#")[0], []).append(element.id)
    for package in missing:
        files = package.properties[MISSING_PACKAGE]
        affected = list(dict.fromkeys(users.get(package.id, ())))
        what = (f"; {len(affected)} elements refer to classifiers not found that it may hold, which are not "
                "checked" if affected else "")
        yield Diagnostic("AR126", "warning", f"package {package.name!r} named in 'with' of {files} is in no .aadl "
                         f"file beside the model{what}", package.id, package.name, related=tuple(affected))
