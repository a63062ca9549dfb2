"""Shared check of the importers' bad-input tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import importers
from metamodel.errors import ParseError


def load_fails(path: Path, text: str, message: str) -> ParseError:
    """Write ``text`` to ``path`` and load it: it must fail with a ParseError matching ``message`` that
    names the file. Returns the error for further checks."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=message) as info:
        importers.load(path)
    assert info.value.file == str(path)
    return info.value
