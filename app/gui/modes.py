"""The palette's editing modes by name, for stock-flow and block diagrams."""

from __future__ import annotations

from app.gui import block_interactions, interactions
from app.gui.scene import DiagramScene

MODES = {**interactions.MODES, **block_interactions.MODES}


def start_mode(scene: DiagramScene, mode: str, sticky: bool = False) -> None:
    """Switch the scene to a palette mode (``select`` or a key of ``MODES``); a ``sticky`` tool stays
    active after each placement (until Escape or another tool), as a locked tool in Vensim."""
    factory = MODES.get(mode)
    scene.sticky = factory if sticky and factory is not None else None
    scene.set_interaction(factory(scene) if factory is not None else None)
