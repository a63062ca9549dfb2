"""The palette's editing modes by name, for stock-flow and block diagrams."""

from __future__ import annotations

from app.gui import block_interactions, interactions
from app.gui.scene import DiagramScene

MODES = {**interactions.MODES, **block_interactions.MODES}


def start_mode(scene: DiagramScene, mode: str) -> None:
    """Switch the scene to a palette mode (``select`` or a key of ``MODES``)."""
    scene.set_interaction(MODES[mode](scene) if mode in MODES else None)
