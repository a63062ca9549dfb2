"""Neural and FMU components in the diagrams: the edit that adds one from a dropped ``.onnx`` or ``.fmu``
file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

from metamodel.commands import AddElement
from metamodel.elements import FmuComponent, NeuralComponent
from metamodel.model import Model
from metamodel.views import Shape

ONNX_SUFFIX = ".onnx"
FMU_SUFFIX = ".fmu"


def component_paths(mime: QMimeData) -> list[str]:
    """The local ``.onnx`` and ``.fmu`` files a drag carries."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls()
            if url.isLocalFile() and url.toLocalFile().lower().endswith((ONNX_SUFFIX, FMU_SUFFIX))]


def add_component_command(model: Model, view_id: str, path: str, at: tuple[float, float],
                          document_path: str | None) -> AddElement:
    """The command adding a neural component for an ONNX file, or an FMU component for an FMU, drawn at
    ``at``: the file's signature (its model description) gives the ports, and the file is stored relative
    to the model file (``document_path``) when there is one.

    Raises ``ModelError`` when the file cannot be read as such a component."""
    from app.gui.block_layout import NEURAL_SIZE, PORT_PITCH

    folder = Path(document_path).parent if document_path else None
    if path.lower().endswith(FMU_SUFFIX):
        from importers.fmu import build_fmu_component

        component: NeuralComponent | FmuComponent = build_fmu_component(model, path, model_dir=folder)
    else:
        from solvers.neural import build_neural_component

        component = build_neural_component(model, path, model_dir=folder)
    height = max(NEURAL_SIZE[1], (max(len(component.inputs), len(component.outputs)) + 1) * PORT_PITCH)
    return AddElement(component, view_id, Shape(at[0], at[1], NEURAL_SIZE[0], height))
