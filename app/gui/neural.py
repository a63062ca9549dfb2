"""Neural components in the diagrams: the edit that adds one from a dropped ``.onnx`` file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

from metamodel.commands import AddElement
from metamodel.model import Model
from metamodel.views import Shape

ONNX_SUFFIX = ".onnx"


def onnx_paths(mime: QMimeData) -> list[str]:
    """The local ``.onnx`` files a drag carries."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls()
            if url.isLocalFile() and url.toLocalFile().lower().endswith(ONNX_SUFFIX)]


def add_component_command(model: Model, view_id: str, onnx_path: str, at: tuple[float, float],
                          document_path: str | None) -> AddElement:
    """The command adding a neural component for ``onnx_path`` drawn at ``at``: its signature gives the
    ports, and the file is stored relative to the model file (``document_path``) when there is one.

    Raises ``ModelError`` when onnxruntime cannot read the file."""
    from app.gui.block_layout import NEURAL_SIZE, PORT_PITCH
    from solvers.neural import build_neural_component

    folder = Path(document_path).parent if document_path else None
    component = build_neural_component(model, onnx_path, model_dir=folder)
    height = max(NEURAL_SIZE[1], (max(len(component.inputs), len(component.outputs)) + 1) * PORT_PITCH)
    return AddElement(component, view_id, Shape(at[0], at[1], NEURAL_SIZE[0], height))
