"""Validation rules of neural components (codes NN0xx): port shapes and the ONNX file reference."""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import NeuralComponent, NeuralPort
from metamodel.model import Model
from metamodel.validation.registry import Diagnostic, rule


def port_expressions(text: str) -> list[tuple[int, str]]:
    """The ``;``-separated expressions feeding an input port, each with its offset in ``text``.

    Blank text feeds nothing (an empty list); an empty part between separators is kept, so that
    syntax checks can point at it.
    """
    if not text.strip():
        return []
    parts: list[tuple[int, str]] = []
    start = 0
    for piece in text.split(";"):
        parts.append((start, piece))
        start += len(piece) + 1
    return parts


def _port_field(direction: str, port: NeuralPort) -> str:
    return f"{direction}[{port.name}]"


def _diagnostic(code: str, component: NeuralComponent, message: str, field: str = "") -> Diagnostic:
    return Diagnostic(code, "error", message, component.id, component.name, None, field)


@rule("NN001", "error", "neural port shape does not match its use", domain="neural")
def port_shape_mismatch(model: Model) -> Iterator[Diagnostic]:
    """Ports are [batch, features] or [batch]; an input is fed one expression per feature."""
    for component in model.of_kind(NeuralComponent):
        for direction, ports in (("inputs", component.inputs), ("outputs", component.outputs)):
            for port in ports:
                field = _port_field(direction, port)
                problem = port.shape_problem()
                if problem is not None:
                    yield _diagnostic("NN001", component, f"port '{port.name}': {problem}", field)
                    continue
                if direction != "inputs":
                    continue
                count = len(port_expressions(port.equation))
                if count != port.width:
                    yield _diagnostic("NN001", component, f"input '{port.name}' has {port.width} features but "
                                      f"its equation gives {count} ';'-separated expressions", f"{field}.equation")


@rule("NN002", "error", "neural component without an ONNX file", domain="neural")
def missing_path(model: Model) -> Iterator[Diagnostic]:
    for component in model.of_kind(NeuralComponent):
        if not component.path.strip():
            yield _diagnostic("NN002", component, "no ONNX file path is set", "path")
