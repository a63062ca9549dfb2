"""Every shared sample and rule-test model imports and checks as recorded in the snapshot.

The snapshot (``tests/data/sample_snapshot.json``, written by ``python -m tests.sample_snapshot --write``)
holds, per file, the element counts per kind, a digest of every element's saved form, the import report
and the findings; an importer reworked for speed or memory must leave all of them as they are.
"""

from __future__ import annotations

import json

import pytest

from tests.sample_snapshot import DATA, SNAPSHOT, _key, sample_files, summary

RECORDED = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
FILES = sample_files()


def test_every_sample_is_recorded() -> None:
    """A sample added or removed shows here, so none escapes the comparison."""
    assert sorted(_key(path) for path in FILES) == sorted(RECORDED)
    assert any(key.endswith(".uml") for key in RECORDED) and any(key.endswith(".mdzip") for key in RECORDED)


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_sample_imports_as_recorded(path) -> None:  # noqa: ANN001 (a pathlib.Path)
    recorded = RECORDED[_key(path)]
    current = summary(path)
    for part in ("elements", "library", "report", "findings"):  # the readable parts first: their diff names the change
        assert current[part] == recorded[part], part
    assert current["content"] == recorded["content"]


def test_a_changed_model_differs_from_its_record(tmp_path) -> None:  # noqa: ANN001 (pytest's tmp_path)
    """The comparison sees one port renamed and one port removed in a rule-test model."""
    source = DATA / "rules" / "vehicle.uml"
    text = source.read_text(encoding="utf-8")
    recorded = RECORDED[_key(source)]
    renamed = tmp_path / "renamed.uml"
    renamed.write_text(text.replace('name="supply"', 'name="outlet"', 1), encoding="utf-8")
    changed = summary(renamed)
    assert changed["elements"] == recorded["elements"] and changed["content"] != recorded["content"]
    start = text.index('<ownedAttribute xmi:type="uml:Port" xmi:id="tank_out"')
    removed = tmp_path / "removed.uml"
    removed.write_text(text[:start] + text[text.index("/>", start) + 2:], encoding="utf-8")
    assert summary(removed)["elements"] != recorded["elements"]
