"""Imported diagrams: a Vensim model opens on its own sketch (no arranged copy beside it, though the
sketch leaves the time settings out), and sketch boxes do not squash the auxiliary symbols."""

from __future__ import annotations

from app.gui.items import AuxItem
from tests.paths import SD_MODELS

TEACUP = SD_MODELS / "samples" / "teacup" / "teacup.mdl"


def test_a_vensim_model_opens_on_its_own_sketch(window):
    window.open_path(str(TEACUP), background=False)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["View 1"]
    scene = window.tabs.current_scene()
    names = {window.document.model[k].name for k in [*scene.nodes, *scene.flows]}
    assert {"Teacup Temperature", "Heat Loss to Room", "Characteristic Time", "Room Temperature"} <= names
    for item in scene.nodes.values():
        if isinstance(item, AuxItem):
            rect = item.rect()
            assert rect.width() == rect.height() <= min(item.size)
